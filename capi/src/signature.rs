//! `gsig_signature`: opening, freeing, and what was read.
#![allow(non_camel_case_types)]

use std::ffi::c_char;
use std::path::Path;
use std::sync::{Arc, Mutex};

use graph_signature::archive::pt2::Layout;
use graph_signature::codec::{self, torch_json, Format};
use graph_signature::read::{FileKind, Loaded, ReadOptions, Source};
use graph_signature::ExportGraphSignature;

use crate::ffi::{self, Out};
use crate::handle::{self, Object, Tag};
use crate::status::{gsig_status, guard, Failure, GSIG_ERR_INVALID_ARGUMENT, GSIG_OK};
use crate::types::gsig_str;

/// A signature read from a file or bytes, opened by `gsig_open_path`, `gsig_open_bytes` or
/// `gsig_decode` and freed by `gsig_signature_free`.
///
/// Opaque: the pointer is an id, never dereferenced by anyone. A freed, never-issued or
/// NULL handle is refused with `GSIG_ERR_INVALID_HANDLE` (docs/capi.md says what cannot be
/// caught). Read-only: every function may be called on the same handle from several threads
/// at once.
pub struct gsig_signature {
    _private: [u8; 0],
}

/// Which signature of an archive `gsig_open_path` and `gsig_open_bytes` read.
pub type gsig_source = u32;
/// The signature embedded by `graphsig embed` when there is one, else the program's own.
pub const GSIG_SOURCE_AUTO: gsig_source = 0;
/// The program's own signature, ignoring an embedded one.
pub const GSIG_SOURCE_PROGRAM: gsig_source = 1;
/// Only an embedded signature (`GSIG_ERR_NO_SIGNATURE` when there is none).
pub const GSIG_SOURCE_EMBEDDED: gsig_source = 2;

/// A wire format.
pub type gsig_format = u32;
/// Our JSON (proto3 JSON of graph_signature.proto).
pub const GSIG_FORMAT_JSON: gsig_format = 1;
/// Our protobuf binary.
pub const GSIG_FORMAT_PROTO: gsig_format = 2;
/// Our FlatBuffers (identifier `GSIG`).
pub const GSIG_FORMAT_FBS: gsig_format = 3;
/// Our bincode.
pub const GSIG_FORMAT_BINCODE: gsig_format = 4;
/// torch's own signature JSON.
pub const GSIG_FORMAT_TORCH_JSON: gsig_format = 5;

/// What kind of file a signature was read from.
pub type gsig_file_kind = u32;
/// A `.pt2` written by torch 2.7 or older (`serialized_exported_program.json` at the root).
pub const GSIG_FILE_PT2_LEGACY_ZIP: gsig_file_kind = 1;
/// A `.pt2` written by torch 2.8 or newer (records under a root folder, `models/`).
pub const GSIG_FILE_PT2_ARCHIVE: gsig_file_kind = 2;
/// A `.safetensors` file carrying an embedded signature.
pub const GSIG_FILE_SAFETENSORS: gsig_file_kind = 3;
/// A signature or program document in one format (see the format out-parameter).
pub const GSIG_FILE_DOCUMENT: gsig_file_kind = 4;

/// Where a signature came from: the part of the library's `Loaded` besides the signature.
pub(crate) struct Origin {
    pub file_kind: gsig_file_kind,
    pub format: Option<Format>,
    pub model: Option<String>,
    pub embedded: bool,
    pub torch_schema: Option<(u64, u64)>,
}

/// What a `gsig_signature` handle holds.
pub(crate) struct Entry {
    pub signature: ExportGraphSignature,
    pub origin: Origin,
    /// The bytes of the last size query (`gsig_signature_encode*` with no buffer), so the
    /// call that follows with a buffer does not encode again.
    pub pending: Mutex<Option<(crate::encode::Request, Vec<u8>)>>,
}

impl Entry {
    pub(crate) fn new(signature: ExportGraphSignature, origin: Origin) -> Self {
        Self { signature, origin, pending: Mutex::new(None) }
    }

