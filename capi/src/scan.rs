//! The security scan of model files (`docs/scan.md`) for C: one call that scans a file or a
//! directory and writes the JSON report into the caller's buffer. ABI 1.1 (an addition).
// C names for C types, as the rest of the header.
#![allow(non_camel_case_types)]

use std::ffi::c_char;

use graph_signature::scan::{scan_paths, Options, Verdict};

use crate::ffi::{self, Out, OutBuffer};
use crate::status::{gsig_status, guard, Failure, GSIG_ERR_BUFFER_TOO_SMALL, GSIG_ERR_IO, GSIG_OK};

/// A scan verdict (`GSIG_SCAN_*`), from best to worst; a newer library may add values.
pub type gsig_scan_verdict = u32;
/// Only globals torch's weights-only unpickler allows.
pub const GSIG_SCAN_SAFE: gsig_scan_verdict = 0;
/// TorchScript custom objects or opaque objects: loading runs their class's library.
pub const GSIG_SCAN_NEEDS_TRUST: gsig_scan_verdict = 1;
/// A pickle or container that cannot be read to its end.
pub const GSIG_SCAN_MALFORMED: gsig_scan_verdict = 2;
/// A global outside the allow-list, or a call of one.
pub const GSIG_SCAN_DANGEROUS: gsig_scan_verdict = 3;

fn verdict_code(v: Verdict) -> gsig_scan_verdict {
    match v {
        Verdict::Safe => GSIG_SCAN_SAFE,
        Verdict::NeedsTrust => GSIG_SCAN_NEEDS_TRUST,
        Verdict::Malformed => GSIG_SCAN_MALFORMED,
        Verdict::Dangerous => GSIG_SCAN_DANGEROUS,
    }
}

/// Scans the file at `path`, or every model file under the directory `path` (recursively),
/// for pickles that run code when torch loads them, without executing anything
/// (`graphsig scan`; `docs/scan.md` has the verdicts and the JSON schema).
///
/// - `verdict` (may be NULL): the worst verdict of the files, a `GSIG_SCAN_*` value;
/// - `buf`, `cap`, `len`: the JSON report (`"schema": "graphsig-scan"`), UTF-8, not
///   NUL-terminated, as the buffer functions write: with `buf` NULL and `cap` 0 only its size
///   goes to `*len` (and the verdict is written), `GSIG_OK`; a buffer smaller than the report
///   gets nothing, `GSIG_ERR_BUFFER_TOO_SMALL`, and the size in `*len`. There is no handle to
///   keep the report between calls: each call scans again (the same file gives the same
///   report), so pass a generous buffer first (reports are about 2 KB per pickle).
///
/// A path that cannot be read is `GSIG_ERR_IO` (with the message), not a verdict.
///
/// # Safety
///
/// `path` is NUL-terminated; `buf` is valid for writes of `cap` bytes (may be NULL when
/// `cap` is 0); `len` is valid for a write of a `size_t`; `verdict` is NULL or valid for a
/// write of a `gsig_scan_verdict`.
#[no_mangle]
pub unsafe extern "C" fn gsig_scan_path_json(
    path: *const c_char,
    verdict: *mut gsig_scan_verdict,
    buf: *mut u8,
    cap: usize,
    len: *mut usize,
) -> gsig_status {
    guard(|| {
        // SAFETY: the pointers' validity is this function's contract.
        let (path, buf, len) =
            unsafe { (ffi::c_bytes(path, "path")?, OutBuffer::new(buf, cap, "buf")?, Out::new(len, "len")?) };
        let verdict = if verdict.is_null() {
            None
        } else {
            // SAFETY: non-NULL, and valid for a write by this function's contract.
            Some(unsafe { Out::new(verdict, "verdict")? })
        };
        let path = path_of(path)?;
        let run = scan_paths(&[path], &Options::default(), 0, &|_| {});
        if let Some(e) = run.errors.first() {
            return Err(Failure::new(GSIG_ERR_IO, format!("{}: {}", e.path, e.error)));
        }
        let json = run.to_json();
        let n = json.len();
        len.write(n);
        if let Some(v) = verdict {
            v.write(verdict_code(run.worst()));
        }
        if buf.is_query() {
            return Ok(GSIG_OK);
        }
        if buf.fill(json.as_bytes()) {
            Ok(GSIG_OK)
        } else {
            Err(Failure::new(
                GSIG_ERR_BUFFER_TOO_SMALL,
                format!("the buffer holds {} bytes; {n} are needed", buf.cap()),
            ))
        }
    })
}

#[cfg(unix)]
fn path_of(bytes: &[u8]) -> Result<&std::path::Path, Failure> {
    use std::os::unix::ffi::OsStrExt;
    Ok(std::path::Path::new(std::ffi::OsStr::from_bytes(bytes)))
}

#[cfg(not(unix))]
fn path_of(bytes: &[u8]) -> Result<&std::path::Path, Failure> {
    Ok(std::path::Path::new(ffi::utf8(bytes, "path")?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fixture_scans_to_json_in_the_callers_buffer() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/fixtures/archives/torch-2.15.0/opaque.pt2\0");
        let (mut len, mut verdict) = (0usize, 99u32);
        // SAFETY: a NUL-terminated path, a size query, valid out-parameters.
        let status =
            unsafe { gsig_scan_path_json(path.as_ptr().cast(), &mut verdict, std::ptr::null_mut(), 0, &mut len) };
        assert_eq!((status, verdict), (GSIG_OK, GSIG_SCAN_NEEDS_TRUST));
        let mut small = vec![0u8; 10];
        // SAFETY: `small` holds 10 bytes.
        let status = unsafe {
            gsig_scan_path_json(path.as_ptr().cast(), std::ptr::null_mut(), small.as_mut_ptr(), 10, &mut len)
        };
        assert_eq!(status, GSIG_ERR_BUFFER_TOO_SMALL);
        let mut buf = vec![0u8; len];
        // SAFETY: `buf` holds `len` bytes.
        let status =
            unsafe { gsig_scan_path_json(path.as_ptr().cast(), &mut verdict, buf.as_mut_ptr(), buf.len(), &mut len) };
        assert_eq!(status, GSIG_OK);
        let json = std::str::from_utf8(&buf[..len]).unwrap();
        assert!(json.starts_with("{\n  \"schema\": \"graphsig-scan\""), "{json}");
        assert!(json.contains("\"verdict\": \"needs-trust\""), "{json}");
        let missing = b"/no/such/file.pt2\0";
        // SAFETY: as above.
        let status =
            unsafe { gsig_scan_path_json(missing.as_ptr().cast(), &mut verdict, std::ptr::null_mut(), 0, &mut len) };
        assert_eq!(status, GSIG_ERR_IO);
    }
}
