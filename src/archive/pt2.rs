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
use std::io::{BufReader, Read, Seek, Write};
use std::path::Path;

use super::atomic::WriteOptions;
use super::zipfile::{self, Zip};
use crate::codec::torch_json::{self, TorchSchemaVersion};
use crate::{Error, ExportGraphSignature, ModelSelection};

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
    read(file).map_err(|e| e.with_path(path))
}

/// Whether the bytes start like a zip archive (local file header or empty archive).
pub fn looks_like_zip(prefix: &[u8]) -> bool {
    prefix.starts_with(b"PK\x03\x04") || prefix.starts_with(b"PK\x05\x06")
}

/// Reads every model's signature from an archive.
pub fn read<R: Read + Seek>(reader: R) -> Result<Vec<ArchivedSignature>, Error> {
    let mut archive = Archive::new(reader)?;
    let names = archive.models().to_vec();
    names.iter().map(|name| archive.read_model(name)).collect()
}

/// An archive written by `torch.export.save`, its central directory read and indexed once:
/// then each program's signature, each embedded signature and each record is found in
/// constant time, so an archive of many programs reads in linear time.
///
/// ```no_run
/// use graph_signature::archive::pt2::Archive;
/// let mut archive = Archive::new(std::fs::File::open("model.pt2")?)?;
/// let name = archive.select_model(None)?.to_owned(); // the only program, or an error listing them
/// println!("{}", archive.read_model(&name)?.signature);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Archive<R> {
    zip: Zip<R>,
    layout: Layout,
    models: Vec<String>,
    embedded: Vec<String>,
}

impl<R: Read + Seek> Archive<R> {
    /// Reads and indexes the central directory, and tells the layout. A zip that
    /// `torch.export.save` did not write (a `torch.save` checkpoint, a TorchScript archive,
    /// an AOTInductor package, any other zip) is [`Error::Unrecognized`] naming what it is.
    pub fn new(reader: R) -> Result<Self, Error> {
        let zip = Zip::open(reader).map_err(with_hint)?;
        let names: Vec<&str> = zip.entries.iter().map(|e| e.name.as_str()).collect();
        let layout = layout_of(&names)?;
        let (models, embedded) = {
            let listed = |dir: &str, suffix: &str| -> Vec<String> {
                let mut found: Vec<String> = names
                    .iter()
                    .filter_map(|n| n.strip_prefix(dir)?.strip_suffix(suffix))
                    .filter(|stem| !stem.is_empty() && !stem.contains('/'))
                    .map(str::to_owned)
                    .collect();
                found.sort_unstable();
                found.dedup();
                found
            };
            let models = match &layout {
                Layout::LegacyZip => vec!["model".to_owned()],
                Layout::Pt2Archive { root } => listed(&format!("{root}/models/"), ".json"),
            };
            (models, listed(&embedded_dir(&layout), &format!(".{EMBEDDED_EXTENSION}")))
        };
        let kind = zip_kind(&names);
        drop(names);
        let mut archive = Self { zip, layout, models, embedded };
        if let Layout::Pt2Archive { root } = archive.layout.clone() {
            let format_record = format!("{root}/archive_format");
            let archive_format = archive.record(&format_record, 64)?;
            if archive_format != b"pt2" {
                return Err(Error::decode(
                    FORMAT,
                    &format_record,
                    format!("archive_format is {:?}, expected \"pt2\"", crate::error::excerpt(&archive_format, 64)),
                ));
            }
            if archive.models.is_empty() {
                return Err(match kind {
                    Some(kind) => Error::Unrecognized { found: kind, accepted: ACCEPTED },
                    None => Error::decode(
                        FORMAT,
                        format!("{root}/models/"),
                        "the archive holds no program (no models/<name>.json record)",
                    ),
                });
            }
        }
        Ok(archive)
    }

    /// The archive's layout.
    pub fn layout(&self) -> &Layout {
        &self.layout
    }

    /// The names of the programs, sorted (`model` for what `torch.export.save` writes).
    pub fn models(&self) -> &[String] {
        &self.models
    }

    /// The names of the programs with a signature embedded by `graphsig embed`, sorted.
    pub fn embedded_models(&self) -> &[String] {
        &self.embedded
    }

    /// Every record name, in central-directory order.
    pub fn record_names(&self) -> impl Iterator<Item = &str> {
        self.zip.entries.iter().map(|e| e.name.as_str())
    }

    /// The program to read: `wanted` if given (and there), else the only one. Several
    /// programs and none asked for is [`Error::Model`] listing them.
    pub fn select_model(&self, wanted: Option<&str>) -> Result<&str, Error> {
        select(&self.models, wanted)
    }

    /// The signature of program `name`, from its model JSON.
    pub fn read_model(&mut self, name: &str) -> Result<ArchivedSignature, Error> {
        self.read_model_with_json(name).map(|(read, _)| read)
    }