    fn of_loaded(loaded: Loaded) -> Self {
        let (file_kind, format) = match loaded.kind {
            FileKind::Archive(Layout::LegacyZip) => (GSIG_FILE_PT2_LEGACY_ZIP, None),
            FileKind::Archive(_) => (GSIG_FILE_PT2_ARCHIVE, None),
            FileKind::Safetensors => (GSIG_FILE_SAFETENSORS, None),
            FileKind::Document(format) => (GSIG_FILE_DOCUMENT, Some(format)),
            // FileKind is non-exhaustive; a kind added later reads as a document.
            _ => (GSIG_FILE_DOCUMENT, None),
        };
        let origin = Origin {
            file_kind,
            format,
            model: loaded.model,
            embedded: loaded.embedded,
            torch_schema: loaded.torch_schema_version.map(|v| (v.major, v.minor)),
        };
        Self::new(loaded.signature, origin)
    }
}

pub(crate) fn format_from(n: gsig_format) -> Result<Format, Failure> {
    match n {
        GSIG_FORMAT_JSON => Ok(Format::Json),
        GSIG_FORMAT_PROTO => Ok(Format::Proto),
        GSIG_FORMAT_FBS => Ok(Format::Fbs),
        GSIG_FORMAT_BINCODE => Ok(Format::Bincode),
        GSIG_FORMAT_TORCH_JSON => Ok(Format::TorchJson),
        other => Err(Failure::new(GSIG_ERR_INVALID_ARGUMENT, format!("unknown gsig_format {other}"))),
    }
}

pub(crate) fn format_number(f: Format) -> gsig_format {
    match f {
        Format::Json => GSIG_FORMAT_JSON,
        Format::Proto => GSIG_FORMAT_PROTO,
        Format::Fbs => GSIG_FORMAT_FBS,
        Format::Bincode => GSIG_FORMAT_BINCODE,
        Format::TorchJson => GSIG_FORMAT_TORCH_JSON,
        // Format is non-exhaustive; 0 says "a format this ABI version has no number for".
        _ => 0,
    }
}

fn read_options(model: Option<&str>, source: gsig_source) -> Result<ReadOptions, Failure> {
    let source = match source {
        GSIG_SOURCE_AUTO => Source::Auto,
        GSIG_SOURCE_PROGRAM => Source::Program,
        GSIG_SOURCE_EMBEDDED => Source::Embedded,
        other => return Err(Failure::new(GSIG_ERR_INVALID_ARGUMENT, format!("unknown gsig_source {other}"))),
    };
    Ok(ReadOptions { model: model.map(str::to_owned), source })
}

/// Registers an entry and writes its handle.
pub(crate) fn publish(entry: Entry, out: Out<*mut gsig_signature>) {
    let id = handle::insert(Tag::Signature, Object::Signature(Arc::new(entry)));
    // An id, not an address: C never dereferences it (the type is incomplete), and Rust
    // turns it back into an id only (`handle_id`).
    out.write(std::ptr::without_provenance_mut(id));
}

/// The registry id a handle pointer carries.
pub(crate) fn handle_id(sig: *const gsig_signature) -> usize {
    sig.addr()
}

/// The entry of a handle, or `GSIG_ERR_INVALID_HANDLE`.
pub(crate) fn entry(sig: *const gsig_signature) -> Result<Arc<Entry>, Failure> {
    handle::signature(handle_id(sig))
}

#[cfg(unix)]
pub(crate) fn path_of(bytes: &[u8]) -> Result<&Path, Failure> {
    use std::os::unix::ffi::OsStrExt;
    Ok(Path::new(std::ffi::OsStr::from_bytes(bytes)))
}

#[cfg(not(unix))]
pub(crate) fn path_of(bytes: &[u8]) -> Result<&Path, Failure> {
    Ok(Path::new(ffi::utf8(bytes, "path")?))
}

