//! The archive map's FFI functions called as C calls them, against the library's
//! `ArchiveMap` built directly. (The C test compares the built library with
//! `graphsig map --json`; see scripts/capi-check.sh.)
#![allow(clippy::undocumented_unsafe_blocks)] // test code: every pointer is a local's

use std::ffi::c_char;
use std::path::Path;
use std::ptr;

use graph_signature::map::{
    ArchiveMap, Destination, Encoding, Hint, ObjectEncoding, PayloadTable, Profile, Severity, Source, SymInt,
    SymScalar, ValueMeta,
};

use crate::map::*;
use crate::signature::*;
use crate::status::*;
use crate::tests::{c, constant_eq, expect, last_error, repo, text, torch_archives};
use crate::types::*;

/// A map handle, freed when dropped.
struct Map(*mut gsig_archive_map);

impl Drop for Map {
    fn drop(&mut self) {
        let status = gsig_archive_map_free(self.0);
        if !std::thread::panicking() {
            expect(status, GSIG_OK);
        }
    }
}

fn open(path: &Path, model: Option<&str>) -> Result<Map, (gsig_status, String)> {
    let path = c(path.to_str().unwrap());
    let model = model.map(c);
    let mut out = ptr::null_mut();
    let status = unsafe {
        gsig_archive_map_open_path(path.as_ptr(), model.as_ref().map_or(ptr::null(), |m| m.as_ptr()), &mut out)
    };
    if status == GSIG_OK {
        assert!(!out.is_null());
        Ok(Map(out))
    } else {
        assert!(out.is_null(), "out written on failure");
        Err((status, last_error()))
    }
}

fn open_bytes(bytes: &[u8], model: Option<&str>) -> Result<Map, (gsig_status, String)> {
    let model = model.map(c);
    let mut out = ptr::null_mut();
    let status = unsafe {
        gsig_archive_map_open_bytes(
            bytes.as_ptr(),
            bytes.len(),
            model.as_ref().map_or(ptr::null(), |m| m.as_ptr()),
            &mut out,
        )
    };
    if status == GSIG_OK {
        Ok(Map(out))
    } else {
        assert!(out.is_null(), "out written on failure");
        Err((status, last_error()))
    }
}

fn count(f: impl FnOnce(*mut usize) -> gsig_status) -> usize {
    let mut n = usize::MAX;
    expect(f(&mut n), GSIG_OK);
    n
}

fn scalar_eq(s: &gsig_scalar, h: Option<&Hint>) -> bool {
    match h {
        None => s.type_ == GSIG_SCALAR_NONE,
        Some(Hint::Int(v)) => s.type_ == GSIG_SCALAR_INT && s.integer == *v,
        Some(Hint::Float(v)) => s.type_ == GSIG_SCALAR_FLOAT && s.floating.to_bits() == v.to_bits(),
        Some(Hint::Bool(v)) => s.type_ == GSIG_SCALAR_BOOL && s.boolean == *v,
    }
}

fn sym_int_eq(s: &gsig_sym, v: &SymInt) -> bool {
    match v {
        SymInt::Int(i) => !s.symbolic && s.value.type_ == GSIG_SCALAR_INT && s.value.integer == *i,
        SymInt::Expr(e) => {
            s.symbolic
                && text(s.expr) == e.expr
                && text(s.short_form) == e.short
                && scalar_eq(&s.hint, e.hint.as_ref())
                && s.value.type_ == GSIG_SCALAR_NONE
        }
    }
}

fn sym_scalar_eq(s: &gsig_sym, v: &SymScalar) -> bool {
    match v {
        SymScalar::Known(h) => !s.symbolic && scalar_eq(&s.value, Some(h)),
        SymScalar::Expr(e) => sym_int_eq(s, &SymInt::Expr(e.clone())),
    }
}

