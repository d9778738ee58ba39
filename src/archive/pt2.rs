//! Reading signatures out of the zip archives `torch.export.save` writes.
//!
//! Two layouts exist (see `docs/archives.md`):
//!
//! - **legacy zip** (torch ≤ 2.7): `serialized_exported_program.json` and `version` at the
//!   archive's root;
//! - **PT2 archive** (torch ≥ 2.8): every record under one root folder of any name, with
//!   `<root>/archive_format` = `pt2` and one exported program per `<root>/models/<name>.json`.
//!
//! Only the central directory and the model JSON records are read, never the weights, so
//! reading a signature takes the same time whatever the size of the weights.
//!
//! ```no_run
//! use graph_signature::archive::pt2;
//! for model in pt2::read_path("model.pt2")? {
//!     println!("{} (schema {:?}):{}", model.name, model.schema_version, model.signature);
//! }
//! # Ok::<(), graph_signature::Error>(())
//! ```

use std::fs::File;
use std::io::{BufReader, Read, Seek};
use std::path::Path;

use zip::result::ZipError;
use zip::ZipArchive;

use crate::codec::torch_json::{self, TorchSchemaVersion};
use crate::{Error, ExportGraphSignature};

const FORMAT: &str = "pt2";

/// The largest model JSON record read (torch's JSON of a 100,000-spec model is ~15 MB;
/// a whole exported program with its graph is larger). Bigger records are refused rather
/// than allocated.
pub const MAX_MODEL_RECORD: u64 = 1 << 30;

/// Which layout an archive has.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Layout {
    /// torch ≤ 2.7: `serialized_exported_program.json` at the root.
    LegacyZip,
    /// torch ≥ 2.8: records under `root/`, models in `root/models/`.
    Pt2Archive {
        /// The root folder's name (`model` for `model.pt2`, `archive` for a buffer).
        root: String,
    },
}

/// One exported program's signature, as read from an archive.
#[derive(Clone, Debug, PartialEq)]
pub struct ArchivedSignature {
    /// The model's name: `model` for what `torch.export.save` writes.
    pub name: String,
    /// The record it was read from, e.g. `model/models/model.json`.
    pub record: String,
    /// The archive's layout.
    pub layout: Layout,
    /// The schema version the program was written with.
    pub schema_version: Option<TorchSchemaVersion>,
    /// The signature.
    pub signature: ExportGraphSignature,
}

/// Reads every model's signature from the archive at `path`.
pub fn read_path(path: impl AsRef<Path>) -> Result<Vec<ArchivedSignature>, Error> {
    let path = path.as_ref();
    let file = File::open(path).map_err(|e| Error::from(e).with_path(path))?;
    read(BufReader::new(file)).map_err(|e| e.with_path(path))
}

/// Whether the bytes start like a zip archive (local file header or empty archive).
pub fn looks_like_zip(prefix: &[u8]) -> bool {
    prefix.starts_with(b"PK\x03\x04") || prefix.starts_with(b"PK\x05\x06")
}

fn zip_error(record: &str, e: ZipError) -> Error {
    match e {
        ZipError::Io(source) => Error::Io { path: None, source },
        other => Error::decode(FORMAT, record, format!("not a readable zip archive: {other}")),
    }
}

