//! `gsig_archive_map`: the archive map of a `.pt2` (the library's `map` module,
//! docs/map.md): for every graph input where it comes from and for every output where it
//! goes (the binding plan), the tensor metadata of each spec's value, the payload index
//! (where every lifted tensor's bytes are in the file, and the view over them), the range
//! constraints and the consistency checks. ABI 1.1.
//!
//! Everything is the library's: this file looks the handle up, copies the library's values
//! into the C structs (strings borrowed from the handle) and turns failures into statuses.
#![allow(non_camel_case_types)]

use std::collections::HashMap;
use std::ffi::c_char;
use std::io::Cursor;
use std::sync::{Arc, Mutex, OnceLock};

use graph_signature::archive::pt2::{Archive, Layout};
use graph_signature::codec::{self, Document, Format};
use graph_signature::map::{
    ArchiveMap, Destination, Encoding, Finding, Hint, ObjectEncoding, ObjectPayload, PayloadTable, Profile,
    RangeConstraint, Severity, Source, Storage, SymInt, SymScalar, TensorMeta, TensorPayload, ValueMeta,
};
use graph_signature::InputKind;

use crate::encode::fill_with;
use crate::ffi::{self, Out, OutBuffer};
use crate::handle::{self, Object, Tag};
use crate::signature::{
    self as sig, format_from, gsig_file_kind, gsig_format, gsig_signature, GSIG_FILE_PT2_ARCHIVE,
    GSIG_FILE_PT2_LEGACY_ZIP,
};
use crate::status::{
    gsig_status, guard, Failure, GSIG_ERR_INVALID_ARGUMENT, GSIG_ERR_MAP_CHECK, GSIG_ERR_OUT_OF_RANGE, GSIG_NOT_FOUND,
    GSIG_OK,
};
use crate::types::{self, gsig_constant, gsig_input_kind, gsig_output_kind, gsig_str};

/// The archive map of one program of a `.pt2`, opened by `gsig_archive_map_open_path` or
/// `gsig_archive_map_open_bytes` and freed by `gsig_archive_map_free`.
///
/// Opaque, like `gsig_signature`: the pointer is an id in the library's registry (handle
/// type tag 0x9), never dereferenced; a freed, never-issued, NULL or `gsig_signature`
/// handle is refused with `GSIG_ERR_INVALID_HANDLE`. Read-only: every function may be
/// called on the same handle from several threads at once.
pub struct gsig_archive_map {
    _private: [u8; 0],
}

/// Which rules `gsig_archive_map_finding*`, `gsig_archive_map_verify` and
/// `gsig_archive_map_json` apply (docs/map.md).
pub type gsig_profile = u32;
/// What every torch archive must satisfy (`graphsig map`).
pub const GSIG_PROFILE_DEFAULT: gsig_profile = 0;
/// Also torch's canonical input order, which runtimes such as NativeRT require
/// (`graphsig map --strict`).
pub const GSIG_PROFILE_STRICT: gsig_profile = 1;

/// Where a graph input comes from (the JSON's `source.from`).
pub type gsig_binding_from = u32;
/// A payload of the archive: the tensor `target` of the payload index (`found` says whether
/// the index has it).
pub const GSIG_FROM_PAYLOAD: gsig_binding_from = 1;
/// The caller's argument at the pytree `path` (`args[0]`, `kwargs['mask']`; `has_path`
/// false when the program records no calling convention that matches).
pub const GSIG_FROM_CALLER: gsig_binding_from = 2;
/// A constant the program was specialised to (`constant`); the caller's argument at `path`,
/// when known, must equal it.
pub const GSIG_FROM_CONSTANT: gsig_binding_from = 3;
/// A custom or opaque object of the archive (`target`, its class in `class_fqn` when the
/// graph records it, `found`).
pub const GSIG_FROM_CUSTOM_OBJECT: gsig_binding_from = 4;
/// An effect token, made by the runtime.
pub const GSIG_FROM_TOKEN: gsig_binding_from = 5;

/// Where a graph output goes (the JSON's `destination.to`).
pub type gsig_binding_to = u32;
/// Returned to the caller at the pytree `path` of the returned value (`[0]`, `['logits']`;
/// the empty path for the value itself; `has_path` false when unknown).
pub const GSIG_TO_CALLER: gsig_binding_to = 1;
/// The loss, also returned to the caller at `path`.
pub const GSIG_TO_LOSS: gsig_binding_to = 2;
/// Written back into `target`, a buffer, parameter or user input (`target_kind`).
pub const GSIG_TO_WRITE_BACK: gsig_binding_to = 3;
/// The gradient of `target`, a parameter or user input (`target_kind`).
pub const GSIG_TO_GRADIENT: gsig_binding_to = 4;
/// An effect token, consumed by the runtime.
pub const GSIG_TO_TOKEN: gsig_binding_to = 5;

/// One graph input of the binding plan (the JSON's `inputs[i]` without `meta`).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct gsig_input_binding {
    /// The spec's kind (`GSIG_INPUT_KIND_*`).
    pub kind: gsig_input_kind,
    /// The graph value's name.
    pub name: gsig_str,
    /// Where it comes from (`GSIG_FROM_*`; 0 for a source this ABI version has no number for).
    pub from: gsig_binding_from,
    /// `GSIG_FROM_PAYLOAD` and `GSIG_FROM_CUSTOM_OBJECT`: the spec's target; else empty.
    pub target: gsig_str,
    /// `GSIG_FROM_PAYLOAD` and `GSIG_FROM_CUSTOM_OBJECT`: whether the payload index has it.
    pub found: bool,
    /// `GSIG_FROM_CALLER` and `GSIG_FROM_CONSTANT`: whether the caller's path is known.
    pub has_path: bool,
    /// The caller's pytree path; empty when `has_path` is false.
    pub path: gsig_str,
    /// `GSIG_FROM_CONSTANT`: the value; else a `GSIG_CONSTANT_NONE`.
    pub constant: gsig_constant,
    /// `GSIG_FROM_CUSTOM_OBJECT`: whether the graph records the object's class.
    pub has_class_fqn: bool,
    /// The class; empty when `has_class_fqn` is false.
    pub class_fqn: gsig_str,
}

/// One graph output of the binding plan (the JSON's `outputs[i]` without `meta`).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct gsig_output_binding {
    /// The spec's kind (`GSIG_OUTPUT_KIND_*`).
    pub kind: gsig_output_kind,
    /// The graph value's name (empty for a constant output).
    pub name: gsig_str,
    /// Where it goes (`GSIG_TO_*`; 0 for a destination this ABI version has no number for).
    pub to: gsig_binding_to,
    /// `GSIG_TO_CALLER` and `GSIG_TO_LOSS`: whether the path is known.
    pub has_path: bool,
    /// The pytree path into the returned value; empty for the value itself or when unknown.
    pub path: gsig_str,
    /// `GSIG_TO_WRITE_BACK`: what is written (`GSIG_INPUT_KIND_BUFFER`, `_PARAMETER` or
    /// `_USER_INPUT`); `GSIG_TO_GRADIENT`: of what (`GSIG_INPUT_KIND_PARAMETER` or
    /// `_USER_INPUT`); else 0. `gsig_input_kind_name` gives the JSON's word.
    pub target_kind: gsig_input_kind,
    /// `GSIG_TO_WRITE_BACK` and `GSIG_TO_GRADIENT`: the target; else empty.
    pub target: gsig_str,
}

/// What a `gsig_scalar` holds.
pub type gsig_scalar_type = u32;
/// Nothing (no value, no hint).
pub const GSIG_SCALAR_NONE: gsig_scalar_type = 0;
/// An integer (in `integer`).
pub const GSIG_SCALAR_INT: gsig_scalar_type = 1;
/// A float (in `floating`).
pub const GSIG_SCALAR_FLOAT: gsig_scalar_type = 2;
/// A bool (in `boolean`).
pub const GSIG_SCALAR_BOOL: gsig_scalar_type = 3;

