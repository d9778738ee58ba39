//! The crate's one error type. Every variant says what failed and where.

use std::fmt;
use std::io;
use std::path::PathBuf;

use crate::classify::ClassifyFailure;
use crate::model::validate::{SpecKind, SpecRef, Violation};

/// Everything that can go wrong in this crate.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// The specs break validation rules; every violation found is listed.
    Invalid(ValidationError),
    /// A flat signature could not be classified: the graph input or output at `at`,
    /// named `name`, fits no list.
    Classify {
        /// The graph input or output.
        at: SpecRef,
        /// Its node name.
        name: String,
        /// Which of torch's failures this is.
        failure: ClassifyFailure,
    },
    /// Bytes of `format` could not be decoded; `path` is the field path of the offending
    /// value (`input_specs[3].parameter.arg`), empty for the document as a whole.
    Decode {
        /// The format being read, e.g. `"torch-json"`.
        format: &'static str,
        /// Field path of the offending value.
        path: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The data was written under a schema version this build cannot read.
    UnsupportedVersion {
        /// The format, e.g. `"torch-json"`.
        format: &'static str,
        /// The version found, e.g. `"5.1"`.
        found: String,
        /// The versions this build reads, e.g. `"8.x"`.
        supported: &'static str,
    },
    /// A valid signature that `format` (at the version asked for) cannot hold as it is:
    /// writing it would fail in the format's own tools, or silently change or drop part of
    /// the spec at `at`.
    Unrepresentable {
        /// The format being written, e.g. `"torch-json"`.
        format: &'static str,
        /// The spec that cannot be written.
        at: SpecRef,
        /// Why.
        reason: UnrepresentableReason,
    },
    /// The signature is too large for `format`: its encoding could take `size` bytes, more
    /// than the `limit` the format's readers accept.
    TooLarge {
        /// The format being written, e.g. `"fbs"`.
        format: &'static str,
        /// The (upper bound of the) encoded size.
        size: u64,
        /// The largest the format's readers accept.
        limit: u64,
    },
    /// Metadata that a writer refuses before writing anything, because its readers would
    /// refuse it (schema 1.1, `docs/formats.md`): a list with more entries than the
    /// signature has specs, a malformed expression, too many values. `path` names the value
    /// as a reader's [`Error::Decode`] would (`meta.inputs[3].tensor.sizes[1].as_expr.expr`).
    InvalidMeta {
        /// Field path of the offending value.
        path: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A size read from the input is over a documented limit (or over what the input can
    /// hold): `what` is the thing measured, e.g. `"zip record data/weights/w0"`.
    Limit {
        /// What was measured, with where it is.
        what: String,
        /// Its size (declared or reached), in the unit of `limit`.
        size: u64,
        /// The largest allowed.
        limit: u64,
    },
    /// The input is not something this crate reads as a signature. `found` says what it
    /// is when known (`"a torch.save checkpoint"`, `"a TorchScript archive"`, ...) or shows
    /// its first bytes; `accepted` lists what is read.
    Unrecognized {
        /// What the input is, or a short excerpt of its first bytes.
        found: String,
        /// What would have been accepted.
        accepted: &'static str,
    },
    /// An archive holds no program or embedded signature of the name asked for, or holds
    /// several and none was asked for.
    Model(ModelSelection),
    /// The file is of a kind that can carry an embedded signature but this one carries
    /// none: `hint` says how to add one.
    NoSignature {
        /// What the file is, e.g. `".safetensors file"`.
        kind: &'static str,
        /// How to add one.
        hint: &'static str,
    },
    /// A signature to embed does not name the graph inputs and outputs of the program it
    /// is embedded for (see [`archive::embed::check_matches_program`](crate::archive::embed::check_matches_program)).
    Mismatch {
        /// Where they differ, e.g. `graph inputs[0] is "y", the program's is "x"`.
        reason: String,
    },
    /// A write was refused before anything was touched, to keep a user's file.
    Refused {
        /// The file that would have been written.
        path: PathBuf,
        /// Why.
        reason: RefusedWrite,
    },
    /// An I/O error, with the file it concerns when there is one.
    Io {
        /// The file, if any.
        path: Option<PathBuf>,
        /// The underlying error.
        source: io::Error,
    },
}

impl Error {
    pub(crate) fn decode(format: &'static str, path: impl fmt::Display, reason: impl Into<String>) -> Self {
        Self::Decode { format, path: path.to_string(), reason: reason.into() }
    }

    /// Attaches a file path to an I/O error that has none.
    pub fn with_path(self, file: impl Into<PathBuf>) -> Self {
        match self {
            Self::Io { path: None, source } => Self::Io { path: Some(file.into()), source },
            other => other,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Invalid(v) => v.fmt(f),
            Self::Classify { at, name, failure } => write!(f, "cannot classify {at}: {failure}: {name}"),
            Self::Decode { format, path, reason } if path.is_empty() => write!(f, "invalid {format}: {reason}"),
            Self::Decode { format, path, reason } => write!(f, "invalid {format} at {path}: {reason}"),
            Self::UnsupportedVersion { format, found, supported } => {
                write!(f, "{format} schema version {found} is not supported (this build reads {supported})")
            }
            Self::Unrepresentable { format, at, reason } => write!(f, "cannot write {at} as {format}: {reason}"),
            Self::TooLarge { format, size, limit } => write!(
                f,
                "the signature is too large for {format}: up to {size} bytes, over the {limit}-byte limit of its readers"
            ),
            Self::InvalidMeta { path, reason } => write!(f, "invalid metadata at {path}: {reason}"),
            Self::Limit { what, size, limit } => write!(f, "{what} is {size}, over the limit of {limit}"),
            Self::Unrecognized { found, accepted } => write!(f, "unrecognised input ({found}); expected {accepted}"),
            Self::Model(m) => m.fmt(f),
            Self::NoSignature { kind, hint } => write!(f, "this {kind} carries no embedded signature ({hint})"),
            Self::Mismatch { reason } => write!(f, "the signature does not match the program's graph: {reason}"),
            Self::Refused { path, reason } => write!(f, "{}: {reason}", path.display()),
            Self::Io { path: Some(p), source } => write!(f, "{}: {source}", p.display()),
            Self::Io { path: None, source } => source.fmt(f),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}

impl From<io::Error> for Error {
    fn from(source: io::Error) -> Self {
        Self::Io { path: None, source }
    }
}

impl From<ValidationError> for Error {
    fn from(v: ValidationError) -> Self {
        Self::Invalid(v)
    }
}

/// Which program of an archive to read (see [`Error::Model`]).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ModelSelection {
    /// No program (or embedded signature) is named `wanted`.
    NotFound {
        /// The name asked for.
        wanted: String,
        /// The names there are.
        available: Vec<String>,
    },
    /// Several programs and none asked for.
    Ambiguous {
        /// The names there are.
        available: Vec<String>,
    },
    /// A model was asked for, but the input is not an archive of programs.
    NotAnArchive {
        /// The model asked for.
        wanted: String,
    },
}

/// Lists names, at most ten of them, so an archive of thousands of programs gives a short
/// message.
fn list_names(f: &mut fmt::Formatter<'_>, names: &[String]) -> fmt::Result {
    const SHOWN: usize = 10;
    for (i, name) in names.iter().take(SHOWN).enumerate() {
        if i > 0 {
            f.write_str(", ")?;
        }
        write!(f, "{}", crate::error::excerpt(name.as_bytes(), 80))?;
    }
    if names.len() > SHOWN {
        write!(f, " and {} more", names.len() - SHOWN)?;
    }
    Ok(())
}

impl fmt::Display for ModelSelection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotFound { wanted, available } if available.is_empty() => {
                write!(f, "no model named {wanted:?}: the archive holds none")
            }
            Self::NotFound { wanted, available } => {
                write!(f, "no model named {wanted:?}; the archive holds ")?;
                list_names(f, available)
            }
            Self::Ambiguous { available } => {
                write!(f, "the archive holds {} models (", available.len())?;
                list_names(f, available)?;
                f.write_str("); choose one with --model")
            }
            Self::NotAnArchive { wanted } => {
                write!(f, "a model ({wanted:?}) can only be chosen in a .pt2 archive, and this is not one")
            }
        }
    }
}