/// Every getter of `m` against the library's `lib`.
fn assert_same_as_library(m: &Map, lib: &ArchiveMap, what: &str) {
    let h = m.0;
    let mut s = gsig_str::empty();
    expect(unsafe { gsig_archive_map_model(h, &mut s) }, GSIG_OK);
    assert_eq!(text(s), lib.model, "{what}");
    // Inputs: binding and metadata.
    assert_eq!(count(|n| unsafe { gsig_archive_map_input_count(h, n) }), lib.plan.inputs.len(), "{what}");
    for (i, (b, meta)) in lib.plan.inputs.iter().zip(&lib.inputs_meta).enumerate() {
        let mut out = std::mem::MaybeUninit::<gsig_input_binding>::uninit();
        expect(unsafe { gsig_archive_map_input(h, i, out.as_mut_ptr()) }, GSIG_OK);
        let out = unsafe { out.assume_init() };
        assert_eq!(text(out.name), b.name, "{what} inputs[{i}]");
        assert_eq!(out.kind, input_kind(lib.signature.input_specs()[i].kind));
        match &b.source {
            Source::Payload { target, found } => {
                assert_eq!((out.from, text(out.target), out.found), (GSIG_FROM_PAYLOAD, target.as_str(), *found));
            }
            Source::Caller { path } => {
                assert_eq!(out.from, GSIG_FROM_CALLER);
                assert_eq!(out.has_path.then(|| text(out.path)), path.as_deref());
            }
            Source::Constant { value, path } => {
                assert_eq!(out.from, GSIG_FROM_CONSTANT);
                assert!(constant_eq(&out.constant, value), "{what} inputs[{i}]");
                assert_eq!(out.has_path.then(|| text(out.path)), path.as_deref());
            }
            Source::CustomObject { target, class_fqn, found } => {
                assert_eq!((out.from, text(out.target), out.found), (GSIG_FROM_CUSTOM_OBJECT, target.as_str(), *found));
                assert_eq!(out.has_class_fqn.then(|| text(out.class_fqn)), class_fqn.as_deref());
            }
            Source::Token => assert_eq!(out.from, GSIG_FROM_TOKEN),
            other => panic!("a source this test does not know: {other:?}"),
        }
        assert_meta(h, true, i, meta, what);
    }
    // Outputs.
    assert_eq!(count(|n| unsafe { gsig_archive_map_output_count(h, n) }), lib.plan.outputs.len(), "{what}");
    for (i, (b, meta)) in lib.plan.outputs.iter().zip(&lib.outputs_meta).enumerate() {
        let mut out = std::mem::MaybeUninit::<gsig_output_binding>::uninit();
        expect(unsafe { gsig_archive_map_output(h, i, out.as_mut_ptr()) }, GSIG_OK);
        let out = unsafe { out.assume_init() };
        assert_eq!(text(out.name), b.name, "{what} outputs[{i}]");
        assert_eq!(out.kind, output_kind(lib.signature.output_specs()[i].kind));
        let kind_name = |k: u32| {
            let mut s = gsig_str::empty();
            expect(unsafe { crate::access::gsig_input_kind_name(k, &mut s) }, GSIG_OK);
            text(s)
        };
        match &b.destination {
            Destination::Caller { path } | Destination::Loss { path } => {
                let want =
                    if matches!(b.destination, Destination::Caller { .. }) { GSIG_TO_CALLER } else { GSIG_TO_LOSS };
                assert_eq!(out.to, want);
                assert_eq!(out.has_path.then(|| text(out.path)), path.as_deref());
            }
            Destination::WriteBack { kind, target } => {
                assert_eq!(
                    (out.to, kind_name(out.target_kind), text(out.target)),
                    (GSIG_TO_WRITE_BACK, *kind, target.as_str())
                );
            }
            Destination::Gradient { of, target } => {
                assert_eq!(
                    (out.to, kind_name(out.target_kind), text(out.target)),
                    (GSIG_TO_GRADIENT, *of, target.as_str())
                );
            }
            Destination::Token => assert_eq!(out.to, GSIG_TO_TOKEN),
            other => panic!("a destination this test does not know: {other:?}"),
        }
        assert_meta(h, false, i, meta, what);
    }
    // Notes and range constraints.
    assert_eq!(count(|n| unsafe { gsig_archive_map_note_count(h, n) }), lib.plan.notes.len());
    for (i, note) in lib.plan.notes.iter().enumerate() {
        expect(unsafe { gsig_archive_map_note(h, i, &mut s) }, GSIG_OK);
        assert_eq!(text(s), note);
    }
    let constraints = lib.program.as_ref().map_or(&[][..], |p| &p.range_constraints);
    assert_eq!(count(|n| unsafe { gsig_archive_map_range_constraint_count(h, n) }), constraints.len());
    for (i, r) in constraints.iter().enumerate() {
        let mut out = std::mem::MaybeUninit::<gsig_range_constraint>::uninit();
        expect(unsafe { gsig_archive_map_range_constraint(h, i, out.as_mut_ptr()) }, GSIG_OK);
        let out = unsafe { out.assume_init() };
        assert_eq!(
            (text(out.symbol), out.has_min.then_some(out.min), out.has_max.then_some(out.max)),
            (r.symbol.as_str(), r.min, r.max)
        );
    }
    // The payload index.
    assert_eq!(count(|n| unsafe { gsig_archive_map_storage_count(h, n) }), lib.payloads.storages.len());
    for (i, st) in lib.payloads.storages.iter().enumerate() {
        let mut out = std::mem::MaybeUninit::<gsig_storage>::uninit();
        expect(unsafe { gsig_archive_map_storage(h, i, out.as_mut_ptr()) }, GSIG_OK);
        let out = unsafe { out.assume_init() };
        assert_eq!(text(out.record), st.record);
        assert_eq!(out.has_member.then(|| text(out.member)), st.member.as_deref());
        assert_eq!((out.offset, out.length, out.stored), (st.offset, st.length, st.stored));
    }
    assert_eq!(count(|n| unsafe { gsig_archive_map_payload_count(h, n) }), lib.payloads.tensors.len());
    for (i, t) in lib.payloads.tensors.iter().enumerate() {
        let mut out = std::mem::MaybeUninit::<gsig_payload>::uninit();
        expect(unsafe { gsig_archive_map_payload(h, i, out.as_mut_ptr()) }, GSIG_OK);
        let out = unsafe { out.assume_init() };
        assert_eq!(text(out.name), t.name);
        let table = match t.table {
            PayloadTable::Weights => GSIG_TABLE_WEIGHTS,
            PayloadTable::Constants => GSIG_TABLE_CONSTANTS,
        };
        let encoding = if t.encoding == Encoding::Raw { GSIG_ENCODING_RAW } else { GSIG_ENCODING_PICKLE };
        assert_eq!((out.table, out.is_param, out.storage, out.encoding), (table, t.is_param, t.storage, encoding));
        assert_eq!((text(out.dtype), out.element_size), (&*t.dtype.torch_name(), t.dtype.element_size().unwrap_or(0)));
        assert_eq!(
            (out.rank, out.strides_len, out.storage_offset, out.requires_grad),
            (t.shape.len(), t.strides.len(), t.storage_offset, t.requires_grad)
        );
        for (d, (&size, &stride)) in t.shape.iter().zip(&t.strides).enumerate() {
            let (mut a, mut b) = (0, 0);
            expect(unsafe { gsig_archive_map_payload_size(h, i, d, &mut a) }, GSIG_OK);
            expect(unsafe { gsig_archive_map_payload_stride(h, i, d, &mut b) }, GSIG_OK);
            assert_eq!((a, b), (size, stride));
        }
        let mut a = 0;
        expect(unsafe { gsig_archive_map_payload_size(h, i, t.shape.len(), &mut a) }, GSIG_ERR_OUT_OF_RANGE);
        let mut found = usize::MAX;
        expect(unsafe { gsig_archive_map_payload_find(h, t.name.as_ptr().cast(), t.name.len(), &mut found) }, GSIG_OK);
        assert!(ptr::eq(&lib.payloads.tensors[found], lib.payloads.tensor(&t.name).unwrap()), "{what}: {}", t.name);
    }
    assert_eq!(count(|n| unsafe { gsig_archive_map_object_count(h, n) }), lib.payloads.objects.len());
    for (i, o) in lib.payloads.objects.iter().enumerate() {
        let mut out = std::mem::MaybeUninit::<gsig_object_payload>::uninit();
        expect(unsafe { gsig_archive_map_object(h, i, out.as_mut_ptr()) }, GSIG_OK);
        let out = unsafe { out.assume_init() };
        assert_eq!(
            (text(out.name), text(out.storage.record), out.storage.offset),
            (o.name.as_str(), o.storage.record.as_str(), o.storage.offset)
        );
        let encoding = match o.encoding {
            ObjectEncoding::TorchScript => GSIG_OBJECT_TORCH_SCRIPT,
            ObjectEncoding::Pickle => GSIG_OBJECT_PICKLE,
            ObjectEncoding::InConstantsPickle => GSIG_OBJECT_IN_CONSTANTS_PICKLE,
        };
        assert_eq!(out.encoding, encoding);
        let mut found = usize::MAX;
        expect(unsafe { gsig_archive_map_object_find(h, o.name.as_ptr().cast(), o.name.len(), &mut found) }, GSIG_OK);
        assert_eq!(found, i);
    }
    // The checks of both profiles, and the JSON.
    for (profile, p) in [(GSIG_PROFILE_DEFAULT, Profile::Default), (GSIG_PROFILE_STRICT, Profile::Strict)] {
        let findings = lib.check(p);
        assert_eq!(count(|n| unsafe { gsig_archive_map_finding_count(h, profile, n) }), findings.len());
        for (i, f) in findings.iter().enumerate() {
            let mut out = std::mem::MaybeUninit::<gsig_finding>::uninit();
            expect(unsafe { gsig_archive_map_finding(h, profile, i, out.as_mut_ptr()) }, GSIG_OK);
            let out = unsafe { out.assume_init() };
            let severity = if f.severity == Severity::Error { GSIG_SEVERITY_ERROR } else { GSIG_SEVERITY_WARNING };
            assert_eq!(
                (text(out.code), out.severity, text(out.at), text(out.message)),
                (f.code, severity, f.at.as_str(), f.message.as_str())
            );
        }
        let failing = findings.iter().any(|f| f.severity == Severity::Error);
        expect(gsig_archive_map_verify(h, profile), if failing { GSIG_ERR_MAP_CHECK } else { GSIG_OK });
        let mut want = Vec::new();
        lib.write_json(p, &mut want).unwrap();
        assert_eq!(json(m, profile), want, "{what}");
    }
}

