//! The signature of whatever file it is in: a `.pt2` of either layout, torch's signature or
//! program JSON, one of our formats, or a `.safetensors` file carrying one. The file is
//! recognised by content, never by its name, and read with bounds: a document is read whole
//! only after its first bytes look like one, and never past [`MAX_DOCUMENT`]; an archive on
//! disk is read in place (its central directory and the records needed, never the
//! weights).
//!
//! ```
//! let sig = graph_signature::read_path("examples/tinynet.pt2")?;
//! assert_eq!(sig.inputs_to_parameters()["p_proj_weight"], "proj.weight");
//! assert_eq!(sig.user_inputs().len(), 1);
//! print!("{sig}"); // as torch prints it
//! # Ok::<(), graph_signature::Error>(())
//! ```
//!
//! [`ReadOptions`] chooses the program of a multi-program archive, and whether an embedded
//! signature or the program's own is read; [`Loaded`] says what was read, with the metadata
//! of the signature's values when the file carries it (a schema 1.1 document or embedded
//! record) or, with [`ReadOptions::read_path_with_meta`], what the program recorded.

use std::fs::File;
use std::io::{self, BufReader, Cursor, Read, Seek, SeekFrom};
use std::path::Path;

use crate::archive::pt2::{self, Archive, Layout};
use crate::archive::safetensors;
use crate::codec::torch_json::{self, TorchSchemaVersion};
use crate::codec::{self, Document, Format};
use crate::error::excerpt;
use crate::map::ArchiveMap;
use crate::model::meta::SignatureMeta;
use crate::{Error, ExportGraphSignature, ModelSelection};

/// The largest signature document (JSON, protobuf, FlatBuffers, bincode) read: torch's JSON
/// of a 1,000,000-spec signature is about 150 MB.
pub const MAX_DOCUMENT: u64 = 1 << 30;

/// The largest archive read from something that cannot seek (standard input, a pipe):
/// such an archive is held in memory to be read.
pub const MAX_UNSEEKABLE_ARCHIVE: u64 = 4 << 30;

/// How many bytes are looked at to recognise a file.
const SNIFF_LEN: usize = 64;

/// Which signature of an archive is read.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum Source {
    /// The signature embedded by `graphsig embed` when there is one, else the program's own.
    #[default]
    Auto,
    /// The program's own signature (its model JSON), ignoring an embedded one.
    Program,
    /// Only an embedded signature; none is [`Error::NoSignature`].
    Embedded,
}

/// What to read from a file.
#[derive(Clone, Debug, Default)]
pub struct ReadOptions {
    /// In an archive of several programs, the one to read. `None` reads the only one and
    /// refuses to guess among several ([`Error::Model`] lists them). Giving a model for a
    /// file that is not a `.pt2` is an error.
    pub model: Option<String>,
    /// Which signature of an archive.
    pub source: Source,
}

/// What kind of file a signature was read from.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum FileKind {
    /// An archive written by `torch.export.save`.
    Archive(Layout),
    /// A `.safetensors` file with a signature in its header.
    Safetensors,
    /// A signature or program document in one format.
    Document(Format),
}

/// A signature and where it came from.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct Loaded {
    /// The signature.
    pub signature: ExportGraphSignature,
    /// The kind of file.
    pub kind: FileKind,
    /// In an archive, the program's name.
    pub model: Option<String>,
    /// Whether it is a signature embedded by `graphsig embed` (our JSON in the archive).
    pub embedded: bool,
    /// torch's schema version, when read from torch's JSON.
    pub torch_schema_version: Option<TorchSchemaVersion>,
    /// The metadata of the signature's values (schema 1.1, `docs/formats.md`): what a
    /// document of our formats or an embedded record carries (`None` when it has none);
    /// for a program's own signature, what the program recorded when read with
    /// [`ReadOptions::read_path_with_meta`] (else `None`).
    pub meta: Option<SignatureMeta>,
}

impl Loaded {
    fn document(signature: ExportGraphSignature, format: Format) -> Self {
        Self {
            signature,
            kind: FileKind::Document(format),
            model: None,
            embedded: false,
            torch_schema_version: None,
            meta: None,
        }
    }

    /// The signature and its metadata, as a document of our formats.
    pub fn to_document(&self) -> Document {
        Document { signature: self.signature.clone(), meta: self.meta.clone() }
    }
}

