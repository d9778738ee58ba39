//! The model against real torch 2.15: for every fixture made by
//! `tests/fixtures/gen_torch_fixtures.py`, our text form, accessors and torch-JSON reading
//! equal what torch itself said.

mod support;

use std::path::Path;

use graph_signature::codec::torch_json;
use graph_signature::{ArgumentSpec, Error, ExportGraphSignature};
use support::{fixture_dirs, fixtures_dir, read_json};

fn torch_215_dirs() -> Vec<std::path::PathBuf> {
    let dirs = fixture_dirs(&fixtures_dir().join("torch-2.15"));
    assert!(dirs.len() >= 20, "expected at least 20 torch 2.15 fixtures, found {}", dirs.len());
    dirs
}

/// Synthetic signatures torch holds in memory but refuses elsewhere (an accessor raises, or
/// its serializer asserts); our model refuses to build them, by its spec rules.
const TORCH_REFUSES: &[&str] = &[
    "synthetic_accessor_errors",         // user_inputs, user_outputs, input_tokens, ... raise
    "synthetic_accessor_filters",        // serializer: "spec.target should not be None for PARAMETER"
    "synthetic_gradient_without_target", // backward_signature: "expected str target for GRADIENT_TO_PARAMETER"
    "synthetic_multiple_losses",         // backward_signature: "multiple LOSS_OUTPUT specs found"
];

fn fixture_name(dir: &Path) -> String {
    dir.file_name().unwrap().to_string_lossy().into_owned()
}

/// The fixture's signature, or `None` for the ones torch refuses (checked to be refused).
fn load(dir: &Path) -> Result<Option<ExportGraphSignature>, String> {
    let (inputs, outputs) = support::specs(&read_json(&dir.join("specs.json")));
    let refused_by_torch = TORCH_REFUSES.contains(&fixture_name(dir).as_str());
    match (ExportGraphSignature::new(inputs, outputs), refused_by_torch) {
        (Ok(sig), false) => Ok(Some(sig)),
        (Err(Error::Invalid(_)), true) => Ok(None),
        (Ok(_), true) => Err("torch refuses this signature, we accepted it".into()),
        (Err(e), _) => Err(format!("torch accepts this signature, we refused it: {e}")),
    }
}

#[test]
fn refusals_are_grounded_in_what_torch_said() {
    for name in TORCH_REFUSES {
        let dir = fixtures_dir().join("torch-2.15").join(name);
        let accessors = std::fs::read_to_string(dir.join("accessors.json")).unwrap();
        let serialize_error = std::fs::read_to_string(dir.join("serialize_error.txt")).unwrap_or_default();
        assert!(
            accessors.contains("\"$error\"") || serialize_error.contains("should not be None"),
            "{name}: torch raised nowhere"
        );
    }
}

/// Runs `check` on every fixture and reports every failing fixture, not only the first.
fn for_each_fixture(check: impl Fn(&Path) -> Result<(), String>) {
    let failures: Vec<String> = torch_215_dirs()
        .iter()
        .filter_map(|d| check(d).err().map(|e| format!("{}: {e}", d.file_name().unwrap().to_string_lossy())))
        .collect();
    assert!(failures.is_empty(), "{} fixture(s) differ from torch:\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn display_equals_torch_str() {
    for_each_fixture(|dir| {
        let Some(sig) = load(dir)? else { return Ok(()) };
        let expected = std::fs::read_to_string(dir.join("str.txt")).map_err(|e| e.to_string())?;
        let ours = sig.to_string();
        if ours == expected {
            Ok(())
        } else {
            Err(format!("text form differs\n--- torch\n{expected}\n--- ours\n{ours}"))
        }
    });
}

#[test]
fn accessors_equal_torch_accessors() {
    for_each_fixture(|dir| {
        let Some(sig) = load(dir)? else { return Ok(()) };
        let expected = read_json(&dir.join("accessors.json"));
        let ours = serde_json::to_value(sig.accessors()).unwrap();
        let keys = |v: &serde_json::Value| v.as_object().unwrap().keys().cloned().collect::<Vec<_>>();
        if keys(&ours) != keys(&expected) {
            return Err(format!("accessor keys differ: torch {:?}, ours {:?}", keys(&expected), keys(&ours)));
        }
        for key in keys(&expected) {
            if ours[&key] != expected[&key] {
                return Err(format!("{key}: torch {}, ours {}", expected[&key], ours[&key]));
            }
            // Map order is part of the contract (Python dicts keep insertion order).
            if let (Some(a), Some(b)) = (ours[&key].as_object(), expected[&key].as_object()) {
                if !a.keys().eq(b.keys()) {
                    return Err(format!("{key}: key order differs"));
                }
            }
        }
        Ok(())
    });
}

#[test]
fn torch_json_reads_to_the_in_memory_signature() {
    for_each_fixture(|dir| {
        let path = dir.join("signature.json");
        if !path.exists() {
            // torch could not serialize this one; the generator recorded why.
            return if dir.join("serialize_error.txt").exists() { Ok(()) } else { Err("no signature.json".into()) };
        }
        let decoded = torch_json::decode(&std::fs::read(&path).unwrap());
        let Some(expected) = load(dir)? else {
            // torch wrote it, but the signature is broken (e.g. two LOSS_OUTPUTs): refused.
            return match decoded {
                Err(Error::Invalid(_)) => Ok(()),
                other => Err(format!("expected a validation error, got {other:?}")),
            };
        };
        let decoded = decoded.map_err(|e| e.to_string())?;
        // torch's serializer drops the name of a constant user output (only its value is
        // written), so what comes back from JSON has an empty name there.
        let (inputs, mut outputs) = expected.into_parts();
        for spec in &mut outputs {
            if let ArgumentSpec::Constant { name, .. } = &mut spec.arg {
                name.clear();
            }
        }
        let expected = ExportGraphSignature::new(inputs, outputs).unwrap();
        if decoded.signature != expected {
            return Err(format!("decoded {:#?}\nexpected {:#?}", decoded.signature, expected));
        }
        Ok(())
    });
    let with_json = torch_215_dirs().iter().filter(|d| d.join("signature.json").exists()).count();
    assert!(with_json >= 15, "only {with_json} fixtures carry torch's signature JSON");
}

#[test]
fn whole_model_json_reads_with_its_schema_version() {
    let mut seen = 0;
    for dir in torch_215_dirs() {
        let model = dir.join("model.json");
        if !model.exists() {
            continue;
        }
        seen += 1;
        let decoded =
            torch_json::decode(&std::fs::read(&model).unwrap()).unwrap_or_else(|e| panic!("{}: {e}", model.display()));
        let version = decoded.schema_version.expect("a model JSON carries its schema version");
        assert_eq!((version.major, version.minor), (8, 20), "{}", model.display());
        let expected = support::signature(&read_json(&dir.join("specs.json")));
        assert_eq!(decoded.signature, expected, "{}", model.display());
    }
    assert!(seen >= 3, "expected at least 3 fixtures with model.json, found {seen}");
}

#[test]
fn real_exports_pass_the_graph_rules() {
    // Signatures torch.export produced must satisfy the on-demand graph rules; synthetic
    // fixtures (built by hand from the Python classes) may deliberately break them.
    for_each_fixture(|dir| {
        if fixture_name(dir).starts_with("synthetic_") {
            return Ok(());
        }
        let Some(sig) = load(dir)? else { return Ok(()) };
        match sig.lint().as_slice() {
            [] => Ok(()),
            v => Err(format!("{v:?}")),
        }
    });
}
