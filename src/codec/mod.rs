//! Adapters between bytes and the model. No adapter knows another; conversions between two
//! formats always pass through [`ExportGraphSignature`].
//!
//! [`Format`] names every format, [`encode`] and [`decode`] dispatch on it, and
//! [`Format::detect`] recognises bytes by content. See `docs/formats.md`.
//!
//! Since schema 1.1 a document may also carry the metadata of the signature's values
//! ([`Document`], [`encode_document`], [`decode_document`]); [`encode`] and [`decode`]
//! work on the signature alone, as before.
//!
//! ```
//! use graph_signature::codec::{self, Format};
//! use graph_signature::{ExportGraphSignature, InputSpec};
//! let sig = ExportGraphSignature::new(vec![InputSpec::buffer("b_n", "n", true)], vec![])?;
//! for format in Format::WRITABLE {
//!     let bytes = codec::encode(&sig, *format)?;
//!     assert_eq!(Format::detect(&bytes), Some(*format));
//!     assert_eq!(codec::decode(&bytes, *format)?, sig);
//! }
//! # Ok::<(), graph_signature::Error>(())
//! ```

use std::fmt;
use std::path::Path;
use std::str::FromStr;

use crate::model::meta::SignatureMeta;
use crate::model::ExportGraphSignature;
use crate::version::SchemaVersion;
use crate::Error;

pub mod bincode;
pub mod fbs;
pub mod framed;
pub mod json;
mod meta;
pub mod proto;
pub mod torch_json;

/// The most specs (inputs and outputs together) a decoder builds: four times the lifted
/// state of the largest checkpoints (a million tensors). A document declaring more is
/// [`Error::Limit`] before any spec is built, so a small document of empty specs cannot
/// take gigabytes to decode.
pub const MAX_SPECS: u64 = 4_000_000;

/// The most sizes, strides and range constraints (together) a document's metadata may hold
/// (schema 1.1): four sizes and four strides for each of two million tensors. A document
/// declaring more is [`Error::Limit`] (protobuf: before any is built).
pub const MAX_META_VALUES: u64 = 16_000_000;

/// Refuses a spec count over [`MAX_SPECS`].
pub(crate) fn check_spec_count(format: &'static str, specs: u64) -> Result<(), Error> {
    if specs > MAX_SPECS {
        return Err(Error::Limit {
            what: format!("the number of specs in a {format} document"),
            size: specs,
            limit: MAX_SPECS,
        });
    }
    Ok(())
}

/// A format a signature is read from and written to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Format {
    /// Proto3 canonical JSON of our `.proto` ([`json`]).
    Json,
    /// Protobuf binary of our `.proto` ([`proto`]).
    Proto,
    /// FlatBuffers of our `.fbs`, identifier `GSIG` ([`fbs`]).
    Fbs,
    /// bincode 2.0.1 with our header ([`bincode`](mod@bincode)).
    Bincode,
    /// torch's own JSON ([`torch_json`]): read for every schema torch released; written as
    /// torch 2.12 to 2.15 write it (schema 8.20), refusing what torch would read back changed.
    TorchJson,
}

impl Format {
    /// Every format.
    pub const ALL: &'static [Format] = &[Format::Json, Format::Proto, Format::Fbs, Format::Bincode, Format::TorchJson];

    /// Our own formats: [`encode`] writes every signature in them, losslessly, at our schema
    /// version (it writes torch's JSON too, but that cannot hold every signature).
    pub const WRITABLE: &'static [Format] = &[Format::Json, Format::Proto, Format::Fbs, Format::Bincode];

    /// The name used on the command line and in errors: `json`, `proto`, `torch-json`, ...
    pub fn name(self) -> &'static str {
        match self {
            Format::Json => "json",
            Format::Proto => "proto",
            Format::Fbs => "fbs",
            Format::Bincode => "bincode",
            Format::TorchJson => "torch-json",
        }
    }

    /// The format a file extension stands for, when it says so unambiguously (`.pb`);
    /// `None` for `.json`, which may be ours or torch's (use [`Format::detect`]).
    pub fn from_extension(path: &Path) -> Option<Format> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "pb" | "binpb" => Some(Format::Proto),
            "bincode" => Some(Format::Bincode),
            "gsig" => Some(Format::Fbs),
            _ => None,
        }
    }

    /// Recognises a format by content: our JSON by its `"signature"` member, torch's by
    /// `"input_specs"` or `"graph_module"`, protobuf by its first field tag. `None` when
    /// nothing matches.
    pub fn detect(bytes: &[u8]) -> Option<Format> {
        let first = bytes.iter().copied().find(|b| !b.is_ascii_whitespace());
        if first == Some(b'{') {
            return detect_json(bytes);
        }
        if bytes.len() >= 8 && &bytes[4..8] == fbs::IDENTIFIER {
            return Some(Format::Fbs);
        }
        if bytes.starts_with(&bincode::MAGIC) {
            return Some(Format::Bincode);
        }
        // SignatureDocument's first field is schema_version = 10, length-delimited.
        if bytes.first() == Some(&0x52) {
            return Some(Format::Proto);
        }
        None
    }
}

