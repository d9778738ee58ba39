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