/// A number or bool: `type` says which member holds it; the others are zero.
/// cbindgen:field-names=[type, boolean, integer, floating]
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct gsig_scalar {
    /// A `GSIG_SCALAR_*` value.
    pub type_: gsig_scalar_type,
    /// For `GSIG_SCALAR_BOOL`.
    pub boolean: bool,
    /// For `GSIG_SCALAR_INT`.
    pub integer: i64,
    /// For `GSIG_SCALAR_FLOAT`.
    pub floating: f64,
}

impl gsig_scalar {
    const NONE: Self = Self { type_: GSIG_SCALAR_NONE, boolean: false, integer: 0, floating: 0.0 };

    fn int(v: i64) -> Self {
        Self { type_: GSIG_SCALAR_INT, integer: v, ..Self::NONE }
    }

    fn of(hint: &Hint) -> Self {
        match *hint {
            Hint::Int(v) => Self::int(v),
            Hint::Float(v) => Self { type_: GSIG_SCALAR_FLOAT, floating: v, ..Self::NONE },
            Hint::Bool(v) => Self { type_: GSIG_SCALAR_BOOL, boolean: v, ..Self::NONE },
        }
    }
}

/// A size, stride, storage offset or symbolic scalar: a known value, or a symbolic
/// expression as torch wrote it (the JSON's `S`, or `E = {expr, short, hint}`).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct gsig_sym {
    /// Whether it is an expression (then `expr`, `short_form` and `hint`), not a value.
    pub symbolic: bool,
    /// The value when `symbolic` is false (a `GSIG_SCALAR_INT` for sizes); else
    /// `GSIG_SCALAR_NONE`.
    pub value: gsig_scalar,
    /// The expression as torch wrote it, e.g. `Symbol('s77', positive=True, integer=True)`;
    /// empty when `symbolic` is false.
    pub expr: gsig_str,
    /// Its short form, e.g. `s77` (the JSON's `short`).
    pub short_form: gsig_str,
    /// The value when the program was traced (`GSIG_SCALAR_NONE` when not recorded).
    pub hint: gsig_scalar,
}

impl gsig_sym {
    fn value(value: gsig_scalar) -> Self {
        Self { symbolic: false, value, expr: gsig_str::empty(), short_form: gsig_str::empty(), hint: gsig_scalar::NONE }
    }

    fn expr(e: &graph_signature::map::SymExpr) -> Self {
        Self {
            symbolic: true,
            value: gsig_scalar::NONE,
            expr: gsig_str::of(&e.expr),
            short_form: gsig_str::of(&e.short),
            hint: e.hint.as_ref().map_or(gsig_scalar::NONE, gsig_scalar::of),
        }
    }

    fn of_int(s: &SymInt) -> Self {
        match s {
            SymInt::Int(v) => Self::value(gsig_scalar::int(*v)),
            SymInt::Expr(e) => Self::expr(e),
        }
    }

    fn of_scalar(s: &SymScalar) -> Self {
        match s {
            SymScalar::Known(h) => Self::value(gsig_scalar::of(h)),
            SymScalar::Expr(e) => Self::expr(e),
        }
    }
}

/// What the metadata of a graph value says it is (the JSON's `meta.type`).
pub type gsig_meta_type = u32;
/// No metadata (the program records none for the value), or a kind this ABI version has no
/// number for (the JSON's `null`).
pub const GSIG_META_UNKNOWN: gsig_meta_type = 0;
/// A tensor: `gsig_archive_map_input_tensor` / `_output_tensor` give its metadata.
pub const GSIG_META_TENSOR: gsig_meta_type = 1;
/// A SymInt (`value`).
pub const GSIG_META_SYM_INT: gsig_meta_type = 2;
/// A SymFloat (`value`).
pub const GSIG_META_SYM_FLOAT: gsig_meta_type = 3;
/// A SymBool (`value`).
pub const GSIG_META_SYM_BOOL: gsig_meta_type = 4;
/// A custom object (`class_fqn`).
pub const GSIG_META_CUSTOM_OBJ: gsig_meta_type = 5;
/// A constant (`constant`).
pub const GSIG_META_CONSTANT: gsig_meta_type = 6;
/// An effect token.
pub const GSIG_META_TOKEN: gsig_meta_type = 7;

/// The metadata torch recorded for a graph input's or output's value.
/// cbindgen:field-names=[type, value, class_fqn, constant]
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct gsig_value_meta {
    /// A `GSIG_META_*` value.
    pub type_: gsig_meta_type,
    /// `GSIG_META_SYM_INT`, `_SYM_FLOAT`, `_SYM_BOOL`: the value or expression.
    pub value: gsig_sym,
    /// `GSIG_META_CUSTOM_OBJ`: the class; else empty.
    pub class_fqn: gsig_str,
    /// `GSIG_META_CONSTANT`: the value; else a `GSIG_CONSTANT_NONE`.
    pub constant: gsig_constant,
}

/// The metadata torch recorded for a tensor value. Sizes and strides are read one
/// dimension at a time (`gsig_archive_map_input_tensor_size`, `..._stride`).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct gsig_tensor_meta {
    /// torch's name of the dtype, e.g. `torch.float32` (`unknown(N)` for one this build
    /// does not know).
    pub dtype: gsig_str,
    /// Bytes per element; 0 for an unknown dtype.
    pub element_size: u64,
    /// The number of sizes (dimensions).
    pub rank: usize,
    /// The number of strides (equal to `rank` in every program torch writes).
    pub strides_len: usize,
    /// The offset into the storage, in elements.
    pub storage_offset: gsig_sym,
    /// The device, e.g. `cpu`, `cuda:0`.
    pub device: gsig_str,
    /// The layout, e.g. `torch.strided`.
    pub layout: gsig_str,
    /// Whether it requires grad.
    pub requires_grad: bool,
}

/// A range constraint: the inclusive range torch recorded for a symbol.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct gsig_range_constraint {
    /// The symbol, e.g. `s77`.
    pub symbol: gsig_str,
    /// Whether there is a lower bound (torch wrote `null` when not).
    pub has_min: bool,
    /// The lower bound; 0 when `has_min` is false.
    pub min: i64,
    /// Whether there is an upper bound.
    pub has_max: bool,
    /// The upper bound (torch writes a very large integer for some unbounded sides; kept).
    pub max: i64,
}

/// The bytes of one storage: where they are in the file.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct gsig_storage {
    /// The archive's record, e.g. `model/data/weights/weight_0`.
    pub record: gsig_str,
    /// Whether the bytes are a record of a `torch.save` zip stored in `record` (torch ≤ 2.8).
    pub has_member: bool,
    /// That inner record, e.g. `archive/data/0`; empty when `has_member` is false.
    pub member: gsig_str,
    /// The absolute byte offset of the bytes in the file (or in the bytes opened).
    pub offset: u64,
    /// Their length in bytes.
    pub length: u64,
    /// Whether they are stored as they are (a runtime can map them), not compressed.
    pub stored: bool,
}

impl gsig_storage {
    fn of(s: &Storage) -> Self {
        Self {
            record: gsig_str::of(&s.record),
            has_member: s.member.is_some(),
            member: gsig_str::of(s.member.as_deref().unwrap_or("")),
            offset: s.offset,
            length: s.length,
            stored: s.stored,
        }
    }
}

/// Which table of the program a payload belongs to.
pub type gsig_payload_table = u32;
/// The state dict: parameters and persistent buffers.
pub const GSIG_TABLE_WEIGHTS: gsig_payload_table = 1;
/// The constants: lifted tensor constants, non-persistent buffers.
pub const GSIG_TABLE_CONSTANTS: gsig_payload_table = 2;

