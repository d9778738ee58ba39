//! The torch-JSON writer against torch and Python themselves:
//!
//! - every torch 2.15 fixture's `signature.json` (torch's own `_to_json_bytes` output) is
//!   re-encoded byte for byte, both from our reading of those bytes and from the fixture's
//!   `specs.json` (torch's in-memory objects, read without the codec under test);
//! - the signature object torch 2.3 to 2.15 wrote into every archive of
//!   `tests/fixtures/archives/` is our bytes for that release's target (2.10: schema 8.15,
//!   2.11: 8.17, 2.12 to 2.15: 8.20), but for two documented deviations;
//! - floats and strings are written as Python's `repr` and `json.dumps` wrote them
//!   (tables made by `tests/fixtures/python_repr/gen.py`);
//! - arbitrary valid signatures read back equal;
//! - every refusal, and its lossy form.

mod support;

use std::path::{Path, PathBuf};

use graph_signature::codec::torch_json::{self, TorchTarget, WriteOptions};
use graph_signature::model::validate::SpecKind;
use graph_signature::{
    ArgumentSpec, ConstantValue, Error, ExportGraphSignature, InputKind, InputSpec, OutputKind, OutputSpec, SpecRef,
    UnrepresentableReason,
};
use proptest::prelude::*;
use support::{fixture_dirs, fixtures_dir, read_json};

// ---------------------------------------------------------------- helpers

fn latest() -> WriteOptions {
    WriteOptions::default()
}

fn lossy() -> WriteOptions {
    WriteOptions { lossy: true, ..WriteOptions::default() }
}

fn target(t: TorchTarget) -> WriteOptions {
    WriteOptions { target: t, lossy: false }
}

fn sig(inputs: Vec<InputSpec>, outputs: Vec<OutputSpec>) -> ExportGraphSignature {
    ExportGraphSignature::new(inputs, outputs).expect("a valid signature")
}

fn text(bytes: &[u8]) -> &str {
    std::str::from_utf8(bytes).expect("the writer writes ASCII")
}

/// Where two byte strings first differ, with context, for failure messages.
fn first_difference(ours: &[u8], theirs: &[u8]) -> String {
    let at = ours.iter().zip(theirs).position(|(a, b)| a != b).unwrap_or(ours.len().min(theirs.len()));
    let context = |b: &[u8]| {
        let start = at.saturating_sub(60);
        String::from_utf8_lossy(&b[start..(at + 60).min(b.len())]).into_owned()
    };
    format!(
        "first difference at byte {at} (ours {} bytes, torch {} bytes)\n    ours:  …{}…\n    torch: …{}…",
        ours.len(),
        theirs.len(),
        context(ours),
        context(theirs)
    )
}

fn torch_215_fixtures() -> Vec<PathBuf> {
    fixture_dirs(&fixtures_dir().join("torch-2.15"))
        .into_iter()
        .filter(|d| d.join("signature.json").is_file())
        .collect()
}

fn name_of(dir: &Path) -> String {
    dir.file_name().unwrap().to_string_lossy().into_owned()
}

/// Fixtures our model (and so our reader) refuses by design: torch serialized them, but an
/// accessor of theirs raises on them.
const MODEL_REFUSES: &[&str] = &["synthetic_multiple_losses"];

/// Encodes as torch 2.15 would: every fixture torch wrote is written without `lossy`
/// (CustomObj user inputs and outputs included, as torch writes them).
fn encode_as_torch(sig: &ExportGraphSignature) -> Result<Vec<u8>, String> {
    torch_json::encode(sig, &latest()).map_err(|e| format!("encode failed: {e}"))
}

/// Runs the byte comparison on every fixture with `signature.json`, building the signature
/// with `build`; reports every differing fixture. Returns (identical, compared).
fn compare_all(build: impl Fn(&Path) -> Result<Option<ExportGraphSignature>, String>) -> (usize, usize) {
    let dirs = torch_215_fixtures();
    assert!(dirs.len() >= 25, "expected at least 25 fixtures with signature.json, found {}", dirs.len());
    let (mut identical, mut failures, mut skipped) = (0, Vec::new(), Vec::new());
    for dir in &dirs {
        let name = name_of(dir);
        let theirs = std::fs::read(dir.join("signature.json")).unwrap();
        let sig = match build(dir) {
            Ok(Some(sig)) => sig,
            Ok(None) => {
                skipped.push(name);
                continue;
            }
            Err(e) => {
                failures.push(format!("{name}: {e}"));
                continue;
            }
        };
        match encode_as_torch(&sig) {
            Ok(ours) if ours == theirs => identical += 1,
            Ok(ours) => failures.push(format!("{name}: {}", first_difference(&ours, &theirs))),
            Err(e) => failures.push(format!("{name}: {e}")),
        }
    }
    assert!(failures.is_empty(), "{} of {} fixtures differ:\n{}", failures.len(), dirs.len(), failures.join("\n"));
    assert_eq!(skipped, MODEL_REFUSES, "skipped fixtures");
    (identical, dirs.len())
}

// ---------------------------------------------------------------- torch's own bytes

#[test]
fn reencoding_what_we_read_gives_torch_215_bytes() {
    let (identical, total) =
        compare_all(|dir| match torch_json::decode(&std::fs::read(dir.join("signature.json")).unwrap()) {
            Ok(read) => Ok(Some(read.signature)),
            Err(Error::Invalid(_)) if MODEL_REFUSES.contains(&name_of(dir).as_str()) => Ok(None),
            Err(e) => Err(format!("decode failed: {e}")),
        });
    assert_eq!(identical, total - MODEL_REFUSES.len());
}

