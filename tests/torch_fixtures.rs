//! The model against real torch 2.15: for every fixture made by
//! `tests/fixtures/gen_torch_fixtures.py`, our text form, accessors and torch-JSON reading
//! equal what torch itself said.

mod support;

use std::path::Path;

use graph_signature::codec::torch_json;
use support::{fixture_dirs, fixtures_dir, read_json};

fn torch_215_dirs() -> Vec<std::path::PathBuf> {
    let dirs = fixture_dirs(&fixtures_dir().join("torch-2.15"));
    assert!(dirs.len() >= 20, "expected at least 20 torch 2.15 fixtures, found {}", dirs.len());
    dirs
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
        let sig = support::signature(&read_json(&dir.join("specs.json")));
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
        let sig = support::signature(&read_json(&dir.join("specs.json")));
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
        let decoded = torch_json::decode(&std::fs::read(&path).unwrap()).map_err(|e| e.to_string())?;
        let expected = support::signature(&read_json(&dir.join("specs.json")));
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
        let decoded = torch_json::decode(&std::fs::read(&model).unwrap())
            .unwrap_or_else(|e| panic!("{}: {e}", model.display()));
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
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        if name.starts_with("synthetic_") {
            return Ok(());
        }
        let sig = support::signature(&read_json(&dir.join("specs.json")));
        match sig.lint().as_slice() {
            [] => Ok(()),
            v => Err(format!("{v:?}")),
        }
    });
}