/// How a tensor payload's bytes are encoded.
pub type gsig_payload_encoding = u32;
/// The storage's raw bytes, little-endian, as torch keeps them in memory: the view is
/// `shape` and `strides` (in elements) from element `storage_offset` of the storage.
pub const GSIG_ENCODING_RAW: gsig_payload_encoding = 1;
/// A `torch.save` pickle of a tensor subclass: the bytes are not the tensor's.
pub const GSIG_ENCODING_PICKLE: gsig_payload_encoding = 2;

/// One lifted tensor of the payload index: the view over its storage. Its sizes and strides
/// are read with `gsig_archive_map_payload_size` and `..._stride`.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct gsig_payload {
    /// Its name in the state dict or constants (the target of its spec).
    pub name: gsig_str,
    /// `GSIG_TABLE_*`.
    pub table: gsig_payload_table,
    /// Whether it is a parameter.
    pub is_param: bool,
    /// Index of its storage (`gsig_archive_map_storage`); tensors sharing a storage (tied
    /// weights, views) have the same index.
    pub storage: usize,
    /// `GSIG_ENCODING_*`.
    pub encoding: gsig_payload_encoding,
    /// torch's name of the dtype, e.g. `torch.float32`.
    pub dtype: gsig_str,
    /// Bytes per element; 0 for an unknown dtype.
    pub element_size: u64,
    /// The number of sizes.
    pub rank: usize,
    /// The number of strides.
    pub strides_len: usize,
    /// The offset into the storage, in elements.
    pub storage_offset: i64,
    /// Whether it requires grad.
    pub requires_grad: bool,
}

/// How an object payload is encoded.
pub type gsig_object_encoding = u32;
/// A TorchScript object (`torch._C._pickle_save`): needs its class's library to load.
pub const GSIG_OBJECT_TORCH_SCRIPT: gsig_object_encoding = 1;
/// A Python pickle of an opaque object (torch 2.13+): needs its class to load.
pub const GSIG_OBJECT_PICKLE: gsig_object_encoding = 2;
/// Inside the `torch.save` pickle of the constants (torch ≤ 2.8).
pub const GSIG_OBJECT_IN_CONSTANTS_PICKLE: gsig_object_encoding = 3;

/// One lifted custom or opaque object: named, never unpickled.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct gsig_object_payload {
    /// Its name in the constants (the target of its spec).
    pub name: gsig_str,
    /// Its bytes.
    pub storage: gsig_storage,
    /// `GSIG_OBJECT_*` (0 for an encoding this ABI version has no number for).
    pub encoding: gsig_object_encoding,
}

/// How bad a finding is.
pub type gsig_severity = u32;
/// Worth knowing: torch itself loads such archives.
pub const GSIG_SEVERITY_WARNING: gsig_severity = 1;
/// The archive does not hold what its signature says.
pub const GSIG_SEVERITY_ERROR: gsig_severity = 2;

/// One finding of the consistency checks (docs/map.md): compare `code`, not `message`.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct gsig_finding {
    /// The rule's stable code, e.g. `map-missing-payload` (static).
    pub code: gsig_str,
    /// `GSIG_SEVERITY_*`.
    pub severity: gsig_severity,
    /// Where: `inputs[3]`, `outputs[0]`, a payload's name, a symbol.
    pub at: gsig_str,
    /// What is wrong.
    pub message: gsig_str,
}

/// Text the library computes (not stored in the map), made once at open so that it can be
/// borrowed from the handle.
struct TensorText {
    dtype: String,
    device: String,
    layout: String,
}

impl TensorText {
    fn of(meta: &Option<ValueMeta>) -> Option<Self> {
        match meta {
            Some(ValueMeta::Tensor(t)) => Some(Self {
                dtype: t.dtype.torch_name().into_owned(),
                device: t.device.to_string(),
                layout: t.layout.torch_name(),
            }),
            _ => None,
        }
    }
}

/// What a buffer call on a map asked for.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Request {
    Json(gsig_profile),
    Encode(Format),
}

/// What a `gsig_archive_map` handle holds.
pub(crate) struct Entry {
    map: ArchiveMap,
    inputs_text: Vec<Option<TensorText>>,
    outputs_text: Vec<Option<TensorText>>,
    payload_dtypes: Vec<String>,
    payloads_by_name: HashMap<String, usize>,
    objects_by_name: HashMap<String, usize>,
    /// The findings of each profile, computed on first use.
    findings: [OnceLock<Vec<Finding>>; 2],
    /// The bytes of the last size query, for the call with a buffer that follows.
    pending: Mutex<Option<(Request, Vec<u8>)>>,
}

impl Entry {
    fn new(map: ArchiveMap) -> Self {
        let inputs_text = map.inputs_meta.iter().map(TensorText::of).collect();
        let outputs_text = map.outputs_meta.iter().map(TensorText::of).collect();
        let payload_dtypes = map.payloads.tensors.iter().map(|t| t.dtype.torch_name().into_owned()).collect();
        // A name listed twice keeps its last payload, as the library's index does.
        let payloads_by_name = map.payloads.tensors.iter().enumerate().map(|(i, t)| (t.name.clone(), i)).collect();
        let objects_by_name = map.payloads.objects.iter().enumerate().map(|(i, o)| (o.name.clone(), i)).collect();
        Self {
            map,
            inputs_text,
            outputs_text,
            payload_dtypes,
            payloads_by_name,
            objects_by_name,
            findings: [OnceLock::new(), OnceLock::new()],
            pending: Mutex::new(None),
        }
    }

    fn findings(&self, profile: gsig_profile) -> Result<&[Finding], Failure> {
        let (slot, profile) = match profile {
            GSIG_PROFILE_DEFAULT => (&self.findings[0], Profile::Default),
            GSIG_PROFILE_STRICT => (&self.findings[1], Profile::Strict),
            other => return Err(Failure::new(GSIG_ERR_INVALID_ARGUMENT, format!("unknown gsig_profile {other}"))),
        };
        Ok(slot.get_or_init(|| self.map.check(profile)))
    }
}

fn profile_of(profile: gsig_profile) -> Result<Profile, Failure> {
    match profile {
        GSIG_PROFILE_DEFAULT => Ok(Profile::Default),
        GSIG_PROFILE_STRICT => Ok(Profile::Strict),
        other => Err(Failure::new(GSIG_ERR_INVALID_ARGUMENT, format!("unknown gsig_profile {other}"))),
    }
}

fn entry(map: *const gsig_archive_map) -> Result<Arc<Entry>, Failure> {
    handle::archive_map(map.addr())
}

fn publish(map: ArchiveMap, out: Out<*mut gsig_archive_map>) {
    let id = handle::insert(Tag::ArchiveMap, Object::ArchiveMap(Arc::new(Entry::new(map))));
    // An id, not an address (see `signature::publish`).
    out.write(std::ptr::without_provenance_mut(id));
}

fn at<'a, T>(items: &'a [T], index: usize, what: &str) -> Result<&'a T, Failure> {
    items.get(index).ok_or_else(|| {
        Failure::new(GSIG_ERR_OUT_OF_RANGE, format!("{what} index {index} is out of range (there are {})", items.len()))
    })
}

fn opt_str(s: Option<&str>) -> (bool, gsig_str) {
    (s.is_some(), gsig_str::of(s.unwrap_or("")))
}

