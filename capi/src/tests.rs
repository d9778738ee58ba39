//! The FFI functions called as C calls them, against the library called directly.
//! (The C and C++ programs of `capi/tests/` and `capi/examples/` test the built library
//! against the CLI; see scripts/capi-check.sh.) The helpers here serve `map_tests` too.
#![allow(clippy::undocumented_unsafe_blocks)] // test code: every pointer is a local's

use std::ffi::{c_char, CStr, CString};
use std::path::PathBuf;
use std::ptr;

use graph_signature::codec::torch_json::{self, WriteOptions};
use graph_signature::codec::{self, Format};
use graph_signature::read::ReadOptions;
use graph_signature::{ExportGraphSignature, UserValue};

use crate::access::*;
use crate::encode::*;
use crate::signature::*;
use crate::status::*;
use crate::types::*;
use crate::*;

pub(crate) fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_owned()
}

pub(crate) fn c(s: &str) -> CString {
    CString::new(s).unwrap()
}

pub(crate) fn text(s: gsig_str) -> &'static str {
    assert!(!s.data.is_null());
    std::str::from_utf8(unsafe { std::slice::from_raw_parts(s.data.cast::<u8>(), s.len) }).unwrap()
}

pub(crate) fn last_error() -> String {
    unsafe { CStr::from_ptr(gsig_last_error_message()) }.to_str().unwrap().to_owned()
}

fn status_name(status: gsig_status) -> &'static str {
    unsafe { CStr::from_ptr(gsig_status_name(status)) }.to_str().unwrap()
}

/// Asserts a status, showing the last error when it differs.
#[track_caller]
pub(crate) fn expect(status: gsig_status, want: gsig_status) {
    assert_eq!(status_name(status), status_name(want), "last error: {}", last_error());
}

/// A handle that is freed when dropped (and the free must succeed).
struct Handle(*mut gsig_signature);

impl Drop for Handle {
    fn drop(&mut self) {
        let status = gsig_signature_free(self.0);
        if !std::thread::panicking() {
            expect(status, GSIG_OK);
        }
    }
}

fn open_path(path: &std::path::Path, model: Option<&str>) -> Result<Handle, (gsig_status, String)> {
    let path = c(path.to_str().unwrap());
    let model = model.map(c);
    let mut out = ptr::null_mut();
    let status = unsafe {
        gsig_open_path(path.as_ptr(), model.as_ref().map_or(ptr::null(), |m| m.as_ptr()), GSIG_SOURCE_AUTO, &mut out)
    };
    if status == GSIG_OK {
        assert!(!out.is_null());
        Ok(Handle(out))
    } else {
        assert!(out.is_null(), "out written on failure");
        Err((status, last_error()))
    }
}

fn open_bytes(bytes: &[u8]) -> Result<Handle, (gsig_status, String)> {
    let mut out = ptr::null_mut();
    let status = unsafe { gsig_open_bytes(bytes.as_ptr(), bytes.len(), ptr::null(), GSIG_SOURCE_AUTO, &mut out) };
    if status == GSIG_OK {
        Ok(Handle(out))
    } else {
        assert!(out.is_null(), "out written on failure");
        Err((status, last_error()))
    }
}

pub(crate) fn torch_archives() -> Vec<PathBuf> {
    let mut found = Vec::new();
    for dir in std::fs::read_dir(repo().join("tests/fixtures/archives")).unwrap() {
        let dir = dir.unwrap().path();
        if dir.is_dir() && dir.file_name().unwrap().to_str().unwrap().starts_with("torch-") {
            for f in std::fs::read_dir(&dir).unwrap() {
                let f = f.unwrap().path();
                if f.extension().is_some_and(|e| e == "pt2") {
                    found.push(f);
                }
            }
        }
    }
    found.sort();
    assert!(found.len() >= 50, "only {} torch archives found", found.len());
    found
}

pub(crate) fn constant_eq(c: &gsig_constant, v: &graph_signature::ConstantValue) -> bool {
    use graph_signature::ConstantValue as V;
    match v {
        V::None => c.type_ == GSIG_CONSTANT_NONE,
        V::Int(i) => c.type_ == GSIG_CONSTANT_INT && c.integer == *i,
        V::Float(f) => c.type_ == GSIG_CONSTANT_FLOAT && c.floating.to_bits() == f.to_bits(),
        V::Bool(b) => c.type_ == GSIG_CONSTANT_BOOL && c.boolean == *b,
        V::String(s) => c.type_ == GSIG_CONSTANT_STRING && text(c.string) == s,
    }
}