fn assert_meta(h: *mut gsig_archive_map, input: bool, i: usize, meta: &Option<ValueMeta>, what: &str) {
    let mut out = std::mem::MaybeUninit::<gsig_value_meta>::uninit();
    let status = unsafe {
        if input {
            gsig_archive_map_input_meta(h, i, out.as_mut_ptr())
        } else {
            gsig_archive_map_output_meta(h, i, out.as_mut_ptr())
        }
    };
    expect(status, GSIG_OK);
    let out = unsafe { out.assume_init() };
    let mut tensor = std::mem::MaybeUninit::<gsig_tensor_meta>::uninit();
    let tensor_status = unsafe {
        if input {
            gsig_archive_map_input_tensor(h, i, tensor.as_mut_ptr())
        } else {
            gsig_archive_map_output_tensor(h, i, tensor.as_mut_ptr())
        }
    };
    let at = format!("{what} {}[{i}]", if input { "inputs" } else { "outputs" });
    match meta {
        None => assert_eq!(out.type_, GSIG_META_UNKNOWN, "{at}"),
        Some(ValueMeta::Tensor(t)) => {
            assert_eq!(out.type_, GSIG_META_TENSOR, "{at}");
            expect(tensor_status, GSIG_OK);
            let tensor = unsafe { tensor.assume_init() };
            assert_eq!(text(tensor.dtype), t.dtype.torch_name(), "{at}");
            assert_eq!(text(tensor.device), t.device.to_string());
            assert_eq!(text(tensor.layout), t.layout.torch_name());
            assert_eq!(
                (tensor.rank, tensor.strides_len, tensor.requires_grad),
                (t.sizes.len(), t.strides.len(), t.requires_grad)
            );
            assert!(sym_int_eq(&tensor.storage_offset, &t.storage_offset), "{at}");
            for (d, size) in t.sizes.iter().enumerate() {
                let mut s = std::mem::MaybeUninit::<gsig_sym>::uninit();
                let st = unsafe {
                    if input {
                        gsig_archive_map_input_tensor_size(h, i, d, s.as_mut_ptr())
                    } else {
                        gsig_archive_map_output_tensor_size(h, i, d, s.as_mut_ptr())
                    }
                };
                expect(st, GSIG_OK);
                assert!(sym_int_eq(unsafe { &s.assume_init() }, size), "{at} size {d}");
            }
            for (d, stride) in t.strides.iter().enumerate() {
                let mut s = std::mem::MaybeUninit::<gsig_sym>::uninit();
                let st = unsafe {
                    if input {
                        gsig_archive_map_input_tensor_stride(h, i, d, s.as_mut_ptr())
                    } else {
                        gsig_archive_map_output_tensor_stride(h, i, d, s.as_mut_ptr())
                    }
                };
                expect(st, GSIG_OK);
                assert!(sym_int_eq(unsafe { &s.assume_init() }, stride), "{at} stride {d}");
            }
            return;
        }
        Some(ValueMeta::SymInt { value }) => {
            assert_eq!(out.type_, GSIG_META_SYM_INT);
            assert!(sym_int_eq(&out.value, value), "{at}");
        }
        Some(ValueMeta::SymFloat { value }) => {
            assert_eq!(out.type_, GSIG_META_SYM_FLOAT);
            assert!(sym_scalar_eq(&out.value, value), "{at}");
        }
        Some(ValueMeta::SymBool { value }) => {
            assert_eq!(out.type_, GSIG_META_SYM_BOOL);
            assert!(sym_scalar_eq(&out.value, value), "{at}");
        }
        Some(ValueMeta::CustomObj { class_fqn }) => {
            assert_eq!((out.type_, text(out.class_fqn)), (GSIG_META_CUSTOM_OBJ, class_fqn.as_str()));
        }
        Some(ValueMeta::Constant { value }) => {
            assert_eq!(out.type_, GSIG_META_CONSTANT);
            assert!(constant_eq(&out.constant, value), "{at}");
        }
        Some(ValueMeta::Token) => assert_eq!(out.type_, GSIG_META_TOKEN),
        Some(other) => panic!("metadata this test does not know: {other:?}"),
    }
    // Not a tensor: nothing written.
    expect(tensor_status, GSIG_NOT_FOUND);
}