/// Opens the archive map of a `.pt2` file (either layout, torch 2.1 to 2.15), as
/// `graphsig map` reads it: the program JSON, the payload configs and the `torch.save`
/// pickles are read (never executed), never a weight's bytes.
///
/// - `path`: NUL-terminated (bytes on Unix, UTF-8 elsewhere); not NULL.
/// - `model`: in an archive of several programs, the one to map (NUL-terminated UTF-8), or
///   NULL for the only one (`GSIG_ERR_MODEL`, listing the names, if there are several).
/// - `out`: receives the handle, to be freed with `gsig_archive_map_free`; not NULL.
///   Written only on `GSIG_OK`.
///
/// A file that is not a `.pt2` is `GSIG_ERR_UNRECOGNIZED` (saying what it is: a
/// `torch.save` checkpoint, an AOTInductor package, ...); a broken config, a pickle outside
/// the allow-list or a view past its record is `GSIG_ERR_DECODE` naming the record. The map
/// opens even when consistency checks fail: ask `gsig_archive_map_verify`.
///
/// # Safety
///
/// `path` and `model` (when not NULL) point to NUL-terminated strings; `out` (when not
/// NULL) is valid for a write of a handle.
#[no_mangle]
pub unsafe extern "C" fn gsig_archive_map_open_path(
    path: *const c_char,
    model: *const c_char,
    out: *mut *mut gsig_archive_map,
) -> gsig_status {
    guard(|| {
        // SAFETY: the pointers' validity is this function's contract.
        let (path, model, out) =
            unsafe { (ffi::c_bytes(path, "path")?, ffi::c_str(model, "model")?, Out::new(out, "out")?) };
        let map = ArchiveMap::open(sig::path_of(path)?, model)?;
        publish(map, out);
        Ok(GSIG_OK)
    })
}

/// Opens the archive map of the `.pt2` in `len` bytes at `data`, as
/// `gsig_archive_map_open_path` does for a file. Offsets in the payload index are then
/// offsets into these bytes. The bytes are not kept: the caller may free them once this
/// returns.
///
/// # Safety
///
/// `data` is valid for reads of `len` bytes (may be NULL when `len` is 0); `model` is NULL
/// or NUL-terminated; `out` (when not NULL) is valid for a write of a handle.
#[no_mangle]
pub unsafe extern "C" fn gsig_archive_map_open_bytes(
    data: *const u8,
    len: usize,
    model: *const c_char,
    out: *mut *mut gsig_archive_map,
) -> gsig_status {
    guard(|| {
        // SAFETY: the pointers' validity is this function's contract.
        let (bytes, model, out) =
            unsafe { (ffi::bytes(data, len, "data")?, ffi::c_str(model, "model")?, Out::new(out, "out")?) };
        let mut archive = Archive::new(Cursor::new(bytes))?;
        let name = archive.select_model(model)?.to_owned();
        let map = ArchiveMap::build(&mut archive, &name)?;
        publish(map, out);
        Ok(GSIG_OK)
    })
}

/// Frees an archive map handle. Freeing NULL does nothing and returns `GSIG_OK`; freeing it
/// twice, or a value that is not a live archive map handle (a `gsig_signature` included),
/// returns `GSIG_ERR_INVALID_HANDLE` and changes nothing. Every `gsig_str` borrowed from the
/// handle is invalid afterwards.
#[no_mangle]
pub extern "C" fn gsig_archive_map_free(map: *mut gsig_archive_map) -> gsig_status {
    guard(|| {
        handle::remove(Tag::ArchiveMap, map.addr())?;
        Ok(GSIG_OK)
    })
}

/// The program's name, e.g. `"model"` (borrowed from the handle).
///
/// # Safety
///
/// `name` is valid for a write of a `gsig_str`.
#[no_mangle]
pub unsafe extern "C" fn gsig_archive_map_model(map: *const gsig_archive_map, name: *mut gsig_str) -> gsig_status {
    guard(|| {
        let entry = entry(map)?;
        // SAFETY: the out-parameter's validity is this function's contract.
        unsafe { Out::new(name, "name")? }.write(gsig_str::of(&entry.map.model));
        Ok(GSIG_OK)
    })
}

/// The archive's layout: `GSIG_FILE_PT2_LEGACY_ZIP` (the JSON's `"legacy-zip"`) or
/// `GSIG_FILE_PT2_ARCHIVE` (`"pt2-archive"`).
///
/// # Safety
///
/// `layout` is valid for a write of a `uint32_t`.
#[no_mangle]
pub unsafe extern "C" fn gsig_archive_map_layout(
    map: *const gsig_archive_map,
    layout: *mut gsig_file_kind,
) -> gsig_status {
    guard(|| {
        let entry = entry(map)?;
        // SAFETY: the out-parameter's validity is this function's contract.
        let out = unsafe { Out::new(layout, "layout")? };
        out.write(match entry.map.layout {
            Layout::LegacyZip => GSIG_FILE_PT2_LEGACY_ZIP,
            _ => GSIG_FILE_PT2_ARCHIVE,
        });
        Ok(GSIG_OK)
    })
}

/// torch's schema version of the program (e.g. 8.20), `present` false and zeros when the
/// program records none.
///
/// # Safety
///
/// Each out-parameter is valid for a write of its type.
#[no_mangle]
pub unsafe extern "C" fn gsig_archive_map_torch_schema_version(
    map: *const gsig_archive_map,
    present: *mut bool,
    major: *mut u64,
    minor: *mut u64,
) -> gsig_status {
    guard(|| {
        let entry = entry(map)?;
        // SAFETY: the out-parameters' validity is this function's contract.
        let (p, ma, mi) =
            unsafe { (Out::new(present, "present")?, Out::new(major, "major")?, Out::new(minor, "minor")?) };
        let version = entry.map.schema_version;
        p.write(version.is_some());
        ma.write(version.map_or(0, |v| v.major));
        mi.write(version.map_or(0, |v| v.minor));
        Ok(GSIG_OK)
    })
}

/// The torch release that wrote the program (e.g. `2.15.0+cu132`), `present` false and
/// `version` empty when it records none.
///
/// # Safety
///
/// Each out-parameter is valid for a write of its type.
#[no_mangle]
pub unsafe extern "C" fn gsig_archive_map_torch_version(
    map: *const gsig_archive_map,
    present: *mut bool,
    version: *mut gsig_str,
) -> gsig_status {
    guard(|| {
        let entry = entry(map)?;
        // SAFETY: the out-parameters' validity is this function's contract.
        let (p, v) = unsafe { (Out::new(present, "present")?, Out::new(version, "version")?) };
        let (has, s) = opt_str(entry.map.program.as_ref().and_then(|p| p.torch_version.as_deref()));
        p.write(has);
        v.write(s);
        Ok(GSIG_OK)
    })
}

/// A new `gsig_signature` handle of the map's signature (the program's own), to be freed
/// with `gsig_signature_free`; independent of the map handle. Its input and output specs
/// have the indices of the map's bindings and metadata.
///
/// # Safety
///
/// `out` is valid for a write of a handle.
#[no_mangle]
pub unsafe extern "C" fn gsig_archive_map_signature(
    map: *const gsig_archive_map,
    out: *mut *mut gsig_signature,
) -> gsig_status {
    guard(|| {
        let entry = entry(map)?;
        // SAFETY: the out-parameter's validity is this function's contract.
        let out = unsafe { Out::new(out, "out")? };
        let m = &entry.map;
        let origin = sig::Origin {
            file_kind: match m.layout {
                Layout::LegacyZip => GSIG_FILE_PT2_LEGACY_ZIP,
                _ => GSIG_FILE_PT2_ARCHIVE,
            },
            format: None,
            model: Some(m.model.clone()),
            embedded: false,
            torch_schema: m.schema_version.map(|v| (v.major, v.minor)),
        };
        sig::publish(sig::Entry::new(m.signature.clone(), origin), out);
        Ok(GSIG_OK)
    })
}

/// Writes a count.
///
/// # Safety
///
/// `count` is NULL or valid for a write of a `size_t`.
unsafe fn count_of(
    map: *const gsig_archive_map,
    count: *mut usize,
    n: impl FnOnce(&Entry) -> Result<usize, Failure>,
) -> gsig_status {
    guard(|| {
        let entry = entry(map)?;
        // SAFETY: forwarded from the caller's contract.
        let out = unsafe { Out::new(count, "count")? };
        out.write(n(&entry)?);
        Ok(GSIG_OK)
    })
}

