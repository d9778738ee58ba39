//! Schema 1.1's metadata through every codec: round trips of documents, the version rule
//! for writers (the lowest version that holds the document), readers of the signature alone
//! ignoring it, and bad metadata as typed errors naming the field path, on reading and
//! (refused before anything is written) on writing.

mod codec_common;

use codec_common::{document, golden_documents, json_canonical_doc};
use flatbuffers::FlatBufferBuilder;
use graph_signature::codec::fbs::{self, fb};
use graph_signature::codec::framed::{FrameReader, FrameWriter};
use graph_signature::codec::proto::{self, pb};
use graph_signature::codec::{self, Document, Format};
use graph_signature::model::meta::{
    Device, Dtype, Hint, Layout, SignatureMeta, SymExpr, SymInt, TensorMeta, ValueMeta,
};
use graph_signature::{ArgumentSpec, Error, ExportGraphSignature, InputSpec};
use proptest::prelude::*;
use prost::Message;

fn expected(doc: &Document, format: Format) -> Document {
    match format {
        Format::Json => json_canonical_doc(doc),
        _ => doc.clone(),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 192, ..ProptestConfig::default() })]

    #[test]
    fn every_codec_gives_back_the_document_it_was_given(doc in document()) {
        for &format in Format::WRITABLE {
            let bytes = codec::encode_document(&doc, format).unwrap();
            prop_assert_eq!(Format::detect(&bytes), Some(format));
            let back = codec::decode_document(&bytes, format).unwrap();
            prop_assert_eq!(&back, &expected(&doc, format), "format {}", format);
            // The signature alone, metadata ignored.
            prop_assert_eq!(codec::decode(&bytes, format).unwrap(), expected(&doc, format).signature);
            // Without metadata, the bytes of the 1.0 writer.
            if doc.meta.is_none() {
                prop_assert_eq!(&bytes, &codec::encode(&doc.signature, format).unwrap());
            }
            // Deterministic, and stable under re-encoding.
            prop_assert_eq!(&bytes, &codec::encode_document(&doc.clone(), format).unwrap());
            prop_assert_eq!(&bytes, &codec::encode_document(&back, format).unwrap(), "format {}", format);
        }
    }

    #[test]
    fn every_chain_of_codecs_gives_back_the_document(doc in document(), chain in prop::collection::vec(0..Format::WRITABLE.len(), 1..5)) {
        let mut current = doc.clone();
        let mut through_json = false;
        for i in chain {
            let format = Format::WRITABLE[i];
            through_json |= format == Format::Json;
            current = codec::decode_document(&codec::encode_document(&current, format).unwrap(), format).unwrap();
        }
        prop_assert_eq!(current, if through_json { json_canonical_doc(&doc) } else { doc });
    }

    #[test]
    fn the_protobuf_fast_path_writes_and_reads_what_prost_does(doc in document()) {
        let wire = proto::document_to_pb(&doc).unwrap();
        let bytes = proto::encode_document(&doc).unwrap();
        prop_assert_eq!(&bytes, &wire.encode_to_vec());
        let by_prost = proto::document_from_pb(pb::SignatureDocument::decode(&bytes[..]).unwrap(), "proto").unwrap();
        prop_assert_eq!(proto::decode_document(&bytes).unwrap(), by_prost);
    }

    #[test]
    fn mutated_documents_give_a_document_or_a_typed_error(
        doc in document(),
        at in any::<prop::sample::Index>(),
        flip in 1..=255u8,
        cut in any::<prop::sample::Index>(),
    ) {
        for &format in Format::WRITABLE {
            let mut bytes = codec::encode_document(&doc, format).unwrap();
            let i = at.index(bytes.len());
            bytes[i] ^= flip;
            let cut = cut.index(bytes.len() + 1);
            for input in [&bytes[..], &bytes[..cut]] {
                match codec::decode_document(input, format) {
                    Ok(_)
                    | Err(Error::Decode { .. } | Error::UnsupportedVersion { .. } | Error::Invalid(_) | Error::Limit { .. }) => {}
                    Err(other) => prop_assert!(false, "{}: unexpected error kind {:?}", format, other),
                }
            }
        }
    }
}

