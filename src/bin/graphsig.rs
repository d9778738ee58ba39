//! `graphsig`: a thin command line over the `graph_signature` library. The contract of
//! each subcommand is in `docs/cli.md`.

use std::fs::File;
use std::io::{self, BufReader, Cursor, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use graph_signature::archive::{atomic, pt2, safetensors};
use graph_signature::codec::{self, torch_json, Format};
use graph_signature::{Error, ExportGraphSignature};

/// Read, check and convert torch.export graph signatures.
#[derive(Parser)]
#[command(name = "graphsig", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Print a signature as torch's `print(ep.graph_signature)` does.
    ///
    /// PATH is any signature graphsig reads: a torch signature JSON or whole
    /// exported-program JSON (`models/model.json`, `serialized_exported_program.json`), a
    /// file in one of our formats (json, proto, bincode), an archive written by
    /// torch.export.save (`.pt2`, either layout), or a `.safetensors` file carrying an
    /// embedded signature. A signature embedded with `graphsig embed` is read in
    /// preference to the archive's model JSON. `-` reads standard input.
    ///
    /// Examples:
    ///   graphsig inspect examples/batchnorm.model.json
    ///   graphsig inspect --json model.pt2
    #[command(verbatim_doc_comment)]
    Inspect {
        /// Print every accessor (parameters, inputs_to_buffers, backward_signature, ...) as
        /// one JSON object instead of the text form.
        #[arg(long)]
        json: bool,
        /// In an archive holding several models, the one to read (default: `model`, the
        /// one torch.export.load returns).
        #[arg(long, value_name = "NAME")]
        model: Option<String>,
        /// The file to read, or `-` for standard input.
        path: PathBuf,
    },
    /// Store a signature inside a model archive, in our own versioned format, so a
    /// runtime in any language can read it without parsing torch's model JSON.
    ///
    /// The signature is written in our JSON format (the proto3 JSON of
    /// proto/graph_signature/v1/graph_signature.proto, which carries its schema version):
    /// in a `.pt2` as the record `extra/graph_signature/<model>.json` (torch lists it among
    /// the program's extra files), in a `.safetensors` file as the `graph_signature` entry
    /// of the header's `__metadata__`. Every other
    /// record, tensor and byte is left as it was; the file is replaced atomically, so it
    /// is intact if anything fails. torch.export.load and safetensors still load it.
    ///
    /// Examples:
    ///   graphsig embed model.pt2                      # the archive's own signature
    ///   graphsig embed weights.safetensors --signature model.pt2 -o out.safetensors
    #[command(verbatim_doc_comment)]
    Embed {
        /// The archive to embed into (`.pt2` or `.safetensors`).
        archive: PathBuf,
        /// Where the signature comes from (any file `inspect` reads); default: the
        /// archive's own model JSON (for a `.pt2`).
        #[arg(long, value_name = "PATH")]
        signature: Option<PathBuf>,
        /// The model, in a `.pt2` holding several (default: `model`).
        #[arg(long, value_name = "NAME")]
        model: Option<String>,
        /// Write the result here instead of replacing ARCHIVE.
        #[arg(short, long, value_name = "PATH")]
        output: Option<PathBuf>,
    },
    /// Convert a signature from one format to another (through the validated model).
    ///
    /// Formats: json (proto3 JSON of our .proto), proto, fbs (FlatBuffers), bincode, and
    /// torch-json (torch's own signature JSON, byte for byte as torch 2.15 writes it, or for
    /// an older torch with --target). The input format is recognised by content (archives
    /// too) unless --from is given; the output format comes from --to, else from OUT's
    /// extension (.json → json, .pb/.binpb → proto, .gsig → fbs, .bincode → bincode). `-`
    /// is standard input or output.
    ///
    /// Examples:
    ///   graphsig convert examples/batchnorm.model.json sig.pb
    ///   graphsig convert sig.pb - --to json
    ///   cat sig.bin | graphsig convert - sig.gsig --from bincode
    ///   graphsig convert model.pt2 sig.json --to torch-json --target 2.8
    #[command(verbatim_doc_comment)]
    Convert {
        /// The file to read, or `-` for standard input.
        input: PathBuf,
        /// The file to write (atomically), or `-` for standard output.
        output: PathBuf,
        /// The input format, when content should not decide.
        #[arg(long, value_name = "FORMAT")]
        from: Option<Format>,
        /// The output format, when OUT's extension does not tell.
        #[arg(long, value_name = "FORMAT")]
        to: Option<Format>,
        /// With --to torch-json: the torch release (2.3 to 2.15, e.g. `2.9.1`) or schema
        /// (`8.14`) to write for. What that release cannot hold is refused with the reason.
        #[arg(long, value_name = "VERSION", requires = "to")]
        target: Option<torch_json::TorchTarget>,
        /// With --to torch-json: write the closest form of what torch would read back
        /// changed, could not write itself, or has no place for, instead of refusing.
        #[arg(long, requires = "to")]
        lossy: bool,
    },
    /// Write out the signature embedded in an archive by `graphsig embed`.
    ///
    /// Examples:
    ///   graphsig extract model.pt2                     # our JSON on standard output
    ///   graphsig extract model.pt2 --to proto -o sig.pb
    #[command(verbatim_doc_comment)]
    Extract {
        /// The archive (`.pt2` or `.safetensors`).
        archive: PathBuf,
        /// The model, in a `.pt2` holding several (default: `model`).
        #[arg(long, value_name = "NAME")]
        model: Option<String>,
        /// The format to write: json, proto or bincode.
        #[arg(long, value_name = "FORMAT", default_value = "json")]
        to: Format,
        /// The file to write (atomically), or `-` for standard output.
        #[arg(short, long, value_name = "PATH", default_value = "-")]
        output: PathBuf,
    },
    /// Copy a framed stream of signatures, decoding and validating every frame: protobuf
    /// documents each preceded by its varint length (protobuf's delimited convention, as
    /// Java's writeDelimitedTo). Frames larger than 16 MiB are refused before being read.
    ///
    /// Example: producer | graphsig stream - - | consumer
    #[command(verbatim_doc_comment)]
    Stream {
        /// The stream to read, or `-` for standard input.
        input: PathBuf,
        /// The stream to write (atomically), or `-` for standard output.
        output: PathBuf,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("graphsig: error: {message}");
            ExitCode::from(2)
        }
    }
}

