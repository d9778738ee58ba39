//! `graphsig`: a thin command line over the `graph_signature` library. The contract of
//! each subcommand is in `docs/cli.md`.

use std::fs::File;
use std::io::{self, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand};
use graph_signature::summary::Summary;

mod input;
mod show;

use graph_signature::archive::{atomic, pt2, safetensors};
use graph_signature::codec::{self, torch_json, Format};
use graph_signature::Error;
use input::{display, embedded, io_error, load, load_from_model_json, read_all, sniff_path, Failure, Kind};

/// Read, check and convert torch.export graph signatures.
#[derive(Parser)]
#[command(
    name = "graphsig",
    version,
    about = "Read, check, compare and convert torch.export graph signatures (.pt2, torch JSON, our formats).",
    after_help = "Examples:\n  graphsig inspect model.pt2\n  graphsig validate model.pt2\n  graphsig diff old.pt2 new.pt2\n  \
                  graphsig convert model.pt2 sig.pb\n\nEvery command's contract: docs/cli.md"
)]
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
    ///   graphsig inspect --summary llama.pt2
    #[command(verbatim_doc_comment)]
    Inspect {
        /// Print every accessor (parameters, inputs_to_buffers, backward_signature, ...) as
        /// one JSON object instead of the text form.
        #[arg(long, conflicts_with_all = ["table", "summary"])]
        json: bool,
        /// Print aligned columns (index, name, kind, target, persistent, argument), in
        /// colour when standard output is a terminal and NO_COLOR is not set.
        #[arg(long, conflicts_with = "summary")]
        table: bool,
        /// Print counts per kind, and parameters and buffers grouped by module with layer
        /// indices folded (`layers.*.mlp`): for large models.
        #[arg(long)]
        summary: bool,
        /// In an archive holding several models, the one to read (default: `model`, the
        /// one torch.export.load returns).
        #[arg(long, value_name = "NAME")]
        model: Option<String>,
        /// The file to read, or `-` for standard input.
        path: PathBuf,
    },
    /// Check signatures against every rule and list every problem.
    ///
    /// Check signatures against every rule of the model and report every problem.
    ///
    /// The spec rules (what torch's own constructors, serializer and accessors enforce: a
    /// target for lifted state and mutations, persistent for buffers, the argument type
    /// each kind allows, at most one loss) and the graph rules (unique input names, outputs
    /// in torch's order, mutation targets that name an input). Every problem is listed with
    /// its position and a hint. Exit status: 0 all valid, 1 some invalid, 2 some file could
    /// not be read.
    ///
    /// Examples:
    ///   graphsig validate model.pt2
    ///   graphsig validate exports/*.pt2
    #[command(verbatim_doc_comment)]
    Validate {
        /// The files to check (any signature graphsig reads), `-` for standard input.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// In archives holding several models, the one to check.
        #[arg(long, value_name = "NAME")]
        model: Option<String>,
    },
    /// Show what changed between two signatures.
    ///
    /// Show what changed between two signatures: specs added, removed, re-kinded,
    /// re-targeted, renamed, or with a new persistent flag.
    ///
    /// Lifted state is matched by target (a parameter that became a buffer is one change),
    /// mutation and gradient outputs by kind and target, user inputs, user outputs and
    /// tokens by position. OLD and NEW may be in different formats. Exit status as diff(1):
    /// 0 same, 1 different, 2 trouble.
    ///
    /// Examples:
    ///   graphsig diff v1/model.pt2 v2/model.pt2
    ///   graphsig diff --json old.json new.pb
    #[command(verbatim_doc_comment)]
    Diff {
        /// The old signature (any file graphsig reads).
        old: PathBuf,
        /// The new signature.
        new: PathBuf,
        /// Print the changes as one JSON object (`{"changes": [...]}`).
        #[arg(long)]
        json: bool,
        /// In archives holding several models, the one to compare.
        #[arg(long, value_name = "NAME")]
        model: Option<String>,
    },
    /// Convert a signature from one format to another, through the validated model.
    ///
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
    /// Store a signature inside a .pt2 or .safetensors archive.
    ///
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
    /// Copy a framed stream of signatures, validating every frame.
    ///
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
    /// Print a shell completion script.
    ///
    /// Examples:
    ///   graphsig completions bash > ~/.local/share/bash-completion/completions/graphsig
    ///   graphsig completions zsh > ~/.zfunc/_graphsig
    ///   graphsig completions fish > ~/.config/fish/completions/graphsig.fish
    #[command(verbatim_doc_comment)]
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Validate { paths, model } => validate(&paths, model.as_deref()),
        Command::Diff { old, new, json, model } => diff(&old, &new, json, model.as_deref()),
        command => match run(command) {
            Ok(()) => ExitCode::SUCCESS,
            Err(failure) => fail(&failure),
        },
    }
}

/// Reports a failure on standard error; exit status 2.
fn fail(failure: &Failure) -> ExitCode {
    eprintln!("graphsig: error: {failure}");
    ExitCode::from(2)
}