#[test]
fn encoding_torch_in_memory_specs_gives_torch_215_bytes() {
    // specs.json is what torch's Python objects held, read here without our codec.
    let (identical, total) = compare_all(|dir| {
        let (inputs, outputs) = support::specs(&read_json(&dir.join("specs.json")));
        match ExportGraphSignature::new(inputs, outputs) {
            Ok(sig) => Ok(Some(sig)),
            Err(Error::Invalid(_)) if MODEL_REFUSES.contains(&name_of(dir).as_str()) => Ok(None),
            Err(e) => Err(format!("specs refused: {e}")),
        }
    });
    assert_eq!(identical, total - MODEL_REFUSES.len());
}

#[test]
fn encoded_signature_is_the_one_inside_torchs_model_json() {
    let mut checked = 0;
    for dir in torch_215_fixtures() {
        let model = dir.join("model.json");
        let Ok(model) = std::fs::read(model) else { continue };
        let read = torch_json::decode(&model).unwrap_or_else(|e| panic!("{}: {e}", name_of(&dir)));
        let ours = torch_json::encode(&read.signature, &latest()).unwrap();
        let needle = [b"\"signature\": ".as_slice(), &ours].concat();
        assert!(model.windows(needle.len()).any(|w| w == needle), "{}: not found in model.json", name_of(&dir));
        checked += 1;
    }
    assert!(checked >= 4, "only {checked} fixtures have model.json");
}

/// The signature object of a program JSON, byte for byte as torch wrote it: the value of
/// `graph_module.signature` (the only `"signature": {"input_specs"` of the record; the
/// module call graph's signatures hold `inputs`), up to its matching brace.
fn signature_bytes(model: &[u8]) -> Option<&[u8]> {
    let key = b"\"signature\": {\"input_specs\"";
    let start = model.windows(key.len()).position(|w| w == key)? + b"\"signature\": ".len();
    let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
    for (i, &b) in model[start..].iter().enumerate() {
        match (in_string, b) {
            (true, _) if escaped => escaped = false,
            (true, b'\\') => escaped = true,
            (true, b'"') | (false, b'"') => in_string = !in_string,
            (false, b'{' | b'[') => depth += 1,
            (false, b'}' | b']') => {
                depth -= 1;
                if depth == 0 {
                    return Some(&model[start..start + i + 1]);
                }
            }
            _ => {}
        }
    }
    None
}

/// What our writer makes, for `target`, of the signature torch wrote in `archive`.
fn archive_signature(archive: &Path) -> (Vec<u8>, ExportGraphSignature) {
    let file = std::io::BufReader::new(std::fs::File::open(archive).unwrap());
    let mut a = graph_signature::archive::pt2::Archive::new(file).unwrap();
    let name = a.select_model(None).unwrap().to_owned();
    let record = a.model_record(&name).unwrap();
    let model = a.record(&record, 1 << 30).unwrap();
    let theirs =
        signature_bytes(&model).unwrap_or_else(|| panic!("{}: no signature object", archive.display())).to_vec();
    let sig = a.read_model(&name).unwrap().signature;
    (theirs, sig)
}

