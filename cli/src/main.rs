//! `graphsig`: a thin command line over the `graph_signature` library. The contract of
//! each subcommand is in `docs/cli.md`.

use std::fs::File;
use std::io::{self, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::builder::PossibleValuesParser;
use clap::{CommandFactory, Parser, Subcommand};
use graph_signature::summary::Summary;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod input;
mod scan_show;
mod show;

use graph_signature::archive::atomic::{self, WriteOptions};
use graph_signature::archive::embed::check_matches_program;
use graph_signature::archive::{pt2, safetensors};
use graph_signature::codec::{self, torch_json, Document, Format};
use graph_signature::map::{ArchiveMap, Profile, Severity};
use graph_signature::read::{FileKind, ReadOptions, Source};
use graph_signature::Error;
use input::{display, io_error, load, load_all, load_with_meta, read_all, Failure};

/// The format names `--from` and `--to` take (shell completions offer them).
fn format_parser() -> impl clap::builder::TypedValueParser<Value = Format> {
    use clap::builder::TypedValueParser;
    PossibleValuesParser::new(Format::ALL.iter().map(|f| f.name())).map(|name| name.parse::<Format>().expect("listed"))
}

/// Read, check and convert torch.export graph signatures.
#[derive(Parser)]
#[command(
    name = "graphsig",
    version,
    about = "Read, check, compare and convert torch.export graph signatures (.pt2, torch JSON, our formats).",
    after_help = "Examples:\n  graphsig inspect model.pt2\n  graphsig validate model.pt2\n  graphsig diff old.pt2 new.pt2\n  \
                  graphsig convert model.pt2 sig.pb\n\nEvery command's contract: \
                  https://github.com/graph-signature/graph-signature/blob/main/docs/cli.md"
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
        /// In an archive holding several programs, the one to read (required there; the
        /// error lists them).
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
    /// its position and a hint. An archive of several programs has each checked. Temporary
    /// files left beside a file by an interrupted write are reported. Exit status: 0 all
    /// valid, 1 some invalid, 2 some file could not be read.
    ///
    /// Examples:
    ///   graphsig validate model.pt2
    ///   graphsig validate exports/*.pt2
    #[command(verbatim_doc_comment)]
    Validate {
        /// The files to check (any signature graphsig reads), `-` for standard input.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// In archives holding several programs, the one to check (default: every one).
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
        /// In archives holding several programs, the one to compare (in both files).
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
    /// is standard input or output. OUT may not be IN itself.
    ///
    /// Our formats keep the metadata of the signature's values (dtypes, shapes with symbolic
    /// sizes, devices, range constraints) when the input has it: a .pt2's program, or a
    /// schema 1.1 document. The output is then schema 1.1; --no-meta writes 1.0 without it.
    /// torch-json carries no metadata.
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
        /// The file to write (atomically, keeping its mode and links), or `-` for standard
        /// output.
        output: PathBuf,
        /// The input format, when content should not decide.
        #[arg(long, value_name = "FORMAT", value_parser = format_parser())]
        from: Option<Format>,
        /// The output format, when OUT's extension does not tell.
        #[arg(long, value_name = "FORMAT", value_parser = format_parser())]
        to: Option<Format>,
        /// With --to torch-json: the torch release (2.3 to 2.15, e.g. `2.9.1`) or schema
        /// (`8.14`) to write for. What that release cannot hold is refused with the reason.
        #[arg(long, value_name = "VERSION", requires = "to")]
        target: Option<torch_json::TorchTarget>,
        /// With --to torch-json: instead of refusing, write the closest form of a spec torch
        /// would read back changed (a CustomObj user input or output), cannot write itself
        /// (a SymBool one), or has no field for (a target or persistent flag where torch's
        /// JSON has none: dropped), and a constant user input as torch 2.3 wrote it (its
        /// name lost). What the target release has no way to say at all stays refused
        /// (PARAMETER_MUTATION before 2.9, SymFloat before 2.6, tokens before 2.4).
        #[arg(long, requires = "to")]
        lossy: bool,
        /// Write the signature alone (schema 1.0), without the metadata of its values.
        #[arg(long)]
        no_meta: bool,
        /// In an archive holding several programs, the one to convert.
        #[arg(long, value_name = "NAME")]
        model: Option<String>,
        /// Replace OUT even if it is read-only.
        #[arg(long)]
        force: bool,
    },
    /// Show what every graph input and output of a .pt2 binds to.
    ///
    /// Show what every graph input and output of a .pt2 binds to, read without executing a
    /// pickle and without reading a weight: for each input, the payload of the archive that
    /// holds it (record, absolute byte offset, length, dtype, shape, strides), the caller's
    /// argument at a pytree path (`args[0]`, `kwargs['mask']`), a constant, a custom object
    /// or a token; for each output, the caller's returned value at a path, a write-back
    /// into a buffer, parameter or user input, a gradient, the loss or a token; the range
    /// constraints of the symbolic sizes; and the consistency checks with their rule codes.
    /// Exit status: 0 no check failed, 1 a check failed (an error, not a warning), 2 the
    /// file could not be read.
    ///
    /// Examples:
    ///   graphsig map model.pt2
    ///   graphsig map --json model.pt2 | jq .tensors
    ///   graphsig map --strict model.pt2      # also torch's canonical input order
    #[command(verbatim_doc_comment)]
    Map {
        /// The archive (`.pt2`), or `-` for standard input.
        path: PathBuf,
        /// Print the map as one JSON object (contract in docs/cli.md).
        #[arg(long)]
        json: bool,
        /// Also check torch's canonical input order (what torch's C++ NativeRT requires).
        #[arg(long)]
        strict: bool,
        /// In an archive holding several programs, the one to map (required there).
        #[arg(long, value_name = "NAME")]
        model: Option<String>,
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
    /// of the header's `__metadata__`. The metadata of the signature's values goes with it
    /// (schema 1.1): the program's own, or what --signature's file carries; --no-meta leaves
    /// it out (schema 1.0). Every other
    /// record, tensor and byte is left as it was; the file is replaced atomically (its mode,
    /// owner and links kept), so it is intact if anything fails. torch.export.load and
    /// safetensors still load it. A signature given with --signature must match the
    /// program's graph (its input and output names, in order) unless --force.
    ///
    /// Examples:
    ///   graphsig embed model.pt2                      # the archive's own signature
    ///   graphsig embed weights.safetensors --signature model.pt2 -o out.safetensors
    ///   graphsig embed model.pt2 -o - | upload        # to standard output
    #[command(verbatim_doc_comment)]
    Embed {
        /// The archive to embed into (`.pt2` or `.safetensors`).
        archive: PathBuf,
        /// Where the signature comes from (any file `inspect` reads); default: the
        /// archive's own model JSON (for a `.pt2`).
        #[arg(long, value_name = "PATH")]
        signature: Option<PathBuf>,
        /// The program, in a `.pt2` holding several (required there).
        #[arg(long, value_name = "NAME")]
        model: Option<String>,
        /// Write the result here instead of replacing ARCHIVE (`-`: standard output).
        #[arg(short, long, value_name = "PATH")]
        output: Option<PathBuf>,
        /// Embed the signature alone (schema 1.0), without the metadata of its values.
        #[arg(long)]
        no_meta: bool,
        /// Replace a read-only file, and embed a --signature that does not match the
        /// program's graph.
        #[arg(long)]
        force: bool,
    },
    /// Write out the signature embedded in an archive by `graphsig embed`.
    ///
    /// Writes what was embedded: with the metadata of the signature's values (schema 1.1)
    /// when the embedded record has it (torch-json carries none).
    ///
    /// Examples:
    ///   graphsig extract model.pt2                     # our JSON on standard output
    ///   graphsig extract model.pt2 --to proto -o sig.pb
    #[command(verbatim_doc_comment)]
    Extract {
        /// The archive (`.pt2` or `.safetensors`).
        archive: PathBuf,
        /// The program, in a `.pt2` holding several embedded signatures (required there).
        #[arg(long, value_name = "NAME")]
        model: Option<String>,
        /// The format to write: json, proto, fbs, bincode or torch-json.
        #[arg(long, value_name = "FORMAT", default_value = "json", value_parser = format_parser())]
        to: Format,
        /// The file to write (atomically), or `-` for standard output.
        #[arg(short, long, value_name = "PATH", default_value = "-")]
        output: PathBuf,
        /// Replace the output file even if it is read-only.
        #[arg(long)]
        force: bool,
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
        /// Replace OUTPUT even if it is read-only.
        #[arg(long)]
        force: bool,
    },
    /// Scan model files for pickles that run code when torch loads them.
    ///
    /// Every pickle a torch loader would unpickle, at any depth (zips inside zips): in
    /// `.pt2` archives of every layout and release, `torch.save` files (.pt, .pth, .bin,
    /// zip or legacy), TorchScript archives and bare pickles; `.safetensors` headers are
    /// checked for sanity. Nothing is executed. Each pickle is judged by an allow-list
    /// (torch's own weights-only unpickler's): safe, needs-trust (TorchScript custom
    /// objects and opaque objects: their class's library runs), dangerous (any other global
    /// or call) or malformed. Directories are searched recursively for .pt2 .pt .pth .bin
    /// .ckpt .pkl .pickle .safetensors files and scanned in parallel. Exit status: 0 when no
    /// file is dangerous or malformed (or reaches --fail-on), 1 when one is, 2 when a path
    /// could not be read. The verdicts, the loaders of each torch release and the JSON
    /// schema: docs/scan.md.
    ///
    /// Examples:
    ///   graphsig scan model.pt2
    ///   graphsig scan --json uploads/ > report.json
    ///   graphsig scan --fail-on needs-trust models/
    #[command(verbatim_doc_comment)]
    Scan {
        /// Files or directories to scan.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// Print the report as JSON (schema in docs/scan.md).
        #[arg(long)]
        json: bool,
        /// The verdict from which a file fails the scan (exit 1): needs-trust, malformed
        /// (default: malformed and dangerous fail) or dangerous.
        #[arg(long, value_name = "VERDICT", default_value = "malformed",
              value_parser = PossibleValuesParser::new(["needs-trust", "malformed", "dangerous"]))]
        fail_on: String,
        /// Threads to scan with (default: one per core).
        #[arg(long, short = 'j', value_name = "N", default_value_t = 0)]
        jobs: usize,
        /// List every pickle of every file with its globals, not only what fails.
        #[arg(long, short = 'v')]
        verbose: bool,
        /// No progress line (it is shown only when standard error is a terminal).
        #[arg(long)]
        no_progress: bool,
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
    if cli.command.writes_files() {
        remove_temporaries_on_termination();
    }
    match cli.command {
        Command::Validate { paths, model } => validate(&paths, model.as_deref()),
        Command::Map { path, json, strict, model } => map(&path, json, strict, model.as_deref()),
        Command::Diff { old, new, json, model } => diff(&old, &new, json, model.as_deref()),
        Command::Scan { paths, json, fail_on, jobs, verbose, no_progress } => scan_show::run(&scan_show::ScanArgs {
            paths,
            json,
            fail_on: fail_on.parse().expect("one of the listed values"),
            jobs,
            verbose,
            progress: !no_progress,
        }),
        command => match run(command) {
            Ok(()) => ExitCode::SUCCESS,
            Err(failure) => fail(&failure),
        },
    }
}

