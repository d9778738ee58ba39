//! The checks at the boundary: pointers from C are tested for NULL and alignment before
//! anything is read or written, and every raw read or write of C memory is in this file.

use std::ffi::{c_char, CStr};
use std::ptr::NonNull;

use crate::status::{Failure, GSIG_ERR_INVALID_ARGUMENT, GSIG_ERR_NULL_POINTER};

/// An out-parameter checked to be non-NULL and aligned.
pub(crate) struct Out<T>(NonNull<T>);

impl<T> Out<T> {
    /// Checks an out-parameter named `name`.
    ///
    /// # Safety
    ///
    /// `ptr` is NULL or valid for a write of a `T` until the exported function returns (the
    /// C caller's part of the contract, stated for every function in the header).
    pub(crate) unsafe fn new(ptr: *mut T, name: &'static str) -> Result<Self, Failure> {
        let ptr = NonNull::new(ptr).ok_or_else(|| null(name))?;
        if !ptr.as_ptr().is_aligned() {
            return Err(Failure::new(GSIG_ERR_NULL_POINTER, format!("{name} is not aligned for its type")));
        }
        Ok(Self(ptr))
    }

    /// Writes the value (without reading or dropping what was there: C memory holds no Rust
    /// value to drop).
    pub(crate) fn write(self, value: T) {
        // SAFETY: non-NULL and aligned (checked in `new`), and valid for a write of a `T`
        // for the duration of the call (the caller's promise taken on in `new`).
        unsafe { self.0.as_ptr().write(value) }
    }
}

pub(crate) fn null(name: &str) -> Failure {
    Failure::new(GSIG_ERR_NULL_POINTER, format!("{name} is NULL"))
}

/// A NUL-terminated UTF-8 string argument; NULL is `None`.
///
/// # Safety
///
/// `ptr` is NULL or points to a NUL-terminated string that stays unchanged until the
/// exported function returns.
pub(crate) unsafe fn c_str<'a>(ptr: *const c_char, name: &'static str) -> Result<Option<&'a str>, Failure> {
    if ptr.is_null() {
        return Ok(None);
    }
    // SAFETY: non-NULL, and NUL-terminated and unchanged during the call (the caller's
    // promise in this function's contract).
    let bytes = unsafe { CStr::from_ptr(ptr) }.to_bytes();
    utf8(bytes, name).map(Some)
}

/// A NUL-terminated path argument, as bytes (a Unix path need not be UTF-8).
///
/// # Safety
///
/// As [`c_str`].
pub(crate) unsafe fn c_bytes<'a>(ptr: *const c_char, name: &'static str) -> Result<&'a [u8], Failure> {
    if ptr.is_null() {
        return Err(null(name));
    }
    // SAFETY: non-NULL, NUL-terminated and unchanged during the call (the caller's promise).
    Ok(unsafe { CStr::from_ptr(ptr) }.to_bytes())
}

/// A byte range argument: `len` bytes at `ptr`, which may be NULL only when `len` is 0.
///
/// # Safety
///
/// When `len > 0`, `ptr` is valid for reads of `len` bytes that stay unchanged until the
/// exported function returns.
pub(crate) unsafe fn bytes<'a>(ptr: *const u8, len: usize, name: &'static str) -> Result<&'a [u8], Failure> {
    if len == 0 {
        return Ok(&[]);
    }
    if ptr.is_null() {
        return Err(null(name));
    }
    if len > isize::MAX as usize {
        return Err(Failure::new(GSIG_ERR_INVALID_ARGUMENT, format!("{name}: length {len} is over PTRDIFF_MAX")));
    }
    // SAFETY: non-NULL (checked), `len` at most isize::MAX (checked), and valid for reads of
    // `len` unchanged bytes during the call (the caller's promise); u8 has no alignment.
    Ok(unsafe { std::slice::from_raw_parts(ptr, len) })
}

pub(crate) fn utf8<'a>(bytes: &'a [u8], name: &str) -> Result<&'a str, Failure> {
    std::str::from_utf8(bytes)
        .map_err(|e| Failure::new(GSIG_ERR_INVALID_ARGUMENT, format!("{name} is not UTF-8 ({e})")))
}

/// A caller's output buffer: `cap` bytes at `ptr`, NULL allowed when `cap` is 0.
pub(crate) struct OutBuffer {
    ptr: *mut u8,
    cap: usize,
}

impl OutBuffer {
    /// Checks a buffer argument.
    ///
    /// # Safety
    ///
    /// When `cap > 0`, `ptr` is valid for writes of `cap` bytes until the exported function
    /// returns, and overlaps no memory the library owns.
    pub(crate) unsafe fn new(ptr: *mut u8, cap: usize, name: &'static str) -> Result<Self, Failure> {
        if cap > 0 && ptr.is_null() {
            return Err(Failure::new(GSIG_ERR_NULL_POINTER, format!("{name} is NULL but its capacity is {cap}")));
        }
        Ok(Self { ptr, cap })
    }

    pub(crate) fn cap(&self) -> usize {
        self.cap
    }

    /// Whether the call is a size query (no buffer given).
    pub(crate) fn is_query(&self) -> bool {
        self.cap == 0
    }

    /// Copies `data` in if it fits; `false` (nothing written) if not.
    pub(crate) fn fill(&self, data: &[u8]) -> bool {
        if data.len() > self.cap {
            return false;
        }
        if !data.is_empty() {
            // SAFETY: `data.len() <= cap` bytes are written at `ptr`, which is non-NULL
            // (cap > 0, checked in `new`) and writable for `cap` bytes (the caller's promise
            // taken on in `new`); `data` is library memory, which the buffer does not overlap.
            unsafe { std::ptr::copy_nonoverlapping(data.as_ptr(), self.ptr, data.len()) };
        }
        true
    }
}