/// Why a write was refused (see [`Error::Refused`]).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum RefusedWrite {
    /// The output is the input being read (the same file, perhaps through a link).
    OutputIsInput {
        /// The input as the user named it.
        input: PathBuf,
    },
    /// The file is read-only; `--force` (or the library's `force` option) overrides.
    ReadOnly,
    /// The file's owner or group could not be kept (writing would change them).
    OwnerNotKept {
        /// What the system said.
        reason: String,
    },
    /// The path names something other than a regular file (a folder, a device).
    NotAFile,
}

impl fmt::Display for RefusedWrite {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::OutputIsInput { input } => write!(
                f,
                "is the input {} itself; writing it would destroy what is being read (write elsewhere)",
                input.display()
            ),
            Self::ReadOnly => f.write_str("is read-only; nothing was written (use --force to replace it anyway)"),
            Self::OwnerNotKept { reason } => {
                write!(f, "its owner and group could not be kept ({reason}); nothing was written")
            }
            Self::NotAFile => f.write_str("is not a regular file; nothing was written"),
        }
    }
}

/// At most `max` bytes of `bytes`, shown as text when they are printable ASCII and as hex
/// otherwise, with an ellipsis when cut: what an error shows of the input, never the whole.
pub(crate) fn excerpt(bytes: &[u8], max: usize) -> String {
    let shown = &bytes[..bytes.len().min(max)];
    let more = if bytes.len() > max { "…" } else { "" };
    if shown.iter().all(|b| b.is_ascii_graphic() || *b == b' ') {
        format!("{}{more}", String::from_utf8_lossy(shown))
    } else {
        let hex: Vec<String> = shown.iter().take(max / 3).map(|b| format!("{b:02x}")).collect();
        let more = if bytes.len() > max / 3 { " …" } else { "" };
        format!("bytes {}{more}", hex.join(" "))
    }
}

