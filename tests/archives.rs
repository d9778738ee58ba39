//! Real archives written by `torch.export.save` in torch 2.1 to 2.15
//! (`scripts/gen_archive_fixtures.sh`): we read the signature each version had in memory,
//! print what torch 2.15 prints for it, and fail cleanly on broken archives. torch 2.1's
//! signature is dict-style (no specs): its archives are compared with every accessor torch
//! 2.1 computed and with the graph's placeholders and outputs torch 2.1 had.

mod support;

use std::io::Cursor;
use std::path::{Path, PathBuf};

use graph_signature::archive::pt2;
use graph_signature::read::ReadOptions;
use graph_signature::{ArgumentSpec, Error, ExportGraphSignature, InputKind, ModelSelection, OutputKind};
use support::{fixtures_dir, read_json};

fn archives() -> Vec<PathBuf> {
    support::torch_archives()
}

fn torch_version(archive: &Path) -> String {
    let dir = archive.parent().unwrap().file_name().unwrap().to_str().unwrap();
    dir.trim_start_matches("torch-").to_owned()
}

fn sibling(archive: &Path, suffix: &str) -> PathBuf {
    let stem = archive.file_stem().unwrap().to_str().unwrap();
    archive.with_file_name(format!("{stem}.{suffix}"))
}

fn is_torch_21(archive: &Path) -> bool {
    torch_version(archive).starts_with("2.1.")
}

/// The accessors torch 2.1 had (`<m>.accessors.json`), without those it lacks
/// (`{"$missing": true}`); at least the nine of its dict-style signature.
fn torch_21_accessors(archive: &Path) -> serde_json::Map<String, serde_json::Value> {
    let all = read_json(&sibling(archive, "accessors.json"));
    let had: serde_json::Map<_, _> = all
        .as_object()
        .unwrap()
        .iter()
        .filter(|(_, v)| v.get("$missing").is_none())
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    assert_eq!(had.len(), 9, "{}: torch 2.1 has 9 accessors: {:?}", archive.display(), had.keys());
    had
}