impl Command {
    fn writes_files(&self) -> bool {
        matches!(
            self,
            Command::Convert { .. } | Command::Embed { .. } | Command::Extract { .. } | Command::Stream { .. }
        )
    }
}

/// On SIGINT, SIGTERM or SIGHUP: remove the temporary file of a write under way (a write
/// replacing its file finishes first), then exit as the signal would (128 + its number).
fn remove_temporaries_on_termination() {
    use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
    // Without the handler the default action still kills the process: a temporary file may
    // then stay behind, which the next write of that file removes.
    let Ok(mut signals) = signal_hook::iterator::Signals::new([SIGINT, SIGTERM, SIGHUP]) else { return };
    std::thread::spawn(move || {
        if let Some(signal) = signals.forever().next() {
            atomic::abort_pending_writes();
            std::process::exit(128 + signal);
        }
    });
}

/// Reports a failure on standard error; exit status 2.
fn fail(failure: &Failure) -> ExitCode {
    eprintln!("graphsig: error: {failure}");
    ExitCode::from(2)
}

fn run(command: Command) -> Result<(), Failure> {
    match command {
        Command::Inspect { json, table, summary, model, path } => {
            let loaded = load(&path, &ReadOptions::model(model.as_deref()))?;
            let sig = loaded.signature;
            let text = if json {
                let mut s = serde_json::to_string_pretty(&sig.accessors()).map_err(|e| e.to_string())?;
                s.push('\n');
                s
            } else if table {
                // The program's metadata, when the file is an archive (the map's first part).
                let meta = match loaded.kind {
                    FileKind::Archive(_) if path != Path::new("-") => {
                        ArchiveMap::open(&path, loaded.model.as_deref()).ok()
                    }
                    _ => None,
                };
                show::render_table(&sig, meta.as_ref(), show::Style::for_stdout())
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
        Command::Validate { .. } | Command::Diff { .. } | Command::Map { .. } | Command::Scan { .. } => {
            unreachable!("handled in main, with their own exit codes")
        }
        Command::Embed { archive, signature, model, output, no_meta, force } => {
            embed(&archive, signature.as_deref(), model.as_deref(), output.as_deref(), no_meta, force)
        }
        Command::Convert { input, output, from, to, target, lossy, no_meta, model, force } => {
            let to = match to.or_else(|| output_format(&output)) {
                Some(to) => to,
                None if output == Path::new("-") => {
                    return Err(Failure::Msg("give the format of standard output with --to".to_owned()));
                }
                None => {
                    return Err(Failure::Msg(format!(
                        "{}: cannot tell the output format from the extension (.json, .pb, .binpb, .gsig, .bincode); \
                         give --to json|proto|fbs|bincode|torch-json",
                        output.display()
                    )))
                }
            };
            // Metadata is kept for our formats; torch's JSON has no place for it.
            let keep_meta = !no_meta && to != Format::TorchJson;
            let mut doc = match from {
                Some(from) => {
                    if model.is_some() {
                        return Err(Failure::Msg(
                            "--model applies to archives, and --from names a document format".to_owned(),
                        ));
                    }
                    let bytes = read_all(&input)?;
                    codec::decode_document(&bytes, from).map_err(|e| Failure::at(&input, e))?
                }
                None if keep_meta => load_with_meta(&input, &ReadOptions::model(model.as_deref()))?.to_document(),
                None => Document::new(load(&input, &ReadOptions::model(model.as_deref()))?.signature),
            };
            if !keep_meta {
                doc.meta = None;
            }
            let bytes = if to == Format::TorchJson {
                let options = torch_json::WriteOptions { target: target.unwrap_or_default(), lossy };
                torch_json::encode(&doc.signature, &options)
            } else if target.is_some() || lossy {
                return Err(Failure::Msg("--target and --lossy apply to --to torch-json".to_owned()));
            } else {
                codec::encode_document(&doc, to)
            }
            .map_err(|e| format!("{}: {e}", display(&input)))?;
            write_output(&output, &[&input], force, &bytes)
        }
        Command::Extract { archive, model, to, output, force } => {
            let options = ReadOptions { model, source: Source::Embedded };
            let mut doc = load(&archive, &options)?.to_document();
            if to == Format::TorchJson {
                doc.meta = None;
            }
            let bytes = codec::encode_document(&doc, to).map_err(|e| format!("{}: {e}", display(&archive)))?;
            write_output(&output, &[&archive], force, &bytes)
        }
        Command::Stream { input, output, force } => copy_stream(&input, &output, force),
    }
}

/// Writes `bytes` to standard output (`-`) or, keeping the user's file, to `output`,
/// refusing to write over one of `inputs`.
fn write_output(output: &Path, inputs: &[&Path], force: bool, bytes: &[u8]) -> Result<(), Failure> {
    if output == Path::new("-") {
        return write_stdout(bytes);
    }
    let options = WriteOptions { force, ..WriteOptions::reading(inputs) };
    atomic::write_file(output, &options, |w| Ok(w.write_all(bytes)?)).map_err(|e| Failure::at(output, e))
}

/// `embed`: the signature (the archive's own, or `--signature`'s checked against the
/// program's graph) into the archive, in place, into `-o OUT`, or to standard output.
fn embed(
    archive: &Path,
    signature: Option<&Path>,
    model: Option<&str>,
    output: Option<&Path>,
    no_meta: bool,
    force: bool,
) -> Result<(), Failure> {
    let options = ReadOptions { model: model.map(str::to_owned), source: Source::Program };
    // The archive's own program, with its metadata when that is what gets embedded.
    let target =
        if signature.is_none() && !no_meta { load_with_meta(archive, &options) } else { load(archive, &options) };
    let (doc, model) = match (signature, target) {
        (None, Ok(own)) => (own.to_document(), own.model),
        (None, Err(failure)) => match failure.error() {
            Some(Error::Unrecognized { .. }) if input::is_safetensors(archive) => {
                return Err(Failure::Msg(format!(
                    "{}: a .safetensors file has no signature of its own; give one with --signature",
                    display(archive)
                )))
            }
            _ => return Err(failure),
        },
        (Some(source), target) => {
            let doc = if no_meta {
                Document::new(load(source, &ReadOptions::default())?.signature)
            } else {
                load_with_meta(source, &ReadOptions::default())?.to_document()
            };
            let model = match target {
                Ok(own) => {
                    if !force {
                        check_matches_program(&doc.signature, &own.signature).map_err(|e| match e {
                            Error::Mismatch { reason } => Failure::Msg(format!(
                                "{}: does not match the program in {}: {reason}; embed it anyway with --force",
                                display(source),
                                display(archive)
                            )),
                            other => Failure::at(source, other),
                        })?;
                    }
                    own.model
                }
                // A .safetensors file has no program to check against.
                Err(_) if input::is_safetensors(archive) => None,
                Err(failure) => return Err(failure),
            };
            (doc, model)
        }
    };
    let mut doc = doc;
    if no_meta {
        doc.meta = None;
    }
    let payload = codec::encode_document(&doc, Format::Json).map_err(|e| e.to_string())?;
    let output = output.unwrap_or(archive);
    let to_stdout = output == Path::new("-");
    let file = File::open(archive).map_err(|e| io_error(archive, e))?;
    let options = WriteOptions { in_place: true, force, ..WriteOptions::default() };
    let result = if let Some(model) = model {
        if to_stdout {
            pt2::embed_into(BufReader::new(file), &mut io::stdout().lock(), &model, &payload)
        } else {
            pt2::embed(archive, output, &model, &payload, &options)
        }
    } else {
        let text = String::from_utf8(payload).expect("our JSON is UTF-8");
        if to_stdout {
            let len = file.metadata().map_err(|e| io_error(archive, e))?.len();
            safetensors::embed_into(BufReader::new(file), len, &mut io::stdout().lock(), &text)
        } else {
            safetensors::embed(archive, output, &text, &options)
        }
    };
    result.map_err(|e| Failure::at(if to_stdout { archive } else { output }, e))
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
        let mut report = String::new();
        for stale in atomic::stale_temporaries(path) {
            report.push_str(&format!(
                "{}: note: {} was left by an interrupted write; remove it (the next write of this file does)\n",
                display(path),
                stale.display()
            ));
        }
        let reads = match load_all(path, &ReadOptions::model(model)) {
            Ok(reads) => reads.into_iter().map(Ok).collect(),
            Err(failure) => vec![Err(failure)],
        };
        let several = reads.len() > 1;
        for read in reads {
            let (status, text) = match read {
                Ok(loaded) => {
                    let label = match (&loaded.model, several) {
                        (Some(m), true) => format!("{} [model {m}]", display(path)),
                        _ => display(path),
                    };
                    let sig = &loaded.signature;
                    match sig.lint().as_slice() {
                        [] => (0, show::render_valid(&label, sig)),
                        violations => (1, show::render_violations(&label, violations)),
                    }
                }
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
            report.push_str(&text);
        }
        if let Err(failure) = write_stdout(report.as_bytes()) {
            return fail(&failure);
        }
    }
    ExitCode::from(worst)
}

/// `map`: 0 no check failed, 1 a check failed, 2 unreadable.
fn map(path: &Path, json: bool, strict: bool, model: Option<&str>) -> ExitCode {
    let built = if path == Path::new("-") {
        input::read_stdin_archive().and_then(|bytes| {
            let mut archive = graph_signature::archive::pt2::Archive::new(io::Cursor::new(bytes))
                .map_err(|e| Failure::at(path, e))?;
            let name = archive.select_model(model).map_err(|e| Failure::at(path, e))?.to_owned();
            ArchiveMap::build(&mut archive, &name).map_err(|e| Failure::at(path, e))
        })
    } else {
        ArchiveMap::open(path, model).map_err(|e| Failure::at(path, e))
    };
    let map = match built {
        Ok(map) => map,
        Err(failure) => return fail(&failure),
    };
    let profile = if strict { Profile::Strict } else { Profile::Default };
    let findings = map.check(profile);
    let text = if json {
        let mut bytes = Vec::new();
        map.write_json(profile, &mut bytes).expect("a map serializes into memory");
        bytes.push(b'\n');
        String::from_utf8(bytes).expect("JSON is UTF-8")
    } else {
        show::render_map(&map, &findings, show::Style::for_stdout())
    };
    match write_stdout(text.as_bytes()) {
        Ok(()) => ExitCode::from(u8::from(findings.iter().any(|f| f.severity == Severity::Error))),
        Err(failure) => fail(&failure),
    }
}

/// `diff`: 0 same, 1 different, 2 trouble.
fn diff(old: &Path, new: &Path, json: bool, model: Option<&str>) -> ExitCode {
    let options = ReadOptions::model(model);
    let (a, b) = match (load(old, &options), load(new, &options)) {
        (Ok(a), Ok(b)) => (a.signature, b.signature),
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
fn copy_stream(input: &Path, output: &Path, force: bool) -> Result<(), Failure> {
    use graph_signature::codec::framed::{FrameReader, FrameWriter};
    let reader: Box<dyn Read> = if input == Path::new("-") {
        Box::new(io::stdin().lock())
    } else {
        Box::new(File::open(input).map_err(|e| io_error(input, e))?)
    };
    let copy = |w: &mut dyn Write| -> Result<(), Error> {
        let mut writer = FrameWriter::new(w);
        // Documents, so that a 1.1 frame keeps its metadata.
        let mut frames = FrameReader::new(BufReader::new(reader));
        while let Some(doc) = frames.read_next_document()? {
            writer.write_document(&doc)?;
        }
        writer.flush()
    };
    if output == Path::new("-") {
        copy(&mut io::BufWriter::new(io::stdout().lock())).map_err(|e| Failure::at(input, e))
    } else {
        let options = WriteOptions { force, ..WriteOptions::reading([input]) };
        atomic::write_file(output, &options, |w| copy(w)).map_err(|e| match e {
            e @ (Error::Refused { .. } | Error::Io { .. }) => Failure::at(output, e),
            e => Failure::at(input, e),
        })
    }
}
