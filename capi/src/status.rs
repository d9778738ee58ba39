//! Status codes, the thread-local last-error message, and the guard every exported function
//! runs its body in (so no panic crosses into C).

use std::cell::RefCell;
use std::ffi::{c_char, CStr, CString};
use std::panic::{catch_unwind, AssertUnwindSafe};

use graph_signature::Error;

/// What a function did: `GSIG_OK` (0) or why it did nothing. Every function but
/// `gsig_last_error_message` and `gsig_status_name` returns one; on anything but `GSIG_OK`
/// no out-parameter was written (except the needed size of `GSIG_ERR_BUFFER_TOO_SMALL`)
/// and `gsig_last_error_message` says what happened.
///
/// Later ABI minor versions may add codes: treat any unknown non-zero value as a failure.
#[allow(non_camel_case_types)]
pub type gsig_status = i32;

/// Success.
pub const GSIG_OK: gsig_status = 0;
/// A lookup by key found nothing (`gsig_name_map_get`). Not a failure of the call.
pub const GSIG_NOT_FOUND: gsig_status = 1;
/// The caller's buffer is too small; the size needed was written to `*len`.
pub const GSIG_ERR_BUFFER_TOO_SMALL: gsig_status = 2;

/// A pointer that must not be NULL was NULL, or is not aligned for its type.
pub const GSIG_ERR_NULL_POINTER: gsig_status = 10;
/// The handle is NULL, was freed, was never issued, or is of another handle type.
pub const GSIG_ERR_INVALID_HANDLE: gsig_status = 11;
/// An argument is out of its domain: an unknown enum value, a string that is not UTF-8, a
/// length over `PTRDIFF_MAX`.
pub const GSIG_ERR_INVALID_ARGUMENT: gsig_status = 12;
/// An index is not below the count of what it indexes.
pub const GSIG_ERR_OUT_OF_RANGE: gsig_status = 13;

/// Reading a file failed (it does not exist, is a folder, cannot be read, ...).
pub const GSIG_ERR_IO: gsig_status = 20;
/// The input is not something a signature is read from; the message says what it is.
pub const GSIG_ERR_UNRECOGNIZED: gsig_status = 21;
/// The bytes of a format could not be decoded; the message names the field path.
pub const GSIG_ERR_DECODE: gsig_status = 22;
/// The data was written under a schema version this build does not read, or a torch
/// target given to the torch-JSON writer is not one it writes for.
pub const GSIG_ERR_UNSUPPORTED_VERSION: gsig_status = 23;
/// The specs break the model's rules (every violation is in the message).
pub const GSIG_ERR_INVALID_SIGNATURE: gsig_status = 24;
/// A flat signature could not be classified.
pub const GSIG_ERR_CLASSIFY: gsig_status = 25;
/// A size read from the input is over a documented limit.
pub const GSIG_ERR_LIMIT: gsig_status = 26;
/// The archive has no program of the name given, or several and none was named, or a model
/// was named for a file that is not an archive.
pub const GSIG_ERR_MODEL: gsig_status = 27;
/// The archive carries no embedded signature (with `GSIG_SOURCE_EMBEDDED`, or a
/// `.safetensors` file).
pub const GSIG_ERR_NO_SIGNATURE: gsig_status = 28;

/// The signature cannot be written in the format (at the torch target) asked for.
pub const GSIG_ERR_UNREPRESENTABLE: gsig_status = 30;
/// The signature is too large for the format asked for.
pub const GSIG_ERR_TOO_LARGE: gsig_status = 31;

/// A consistency check of an archive map failed at error severity
/// (`gsig_archive_map_verify`; every failed check is in the message). Codes 41 to 49 are
/// kept for the archive map. ABI 1.1.
pub const GSIG_ERR_MAP_CHECK: gsig_status = 40;

/// A failure of the library this ABI version has no code for (the message says what).
pub const GSIG_ERR_OTHER: gsig_status = 90;
/// A bug: the library panicked; the panic was caught at the boundary. Please report it.
pub const GSIG_ERR_PANIC: gsig_status = 99;

/// A failed call: its status and message.
#[derive(Debug)]
pub(crate) struct Failure {
    pub status: gsig_status,
    pub message: String,
}

impl Failure {
    pub(crate) fn new(status: gsig_status, message: impl Into<String>) -> Self {
        Self { status, message: message.into() }
    }
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        let status = match &e {
            Error::Io { .. } => GSIG_ERR_IO,
            Error::Unrecognized { .. } => GSIG_ERR_UNRECOGNIZED,
            Error::Decode { .. } => GSIG_ERR_DECODE,
            Error::UnsupportedVersion { .. } => GSIG_ERR_UNSUPPORTED_VERSION,
            Error::Invalid(_) => GSIG_ERR_INVALID_SIGNATURE,
            Error::Classify { .. } => GSIG_ERR_CLASSIFY,
            Error::Limit { .. } => GSIG_ERR_LIMIT,
            Error::Model(_) => GSIG_ERR_MODEL,
            Error::NoSignature { .. } => GSIG_ERR_NO_SIGNATURE,
            Error::Unrepresentable { .. } => GSIG_ERR_UNREPRESENTABLE,
            Error::TooLarge { .. } => GSIG_ERR_TOO_LARGE,
            // `Refused` comes only from writes of files, which this API does not do, and the
            // enum is non-exhaustive: a variant added later is reported, not lost.
            _ => GSIG_ERR_OTHER,
        };
        Self { status, message: e.to_string() }
    }
}