/// Tells our JSON from torch's by the top-level members, without building the document
/// (and accepting the bare `NaN` and `Infinity` torch ≤ 2.6 wrote).
fn detect_json(bytes: &[u8]) -> Option<Format> {
    let keys = top_level_keys(bytes)?;
    if keys.contains(&&b"signature"[..]) {
        Some(Format::Json)
    } else if keys.iter().any(|k| *k == b"input_specs" || *k == b"graph_module") {
        Some(Format::TorchJson)
    } else {
        None
    }
}

/// The raw keys of a JSON object's top level; `None` if the bytes are not shaped like one.
/// Values are skipped by their brackets and strings only, so any token inside them (bare
/// `NaN` included) is passed over.
fn top_level_keys(bytes: &[u8]) -> Option<Vec<&[u8]>> {
    let mut at = skip_ws(bytes, 0);
    if bytes.get(at) != Some(&b'{') {
        return None;
    }
    at = skip_ws(bytes, at + 1);
    let mut keys = Vec::new();
    if bytes.get(at) == Some(&b'}') {
        return Some(keys);
    }
    loop {
        if bytes.get(at) != Some(&b'"') {
            return None;
        }
        let end = string_end(bytes, at)?;
        keys.push(&bytes[at + 1..end - 1]);
        at = skip_ws(bytes, end);
        if bytes.get(at) != Some(&b':') {
            return None;
        }
        // Skip the value: to the next ',' or '}' outside strings and brackets.
        let mut depth = 0usize;
        at += 1;
        loop {
            match *bytes.get(at)? {
                b'"' => {
                    at = string_end(bytes, at)?;
                    continue;
                }
                b'{' | b'[' => depth += 1,
                b'}' | b']' if depth > 0 => depth -= 1,
                b'}' if depth == 0 => return Some(keys),
                b',' if depth == 0 => break,
                _ => {}
            }
            at += 1;
        }
        at = skip_ws(bytes, at + 1);
    }
}

fn skip_ws(bytes: &[u8], mut at: usize) -> usize {
    while bytes.get(at).is_some_and(u8::is_ascii_whitespace) {
        at += 1;
    }
    at
}

/// The index just past the string starting at `start` (a `"`).
fn string_end(bytes: &[u8], start: usize) -> Option<usize> {
    let mut at = start + 1;
    loop {
        match *bytes.get(at)? {
            b'\\' => at += 2,
            b'"' => return Some(at + 1),
            _ => at += 1,
        }
    }
}

/// Whether the first non-whitespace byte opens a JSON object or array.
pub fn starts_like_json(bytes: &[u8]) -> bool {
    matches!(bytes.iter().find(|b| !b.is_ascii_whitespace()), Some(b'{' | b'['))
}

/// Whether the first bytes of a file could begin a document in one of the formats (JSON,
/// FlatBuffers, bincode, protobuf): what is read whole only after this says yes.
pub fn looks_like_document(prefix: &[u8]) -> bool {
    let all_whitespace = !prefix.is_empty() && prefix.iter().all(u8::is_ascii_whitespace);
    all_whitespace
        || starts_like_json(prefix)
        || (prefix.len() >= 8 && &prefix[4..8] == fbs::IDENTIFIER)
        || prefix.starts_with(&bincode::MAGIC)
        || prefix.first() == Some(&0x52)
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Format {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        Format::ALL.iter().copied().find(|f| f.name() == s).ok_or_else(|| {
            let names: Vec<_> = Format::ALL.iter().map(|f| f.name()).collect();
            format!("unknown format {s:?} (expected one of: {})", names.join(", "))
        })
    }
}

/// What one document of our formats holds: a signature and, since schema 1.1, what torch
/// recorded about its values.
///
/// ```
/// use graph_signature::codec::{self, Document, Format};
/// use graph_signature::model::meta::{Device, Dtype, Layout, SignatureMeta, SymExpr, SymInt, TensorMeta, ValueMeta};
/// use graph_signature::{ArgumentSpec, ExportGraphSignature, InputSpec};
/// let sig = ExportGraphSignature::new(vec![InputSpec::user_input(ArgumentSpec::tensor("x"))], vec![])?;
/// let x = TensorMeta {
///     dtype: Dtype::Float32,
///     sizes: vec![SymInt::Expr(SymExpr::new("s0", Some(graph_signature::model::meta::Hint::Int(8)))), SymInt::Int(3)],
///     strides: vec![SymInt::Int(3), SymInt::Int(1)],
///     storage_offset: SymInt::Int(0),
///     device: Device { kind: "cpu".into(), index: None },
///     layout: Layout::Strided,
///     requires_grad: false,
/// };
/// let meta = SignatureMeta { inputs: vec![Some(ValueMeta::Tensor(x))], ..SignatureMeta::default() };
/// let doc = Document::with_meta(sig, meta);
/// assert_eq!(doc.schema_version().to_string(), "1.1");
/// for format in Format::WRITABLE {
///     let bytes = codec::encode_document(&doc, *format)?;
///     assert_eq!(codec::decode_document(&bytes, *format)?, doc);
///     // A reader of the signature alone ignores the metadata.
///     assert_eq!(codec::decode(&bytes, *format)?, doc.signature);
/// }
/// # Ok::<(), graph_signature::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Document {
    /// The signature.
    pub signature: ExportGraphSignature,
    /// The metadata of the signature's values, aligned with its specs: schema 1.1. `None`
    /// writes the document at 1.0, exactly as [`encode`] writes the signature.
    pub meta: Option<SignatureMeta>,
}