#[test]
fn a_document_is_written_at_the_lowest_version_that_holds_it() {
    let sig = ExportGraphSignature::new(vec![InputSpec::parameter("p", "w")], vec![]).unwrap();
    assert_eq!(Document::new(sig.clone()).schema_version().to_string(), "1.0");
    let with = Document::with_meta(sig.clone(), SignatureMeta::default());
    assert_eq!(with.schema_version().to_string(), "1.1");
    // Empty metadata is still metadata: written at 1.1, read back padded with unknowns.
    for &format in Format::WRITABLE {
        let bytes = codec::encode_document(&with, format).unwrap();
        assert_ne!(bytes, codec::encode(&sig, format).unwrap(), "{format}");
        let back = codec::decode_document(&bytes, format).unwrap();
        assert_eq!(back.meta, Some(SignatureMeta { inputs: vec![None], ..SignatureMeta::default() }), "{format}");
    }
    assert_eq!(&codec::encode_document(&with, Format::Bincode).unwrap()[..8], b"GSBC\x01\x00\x01\x00");
    // The framed stream holds both versions, frame by frame.
    let mut w = FrameWriter::new(Vec::new());
    w.write_document(&with).unwrap();
    w.write(&sig).unwrap();
    let bytes = w.into_inner();
    let mut r = FrameReader::new(&bytes[..]);
    assert!(r.read_next_document().unwrap().unwrap().meta.is_some());
    assert_eq!(r.read_next_document().unwrap().unwrap(), Document::new(sig));
    assert!(r.read_next_document().unwrap().is_none());
}

fn one_tensor(expr: &str) -> Document {
    let sig = ExportGraphSignature::new(vec![InputSpec::user_input(ArgumentSpec::tensor("x"))], vec![]).unwrap();
    let t = TensorMeta {
        dtype: Dtype::Float32,
        sizes: vec![SymInt::Expr(SymExpr::new(expr, Some(Hint::Int(4)))), SymInt::Int(3)],
        strides: vec![SymInt::Int(3), SymInt::Int(1)],
        storage_offset: SymInt::Int(0),
        device: Device { kind: "cpu".into(), index: None },
        layout: Layout::Strided,
        requires_grad: false,
    };
    Document::with_meta(sig, SignatureMeta { inputs: vec![Some(ValueMeta::Tensor(t))], ..SignatureMeta::default() })
}

fn decode_err(bytes: &[u8], format: Format) -> (String, String) {
    match codec::decode_document(bytes, format) {
        Err(Error::Decode { path, reason, .. }) => (path, reason),
        other => panic!("{format}: expected a decode error, got {other:?}"),
    }
}

fn replace(bytes: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
    assert_eq!(from.len(), to.len());
    let at = bytes.windows(from.len()).position(|w| w == from).expect("the text is in the bytes");
    let mut out = bytes.to_vec();
    out[at..at + to.len()].copy_from_slice(to);
    out
}

#[test]
fn a_malformed_expression_is_an_error_naming_it_in_every_format_and_the_writer_refuses_it() {
    let good = one_tensor("Max(2, zz0)");
    for &format in Format::WRITABLE {
        let bytes = codec::encode_document(&good, format).unwrap();
        for (to, why) in [(&b"zz0]"[..], "unbalanced ']'"), (b"zz0\n", "control character")] {
            let bad = replace(&bytes, b"zz0)", to);
            if format == Format::Json && to == b"zz0\n" {
                continue; // A raw newline is not valid JSON text: the JSON parser refuses it first.
            }
            let (path, reason) = decode_err(&bad, format);
            assert_eq!(path, "meta.inputs[0].tensor.sizes[0].as_expr.expr", "{format}");
            assert!(reason.contains(why), "{format}: {reason}");
            // A reader of the signature alone ignores the metadata.
            assert_eq!(codec::decode(&bad, format).unwrap(), good.signature, "{format}");
        }
        for expr in ["Max(2, zz0", "", "s0\u{0}"] {
            match codec::encode_document(&one_tensor(expr), format) {
                Err(Error::InvalidMeta { path, .. }) => assert_eq!(path, "meta.inputs[0].tensor.sizes[0].as_expr.expr"),
                other => panic!("{format}: {expr:?} written: {other:?}"),
            }
        }
    }
    let err = codec::encode_document(&one_tensor("s0)"), Format::Proto).unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid metadata at meta.inputs[0].tensor.sizes[0].as_expr.expr: unbalanced ')' at byte 2 of expression \"s0)\""
    );
}