/// Opens the signature in the file at `path`, whatever kind of file it is: a `.pt2` of any
/// torch since 2.2 (either layout), torch's signature or exported-program JSON, one of our
/// formats (JSON, protobuf, FlatBuffers, bincode), or a `.safetensors` file carrying an
/// embedded signature. The file is recognised by its content. An archive is read in place
/// (its directory and the records needed, never the weights).
///
/// - `path`: NUL-terminated (bytes on Unix, UTF-8 elsewhere); not NULL.
/// - `model`: in an archive of several programs, the one to read (NUL-terminated UTF-8), or
///   NULL for the only one (`GSIG_ERR_MODEL`, listing the names, if there are several).
/// - `source`: a `GSIG_SOURCE_*` value (`GSIG_SOURCE_AUTO` reads an embedded signature in
///   preference to the program's own).
/// - `out`: receives the handle, to be freed with `gsig_signature_free`; not NULL. Written
///   only on `GSIG_OK`.
///
/// # Safety
///
/// `path` and `model` (when not NULL) point to NUL-terminated strings; `out` (when not
/// NULL) is valid for a write of a handle.
#[no_mangle]
pub unsafe extern "C" fn gsig_open_path(
    path: *const c_char,
    model: *const c_char,
    source: gsig_source,
    out: *mut *mut gsig_signature,
) -> gsig_status {
    guard(|| {
        // SAFETY: the pointers' validity is this function's contract.
        let (path, model, out) =
            unsafe { (ffi::c_bytes(path, "path")?, ffi::c_str(model, "model")?, Out::new(out, "out")?) };
        let options = read_options(model, source)?;
        let loaded = options.read_path(path_of(path)?)?;
        publish(Entry::of_loaded(loaded), out);
        Ok(GSIG_OK)
    })
}

/// Opens the signature in `len` bytes at `data`: whatever `gsig_open_path` reads, from
/// memory. The bytes are not kept: the caller may free them once this returns.
///
/// - `data`: may be NULL only when `len` is 0.
/// - `model`, `source`, `out`: as for `gsig_open_path`.
///
/// # Safety
///
/// `data` is valid for reads of `len` bytes; `model` is NULL or NUL-terminated; `out` (when
/// not NULL) is valid for a write of a handle.
#[no_mangle]
pub unsafe extern "C" fn gsig_open_bytes(
    data: *const u8,
    len: usize,
    model: *const c_char,
    source: gsig_source,
    out: *mut *mut gsig_signature,
) -> gsig_status {
    guard(|| {
        // SAFETY: the pointers' validity is this function's contract.
        let (bytes, model, out) =
            unsafe { (ffi::bytes(data, len, "data")?, ffi::c_str(model, "model")?, Out::new(out, "out")?) };
        let options = read_options(model, source)?;
        let loaded = options.read_bytes(bytes)?;
        publish(Entry::of_loaded(loaded), out);
        Ok(GSIG_OK)
    })
}

/// Decodes `len` bytes at `data` as a document of `format` (a `GSIG_FORMAT_*` value), without
/// recognising the format from the content (as `graphsig convert --from`).
///
/// # Safety
///
/// `data` is valid for reads of `len` bytes; `out` (when not NULL) is valid for a write of
/// a handle.
#[no_mangle]
pub unsafe extern "C" fn gsig_decode(
    data: *const u8,
    len: usize,
    format: gsig_format,
    out: *mut *mut gsig_signature,
) -> gsig_status {
    guard(|| {
        // SAFETY: the pointers' validity is this function's contract.
        let (bytes, out) = unsafe { (ffi::bytes(data, len, "data")?, Out::new(out, "out")?) };
        let format = format_from(format)?;
        let (signature, torch_schema) = if format == Format::TorchJson {
            let read = torch_json::decode(bytes)?;
            (read.signature, read.schema_version.map(|v| (v.major, v.minor)))
        } else {
            (codec::decode(bytes, format)?, None)
        };
        let origin =
            Origin { file_kind: GSIG_FILE_DOCUMENT, format: Some(format), model: None, embedded: false, torch_schema };
        publish(Entry::new(signature, origin), out);
        Ok(GSIG_OK)
    })
}

/// Frees a handle. Freeing NULL does nothing and returns `GSIG_OK`; freeing a handle twice,
/// or a value that is not a live handle, returns `GSIG_ERR_INVALID_HANDLE` and changes
/// nothing. Every `gsig_str` borrowed from the handle is invalid afterwards. (Any value may
/// be passed: it is only looked up among the live handles, never dereferenced.)
#[no_mangle]
pub extern "C" fn gsig_signature_free(sig: *mut gsig_signature) -> gsig_status {
    guard(|| {
        handle::remove(Tag::Signature, handle_id(sig))?;
        Ok(GSIG_OK)
    })
}

