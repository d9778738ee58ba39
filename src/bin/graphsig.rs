//! `graphsig`: a thin command line over the `graph_signature` library.

use std::fs::File;
use std::io::{self, BufReader, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use graph_signature::archive::pt2;
use graph_signature::codec::torch_json;
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
    /// PATH is a torch signature JSON (the `graph_module.signature` object), a whole
    /// exported-program JSON (`models/model.json`, `serialized_exported_program.json`),
    /// or an archive written by torch.export.save (`.pt2`, either layout);
    /// `-` reads standard input.
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
    }
}

/// Reads a signature from a file or standard input: an archive (by its zip magic) or JSON.
/// An archive file is read in place, so only its directory and model records are read.
fn load(path: &Path, model: Option<&str>) -> Result<ExportGraphSignature, String> {
    let fail = |e: Error| describe(path, &e);
    let io_fail = |e: io::Error| describe(path, &Error::from(e).with_path(path));
    let models = if path == Path::new("-") {
        let mut bytes = Vec::new();
        io::stdin().read_to_end(&mut bytes).map_err(|e| format!("<stdin>: {e}"))?;
        if !pt2::looks_like_zip(&bytes) {
            return json_only(path, model, &bytes);
        }
        pt2::read(io::Cursor::new(bytes)).map_err(fail)?
    } else {
        let mut file = File::open(path).map_err(io_fail)?;
        let mut magic = [0u8; 4];
        let n = file.read(&mut magic).map_err(io_fail)?;
        file.seek(SeekFrom::Start(0)).map_err(io_fail)?;
        if !pt2::looks_like_zip(&magic[..n]) {
            let mut bytes = Vec::new();
            file.read_to_end(&mut bytes).map_err(io_fail)?;
            return json_only(path, model, &bytes);
        }
        pt2::read(BufReader::new(file)).map_err(fail)?
    };
    pick_model(path, models, model)
}

fn json_only(path: &Path, model: Option<&str>, bytes: &[u8]) -> Result<ExportGraphSignature, String> {
    if model.is_some() {
        return Err(format!("{}: --model applies to archives, and this is not one", path.display()));
    }
    torch_json::decode(bytes).map(|t| t.signature).map_err(|e| describe(path, &e))
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
                path.display(),
                names.join(", ")
            ))
        }
    }
}

fn describe(path: &Path, err: &Error) -> String {
    match err {
        Error::Io { path: Some(_), .. } => err.to_string(),
        _ if path == Path::new("-") => format!("<stdin>: {err}"),
        _ => format!("{}: {err}", path.display()),
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
