//! The schema version of this crate's own formats (protobuf, JSON, FlatBuffers, bincode) and
//! the compatibility policy (`docs/formats.md`).
//!
//! - A **minor** bump is additive: a new field with a default, a new oneof/union arm, a new
//!   enum value, a new message or table. Readers of the same major read it; a value they
//!   cannot represent (say, a kind added in 1.1 read by a 1.0 build) is an error naming its
//!   field path, never a silent default.
//! - A **major** bump is everything else: removing, renumbering or retyping a field or an
//!   enum value, changing a meaning. A reader rejects a newer (or older) major with
//!   [`Error::UnsupportedVersion`], naming both versions.
//!
//! A writer writes the lowest version that holds its document: 1.0 for a signature alone,
//! 1.1 for one with metadata ([`crate::codec::Document`]).
//!
//! ```
//! use graph_signature::version::SchemaVersion;
//! assert_eq!(SchemaVersion::CURRENT.to_string(), "1.1");
//! assert!(SchemaVersion::new(1, 7).check("proto").is_ok());
//! let err = SchemaVersion::new(2, 0).check("proto").unwrap_err();
//! assert_eq!(err.to_string(), "proto schema version 2.0 is not supported (this build reads 1.x, writes 1.0 and 1.1)");
//! ```

use std::fmt;

use crate::Error;

/// A (major, minor) schema version of this crate's formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SchemaVersion {
    /// Bumped by any change an older reader would misread.
    pub major: u32,
    /// Bumped by additive changes.
    pub minor: u32,
}

impl SchemaVersion {
    /// 1.0: the signature alone.
    pub const V1_0: SchemaVersion = SchemaVersion { major: 1, minor: 0 };

    /// 1.1: the signature and the metadata of its values.
    pub const V1_1: SchemaVersion = SchemaVersion { major: 1, minor: 1 };

    /// The newest version this build knows and writes: 1.1 (a document without metadata
    /// is still written at 1.0, see [`crate::codec::Document::schema_version`]).
    pub const CURRENT: SchemaVersion = Self::V1_1;

    /// What this build reads and writes, for error messages.
    pub const SUPPORTED: &'static str = "1.x, writes 1.0 and 1.1";

    /// A version.
    pub const fn new(major: u32, minor: u32) -> Self {
        Self { major, minor }
    }

    /// `Ok` when this build reads data written under `self`: every minor of the current major.
    pub fn check(self, format: &'static str) -> Result<(), Error> {
        if self.major == Self::CURRENT.major {
            Ok(())
        } else {
            Err(Error::UnsupportedVersion { format, found: self.to_string(), supported: Self::SUPPORTED })
        }
    }
}

impl fmt::Display for SchemaVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}