thread_local! {
    /// The message of the last failed call on this thread (NUL-terminated for C).
    static LAST_ERROR: RefCell<CString> = RefCell::new(CString::default());
}

/// Records `message` as this thread's last error. Interior NULs (from a file's bytes quoted
/// in a message) become U+FFFD so the C string is the whole message.
pub(crate) fn set_last_error(message: &str) {
    let text = CString::new(message.replace('\0', "\u{FFFD}")).unwrap_or_default();
    // During thread teardown the slot may be gone: the message is then dropped, the status
    // still returned.
    let _ = LAST_ERROR.try_with(|slot| *slot.borrow_mut() = text);
}

/// The message of this thread's last failed call; "" before any failure.
///
/// The pointer stays valid, and the text unchanged, until the next call on this thread
/// that returns a status other than `GSIG_OK`. It is UTF-8 and NUL-terminated. Calls that
/// succeed leave it as it was, so read it right after the failing call. Never NULL.
#[no_mangle]
pub extern "C" fn gsig_last_error_message() -> *const c_char {
    static EMPTY: &CStr = c"";
    catch_unwind(|| LAST_ERROR.try_with(|slot| slot.borrow().as_ptr()).unwrap_or(EMPTY.as_ptr()))
        .unwrap_or(EMPTY.as_ptr())
}

/// The name of a status code as a static NUL-terminated string, e.g. `"GSIG_ERR_DECODE"`;
/// `"GSIG_UNKNOWN_STATUS"` for a value this build does not define. Never NULL; does not
/// touch the last-error message.
#[no_mangle]
pub extern "C" fn gsig_status_name(status: gsig_status) -> *const c_char {
    let name: &'static CStr = match status {
        GSIG_OK => c"GSIG_OK",
        GSIG_NOT_FOUND => c"GSIG_NOT_FOUND",
        GSIG_ERR_BUFFER_TOO_SMALL => c"GSIG_ERR_BUFFER_TOO_SMALL",
        GSIG_ERR_NULL_POINTER => c"GSIG_ERR_NULL_POINTER",
        GSIG_ERR_INVALID_HANDLE => c"GSIG_ERR_INVALID_HANDLE",
        GSIG_ERR_INVALID_ARGUMENT => c"GSIG_ERR_INVALID_ARGUMENT",
        GSIG_ERR_OUT_OF_RANGE => c"GSIG_ERR_OUT_OF_RANGE",
        GSIG_ERR_IO => c"GSIG_ERR_IO",
        GSIG_ERR_UNRECOGNIZED => c"GSIG_ERR_UNRECOGNIZED",
        GSIG_ERR_DECODE => c"GSIG_ERR_DECODE",
        GSIG_ERR_UNSUPPORTED_VERSION => c"GSIG_ERR_UNSUPPORTED_VERSION",
        GSIG_ERR_INVALID_SIGNATURE => c"GSIG_ERR_INVALID_SIGNATURE",
        GSIG_ERR_CLASSIFY => c"GSIG_ERR_CLASSIFY",
        GSIG_ERR_LIMIT => c"GSIG_ERR_LIMIT",
        GSIG_ERR_MODEL => c"GSIG_ERR_MODEL",
        GSIG_ERR_NO_SIGNATURE => c"GSIG_ERR_NO_SIGNATURE",
        GSIG_ERR_UNREPRESENTABLE => c"GSIG_ERR_UNREPRESENTABLE",
        GSIG_ERR_TOO_LARGE => c"GSIG_ERR_TOO_LARGE",
        GSIG_ERR_MAP_CHECK => c"GSIG_ERR_MAP_CHECK",
        GSIG_ERR_OTHER => c"GSIG_ERR_OTHER",
        GSIG_ERR_PANIC => c"GSIG_ERR_PANIC",
        _ => c"GSIG_UNKNOWN_STATUS",
    };
    name.as_ptr()
}

/// Runs the body of an exported function: its failure becomes a status code and this
/// thread's last-error message, and a panic is caught here instead of unwinding into C.
pub(crate) fn guard(body: impl FnOnce() -> Result<gsig_status, Failure>) -> gsig_status {
    match catch_unwind(AssertUnwindSafe(body)) {
        Ok(Ok(status)) => status,
        Ok(Err(failure)) => {
            set_last_error(&failure.message);
            failure.status
        }
        Err(payload) => {
            let what = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "a panic without a message".to_owned());
            // Dropping a panic payload can itself panic; forget it instead.
            std::mem::forget(payload);
            set_last_error(&format!("internal error in graph-signature (please report it): {what}"));
            GSIG_ERR_PANIC
        }
    }
}