/// Writes entry `index` of something.
///
/// # Safety
///
/// `item` is NULL or valid for a write of a `T`.
unsafe fn item_of<T>(
    map: *const gsig_archive_map,
    item: *mut T,
    name: &'static str,
    get: impl FnOnce(&Entry) -> Result<T, Failure>,
) -> gsig_status {
    guard(|| {
        let entry = entry(map)?;
        // SAFETY: forwarded from the caller's contract.
        let out = unsafe { Out::new(item, name)? };
        out.write(get(&entry)?);
        Ok(GSIG_OK)
    })
}

/// The number of graph inputs (equal to the signature's input specs).
///
/// # Safety
///
/// `count` is valid for a write of a `size_t`.
#[no_mangle]
pub unsafe extern "C" fn gsig_archive_map_input_count(map: *const gsig_archive_map, count: *mut usize) -> gsig_status {
    // SAFETY: forwarded from this function's contract.
    unsafe { count_of(map, count, |e| Ok(e.map.plan.inputs.len())) }
}

/// The number of graph outputs (equal to the signature's output specs).
///
/// # Safety
///
/// `count` is valid for a write of a `size_t`.
#[no_mangle]
pub unsafe extern "C" fn gsig_archive_map_output_count(map: *const gsig_archive_map, count: *mut usize) -> gsig_status {
    // SAFETY: forwarded from this function's contract.
    unsafe { count_of(map, count, |e| Ok(e.map.plan.outputs.len())) }
}

fn input_binding(entry: &Entry, index: usize) -> Result<gsig_input_binding, Failure> {
    let b = at(&entry.map.plan.inputs, index, "input")?;
    let kind = entry.map.signature.input_specs().get(index).map_or(0, |s| types::input_kind(s.kind));
    let mut out = gsig_input_binding {
        kind,
        name: gsig_str::of(&b.name),
        from: 0,
        target: gsig_str::empty(),
        found: false,
        has_path: false,
        path: gsig_str::empty(),
        constant: gsig_constant::of(&graph_signature::ConstantValue::None),
        has_class_fqn: false,
        class_fqn: gsig_str::empty(),
    };
    match &b.source {
        Source::Payload { target, found } => {
            out.from = GSIG_FROM_PAYLOAD;
            out.target = gsig_str::of(target);
            out.found = *found;
        }
        Source::Caller { path } => {
            out.from = GSIG_FROM_CALLER;
            (out.has_path, out.path) = opt_str(path.as_deref());
        }
        Source::Constant { value, path } => {
            out.from = GSIG_FROM_CONSTANT;
            out.constant = gsig_constant::of(value);
            (out.has_path, out.path) = opt_str(path.as_deref());
        }
        Source::CustomObject { target, class_fqn, found } => {
            out.from = GSIG_FROM_CUSTOM_OBJECT;
            out.target = gsig_str::of(target);
            out.found = *found;
            (out.has_class_fqn, out.class_fqn) = opt_str(class_fqn.as_deref());
        }
        Source::Token => out.from = GSIG_FROM_TOKEN,
        // A source added to the library later: 0, "something newer".
        _ => {}
    }
    Ok(out)
}

fn kind_number(name: &str) -> gsig_input_kind {
    name.parse::<InputKind>().map_or(0, types::input_kind)
}

fn output_binding(entry: &Entry, index: usize) -> Result<gsig_output_binding, Failure> {
    let b = at(&entry.map.plan.outputs, index, "output")?;
    let kind = entry.map.signature.output_specs().get(index).map_or(0, |s| types::output_kind(s.kind));
    let mut out = gsig_output_binding {
        kind,
        name: gsig_str::of(&b.name),
        to: 0,
        has_path: false,
        path: gsig_str::empty(),
        target_kind: 0,
        target: gsig_str::empty(),
    };
    match &b.destination {
        Destination::Caller { path } => {
            out.to = GSIG_TO_CALLER;
            (out.has_path, out.path) = opt_str(path.as_deref());
        }
        Destination::Loss { path } => {
            out.to = GSIG_TO_LOSS;
            (out.has_path, out.path) = opt_str(path.as_deref());
        }
        Destination::WriteBack { kind, target } => {
            out.to = GSIG_TO_WRITE_BACK;
            out.target_kind = kind_number(kind);
            out.target = gsig_str::of(target);
        }
        Destination::Gradient { of, target } => {
            out.to = GSIG_TO_GRADIENT;
            out.target_kind = kind_number(of);
            out.target = gsig_str::of(target);
        }
        Destination::Token => out.to = GSIG_TO_TOKEN,
        _ => {}
    }
    Ok(out)
}

/// Graph input `index` of the binding plan: its spec's kind, its name, and where it comes
/// from (a payload, the caller, a constant, a custom object or a token). Strings are
/// borrowed from the handle.
///
/// # Safety
///
/// `binding` is valid for a write of a `gsig_input_binding`.
#[no_mangle]
pub unsafe extern "C" fn gsig_archive_map_input(
    map: *const gsig_archive_map,
    index: usize,
    binding: *mut gsig_input_binding,
) -> gsig_status {
    // SAFETY: forwarded from this function's contract.
    unsafe { item_of(map, binding, "binding", |e| input_binding(e, index)) }
}

/// Graph output `index` of the binding plan: its spec's kind, its name, and where it goes
/// (the caller, the loss, a write-back, a gradient or a token).
///
/// # Safety
///
/// `binding` is valid for a write of a `gsig_output_binding`.
#[no_mangle]
pub unsafe extern "C" fn gsig_archive_map_output(
    map: *const gsig_archive_map,
    index: usize,
    binding: *mut gsig_output_binding,
) -> gsig_status {
    // SAFETY: forwarded from this function's contract.
    unsafe { item_of(map, binding, "binding", |e| output_binding(e, index)) }
}

/// The number of notes: what the plan could not say, and why (the JSON's `notes`).
///
/// # Safety
///
/// `count` is valid for a write of a `size_t`.
#[no_mangle]
pub unsafe extern "C" fn gsig_archive_map_note_count(map: *const gsig_archive_map, count: *mut usize) -> gsig_status {
    // SAFETY: forwarded from this function's contract.
    unsafe { count_of(map, count, |e| Ok(e.map.plan.notes.len())) }
}

/// Note `index`.
///
/// # Safety
///
/// `note` is valid for a write of a `gsig_str`.
#[no_mangle]
pub unsafe extern "C" fn gsig_archive_map_note(
    map: *const gsig_archive_map,
    index: usize,
    note: *mut gsig_str,
) -> gsig_status {
    // SAFETY: forwarded from this function's contract.
    unsafe { item_of(map, note, "note", |e| Ok(gsig_str::of(at(&e.map.plan.notes, index, "note")?))) }
}

fn value_meta(meta: &Option<ValueMeta>) -> gsig_value_meta {
    let mut out = gsig_value_meta {
        type_: GSIG_META_UNKNOWN,
        value: gsig_sym::value(gsig_scalar::NONE),
        class_fqn: gsig_str::empty(),
        constant: gsig_constant::of(&graph_signature::ConstantValue::None),
    };
    match meta {
        None => {}
        Some(ValueMeta::Tensor(_)) => out.type_ = GSIG_META_TENSOR,
        Some(ValueMeta::SymInt { value }) => {
            out.type_ = GSIG_META_SYM_INT;
            out.value = gsig_sym::of_int(value);
        }
        Some(ValueMeta::SymFloat { value }) => {
            out.type_ = GSIG_META_SYM_FLOAT;
            out.value = gsig_sym::of_scalar(value);
        }
        Some(ValueMeta::SymBool { value }) => {
            out.type_ = GSIG_META_SYM_BOOL;
            out.value = gsig_sym::of_scalar(value);
        }
        Some(ValueMeta::CustomObj { class_fqn }) => {
            out.type_ = GSIG_META_CUSTOM_OBJ;
            out.class_fqn = gsig_str::of(class_fqn);
        }
        Some(ValueMeta::Constant { value }) => {
            out.type_ = GSIG_META_CONSTANT;
            out.constant = gsig_constant::of(value);
        }
        Some(ValueMeta::Token) => out.type_ = GSIG_META_TOKEN,
        Some(_) => {}
    }
    out
}