fn run(cli: Cli) -> Result<(), String> {
    match cli.command {
        Command::Inspect { json, model, path } => {
            let sig = load(&path, model.as_deref())?;
            let text = if json {
                let mut s = serde_json::to_string_pretty(&sig.accessors()).map_err(|e| e.to_string())?;
                s.push('\n');
                s
            } else {
                // `print(sig)` writes str(sig) and a newline.
                format!("{sig}\n")
            };
            write_stdout(text.as_bytes())
        }
        Command::Embed { archive, signature, model, output } => {
            let source = signature.as_deref().unwrap_or(&archive);
            let from_model_json = signature.is_none();
            let sig =
                if from_model_json { load_from_model_json(&archive, model.as_deref()) } else { load(source, None) }?;
            let output = output.as_deref().unwrap_or(&archive);
            match sniff_path(&archive)? {
                Kind::Zip => {
                    let bytes = codec::encode(&sig, Format::Json).map_err(|e| e.to_string())?;
                    pt2::embed(&archive, output, model.as_deref().unwrap_or("model"), &bytes)
                }
                Kind::Safetensors => {
                    if model.is_some() {
                        return Err(format!("{}: --model applies to .pt2 archives", archive.display()));
                    }
                    let bytes = codec::encode(&sig, Format::Json).map_err(|e| e.to_string())?;
                    let text = String::from_utf8(bytes).map_err(|e| e.to_string())?;
                    safetensors::embed(&archive, output, &text)
                }
                Kind::Other => {
                    return Err(format!("{}: not a .pt2 archive nor a .safetensors file", archive.display()));
                }
            }
            .map_err(|e| describe(output, &e))
        }
        Command::Convert { input, output, from, to, target, lossy } => {
            let to = match to.or_else(|| output_format(&output)) {
                Some(to) => to,
                None if output == Path::new("-") => {
                    return Err("give the format of standard output with --to".to_owned());
                }
                None => {
                    return Err(format!(
                        "{}: cannot tell the output format from the extension; give --to",
                        output.display()
                    ))
                }
            };
            let sig = match from {
                Some(from) => {
                    let bytes = read_all(&input)?;
                    codec::decode(&bytes, from).map_err(|e| describe(&input, &e))?
                }
                None => load(&input, None)?,
            };
            let bytes = if to == Format::TorchJson {
                let options = torch_json::WriteOptions { target: target.unwrap_or_default(), lossy };
                torch_json::encode(&sig, &options)
            } else if target.is_some() || lossy {
                return Err("--target and --lossy apply to --to torch-json".to_owned());
            } else {
                codec::encode(&sig, to)
            }
            .map_err(|e| format!("{}: {e}", display(&input)))?;
            if output == Path::new("-") {
                write_stdout(&bytes)
            } else {
                atomic::write_atomic(&output, |w| Ok(w.write_all(&bytes)?)).map_err(|e| describe(&output, &e))
            }
        }
        Command::Extract { archive, model, to, output } => {
            let sig = match embedded(&archive, model.as_deref())? {
                Some(sig) => sig,
                None => {
                    return Err(format!(
                        "{}: no embedded signature (add one with `graphsig embed {}`)",
                        archive.display(),
                        archive.display()
                    ))
                }
            };
            let bytes = codec::encode(&sig, to).map_err(|e| format!("{}: {e}", archive.display()))?;
            if output == Path::new("-") {
                write_stdout(&bytes)
            } else {
                atomic::write_atomic(&output, |w| Ok(w.write_all(&bytes)?)).map_err(|e| describe(&output, &e))
            }
        }
        Command::Stream { input, output } => copy_stream(&input, &output),
    }
}

