//! Round trips through every codec and every chain of codecs, determinism, and the typed
//! errors of the schema-level checks (versions, UNSPECIFIED kinds, empty oneofs).

mod codec_common;

use codec_common::{json_canonical, signature};
use graph_signature::codec::proto::pb;
use graph_signature::codec::{self, bincode, json, proto, Format};
use graph_signature::{Error, ExportGraphSignature};
use proptest::prelude::*;
use prost::Message;

/// What `format` must give back for `sig`.
fn expected(sig: &ExportGraphSignature, format: Format) -> ExportGraphSignature {
    match format {
        Format::Json => json_canonical(sig),
        _ => sig.clone(),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn every_codec_gives_back_the_signature_it_was_given(sig in signature()) {
        for &format in Format::WRITABLE {
            let bytes = codec::encode(&sig, format).unwrap();
            let back = codec::decode(&bytes, format).unwrap();
            prop_assert_eq!(&back, &expected(&sig, format), "format {}", format);
            prop_assert_eq!(Format::detect(&bytes), Some(format));
        }
    }

    #[test]
    fn encoding_is_deterministic_and_stable_under_re_encoding(sig in signature()) {
        for &format in Format::WRITABLE {
            let a = codec::encode(&sig, format).unwrap();
            let b = codec::encode(&sig.clone(), format).unwrap();
            prop_assert_eq!(&a, &b);
            let again = codec::encode(&codec::decode(&a, format).unwrap(), format).unwrap();
            prop_assert_eq!(&a, &again, "format {}", format);
        }
    }

    #[test]
    fn every_chain_of_codecs_gives_back_the_signature(sig in signature(), chain in prop::collection::vec(0..Format::WRITABLE.len(), 1..6)) {
        let mut current = sig.clone();
        let mut through_json = false;
        for i in chain {
            let format = Format::WRITABLE[i];
            through_json |= format == Format::Json;
            current = codec::decode(&codec::encode(&current, format).unwrap(), format).unwrap();
        }
        let want = if through_json { json_canonical(&sig) } else { sig };
        prop_assert_eq!(current, want);
    }
}

#[test]
fn binary_codecs_keep_nan_payloads_and_signs_bit_for_bit() {
    use graph_signature::{ArgumentSpec, ConstantValue, InputSpec};
    for bits in [0x7ff8_0000_0000_0001u64, 0xfff8_0000_0000_0000, 0x7ff0_0000_0000_0001, 0x8000_0000_0000_0000] {
        let value = ConstantValue::Float(f64::from_bits(bits));
        let sig =
            ExportGraphSignature::new(vec![InputSpec::user_input(ArgumentSpec::constant("c", value))], vec![]).unwrap();
        for format in [Format::Proto, Format::Fbs, Format::Bincode] {
            let back = codec::decode(&codec::encode(&sig, format).unwrap(), format).unwrap();
            let ArgumentSpec::Constant { value: ConstantValue::Float(f), .. } = &back.input_specs()[0].arg else {
                panic!("not a float constant")
            };
            assert_eq!(f.to_bits(), bits, "{format}");
        }
    }
}

#[test]
fn json_writes_non_finite_floats_as_proto3_json_strings() {
    use graph_signature::{ArgumentSpec, ConstantValue, OutputSpec};
    let outs = [f64::NAN, f64::INFINITY, f64::NEG_INFINITY, -0.0]
        .map(|f| OutputSpec::user_output(ArgumentSpec::constant("", ConstantValue::Float(f))));
    let sig = ExportGraphSignature::new(vec![], outs.to_vec()).unwrap();
    let text = String::from_utf8(json::encode(&sig)).unwrap();
    for want in [r#""asFloat":"NaN""#, r#""asFloat":"Infinity""#, r#""asFloat":"-Infinity""#, r#""asFloat":-0.0"#] {
        assert!(text.contains(want), "{want} not in {text}");
    }
    assert!(!text.contains("null"), "{text}");
}

#[test]
fn json_reads_what_python_json_format_writes() {
    // As `json_format.MessageToJson(doc, indent=0)` writes it (field-number order, enum
    // names, int64 as strings) and with `preserving_proto_field_name=True` for the second.
    let camel = br#"{"schemaVersion": {"major": 1, "minor": 0},
        "signature": {"inputSpecs": [{"kind": "INPUT_KIND_USER_INPUT",
          "arg": {"constant": {"name": "n", "value": {"asInt": "-9223372036854775808"}}}}],
        "outputSpecs": [{"kind": "OUTPUT_KIND_USER_OUTPUT", "arg": {"constant": {"value": {"asFloat": "-Infinity"}}}}]}}"#;
    let snake = br#"{"schema_version": {"major": 1},
        "signature": {"input_specs": [{"kind": "INPUT_KIND_USER_INPUT",
          "arg": {"constant": {"name": "n", "value": {"as_int": "-9223372036854775808"}}}}],
        "output_specs": [{"kind": "OUTPUT_KIND_USER_OUTPUT", "arg": {"constant": {"value": {"as_float": "-Infinity"}}}}]}}"#;
    let a = json::decode(camel).unwrap();
    let b = json::decode(snake).unwrap();
    assert_eq!(a, b);
    assert_eq!(a.to_string(), "\n# inputs\nn: USER_INPUT\n\n# outputs\n: USER_OUTPUT\n");
}