/// Whether the metadata of a program's own signature is read (from the archive map).
#[derive(Clone, Copy, PartialEq, Eq)]
enum ProgramMeta {
    Skip,
    Read,
}

/// The signature in the file at `path`, whatever kind of file it is (see the module docs);
/// in an archive of several programs, an error that lists them.
pub fn read_path(path: impl AsRef<Path>) -> Result<ExportGraphSignature, Error> {
    ReadOptions::default().read_path(path.as_ref()).map(|l| l.signature)
}

/// The signature in `bytes`, whatever kind of file they are.
pub fn read_bytes(bytes: &[u8]) -> Result<ExportGraphSignature, Error> {
    ReadOptions::default().read_bytes(bytes).map(|l| l.signature)
}

/// What the first bytes of a file say it is.
enum Sniffed {
    Zip,
    Safetensors,
    Document,
}

fn sniff(prefix: &[u8]) -> Result<Sniffed, Error> {
    if pt2::looks_like_zip(prefix) {
        Ok(Sniffed::Zip)
    } else if safetensors::looks_like_safetensors(prefix) {
        Ok(Sniffed::Safetensors)
    } else if codec::looks_like_document(prefix) {
        Ok(Sniffed::Document)
    } else if prefix.is_empty() {
        Err(Error::Unrecognized { found: "an empty file".to_owned(), accepted: pt2::ACCEPTED })
    } else {
        Err(Error::Unrecognized { found: format!("it starts with {}", excerpt(prefix, 48)), accepted: pt2::ACCEPTED })
    }
}

impl ReadOptions {
    /// Options reading program `model` (`None`: the only one).
    pub fn model(model: Option<&str>) -> Self {
        Self { model: model.map(str::to_owned), ..Self::default() }
    }

    /// The signature in the file at `path`. A regular file is read in place; anything else
    /// (a pipe, a device) is read through [`ReadOptions::read_from`], with the same bounds.
    pub fn read_path(&self, path: &Path) -> Result<Loaded, Error> {
        self.read_path_as(path, ProgramMeta::Skip)
    }

    /// As [`ReadOptions::read_path`], and for a program's own signature also the metadata
    /// the program recorded for its values ([`ArchiveMap::signature_meta`]), so
    /// [`Loaded::meta`] is filled wherever the file has metadata. The map reads the
    /// program's records (never a weight); an archive it cannot map is its error.
    pub fn read_path_with_meta(&self, path: &Path) -> Result<Loaded, Error> {
        self.read_path_as(path, ProgramMeta::Read)
    }

    /// As [`ReadOptions::read_from`], with the program's metadata as
    /// [`ReadOptions::read_path_with_meta`] reads it.
    pub fn read_from_with_meta(&self, reader: impl Read) -> Result<Loaded, Error> {
        self.read_from_as(reader, ProgramMeta::Read)
    }

    fn read_path_as(&self, path: &Path, program_meta: ProgramMeta) -> Result<Loaded, Error> {
        let at = |e: io::Error| Error::from(e).with_path(path);
        let mut file = File::open(path).map_err(at)?;
        let meta = file.metadata().map_err(at)?;
        if meta.is_dir() {
            return Err(at(io::Error::other("is a folder, not a file")));
        }
        if !meta.is_file() {
            return self.read_from_as(file, program_meta).map_err(|e| e.with_path(path));
        }
        let mut prefix = Vec::with_capacity(SNIFF_LEN);
        (&mut file).take(SNIFF_LEN as u64).read_to_end(&mut prefix).map_err(at)?;
        file.seek(SeekFrom::Start(0)).map_err(at)?;
        let read = match sniff(&prefix)? {
            // Unbuffered: an archive is read in large reads, and a buffer would only be refilled
            // for every record header the map locates.
            Sniffed::Zip => self.read_archive(file, program_meta),
            Sniffed::Safetensors => {
                self.read_safetensors(safetensors::read_embedded(BufReader::new(file), Some(meta.len())))
            }
            Sniffed::Document => {
                if meta.len() > MAX_DOCUMENT {
                    return Err(Error::Limit {
                        what: "a signature document".to_owned(),
                        size: meta.len(),
                        limit: MAX_DOCUMENT,
                    });
                }
                let mut bytes = Vec::with_capacity(meta.len() as usize);
                file.take(MAX_DOCUMENT + 1).read_to_end(&mut bytes).map_err(at)?;
                self.read_document(&bytes)
            }
        };
        read.map_err(|e| e.with_path(path))
    }