/// The format an output file's extension asks for; `.json` is ours (torch's JSON is
/// written only when asked for with `--to torch-json`).
fn output_format(path: &Path) -> Option<Format> {
    let json = path.extension().is_some_and(|e| e.eq_ignore_ascii_case("json"));
    Format::from_extension(path).or(json.then_some(Format::Json))
}

/// The bytes of a file or of standard input.
fn read_all(path: &Path) -> Result<Vec<u8>, String> {
    if path == Path::new("-") {
        let mut bytes = Vec::new();
        io::stdin().read_to_end(&mut bytes).map_err(|e| format!("<stdin>: {e}"))?;
        Ok(bytes)
    } else {
        std::fs::read(path).map_err(|e| io_error(path, e))
    }
}

/// What a file is, from its first bytes.
enum Kind {
    Zip,
    Safetensors,
    Other,
}

fn sniff(prefix: &[u8]) -> Kind {
    if pt2::looks_like_zip(prefix) {
        Kind::Zip
    } else if safetensors::looks_like_safetensors(prefix) {
        Kind::Safetensors
    } else {
        Kind::Other
    }
}

fn sniff_path(path: &Path) -> Result<Kind, String> {
    let mut file = File::open(path).map_err(|e| io_error(path, e))?;
    let mut prefix = [0u8; 16];
    let n = read_prefix(&mut file, &mut prefix).map_err(|e| io_error(path, e))?;
    Ok(sniff(&prefix[..n]))
}

fn read_prefix(file: &mut File, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match file.read(&mut buf[n..])? {
            0 => break,
            k => n += k,
        }
    }
    Ok(n)
}

fn io_error(path: &Path, e: io::Error) -> String {
    Error::from(e).with_path(path).to_string()
}