/// The metadata and text of input (`input` true) or output value `index`.
fn meta_at(entry: &Entry, input: bool, index: usize) -> Result<(&Option<ValueMeta>, &Option<TensorText>), Failure> {
    let (metas, texts, what) = if input {
        (&entry.map.inputs_meta, &entry.inputs_text, "input")
    } else {
        (&entry.map.outputs_meta, &entry.outputs_text, "output")
    };
    Ok((at(metas, index, what)?, &texts[index]))
}

/// The tensor metadata of value `index`, or `GSIG_NOT_FOUND` when it is not a tensor.
fn tensor_at(entry: &Entry, input: bool, index: usize) -> Result<Option<(&TensorMeta, &TensorText)>, Failure> {
    Ok(match meta_at(entry, input, index)? {
        (Some(ValueMeta::Tensor(t)), Some(text)) => Some((t, text)),
        _ => None,
    })
}

/// Writes the tensor metadata, or returns `GSIG_NOT_FOUND`.
///
/// # Safety
///
/// `tensor` is NULL or valid for a write of a `gsig_tensor_meta`.
unsafe fn tensor_meta(
    map: *const gsig_archive_map,
    input: bool,
    index: usize,
    tensor: *mut gsig_tensor_meta,
) -> gsig_status {
    guard(|| {
        let entry = entry(map)?;
        // SAFETY: forwarded from the caller's contract.
        let out = unsafe { Out::new(tensor, "tensor")? };
        let Some((t, text)) = tensor_at(&entry, input, index)? else { return Ok(GSIG_NOT_FOUND) };
        out.write(gsig_tensor_meta {
            dtype: gsig_str::of(&text.dtype),
            element_size: t.dtype.element_size().unwrap_or(0),
            rank: t.sizes.len(),
            strides_len: t.strides.len(),
            storage_offset: gsig_sym::of_int(&t.storage_offset),
            device: gsig_str::of(&text.device),
            layout: gsig_str::of(&text.layout),
            requires_grad: t.requires_grad,
        });
        Ok(GSIG_OK)
    })
}

/// Writes size (`stride` false) or stride `dim` of a tensor value, or `GSIG_NOT_FOUND`.
///
/// # Safety
///
/// `sym` is NULL or valid for a write of a `gsig_sym`.
unsafe fn tensor_dim(
    map: *const gsig_archive_map,
    input: bool,
    index: usize,
    dim: usize,
    stride: bool,
    sym: *mut gsig_sym,
) -> gsig_status {
    guard(|| {
        let entry = entry(map)?;
        // SAFETY: forwarded from the caller's contract.
        let out = unsafe { Out::new(sym, if stride { "stride" } else { "size" })? };
        let Some((t, _)) = tensor_at(&entry, input, index)? else { return Ok(GSIG_NOT_FOUND) };
        let (dims, what) = if stride { (&t.strides, "stride") } else { (&t.sizes, "size") };
        out.write(gsig_sym::of_int(at(dims, dim, what)?));
        Ok(GSIG_OK)
    })
}

/// The metadata torch recorded for graph input `index`'s value (the JSON's `meta`):
/// `GSIG_META_UNKNOWN` when none; for a tensor, `GSIG_META_TENSOR`, and
/// `gsig_archive_map_input_tensor` gives the rest.
///
/// # Safety
///
/// `meta` is valid for a write of a `gsig_value_meta`.
#[no_mangle]
pub unsafe extern "C" fn gsig_archive_map_input_meta(
    map: *const gsig_archive_map,
    index: usize,
    meta: *mut gsig_value_meta,
) -> gsig_status {
    // SAFETY: forwarded from this function's contract.
    unsafe { item_of(map, meta, "meta", |e| Ok(value_meta(meta_at(e, true, index)?.0))) }
}

/// The metadata torch recorded for graph output `index`'s value, as
/// `gsig_archive_map_input_meta`.
///
/// # Safety
///
/// `meta` is valid for a write of a `gsig_value_meta`.
#[no_mangle]
pub unsafe extern "C" fn gsig_archive_map_output_meta(
    map: *const gsig_archive_map,
    index: usize,
    meta: *mut gsig_value_meta,
) -> gsig_status {
    // SAFETY: forwarded from this function's contract.
    unsafe { item_of(map, meta, "meta", |e| Ok(value_meta(meta_at(e, false, index)?.0))) }
}

/// The tensor metadata of graph input `index` (dtype, rank, storage offset, device, layout,
/// requires_grad); `GSIG_NOT_FOUND`, writing nothing, when its value is not a tensor or has
/// no metadata.
///
/// # Safety
///
/// `tensor` is valid for a write of a `gsig_tensor_meta`.
#[no_mangle]
pub unsafe extern "C" fn gsig_archive_map_input_tensor(
    map: *const gsig_archive_map,
    index: usize,
    tensor: *mut gsig_tensor_meta,
) -> gsig_status {
    // SAFETY: forwarded from this function's contract.
    unsafe { tensor_meta(map, true, index, tensor) }
}

/// The tensor metadata of graph output `index`, as `gsig_archive_map_input_tensor`.
///
/// # Safety
///
/// `tensor` is valid for a write of a `gsig_tensor_meta`.
#[no_mangle]
pub unsafe extern "C" fn gsig_archive_map_output_tensor(
    map: *const gsig_archive_map,
    index: usize,
    tensor: *mut gsig_tensor_meta,
) -> gsig_status {
    // SAFETY: forwarded from this function's contract.
    unsafe { tensor_meta(map, false, index, tensor) }
}

/// Size `dim` of graph input `index`'s tensor: an integer, or a symbolic expression
/// (`symbolic` true, with its short form and hint). `GSIG_NOT_FOUND` when the value is not
/// a tensor; `GSIG_ERR_OUT_OF_RANGE` when `dim` is not below its rank.
///
/// # Safety
///
/// `size` is valid for a write of a `gsig_sym`.
#[no_mangle]
pub unsafe extern "C" fn gsig_archive_map_input_tensor_size(
    map: *const gsig_archive_map,
    index: usize,
    dim: usize,
    size: *mut gsig_sym,
) -> gsig_status {
    // SAFETY: forwarded from this function's contract.
    unsafe { tensor_dim(map, true, index, dim, false, size) }
}

/// Stride `dim` (in elements) of graph input `index`'s tensor, as
/// `gsig_archive_map_input_tensor_size`.
///
/// # Safety
///
/// `stride` is valid for a write of a `gsig_sym`.
#[no_mangle]
pub unsafe extern "C" fn gsig_archive_map_input_tensor_stride(
    map: *const gsig_archive_map,
    index: usize,
    dim: usize,
    stride: *mut gsig_sym,
) -> gsig_status {
    // SAFETY: forwarded from this function's contract.
    unsafe { tensor_dim(map, true, index, dim, true, stride) }
}

/// Size `dim` of graph output `index`'s tensor, as `gsig_archive_map_input_tensor_size`.
///
/// # Safety
///
/// `size` is valid for a write of a `gsig_sym`.
#[no_mangle]
pub unsafe extern "C" fn gsig_archive_map_output_tensor_size(
    map: *const gsig_archive_map,
    index: usize,
    dim: usize,
    size: *mut gsig_sym,
) -> gsig_status {
    // SAFETY: forwarded from this function's contract.
    unsafe { tensor_dim(map, false, index, dim, false, size) }
}