/// Reads every model's signature from an archive.
pub fn read<R: Read + Seek>(reader: R) -> Result<Vec<ArchivedSignature>, Error> {
    let mut zip = ZipArchive::new(reader).map_err(|e| {
        let hint = " (a truncated or partly written archive, e.g. left by a failed save?)";
        match zip_error("", e) {
            Error::Decode { format, path, reason } => Error::Decode { format, path, reason: reason + hint },
            other => other,
        }
    })?;
    let names: Vec<String> =
        zip.file_names().map(|n| n.map(|n| n.into_owned())).collect::<Result<_, _>>().map_err(|e| zip_error("", e))?;
    if names.iter().any(|n| n == "serialized_exported_program.json") {
        let record = "serialized_exported_program.json";
        let signature = read_model(&mut zip, record)?;
        return Ok(vec![ArchivedSignature {
            name: "model".to_owned(),
            record: record.to_owned(),
            layout: Layout::LegacyZip,
            schema_version: signature.schema_version,
            signature: signature.signature,
        }]);
    }
    let root = pt2_root(&names)?;
    let format_record = format!("{root}/archive_format");
    let archive_format = read_record(&mut zip, &format_record, 64)?;
    if archive_format != b"pt2" {
        return Err(Error::decode(
            FORMAT,
            &format_record,
            format!("archive_format is {:?}, expected \"pt2\"", String::from_utf8_lossy(&archive_format)),
        ));
    }
    let models_dir = format!("{root}/models/");
    let mut models: Vec<&String> = names
        .iter()
        .filter(|n| n.starts_with(&models_dir) && n.ends_with(".json") && !n[models_dir.len()..].contains('/'))
        .collect();
    models.sort();
    if models.is_empty() {
        return Err(Error::decode(FORMAT, &models_dir, "the archive holds no model (no models/<name>.json record)"));
    }
    let mut out = Vec::with_capacity(models.len());
    for record in models {
        let name = record[models_dir.len()..record.len() - ".json".len()].to_owned();
        let read = read_model(&mut zip, record)?;
        out.push(ArchivedSignature {
            name,
            record: record.clone(),
            layout: Layout::Pt2Archive { root: root.clone() },
            schema_version: read.schema_version,
            signature: read.signature,
        });
    }
    Ok(out)
}

/// The root folder: the prefix of the first record, shared by every record (as torch's
/// `PyTorchStreamReader` requires).
fn pt2_root(names: &[String]) -> Result<String, Error> {
    let first = names.first().ok_or_else(|| Error::decode(FORMAT, "", "the archive is empty"))?;
    let Some((root, _)) = first.split_once('/') else {
        return Err(Error::decode(
            FORMAT,
            first,
            "neither a PT2 archive (records under one root folder) nor a legacy torch.export zip \
             (no serialized_exported_program.json)",
        ));
    };
    if let Some(stray) = names.iter().find(|n| !n.starts_with(root) || n.as_bytes().get(root.len()) != Some(&b'/')) {
        return Err(Error::decode(FORMAT, stray, format!("record is outside the archive's root folder {root:?}")));
    }
    Ok(root.to_owned())
}

fn read_record<R: Read + Seek>(zip: &mut ZipArchive<R>, record: &str, limit: u64) -> Result<Vec<u8>, Error> {
    let file = zip.by_name(record).map_err(|e| match e {
        ZipError::FileNotFound => Error::decode(FORMAT, record, "record not found"),
        other => zip_error(record, other),
    })?;
    let size = file.size();
    if size > limit {
        return Err(Error::decode(FORMAT, record, format!("record is {size} bytes, more than the limit of {limit}")));
    }
    let mut buf = Vec::with_capacity(size as usize);
    // `take` guards against a central directory that understates the real size.
    file.take(limit + 1).read_to_end(&mut buf).map_err(|e| {
        Error::decode(FORMAT, record, format!("cannot read the record (truncated or corrupt archive?): {e}"))
    })?;
    if buf.len() as u64 > limit {
        return Err(Error::decode(FORMAT, record, format!("record is larger than the limit of {limit} bytes")));
    }
    Ok(buf)
}

fn read_model<R: Read + Seek>(zip: &mut ZipArchive<R>, record: &str) -> Result<torch_json::TorchSignature, Error> {
    let bytes = read_record(zip, record, MAX_MODEL_RECORD)?;
    torch_json::decode(&bytes).map_err(|e| match e {
        Error::Decode { format, path, reason } => {
            let path = if path.is_empty() { record.to_owned() } else { format!("{record}: {path}") };
            Error::Decode { format, path, reason }
        }
        other => other,
    })
}