/// Why a spec cannot be written in a format (see [`Error::Unrepresentable`]).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum UnrepresentableReason {
    /// The target version of the format has no way to say `what`; `min_version` is the first
    /// that has, e.g. `"schema 8.14 (torch 2.9+)"`.
    NeedsNewerVersion {
        /// What cannot be written, e.g. `"a PARAMETER_MUTATION output"`.
        what: &'static str,
        /// The first format version that can hold it.
        min_version: &'static str,
        /// The version asked for, e.g. `"schema 8.8 (torch 2.8)"`.
        target: String,
    },
    /// The format's own writer cannot write `what` at all (it fails with `writer_error`).
    WriterFails {
        /// What cannot be written, e.g. `"a SymBool user input"`.
        what: &'static str,
        /// What the reference writer does, e.g. torch 2.15's `AssertionError: TODO`.
        writer_error: &'static str,
        /// What a lossy write produces instead.
        closest: &'static str,
    },
    /// The format's own reader would read `what` back as something else: `read_back_as`.
    ReadBackChanges {
        /// What would change, e.g. `"a CustomObj user output"`.
        what: &'static str,
        /// What the reference reader makes of it.
        read_back_as: &'static str,
        /// What a lossy write produces instead.
        closest: &'static str,
    },
    /// The format has no place for `field` on a spec of kind `kind`: writing would drop it
    /// (which a lossy write does).
    NoSlot {
        /// The field, `"target"` or `"persistent"`.
        field: &'static str,
        /// The spec's kind.
        kind: SpecKind,
    },
}

impl fmt::Display for UnrepresentableReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NeedsNewerVersion { what, min_version, target } => {
                write!(f, "{what} needs {min_version}; the target is {target}")
            }
            Self::WriterFails { what, writer_error, closest } => write!(
                f,
                "{what} cannot be written: the format's own writer fails ({writer_error}); \
                 a lossy write gives {closest}"
            ),
            Self::ReadBackChanges { what, read_back_as, closest } => write!(
                f,
                "{what} would be read back by the format's own reader as {read_back_as}; \
                 a lossy write gives {closest}"
            ),
            Self::NoSlot { field, kind } => {
                write!(f, "the format has no place for the {field} of a {kind} spec; a lossy write drops it")
            }
        }
    }
}

/// A non-empty list of rule violations.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValidationError {
    violations: Vec<Violation>,
}

impl ValidationError {
    pub(crate) fn new(violations: Vec<Violation>) -> Self {
        debug_assert!(!violations.is_empty());
        Self { violations }
    }

    /// Every violation, in spec order (inputs, then outputs).
    pub fn violations(&self) -> &[Violation] {
        &self.violations
    }
}

impl fmt::Display for ValidationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("invalid signature: ")?;
        for (i, v) in self.violations.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            v.fmt(f)?;
        }
        Ok(())
    }
}

impl std::error::Error for ValidationError {}