/// Everything the C API says about a handle equals what the library says about `sig`.
fn assert_same_as_library(h: &Handle, sig: &ExportGraphSignature, what: &str) {
    let mut n = 0usize;
    expect(unsafe { gsig_input_count(h.0, &mut n) }, GSIG_OK);
    assert_eq!(n, sig.input_specs().len(), "{what}");
    for (i, want) in sig.input_specs().iter().enumerate() {
        let mut spec = std::mem::MaybeUninit::<gsig_spec>::uninit();
        expect(unsafe { gsig_input_spec(h.0, i, spec.as_mut_ptr()) }, GSIG_OK);
        let spec = unsafe { spec.assume_init() };
        assert_eq!(spec.kind, input_kind(want.kind), "{what} input {i}");
        assert_eq!(spec.arg.type_, argument_type(want.arg.arg_type()), "{what} input {i}");
        assert_eq!(text(spec.arg.name), want.arg.name(), "{what} input {i}");
        assert_eq!(spec.has_target, want.target.is_some());
        assert_eq!(text(spec.target), want.target.as_deref().unwrap_or(""));
        assert_eq!(spec.has_persistent, want.persistent.is_some());
        assert_eq!(spec.persistent, want.persistent == Some(true));
        match &want.arg {
            graph_signature::ArgumentSpec::Constant { value, .. } => {
                assert!(constant_eq(&spec.arg.constant, value), "{what} input {i}")
            }
            graph_signature::ArgumentSpec::CustomObj { class_fqn, .. } => {
                assert_eq!(text(spec.arg.class_fqn), class_fqn)
            }
            _ => assert_eq!(spec.arg.class_fqn.len, 0),
        }
    }
    expect(unsafe { gsig_output_count(h.0, &mut n) }, GSIG_OK);
    assert_eq!(n, sig.output_specs().len());
    for (i, want) in sig.output_specs().iter().enumerate() {
        let mut spec = std::mem::MaybeUninit::<gsig_spec>::uninit();
        expect(unsafe { gsig_output_spec(h.0, i, spec.as_mut_ptr()) }, GSIG_OK);
        let spec = unsafe { spec.assume_init() };
        assert_eq!(spec.kind, output_kind(want.kind), "{what} output {i}");
        assert_eq!(text(spec.arg.name), want.arg.name());
        assert_eq!(text(spec.target), want.target.as_deref().unwrap_or(""));
        assert!(!spec.has_persistent);
    }
    let lists: [(gsig_string_list, &[String]); 7] = [
        (GSIG_LIST_PARAMETERS, sig.parameters()),
        (GSIG_LIST_BUFFERS, sig.buffers()),
        (GSIG_LIST_NON_PERSISTENT_BUFFERS, sig.non_persistent_buffers()),
        (GSIG_LIST_LIFTED_TENSOR_CONSTANTS, sig.lifted_tensor_constants()),
        (GSIG_LIST_LIFTED_CUSTOM_OBJS, sig.lifted_custom_objs()),
        (GSIG_LIST_INPUT_TOKENS, sig.input_tokens()),
        (GSIG_LIST_OUTPUT_TOKENS, sig.output_tokens()),
    ];
    for (which, want) in lists {
        expect(unsafe { gsig_string_list_len(h.0, which, &mut n) }, GSIG_OK);
        let mut got = Vec::new();
        for i in 0..n {
            let mut item = gsig_str::empty();
            expect(unsafe { gsig_string_list_get(h.0, which, i, &mut item) }, GSIG_OK);
            got.push(text(item).to_owned());
        }
        assert_eq!(got, want, "{what} list {which}");
    }
    let empty = graph_signature::NameMap::new();
    let backward = sig.backward_signature();
    let maps: [(gsig_name_map, &graph_signature::NameMap); 9] = [
        (GSIG_NAME_MAP_INPUTS_TO_PARAMETERS, sig.inputs_to_parameters()),
        (GSIG_NAME_MAP_INPUTS_TO_BUFFERS, sig.inputs_to_buffers()),
        (GSIG_NAME_MAP_BUFFERS_TO_MUTATE, sig.buffers_to_mutate()),
        (GSIG_NAME_MAP_PARAMETERS_TO_MUTATE, sig.parameters_to_mutate()),
        (GSIG_NAME_MAP_USER_INPUTS_TO_MUTATE, sig.user_inputs_to_mutate()),
        (GSIG_NAME_MAP_INPUTS_TO_LIFTED_TENSOR_CONSTANTS, sig.inputs_to_lifted_tensor_constants()),
        (GSIG_NAME_MAP_INPUTS_TO_LIFTED_CUSTOM_OBJS, sig.inputs_to_lifted_custom_objs()),
        (GSIG_NAME_MAP_GRADIENTS_TO_PARAMETERS, backward.map_or(&empty, |b| &b.gradients_to_parameters)),
        (GSIG_NAME_MAP_GRADIENTS_TO_USER_INPUTS, backward.map_or(&empty, |b| &b.gradients_to_user_inputs)),
    ];
    for (which, want) in maps {
        expect(unsafe { gsig_name_map_len(h.0, which, &mut n) }, GSIG_OK);
        let mut got = Vec::new();
        for i in 0..n {
            let (mut k, mut v) = (gsig_str::empty(), gsig_str::empty());
            expect(unsafe { gsig_name_map_entry(h.0, which, i, &mut k, &mut v) }, GSIG_OK);
            got.push((text(k).to_owned(), text(v).to_owned()));
            let mut looked_up = gsig_str::empty();
            expect(unsafe { gsig_name_map_get(h.0, which, k.data, k.len, &mut looked_up) }, GSIG_OK);
            assert_eq!(text(looked_up), want[text(k)], "{what} map {which}");
        }
        let want: Vec<(String, String)> = want.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
        assert_eq!(got, want, "{what} map {which}");
    }
    for (which, want) in [(GSIG_USER_INPUTS, sig.user_inputs()), (GSIG_USER_OUTPUTS, sig.user_outputs())] {
        expect(unsafe { gsig_user_values_len(h.0, which, &mut n) }, GSIG_OK);
        assert_eq!(n, want.len());
        for (i, want) in want.iter().enumerate() {
            let mut v = std::mem::MaybeUninit::<gsig_user_value>::uninit();
            expect(unsafe { gsig_user_values_get(h.0, which, i, v.as_mut_ptr()) }, GSIG_OK);
            let v = unsafe { v.assume_init() };
            match want {
                UserValue::Name(name) => {
                    assert_eq!(v.type_, GSIG_USER_VALUE_NAME);
                    assert_eq!(text(v.name), name);
                }
                UserValue::Constant(c) => {
                    assert_eq!(v.type_, GSIG_USER_VALUE_CONSTANT);
                    assert!(constant_eq(&v.constant, c), "{what} user value {i}");
                }
            }
        }
    }
    let (mut present, mut loss) = (true, gsig_str::empty());
    expect(unsafe { gsig_backward_signature(h.0, &mut present, &mut loss) }, GSIG_OK);
    assert_eq!(present, backward.is_some());
    assert_eq!(text(loss), backward.map_or("", |b| b.loss_output.as_str()));
    expect(unsafe { gsig_assertion_dep_token(h.0, &mut present) }, GSIG_OK);
    assert!(!present);
    assert_eq!(encoded(h, Request::Text).unwrap(), sig.to_string().into_bytes());
}

