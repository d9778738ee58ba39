//! Writing a signature into the caller's buffer: our formats, torch's JSON, the text form.

use std::ffi::c_char;
use std::sync::Mutex;

use graph_signature::codec::torch_json::{self, TorchTarget, WriteOptions};
use graph_signature::codec::{self, Format};

use crate::ffi::{self, Out, OutBuffer};
use crate::signature::{entry, format_from, gsig_format, gsig_signature, Entry};
use crate::status::{gsig_status, guard, Failure, GSIG_ERR_BUFFER_TOO_SMALL, GSIG_OK};

/// What a buffer call asked for: the cache of a size query answers only the same request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Request {
    Format(Format),
    TorchJson(WriteOptions),
    Text,
}

impl Request {
    fn produce(self, entry: &Entry) -> Result<Vec<u8>, Failure> {
        let sig = &entry.signature;
        Ok(match self {
            Request::Format(format) => codec::encode(sig, format)?,
            Request::TorchJson(options) => torch_json::encode(sig, &options)?,
            Request::Text => sig.to_string().into_bytes(),
        })
    }
}

/// The size-query protocol shared by every buffer function:
/// - `buf` NULL and `cap` 0: the size is written to `*len`, `GSIG_OK`; the bytes are kept
///   with the handle (in `pending`, with the request) for the call that follows;
/// - `cap` at least the size: the bytes are written, their count to `*len`, `GSIG_OK`;
/// - otherwise nothing is written to `buf`, the size needed to `*len`,
///   `GSIG_ERR_BUFFER_TOO_SMALL`.
pub(crate) fn fill_with<K: PartialEq>(
    pending: &Mutex<Option<(K, Vec<u8>)>>,
    request: K,
    produce: impl FnOnce() -> Result<Vec<u8>, Failure>,
    buf: OutBuffer,
    len: Out<usize>,
) -> Result<gsig_status, Failure> {
    let mut pending = pending.lock().unwrap_or_else(|p| p.into_inner());
    let bytes = match pending.take() {
        Some((asked, bytes)) if asked == request => bytes,
        _ => produce()?,
    };
    let n = bytes.len();
    if !buf.is_query() && buf.fill(&bytes) {
        len.write(n);
        return Ok(GSIG_OK);
    }
    len.write(n);
    let status = if buf.is_query() { GSIG_OK } else { GSIG_ERR_BUFFER_TOO_SMALL };
    *pending = Some((request, bytes));
    if status == GSIG_OK {
        Ok(status)
    } else {
        Err(Failure::new(status, format!("the buffer holds {} bytes; {n} are needed", buf.cap())))
    }
}

fn fill(entry: &Entry, request: Request, buf: OutBuffer, len: Out<usize>) -> Result<gsig_status, Failure> {
    fill_with(&entry.pending, request, || request.produce(entry), buf, len)
}

/// Encodes the signature in `format` (a `GSIG_FORMAT_*` value) at our current schema
/// version; `GSIG_FORMAT_TORCH_JSON` writes for torch 2.12 to 2.15 (schema 8.20) and refuses
/// what torch would read back changed (`gsig_signature_encode_torch_json` takes a target and
/// a lossy mode).
///
/// Sizes: call first with `buf` NULL and `cap` 0 to get the size in `*len` (the encoding
/// is kept with the handle, so the next call with a buffer does not encode again); then call
/// with a buffer of at least that size. A buffer too small gets nothing,
/// `GSIG_ERR_BUFFER_TOO_SMALL`, and the size needed in `*len`. The bytes are not
/// NUL-terminated.
///
/// # Safety
///
/// `buf` is valid for writes of `cap` bytes (may be NULL when `cap` is 0); `len` is valid
/// for a write of a `size_t`.
#[no_mangle]
pub unsafe extern "C" fn gsig_signature_encode(
    sig: *const gsig_signature,
    format: gsig_format,
    buf: *mut u8,
    cap: usize,
    len: *mut usize,
) -> gsig_status {
    guard(|| {
        let entry = entry(sig)?;
        // SAFETY: the pointers' validity is this function's contract.
        let (buf, len) = unsafe { (OutBuffer::new(buf, cap, "buf")?, Out::new(len, "len")?) };
        fill(&entry, Request::Format(format_from(format)?), buf, len)
    })
}

/// Encodes the signature as torch's JSON for the torch release `target` (NUL-terminated:
/// a torch version, `"2.9"` or `"2.9.1"`, or a schema version, `"8.14"`; NULL for the
/// newest, schema 8.20 for torch 2.12 to 2.15). With `lossy` false, what that release would
/// read back changed or cannot hold is refused (`GSIG_ERR_UNREPRESENTABLE`, naming the spec);
/// with `lossy` true the closest form is written instead where one exists (as
/// `graphsig convert --to torch-json --lossy`). Buffer protocol as `gsig_signature_encode`.
///
/// # Safety
///
/// `target` is NULL or NUL-terminated; `buf` is valid for writes of `cap` bytes (may be
/// NULL when `cap` is 0); `len` is valid for a write of a `size_t`.
#[no_mangle]
pub unsafe extern "C" fn gsig_signature_encode_torch_json(
    sig: *const gsig_signature,
    target: *const c_char,
    lossy: bool,
    buf: *mut u8,
    cap: usize,
    len: *mut usize,
) -> gsig_status {
    guard(|| {
        let entry = entry(sig)?;
        // SAFETY: the pointers' validity is this function's contract.
        let (target, buf, len) =
            unsafe { (ffi::c_str(target, "target")?, OutBuffer::new(buf, cap, "buf")?, Out::new(len, "len")?) };
        let target = match target {
            Some(t) => t.parse::<TorchTarget>()?,
            None => TorchTarget::default(),
        };
        fill(&entry, Request::TorchJson(WriteOptions { target, lossy }), buf, len)
    })
}

/// The signature as torch prints it (`print(ep.graph_signature)` writes this and a newline),
/// byte for byte as torch 2.15. Buffer protocol as `gsig_signature_encode`.
///
/// # Safety
///
/// `buf` is valid for writes of `cap` bytes (may be NULL when `cap` is 0); `len` is valid
/// for a write of a `size_t`.
#[no_mangle]
pub unsafe extern "C" fn gsig_signature_text(
    sig: *const gsig_signature,
    buf: *mut c_char,
    cap: usize,
    len: *mut usize,
) -> gsig_status {
    guard(|| {
        let entry = entry(sig)?;
        // SAFETY: the pointers' validity is this function's contract.
        let (buf, len) = unsafe { (OutBuffer::new(buf.cast(), cap, "buf")?, Out::new(len, "len")?) };
        fill(&entry, Request::Text, buf, len)
    })
}