/// Where a signature read from a torch 2.1 archive differs from what torch 2.1 had: every
/// accessor 2.1 has (`<m>.accessors.json`), the graph's placeholders and outputs in order
/// (`<m>.graph_io.json`), and, for the `persistent` flag 2.1 does not record, that every
/// buffer read as persistent is in the state dict torch 2.1 saved (`<m>.tensors.json`).
fn differences_from_torch_21(archive: &Path, sig: &ExportGraphSignature) -> Vec<String> {
    let mut found = Vec::new();
    let ours = serde_json::to_value(sig.accessors()).unwrap();
    for (name, theirs) in torch_21_accessors(archive) {
        if ours[&name] != theirs {
            found.push(format!("{name}: ours {}, torch 2.1 {theirs}", ours[&name]));
        }
    }
    let io = read_json(&sibling(archive, "graph_io.json"));
    let placeholders: Vec<&str> = io["placeholders"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
    let inputs: Vec<&str> = sig.input_specs().iter().map(|s| s.arg.name()).collect();
    if inputs != placeholders {
        found.push(format!("inputs {inputs:?}, torch 2.1's placeholders {placeholders:?}"));
    }
    let torch_outputs = io["outputs"].as_array().unwrap();
    let same_outputs = sig.output_specs().len() == torch_outputs.len()
        && sig.output_specs().iter().zip(torch_outputs).all(|(spec, theirs)| {
            match (&spec.arg, theirs.get("constant")) {
                (ArgumentSpec::Constant { value, .. }, Some(v)) => *value == support::constant(v),
                (arg, None) => theirs.as_str() == Some(arg.name()),
                _ => false,
            }
        });
    if !same_outputs {
        let ours: Vec<&str> = sig.output_specs().iter().map(|s| s.arg.name()).collect();
        found.push(format!("outputs {ours:?}, torch 2.1's {}", io["outputs"]));
    }
    let state_dict = read_json(&sibling(archive, "tensors.json"))["state_dict"].clone();
    for spec in sig.input_specs().iter().filter(|s| s.kind == InputKind::Buffer) {
        let target = spec.target.as_deref().unwrap();
        if spec.persistent != Some(true) || state_dict.get(target).is_none() {
            found.push(format!(
                "buffer {target}: persistent {:?}; in 2.1's state dict: {}",
                spec.persistent,
                state_dict.get(target).is_some()
            ));
        }
    }
    found
}

/// What torch's own serialization keeps of an in-memory signature (each rule is a fact of
/// torch's JSON, documented in `src/codec/torch_json/mod.rs`):
/// - torch 2.2 has no `persistent`; its archives store every lifted buffer in the state
///   dict (checked on this fixture set: the non-persistent `scratch` is in 2.2's
///   `serialized_state_dict`), so the reader says `persistent = true`;
/// - the JSON has a `persistent` slot only for BUFFER (torch 2.4 to 2.7 set it on constant
///   tensors in memory);
/// - a constant user output is written without its name.
fn as_torch_json_keeps_it(archive: &Path) -> ExportGraphSignature {
    let (mut inputs, mut outputs) = support::specs(&read_json(&sibling(archive, "specs.json")));
    let is_22 = torch_version(archive).starts_with("2.2.");
    for s in &mut inputs {
        match s.kind {
            InputKind::Buffer if is_22 && s.persistent.is_none() => s.persistent = Some(true),
            InputKind::Buffer => {}
            _ => s.persistent = None,
        }
    }
    for s in &mut outputs {
        if let (OutputKind::UserOutput, ArgumentSpec::Constant { name, .. }) = (s.kind, &mut s.arg) {
            name.clear();
        }
    }
    ExportGraphSignature::new(inputs, outputs).expect("fixture specs are valid")
}

#[test]
fn fixtures_cover_the_required_torch_versions_and_both_layouts() {
    let versions: std::collections::BTreeSet<String> = archives().iter().map(|a| torch_version(a)).collect();
    for v in ["2.1.", "2.2.", "2.4.", "2.6.", "2.9.", "2.15."] {
        assert!(versions.iter().any(|have| have.starts_with(v)), "no archive from torch {v}x; have {versions:?}");
    }
    let layouts: std::collections::BTreeSet<String> = archives()
        .iter()
        .map(|a| format!("{:?}", pt2::read_path(a).unwrap()[0].layout).split(' ').next().unwrap().to_owned())
        .collect();
    assert_eq!(layouts.len(), 2, "{layouts:?}");
}

#[test]
fn every_archive_reads_to_the_signature_torch_had() {
    let mut failures = Vec::new();
    let all = archives();
    for archive in &all {
        let models = match pt2::read_path(archive) {
            Ok(m) => m,
            Err(e) => {
                failures.push(format!("{}: {e}", archive.display()));
                continue;
            }
        };
        assert_eq!(models.len(), 1, "{}", archive.display());
        if is_torch_21(archive) {
            let diff = differences_from_torch_21(archive, &models[0].signature);
            if !diff.is_empty() {
                failures.push(format!("{}: {}", archive.display(), diff.join("; ")));
            }
        } else if models[0].signature != as_torch_json_keeps_it(archive) {
            let expected = as_torch_json_keeps_it(archive);
            failures.push(format!("{}: read {:#?}\nexpected {:#?}", archive.display(), models[0].signature, expected));
        }
        let version = std::fs::read_to_string(sibling(archive, "schema_version.txt")).unwrap();
        let ours = models[0].schema_version.map(|v| v.to_string());
        let theirs = version.trim();
        // torch 2.2 wrote the bare integer 2, which we report as 2.0.
        if ours.as_deref() != Some(theirs) && ours.as_deref() != Some(&format!("{theirs}.0")) {
            failures.push(format!("{}: schema version {ours:?}, torch wrote {theirs}", archive.display()));
        }
    }
    assert!(all.len() >= 40, "only {} archives", all.len());
    assert!(failures.is_empty(), "{} of {} archives differ:\n{}", failures.len(), all.len(), failures.join("\n"));
}

#[test]
fn read_path_prints_what_torch_215_prints_for_every_archive() {
    let mut compared = 0;
    for archive in archives() {
        if is_torch_21(&archive) {
            // No specs for torch 2.15 to print (2.1's signature is dict-style); the test
            // of torch 2.1's archives below pins the text form.
            continue;
        }
        let raw = support::specs(&read_json(&sibling(&archive, "specs.json")));
        if raw != as_torch_json_keeps_it(&archive).into_parts() {
            // torch's JSON did not keep the in-memory signature torch 2.15 printed; the
            // reading test above pins what it did keep.
            continue;
        }
        let ours = graph_signature::read_path(&archive).unwrap_or_else(|e| panic!("{}: {e}", archive.display()));
        let torch = std::fs::read_to_string(sibling(&archive, "str_2.15.txt")).unwrap();
        assert_eq!(ours.to_string(), torch, "{}", archive.display());
        compared += 1;
    }
    assert!(compared >= 40, "only {compared} archives compared");
}

#[test]
fn truncated_and_corrupted_archives_are_typed_errors() {
    let mut checked = 0;
    for archive in archives().iter().step_by(3) {
        let bytes = std::fs::read(archive).unwrap();
        for cut in [0, 4, 100, bytes.len() / 2, bytes.len() - 30, bytes.len() - 1] {
            match pt2::read(Cursor::new(&bytes[..cut])) {
                Err(Error::Decode { .. } | Error::Io { .. }) => checked += 1,
                other => panic!("{} cut at {cut}: {other:?}", archive.display()),
            }
        }
        // Flip bytes in the middle (where records are): an error or, if the flip landed
        // in weights, the same signature; never a panic.
        let mut corrupt = bytes.clone();
        for b in corrupt.iter_mut().skip(bytes.len() / 3).take(64) {
            *b ^= 0x5a;
        }
        let _ = pt2::read(Cursor::new(&corrupt));
    }
    assert!(checked >= 60, "only {checked} truncations checked");
}

#[test]
fn an_archive_with_several_models_reads_each_and_refuses_to_guess() {
    let archive = fixtures_dir().join("pt2/multi_model.pt2");
    let models = pt2::read_path(&archive).unwrap();
    let names: Vec<&str> = models.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(names, ["decoder", "encoder"]);
    for m in &models {
        let torch =
            std::fs::read_to_string(fixtures_dir().join(format!("pt2/multi_model.{}.str.txt", m.name))).unwrap();
        assert_eq!(m.signature.to_string(), torch, "{}", m.name);
        let read = ReadOptions::model(Some(&m.name)).read_path(&archive).unwrap();
        assert_eq!(read.signature, m.signature);
        assert_eq!(read.model.as_deref(), Some(m.name.as_str()));
    }
    let err = graph_signature::read_path(&archive).unwrap_err();
    assert!(
        matches!(&err, Error::Model(ModelSelection::Ambiguous { available }) if available == &["decoder", "encoder"])
    );
    assert_eq!(err.to_string(), "the archive holds 2 models (decoder, encoder); choose one with --model");
    let err = ReadOptions::model(Some("nope")).read_path(&archive).unwrap_err();
    assert_eq!(err.to_string(), "no model named \"nope\"; the archive holds decoder, encoder");
    let all = ReadOptions::default().read_all(&archive).unwrap();
    assert_eq!(all.iter().map(|l| l.model.as_deref().unwrap()).collect::<Vec<_>>(), ["decoder", "encoder"]);
}

#[test]
fn a_program_torch_215_saves_but_cannot_load_is_read() {
    // torch 2.15 writes a constant string output that its own reader refuses.
    let dir = fixtures_dir().join("pt2");
    let torch_load = std::fs::read_to_string(dir.join("str_output.load_error.txt")).unwrap();
    assert!(torch_load.contains("Unable to deserialize output node"), "{torch_load}");
    let read = pt2::read_path(dir.join("str_output.pt2")).unwrap().remove(0);
    assert_eq!(read.signature.to_string(), std::fs::read_to_string(dir.join("str_output.str.txt")).unwrap());
    let value = read.signature.user_outputs()[1].as_constant().cloned();
    assert_eq!(value, Some(graph_signature::ConstantValue::String("done".into())));
}

#[test]
fn the_accessors_equal_those_of_torch_29_and_later() {
    // From 2.9 the accessors are those of 2.15 (parameters_to_mutate exists); older
    // versions lack some of them, and are compared against torch 2.15 live by
    // scripts/torch_interop.sh.
    let mut compared = 0;
    for archive in archives() {
        let version = torch_version(&archive);
        let minor: u32 = version.split('.').nth(1).unwrap().parse().unwrap();
        if minor < 9 {
            continue;
        }
        let raw = support::specs(&read_json(&sibling(&archive, "specs.json")));
        if minor < 9 || raw != as_torch_json_keeps_it(&archive).into_parts() {
            continue;
        }
        let sig = graph_signature::read_path(&archive).unwrap();
        let ours = serde_json::to_value(sig.accessors()).unwrap();
        assert_eq!(ours, read_json(&sibling(&archive, "accessors.json")), "{}", archive.display());
        compared += 1;
    }
    assert!(compared >= 14, "only {compared} archives compared");
}

#[test]
fn every_torch_21_archive_reads_to_what_torch_21_computed() {
    let manifest = read_json(&fixtures_dir().join("archives/torch-2.1.2/MANIFEST.json"));
    let listed = manifest["archives"].as_object().unwrap();
    let mut compared = 0;
    for archive in archives().into_iter().filter(|a| is_torch_21(a)) {
        let stem = archive.file_stem().unwrap().to_str().unwrap();
        assert_eq!(listed[stem]["schema_version"], "1", "{stem}");
        let loaded =
            ReadOptions::default().read_path(&archive).unwrap_or_else(|e| panic!("{}: {e}", archive.display()));
        assert_eq!(loaded.kind, graph_signature::read::FileKind::Archive(pt2::Layout::LegacyZip));
        assert_eq!(loaded.torch_schema_version.map(|v| v.to_string()).as_deref(), Some("1.0"));
        let diff = differences_from_torch_21(&archive, &loaded.signature);
        assert!(diff.is_empty(), "{}: {}", archive.display(), diff.join("\n"));
        compared += 1;
    }
    assert_eq!(compared, listed.len(), "every archive torch 2.1 saved");
    assert!(compared >= 11, "only {compared}");
}

#[test]
fn a_torch_21_buffer_mutation_is_split_by_index_as_torch_22_did() {
    // torch 2.1 records only buffers_to_mutate; the first len(buffers_to_mutate) outputs are
    // the mutations, the rest user outputs (torch 2.2's _sig_to_specs).
    let archive = fixtures_dir().join("archives/torch-2.1.2/mutation.pt2");
    let sig = graph_signature::read_path(&archive).unwrap();
    let kinds: Vec<OutputKind> = sig.output_specs().iter().map(|s| s.kind).collect();
    assert_eq!(kinds, [OutputKind::BufferMutation, OutputKind::UserOutput]);
    assert_eq!(sig.output_specs()[0].target.as_deref(), Some("L__self___buf"));
    // A lifted constant tensor is the BUFFER torch 2.1 made of it.
    let sig = graph_signature::read_path(fixtures_dir().join("archives/torch-2.1.2/constant_tensor.pt2")).unwrap();
    assert_eq!(sig.input_specs()[0].kind, InputKind::Buffer);
    assert!(sig.lifted_tensor_constants().is_empty());
    // A SymInt output (a dynamic size) is a user output with its node's name.
    let sig = graph_signature::read_path(fixtures_dir().join("archives/torch-2.1.2/dynamic.pt2")).unwrap();
    assert_eq!(sig.output_specs()[1].arg, ArgumentSpec::SymInt { name: "sym_size".into() });
}

#[test]
fn torch_21_archives_are_classified_as_torch_22_classified_them() {
    // <m>.specs_by_torch_2.2.json: torch 2.2.2's own _sig_to_specs on what torch 2.1
    // recorded (scripts/classify_torch21_fixtures.py). torch 2.2 has no persistent flag;
    // the reader says true for every buffer (torch 2.1's state dict holds them all).
    let mut compared = 0;
    for archive in archives().into_iter().filter(|a| is_torch_21(a)) {
        let (inputs, outputs) = support::specs(&read_json(&sibling(&archive, "specs_by_torch_2.2.json")));
        let sig = graph_signature::read_path(&archive).unwrap();
        let ours_inputs: Vec<_> = sig
            .input_specs()
            .iter()
            .cloned()
            .map(|mut s| {
                assert_eq!(s.persistent, (s.kind == InputKind::Buffer).then_some(true), "{}", archive.display());
                s.persistent = None;
                s
            })
            .collect();
        assert_eq!(ours_inputs, inputs, "{}", archive.display());
        assert_eq!(sig.output_specs(), outputs.as_slice(), "{}", archive.display());
        compared += 1;
    }
    assert!(compared >= 11, "only {compared}");
}
