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

use super::zipfile::{self, Entry};
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

/// Reads every model's signature from an archive.
pub fn read<R: Read + Seek>(mut reader: R) -> Result<Vec<ArchivedSignature>, Error> {
    let entries = directory(&mut reader)?;
    let names: Vec<&str> = entries.iter().map(|e| e.name.as_str()).collect();
    let root = match layout_of(&names)? {
        Layout::LegacyZip => {
            let read = read_model(&mut reader, &entries, LEGACY_MODEL_RECORD)?;
            return Ok(vec![ArchivedSignature {
                name: "model".to_owned(),
                record: LEGACY_MODEL_RECORD.to_owned(),
                layout: Layout::LegacyZip,
                schema_version: read.schema_version,
                signature: read.signature,
            }]);
        }
        Layout::Pt2Archive { root } => root,
    };
    let format_record = format!("{root}/archive_format");
    let archive_format = read_record(&mut reader, &entries, &format_record, 64)?;
    if archive_format != b"pt2" {
        return Err(Error::decode(
            FORMAT,
            &format_record,
            format!("archive_format is {:?}, expected \"pt2\"", String::from_utf8_lossy(&archive_format)),
        ));
    }
    let models_dir = format!("{root}/models/");
    let mut models: Vec<&str> = names
        .iter()
        .copied()
        .filter(|n| n.starts_with(&models_dir) && n.ends_with(".json") && !n[models_dir.len()..].contains('/'))
        .collect();
    models.sort_unstable();
    if models.is_empty() {
        return Err(Error::decode(FORMAT, &models_dir, "the archive holds no model (no models/<name>.json record)"));
    }
    let mut out = Vec::with_capacity(models.len());
    for record in models {
        let read = read_model(&mut reader, &entries, record)?;
        out.push(ArchivedSignature {
            name: record[models_dir.len()..record.len() - ".json".len()].to_owned(),
            record: record.to_owned(),
            layout: Layout::Pt2Archive { root: root.clone() },
            schema_version: read.schema_version,
            signature: read.signature,
        });
    }
    Ok(out)
}

/// The central directory, with a hint for the usual cause of a broken one.
fn directory<R: Read + Seek>(reader: &mut R) -> Result<Vec<Entry>, Error> {
    zipfile::entries(reader).map_err(|e| match e {
        Error::Decode { path, reason, .. } => Error::Decode {
            format: FORMAT,
            path,
            reason: format!("{reason} (a truncated or partly written archive, e.g. left by a failed save?)"),
        },
        other => other,
    })
}

/// The legacy layout's one model record.
const LEGACY_MODEL_RECORD: &str = "serialized_exported_program.json";

fn layout_of(names: &[&str]) -> Result<Layout, Error> {
    if names.contains(&LEGACY_MODEL_RECORD) {
        Ok(Layout::LegacyZip)
    } else {
        Ok(Layout::Pt2Archive { root: pt2_root(names)? })
    }
}

/// The folder (inside the archive) of embedded signatures.
pub fn embedded_dir(layout: &Layout) -> String {
    match layout {
        Layout::Pt2Archive { root } => format!("{root}/extra/graph_signature/"),
        // torch's legacy layout keeps extra files under `extra_files/`.
        Layout::LegacyZip => "extra_files/graph_signature/".to_owned(),
    }
}

/// The record an embedded signature of `model` lives in: `<model>.json` in
/// [`embedded_dir`], holding our JSON format (`docs/formats.md`). It must be text: torch's
/// `load_pt2` reads every record under `extra/` as a UTF-8 string (its `extra_files`), so
/// a binary record there would make `torch.export.load` fail.
pub fn embedded_record(layout: &Layout, model: &str) -> String {
    format!("{}{model}.{EMBEDDED_EXTENSION}", embedded_dir(layout))
}

const EMBEDDED_EXTENSION: &str = "json";

/// The largest embedded record read.
pub const MAX_EMBEDDED_RECORD: u64 = 1 << 30;

/// Every embedded signature record of an archive, as (model name, bytes), by model name.
pub fn read_embedded<R: Read + Seek>(mut reader: R) -> Result<Vec<(String, Vec<u8>)>, Error> {
    let entries = directory(&mut reader)?;
    let names: Vec<&str> = entries.iter().map(|e| e.name.as_str()).collect();
    let dir = embedded_dir(&layout_of(&names)?);
    let suffix = format!(".{EMBEDDED_EXTENSION}");
    let mut records: Vec<&str> = names
        .iter()
        .copied()
        .filter(|n| n.starts_with(&dir) && n.ends_with(&suffix) && !n[dir.len()..].contains('/'))
        .collect();
    records.sort_unstable();
    records
        .into_iter()
        .map(|r| {
            let model = &r[dir.len()..r.len() - suffix.len()];
            Ok((model.to_owned(), read_record(&mut reader, &entries, r, MAX_EMBEDDED_RECORD)?))
        })
        .collect()
}

/// Writes `output` (which may be `input`): the archive `input` with `payload` as the
/// embedded signature record of model `model` (replacing an earlier one). Every other
/// record keeps its bytes and its position; the write is atomic.
pub fn embed(input: impl AsRef<Path>, output: impl AsRef<Path>, model: &str, payload: &[u8]) -> Result<(), Error> {
    let (input, output) = (input.as_ref(), output.as_ref());
    let file = File::open(input).map_err(|e| Error::from(e).with_path(input))?;
    let mut reader = BufReader::new(file);
    let entries = directory(&mut reader).map_err(|e| e.with_path(input))?;
    let names: Vec<&str> = entries.iter().map(|e| e.name.as_str()).collect();
    let layout = layout_of(&names).map_err(|e| e.with_path(input))?;
    let model_record = match &layout {
        Layout::LegacyZip => (model == "model").then(|| LEGACY_MODEL_RECORD.to_owned()),
        Layout::Pt2Archive { root } => Some(format!("{root}/models/{model}.json")),
    };
    if !model_record.is_some_and(|r| names.contains(&r.as_str())) {
        return Err(Error::decode(FORMAT, model, "the archive holds no model of that name"));
    }
    let record = embedded_record(&layout, model);
    super::atomic::write_atomic(output, |w| zipfile::append_record(&mut reader, w, &record, payload))
}

/// The root folder: the prefix of the first record, shared by every record (as torch's
/// `PyTorchStreamReader` requires).
fn pt2_root(names: &[&str]) -> Result<String, Error> {
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

fn read_record<R: Read + Seek>(reader: &mut R, entries: &[Entry], record: &str, limit: u64) -> Result<Vec<u8>, Error> {
    let entry =
        entries.iter().rfind(|e| e.name == record).ok_or_else(|| Error::decode(FORMAT, record, "record not found"))?;
    zipfile::read_entry(reader, entry, limit).map_err(|e| match e {
        Error::Decode { path, reason, .. } => Error::Decode { format: FORMAT, path, reason },
        other => other,
    })
}

fn read_model<R: Read + Seek>(
    reader: &mut R,
    entries: &[Entry],
    record: &str,
) -> Result<torch_json::TorchSignature, Error> {
    let bytes = read_record(reader, entries, record, MAX_MODEL_RECORD)?;
    torch_json::decode(&bytes).map_err(|e| match e {
        Error::Decode { format, path, reason } => {
            let path = if path.is_empty() { record.to_owned() } else { format!("{record}: {path}") };
            Error::Decode { format, path, reason }
        }
        other => other,
    })
}
