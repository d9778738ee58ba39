//! Reading signatures from whatever the user points at (through the library's
//! `graph_signature::read`), and the failures that come of it.

use std::fmt;
use std::io::{self, Read};
use std::path::Path;

use graph_signature::read::{Loaded, ReadOptions};
use graph_signature::Error;

/// Why a command failed: a library error about a file, or a message of our own.
pub enum Failure {
    /// `Error` about the file shown as the string.
    At(String, Error),
    /// A complete message.
    Msg(String),
}

impl Failure {
    pub fn at(path: &Path, error: Error) -> Self {
        Failure::At(display(path), error)
    }

    /// The library error, if the failure is one.
    pub fn error(&self) -> Option<&Error> {
        match self {
            Failure::At(_, e) => Some(e),
            Failure::Msg(_) => None,
        }
    }

    /// The validation error, if the input was readable but broke the spec rules.
    pub fn invalid(&self) -> Option<&graph_signature::ValidationError> {
        match self.error() {
            Some(Error::Invalid(v)) => Some(v),
            _ => None,
        }
    }
}

impl From<String> for Failure {
    fn from(message: String) -> Self {
        Failure::Msg(message)
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            // Errors that carry their path say it themselves.
            Failure::At(_, e @ (Error::Io { path: Some(_), .. } | Error::Refused { .. })) => e.fmt(f),
            Failure::At(path, e) => write!(f, "{path}: {e}"),
            Failure::Msg(m) => f.write_str(m),
        }
    }
}

/// The bytes of a file or of standard input, at most a signature document's limit.
pub fn read_all(path: &Path) -> Result<Vec<u8>, Failure> {
    let limit = graph_signature::read::MAX_DOCUMENT;
    let mut bytes = Vec::new();
    let read = if path == Path::new("-") {
        io::stdin().lock().take(limit + 1).read_to_end(&mut bytes)
    } else {
        std::fs::File::open(path).and_then(|f| f.take(limit + 1).read_to_end(&mut bytes))
    };
    read.map_err(|e| io_error(path, e))?;
    if bytes.len() as u64 > limit {
        let e = Error::Limit { what: "a signature document".to_owned(), size: bytes.len() as u64, limit };
        return Err(Failure::at(path, e));
    }
    Ok(bytes)
}

/// An archive from standard input, held in memory (at most the library's limit).
pub fn read_stdin_archive() -> Result<Vec<u8>, Failure> {
    let limit = graph_signature::read::MAX_UNSEEKABLE_ARCHIVE;
    let mut bytes = Vec::new();
    io::stdin().lock().take(limit + 1).read_to_end(&mut bytes).map_err(|e| io_error(Path::new("-"), e))?;
    if bytes.len() as u64 > limit {
        let e =
            Error::Limit { what: "an archive read from standard input".to_owned(), size: bytes.len() as u64, limit };
        return Err(Failure::at(Path::new("-"), e));
    }
    Ok(bytes)
}

pub fn io_error(path: &Path, e: io::Error) -> Failure {
    if path == Path::new("-") {
        return Failure::at(path, Error::from(e));
    }
    Failure::at(path, Error::from(e).with_path(path))
}

/// Reads a signature from any file graphsig knows, or standard input (`-`).
pub fn load(path: &Path, options: &ReadOptions) -> Result<Loaded, Failure> {
    let read = if path == Path::new("-") { options.read_from(io::stdin().lock()) } else { options.read_path(path) };
    read.map_err(|e| Failure::at(path, e))
}

/// As [`load`], and the metadata of the signature's values wherever the file has it (a 1.1
/// document or embedded record; for a program's own signature, what the program recorded).
/// When only that metadata cannot be read, the failure says so and how to do without it.
pub fn load_with_meta(path: &Path, options: &ReadOptions) -> Result<Loaded, Failure> {
    if path == Path::new("-") {
        return options.read_from_with_meta(io::stdin().lock()).map_err(|e| Failure::at(path, e));
    }
    options.read_path_with_meta(path).map_err(|e| match options.read_path(path) {
        // The signature reads, the program's metadata does not (the archive map refused it).
        Ok(_) => Failure::Msg(format!(
            "{}: the program's metadata cannot be read: {e} (write the signature without it with --no-meta)",
            display(path)
        )),
        Err(_) => Failure::at(path, e),
    })
}

/// Every program's signature of an archive, or the one signature of any other file.
pub fn load_all(path: &Path, options: &ReadOptions) -> Result<Vec<Loaded>, Failure> {
    if path == Path::new("-") {
        return load(path, options).map(|l| vec![l]);
    }
    options.read_all(path).map_err(|e| Failure::at(path, e))
}

/// Whether the file starts like a `.safetensors` file.
pub fn is_safetensors(path: &Path) -> bool {
    let mut prefix = Vec::with_capacity(16);
    std::fs::File::open(path).and_then(|f| f.take(16).read_to_end(&mut prefix)).is_ok()
        && graph_signature::archive::safetensors::looks_like_safetensors(&prefix)
}

pub fn display(path: &Path) -> String {
    if path == Path::new("-") {
        "<stdin>".to_owned()
    } else {
        path.display().to_string()
    }
}