fn run(command: Command) -> Result<(), Failure> {
    match command {
        Command::Inspect { json, table, summary, model, path } => {
            let sig = load(&path, model.as_deref())?;
            let text = if json {
                let mut s = serde_json::to_string_pretty(&sig.accessors()).map_err(|e| e.to_string())?;
                s.push('\n');
                s
            } else if table {
                show::render_table(&sig, show::Style::for_stdout())
            } else if summary {
                Summary::of(&sig).to_string()
            } else {
                // `print(sig)` writes str(sig) and a newline.
                format!("{sig}\n")
            };
            write_stdout(text.as_bytes())
        }
        Command::Completions { shell } => {
            let mut bytes = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "graphsig", &mut bytes);
            write_stdout(&bytes)
        }
        Command::Validate { .. } | Command::Diff { .. } => unreachable!("handled in main, with their own exit codes"),
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
                        return Err(Failure::Msg(format!("{}: --model applies to .pt2 archives", archive.display())));
                    }
                    let bytes = codec::encode(&sig, Format::Json).map_err(|e| e.to_string())?;
                    let text = String::from_utf8(bytes).map_err(|e| e.to_string())?;
                    safetensors::embed(&archive, output, &text)
                }
                Kind::Other => {
                    return Err(Failure::Msg(format!(
                        "{}: not a .pt2 archive nor a .safetensors file",
                        archive.display()
                    )));
                }
            }
            .map_err(|e| Failure::at(output, e))
        }
        Command::Convert { input, output, from, to, target, lossy } => {
            let to = match to.or_else(|| output_format(&output)) {
                Some(to) => to,
                None if output == Path::new("-") => {
                    return Err(Failure::Msg("give the format of standard output with --to".to_owned()));
                }
                None => {
                    return Err(Failure::Msg(format!(
                        "{}: cannot tell the output format from the extension; give --to",
                        output.display()
                    )))
                }
            };
            let sig = match from {
                Some(from) => {
                    let bytes = read_all(&input)?;
                    codec::decode(&bytes, from).map_err(|e| Failure::at(&input, e))?
                }
                None => load(&input, None)?,
            };
            let bytes = if to == Format::TorchJson {
                let options = torch_json::WriteOptions { target: target.unwrap_or_default(), lossy };
                torch_json::encode(&sig, &options)
            } else if target.is_some() || lossy {
                return Err(Failure::Msg("--target and --lossy apply to --to torch-json".to_owned()));
            } else {
                codec::encode(&sig, to)
            }
            .map_err(|e| format!("{}: {e}", display(&input)))?;
            if output == Path::new("-") {
                write_stdout(&bytes)
            } else {
                atomic::write_atomic(&output, |w| Ok(w.write_all(&bytes)?)).map_err(|e| Failure::at(&output, e))
            }
        }
        Command::Extract { archive, model, to, output } => {
            let sig = match embedded(&archive, model.as_deref())? {
                Some(sig) => sig,
                None => {
                    return Err(Failure::Msg(format!(
                        "{}: no embedded signature (add one with `graphsig embed {}`)",
                        archive.display(),
                        archive.display()
                    )))
                }
            };
            let bytes = codec::encode(&sig, to).map_err(|e| format!("{}: {e}", archive.display()))?;
            if output == Path::new("-") {
                write_stdout(&bytes)
            } else {
                atomic::write_atomic(&output, |w| Ok(w.write_all(&bytes)?)).map_err(|e| Failure::at(&output, e))
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

/// `validate`: 0 all valid, 1 some invalid, 2 some unreadable (the worst wins).
fn validate(paths: &[PathBuf], model: Option<&str>) -> ExitCode {
    let mut worst = 0u8;
    for path in paths {
        let (status, report) = match load(path, model) {
            Ok(sig) => match sig.lint().as_slice() {
                [] => {
                    let (i, o) = (sig.input_specs().len(), sig.output_specs().len());
                    (0, format!("{}: valid ({i} inputs, {o} outputs)\n", display(path)))
                }
                violations => (1, show::render_violations(&display(path), violations)),
            },
            // Readable, but breaking the spec rules: every violation was collected.
            Err(failure) => match failure.invalid() {
                Some(invalid) => (1, show::render_violations(&display(path), invalid.violations())),
                None => {
                    eprintln!("graphsig: error: {failure}");
                    worst = worst.max(2);
                    continue;
                }
            },
        };
        worst = worst.max(status);
        if let Err(failure) = write_stdout(report.as_bytes()) {
            return fail(&failure);
        }
    }
    ExitCode::from(worst)
}

/// `diff`: 0 same, 1 different, 2 trouble.
fn diff(old: &Path, new: &Path, json: bool, model: Option<&str>) -> ExitCode {
    let (a, b) = match (load(old, model), load(new, model)) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(failure), _) | (_, Err(failure)) => return fail(&failure),
    };
    let d = graph_signature::diff::diff(&a, &b);
    let text = if json { serde_json::to_string_pretty(&d).expect("a diff serializes") + "\n" } else { d.to_string() };
    match write_stdout(text.as_bytes()) {
        Ok(()) => ExitCode::from(u8::from(!d.is_empty())),
        Err(failure) => fail(&failure),
    }
}

/// Writes to standard output; a closed pipe (`graphsig inspect x | head`) is not an error.
fn write_stdout(bytes: &[u8]) -> Result<(), Failure> {
    let mut out = io::stdout().lock();
    match out.write_all(bytes).and_then(|()| out.flush()) {
        Err(e) if e.kind() != io::ErrorKind::BrokenPipe => {
            Err(Failure::Msg(format!("cannot write to standard output: {e}")))
        }
        _ => Ok(()),
    }
}

/// Copies a framed stream frame by frame, decoding and validating each, in constant memory.
fn copy_stream(input: &Path, output: &Path) -> Result<(), Failure> {
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
        copy(&mut io::BufWriter::new(io::stdout().lock())).map_err(|e| Failure::at(input, e))
    } else {
        atomic::write_atomic(output, |w| copy(w)).map_err(|e| Failure::at(input, e))
    }
}