/// Encodes through the C API with the size query first; also checks a one-byte-short
/// buffer is refused with the size.
fn encoded(h: &Handle, request: Request) -> Result<Vec<u8>, (gsig_status, String)> {
    let call = |buf: *mut u8, cap: usize, len: &mut usize| unsafe {
        match request {
            Request::Format(f) => gsig_signature_encode(h.0, format_number(f), buf, cap, len),
            Request::TorchJson(o) => {
                let target = c(&format!("{}", o.target.schema()));
                gsig_signature_encode_torch_json(h.0, target.as_ptr(), o.lossy, buf, cap, len)
            }
            Request::Text => gsig_signature_text(h.0, buf.cast(), cap, len),
        }
    };
    let mut len = usize::MAX;
    let status = call(ptr::null_mut(), 0, &mut len);
    if status != GSIG_OK {
        assert_eq!(len, usize::MAX, "len written on failure");
        return Err((status, last_error()));
    }
    if len > 0 {
        let mut short = vec![0xAAu8; len - 1];
        let mut needed = 0;
        expect(call(short.as_mut_ptr(), short.len(), &mut needed), GSIG_ERR_BUFFER_TOO_SMALL);
        assert_eq!(needed, len);
        assert!(short.iter().all(|b| *b == 0xAA), "a short buffer was written to");
    }
    let mut buf = vec![0u8; len + 7];
    let mut written = 0;
    expect(call(buf.as_mut_ptr(), buf.len(), &mut written), GSIG_OK);
    assert_eq!(written, len);
    buf.truncate(written);
    Ok(buf)
}

#[test]
fn every_torch_archive_reads_as_the_library_reads_it() {
    for archive in torch_archives() {
        let want = ReadOptions::default().read_path(&archive).unwrap();
        let h = open_path(&archive, None).unwrap();
        assert_same_as_library(&h, &want.signature, &archive.display().to_string());
        let mut model = gsig_str::empty();
        let mut present = false;
        expect(unsafe { gsig_signature_model(h.0, &mut present, &mut model) }, GSIG_OK);
        assert!(present);
        assert_eq!(Some(text(model)), want.model.as_deref());
        let (mut kind, mut format) = (0, 99);
        expect(unsafe { gsig_signature_file_kind(h.0, &mut kind, &mut format) }, GSIG_OK);
        assert!(kind == GSIG_FILE_PT2_ARCHIVE || kind == GSIG_FILE_PT2_LEGACY_ZIP, "{kind}");
        assert_eq!(format, 0);
        let (mut major, mut minor) = (0, 0);
        expect(unsafe { gsig_signature_torch_schema_version(h.0, &mut present, &mut major, &mut minor) }, GSIG_OK);
        let schema = want.torch_schema_version.map(|v| (v.major, v.minor));
        assert_eq!(present.then_some((major, minor)), schema, "{}", archive.display());
        // The same bytes from memory read the same.
        let bytes = std::fs::read(&archive).unwrap();
        let from_memory = open_bytes(&bytes).unwrap();
        drop(bytes);
        assert_same_as_library(&from_memory, &want.signature, "from bytes");
    }
}

#[test]
fn golden_documents_with_every_kind_and_edge_constants_read_as_the_library_reads_them() {
    // every_kind has a backward signature (LOSS_OUTPUT, gradients), custom objects, tokens,
    // symbolic values; constants_and_edge_values has NaN, -0.0, i64 extremes, NUL in strings.
    for name in ["every_kind", "constants_and_edge_values", "empty", "linear_with_buffer_mutation"] {
        for ext in ["json", "pb", "gsig", "bincode"] {
            let path = repo().join(format!("tests/golden/v1.0/{name}.{ext}"));
            let sig = graph_signature::read_path(&path).unwrap();
            let h = open_path(&path, None).unwrap();
            assert_same_as_library(&h, &sig, &path.display().to_string());
            let (mut present, mut name_out) = (true, gsig_str::empty());
            expect(unsafe { gsig_signature_model(h.0, &mut present, &mut name_out) }, GSIG_OK);
            assert!(!present);
            assert_eq!(name_out.len, 0);
        }
    }
    let every_kind = graph_signature::read_path(repo().join("tests/golden/v1.0/every_kind.json")).unwrap();
    assert!(every_kind.backward_signature().is_some(), "the golden file lost its loss output");
}

#[test]
fn the_legacy_layout_is_told_from_the_new_one() {
    let mut kinds = std::collections::BTreeSet::new();
    for archive in torch_archives() {
        let h = open_path(&archive, None).unwrap();
        let mut kind = 0;
        expect(unsafe { gsig_signature_file_kind(h.0, &mut kind, ptr::null_mut()) }, GSIG_OK);
        let dir = archive.parent().unwrap().file_name().unwrap().to_str().unwrap();
        let minor: u32 = dir.trim_start_matches("torch-2.").split('.').next().unwrap().parse().unwrap();
        let want = if minor >= 8 { GSIG_FILE_PT2_ARCHIVE } else { GSIG_FILE_PT2_LEGACY_ZIP };
        assert_eq!(kind, want, "{}", archive.display());
        kinds.insert(kind);
    }
    assert_eq!(kinds.len(), 2);
}

#[test]
fn encodings_are_the_library_encodings_and_read_back() {
    let archive = repo().join("examples/tinynet.pt2");
    let sig = graph_signature::read_path(&archive).unwrap();
    let h = open_path(&archive, None).unwrap();
    for format in Format::ALL {
        let bytes = encoded(&h, Request::Format(*format)).unwrap();
        assert_eq!(bytes, codec::encode(&sig, *format).unwrap(), "{format}");
        let back = open_bytes(&bytes).unwrap();
        assert_same_as_library(&back, &sig, &format!("{format} read back"));
        let (mut kind, mut got_format) = (0, 0);
        expect(unsafe { gsig_signature_file_kind(back.0, &mut kind, &mut got_format) }, GSIG_OK);
        assert_eq!((kind, got_format), (GSIG_FILE_DOCUMENT, format_number(*format)));
        let mut decoded = ptr::null_mut();
        expect(unsafe { gsig_decode(bytes.as_ptr(), bytes.len(), format_number(*format), &mut decoded) }, GSIG_OK);
        assert_same_as_library(&Handle(decoded), &sig, &format!("{format} decoded"));
    }
    for target in ["2.3", "2.8", "8.14", "2.15"] {
        let options = WriteOptions { target: target.parse().unwrap(), lossy: false };
        let bytes = encoded(&h, Request::TorchJson(options)).unwrap();
        assert_eq!(bytes, torch_json::encode(&sig, &options).unwrap(), "{target}");
    }
}