    /// The signature in `bytes`.
    pub fn read_bytes(&self, bytes: &[u8]) -> Result<Loaded, Error> {
        self.read_bytes_as(bytes, ProgramMeta::Skip)
    }

    fn read_bytes_as(&self, bytes: &[u8], program_meta: ProgramMeta) -> Result<Loaded, Error> {
        match sniff(&bytes[..bytes.len().min(SNIFF_LEN)])? {
            Sniffed::Zip => self.read_archive(Cursor::new(bytes), program_meta),
            Sniffed::Safetensors => self.read_safetensors(safetensors::read_embedded(bytes, Some(bytes.len() as u64))),
            Sniffed::Document => {
                if bytes.len() as u64 > MAX_DOCUMENT {
                    return Err(Error::Limit {
                        what: "a signature document".to_owned(),
                        size: bytes.len() as u64,
                        limit: MAX_DOCUMENT,
                    });
                }
                self.read_document(bytes)
            }
        }
    }

    /// The signature read from a stream that cannot seek (standard input, a pipe): its
    /// first bytes decide what it is before more is read, and no more than
    /// [`MAX_DOCUMENT`] (a document) or [`MAX_UNSEEKABLE_ARCHIVE`] (an archive, held in
    /// memory) is read; `/dev/zero` fails at once.
    pub fn read_from(&self, reader: impl Read) -> Result<Loaded, Error> {
        self.read_from_as(reader, ProgramMeta::Skip)
    }

    fn read_from_as(&self, mut reader: impl Read, program_meta: ProgramMeta) -> Result<Loaded, Error> {
        let mut bytes = Vec::with_capacity(SNIFF_LEN);
        (&mut reader).take(SNIFF_LEN as u64).read_to_end(&mut bytes)?;
        let limit = match sniff(&bytes)? {
            Sniffed::Zip | Sniffed::Safetensors => MAX_UNSEEKABLE_ARCHIVE,
            Sniffed::Document => MAX_DOCUMENT,
        };
        reader.take(limit + 1 - bytes.len() as u64).read_to_end(&mut bytes)?;
        if bytes.len() as u64 > limit {
            return Err(Error::Limit {
                what: "the input read from a stream".to_owned(),
                size: bytes.len() as u64,
                limit,
            });
        }
        self.read_bytes_as(&bytes, program_meta)
    }

    /// Every program's signature in the archive at `path` (as [`ReadOptions::read_path`]
    /// for each), or the one signature of any other file. `model`, if set, picks one.
    pub fn read_all(&self, path: &Path) -> Result<Vec<Loaded>, Error> {
        if self.model.is_some() {
            return self.read_path(path).map(|l| vec![l]);
        }
        let mut prefix = Vec::with_capacity(SNIFF_LEN);
        let file = File::open(path).map_err(|e| Error::from(e).with_path(path))?;
        if !file.metadata().is_ok_and(|m| m.is_file()) {
            return self.read_path(path).map(|l| vec![l]);
        }
        file.take(SNIFF_LEN as u64).read_to_end(&mut prefix).map_err(|e| Error::from(e).with_path(path))?;
        if !pt2::looks_like_zip(&prefix) {
            return self.read_path(path).map(|l| vec![l]);
        }
        let file = File::open(path).map_err(|e| Error::from(e).with_path(path))?;
        let mut archive = Archive::new(file).map_err(|e| e.with_path(path))?;
        let names = match self.source {
            Source::Embedded => archive.embedded_models().to_vec(),
            _ => archive.models().to_vec(),
        };
        names
            .iter()
            .map(|name| self.read_program(&mut archive, name, ProgramMeta::Skip).map_err(|e| e.with_path(path)))
            .collect()
    }

    fn read_archive<R: Read + Seek>(&self, reader: R, program_meta: ProgramMeta) -> Result<Loaded, Error> {
        let mut archive = Archive::new(reader)?;
        let name = match self.source {
            Source::Embedded => pt2::select(archive.embedded_models(), self.model.as_deref()).map_err(|e| match e {
                Error::Model(ModelSelection::NotFound { available, .. }) if available.is_empty() => {
                    Error::NoSignature { kind: ".pt2 archive", hint: "add one with `graphsig embed`" }
                }
                other => other,
            })?,
            _ => archive.select_model(self.model.as_deref())?,
        }
        .to_owned();
        self.read_program(&mut archive, &name, program_meta)
    }