fn decode_err(bytes: &[u8], format: Format) -> (String, String) {
    match codec::decode(bytes, format) {
        Err(Error::Decode { path, reason, .. }) => (path, reason),
        other => panic!("expected a decode error, got {other:?}"),
    }
}

fn document(major: u32, minor: u32) -> pb::SignatureDocument {
    let sig = ExportGraphSignature::new(
        vec![graph_signature::InputSpec::parameter("p", "w"), graph_signature::InputSpec::buffer("b", "m", false)],
        vec![],
    )
    .unwrap();
    let mut doc = proto::to_document(&sig);
    doc.schema_version = Some(pb::SchemaVersion { major, minor });
    doc
}

#[test]
fn a_newer_minor_is_read_and_a_newer_major_is_refused_naming_both_versions() {
    assert!(proto::decode(&document(1, 7).encode_to_vec()).is_ok());
    for (bytes, format) in
        [(document(2, 0).encode_to_vec(), Format::Proto), (serde_json::to_vec(&document(2, 0)).unwrap(), Format::Json)]
    {
        let err = codec::decode(&bytes, format).unwrap_err();
        assert!(matches!(err, Error::UnsupportedVersion { .. }), "{err:?}");
        assert_eq!(
            err.to_string(),
            format!("{format} schema version 2.0 is not supported (this build reads 1.x, writes 1.0 and 1.1)")
        );
    }
    let mut bytes = bincode::encode(&ExportGraphSignature::empty()).unwrap();
    bytes[4] = 2;
    assert_eq!(
        bincode::decode(&bytes).unwrap_err().to_string(),
        "bincode schema version 2.0 is not supported (this build reads 1.x, writes 1.0 and 1.1)"
    );
}

#[test]
fn a_document_without_a_version_or_signature_is_refused() {
    let mut doc = document(1, 0);
    doc.schema_version = None;
    assert_eq!(decode_err(&doc.encode_to_vec(), Format::Proto), ("schema_version".into(), "missing".into()));
    let mut doc = document(1, 0);
    doc.signature = None;
    assert_eq!(decode_err(&doc.encode_to_vec(), Format::Proto).0, "signature");
    assert_eq!(decode_err(b"{}", Format::Json).0, "schema_version");
}

#[test]
fn unspecified_and_unknown_kinds_are_errors_naming_the_field() {
    let mut doc = document(1, 0);
    doc.signature.as_mut().unwrap().input_specs[1].kind = 0;
    assert_eq!(
        decode_err(&doc.encode_to_vec(), Format::Proto),
        ("input_specs[1].kind".into(), "INPUT_KIND_UNSPECIFIED".into())
    );
    doc.signature.as_mut().unwrap().input_specs[1].kind = 60;
    let (path, reason) = decode_err(&doc.encode_to_vec(), Format::Proto);
    assert_eq!(path, "input_specs[1].kind");
    assert!(reason.starts_with("unknown InputKind value 60"), "{reason}");

    let sig = ExportGraphSignature::new(
        vec![],
        vec![graph_signature::OutputSpec::user_output(graph_signature::ArgumentSpec::tensor("y"))],
    )
    .unwrap();
    let mut doc = proto::to_document(&sig);
    doc.signature.as_mut().unwrap().output_specs[0].kind = 0;
    assert_eq!(decode_err(&doc.encode_to_vec(), Format::Proto).0, "output_specs[0].kind");
    // JSON: the same check after parsing (a missing kind is the default, UNSPECIFIED).
    let text = br#"{"schemaVersion":{"major":1},"signature":{"outputSpecs":[{"arg":{"tensor":{"name":"y"}}}]}}"#;
    assert_eq!(decode_err(text, Format::Json), ("output_specs[0].kind".into(), "OUTPUT_KIND_UNSPECIFIED".into()));
    // An enum name JSON does not know fails where it stands.
    let text = br#"{"schemaVersion":{"major":1},"signature":{"outputSpecs":[{"kind":"OUTPUT_KIND_NEW"}]}}"#;
    let (path, reason) = decode_err(text, Format::Json);
    assert_eq!(path, "output_specs[0].kind");
    assert!(reason.contains("OUTPUT_KIND_NEW"), "{reason}");
}