/// Stride `dim` of graph output `index`'s tensor, as `gsig_archive_map_input_tensor_size`.
///
/// # Safety
///
/// `stride` is valid for a write of a `gsig_sym`.
#[no_mangle]
pub unsafe extern "C" fn gsig_archive_map_output_tensor_stride(
    map: *const gsig_archive_map,
    index: usize,
    dim: usize,
    stride: *mut gsig_sym,
) -> gsig_status {
    // SAFETY: forwarded from this function's contract.
    unsafe { tensor_dim(map, false, index, dim, true, stride) }
}

fn range_constraints(entry: &Entry) -> &[RangeConstraint] {
    entry.map.program.as_ref().map_or(&[], |p| &p.range_constraints)
}

/// The number of range constraints.
///
/// # Safety
///
/// `count` is valid for a write of a `size_t`.
#[no_mangle]
pub unsafe extern "C" fn gsig_archive_map_range_constraint_count(
    map: *const gsig_archive_map,
    count: *mut usize,
) -> gsig_status {
    // SAFETY: forwarded from this function's contract.
    unsafe { count_of(map, count, |e| Ok(range_constraints(e).len())) }
}

/// Range constraint `index`: a symbol and its inclusive range, each side optional.
///
/// # Safety
///
/// `constraint` is valid for a write of a `gsig_range_constraint`.
#[no_mangle]
pub unsafe extern "C" fn gsig_archive_map_range_constraint(
    map: *const gsig_archive_map,
    index: usize,
    constraint: *mut gsig_range_constraint,
) -> gsig_status {
    // SAFETY: forwarded from this function's contract.
    unsafe {
        item_of(map, constraint, "constraint", |e| {
            let r = at(range_constraints(e), index, "range constraint")?;
            Ok(gsig_range_constraint {
                symbol: gsig_str::of(&r.symbol),
                has_min: r.min.is_some(),
                min: r.min.unwrap_or(0),
                has_max: r.max.is_some(),
                max: r.max.unwrap_or(0),
            })
        })
    }
}

/// The number of storages of the payload index.
///
/// # Safety
///
/// `count` is valid for a write of a `size_t`.
#[no_mangle]
pub unsafe extern "C" fn gsig_archive_map_storage_count(
    map: *const gsig_archive_map,
    count: *mut usize,
) -> gsig_status {
    // SAFETY: forwarded from this function's contract.
    unsafe { count_of(map, count, |e| Ok(e.map.payloads.storages.len())) }
}

/// Storage `index`: its record, its absolute byte offset and length in the file, and
/// whether it is stored (mmap-able).
///
/// # Safety
///
/// `storage` is valid for a write of a `gsig_storage`.
#[no_mangle]
pub unsafe extern "C" fn gsig_archive_map_storage(
    map: *const gsig_archive_map,
    index: usize,
    storage: *mut gsig_storage,
) -> gsig_status {
    // SAFETY: forwarded from this function's contract.
    unsafe {
        item_of(map, storage, "storage", |e| Ok(gsig_storage::of(at(&e.map.payloads.storages, index, "storage")?)))
    }
}

/// The number of tensors of the payload index.
///
/// # Safety
///
/// `count` is valid for a write of a `size_t`.
#[no_mangle]
pub unsafe extern "C" fn gsig_archive_map_payload_count(
    map: *const gsig_archive_map,
    count: *mut usize,
) -> gsig_status {
    // SAFETY: forwarded from this function's contract.
    unsafe { count_of(map, count, |e| Ok(e.map.payloads.tensors.len())) }
}

fn payload(entry: &Entry, index: usize) -> Result<(&TensorPayload, &str), Failure> {
    Ok((at(&entry.map.payloads.tensors, index, "payload")?, &entry.payload_dtypes[index]))
}

/// Tensor `index` of the payload index (in the order its tables list them): its name,
/// table, storage, encoding, dtype, rank and storage offset.
///
/// # Safety
///
/// `payload` is valid for a write of a `gsig_payload`.
#[no_mangle]
pub unsafe extern "C" fn gsig_archive_map_payload(
    map: *const gsig_archive_map,
    index: usize,
    payload: *mut gsig_payload,
) -> gsig_status {
    // SAFETY: forwarded from this function's contract.
    unsafe {
        item_of(map, payload, "payload", |e| {
            let (t, dtype) = self::payload(e, index)?;
            Ok(gsig_payload {
                name: gsig_str::of(&t.name),
                table: match t.table {
                    PayloadTable::Weights => GSIG_TABLE_WEIGHTS,
                    PayloadTable::Constants => GSIG_TABLE_CONSTANTS,
                },
                is_param: t.is_param,
                storage: t.storage,
                encoding: match t.encoding {
                    Encoding::Raw => GSIG_ENCODING_RAW,
                    Encoding::Pickle => GSIG_ENCODING_PICKLE,
                },
                dtype: gsig_str::of(dtype),
                element_size: t.dtype.element_size().unwrap_or(0),
                rank: t.shape.len(),
                strides_len: t.strides.len(),
                storage_offset: t.storage_offset,
                requires_grad: t.requires_grad,
            })
        })
    }
}

/// Size `dim` of payload tensor `index`.
///
/// # Safety
///
/// `size` is valid for a write of an `int64_t`.
#[no_mangle]
pub unsafe extern "C" fn gsig_archive_map_payload_size(
    map: *const gsig_archive_map,
    index: usize,
    dim: usize,
    size: *mut i64,
) -> gsig_status {
    // SAFETY: forwarded from this function's contract.
    unsafe { item_of(map, size, "size", |e| Ok(*at(&self::payload(e, index)?.0.shape, dim, "size")?)) }
}

/// Stride `dim` (in elements) of payload tensor `index`.
///
/// # Safety
///
/// `stride` is valid for a write of an `int64_t`.
#[no_mangle]
pub unsafe extern "C" fn gsig_archive_map_payload_stride(
    map: *const gsig_archive_map,
    index: usize,
    dim: usize,
    stride: *mut i64,
) -> gsig_status {
    // SAFETY: forwarded from this function's contract.
    unsafe { item_of(map, stride, "stride", |e| Ok(*at(&self::payload(e, index)?.0.strides, dim, "stride")?)) }
}

/// Looks a state-dict or constant name up (`len` bytes at `name`, e.g. the `target` of a
/// `GSIG_FROM_PAYLOAD` binding): its index in the payload index, or `GSIG_NOT_FOUND`
/// (writing nothing).
///
/// # Safety
///
/// `name` is valid for reads of `len` bytes (may be NULL when `len` is 0); `index` is valid
/// for a write of a `size_t`.
#[no_mangle]
pub unsafe extern "C" fn gsig_archive_map_payload_find(
    map: *const gsig_archive_map,
    name: *const c_char,
    len: usize,
    index: *mut usize,
) -> gsig_status {
    guard(|| {
        let entry = entry(map)?;
        // SAFETY: the pointers' validity is this function's contract.
        let (name, out) = unsafe { (ffi::bytes(name.cast(), len, "name")?, Out::new(index, "index")?) };
        let name = ffi::utf8(name, "name")?;
        match entry.payloads_by_name.get(name) {
            Some(&i) => {
                out.write(i);
                Ok(GSIG_OK)
            }
            None => Ok(GSIG_NOT_FOUND),
        }
    })
}

/// The number of objects (custom and opaque) of the payload index.
///
/// # Safety
///
/// `count` is valid for a write of a `size_t`.
#[no_mangle]
pub unsafe extern "C" fn gsig_archive_map_object_count(map: *const gsig_archive_map, count: *mut usize) -> gsig_status {
    // SAFETY: forwarded from this function's contract.
    unsafe { count_of(map, count, |e| Ok(e.map.payloads.objects.len())) }
}