    /// As [`read_model`](Self::read_model), also giving the program JSON's bytes (for readers
    /// of the rest of the program, so the record is read once).
    pub fn read_model_with_json(&mut self, name: &str) -> Result<(ArchivedSignature, Vec<u8>), Error> {
        let record = self.model_record(name)?;
        let bytes = self.record(&record, MAX_MODEL_RECORD)?;
        let read = torch_json::decode(&bytes).map_err(|e| match e {
            Error::Decode { format, path, reason } => {
                let path = if path.is_empty() { record.clone() } else { format!("{record}: {path}") };
                Error::Decode { format, path, reason }
            }
            other => other,
        })?;
        let read = ArchivedSignature {
            name: name.to_owned(),
            record,
            layout: self.layout.clone(),
            schema_version: read.schema_version,
            signature: read.signature,
        };
        Ok((read, bytes))
    }

    /// The record holding program `name`'s JSON.
    pub fn model_record(&self, name: &str) -> Result<String, Error> {
        if !self.models.iter().any(|m| m == name) {
            return Err(Error::Model(ModelSelection::NotFound {
                wanted: name.to_owned(),
                available: self.models.clone(),
            }));
        }
        Ok(match &self.layout {
            Layout::LegacyZip => LEGACY_MODEL_RECORD.to_owned(),
            Layout::Pt2Archive { root } => format!("{root}/models/{name}.json"),
        })
    }

    /// The bytes of the signature embedded for program `name`, if there is one.
    pub fn read_embedded(&mut self, name: &str) -> Result<Option<Vec<u8>>, Error> {
        if !self.embedded.iter().any(|m| m == name) {
            return Ok(None);
        }
        let record = embedded_record(&self.layout, name);
        self.record(&record, MAX_EMBEDDED_RECORD).map(Some)
    }

    /// The bytes of the record `name`, refusing one larger than `limit`.
    pub fn record(&mut self, name: &str, limit: u64) -> Result<Vec<u8>, Error> {
        self.zip.read(name, limit).map_err(as_pt2)
    }

    /// Whether the archive has a record of that name.
    pub fn has_record(&self, name: &str) -> bool {
        self.zip.entry(name).is_some()
    }

    /// Where record `name`'s bytes are in the file (its absolute offset and length) and
    /// whether they are stored as they are; nothing of the record is read.
    pub fn locate(&mut self, name: &str) -> Result<RecordLocation, Error> {
        let l = self.zip.locate(name).map_err(as_pt2)?;
        Ok(RecordLocation { offset: l.offset, length: l.length, stored: l.stored })
    }

    /// As [`locate`](Self::locate), `None` when the archive has no such record.
    pub fn try_locate(&mut self, name: &str) -> Result<Option<RecordLocation>, Error> {
        if self.zip.entry(name).is_none() {
            return Ok(None);
        }
        self.locate(name).map(Some)
    }

    /// The zip stored as record `name` (a `torch.save` archive inside this one), read in
    /// place through a window of the file: only its central directory and the records
    /// asked of it are read.
    pub(crate) fn nested(&mut self, name: &str) -> Result<(Zip<zipfile::Window<&mut R>>, u64), Error> {
        let l = self.zip.locate(name).map_err(as_pt2)?;
        if !l.stored {
            return Err(Error::decode(
                FORMAT,
                name,
                "a compressed torch.save record: its payloads cannot be located in place",
            ));
        }
        let window = zipfile::Window::new(&mut self.zip.reader, l.offset, l.length);
        let zip = Zip::open(window).map_err(|e| match e {
            Error::Decode { path, reason, .. } => Error::Decode {
                format: FORMAT,
                path: if path.is_empty() { name.to_owned() } else { format!("{name}: {path}") },
                reason,
            },
            other => other,
        })?;
        Ok((zip, l.offset))
    }

    /// Gives the reader back.
    pub fn into_inner(self) -> R {
        self.zip.reader
    }
}

/// What this crate reads, for errors about what it does not.
pub(crate) const ACCEPTED: &str = "a .pt2 written by torch.export.save, torch's signature or program JSON, \
     a json, proto, fbs or bincode signature document, or a .safetensors file carrying a signature";

/// The program `wanted` among `available`, or the only one; see [`Archive::select_model`].
pub fn select<'a>(available: &'a [String], wanted: Option<&str>) -> Result<&'a str, Error> {
    match wanted {
        Some(w) => available.iter().find(|m| *m == w).map(String::as_str).ok_or_else(|| {
            Error::Model(ModelSelection::NotFound { wanted: w.to_owned(), available: available.to_vec() })
        }),
        None => match available {
            [only] => Ok(only),
            _ => Err(Error::Model(if available.is_empty() {
                ModelSelection::NotFound { wanted: String::new(), available: Vec::new() }
            } else {
                ModelSelection::Ambiguous { available: available.to_vec() }
            })),
        },
    }
}

/// A broken central directory, with a hint for its usual cause.
fn with_hint(e: Error) -> Error {
    match e {
        Error::Decode { path, reason, .. } => Error::Decode {
            format: FORMAT,
            path,
            reason: format!("{reason} (a truncated or partly written archive, e.g. left by a failed save?)"),
        },
        other => other,
    }
}