fn json(m: &Map, profile: gsig_profile) -> Vec<u8> {
    let mut len = 0;
    expect(unsafe { gsig_archive_map_json(m.0, profile, ptr::null_mut(), 0, &mut len) }, GSIG_OK);
    let mut buf = vec![0u8; len];
    let mut written = 0;
    expect(unsafe { gsig_archive_map_json(m.0, profile, buf.as_mut_ptr().cast(), len, &mut written) }, GSIG_OK);
    assert_eq!(written, len);
    buf
}

#[test]
fn every_torch_archive_maps_as_the_library_maps_it() {
    for path in torch_archives() {
        let what = path.display().to_string();
        let lib = ArchiveMap::open(&path, None).unwrap();
        let m = open(&path, None).unwrap_or_else(|e| panic!("{what}: {e:?}"));
        assert_same_as_library(&m, &lib, &what);
        // From bytes: the same map (the offsets are the file's, as the bytes are the file).
        let bytes = std::fs::read(&path).unwrap();
        let b = open_bytes(&bytes, None).unwrap();
        drop(bytes);
        assert_eq!(json(&b, GSIG_PROFILE_STRICT), json(&m, GSIG_PROFILE_STRICT), "{what}");
    }
}

#[test]
fn the_maps_signature_is_a_signature_handle_with_the_same_indices() {
    let path = repo().join("tests/fixtures/archives/torch-2.15.0/mutation.pt2");
    let m = open(&path, None).unwrap();
    let mut sig = ptr::null_mut();
    expect(unsafe { gsig_archive_map_signature(m.0, &mut sig) }, GSIG_OK);
    drop(m); // independent of the map
    let (mut n, mut kind, mut format) = (0, 0, 0);
    expect(unsafe { crate::access::gsig_input_count(sig, &mut n) }, GSIG_OK);
    assert_eq!(n, graph_signature::read_path(&path).unwrap().input_specs().len());
    expect(unsafe { gsig_signature_file_kind(sig, &mut kind, &mut format) }, GSIG_OK);
    assert_eq!((kind, format), (GSIG_FILE_PT2_ARCHIVE, 0));
    expect(gsig_signature_free(sig), GSIG_OK);
    let legacy = open(&repo().join("tests/fixtures/archives/torch-2.7.1/linear.pt2"), None).unwrap();
    let mut layout = 0;
    expect(unsafe { gsig_archive_map_layout(legacy.0, &mut layout) }, GSIG_OK);
    assert_eq!(layout, GSIG_FILE_PT2_LEGACY_ZIP);
}