#[test]
fn torch_json_targets_refuse_what_they_cannot_hold_unless_lossy() {
    // torch 2.15 recorded a PARAMETER_MUTATION, which torch 2.8 has no way to say.
    let archive = repo().join("tests/fixtures/archives/torch-2.15.0/param_mutation.pt2");
    let sig = graph_signature::read_path(&archive).unwrap();
    let h = open_path(&archive, None).unwrap();
    let old = WriteOptions { target: "2.8".parse().unwrap(), lossy: false };
    let want = torch_json::encode(&sig, &old).unwrap_err().to_string();
    let (status, message) = encoded(&h, Request::TorchJson(old)).unwrap_err();
    expect(status, GSIG_ERR_UNREPRESENTABLE);
    assert_eq!(message, want);
    // Lossy keeps version refusals.
    let lossy = WriteOptions { lossy: true, ..old };
    expect(encoded(&h, Request::TorchJson(lossy)).unwrap_err().0, GSIG_ERR_UNREPRESENTABLE);

    // A SymBool user input is refused by torch's own serializer; lossy writes its closest form.
    let sig = ExportGraphSignature::new(
        vec![graph_signature::InputSpec::user_input(graph_signature::ArgumentSpec::SymBool { name: "b".into() })],
        vec![],
    )
    .unwrap();
    let json = codec::encode(&sig, Format::Json).unwrap();
    let h = open_bytes(&json).unwrap();
    expect(encoded(&h, Request::TorchJson(WriteOptions::default())).unwrap_err().0, GSIG_ERR_UNREPRESENTABLE);
    let lossy = WriteOptions { lossy: true, ..WriteOptions::default() };
    assert_eq!(encoded(&h, Request::TorchJson(lossy)).unwrap(), torch_json::encode(&sig, &lossy).unwrap());

    let mut len = 0;
    for bad in ["3.0", "2.1", "nonsense", "9.1"] {
        let target = c(bad);
        let status =
            unsafe { gsig_signature_encode_torch_json(h.0, target.as_ptr(), false, ptr::null_mut(), 0, &mut len) };
        expect(status, GSIG_ERR_UNSUPPORTED_VERSION);
        assert_eq!(last_error(), bad.parse::<torch_json::TorchTarget>().unwrap_err().to_string());
    }
    // NULL is the newest target.
    let status = unsafe { gsig_signature_encode_torch_json(h.0, ptr::null(), true, ptr::null_mut(), 0, &mut len) };
    expect(status, GSIG_OK);
}

#[test]
fn a_size_query_is_answered_once_and_a_different_request_is_encoded_afresh() {
    let h = open_path(&repo().join("examples/tinynet.pt2"), None).unwrap();
    let (mut json_len, mut proto_len) = (0, 0);
    expect(unsafe { gsig_signature_encode(h.0, GSIG_FORMAT_JSON, ptr::null_mut(), 0, &mut json_len) }, GSIG_OK);
    expect(unsafe { gsig_signature_encode(h.0, GSIG_FORMAT_PROTO, ptr::null_mut(), 0, &mut proto_len) }, GSIG_OK);
    assert_ne!(json_len, proto_len);
    // The pending proto bytes must not answer a JSON request.
    let mut buf = vec![0u8; json_len];
    let mut n = 0;
    expect(unsafe { gsig_signature_encode(h.0, GSIG_FORMAT_JSON, buf.as_mut_ptr(), buf.len(), &mut n) }, GSIG_OK);
    let sig = graph_signature::read_path(repo().join("examples/tinynet.pt2")).unwrap();
    assert_eq!(buf, codec::encode(&sig, Format::Json).unwrap());
}

#[test]
fn multi_program_archives_need_a_model() {
    let archive = repo().join("tests/fixtures/pt2/multi_model.pt2");
    let (status, message) = open_path(&archive, None).err().unwrap();
    expect(status, GSIG_ERR_MODEL);
    assert_eq!(message, graph_signature::read_path(&archive).unwrap_err().to_string());
    assert!(message.contains("decoder, encoder"), "{message}");
    for model in ["decoder", "encoder"] {
        let h = open_path(&archive, Some(model)).unwrap();
        let want = std::fs::read_to_string(repo().join(format!("tests/fixtures/pt2/multi_model.{model}.str.txt")));
        assert_eq!(String::from_utf8(encoded(&h, Request::Text).unwrap()).unwrap(), want.unwrap());
        let (mut present, mut name) = (false, gsig_str::empty());
        expect(unsafe { gsig_signature_model(h.0, &mut present, &mut name) }, GSIG_OK);
        assert_eq!(text(name), model);
    }
    let (status, message) = open_path(&archive, Some("nope")).err().unwrap();
    expect(status, GSIG_ERR_MODEL);
    assert_eq!(message, "no model named \"nope\"; the archive holds decoder, encoder");
    // A model for a file that is not an archive.
    let (status, _) = open_path(&repo().join("examples/batchnorm.model.json"), Some("model")).err().unwrap();
    expect(status, GSIG_ERR_MODEL);
}

fn open_with(bytes: &[u8], source: gsig_source) -> Result<Handle, gsig_status> {
    let mut out = ptr::null_mut();
    let status = unsafe { gsig_open_bytes(bytes.as_ptr(), bytes.len(), ptr::null(), source, &mut out) };
    if status == GSIG_OK {
        Ok(Handle(out))
    } else {
        Err(status)
    }
}