#[test]
fn a_list_longer_than_the_specs_is_an_error_in_every_format_and_the_writer_refuses_it() {
    let mut doc = one_tensor("s0");
    doc.meta.as_mut().unwrap().inputs.push(None);
    for &format in Format::WRITABLE {
        match codec::encode_document(&doc, format) {
            Err(Error::InvalidMeta { path, reason }) => {
                assert_eq!(path, "meta.inputs");
                assert_eq!(reason, "2 entries, the signature has 1 input specs (never more entries than specs)");
            }
            other => panic!("{format}: {other:?}"),
        }
    }
    let want = "1 entries, the signature has 0 output specs (never more entries than specs)";
    // Protobuf, counted on the wire before anything is built, and JSON.
    let mut wire = proto::document_to_pb(&one_tensor("s0")).unwrap();
    wire.meta
        .as_mut()
        .unwrap()
        .outputs
        .push(pb::ValueMeta { meta: Some(pb::value_meta::Meta::Token(pb::TokenMeta {})) });
    assert_eq!(decode_err(&wire.encode_to_vec(), Format::Proto), ("meta.outputs".into(), want.into()));
    assert_eq!(decode_err(&serde_json::to_vec(&wire).unwrap(), Format::Json), ("meta.outputs".into(), want.into()));
    // bincode: header 1.1, an empty body, then Some(meta) with one unknown output entry.
    let bytes = b"GSBC\x01\x00\x01\x00\x00\x00\x01\x00\x01\x00\x00";
    assert_eq!(decode_err(bytes, Format::Bincode), ("meta.outputs".into(), want.into()));
    // FlatBuffers, built with the generated builders.
    let mut fbb = FlatBufferBuilder::new();
    let version = fb::SchemaVersion::create(&mut fbb, &fb::SchemaVersionArgs { major: 1, minor: 1 });
    let token = fb::TokenMeta::create(&mut fbb, &fb::TokenMetaArgs {}).as_union_value();
    let entry = fb::ValueMeta::create(
        &mut fbb,
        &fb::ValueMetaArgs { value_type: fb::ValueMetaValue::TokenMeta, value: Some(token) },
    );
    let outputs = fbb.create_vector(&[entry]);
    let meta =
        fb::SignatureMeta::create(&mut fbb, &fb::SignatureMetaArgs { outputs: Some(outputs), ..Default::default() });
    let root = fb::GraphSignature::create(
        &mut fbb,
        &fb::GraphSignatureArgs { schema_version: Some(version), meta: Some(meta), ..Default::default() },
    );
    fb::finish_graph_signature_buffer(&mut fbb, root);
    assert_eq!(decode_err(fbb.finished_data(), Format::Fbs), ("meta.outputs".into(), want.into()));
    assert_eq!(fbs::decode(fbb.finished_data()).unwrap(), ExportGraphSignature::empty());
}

#[test]
fn an_arm_this_build_does_not_know_is_an_error_naming_the_entry() {
    // Protobuf: an entry whose oneof holds an arm of a newer minor (field 90) looks empty.
    let mut wire = proto::document_to_pb(&one_tensor("s0")).unwrap();
    wire.meta.as_mut().unwrap().inputs[0] = pb::ValueMeta { meta: None };
    let mut bytes = wire.encode_to_vec();
    let (path, reason) = decode_err(&bytes, Format::Proto);
    assert_eq!(path, "meta.inputs[0]");
    assert!(reason.starts_with("no metadata set (oneof meta is empty; a newer 1 minor version"), "{reason}");
    // ... and so does one that really carries field 90: inside meta (field 30) > inputs.
    let entry = [0xD2, 0x05, 0x00]; // ValueMeta field 90, length-delimited, empty
    let meta_tail = bytes.len() - 2; // meta = [0xF2, 0x01, len, 0x52 (inputs), 0x00]
    assert_eq!(&bytes[meta_tail - 3..], [0xF2, 0x01, 0x02, 0x52, 0x00]);
    bytes.truncate(meta_tail - 1);
    bytes.extend_from_slice(&[0x05, 0x52, 0x03]);
    bytes.extend_from_slice(&entry);
    assert_eq!(decode_err(&bytes, Format::Proto).0, "meta.inputs[0]");
    // JSON: an arm's name this build does not know, in a document of a newer minor.
    let text = r#"{"schemaVersion":{"major":1,"minor":2},"signature":{"inputSpecs":[{"kind":"INPUT_KIND_USER_INPUT",
        "arg":{"tensor":{"name":"x"}}}]},"meta":{"inputs":[{"sparseTensor":{}}]}}"#;
    assert_eq!(decode_err(text.as_bytes(), Format::Json).0, "meta.inputs[0]");
    assert!(codec::decode(text.as_bytes(), Format::Json).is_ok());
    // bincode: variant 7 of the entry (Tensor is 0, Token 6).
    let sig = ExportGraphSignature::new(vec![InputSpec::user_input(ArgumentSpec::tensor("x"))], vec![]).unwrap();
    let token =
        Document::with_meta(sig.clone(), SignatureMeta { inputs: vec![Some(ValueMeta::Token)], ..Default::default() });
    let mut bytes = codec::encode_document(&token, Format::Bincode).unwrap();
    let n = bytes.len();
    assert_eq!(&bytes[n - 5..], [0x01, 0x01, 0x06, 0x00, 0x00], "Some, 1 entry, Some(Token), 0 outputs, 0 ranges");
    bytes[n - 3] = 7;
    let (path, reason) = decode_err(&bytes, Format::Bincode);
    assert_eq!(path, "meta.inputs[0]");
    assert!(reason.contains('7'), "{reason}");
    // FlatBuffers: a union type past the known arms (a newer minor's table), and NONE.
    for (value_type, why) in
        [(fb::ValueMetaValue(9), "unknown ValueMetaValue value 9"), (fb::ValueMetaValue::NONE, "no metadata set")]
    {
        let bytes = fbs_with_one_input_entry(value_type);
        let (path, reason) = decode_err(&bytes, Format::Fbs);
        assert_eq!(path, "meta.inputs[0]");
        assert!(reason.starts_with(why), "{reason}");
        assert_eq!(codec::decode(&bytes, Format::Fbs).unwrap(), sig);
    }
}

