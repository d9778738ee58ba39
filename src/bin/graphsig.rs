//! `graphsig`: a thin command line over the `graph_signature` library.

use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};
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
    /// PATH is a torch signature JSON (the `graph_module.signature` object) or a whole
    /// exported-program JSON (`models/model.json`, `serialized_exported_program.json`);
    /// `-` reads standard input.
    ///
    /// Example: graphsig inspect examples/linear.model.json
    #[command(verbatim_doc_comment)]
    Inspect {
        /// Print every accessor (parameters, inputs_to_buffers, backward_signature, ...) as
        /// one JSON object instead of the text form.
        #[arg(long)]
        json: bool,
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
        Command::Inspect { json, path } => {
            let sig = load(&path).map_err(|e| describe(&path, &e))?;
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

/// Reads a signature from a file or standard input.
fn load(path: &Path) -> Result<ExportGraphSignature, Error> {
    let bytes = if path == Path::new("-") {
        let mut buf = Vec::new();
        io::stdin().read_to_end(&mut buf)?;
        buf
    } else {
        std::fs::read(path).map_err(|e| Error::from(e).with_path(path))?
    };
    Ok(torch_json::decode(&bytes)?.signature)
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