impl Document {
    /// A document of the signature alone (written at 1.0).
    pub fn new(signature: ExportGraphSignature) -> Self {
        Self { signature, meta: None }
    }

    /// A document with metadata (written at 1.1).
    pub fn with_meta(signature: ExportGraphSignature, meta: SignatureMeta) -> Self {
        Self { signature, meta: Some(meta) }
    }

    /// The version a writer writes this document at: the lowest that holds it, 1.0 without
    /// metadata and 1.1 with it.
    pub fn schema_version(&self) -> SchemaVersion {
        if self.meta.is_some() {
            SchemaVersion::V1_1
        } else {
            SchemaVersion::V1_0
        }
    }
}

impl From<ExportGraphSignature> for Document {
    fn from(signature: ExportGraphSignature) -> Self {
        Self::new(signature)
    }
}

/// Encodes a document in one of our formats at the lowest version that holds it (see
/// [`Document::schema_version`]); a document without metadata gives the bytes of
/// [`encode`]. Metadata the readers would refuse (a list longer than the specs, a malformed
/// expression) is [`Error::InvalidMeta`]; [`Format::TorchJson`] has no place for metadata
/// and refuses a document that has some (encode `doc.signature` alone).
pub fn encode_document(doc: &Document, format: Format) -> Result<Vec<u8>, Error> {
    let Some(meta) = &doc.meta else { return encode(&doc.signature, format) };
    meta::check_for_writing(&doc.signature, meta)?;
    match format {
        Format::Json => json::encode_document(doc),
        Format::Proto => proto::encode_document(doc),
        Format::Fbs => fbs::encode_document(doc),
        Format::Bincode => bincode::encode_document(doc),
        Format::TorchJson => Err(Error::InvalidMeta {
            path: "meta".to_owned(),
            reason: "torch-json has no place for metadata (encode the signature alone)".to_owned(),
        }),
    }
}

/// Decodes a document of one of our formats with its metadata, if it has some (a 1.0
/// document has none). Bad metadata is [`Error::Decode`] naming its path (`meta.inputs[2]`).
/// [`Format::TorchJson`] gives the signature alone.
pub fn decode_document(bytes: &[u8], format: Format) -> Result<Document, Error> {
    match format {
        Format::Json => json::decode_document(bytes),
        Format::Proto => proto::decode_document(bytes),
        Format::Fbs => fbs::decode_document(bytes),
        Format::Bincode => bincode::decode_document(bytes),
        Format::TorchJson => Ok(Document::new(torch_json::decode(bytes)?.signature)),
    }
}

/// Encodes `sig` in `format`, at schema 1.0 (a signature without metadata; see
/// [`encode_document`]). [`Format::TorchJson`] is
/// written for torch 2.12 to 2.15 (schema 8.20) and refuses what torch would read back
/// changed; [`torch_json::encode`] takes other targets and a lossy mode.
pub fn encode(sig: &ExportGraphSignature, format: Format) -> Result<Vec<u8>, Error> {
    match format {
        Format::Json => Ok(json::encode(sig)),
        Format::Proto => Ok(proto::encode(sig)),
        Format::Fbs => fbs::encode(sig),
        Format::Bincode => bincode::encode(sig),
        Format::TorchJson => torch_json::encode(sig, &torch_json::WriteOptions::default()),
    }
}

/// Decodes `bytes` of `format` into a validated signature; the metadata of a 1.1 document
/// is parsed but ignored (see [`decode_document`]).
pub fn decode(bytes: &[u8], format: Format) -> Result<ExportGraphSignature, Error> {
    match format {
        Format::Json => json::decode(bytes),
        Format::Proto => proto::decode(bytes),
        Format::Fbs => fbs::decode(bytes),
        Format::Bincode => bincode::decode(bytes),
        Format::TorchJson => Ok(torch_json::decode(bytes)?.signature),
    }
}

/// A lazily formatted field path (`input_specs[3].arg`), so the happy path allocates
/// nothing for it.
#[derive(Clone, Copy)]
pub(crate) enum FieldPath<'a> {
    Root,
    Field(&'a FieldPath<'a>, &'a str),
    Index(&'a FieldPath<'a>, usize),
}

impl fmt::Display for FieldPath<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FieldPath::Root => Ok(()),
            FieldPath::Field(FieldPath::Root, name) => f.write_str(name),
            FieldPath::Field(parent, name) => write!(f, "{parent}.{name}"),
            FieldPath::Index(parent, i) => write!(f, "{parent}[{i}]"),
        }
    }
}