/// A 1.1 FlatBuffer of one tensor input `x` whose metadata entry has union type
/// `value_type` (holding an empty table), built with the generated builders.
fn fbs_with_one_input_entry(value_type: fb::ValueMetaValue) -> Vec<u8> {
    let mut fbb = FlatBufferBuilder::new();
    let version = fb::SchemaVersion::create(&mut fbb, &fb::SchemaVersionArgs { major: 1, minor: 1 });
    let name = fbb.create_string("x");
    let arg = fb::TensorArgument::create(&mut fbb, &fb::TensorArgumentArgs { name: Some(name) }).as_union_value();
    let spec = fb::InputSpec::create(
        &mut fbb,
        &fb::InputSpecArgs {
            kind: fb::InputKind::USER_INPUT,
            arg_type: fb::Argument::TensorArgument,
            arg: Some(arg),
            ..Default::default()
        },
    );
    let inputs = fbb.create_vector(&[spec]);
    let key = fbb.create_string("x");
    let index_entry = fb::IndexEntry::create(&mut fbb, &fb::IndexEntryArgs { key: Some(key), index: 0 });
    let by_name = fbb.create_vector(&[index_entry]);
    let table = fb::TokenMeta::create(&mut fbb, &fb::TokenMetaArgs {}).as_union_value();
    let value = (value_type != fb::ValueMetaValue::NONE).then_some(table);
    let entry = fb::ValueMeta::create(&mut fbb, &fb::ValueMetaArgs { value_type, value });
    let entries = fbb.create_vector(&[entry]);
    let meta =
        fb::SignatureMeta::create(&mut fbb, &fb::SignatureMetaArgs { inputs: Some(entries), ..Default::default() });
    let root = fb::GraphSignature::create(
        &mut fbb,
        &fb::GraphSignatureArgs {
            schema_version: Some(version),
            inputs: Some(inputs),
            inputs_by_name: Some(by_name),
            meta: Some(meta),
            ..Default::default()
        },
    );
    fb::finish_graph_signature_buffer(&mut fbb, root);
    fbb.finished_data().to_vec()
}

#[test]
fn a_reader_accepts_shorter_lists_and_pads_them_with_unknowns() {
    let mut wire = proto::document_to_pb(&one_tensor("s0")).unwrap();
    wire.meta.as_mut().unwrap().inputs.clear();
    let doc = codec::decode_document(&wire.encode_to_vec(), Format::Proto).unwrap();
    assert_eq!(doc.meta.unwrap().inputs, vec![None]);
    // A writer pads too: one entry per spec.
    let mut short = one_tensor("s0");
    short.meta.as_mut().unwrap().inputs.clear();
    let wire = proto::document_to_pb(&short).unwrap();
    assert_eq!(wire.meta.unwrap().inputs.len(), 1);
}

#[test]
fn torch_json_has_no_place_for_metadata() {
    let err = codec::encode_document(&one_tensor("s0"), Format::TorchJson).unwrap_err();
    assert!(matches!(&err, Error::InvalidMeta { path, .. } if path == "meta"), "{err:?}");
    let doc = Document::new(one_tensor("s0").signature);
    assert_eq!(
        codec::encode_document(&doc, Format::TorchJson).unwrap(),
        codec::encode(&doc.signature, Format::TorchJson).unwrap()
    );
}