#[test]
fn sources_pick_the_embedded_or_the_programs_signature() {
    let archive = repo().join("examples/tinynet.pt2");
    let program = graph_signature::read_path(&archive).unwrap();
    let bytes = std::fs::read(&archive).unwrap();
    // tinynet.pt2 carries no embedded signature.
    expect(open_with(&bytes, GSIG_SOURCE_EMBEDDED).err().unwrap(), GSIG_ERR_NO_SIGNATURE);
    let h = open_with(&bytes, GSIG_SOURCE_PROGRAM).unwrap();
    let mut embedded = true;
    expect(unsafe { gsig_signature_embedded(h.0, &mut embedded) }, GSIG_OK);
    assert!(!embedded);
    expect(open_with(&bytes, 3).err().unwrap(), GSIG_ERR_INVALID_ARGUMENT);

    // Embed a different signature (a renamed output): AUTO and EMBEDDED read it, PROGRAM
    // the program's own.
    let mut other = program.clone();
    other.replace_all_uses("mul", "mul_renamed");
    let payload = codec::encode(&other, Format::Json).unwrap();
    let mut with_embedded = Vec::new();
    graph_signature::archive::pt2::embed_into(std::io::Cursor::new(&bytes), &mut with_embedded, "model", &payload)
        .unwrap();
    for (source, want, is_embedded) in
        [(GSIG_SOURCE_AUTO, &other, true), (GSIG_SOURCE_EMBEDDED, &other, true), (GSIG_SOURCE_PROGRAM, &program, false)]
    {
        let h = open_with(&with_embedded, source).unwrap();
        assert_same_as_library(&h, want, &format!("source {source}"));
        expect(unsafe { gsig_signature_embedded(h.0, &mut embedded) }, GSIG_OK);
        assert_eq!(embedded, is_embedded);
    }

    // A .safetensors file: none embedded, then one embedded.
    let st = std::fs::read(repo().join("tests/fixtures/safetensors/linear.safetensors")).unwrap();
    let (status, message) = open_bytes(&st).err().unwrap();
    expect(status, GSIG_ERR_NO_SIGNATURE);
    assert!(message.contains("carries no embedded signature"), "{message}");
    let mut with_sig = Vec::new();
    let text = std::str::from_utf8(&payload).unwrap();
    graph_signature::archive::safetensors::embed_into(&st[..], st.len() as u64, &mut with_sig, text).unwrap();
    let h = open_bytes(&with_sig).unwrap();
    assert_same_as_library(&h, &other, "safetensors");
    let mut kind = 0;
    expect(unsafe { gsig_signature_file_kind(h.0, &mut kind, ptr::null_mut()) }, GSIG_OK);
    assert_eq!(kind, GSIG_FILE_SAFETENSORS);
    expect(open_with(&with_sig, GSIG_SOURCE_PROGRAM).err().unwrap(), GSIG_ERR_UNRECOGNIZED);
}

#[test]
fn name_map_lookups_find_keys_and_report_missing_ones() {
    let h = open_path(&repo().join("examples/tinynet.pt2"), None).unwrap();
    let mut value = gsig_str::empty();
    let key = "p_proj_weight";
    let status = unsafe {
        gsig_name_map_get(h.0, GSIG_NAME_MAP_INPUTS_TO_PARAMETERS, key.as_ptr().cast(), key.len(), &mut value)
    };
    expect(status, GSIG_OK);
    assert_eq!(text(value), "proj.weight");
    let status = unsafe { gsig_name_map_get(h.0, GSIG_NAME_MAP_BUFFERS_TO_MUTATE, c"add".as_ptr(), 3, &mut value) };
    expect(status, GSIG_OK);
    assert_eq!(text(value), "steps");
    // A key that is a prefix of one, a key of another map, the empty key.
    let before = value;
    for (which, key) in [
        (GSIG_NAME_MAP_INPUTS_TO_PARAMETERS, "p_proj"),
        (GSIG_NAME_MAP_INPUTS_TO_BUFFERS, "p_proj_weight"),
        (GSIG_NAME_MAP_INPUTS_TO_PARAMETERS, ""),
    ] {
        let status = unsafe { gsig_name_map_get(h.0, which, key.as_ptr().cast(), key.len(), &mut value) };
        expect(status, GSIG_NOT_FOUND);
        assert_eq!(value.data, before.data, "value written on a miss");
    }
    let status = unsafe { gsig_name_map_get(h.0, GSIG_NAME_MAP_INPUTS_TO_PARAMETERS, ptr::null(), 0, &mut value) };
    expect(status, GSIG_NOT_FOUND);
    let status = unsafe { gsig_name_map_get(h.0, GSIG_NAME_MAP_INPUTS_TO_PARAMETERS, ptr::null(), 3, &mut value) };
    expect(status, GSIG_ERR_NULL_POINTER);
    let bad = [0xFFu8, 0xFE];
    let status =
        unsafe { gsig_name_map_get(h.0, GSIG_NAME_MAP_INPUTS_TO_PARAMETERS, bad.as_ptr().cast(), 2, &mut value) };
    expect(status, GSIG_ERR_INVALID_ARGUMENT);
    // The gradient maps of a signature without a backward signature are empty.
    let mut n = 9;
    expect(unsafe { gsig_name_map_len(h.0, GSIG_NAME_MAP_GRADIENTS_TO_PARAMETERS, &mut n) }, GSIG_OK);
    assert_eq!(n, 0);
    let status = unsafe { gsig_name_map_get(h.0, GSIG_NAME_MAP_GRADIENTS_TO_PARAMETERS, c"x".as_ptr(), 1, &mut value) };
    expect(status, GSIG_NOT_FOUND);
}