fn object_payload(o: &ObjectPayload) -> gsig_object_payload {
    gsig_object_payload {
        name: gsig_str::of(&o.name),
        storage: gsig_storage::of(&o.storage),
        encoding: match o.encoding {
            ObjectEncoding::TorchScript => GSIG_OBJECT_TORCH_SCRIPT,
            ObjectEncoding::Pickle => GSIG_OBJECT_PICKLE,
            ObjectEncoding::InConstantsPickle => GSIG_OBJECT_IN_CONSTANTS_PICKLE,
        },
    }
}

/// Object `index` of the payload index: its name, its bytes and their encoding.
///
/// # Safety
///
/// `object` is valid for a write of a `gsig_object_payload`.
#[no_mangle]
pub unsafe extern "C" fn gsig_archive_map_object(
    map: *const gsig_archive_map,
    index: usize,
    object: *mut gsig_object_payload,
) -> gsig_status {
    // SAFETY: forwarded from this function's contract.
    unsafe { item_of(map, object, "object", |e| Ok(object_payload(at(&e.map.payloads.objects, index, "object")?))) }
}

/// Looks an object's name up: its index among the objects, or `GSIG_NOT_FOUND`.
///
/// # Safety
///
/// `name` is valid for reads of `len` bytes (may be NULL when `len` is 0); `index` is valid
/// for a write of a `size_t`.
#[no_mangle]
pub unsafe extern "C" fn gsig_archive_map_object_find(
    map: *const gsig_archive_map,
    name: *const c_char,
    len: usize,
    index: *mut usize,
) -> gsig_status {
    guard(|| {
        let entry = entry(map)?;
        // SAFETY: the pointers' validity is this function's contract.
        let (name, out) = unsafe { (ffi::bytes(name.cast(), len, "name")?, Out::new(index, "index")?) };
        let name = ffi::utf8(name, "name")?;
        match entry.objects_by_name.get(name) {
            Some(&i) => {
                out.write(i);
                Ok(GSIG_OK)
            }
            None => Ok(GSIG_NOT_FOUND),
        }
    })
}

/// The number of findings of the consistency checks under `profile` (`GSIG_PROFILE_*`),
/// warnings included (computed on the first call for a profile, then kept).
///
/// # Safety
///
/// `count` is valid for a write of a `size_t`.
#[no_mangle]
pub unsafe extern "C" fn gsig_archive_map_finding_count(
    map: *const gsig_archive_map,
    profile: gsig_profile,
    count: *mut usize,
) -> gsig_status {
    // SAFETY: forwarded from this function's contract.
    unsafe { count_of(map, count, |e| Ok(e.findings(profile)?.len())) }
}

/// Finding `index` under `profile`: its rule code, severity, place and message.
///
/// # Safety
///
/// `finding` is valid for a write of a `gsig_finding`.
#[no_mangle]
pub unsafe extern "C" fn gsig_archive_map_finding(
    map: *const gsig_archive_map,
    profile: gsig_profile,
    index: usize,
    finding: *mut gsig_finding,
) -> gsig_status {
    // SAFETY: forwarded from this function's contract.
    unsafe {
        item_of(map, finding, "finding", |e| {
            let f = at(e.findings(profile)?, index, "finding")?;
            Ok(gsig_finding {
                code: gsig_str::of(f.code),
                severity: match f.severity {
                    Severity::Warning => GSIG_SEVERITY_WARNING,
                    Severity::Error => GSIG_SEVERITY_ERROR,
                },
                at: gsig_str::of(&f.at),
                message: gsig_str::of(&f.message),
            })
        })
    }
}

/// `GSIG_OK` when no consistency check under `profile` fails at error severity (warnings
/// are allowed, as `graphsig map` exits 0 with them); else `GSIG_ERR_MAP_CHECK`, with every
/// failed check in the last-error message (`inputs[3]: <what> [map-missing-payload]`, one
/// per line).
#[no_mangle]
pub extern "C" fn gsig_archive_map_verify(map: *const gsig_archive_map, profile: gsig_profile) -> gsig_status {
    guard(|| {
        let entry = entry(map)?;
        let errors: Vec<String> = entry
            .findings(profile)?
            .iter()
            .filter(|f| f.severity == Severity::Error)
            .map(|f| format!("{}: {} [{}]", f.at, f.message, f.code))
            .collect();
        if errors.is_empty() {
            return Ok(GSIG_OK);
        }
        let n = errors.len();
        let what = if n == 1 { "check" } else { "checks" };
        Err(Failure::new(GSIG_ERR_MAP_CHECK, format!("{n} {what} of the archive map failed:\n{}", errors.join("\n"))))
    })
}

/// The map as the JSON `graphsig map --json` prints (`map_version` 1, contract in
/// docs/cli.md), with the checks of `profile`, without the newline the CLI adds. Buffer
/// protocol as `gsig_signature_encode`: a size query (`buf` NULL, `cap` 0) keeps the bytes
/// with the handle for the call that follows.
///
/// # Safety
///
/// `buf` is valid for writes of `cap` bytes (may be NULL when `cap` is 0); `len` is valid
/// for a write of a `size_t`.
#[no_mangle]
pub unsafe extern "C" fn gsig_archive_map_json(
    map: *const gsig_archive_map,
    profile: gsig_profile,
    buf: *mut c_char,
    cap: usize,
    len: *mut usize,
) -> gsig_status {
    guard(|| {
        let entry = entry(map)?;
        // SAFETY: the pointers' validity is this function's contract.
        let (buf, len) = unsafe { (OutBuffer::new(buf.cast(), cap, "buf")?, Out::new(len, "len")?) };
        let p = profile_of(profile)?;
        fill_with(
            &entry.pending,
            Request::Json(profile),
            || {
                let mut bytes = Vec::new();
                entry.map.write_json(p, &mut bytes)?;
                Ok(bytes)
            },
            buf,
            len,
        )
    })
}

/// The map's signature with the metadata of its values (schema 1.1: dtypes, shapes with
/// symbolic sizes, range constraints), encoded in one of our formats (`GSIG_FORMAT_JSON`,
/// `_PROTO`, `_FBS`, `_BINCODE`): the bytes `graphsig convert FILE - --to FORMAT` writes for
/// the archive's program. (`gsig_signature_encode` writes a signature alone, schema 1.0;
/// torch's JSON carries no metadata: `GSIG_FORMAT_TORCH_JSON` is `GSIG_ERR_INVALID_ARGUMENT`
/// here, use `gsig_signature_encode*` on `gsig_archive_map_signature`'s handle.) Buffer
/// protocol as `gsig_signature_encode`.
///
/// # Safety
///
/// `buf` is valid for writes of `cap` bytes (may be NULL when `cap` is 0); `len` is valid
/// for a write of a `size_t`.
#[no_mangle]
pub unsafe extern "C" fn gsig_archive_map_encode(
    map: *const gsig_archive_map,
    format: gsig_format,
    buf: *mut u8,
    cap: usize,
    len: *mut usize,
) -> gsig_status {
    guard(|| {
        let entry = entry(map)?;
        // SAFETY: the pointers' validity is this function's contract.
        let (buf, len) = unsafe { (OutBuffer::new(buf, cap, "buf")?, Out::new(len, "len")?) };
        let format = format_from(format)?;
        if format == Format::TorchJson {
            return Err(Failure::new(
                GSIG_ERR_INVALID_ARGUMENT,
                "torch's JSON carries no metadata: encode the signature of gsig_archive_map_signature instead",
            ));
        }
        fill_with(
            &entry.pending,
            Request::Encode(format),
            || {
                let doc = Document::with_meta(entry.map.signature.clone(), entry.map.signature_meta());
                Ok(codec::encode_document(&doc, format)?)
            },
            buf,
            len,
        )
    })
}