#[test]
fn the_signature_torch_wrote_in_every_archive_of_2_3_to_2_15_is_our_bytes_for_its_release() {
    // Archives written by torch itself (tests/fixtures/archives/torch-*): for each release
    // from 2.3 on, our bytes for that release's target equal the signature object torch
    // wrote into the program JSON, byte for byte, but for two documented cases:
    // - torch 2.3 has no constant_input: a constant user input needs `lossy`, which writes
    //   2.3's own form (a user_input holding the constant's Argument);
    // - torch 2.4 and 2.5 wrote a bool constant input as {"as_int": true} (their bug: their
    //   reader turns it into 1); we write {"as_bool": true}, which they read as the bool.
    let mut per_release = std::collections::BTreeMap::<String, usize>::new();
    let (mut failures, mut deviations) = (Vec::new(), Vec::new());
    for archive in support::torch_archives() {
        let release = archive.parent().unwrap().file_name().unwrap().to_str().unwrap().trim_start_matches("torch-");
        let minor: u32 = release.split('.').nth(1).unwrap().parse().unwrap();
        if minor < 3 {
            continue; // before the writer's oldest target (schema 5.1)
        }
        let (theirs, sig) = archive_signature(&archive);
        let mut options = target(release.parse::<TorchTarget>().unwrap());
        let stem = archive.file_stem().unwrap().to_str().unwrap();
        let mut expected = theirs.clone();
        if minor == 3 && stem == "consts_io" {
            options.lossy = true;
            deviations.push(format!("{release}/{stem}: lossy"));
        }
        if (minor == 4 || minor == 5) && stem == "consts_io" {
            let text = String::from_utf8(theirs.clone()).unwrap();
            assert!(text.contains(r#""value": {"as_int": true}"#), "{release}: torch's bool-as-int bug not found");
            expected = text.replace(r#""value": {"as_int": true}"#, r#""value": {"as_bool": true}"#).into_bytes();
            deviations.push(format!("{release}/{stem}: as_bool"));
        }
        match torch_json::encode(&sig, &options) {
            Ok(ours) if ours == expected => *per_release.entry(release.to_owned()).or_default() += 1,
            Ok(ours) => failures.push(format!("{}: {}", archive.display(), first_difference(&ours, &expected))),
            Err(e) => failures.push(format!("{}: {e}", archive.display())),
        }
    }
    assert!(failures.is_empty(), "{} archives differ:\n{}", failures.len(), failures.join("\n"));
    assert_eq!(deviations, ["2.3.1/consts_io: lossy", "2.4.1/consts_io: as_bool", "2.5.1/consts_io: as_bool"]);
    assert_eq!(per_release.len(), 13, "{per_release:?}");
    for (release, n) in &per_release {
        let dir = fixtures_dir().join(format!("archives/torch-{release}"));
        let all = std::fs::read_dir(&dir)
            .unwrap()
            .filter(|e| e.as_ref().unwrap().path().extension().is_some_and(|x| x == "pt2"))
            .count();
        assert!(*n == all && all >= 12, "torch {release}: {n} of {all} archives compared");
    }
}

#[test]
fn targets_2_10_and_2_11_write_schema_8_15_and_8_17_as_torch_did() {
    // The schema versions read from each wheel's torch/_export/serde/schema.py
    // (SCHEMA_VERSION), and what torch wrote into its own archives.
    for (release, schema) in
        [("2.10.0", "8.15"), ("2.11.0", "8.17"), ("2.12.1", "8.20"), ("2.13.0", "8.20"), ("2.14.1", "8.20")]
    {
        let t: TorchTarget = release.parse().unwrap();
        assert_eq!(t.schema().to_string(), schema, "{release}");
        assert_eq!(t, schema.parse::<TorchTarget>().unwrap());
        let recorded =
            std::fs::read_to_string(fixtures_dir().join(format!("archives/torch-{release}/linear.schema_version.txt")))
                .unwrap();
        assert_eq!(recorded.trim(), schema, "{release}: torch wrote schema {recorded}");
    }
    assert_eq!(TorchTarget::TORCH_2_10.to_string(), "schema 8.15 (torch 2.10)");
    assert_eq!(TorchTarget::TORCH_2_11.to_string(), "schema 8.17 (torch 2.11)");
}

// ---------------------------------------------------------------- Python's float repr and json.dumps

fn python_table(file: &str) -> Vec<(String, String)> {
    let path = fixtures_dir().join("python_repr").join(file);
    let body = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let rows: Vec<(String, String)> = body
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| {
            let (a, b) = l.split_once([' ', '\t']).unwrap_or_else(|| panic!("bad line {l:?}"));
            (a.to_owned(), b.to_owned())
        })
        .collect();
    assert!(rows.len() > 500, "{file}: only {} rows", rows.len());
    rows
}

fn constant_output(value: ConstantValue) -> ExportGraphSignature {
    sig(vec![], vec![OutputSpec::user_output(ArgumentSpec::constant("", value))])
}

fn expected_constant_output(member: &str, json: &str) -> String {
    format!("{{\"input_specs\": [], \"output_specs\": [{{\"user_output\": {{\"arg\": {{\"{member}\": {json}}}}}}}]}}")
}

#[test]
fn floats_are_written_as_python_repr() {
    let mut failures = Vec::new();
    let table = python_table("floats.txt");
    for (bits, repr) in &table {
        let x = f64::from_bits(u64::from_str_radix(bits, 16).unwrap());
        let ours = torch_json::encode(&constant_output(ConstantValue::Float(x)), &latest()).unwrap();
        if text(&ours) != expected_constant_output("as_float", repr) {
            failures.push(format!("{bits}: python {repr}, ours {}", text(&ours)));
        }
    }
    assert!(failures.is_empty(), "{} of {} floats differ:\n{}", failures.len(), table.len(), failures.join("\n"));
}

#[test]
fn strings_are_escaped_as_python_json_dumps() {
    let mut failures = Vec::new();
    let table = python_table("strings.txt");
    for (code_points, dumped) in &table {
        let s: String = if code_points == "-" {
            String::new()
        } else {
            code_points.split(',').map(|c| char::from_u32(u32::from_str_radix(c, 16).unwrap()).unwrap()).collect()
        };
        let ours = torch_json::encode(&constant_output(ConstantValue::String(s.clone())), &latest()).unwrap();
        if text(&ours) != expected_constant_output("as_string", dumped) {
            failures.push(format!("{s:?}: python {dumped}, ours {}", text(&ours)));
        }
        // Names and targets take the same escaping.
        let lifted = sig(vec![InputSpec::parameter(s.clone(), s.clone())], vec![]);
        let ours = torch_json::encode(&lifted, &latest()).unwrap();
        let expected = format!(
            "{{\"input_specs\": [{{\"parameter\": {{\"arg\": {{\"name\": {dumped}}}, \"parameter_name\": {dumped}}}}}], \
             \"output_specs\": []}}"
        );
        if text(&ours) != expected {
            failures.push(format!("{s:?} as a name: expected {expected}, ours {}", text(&ours)));
        }
    }
    assert!(failures.is_empty(), "{} differ:\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn python_tables_cover_the_tricky_cases() {
    // Guards against a regenerated table that lost its edge cases.
    let floats: Vec<String> = python_table("floats.txt").into_iter().map(|(_, r)| r).collect();
    for needed in ["1e+16", "1e-05", "1.5e+300", "-0.0", "100.0", "0.0001", "5e-324", "1.7976931348623157e+308"] {
        assert!(floats.iter().any(|r| r == needed), "floats.txt lacks {needed}");
    }
    let strings: Vec<String> = python_table("strings.txt").into_iter().map(|(_, d)| d).collect();
    for needed in [r#""\ud83d\ude42""#, r#""\u007f""#, r#""\b""#, r#""\f""#, r#""/""#, r#""\u00e9""#] {
        assert!(strings.iter().any(|d| d == needed), "strings.txt lacks {needed}");
    }
}

// ---------------------------------------------------------------- round trips

fn name() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => prop::sample::select(vec!["x", "p_w", "b.buf", "", "é", "it's", "a\"b\\c", "层.权重", "\u{1F642}", "tab\tnl\n"])
            .prop_map(str::to_owned),
        2 => prop::collection::vec(any::<char>(), 0..12).prop_map(|cs| cs.into_iter().collect()),
    ]
}

fn float() -> impl Strategy<Value = f64> {
    prop_oneof![
        // Every finite bit pattern; NaN only as the canonical NaN (NaN payloads and signs are
        // not kept by torch's "NaN" string, nor by Python's float('nan')).
        any::<u64>().prop_map(f64::from_bits).prop_map(|x| if x.is_nan() { f64::NAN } else { x }),
        prop::sample::select(vec![0.0, -0.0, 1.0, 1e16, 1e-5, 1e-4, 1e15, f64::INFINITY, f64::NEG_INFINITY, f64::NAN]),
    ]
}

fn constant() -> impl Strategy<Value = ConstantValue> {
    prop_oneof![
        Just(ConstantValue::None),
        any::<i64>().prop_map(ConstantValue::Int),
        float().prop_map(ConstantValue::Float),
        any::<bool>().prop_map(ConstantValue::Bool),
        name().prop_map(ConstantValue::String),
    ]
}

/// Every input the writer accepts at the latest target without `lossy`.
fn input() -> impl Strategy<Value = InputSpec> {
    prop_oneof![
        name().prop_map(|n| InputSpec::user_input(ArgumentSpec::Tensor { name: n })),
        name().prop_map(|n| InputSpec::user_input(ArgumentSpec::SymInt { name: n })),
        name().prop_map(|n| InputSpec::user_input(ArgumentSpec::SymFloat { name: n })),
        (name(), constant()).prop_map(|(n, v)| InputSpec::user_input(ArgumentSpec::constant(n, v))),
        (name(), name()).prop_map(|(n, t)| InputSpec::parameter(n, t)),
        (name(), name(), any::<bool>()).prop_map(|(n, t, p)| InputSpec::buffer(n, t, p)),
        (name(), name()).prop_map(|(n, t)| InputSpec::constant_tensor(n, t)),
        (name(), name(), name()).prop_map(|(n, fqn, t)| InputSpec {
            kind: InputKind::CustomObj,
            arg: ArgumentSpec::CustomObj { name: n, class_fqn: fqn },
            target: Some(t),
            persistent: None,
        }),
        name().prop_map(|n| InputSpec {
            kind: InputKind::Token,
            arg: ArgumentSpec::Token { name: n },
            target: None,
            persistent: None
        }),
    ]
}

/// Every output the writer accepts at the latest target without `lossy` (and that reads
/// back equal: a constant output's name is not written, so it is empty here), but LOSS_OUTPUT.
fn output() -> impl Strategy<Value = OutputSpec> {
    let targeted = prop::sample::select(vec![
        OutputKind::BufferMutation,
        OutputKind::ParameterMutation,
        OutputKind::GradientToParameter,
        OutputKind::GradientToUserInput,
        OutputKind::UserInputMutation,
    ]);
    prop_oneof![
        name().prop_map(|n| OutputSpec::user_output(ArgumentSpec::Tensor { name: n })),
        name().prop_map(|n| OutputSpec::user_output(ArgumentSpec::SymInt { name: n })),
        name().prop_map(|n| OutputSpec::user_output(ArgumentSpec::SymFloat { name: n })),
        constant().prop_map(|v| OutputSpec::user_output(ArgumentSpec::constant("", v))),
        (targeted, name(), name()).prop_map(|(k, n, t)| OutputSpec::new(k, ArgumentSpec::tensor(n), Some(&t))),
        name().prop_map(|n| OutputSpec::new(OutputKind::Token, ArgumentSpec::Token { name: n }, None)),
    ]
}

fn valid_signature() -> impl Strategy<Value = ExportGraphSignature> {
    (
        prop::collection::vec(input(), 0..8),
        prop::collection::vec(output(), 0..8),
        prop::option::of((name(), any::<prop::sample::Index>())),
    )
        .prop_map(|(inputs, mut outputs, loss)| {
            if let Some((n, at)) = loss {
                let at = at.index(outputs.len() + 1);
                outputs.insert(at, OutputSpec::new(OutputKind::LossOutput, ArgumentSpec::tensor(n), None));
            }
            sig(inputs, outputs)
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn encode_then_decode_gives_the_signature_back(s in valid_signature()) {
        let bytes = torch_json::encode(&s, &latest()).unwrap();
        prop_assert!(bytes.is_ascii());
        prop_assert!(!bytes.contains(&b'\n'));
        let read = torch_json::decode(&bytes).unwrap();
        prop_assert_eq!(read.signature, s);
    }

    #[test]
    fn targets_from_torch_2_9_write_what_torch_2_15_writes(s in valid_signature()) {
        // Nothing in the signature changed between schema 8.14 and 8.20.
        let latest_bytes = torch_json::encode(&s, &latest()).unwrap();
        for t in [TorchTarget::TORCH_2_9, TorchTarget::TORCH_2_10, TorchTarget::TORCH_2_11] {
            prop_assert_eq!(&torch_json::encode(&s, &target(t)).unwrap(), &latest_bytes);
        }
    }

    #[test]
    fn output_is_json_that_serde_reads_with_the_same_structure(s in valid_signature()) {
        let bytes = torch_json::encode(&s, &latest()).unwrap();
        let v: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        prop_assert_eq!(v["input_specs"].as_array().unwrap().len(), s.input_specs().len());
        prop_assert_eq!(v["output_specs"].as_array().unwrap().len(), s.output_specs().len());
    }
}

#[test]
fn a_hundred_thousand_specs_round_trip() {
    let n = 50_000;
    let inputs: Vec<InputSpec> =
        (0..n).map(|i| InputSpec::parameter(format!("p_{i}"), format!("layer{i}.w"))).collect();
    let outputs: Vec<OutputSpec> =
        (0..n).map(|i| OutputSpec::user_output(ArgumentSpec::tensor(format!("o{i}")))).collect();
    let s = sig(inputs, outputs);
    let started = std::time::Instant::now();
    let bytes = torch_json::encode(&s, &latest()).unwrap();
    let took = started.elapsed();
    assert_eq!(torch_json::decode(&bytes).unwrap().signature, s);
    // Generous even for an unoptimized build; a quadratic writer would blow it.
    assert!(took.as_secs() < 5, "encoding 100,000 specs took {took:?}");
}

// ---------------------------------------------------------------- older targets

#[test]
fn as_none_is_an_empty_list_before_torch_2_6() {
    let s = sig(
        vec![InputSpec::user_input(ArgumentSpec::constant("flag", ConstantValue::None))],
        vec![OutputSpec::user_output(ArgumentSpec::constant("", ConstantValue::None))],
    );
    let old = r#"{"input_specs": [{"constant_input": {"name": "flag", "value": {"as_none": []}}}], "output_specs": [{"user_output": {"arg": {"as_none": []}}}]}"#;
    let new = r#"{"input_specs": [{"constant_input": {"name": "flag", "value": {"as_none": true}}}], "output_specs": [{"user_output": {"arg": {"as_none": true}}}]}"#;
    for t in [TorchTarget::TORCH_2_4, TorchTarget::TORCH_2_5] {
        assert_eq!(text(&torch_json::encode(&s, &target(t)).unwrap()), old, "{t}");
    }
    for t in [TorchTarget::TORCH_2_6, TorchTarget::TORCH_2_9, TorchTarget::TORCH_2_12] {
        assert_eq!(text(&torch_json::encode(&s, &target(t)).unwrap()), new, "{t}");
    }
}

#[test]
fn non_finite_floats_are_bare_tokens_before_torch_2_7() {
    let s = sig(
        vec![],
        [f64::INFINITY, f64::NEG_INFINITY, f64::NAN, 0.5]
            .into_iter()
            .map(|x| OutputSpec::user_output(ArgumentSpec::constant("", ConstantValue::Float(x))))
            .collect(),
    );
    let out = |v: &str| format!("{{\"user_output\": {{\"arg\": {{\"as_float\": {v}}}}}}}");
    let expect = |vals: [&str; 4]| format!("{{\"input_specs\": [], \"output_specs\": [{}]}}", vals.map(out).join(", "));
    let bare = expect(["Infinity", "-Infinity", "NaN", "0.5"]);
    let quoted = expect(["\"Infinity\"", "\"-Infinity\"", "\"NaN\"", "0.5"]);
    for t in [TorchTarget::TORCH_2_3, TorchTarget::TORCH_2_5, TorchTarget::TORCH_2_6] {
        assert_eq!(text(&torch_json::encode(&s, &target(t)).unwrap()), bare, "{t}");
    }
    for t in [TorchTarget::TORCH_2_7, TorchTarget::TORCH_2_8, TorchTarget::TORCH_2_12] {
        assert_eq!(text(&torch_json::encode(&s, &target(t)).unwrap()), quoted, "{t}");
    }
}

#[test]
fn targets_parse_from_torch_and_schema_versions() {
    let ok = [
        ("2.3", TorchTarget::TORCH_2_3),
        ("2.4.1", TorchTarget::TORCH_2_4),
        ("2.5", TorchTarget::TORCH_2_5),
        ("torch-2.6", TorchTarget::TORCH_2_6),
        ("2.7.1", TorchTarget::TORCH_2_7),
        ("2.8.0", TorchTarget::TORCH_2_8),
        ("2.9.1+cu128", TorchTarget::TORCH_2_9),
        ("2.10", TorchTarget::TORCH_2_10),
        ("2.11.0", TorchTarget::TORCH_2_11),
        ("2.12.1", TorchTarget::TORCH_2_12),
        ("2.15", TorchTarget::TORCH_2_12),
        ("8.20", TorchTarget::TORCH_2_12),
        ("schema 8.14", TorchTarget::TORCH_2_9),
        ("5.3", TorchTarget::TORCH_2_4),
        ("7.3", TorchTarget::TORCH_2_5),
    ];
    for (s, t) in ok {
        assert_eq!(s.parse::<TorchTarget>().unwrap_or_else(|e| panic!("{s}: {e}")), t, "{s}");
    }
    for bad in ["2.2", "2.16", "3.0", "9.0", "8.21", "6.1", "5.0", "x", "", "2", "2.x"] {
        match bad.parse::<TorchTarget>() {
            Err(Error::UnsupportedVersion { format: "torch-json", .. }) => {}
            other => panic!("{bad:?}: expected UnsupportedVersion, got {other:?}"),
        }
    }
    assert_eq!(TorchTarget::TORCH_2_9.to_string(), "schema 8.14 (torch 2.9)");
    assert_eq!(TorchTarget::default().to_string(), "schema 8.20 (torch 2.12 to 2.15)");
    assert_eq!("8.10".parse::<TorchTarget>().unwrap().to_string(), "schema 8.10 (no torch release)");
}

// ---------------------------------------------------------------- refusals

fn refusal(s: &ExportGraphSignature, options: WriteOptions) -> (SpecRef, UnrepresentableReason, String) {
    match torch_json::encode(s, &options) {
        Err(e @ Error::Unrepresentable { .. }) => {
            let message = e.to_string();
            let Error::Unrepresentable { format, at, reason } = e else { unreachable!() };
            assert_eq!(format, "torch-json");
            (at, reason, message)
        }
        other => panic!("expected a refusal, got {:?}", other.map(|b| String::from_utf8_lossy(&b).into_owned())),
    }
}

fn assert_needs_newer(s: &ExportGraphSignature, t: TorchTarget, at: SpecRef, what: &str, min: &str) {
    for lossy in [false, true] {
        let (where_, reason, message) = refusal(s, WriteOptions { target: t, lossy });
        assert_eq!(where_, at);
        match reason {
            UnrepresentableReason::NeedsNewerVersion { what: w, min_version, target } => {
                assert_eq!((w, min_version), (what, min));
                assert_eq!(target, t.to_string());
            }
            other => panic!("expected NeedsNewerVersion, got {other:?}"),
        }
        assert!(message.contains(&at.to_string()) && message.contains(min), "{message}");
    }
}

#[test]
fn parameter_mutation_needs_torch_2_9() {
    let s = sig(
        vec![InputSpec::parameter("p_w", "w")],
        vec![OutputSpec::new(OutputKind::ParameterMutation, ArgumentSpec::tensor("copy_"), Some("w"))],
    );
    assert_needs_newer(
        &s,
        TorchTarget::TORCH_2_8,
        SpecRef::Output(0),
        "a PARAMETER_MUTATION output",
        "schema 8.14 (torch 2.9+)",
    );
    let (_, _, message) = refusal(&s, target(TorchTarget::TORCH_2_8));
    assert_eq!(
        message,
        "cannot write outputs[0] as torch-json: a PARAMETER_MUTATION output needs schema 8.14 (torch 2.9+); \
         the target is schema 8.8 (torch 2.8)"
    );
    let bytes = torch_json::encode(&s, &target(TorchTarget::TORCH_2_9)).unwrap();
    assert!(text(&bytes).contains(r#"{"parameter_mutation": {"arg": {"name": "copy_"}, "parameter_name": "w"}}"#));
}

#[test]
fn sym_float_needs_torch_2_6() {
    let input = sig(vec![InputSpec::user_input(ArgumentSpec::SymFloat { name: "zuf0".into() })], vec![]);
    assert_needs_newer(
        &input,
        TorchTarget::TORCH_2_5,
        SpecRef::Input(0),
        "a SymFloat user input",
        "schema 8.x (torch 2.6+)",
    );
    let output = sig(vec![], vec![OutputSpec::user_output(ArgumentSpec::SymFloat { name: "f".into() })]);
    assert_needs_newer(
        &output,
        TorchTarget::TORCH_2_3,
        SpecRef::Output(0),
        "a SymFloat user output",
        "schema 8.x (torch 2.6+)",
    );
    assert_eq!(
        text(&torch_json::encode(&input, &target(TorchTarget::TORCH_2_6)).unwrap()),
        r#"{"input_specs": [{"user_input": {"arg": {"as_sym_float": {"as_name": "zuf0"}}}}], "output_specs": []}"#
    );
}

#[test]
fn tokens_need_torch_2_4() {
    let token_in = InputSpec {
        kind: InputKind::Token,
        arg: ArgumentSpec::Token { name: "t".into() },
        target: None,
        persistent: None,
    };
    let token_out = OutputSpec::new(OutputKind::Token, ArgumentSpec::Token { name: "t1".into() }, None);
    let s = sig(vec![token_in.clone()], vec![]);
    assert_needs_newer(&s, TorchTarget::TORCH_2_3, SpecRef::Input(0), "a TOKEN input", "schema 5.3 (torch 2.4+)");
    let s = sig(vec![], vec![token_out.clone()]);
    assert_needs_newer(&s, TorchTarget::TORCH_2_3, SpecRef::Output(0), "a TOKEN output", "schema 5.3 (torch 2.4+)");
    assert_eq!(
        text(&torch_json::encode(&sig(vec![token_in], vec![token_out]), &target(TorchTarget::TORCH_2_4)).unwrap()),
        r#"{"input_specs": [{"token": {"arg": {"name": "t"}}}], "output_specs": [{"token": {"arg": {"name": "t1"}}}]}"#
    );
}

#[test]
fn constant_input_needs_torch_2_4_or_lossy_writes_torch_2_3s_form() {
    let s = sig(
        vec![
            InputSpec::user_input(ArgumentSpec::tensor("x")),
            InputSpec::user_input(ArgumentSpec::constant("alpha", ConstantValue::Int(3))),
        ],
        vec![],
    );
    let (at, reason, _) = refusal(&s, target(TorchTarget::TORCH_2_3));
    assert_eq!(at, SpecRef::Input(1));
    assert!(matches!(reason, UnrepresentableReason::NeedsNewerVersion { min_version: "schema 5.3 (torch 2.4+)", .. }));
    // torch 2.3 itself wrote constant user inputs through the Argument union, nameless.
    let lossy_23 = WriteOptions { target: TorchTarget::TORCH_2_3, lossy: true };
    assert_eq!(
        text(&torch_json::encode(&s, &lossy_23).unwrap()),
        r#"{"input_specs": [{"user_input": {"arg": {"as_tensor": {"name": "x"}}}}, {"user_input": {"arg": {"as_int": 3}}}], "output_specs": []}"#
    );
    assert_eq!(
        text(&torch_json::encode(&s, &target(TorchTarget::TORCH_2_4)).unwrap()),
        r#"{"input_specs": [{"user_input": {"arg": {"as_tensor": {"name": "x"}}}}, {"constant_input": {"name": "alpha", "value": {"as_int": 3}}}], "output_specs": []}"#
    );
}

#[test]
fn sym_bool_user_input_and_output_are_refused_as_torch_cannot_write_them() {
    let s = sig(
        vec![InputSpec::user_input(ArgumentSpec::SymBool { name: "flag".into() })],
        vec![OutputSpec::user_output(ArgumentSpec::SymBool { name: "gt".into() })],
    );
    let (at, reason, message) = refusal(&s, latest());
    assert_eq!(at, SpecRef::Input(0));
    assert!(matches!(reason, UnrepresentableReason::WriterFails { what: "a SymBool user input", .. }), "{reason:?}");
    assert!(message.contains("AssertionError: TODO"), "{message}");
    let only_output = sig(vec![], vec![OutputSpec::user_output(ArgumentSpec::SymBool { name: "gt".into() })]);
    let (at, reason, _) = refusal(&only_output, latest());
    assert_eq!(at, SpecRef::Output(0));
    assert!(matches!(reason, UnrepresentableReason::WriterFails { what: "a SymBool user output", .. }));
    // Lossy: the Argument member torch uses for SymBool values; we read it back exactly.
    let bytes = torch_json::encode(&s, &lossy()).unwrap();
    assert_eq!(
        text(&bytes),
        r#"{"input_specs": [{"user_input": {"arg": {"as_sym_bool": {"as_name": "flag"}}}}], "output_specs": [{"user_output": {"arg": {"as_sym_bool": {"as_name": "gt"}}}}]}"#
    );
    assert_eq!(torch_json::decode(&bytes).unwrap().signature, s);
}

#[test]
fn custom_obj_user_inputs_and_outputs_are_written_as_torch_writes_them() {
    let obj = |n: &str| ArgumentSpec::CustomObj { name: n.into(), class_fqn: "my_pkg.Queue".into() };
    let s = sig(vec![InputSpec::user_input(obj("q"))], vec![OutputSpec::user_output(obj("q_out"))]);
    // torch 2.15's serialize_argument_spec (see the synthetic_custom_obj and
    // custom_obj_user_input fixtures), for every target: torch 2.3 already wrote it so.
    let written = r#"{"input_specs": [{"user_input": {"arg": {"as_custom_obj": {"name": "q", "class_fqn": "my_pkg.Queue"}}}}], "output_specs": [{"user_output": {"arg": {"as_custom_obj": {"name": "q_out", "class_fqn": "my_pkg.Queue"}}}}]}"#;
    for t in [TorchTarget::TORCH_2_3, TorchTarget::TORCH_2_9, TorchTarget::TORCH_2_12] {
        assert_eq!(text(&torch_json::encode(&s, &target(t)).unwrap()), written, "{t}");
        assert_eq!(torch_json::encode(&s, &WriteOptions { target: t, lossy: true }).unwrap(), written.as_bytes());
    }
    // This crate reads it back as it was (torch's reader makes a ConstantArgument of it).
    assert_eq!(torch_json::decode(written.as_bytes()).unwrap().signature, s);
    // The real program: torch 2.15 exported an opaque object passed as an input.
    let dir = fixtures_dir().join("torch-2.15/custom_obj_user_input");
    let (inputs, outputs) = support::specs(&read_json(&dir.join("specs.json")));
    assert!(matches!(&inputs[2].arg, ArgumentSpec::CustomObj { class_fqn, .. } if class_fqn == "gsfix.Counter"));
    let ours = torch_json::encode(&sig(inputs, outputs), &latest()).unwrap();
    assert_eq!(text(&ours), std::fs::read_to_string(dir.join("signature.json")).unwrap());
    // A lifted CUSTOM_OBJ input is fine too.
    let lifted = sig(
        vec![InputSpec { kind: InputKind::CustomObj, arg: obj("obj_q"), target: Some("q".into()), persistent: None }],
        vec![],
    );
    assert!(torch_json::encode(&lifted, &latest()).is_ok());
}

#[test]
fn targets_torch_json_has_no_place_for_are_refused_or_dropped_when_lossy() {
    let tensor = || ArgumentSpec::tensor("t");
    let token = || ArgumentSpec::Token { name: "t".into() };
    let inputs = [
        (InputKind::UserInput, tensor(), r#"{"user_input": {"arg": {"as_tensor": {"name": "t"}}}}"#),
        (InputKind::Token, token(), r#"{"token": {"arg": {"name": "t"}}}"#),
    ];
    for (kind, arg, written) in inputs {
        let s = sig(vec![InputSpec { kind, arg, target: Some("tgt".into()), persistent: None }], vec![]);
        let (at, reason, message) = refusal(&s, latest());
        assert_eq!(at, SpecRef::Input(0));
        assert_eq!(reason, UnrepresentableReason::NoSlot { field: "target", kind: SpecKind::Input(kind) });
        assert!(message.contains("target") && message.contains(kind.torch_name()), "{message}");
        let lossy_bytes = torch_json::encode(&s, &lossy()).unwrap();
        assert_eq!(text(&lossy_bytes), format!("{{\"input_specs\": [{written}], \"output_specs\": []}}"));
    }
    let outputs = [
        (OutputKind::UserOutput, tensor(), r#"{"user_output": {"arg": {"as_tensor": {"name": "t"}}}}"#),
        (OutputKind::LossOutput, tensor(), r#"{"loss_output": {"arg": {"name": "t"}}}"#),
        (OutputKind::Token, token(), r#"{"token": {"arg": {"name": "t"}}}"#),
    ];
    for (kind, arg, written) in outputs {
        let s = sig(vec![], vec![OutputSpec { kind, arg, target: Some("tgt".into()) }]);
        let (at, reason, _) = refusal(&s, latest());
        assert_eq!(at, SpecRef::Output(0));
        assert_eq!(reason, UnrepresentableReason::NoSlot { field: "target", kind: SpecKind::Output(kind) });
        let lossy_bytes = torch_json::encode(&s, &lossy()).unwrap();
        assert_eq!(text(&lossy_bytes), format!("{{\"input_specs\": [], \"output_specs\": [{written}]}}"));
    }
}

#[test]
fn persistent_on_a_non_buffer_is_refused_or_dropped_when_lossy() {
    let cases = [
        (
            InputSpec { persistent: Some(true), ..InputSpec::parameter("p", "w") },
            r#"{"parameter": {"arg": {"name": "p"}, "parameter_name": "w"}}"#,
        ),
        (
            InputSpec { persistent: Some(false), ..InputSpec::constant_tensor("c", "k") },
            r#"{"tensor_constant": {"arg": {"name": "c"}, "tensor_constant_name": "k"}}"#,
        ),
        (
            InputSpec { persistent: Some(true), ..InputSpec::user_input(ArgumentSpec::tensor("x")) },
            r#"{"user_input": {"arg": {"as_tensor": {"name": "x"}}}}"#,
        ),
    ];
    for (spec, written) in cases {
        let kind = spec.kind;
        let s = sig(vec![InputSpec::user_input(ArgumentSpec::tensor("first")), spec], vec![]);
        let (at, reason, message) = refusal(&s, latest());
        assert_eq!(at, SpecRef::Input(1));
        assert_eq!(reason, UnrepresentableReason::NoSlot { field: "persistent", kind: SpecKind::Input(kind) });
        assert!(message.starts_with("cannot write inputs[1] as torch-json: "), "{message}");
        let lossy_bytes = torch_json::encode(&s, &lossy()).unwrap();
        assert_eq!(
            text(&lossy_bytes),
            format!("{{\"input_specs\": [{{\"user_input\": {{\"arg\": {{\"as_tensor\": {{\"name\": \"first\"}}}}}}}}, {written}], \"output_specs\": []}}")
        );
    }
    // BUFFER keeps it, true or false.
    let s = sig(vec![InputSpec::buffer("b", "buf", false)], vec![]);
    assert_eq!(
        text(&torch_json::encode(&s, &latest()).unwrap()),
        r#"{"input_specs": [{"buffer": {"arg": {"name": "b"}, "buffer_name": "buf", "persistent": false}}], "output_specs": []}"#
    );
}

#[test]
fn constant_outputs_go_through_the_argument_union_without_their_name() {
    // torch's serialize_input: bool before int, and ConstantArgument.name is not written.
    let s = sig(
        vec![],
        vec![
            OutputSpec::user_output(ArgumentSpec::constant("named", ConstantValue::Bool(true))),
            OutputSpec::user_output(ArgumentSpec::constant("", ConstantValue::Int(-7))),
            OutputSpec::user_output(ArgumentSpec::constant("", ConstantValue::String("s".into()))),
        ],
    );
    assert_eq!(
        text(&torch_json::encode(&s, &latest()).unwrap()),
        r#"{"input_specs": [], "output_specs": [{"user_output": {"arg": {"as_bool": true}}}, {"user_output": {"arg": {"as_int": -7}}}, {"user_output": {"arg": {"as_string": "s"}}}]}"#
    );
}

// ---------------------------------------------------------------- interop dump

/// Not a check: writes our encoding of every torch 2.15 fixture (from its `specs.json`) for
/// every torch release 2.3 to 2.15, strict and lossy, for
/// `scripts/check_torch_json_roundtrip.py` to load with real torch. Run by that script:
/// `GRAPHSIG_DUMP_DIR=DIR cargo test --test torch_json_write -- --ignored dump_for_torch`.
/// Layout: `DIR/<2.N | 2.N-lossy>/<fixture>.json`, or `<fixture>.refused.txt` holding
/// our error when the writer refuses.
#[test]
#[ignore = "writes files for scripts/check_torch_json_roundtrip.py"]
fn dump_for_torch() {
    let dir = PathBuf::from(std::env::var_os("GRAPHSIG_DUMP_DIR").expect("set GRAPHSIG_DUMP_DIR"));
    let mut targets: Vec<(String, WriteOptions)> = (3..=15)
        .map(|minor| {
            let version = format!("2.{minor}");
            let t = version.parse::<TorchTarget>().unwrap();
            (version, target(t))
        })
        .collect();
    let lossy_targets: Vec<(String, WriteOptions)> =
        targets.iter().map(|(v, o)| (format!("{v}-lossy"), WriteOptions { lossy: true, ..*o })).collect();
    targets.extend(lossy_targets);
    let mut written = 0;
    for fixture in fixture_dirs(&fixtures_dir().join("torch-2.15")) {
        let (inputs, outputs) = support::specs(&read_json(&fixture.join("specs.json")));
        let Ok(s) = ExportGraphSignature::new(inputs, outputs) else { continue };
        for (name, options) in &targets {
            let out = dir.join(name);
            std::fs::create_dir_all(&out).unwrap();
            let file = match torch_json::encode(&s, options) {
                Ok(bytes) => (out.join(format!("{}.json", name_of(&fixture))), bytes),
                Err(e) => (out.join(format!("{}.refused.txt", name_of(&fixture))), e.to_string().into_bytes()),
            };
            std::fs::write(&file.0, &file.1).unwrap();
            written += 1;
        }
    }
    assert!(written > 0);
}