    fn read_program<R: Read + Seek>(
        &self,
        archive: &mut Archive<R>,
        name: &str,
        program_meta: ProgramMeta,
    ) -> Result<Loaded, Error> {
        let layout = archive.layout().clone();
        if self.source != Source::Program {
            if let Some(bytes) = archive.read_embedded(name)? {
                let doc = codec::decode_document(&bytes, Format::Json)
                    .map_err(|e| in_record(e, &pt2::embedded_record(&layout, name)))?;
                return Ok(Loaded {
                    signature: doc.signature,
                    kind: FileKind::Archive(layout),
                    model: Some(name.to_owned()),
                    embedded: true,
                    torch_schema_version: None,
                    meta: doc.meta,
                });
            }
            if self.source == Source::Embedded {
                return Err(Error::NoSignature { kind: ".pt2 archive", hint: "add one with `graphsig embed`" });
            }
        }
        let read = archive.read_model(name)?;
        let meta = match program_meta {
            ProgramMeta::Skip => None,
            ProgramMeta::Read => Some(ArchiveMap::build(archive, name)?.signature_meta()),
        };
        Ok(Loaded {
            signature: read.signature,
            kind: FileKind::Archive(layout),
            model: Some(read.name),
            embedded: false,
            torch_schema_version: read.schema_version,
            meta,
        })
    }

    fn read_safetensors(&self, text: Result<Option<String>, Error>) -> Result<Loaded, Error> {
        if let Some(wanted) = &self.model {
            return Err(Error::Model(ModelSelection::NotAnArchive { wanted: wanted.clone() }));
        }
        if self.source == Source::Program {
            return Err(Error::Unrecognized {
                found: "a .safetensors file, which has no program of its own".to_owned(),
                accepted: pt2::ACCEPTED,
            });
        }
        let text = text?.ok_or(Error::NoSignature {
            kind: ".safetensors file",
            hint: "add one with `graphsig embed FILE --signature SIG`",
        })?;
        let doc = codec::decode_document(text.as_bytes(), Format::Json)
            .map_err(|e| in_record(e, &format!("__metadata__.{}", safetensors::METADATA_KEY)))?;
        Ok(Loaded {
            signature: doc.signature,
            kind: FileKind::Safetensors,
            model: None,
            embedded: true,
            torch_schema_version: None,
            meta: doc.meta,
        })
    }

    fn read_document(&self, bytes: &[u8]) -> Result<Loaded, Error> {
        if let Some(wanted) = &self.model {
            return Err(Error::Model(ModelSelection::NotAnArchive { wanted: wanted.clone() }));
        }
        if self.source == Source::Embedded {
            return Err(Error::Unrecognized {
                found: "a signature document, not an archive that embeds one".to_owned(),
                accepted: ".pt2 and .safetensors files with a signature embedded by `graphsig embed`",
            });
        }
        match Format::detect(bytes) {
            Some(Format::TorchJson) => {
                let read = torch_json::decode(bytes)?;
                Ok(Loaded {
                    torch_schema_version: read.schema_version,
                    ..Loaded::document(read.signature, Format::TorchJson)
                })
            }
            Some(format) => {
                let doc = codec::decode_document(bytes, format)?;
                Ok(Loaded { meta: doc.meta, ..Loaded::document(doc.signature, format) })
            }
            // JSON of no known shape: torch's reader says what is missing where.
            None if codec::starts_like_json(bytes) => match torch_json::decode(bytes) {
                Ok(read) => Ok(Loaded {
                    torch_schema_version: read.schema_version,
                    ..Loaded::document(read.signature, Format::TorchJson)
                }),
                Err(e) => Err(e),
            },
            None => Err(Error::Unrecognized {
                found: format!("it starts with {}", excerpt(&bytes[..bytes.len().min(SNIFF_LEN)], 48)),
                accepted: pt2::ACCEPTED,
            }),
        }
    }
}

/// Names the archive record an error is about.
fn in_record(e: Error, record: &str) -> Error {
    match e {
        Error::Decode { format, path, reason } => {
            let path = if path.is_empty() { record.to_owned() } else { format!("{record}: {path}") };
            Error::Decode { format, path, reason }
        }
        other => other,
    }
}
