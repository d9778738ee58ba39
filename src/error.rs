//! The crate's one error type. Every variant says what failed and where.

use std::fmt;
use std::io;
use std::path::PathBuf;

use crate::classify::ClassifyFailure;
use crate::model::validate::{SpecRef, Violation};

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