#[test]
fn empty_oneofs_are_errors_naming_the_field() {
    let mut doc = document(1, 0);
    doc.signature.as_mut().unwrap().input_specs[0].arg = Some(pb::ArgumentSpec { arg: None });
    assert_eq!(decode_err(&doc.encode_to_vec(), Format::Proto).0, "input_specs[0].arg");
    doc.signature.as_mut().unwrap().input_specs[0].arg = None;
    assert_eq!(decode_err(&doc.encode_to_vec(), Format::Proto), ("input_specs[0].arg".into(), "missing".into()));
    let text = br#"{"schemaVersion":{"major":1},"signature":{"inputSpecs":[{"kind":"INPUT_KIND_USER_INPUT",
        "arg":{"constant":{"name":"c","value":{}}}}]}}"#;
    assert_eq!(decode_err(text, Format::Json).0, "input_specs[0].arg.constant.value");
}

#[test]
fn decoded_documents_are_validated() {
    let mut doc = document(1, 0);
    doc.signature.as_mut().unwrap().input_specs[1].persistent = None;
    let err = proto::decode(&doc.encode_to_vec()).unwrap_err();
    assert_eq!(err.to_string(), "invalid signature: inputs[1]: a BUFFER spec needs a persistent flag");
}

#[test]
fn bincode_refuses_trailing_bytes_bad_magic_and_truncation() {
    let sig = document(1, 0);
    let sig = proto::from_document(sig, "proto").unwrap();
    let mut bytes = bincode::encode(&sig).unwrap();
    bytes.push(0);
    assert_eq!(
        bincode::decode(&bytes).unwrap_err().to_string(),
        "invalid bincode: 1 trailing bytes after the signature"
    );
    // A newer minor may append sections; this build skips them.
    bytes[6] = 1;
    assert_eq!(bincode::decode(&bytes).unwrap(), sig);
    bytes.truncate(bytes.len() - 3);
    assert!(matches!(bincode::decode(&bytes), Err(Error::Decode { .. })));
    assert!(bincode::decode(b"GSB").unwrap_err().to_string().contains("truncated header"));
    assert!(bincode::decode(b"XXXX\x01\0\0\0").unwrap_err().to_string().contains("magic"));
}