/// Reads a signature from any file graphsig knows, or standard input. An archive file is
/// read in place, so only its directory and the records needed are read.
fn load(path: &Path, model: Option<&str>) -> Result<ExportGraphSignature, String> {
    if path == Path::new("-") {
        let mut bytes = Vec::new();
        io::stdin().read_to_end(&mut bytes).map_err(|e| format!("<stdin>: {e}"))?;
        return match sniff(&bytes) {
            Kind::Zip => from_pt2(path, Cursor::new(bytes), model),
            Kind::Safetensors => from_safetensors(path, safetensors::read_embedded(Cursor::new(&bytes), None), model),
            Kind::Other => from_bytes(path, &bytes, model),
        };
    }
    let mut file = File::open(path).map_err(|e| io_error(path, e))?;
    let mut prefix = [0u8; 16];
    let n = read_prefix(&mut file, &mut prefix).map_err(|e| io_error(path, e))?;
    file.seek(SeekFrom::Start(0)).map_err(|e| io_error(path, e))?;
    match sniff(&prefix[..n]) {
        Kind::Zip => from_pt2(path, BufReader::new(file), model),
        Kind::Safetensors => from_safetensors(path, safetensors::read_embedded_path(path), model),
        Kind::Other => {
            let mut bytes = Vec::new();
            file.read_to_end(&mut bytes).map_err(|e| io_error(path, e))?;
            from_bytes(path, &bytes, model)
        }
    }
}

/// A signature document in any codec format, recognised by content.
fn from_bytes(path: &Path, bytes: &[u8], model: Option<&str>) -> Result<ExportGraphSignature, String> {
    if model.is_some() {
        return Err(format!("{}: --model applies to .pt2 archives, and this is not one", display(path)));
    }
    let Some(format) = Format::detect(bytes) else {
        if bytes.iter().find(|b| !b.is_ascii_whitespace()).is_some_and(|b| matches!(b, b'{' | b'[')) {
            // JSON of no known shape: torch's reader says what is missing where.
            let err = codec::decode(bytes, Format::TorchJson).err();
            return Err(err.map_or_else(|| "unrecognised JSON".to_owned(), |e| describe(path, &e)));
        }
        return Err(format!(
            "{}: not a signature graphsig recognises (torch JSON, json, proto, bincode, .pt2 or .safetensors)",
            display(path)
        ));
    };
    codec::decode(bytes, format).map_err(|e| describe(path, &e))
}

fn from_safetensors(
    path: &Path,
    text: Result<Option<String>, Error>,
    model: Option<&str>,
) -> Result<ExportGraphSignature, String> {
    if model.is_some() {
        return Err(format!("{}: --model applies to .pt2 archives", display(path)));
    }
    match text.map_err(|e| describe(path, &e))? {
        Some(text) => codec::decode(text.as_bytes(), Format::Json).map_err(|e| describe(path, &e)),
        None => Err(format!(
            "{}: this .safetensors file carries no signature (add one with `graphsig embed FILE --signature SIG`)",
            display(path)
        )),
    }
}

/// A `.pt2`: the embedded signature of the model if there is one, else its model JSON.
fn from_pt2<R: Read + Seek>(path: &Path, mut reader: R, model: Option<&str>) -> Result<ExportGraphSignature, String> {
    let wanted = model.unwrap_or("model");
    let embedded = pt2::read_embedded(&mut reader).map_err(|e| describe(path, &e))?;
    if let Some((_, bytes)) = embedded.iter().find(|(name, _)| name == wanted) {
        return codec::decode(bytes, Format::Json).map_err(|e| describe(path, &e));
    }
    reader.seek(SeekFrom::Start(0)).map_err(|e| describe(path, &Error::from(e)))?;
    let models = pt2::read(reader).map_err(|e| describe(path, &e))?;
    pick_model(path, models, model)
}