/// The number of handles (of every type: signatures and archive maps) open in the process: opened and not yet freed.
///
/// A leak check for handles: valgrind and LeakSanitizer see a handle never freed as memory
/// still reachable (the library's registry holds it), not as a leak, so a program's tests
/// should check this is back to what it was. Counts every thread's handles.
///
/// # Safety
///
/// `count` is valid for a write of a `size_t`.
#[no_mangle]
pub unsafe extern "C" fn gsig_live_handle_count(count: *mut usize) -> gsig_status {
    guard(|| {
        // SAFETY: the out-parameter's validity is this function's contract.
        let out = unsafe { Out::new(count, "count")? };
        out.write(handle::live_count());
        Ok(GSIG_OK)
    })
}

/// What kind of file the signature was read from (`GSIG_FILE_*`), and for a document its
/// format (`GSIG_FORMAT_*`; 0 for any other kind of file). Either out-parameter may be NULL.
///
/// # Safety
///
/// Each out-parameter is NULL or valid for a write of its type.
#[no_mangle]
pub unsafe extern "C" fn gsig_signature_file_kind(
    sig: *const gsig_signature,
    file_kind: *mut gsig_file_kind,
    format: *mut gsig_format,
) -> gsig_status {
    guard(|| {
        let entry = entry(sig)?;
        // SAFETY: the out-parameters' validity is this function's contract.
        let (kind_out, format_out) = unsafe { (optional(file_kind, "file_kind")?, optional(format, "format")?) };
        if let Some(o) = kind_out {
            o.write(entry.origin.file_kind);
        }
        if let Some(o) = format_out {
            o.write(entry.origin.format.map_or(0, format_number));
        }
        Ok(GSIG_OK)
    })
}

/// The program's name in an archive (`present` true), e.g. `"model"`; `present` false and
/// `name` empty for any other kind of file.
///
/// # Safety
///
/// `present` and `name` are each valid for a write of their type.
#[no_mangle]
pub unsafe extern "C" fn gsig_signature_model(
    sig: *const gsig_signature,
    present: *mut bool,
    name: *mut gsig_str,
) -> gsig_status {
    guard(|| {
        let entry = entry(sig)?;
        // SAFETY: the out-parameters' validity is this function's contract.
        let (present, name) = unsafe { (Out::new(present, "present")?, Out::new(name, "name")?) };
        present.write(entry.origin.model.is_some());
        name.write(gsig_str::of(entry.origin.model.as_deref().unwrap_or("")));
        Ok(GSIG_OK)
    })
}

/// Whether the signature is one embedded by `graphsig embed` (our JSON inside a `.pt2` or a
/// `.safetensors` header) rather than the program's own.
///
/// # Safety
///
/// `embedded` is valid for a write of a `bool`.
#[no_mangle]
pub unsafe extern "C" fn gsig_signature_embedded(sig: *const gsig_signature, embedded: *mut bool) -> gsig_status {
    guard(|| {
        let entry = entry(sig)?;
        // SAFETY: the out-parameter's validity is this function's contract.
        let out = unsafe { Out::new(embedded, "embedded")? };
        out.write(entry.origin.embedded);
        Ok(GSIG_OK)
    })
}

/// torch's schema version of the exported program the signature was read from (e.g. 8.20
/// for torch 2.12 to 2.15, 2.0 for torch 2.2), when it was read from torch's JSON of a
/// whole program (`present` true); `present` false and zeros otherwise.
///
/// # Safety
///
/// Each out-parameter is valid for a write of its type.
#[no_mangle]
pub unsafe extern "C" fn gsig_signature_torch_schema_version(
    sig: *const gsig_signature,
    present: *mut bool,
    major: *mut u64,
    minor: *mut u64,
) -> gsig_status {
    guard(|| {
        let entry = entry(sig)?;
        // SAFETY: the out-parameters' validity is this function's contract.
        let (p, ma, mi) =
            unsafe { (Out::new(present, "present")?, Out::new(major, "major")?, Out::new(minor, "minor")?) };
        let (major, minor) = entry.origin.torch_schema.unwrap_or((0, 0));
        p.write(entry.origin.torch_schema.is_some());
        ma.write(major);
        mi.write(minor);
        Ok(GSIG_OK)
    })
}

/// An out-parameter that may be NULL.
///
/// # Safety
///
/// As [`Out::new`].
pub(crate) unsafe fn optional<T>(ptr: *mut T, name: &'static str) -> Result<Option<Out<T>>, Failure> {
    if ptr.is_null() {
        Ok(None)
    } else {
        // SAFETY: forwarded from this function's contract.
        unsafe { Out::new(ptr, name) }.map(Some)
    }
}