#[test]
fn indices_and_enum_values_out_of_range_are_refused() {
    let h = open_path(&repo().join("examples/tinynet.pt2"), None).unwrap();
    let mut spec = std::mem::MaybeUninit::<gsig_spec>::uninit();
    let mut n = 0;
    expect(unsafe { gsig_input_count(h.0, &mut n) }, GSIG_OK);
    expect(unsafe { gsig_input_spec(h.0, n, spec.as_mut_ptr()) }, GSIG_ERR_OUT_OF_RANGE);
    assert_eq!(last_error(), format!("input spec index {n} is out of range (there are {n})"));
    expect(unsafe { gsig_output_spec(h.0, usize::MAX, spec.as_mut_ptr()) }, GSIG_ERR_OUT_OF_RANGE);
    let mut s = gsig_str::empty();
    let (mut k, mut v) = (gsig_str::empty(), gsig_str::empty());
    expect(unsafe { gsig_string_list_get(h.0, GSIG_LIST_PARAMETERS, 4, &mut s) }, GSIG_ERR_OUT_OF_RANGE);
    expect(
        unsafe { gsig_name_map_entry(h.0, GSIG_NAME_MAP_INPUTS_TO_BUFFERS, 2, &mut k, &mut v) },
        GSIG_ERR_OUT_OF_RANGE,
    );
    let mut uv = std::mem::MaybeUninit::<gsig_user_value>::uninit();
    expect(unsafe { gsig_user_values_get(h.0, GSIG_USER_OUTPUTS, 1, uv.as_mut_ptr()) }, GSIG_ERR_OUT_OF_RANGE);
    for bad in [0, 8, u32::MAX] {
        expect(unsafe { gsig_string_list_len(h.0, bad, &mut n) }, GSIG_ERR_INVALID_ARGUMENT);
        expect(unsafe { gsig_user_values_len(h.0, if bad == 8 { 3 } else { bad }, &mut n) }, GSIG_ERR_INVALID_ARGUMENT);
        expect(unsafe { gsig_signature_encode(h.0, bad, ptr::null_mut(), 0, &mut n) }, GSIG_ERR_INVALID_ARGUMENT);
    }
    expect(unsafe { gsig_name_map_len(h.0, 10, &mut n) }, GSIG_ERR_INVALID_ARGUMENT);
    expect(unsafe { gsig_name_map_len(h.0, 0, &mut n) }, GSIG_ERR_INVALID_ARGUMENT);
    expect(unsafe { gsig_decode(c"{}".as_ptr().cast(), 2, 6, &mut ptr::null_mut()) }, GSIG_ERR_INVALID_ARGUMENT);
    expect(unsafe { gsig_input_kind_name(60, &mut s) }, GSIG_ERR_INVALID_ARGUMENT);
    expect(unsafe { gsig_output_kind_name(0, &mut s) }, GSIG_ERR_INVALID_ARGUMENT);
    expect(unsafe { gsig_argument_type_name(11, &mut s) }, GSIG_ERR_INVALID_ARGUMENT);
}

#[test]
fn kind_and_type_names_are_torchs() {
    let mut s = gsig_str::empty();
    for kind in graph_signature::InputKind::ALL {
        expect(unsafe { gsig_input_kind_name(input_kind(*kind), &mut s) }, GSIG_OK);
        assert_eq!(text(s), kind.torch_name());
    }
    for kind in graph_signature::OutputKind::ALL {
        expect(unsafe { gsig_output_kind_name(output_kind(*kind), &mut s) }, GSIG_OK);
        assert_eq!(text(s), kind.torch_name());
    }
    expect(unsafe { gsig_argument_type_name(GSIG_ARGUMENT_SYM_FLOAT, &mut s) }, GSIG_OK);
    assert_eq!(text(s), "SymFloatArgument");
    // The numbers are the .proto's.
    let proto = std::fs::read_to_string(repo().join("proto/graph_signature/v1/graph_signature.proto")).unwrap();
    for kind in graph_signature::InputKind::ALL {
        let line = format!("INPUT_KIND_{} = {};", kind.torch_name(), input_kind(*kind));
        assert!(proto.contains(&line), "{line}");
    }
    for kind in graph_signature::OutputKind::ALL {
        let line = format!("OUTPUT_KIND_{} = {};", kind.torch_name(), output_kind(*kind));
        assert!(proto.contains(&line), "{line}");
    }
}

#[test]
fn null_pointers_are_refused_and_nothing_is_written() {
    let h = open_path(&repo().join("examples/tinynet.pt2"), None).unwrap();
    let path = c("x");
    let mut out = ptr::null_mut();
    let mut n = 0;
    let mut b = false;
    let mut s = gsig_str::empty();
    let mut u = 0u32;
    let mut u64_ = 0u64;
    let checks: Vec<(&str, gsig_status)> = unsafe {
        vec![
            ("open_path path", gsig_open_path(ptr::null(), ptr::null(), 0, &mut out)),
            ("open_path out", gsig_open_path(path.as_ptr(), ptr::null(), 0, ptr::null_mut())),
            ("open_bytes data", gsig_open_bytes(ptr::null(), 4, ptr::null(), 0, &mut out)),
            ("open_bytes out", gsig_open_bytes(c"{}".as_ptr().cast(), 2, ptr::null(), 0, ptr::null_mut())),
            ("decode data", gsig_decode(ptr::null(), 1, GSIG_FORMAT_JSON, &mut out)),
            ("decode out", gsig_decode(c"{}".as_ptr().cast(), 2, GSIG_FORMAT_JSON, ptr::null_mut())),
            ("input_count", gsig_input_count(h.0, ptr::null_mut())),
            ("output_count", gsig_output_count(h.0, ptr::null_mut())),
            ("input_spec", gsig_input_spec(h.0, 0, ptr::null_mut())),
            ("output_spec", gsig_output_spec(h.0, 0, ptr::null_mut())),
            ("string_list_len", gsig_string_list_len(h.0, GSIG_LIST_BUFFERS, ptr::null_mut())),
            ("string_list_get", gsig_string_list_get(h.0, GSIG_LIST_BUFFERS, 0, ptr::null_mut())),
            ("name_map_len", gsig_name_map_len(h.0, 1, ptr::null_mut())),
            ("name_map_entry key", gsig_name_map_entry(h.0, 1, 0, ptr::null_mut(), &mut s)),
            ("name_map_entry value", gsig_name_map_entry(h.0, 1, 0, &mut s, ptr::null_mut())),
            ("name_map_get value", gsig_name_map_get(h.0, 1, c"p_proj_weight".as_ptr(), 13, ptr::null_mut())),
            ("user_values_len", gsig_user_values_len(h.0, 1, ptr::null_mut())),
            ("user_values_get", gsig_user_values_get(h.0, 1, 0, ptr::null_mut())),
            ("backward present", gsig_backward_signature(h.0, ptr::null_mut(), &mut s)),
            ("backward loss", gsig_backward_signature(h.0, &mut b, ptr::null_mut())),
            ("assertion_dep_token", gsig_assertion_dep_token(h.0, ptr::null_mut())),
            ("model present", gsig_signature_model(h.0, ptr::null_mut(), &mut s)),
            ("model name", gsig_signature_model(h.0, &mut b, ptr::null_mut())),
            ("embedded", gsig_signature_embedded(h.0, ptr::null_mut())),
            ("torch schema", gsig_signature_torch_schema_version(h.0, &mut b, &mut u64_, ptr::null_mut())),
            ("encode len", gsig_signature_encode(h.0, GSIG_FORMAT_JSON, ptr::null_mut(), 0, ptr::null_mut())),
            ("encode buf", gsig_signature_encode(h.0, GSIG_FORMAT_JSON, ptr::null_mut(), 10, &mut n)),
            ("torch json buf", gsig_signature_encode_torch_json(h.0, ptr::null(), false, ptr::null_mut(), 1, &mut n)),
            ("text len", gsig_signature_text(h.0, ptr::null_mut(), 0, ptr::null_mut())),
            ("kind name", gsig_input_kind_name(GSIG_INPUT_KIND_BUFFER, ptr::null_mut())),
            ("abi version", gsig_abi_version(&mut u, ptr::null_mut())),
            ("schema version", gsig_schema_version(ptr::null_mut(), &mut u)),
            ("library version", gsig_library_version(ptr::null_mut())),
            ("live handle count", gsig_live_handle_count(ptr::null_mut())),
        ]
    };
    for (what, status) in checks {
        assert_eq!(status_name(status), "GSIG_ERR_NULL_POINTER", "{what}: {}", last_error());
    }
    assert!(out.is_null());
    assert_eq!(n, 0);
    // A misaligned out-parameter is refused too.
    let mut words = [0usize; 2];
    let misaligned = unsafe { words.as_mut_ptr().cast::<u8>().add(1) }.cast::<usize>();
    expect(unsafe { gsig_input_count(h.0, misaligned) }, GSIG_ERR_NULL_POINTER);
    assert_eq!(last_error(), "count is not aligned for its type");
    assert_eq!(words, [0, 0]);
}