#[test]
fn a_failed_check_is_a_status_naming_every_failure() {
    let m = open(&repo().join("tests/fixtures/archives/torch-2.15.0/buffers.pt2"), None).unwrap();
    expect(gsig_archive_map_verify(m.0, GSIG_PROFILE_DEFAULT), GSIG_OK);
    expect(gsig_archive_map_verify(m.0, GSIG_PROFILE_STRICT), GSIG_ERR_MAP_CHECK);
    let message = last_error();
    assert!(message.contains("[map-canonical-order]"), "{message}");
    expect(gsig_archive_map_verify(m.0, 7), GSIG_ERR_INVALID_ARGUMENT);
    let mut n = 0;
    expect(unsafe { gsig_archive_map_finding_count(m.0, 2, &mut n) }, GSIG_ERR_INVALID_ARGUMENT);
}

#[test]
fn archive_map_and_signature_handles_are_not_interchangeable() {
    let tinynet = repo().join("examples/tinynet.pt2");
    let m = open(&tinynet, None).unwrap();
    let path = c(tinynet.to_str().unwrap());
    let mut sig = ptr::null_mut();
    expect(unsafe { gsig_open_path(path.as_ptr(), ptr::null(), GSIG_SOURCE_AUTO, &mut sig) }, GSIG_OK);
    let mut n = 0;
    // A signature handle given to the map's functions, and the other way round.
    expect(unsafe { gsig_archive_map_input_count(sig.cast(), &mut n) }, GSIG_ERR_INVALID_HANDLE);
    assert!(last_error().contains("invalid gsig_archive_map handle"), "{}", last_error());
    expect(gsig_archive_map_free(sig.cast()), GSIG_ERR_INVALID_HANDLE);
    expect(unsafe { crate::access::gsig_input_count(m.0.cast(), &mut n) }, GSIG_ERR_INVALID_HANDLE);
    expect(gsig_signature_free(m.0.cast()), GSIG_ERR_INVALID_HANDLE);
    // Both still work.
    expect(unsafe { gsig_archive_map_input_count(m.0, &mut n) }, GSIG_OK);
    assert_eq!(n, 7);
    expect(unsafe { crate::access::gsig_input_count(sig, &mut n) }, GSIG_OK);
    expect(gsig_signature_free(sig), GSIG_OK);
    // NULL, freed, double free.
    expect(unsafe { gsig_archive_map_input_count(ptr::null(), &mut n) }, GSIG_ERR_INVALID_HANDLE);
    assert!(last_error().contains("is NULL"));
    expect(gsig_archive_map_free(ptr::null_mut()), GSIG_OK);
    let raw = m.0;
    drop(m);
    expect(unsafe { gsig_archive_map_input_count(raw, &mut n) }, GSIG_ERR_INVALID_HANDLE);
    assert!(last_error().contains("was freed, or was never issued"), "{}", last_error());
    expect(gsig_archive_map_free(raw), GSIG_ERR_INVALID_HANDLE);
}