/// The signature of a `.pt2`'s model JSON, ignoring any embedded one (what `embed` stores).
fn load_from_model_json(path: &Path, model: Option<&str>) -> Result<ExportGraphSignature, String> {
    match sniff_path(path)? {
        Kind::Zip => {
            let file = File::open(path).map_err(|e| io_error(path, e))?;
            pick_model(path, pt2::read(BufReader::new(file)).map_err(|e| describe(path, &e))?, model)
        }
        _ => Err(format!(
            "{}: only a .pt2 archive has a signature of its own; give the signature with --signature",
            path.display()
        )),
    }
}

/// The embedded signature of an archive, if any.
fn embedded(path: &Path, model: Option<&str>) -> Result<Option<ExportGraphSignature>, String> {
    match sniff_path(path)? {
        Kind::Zip => {
            let file = File::open(path).map_err(|e| io_error(path, e))?;
            let records = pt2::read_embedded(BufReader::new(file)).map_err(|e| describe(path, &e))?;
            let wanted = model.unwrap_or("model");
            records
                .iter()
                .find(|(name, _)| name == wanted)
                .map(|(_, bytes)| codec::decode(bytes, Format::Json).map_err(|e| describe(path, &e)))
                .transpose()
        }
        Kind::Safetensors => match safetensors::read_embedded_path(path).map_err(|e| describe(path, &e))? {
            Some(text) => codec::decode(text.as_bytes(), Format::Json).map(Some).map_err(|e| describe(path, &e)),
            None => Ok(None),
        },
        Kind::Other => Err(format!("{}: not a .pt2 archive nor a .safetensors file", path.display())),
    }
}

/// The model asked for, else `model` (what torch.export.load returns), else the only one.
fn pick_model(
    path: &Path,
    mut models: Vec<pt2::ArchivedSignature>,
    model: Option<&str>,
) -> Result<ExportGraphSignature, String> {
    let wanted = model.unwrap_or("model");
    match models.iter().position(|m| m.name == wanted) {
        Some(i) => Ok(models.swap_remove(i).signature),
        None if model.is_none() && models.len() == 1 => Ok(models.remove(0).signature),
        None => {
            let names: Vec<_> = models.iter().map(|m| m.name.as_str()).collect();
            Err(format!(
                "{}: no model named {wanted:?}; the archive holds {}; choose one with --model",
                display(path),
                names.join(", ")
            ))
        }
    }
}

fn display(path: &Path) -> String {
    if path == Path::new("-") {
        "<stdin>".to_owned()
    } else {
        path.display().to_string()
    }
}

fn describe(path: &Path, err: &Error) -> String {
    match err {
        Error::Io { path: Some(_), .. } => err.to_string(),
        _ => format!("{}: {err}", display(path)),
    }
}

/// Writes to standard output; a closed pipe (`graphsig inspect x | head`) is not an error.
fn write_stdout(bytes: &[u8]) -> Result<(), String> {
    let mut out = io::stdout().lock();
    match out.write_all(bytes).and_then(|()| out.flush()) {
        Err(e) if e.kind() != io::ErrorKind::BrokenPipe => Err(format!("cannot write to standard output: {e}")),
        _ => Ok(()),
    }
}

/// Copies a framed stream frame by frame, decoding and validating each, in constant memory.
fn copy_stream(input: &Path, output: &Path) -> Result<(), String> {
    use graph_signature::codec::framed::{FrameReader, FrameWriter};
    let reader: Box<dyn Read> = if input == Path::new("-") {
        Box::new(io::stdin().lock())
    } else {
        Box::new(File::open(input).map_err(|e| io_error(input, e))?)
    };
    let copy = |w: &mut dyn Write| -> Result<(), Error> {
        let mut writer = FrameWriter::new(w);
        for sig in FrameReader::new(BufReader::new(reader)) {
            writer.write(&sig?)?;
        }
        writer.flush()
    };
    if output == Path::new("-") {
        copy(&mut io::BufWriter::new(io::stdout().lock())).map_err(|e| describe(input, &e))
    } else {
        atomic::write_atomic(output, |w| copy(w)).map_err(|e| describe(input, &e))
    }
}