#[test]
fn wrong_handles_are_refused() {
    let mut n = 0;
    // NULL.
    expect(unsafe { gsig_input_count(ptr::null(), &mut n) }, GSIG_ERR_INVALID_HANDLE);
    assert!(last_error().contains("is NULL"), "{}", last_error());
    // Freed: use after free, and a double free.
    let h = open_path(&repo().join("examples/tinynet.pt2"), None).unwrap();
    let raw = h.0;
    drop(h);
    expect(unsafe { gsig_input_count(raw, &mut n) }, GSIG_ERR_INVALID_HANDLE);
    assert!(last_error().contains("was freed, or was never issued"), "{}", last_error());
    expect(gsig_signature_free(raw), GSIG_ERR_INVALID_HANDLE);
    // Never issued: the address of a real object, and numbers near a real handle.
    let local = 0u64;
    let forged: *mut gsig_signature = (&local as *const u64).cast_mut().cast();
    expect(unsafe { gsig_input_count(forged, &mut n) }, GSIG_ERR_INVALID_HANDLE);
    assert!(last_error().contains("not a handle"), "{}", last_error());
    expect(gsig_signature_free(forged), GSIG_ERR_INVALID_HANDLE);
    let h = open_path(&repo().join("examples/tinynet.pt2"), None).unwrap();
    for delta in [1usize, 16, 1 << 20] {
        let near = std::ptr::without_provenance_mut::<gsig_signature>(h.0.addr().wrapping_add(delta));
        expect(unsafe { gsig_input_count(near, &mut n) }, GSIG_ERR_INVALID_HANDLE);
    }
    // Freeing NULL is allowed, as free(NULL).
    expect(gsig_signature_free(ptr::null_mut()), GSIG_OK);
    // The live handle still works after all this.
    expect(unsafe { gsig_input_count(h.0, &mut n) }, GSIG_OK);
    assert_eq!(n, 7);
}

#[test]
fn bad_bytes_and_paths_give_error_codes() {
    let cases: [(&[u8], gsig_status); 7] = [
        (b"", GSIG_ERR_UNRECOGNIZED),
        (b"hello, world", GSIG_ERR_UNRECOGNIZED),
        (b"{\"input_specs\": [}", GSIG_ERR_DECODE),
        (b"{\"signature\": 3}", GSIG_ERR_DECODE),
        (b"PK\x03\x04 truncated zip", GSIG_ERR_DECODE),
        (b"\x52\x05\x50\x02\xA0\x01\x00", GSIG_ERR_UNSUPPORTED_VERSION),
        (b"\x80\x02}q\x00.", GSIG_ERR_UNRECOGNIZED),
    ];
    for (bytes, want) in cases {
        let lib = graph_signature::read_bytes(bytes).unwrap_err();
        let (status, message) = open_bytes(bytes).err().unwrap_or_else(|| panic!("{bytes:?} opened"));
        assert_eq!(message, lib.to_string(), "{bytes:?}");
        assert_eq!(status_name(status), status_name(want), "{bytes:?}: {message}");
    }
    // A truncated real archive.
    let bytes = std::fs::read(repo().join("examples/tinynet.pt2")).unwrap();
    for cut in [10, bytes.len() / 2, bytes.len() - 1] {
        let (status, _) = open_bytes(&bytes[..cut]).err().unwrap_or_else(|| panic!("cut at {cut} opened"));
        assert_ne!(status, GSIG_OK);
        assert!((GSIG_ERR_IO..GSIG_ERR_OTHER).contains(&status), "{}", status_name(status));
    }
    // Decoding as the wrong format.
    let json = std::fs::read(repo().join("examples/batchnorm.model.json")).unwrap();
    let mut out = ptr::null_mut();
    expect(unsafe { gsig_decode(json.as_ptr(), json.len(), GSIG_FORMAT_PROTO, &mut out) }, GSIG_ERR_DECODE);
    assert!(out.is_null());
    expect(unsafe { gsig_decode(json.as_ptr(), json.len(), GSIG_FORMAT_TORCH_JSON, &mut out) }, GSIG_OK);
    let h = Handle(out);
    let (mut present, mut major, mut minor) = (false, 0, 0);
    expect(unsafe { gsig_signature_torch_schema_version(h.0, &mut present, &mut major, &mut minor) }, GSIG_OK);
    assert_eq!((present, major, minor), (true, 8, 20));
    // Paths: missing, a folder, not UTF-8 on Unix (a valid path there, so it is just missing).
    let (status, message) = open_path(&repo().join("no/such/file.pt2"), None).err().unwrap();
    expect(status, GSIG_ERR_IO);
    assert!(message.contains("no/such/file.pt2"), "{message}");
    expect(open_path(&repo().join("tests"), None).err().unwrap().0, GSIG_ERR_IO);
    let odd = [b'/', 0xFF, b'x', 0];
    out = ptr::null_mut();
    let status = unsafe { gsig_open_path(odd.as_ptr().cast::<c_char>(), ptr::null(), 0, &mut out) };
    expect(status, GSIG_ERR_IO);
    // A model name that is not UTF-8.
    let path = c(repo().join("examples/tinynet.pt2").to_str().unwrap());
    let status = unsafe { gsig_open_path(path.as_ptr(), odd.as_ptr().cast(), 0, &mut out) };
    expect(status, GSIG_ERR_INVALID_ARGUMENT);
    assert!(out.is_null());
}