#[test]
fn bad_input_null_pointers_and_indices_are_refused() {
    let tinynet = repo().join("examples/tinynet.pt2");
    // Bytes that are not a zip, as the library says.
    for (bytes, want) in
        [(&b""[..], GSIG_ERR_DECODE), (b"hello", GSIG_ERR_DECODE), (b"PK\x03\x04 truncated", GSIG_ERR_DECODE)]
    {
        let (status, message) = open_bytes(bytes, None).err().unwrap();
        let lib = graph_signature::archive::pt2::Archive::new(std::io::Cursor::new(bytes)).err().unwrap();
        expect(status, want);
        assert_eq!(message, lib.to_string());
    }
    let (status, message) = open(&repo().join("no/such.pt2"), None).err().unwrap();
    expect(status, GSIG_ERR_IO);
    assert!(message.contains("no/such.pt2"), "{message}");
    let multi = repo().join("tests/fixtures/pt2/multi_model.pt2");
    let (status, message) = open(&multi, None).err().unwrap();
    expect(status, GSIG_ERR_MODEL);
    assert!(message.contains("decoder, encoder"), "{message}");
    let m = open(&multi, Some("encoder")).unwrap();
    let mut s = gsig_str::empty();
    expect(unsafe { gsig_archive_map_model(m.0, &mut s) }, GSIG_OK);
    assert_eq!(text(s), "encoder");
    // Every truncation of a real archive is an error, never a crash.
    let bytes = std::fs::read(&tinynet).unwrap();
    for cut in (0..bytes.len()).step_by(97) {
        assert!(open_bytes(&bytes[..cut], None).is_err(), "cut at {cut}");
    }
    // NULL out-parameters and arguments.
    let m = open(&tinynet, None).unwrap();
    let mut out = ptr::null_mut();
    expect(unsafe { gsig_archive_map_open_path(ptr::null(), ptr::null(), &mut out) }, GSIG_ERR_NULL_POINTER);
    let path = c(tinynet.to_str().unwrap());
    expect(unsafe { gsig_archive_map_open_path(path.as_ptr(), ptr::null(), ptr::null_mut()) }, GSIG_ERR_NULL_POINTER);
    expect(unsafe { gsig_archive_map_open_bytes(ptr::null(), 4, ptr::null(), &mut out) }, GSIG_ERR_NULL_POINTER);
    assert!(out.is_null());
    expect(unsafe { gsig_archive_map_input(m.0, 0, ptr::null_mut()) }, GSIG_ERR_NULL_POINTER);
    expect(unsafe { gsig_archive_map_input_count(m.0, ptr::null_mut()) }, GSIG_ERR_NULL_POINTER);
    expect(unsafe { gsig_archive_map_json(m.0, 0, ptr::null_mut(), 8, &mut 0) }, GSIG_ERR_NULL_POINTER);
    // Indices past the end, and lookups of missing names.
    let mut b = std::mem::MaybeUninit::<gsig_input_binding>::uninit();
    expect(unsafe { gsig_archive_map_input(m.0, 7, b.as_mut_ptr()) }, GSIG_ERR_OUT_OF_RANGE);
    assert_eq!(last_error(), "input index 7 is out of range (there are 7)");
    let mut sym = std::mem::MaybeUninit::<gsig_sym>::uninit();
    expect(unsafe { gsig_archive_map_input_tensor_size(m.0, 0, 2, sym.as_mut_ptr()) }, GSIG_ERR_OUT_OF_RANGE);
    let mut index = 99;
    expect(unsafe { gsig_archive_map_payload_find(m.0, c"nope".as_ptr(), 4, &mut index) }, GSIG_NOT_FOUND);
    assert_eq!(index, 99);
    expect(
        unsafe { gsig_archive_map_payload_find(m.0, [0xFFu8].as_ptr().cast::<c_char>(), 1, &mut index) },
        GSIG_ERR_INVALID_ARGUMENT,
    );
    // A buffer too small gets nothing, and the size.
    let mut small = [7u8; 4];
    let mut len = 0;
    expect(unsafe { gsig_archive_map_json(m.0, 0, small.as_mut_ptr().cast(), 4, &mut len) }, GSIG_ERR_BUFFER_TOO_SMALL);
    assert!(len > 4 && small == [7; 4]);
}

#[test]
fn a_map_is_read_from_many_threads() {
    let m = open(&repo().join("tests/fixtures/archives/torch-2.15.0/dynamic.pt2"), None).unwrap();
    let id = m.0.addr();
    let want = json(&m, GSIG_PROFILE_DEFAULT);
    std::thread::scope(|scope| {
        for _ in 0..4 {
            scope.spawn(|| {
                let h = std::ptr::without_provenance_mut::<gsig_archive_map>(id);
                for _ in 0..20 {
                    let mut len = 0;
                    expect(
                        unsafe { gsig_archive_map_json(h, GSIG_PROFILE_DEFAULT, ptr::null_mut(), 0, &mut len) },
                        GSIG_OK,
                    );
                    assert_eq!(len, want.len());
                    let mut n = 0;
                    expect(unsafe { gsig_archive_map_finding_count(h, GSIG_PROFILE_STRICT, &mut n) }, GSIG_OK);
                }
            });
        }
    });
}
