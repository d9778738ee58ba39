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
//! ```
//! use graph_signature::version::SchemaVersion;
//! assert_eq!(SchemaVersion::CURRENT.to_string(), "1.0");
//! assert!(SchemaVersion::new(1, 7).check("proto").is_ok());
//! let err = SchemaVersion::new(2, 0).check("proto").unwrap_err();
//! assert_eq!(err.to_string(), "proto schema version 2.0 is not supported (this build reads 1.x, writes 1.0)");
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
    /// The version this build writes: 1.0.
    pub const CURRENT: SchemaVersion = SchemaVersion { major: 1, minor: 0 };

    /// What this build reads, for error messages.
    pub const SUPPORTED: &'static str = "1.x, writes 1.0";

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