#[test]
fn the_last_error_belongs_to_the_thread_and_survives_successes() {
    let mut n = 0;
    expect(unsafe { gsig_input_count(ptr::null(), &mut n) }, GSIG_ERR_INVALID_HANDLE);
    let here = last_error();
    std::thread::spawn(|| {
        assert_eq!(last_error(), "", "a new thread starts with no message");
        let mut v = (0, 0);
        expect(unsafe { gsig_abi_version(ptr::null_mut(), &mut v.1) }, GSIG_ERR_NULL_POINTER);
        assert_eq!(last_error(), "major is NULL");
    })
    .join()
    .unwrap();
    let (mut major, mut minor) = (0, 0);
    expect(unsafe { gsig_schema_version(&mut major, &mut minor) }, GSIG_OK);
    assert_eq!(last_error(), here);
}

#[test]
fn live_handles_are_counted() {
    // Other tests open handles concurrently: only a lower bound can be asserted here (the C
    // test, alone in its process, checks the count returns to 0).
    let held: Vec<Handle> = (0..3).map(|_| open_path(&repo().join("examples/tinynet.pt2"), None).unwrap()).collect();
    let mut n = 0;
    expect(unsafe { gsig_live_handle_count(&mut n) }, GSIG_OK);
    assert!(n >= 3, "{n}");
    drop(held);
}

#[test]
fn a_panic_becomes_a_status() {
    let status = guard(|| panic!("boom"));
    expect(status, GSIG_ERR_PANIC);
    assert_eq!(last_error(), "internal error in graph-signature (please report it): boom");
    let status = guard(|| Err(Failure::new(GSIG_ERR_LIMIT, "a\0b")));
    expect(status, GSIG_ERR_LIMIT);
    assert_eq!(last_error(), "a\u{FFFD}b");
}

#[test]
fn versions_are_the_crates() {
    let (mut major, mut minor) = (0, 0);
    expect(unsafe { gsig_abi_version(&mut major, &mut minor) }, GSIG_OK);
    assert_eq!((major, minor), (GSIG_ABI_VERSION_MAJOR, GSIG_ABI_VERSION_MINOR));
    expect(unsafe { gsig_schema_version(&mut major, &mut minor) }, GSIG_OK);
    assert_eq!(format!("{major}.{minor}"), graph_signature::version::SchemaVersion::CURRENT.to_string());
    let mut v = gsig_str::empty();
    expect(unsafe { gsig_library_version(&mut v) }, GSIG_OK);
    assert_eq!(unsafe { *v.data.add(v.len) }, 0, "NUL-terminated");
    // The C library's version is the library's: the root package's version.
    let root = std::fs::read_to_string(repo().join("Cargo.toml")).unwrap();
    let line = root.lines().find(|l| l.starts_with("version = ")).unwrap();
    assert_eq!(line, format!("version = \"{}\"", text(v)));
}

#[test]
fn status_names_cover_every_code() {
    let codes = [
        GSIG_OK,
        GSIG_NOT_FOUND,
        GSIG_ERR_BUFFER_TOO_SMALL,
        GSIG_ERR_NULL_POINTER,
        GSIG_ERR_INVALID_HANDLE,
        GSIG_ERR_INVALID_ARGUMENT,
        GSIG_ERR_OUT_OF_RANGE,
        GSIG_ERR_IO,
        GSIG_ERR_UNRECOGNIZED,
        GSIG_ERR_DECODE,
        GSIG_ERR_UNSUPPORTED_VERSION,
        GSIG_ERR_INVALID_SIGNATURE,
        GSIG_ERR_CLASSIFY,
        GSIG_ERR_LIMIT,
        GSIG_ERR_MODEL,
        GSIG_ERR_NO_SIGNATURE,
        GSIG_ERR_UNREPRESENTABLE,
        GSIG_ERR_TOO_LARGE,
        GSIG_ERR_MAP_CHECK,
        GSIG_ERR_OTHER,
        GSIG_ERR_PANIC,
    ];
    let names: std::collections::BTreeSet<&str> = codes.iter().map(|c| status_name(*c)).collect();
    assert_eq!(names.len(), codes.len());
    assert!(!names.contains("GSIG_UNKNOWN_STATUS"));
    assert_eq!(status_name(-1), "GSIG_UNKNOWN_STATUS");
    assert_eq!(status_name(3), "GSIG_UNKNOWN_STATUS");
}

#[test]
fn a_handle_is_read_from_many_threads_and_freed_while_a_call_is_in_flight() {
    let archive = repo().join("tests/fixtures/archives/torch-2.15.0/mutation.pt2");
    let sig = graph_signature::read_path(&archive).unwrap();
    let h = open_path(&archive, None).unwrap();
    let id = h.0.addr();
    std::thread::scope(|s| {
        for _ in 0..8 {
            s.spawn(|| {
                let h = Handle(std::ptr::without_provenance_mut(id));
                for _ in 0..20 {
                    assert_same_as_library(&h, &sig, "threaded");
                }
                std::mem::forget(h);
            });
        }
    });
    // Freed from another thread while this one holds the entry: the entry lives on until
    // dropped, and the handle is dead for every later call.
    let entry = crate::signature::entry(h.0).unwrap();
    std::thread::scope(|s| {
        s.spawn(|| expect(gsig_signature_free(std::ptr::without_provenance_mut(id)), GSIG_OK));
    });
    assert_eq!(entry.signature, sig);
    let mut n = 0;
    expect(unsafe { gsig_input_count(h.0, &mut n) }, GSIG_ERR_INVALID_HANDLE);
    std::mem::forget(h);
}