#[test]
fn format_names_round_trip_and_unknown_names_list_the_known_ones() {
    for &f in Format::ALL {
        assert_eq!(f.name().parse::<Format>().unwrap(), f);
    }
    let err = "yaml".parse::<Format>().unwrap_err();
    assert_eq!(err, r#"unknown format "yaml" (expected one of: json, proto, fbs, bincode, torch-json)"#);
}

#[test]
fn detection_tells_our_json_from_torch_json() {
    assert_eq!(Format::detect(br#" {"signature": {}}"#), Some(Format::Json));
    assert_eq!(Format::detect(br#"{"input_specs": [], "output_specs": []}"#), Some(Format::TorchJson));
    assert_eq!(Format::detect(br#"{"graph_module": {}, "schema_version": {"major": 8}}"#), Some(Format::TorchJson));
    assert_eq!(Format::detect(br#"{"other": 1}"#), None);
    assert_eq!(Format::detect(b""), None);
    assert_eq!(Format::detect(b"\x00\x01"), None);
}

/// A 1.x document of a newer minor may carry fields this build does not know: protobuf
/// skips them (they are additions by the policy), so the signature still reads.
#[test]
fn a_newer_minor_document_with_unknown_fields_is_read() {
    let mut doc = document(1, 3);
    let mut bytes = doc.encode_to_vec();
    // SignatureDocument field 40 (varint 7) and field 41 (a string): unknown to 1.1.
    bytes.extend_from_slice(&[0xC0, 0x02, 0x07, 0xCA, 0x02, 0x02, b'h', b'i']);
    let sig = proto::decode(&bytes).unwrap();
    doc.schema_version = Some(pb::SchemaVersion { major: 1, minor: 0 });
    assert_eq!(sig, proto::from_document(doc, "proto").unwrap());
    // An unknown field inside a spec is skipped too (InputSpec field 50, varint 1), built by
    // hand: document { version 1.3, signature { input_specs: [spec + unknown] } }.
    let spec = graph_signature::InputSpec::parameter("p", "w");
    let sig = ExportGraphSignature::new(vec![spec], vec![]).unwrap();
    let mut spec_bytes = proto::to_document(&sig).signature.unwrap().input_specs[0].encode_to_vec();
    spec_bytes.extend_from_slice(&[0x90, 0x03, 0x01]);
    let mut sig_bytes = vec![0x52, spec_bytes.len() as u8];
    sig_bytes.extend_from_slice(&spec_bytes);
    let mut bytes = vec![0x52, 0x05, 0x50, 0x01, 0xA0, 0x01, 0x03, 0xA2, 0x01, sig_bytes.len() as u8];
    bytes.extend_from_slice(&sig_bytes);
    assert_eq!(proto::decode(&bytes).unwrap(), sig);
}

#[test]
fn bincode_errors_name_the_field_where_decoding_stopped() {
    let sig = ExportGraphSignature::new(
        vec![graph_signature::InputSpec::parameter("p", "w"), graph_signature::InputSpec::parameter("q", "v")],
        vec![],
    )
    .unwrap();
    let bytes = bincode::encode(&sig).unwrap();
    // Cut inside the second spec's target string, then before its persistent flag.
    let (path, _) = decode_err(&bytes[..bytes.len() - 3], Format::Bincode);
    assert_eq!(path, "input_specs[1].target");
    let (path, _) = decode_err(&bytes[..bytes.len() - 2], Format::Bincode);
    assert_eq!(path, "input_specs[1].persistent");
    // The second spec's kind byte made an unknown variant.
    let mut bad = bytes.clone();
    let second = bytes.len() - 9; // [kind, arg tag, len, 'q', Some, len, 'v', None, outputs]
    assert_eq!(bad[second], 1, "PARAMETER is variant 1");
    bad[second] = 9;
    let (path, reason) = decode_err(&bad, Format::Bincode);
    assert_eq!(path, "input_specs[1].kind");
    assert!(reason.contains('9'), "{reason}");
}

/// JSON refuses unknown fields (a typo must not silently drop data) unless the document
/// declares a newer minor: then they are that minor's additions and are skipped.
#[test]
fn json_skips_unknown_fields_only_in_documents_of_a_newer_minor() {
    let doc = |minor: u32| {
        format!(
            r#"{{"schemaVersion":{{"major":1,"minor":{minor}}},"addedIn11":{{"x":1}},"signature":{{"inputSpecs":[
            {{"kind":"INPUT_KIND_PARAMETER","arg":{{"tensor":{{"name":"p","shape":[2]}}}},"target":"w","newFlag":true}}]}}}}"#
        )
    };
    let want = ExportGraphSignature::new(vec![graph_signature::InputSpec::parameter("p", "w")], vec![]).unwrap();
    assert_eq!(json::decode(doc(2).as_bytes()).unwrap(), want);
    // This build knows 1.1: a 1.0 or 1.1 document with members neither has is refused.
    for minor in [0, 1] {
        let (path, reason) = decode_err(doc(minor).as_bytes(), Format::Json);
        assert_eq!(path, "added_in11");
        assert!(reason.starts_with("unknown field `addedIn11`"), "{reason}");
    }
    // A newer minor does not excuse what it could not have added: a wrong type still fails.
    let bad = doc(2).replace(r#""target":"w""#, r#""target":7"#);
    assert_eq!(decode_err(bad.as_bytes(), Format::Json).0, "input_specs[0].target");
}