#[test]
fn metadata_lists_are_counted_on_the_protobuf_wire_before_they_are_built() {
    // A 1.1 document of no spec and a million empty entries (4 bytes each): refused before
    // prost builds a million messages.
    let mut meta = Vec::new();
    for _ in 0..1_000_000 {
        meta.extend_from_slice(&[0x52, 0x02, 0x52, 0x00]); // inputs: ValueMeta { unknown {} }
    }
    let mut bytes = vec![0x52, 0x05, 0x50, 0x01, 0xA0, 0x01, 0x01, 0xA2, 0x01, 0x00, 0xF2, 0x01];
    let mut len = meta.len();
    while len >= 0x80 {
        bytes.push((len as u8) | 0x80);
        len >>= 7;
    }
    bytes.push(len as u8);
    bytes.extend_from_slice(&meta);
    let started = std::time::Instant::now();
    for decode in [proto::decode, |b: &[u8]| proto::decode_document(b).map(|d| d.signature)] {
        match decode(&bytes) {
            Err(Error::Decode { path, reason, .. }) => {
                assert_eq!(path, "meta.inputs");
                assert!(reason.starts_with("1000000 entries, the signature has 0 input specs"), "{reason}");
            }
            other => panic!("{other:?}"),
        }
    }
    assert!(started.elapsed() < std::time::Duration::from_secs(5), "{:?}", started.elapsed());
}

#[test]
fn every_golden_document_keeps_its_metadata_through_every_format() {
    for (name, doc) in golden_documents() {
        for &format in Format::WRITABLE {
            let bytes = codec::encode_document(&doc, format).unwrap();
            assert_eq!(codec::decode_document(&bytes, format).unwrap(), expected(&doc, format), "{name}.{format}");
        }
    }
}

/// What torch really recorded, from every committed archive (torch 2.2 to 2.15): the
/// metadata the archive map reads is carried by every format and comes back the same; every
/// expression torch wrote is well formed by our rule.
#[test]
fn the_metadata_of_every_torch_archive_travels_through_every_format() {
    use graph_signature::read::ReadOptions;
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/archives");
    let mut archives = 0;
    let (mut exprs, mut tensors) = (0, 0);
    for release in std::fs::read_dir(&root).unwrap() {
        let release = release.unwrap().path();
        if !release.is_dir() {
            continue;
        }
        for file in std::fs::read_dir(release).unwrap() {
            let path = file.unwrap().path();
            if path.extension().is_none_or(|e| e != "pt2") {
                continue;
            }
            // Archives the map cannot read (torch 2.1's layout) are the map's business.
            let Ok(loaded) = ReadOptions::default().read_path_with_meta(&path) else { continue };
            let doc = loaded.to_document();
            let meta = doc.meta.as_ref().expect("a program's metadata");
            for entry in meta.inputs.iter().chain(&meta.outputs).flatten() {
                if let ValueMeta::Tensor(t) = entry {
                    tensors += 1;
                    exprs += t.sizes.iter().filter(|d| d.as_int().is_none()).count();
                }
            }
            for &format in Format::WRITABLE {
                let bytes = codec::encode_document(&doc, format)
                    .unwrap_or_else(|e| panic!("{}: {format}: {e}", path.display()));
                assert_eq!(codec::decode_document(&bytes, format).unwrap(), doc, "{}: {format}", path.display());
            }
            archives += 1;
        }
    }
    assert!(archives >= 150, "{archives} archives read");
    assert!(tensors >= 800 && exprs >= 20, "{tensors} tensors, {exprs} symbolic sizes");
}

/// Found by fuzzing the protobuf reader against prost (fuzz/regressions/proto/): canonical
/// bytes (the hand-written fast path) read the signature of a document whose metadata is
/// bad, while the same document in any other encoding (prost's path) was refused.
/// [`proto::decode`] reads the signature alone on both paths now; [`proto::decode_document`]
/// refuses the metadata on both.
#[test]
fn the_protobuf_signature_reader_ignores_bad_metadata_on_both_paths() {
    let golden = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/golden/v1.1/every_value_meta.pb")).unwrap();
    let signature = proto::decode(&golden).unwrap();
    let mut doc = pb::SignatureDocument::decode(&golden[..]).unwrap();
    doc.meta.as_mut().unwrap().inputs[0].meta = None; // an entry with no arm set
    let canonical = doc.encode_to_vec();
    let mut with_unknown_field = canonical.clone();
    with_unknown_field.extend_from_slice(&[0xf8, 0x06, 0x01]); // field 111: only prost reads it
    for bytes in [canonical, with_unknown_field] {
        assert_eq!(proto::decode(&bytes).unwrap(), signature);
        let err = proto::decode_document(&bytes).unwrap_err();
        assert!(err.to_string().contains("meta.inputs[0]"), "{err}");
        assert!(graph_signature::differential::proto(&bytes).is_ok());
    }
}