/// A zip error, named as the archive's.
fn as_pt2(e: Error) -> Error {
    match e {
        Error::Decode { path, reason, .. } => Error::Decode { format: FORMAT, path, reason },
        other => other,
    }
}

/// Where a record's bytes are in the archive file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RecordLocation {
    /// The absolute byte offset of the record's data in the file.
    pub offset: u64,
    /// The length of the data as stored.
    pub length: u64,
    /// Whether the data is stored as it is (so a runtime can map it), not compressed.
    pub stored: bool,
}

/// The legacy layout's one model record.
const LEGACY_MODEL_RECORD: &str = "serialized_exported_program.json";

fn layout_of(names: &[&str]) -> Result<Layout, Error> {
    if names.contains(&LEGACY_MODEL_RECORD) {
        return Ok(Layout::LegacyZip);
    }
    match pt2_root(names) {
        Ok(root) if names.iter().any(|n| n.strip_prefix(root.as_str()) == Some("/archive_format")) => {
            Ok(Layout::Pt2Archive { root })
        }
        result => Err(match zip_kind(names) {
            Some(kind) => Error::Unrecognized { found: kind, accepted: ACCEPTED },
            None => match result {
                Err(e) => e,
                Ok(root) => Error::decode(
                    FORMAT,
                    format!("{root}/archive_format"),
                    "record not found: a zip, but not one torch.export.save wrote",
                ),
            },
        }),
    }
}

/// What a zip that is not an exported program is, from its record names.
fn zip_kind(names: &[&str]) -> Option<String> {
    let under_root = |suffix: &str| names.iter().any(|n| n.split_once('/').is_some_and(|(_, rest)| rest == suffix));
    let under_root_dir =
        |dir: &str| names.iter().any(|n| n.split_once('/').is_some_and(|(_, rest)| rest.starts_with(dir)));
    if under_root_dir("data/aotinductor/") {
        // Its models are the folders of data/aotinductor/.
        let mut models: Vec<&str> = names
            .iter()
            .filter_map(|n| n.split_once('/')?.1.strip_prefix("data/aotinductor/")?.split_once('/').map(|(m, _)| m))
            .collect();
        models.sort_unstable();
        models.dedup();
        let shown: Vec<&str> = models.iter().take(10).copied().collect();
        let more = if models.len() > 10 { format!(" and {} more", models.len() - 10) } else { String::new() };
        Some(format!(
            "an AOTInductor package (torch._inductor.aoti_compile_and_package) of the models {}{more}: compiled \
             code and weights, no signature",
            shown.join(", ")
        ))
    } else if under_root("constants.pkl") && under_root_dir("code/") {
        Some("a TorchScript archive (torch.jit.save), not an exported program".to_owned())
    } else if under_root("data.pkl") {
        Some("a torch.save checkpoint (a pickle and tensor storages), not an exported program".to_owned())
    } else if names.is_empty() {
        Some("an empty zip archive".to_owned())
    } else {
        None
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
pub fn read_embedded<R: Read + Seek>(reader: R) -> Result<Vec<(String, Vec<u8>)>, Error> {
    let mut archive = Archive::new(reader)?;
    let names = archive.embedded_models().to_vec();
    names
        .into_iter()
        .map(|name| {
            let bytes = archive.read_embedded(&name)?.expect("listed");
            Ok((name, bytes))
        })
        .collect()
}

/// Writes `output` (which may be `input`, an edit in place): the archive `input` with
/// `payload` as the embedded signature record of program `model` (replacing an earlier
/// one). Every other record keeps its bytes and its position; the write keeps the user's
/// file ([`atomic`](super::atomic)).
pub fn embed(
    input: impl AsRef<Path>,
    output: impl AsRef<Path>,
    model: &str,
    payload: &[u8],
    options: &WriteOptions,
) -> Result<(), Error> {
    let (input, output) = (input.as_ref(), output.as_ref());
    let file = File::open(input).map_err(|e| Error::from(e).with_path(input))?;
    let mut reader = BufReader::new(file);
    let record = embed_target(&mut reader, model).map_err(|e| e.with_path(input))?;
    super::atomic::write_file(output, options, |mut w| zipfile::append_record(&mut reader, &mut w, &record, payload))
}

/// Writes to `output` the archive read from `input` with `payload` embedded for program
/// `model`, as [`embed`] does to a file (for standard output, or a buffer).
pub fn embed_into<R: Read + Seek, W: Write>(
    mut input: R,
    output: &mut W,
    model: &str,
    payload: &[u8],
) -> Result<(), Error> {
    let record = embed_target(&mut input, model)?;
    zipfile::append_record(&mut input, output, &record, payload)
}

/// The record the signature of `model` is embedded as, after checking the program exists.
fn embed_target<R: Read + Seek>(reader: &mut R, model: &str) -> Result<String, Error> {
    let archive = Archive::new(&mut *reader)?;
    archive.model_record(model)?;
    Ok(embedded_record(archive.layout(), model))
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
