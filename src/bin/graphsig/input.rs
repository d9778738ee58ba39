//! Reading signatures from whatever the user points at, and the failures that come of it.

use std::fmt;
use std::fs::File;
use std::io::{self, BufReader, Cursor, Read, Seek, SeekFrom};
use std::path::Path;

use graph_signature::archive::{pt2, safetensors};
use graph_signature::codec::{self, Format};
use graph_signature::{Error, ExportGraphSignature};

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

    /// The validation error, if the input was readable but broke the spec rules.
    pub fn invalid(&self) -> Option<&graph_signature::ValidationError> {
        match self {
            Failure::At(_, Error::Invalid(v)) => Some(v),
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
            // An I/O error that carries its path says it itself.
            Failure::At(_, e @ Error::Io { path: Some(_), .. }) => e.fmt(f),
            Failure::At(path, e) => write!(f, "{path}: {e}"),
            Failure::Msg(m) => f.write_str(m),
        }
    }
}

/// The bytes of a file or of standard input.
pub fn read_all(path: &Path) -> Result<Vec<u8>, Failure> {
    if path == Path::new("-") {
        let mut bytes = Vec::new();
        io::stdin().read_to_end(&mut bytes).map_err(|e| format!("<stdin>: {e}"))?;
        Ok(bytes)
    } else {
        std::fs::read(path).map_err(|e| io_error(path, e))
    }
}

/// What a file is, from its first bytes.
pub enum Kind {
    Zip,
    Safetensors,
    Other,
}

pub fn sniff(prefix: &[u8]) -> Kind {
    if pt2::looks_like_zip(prefix) {
        Kind::Zip
    } else if safetensors::looks_like_safetensors(prefix) {
        Kind::Safetensors
    } else {
        Kind::Other
    }
}

pub fn sniff_path(path: &Path) -> Result<Kind, Failure> {
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

pub fn io_error(path: &Path, e: io::Error) -> Failure {
    Failure::at(path, Error::from(e).with_path(path))
}

/// Reads a signature from any file graphsig knows, or standard input. An archive file is
/// read in place, so only its directory and the records needed are read.
pub fn load(path: &Path, model: Option<&str>) -> Result<ExportGraphSignature, Failure> {
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
fn from_bytes(path: &Path, bytes: &[u8], model: Option<&str>) -> Result<ExportGraphSignature, Failure> {
    if model.is_some() {
        return Err(Failure::Msg(format!("{}: --model applies to .pt2 archives, and this is not one", display(path))));
    }
    let Some(format) = Format::detect(bytes) else {
        if bytes.iter().find(|b| !b.is_ascii_whitespace()).is_some_and(|b| matches!(b, b'{' | b'[')) {
            // JSON of no known shape: torch's reader says what is missing where.
            let err = codec::decode(bytes, Format::TorchJson).err();
            return Err(err.map_or_else(|| Failure::Msg("unrecognised JSON".to_owned()), |e| Failure::at(path, e)));
        }
        return Err(Failure::Msg(format!(
            "{}: not a signature graphsig recognises (torch JSON, json, proto, bincode, .pt2 or .safetensors)",
            display(path)
        )));
    };
    codec::decode(bytes, format).map_err(|e| Failure::at(path, e))
}

fn from_safetensors(
    path: &Path,
    text: Result<Option<String>, Error>,
    model: Option<&str>,
) -> Result<ExportGraphSignature, Failure> {
    if model.is_some() {
        return Err(Failure::Msg(format!("{}: --model applies to .pt2 archives", display(path))));
    }
    match text.map_err(|e| Failure::at(path, e))? {
        Some(text) => codec::decode(text.as_bytes(), Format::Json).map_err(|e| Failure::at(path, e)),
        None => Err(Failure::Msg(format!(
            "{}: this .safetensors file carries no signature (add one with `graphsig embed FILE --signature SIG`)",
            display(path)
        ))),
    }
}

/// A `.pt2`: the embedded signature of the model if there is one, else its model JSON.
fn from_pt2<R: Read + Seek>(path: &Path, mut reader: R, model: Option<&str>) -> Result<ExportGraphSignature, Failure> {
    let wanted = model.unwrap_or("model");
    let embedded = pt2::read_embedded(&mut reader).map_err(|e| Failure::at(path, e))?;
    if let Some((_, bytes)) = embedded.iter().find(|(name, _)| name == wanted) {
        return codec::decode(bytes, Format::Json).map_err(|e| Failure::at(path, e));
    }
    reader.seek(SeekFrom::Start(0)).map_err(|e| io_error(path, e))?;
    let models = pt2::read(reader).map_err(|e| Failure::at(path, e))?;
    pick_model(path, models, model)
}

/// The signature of a `.pt2`'s model JSON, ignoring any embedded one (what `embed` stores).
pub fn load_from_model_json(path: &Path, model: Option<&str>) -> Result<ExportGraphSignature, Failure> {
    match sniff_path(path)? {
        Kind::Zip => {
            let file = File::open(path).map_err(|e| io_error(path, e))?;
            pick_model(path, pt2::read(BufReader::new(file)).map_err(|e| Failure::at(path, e))?, model)
        }
        _ => Err(Failure::Msg(format!(
            "{}: only a .pt2 archive has a signature of its own; give the signature with --signature",
            path.display()
        ))),
    }
}

/// The embedded signature of an archive, if any.
pub fn embedded(path: &Path, model: Option<&str>) -> Result<Option<ExportGraphSignature>, Failure> {
    match sniff_path(path)? {
        Kind::Zip => {
            let file = File::open(path).map_err(|e| io_error(path, e))?;
            let records = pt2::read_embedded(BufReader::new(file)).map_err(|e| Failure::at(path, e))?;
            let wanted = model.unwrap_or("model");
            records
                .iter()
                .find(|(name, _)| name == wanted)
                .map(|(_, bytes)| codec::decode(bytes, Format::Json).map_err(|e| Failure::at(path, e)))
                .transpose()
        }
        Kind::Safetensors => match safetensors::read_embedded_path(path).map_err(|e| Failure::at(path, e))? {
            Some(text) => codec::decode(text.as_bytes(), Format::Json).map(Some).map_err(|e| Failure::at(path, e)),
            None => Ok(None),
        },
        Kind::Other => Err(Failure::Msg(format!("{}: not a .pt2 archive nor a .safetensors file", path.display()))),
    }
}

/// The model asked for, else `model` (what torch.export.load returns), else the only one.
fn pick_model(
    path: &Path,
    mut models: Vec<pt2::ArchivedSignature>,
    model: Option<&str>,
) -> Result<ExportGraphSignature, Failure> {
    let wanted = model.unwrap_or("model");
    match models.iter().position(|m| m.name == wanted) {
        Some(i) => Ok(models.swap_remove(i).signature),
        None if model.is_none() && models.len() == 1 => Ok(models.remove(0).signature),
        None => {
            let names: Vec<_> = models.iter().map(|m| m.name.as_str()).collect();
            Err(Failure::Msg(format!(
                "{}: no model named {wanted:?}; the archive holds {}; choose one with --model",
                display(path),
                names.join(", ")
            )))
        }
    }
}

pub fn display(path: &Path) -> String {
    if path == Path::new("-") {
        "<stdin>".to_owned()
    } else {
        path.display().to_string()
    }
}
