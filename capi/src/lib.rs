//! The C API of graph-signature: `libgraph_signature` and `graph_signature.h`.
//!
//! A thin surface over the `graph_signature` library: every function checks its pointers,
//! looks its handle up, calls the library, and turns the result into a status code (and a
//! thread-local message). Nothing here parses bytes or holds logic the library lacks.
//! The contract (ownership, lifetimes, threads, errors, ABI versioning) is `docs/capi.md`;
//! the header, `capi/include/graph_signature.h`, is generated from these sources by
//! cbindgen (`capi/cbindgen.toml`) and committed.
//!
//! Unsafe code is confined to reading and writing C memory (`ffi.rs`) and to the
//! `unsafe extern "C"` entry points, each unsafe block with the invariant it relies on.
#![deny(unsafe_op_in_unsafe_fn)]
#![deny(clippy::undocumented_unsafe_blocks)]
#![deny(missing_docs)]

pub mod access;
pub mod encode;
mod ffi;
mod handle;
pub mod map;
pub mod scan;
pub mod signature;
pub mod status;
pub mod types;

#[cfg(test)]
mod map_tests;
#[cfg(test)]
mod tests;

use graph_signature::version::SchemaVersion;

use crate::ffi::Out;
use crate::status::{gsig_status, guard, GSIG_OK};
use crate::types::gsig_str;

/// The ABI major version of this header: a library with another major is incompatible.
/// `gsig_abi_version` gives the library's, at run time.
pub const GSIG_ABI_VERSION_MAJOR: u32 = 1;
/// The ABI minor version of this header: a library with the same major and a minor at least
/// this one has every function and value this header declares.
pub const GSIG_ABI_VERSION_MINOR: u32 = 1;

/// The ABI version of the library loaded at run time, to compare with
/// `GSIG_ABI_VERSION_MAJOR` and `GSIG_ABI_VERSION_MINOR` (docs/capi.md, "ABI versioning").
///
/// # Safety
///
/// `major` and `minor` are each valid for a write of a `uint32_t`.
#[no_mangle]
pub unsafe extern "C" fn gsig_abi_version(major: *mut u32, minor: *mut u32) -> gsig_status {
    guard(|| {
        // SAFETY: the out-parameters' validity is this function's contract.
        let (ma, mi) = unsafe { (Out::new(major, "major")?, Out::new(minor, "minor")?) };
        ma.write(GSIG_ABI_VERSION_MAJOR);
        mi.write(GSIG_ABI_VERSION_MINOR);
        Ok(GSIG_OK)
    })
}

/// The version of graph-signature this library was built from, e.g. `"0.1.0"`, valid for
/// the life of the process (also NUL-terminated).
///
/// # Safety
///
/// `version` is valid for a write of a `gsig_str`.
#[no_mangle]
pub unsafe extern "C" fn gsig_library_version(version: *mut gsig_str) -> gsig_status {
    const VERSION: &std::ffi::CStr =
        match std::ffi::CStr::from_bytes_with_nul(concat!(env!("CARGO_PKG_VERSION"), "\0").as_bytes()) {
            Ok(v) => v,
            Err(_) => panic!("the package version has no NUL"),
        };
    guard(|| {
        // SAFETY: the out-parameter's validity is this function's contract.
        let out = unsafe { Out::new(version, "version")? };
        out.write(gsig_str { data: VERSION.as_ptr(), len: VERSION.to_bytes().len() });
        Ok(GSIG_OK)
    })
}

/// The schema version of our formats this library writes when it writes the metadata of a
/// signature's values (1.1 today, `gsig_archive_map_encode`; a signature alone,
/// `gsig_signature_encode`, is written as 1.0 bytes). It reads every minor of that major.
///
/// # Safety
///
/// `major` and `minor` are each valid for a write of a `uint32_t`.
#[no_mangle]
pub unsafe extern "C" fn gsig_schema_version(major: *mut u32, minor: *mut u32) -> gsig_status {
    guard(|| {
        // SAFETY: the out-parameters' validity is this function's contract.
        let (ma, mi) = unsafe { (Out::new(major, "major")?, Out::new(minor, "minor")?) };
        ma.write(SchemaVersion::CURRENT.major);
        mi.write(SchemaVersion::CURRENT.minor);
        Ok(GSIG_OK)
    })
}
