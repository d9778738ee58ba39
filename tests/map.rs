//! The archive map against what real torch said about its own archives, for every release
//! and both layouts: the payload index points at exactly the bytes torch saved (SHA-256 of
//! each storage, as `<m>.tensors.json` records it from `ep.state_dict` and `ep.constants`),
//! with torch's dtype, shape, strides, storage offset and shared storages; the metadata of
//! every placeholder and output is torch's; the range constraints are torch's; the caller
//! paths follow the module's pytree spec.

mod support;

use std::collections::HashMap;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use graph_signature::map::{ArchiveMap, Destination, Profile, Severity, Source, SymInt, ValueMeta};
use serde_json::Value;
use sha2::{Digest, Sha256};
use support::read_json;

fn sibling(archive: &Path, suffix: &str) -> PathBuf {
    let stem = archive.file_stem().unwrap().to_str().unwrap();
    archive.with_file_name(format!("{stem}.{suffix}"))
}

fn archives_with_facts() -> Vec<PathBuf> {
    support::torch_archives().into_iter().filter(|a| sibling(a, "tensors.json").exists()).collect()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn sha256_at(file: &Path, offset: u64, length: u64) -> String {
    let mut f = std::fs::File::open(file).unwrap();
    f.seek(SeekFrom::Start(offset)).unwrap();
    let mut bytes = vec![0u8; length as usize];
    f.read_exact(&mut bytes).unwrap();
    hex(&Sha256::digest(&bytes))
}

fn ints(v: &Value) -> Vec<i64> {
    v.as_array().unwrap().iter().map(|x| x.as_i64().unwrap()).collect()
}

#[test]
fn the_payload_index_points_at_the_bytes_torch_saved() {
    let (mut tensors, mut objects, mut shared) = (0, 0, 0);
    for archive in archives_with_facts() {
        let facts = read_json(&sibling(&archive, "tensors.json"));
        let map = ArchiveMap::open(&archive, None).unwrap_or_else(|e| panic!("{}: {e}", archive.display()));
        let mut groups: HashMap<i64, usize> = HashMap::new();
        for table in ["state_dict", "constants"] {
            // {"$missing": true}: the release has no such table (torch 2.1 and 2.2 have no ep.constants).
            let Some(entries) = facts[table].as_object().filter(|o| !o.contains_key("$missing")) else { continue };
            for (name, t) in entries {
                let at = format!("{} {table} {name}", archive.display());
                if let Some(class) = t.get("object") {
                    let o = map.payloads.objects.iter().find(|o| &o.name == name);
                    assert!(o.is_some(), "{at}: no object payload (a {class})");
                    objects += 1;
                    continue;
                }
                let p = map.payloads.tensor(name).unwrap_or_else(|| panic!("{at}: no payload"));
                assert_eq!(p.dtype.to_string(), t["dtype"].as_str().unwrap(), "{at}: dtype");
                assert_eq!(p.shape, ints(&t["shape"]), "{at}: shape");
                assert_eq!(p.strides, ints(&t["stride"]), "{at}: strides");
                assert_eq!(p.storage_offset, t["storage_offset"].as_i64().unwrap(), "{at}: storage offset");
                let s = map.payloads.storage_of(p);
                assert!(s.stored, "{at}: torch stores payloads uncompressed");
                assert_eq!(s.length, t["storage_nbytes"].as_u64().unwrap(), "{at}: storage length");
                assert_eq!(
                    sha256_at(&archive, s.offset, s.length),
                    t["storage_sha256"].as_str().unwrap(),
                    "{at}: bytes"
                );
                // Same storage group in torch <=> same storage here. Storages of no bytes
                // are exempt: torch 2.10+ saves every empty tensor of a program as one
                // 0-byte record (it groups storages by data pointer, 0 for all of them).
                let group = t["storage_group"].as_i64().unwrap();
                if s.length == 0 {
                    tensors += 1;
                    continue;
                }
                match groups.get(&group) {
                    Some(&storage) => {
                        assert_eq!(storage, p.storage, "{at}: torch shares this storage");
                        shared += 1;
                    }
                    None => {
                        assert!(!groups.values().any(|&s| s == p.storage), "{at}: a storage torch does not share");
                        groups.insert(group, p.storage);
                    }
                }
                tensors += 1;
            }
        }
    }
    assert!(tensors >= 370 && objects >= 3 && shared >= 10, "{tensors} tensors, {objects} objects, {shared} shared");
}

/// A size as the fixtures write it: an integer, or torch's expression text.
fn size_matches(ours: &SymInt, torch: &Value) -> bool {
    match (ours, torch) {
        (SymInt::Int(a), Value::Number(b)) => Some(*a) == b.as_i64(),
        (SymInt::Expr(e), Value::String(s)) => e.short == *s,
        _ => false,
    }
}

fn meta_matches(ours: &Option<ValueMeta>, torch: &Value) -> Result<(), String> {
    let kind = torch["kind"].as_str().unwrap_or("?");
    match (ours, kind) {
        (Some(ValueMeta::Tensor(t)), "tensor") => {
            let shape = torch["shape"].as_array().unwrap();
            let stride = torch["stride"].as_array().unwrap();
            let ok = t.dtype.to_string() == torch["dtype"].as_str().unwrap()
                && t.sizes.len() == shape.len()
                && t.sizes.iter().zip(shape).all(|(a, b)| size_matches(a, b))
                && t.strides.len() == stride.len()
                && t.strides.iter().zip(stride).all(|(a, b)| size_matches(a, b))
                && t.device.to_string() == torch["device"].as_str().unwrap();
            ok.then_some(()).ok_or_else(|| format!("{t:?} vs {torch}"))
        }
        (Some(ValueMeta::SymInt { value: SymInt::Expr(e) }), "SymInt") => {
            (Some(e.short.as_str()) == torch["value"].as_str()).then_some(()).ok_or_else(|| format!("{e:?} vs {torch}"))
        }
        (Some(ValueMeta::Constant { .. }), "int" | "float" | "bool" | "str" | "NoneType") => Ok(()),
        (Some(ValueMeta::CustomObj { .. }), "object") => Ok(()),
        (Some(ValueMeta::Token), _) => Ok(()),
        (other, _) => Err(format!("{other:?} vs {torch}")),
    }
}

#[test]
fn the_metadata_of_every_placeholder_and_output_is_torchs() {
    let mut compared = 0;
    for archive in archives_with_facts() {
        let facts = read_json(&sibling(&archive, "tensors.json"));
        let map = ArchiveMap::open(&archive, None).unwrap();
        let inputs = facts["graph_inputs"].as_array().unwrap();
        assert_eq!(inputs.len(), map.inputs_meta.len(), "{}", archive.display());
        for (i, (ours, torch)) in map.inputs_meta.iter().zip(inputs).enumerate() {
            if torch["val"]["kind"] == "$no_val" {
                continue;
            }
            meta_matches(ours, &torch["val"]).unwrap_or_else(|e| panic!("{} inputs[{i}]: {e}", archive.display()));
            compared += 1;
        }
        let outputs = facts["graph_outputs"].as_array().unwrap();
        assert_eq!(outputs.len(), map.outputs_meta.len(), "{}", archive.display());
        for (i, (ours, torch)) in map.outputs_meta.iter().zip(outputs).enumerate() {
            let Some(val) = torch.get("val").filter(|v| v["kind"] != "$no_val") else { continue };
            meta_matches(ours, val).unwrap_or_else(|e| panic!("{} outputs[{i}]: {e}", archive.display()));
            compared += 1;
        }
        // Range constraints, as torch has them in memory.
        let ranges = facts["range_constraints"].as_object().unwrap();
        let ours = &map.program.as_ref().unwrap().range_constraints;
        assert_eq!(ours.len(), ranges.len(), "{}", archive.display());
        for r in ours {
            let [min, max] = ranges[&r.symbol].as_array().unwrap().as_slice() else { panic!() };
            assert_eq!(r.min, min.as_i64(), "{} {}", archive.display(), r.symbol);
            if let Some(max) = max.as_i64() {
                assert_eq!(r.max, Some(max), "{} {}", archive.display(), r.symbol);
            }
        }
    }
    assert!(compared >= 1000, "only {compared} values compared");
}

#[test]
fn caller_paths_follow_the_pytree_spec_and_outputs_go_where_torch_sends_them() {
    for archive in archives_with_facts().into_iter().filter(|a| a.file_stem().unwrap() == "pytree") {
        let map = ArchiveMap::open(&archive, None).unwrap();
        let paths: Vec<String> = map
            .plan
            .inputs
            .iter()
            .filter_map(|b| match &b.source {
                Source::Caller { path } => {
                    Some(path.clone().unwrap_or_else(|| panic!("{}: {:?}", archive.display(), map.plan.notes)))
                }
                _ => None,
            })
            .collect();
        assert_eq!(
            paths,
            ["args[0]", "args[1]['k']", "args[1]['v'][0]", "args[1]['v'][1]", "kwargs['mask']"],
            "{}",
            archive.display()
        );
        let returned: Vec<String> = map
            .plan
            .outputs
            .iter()
            .filter_map(|b| match &b.destination {
                Destination::Caller { path } => path.clone(),
                _ => None,
            })
            .collect();
        assert!(!returned.is_empty(), "{}", archive.display());
    }
}

#[test]
fn every_archive_passes_the_checks_but_for_what_torch_itself_wrote() {
    let mut checked = 0;
    for archive in archives_with_facts() {
        let map = ArchiveMap::open(&archive, None).unwrap();
        let errors: Vec<_> =
            map.check(Profile::Default).into_iter().filter(|f| f.severity == Severity::Error).collect();
        assert!(errors.is_empty(), "{}: {errors:?}", archive.display());
        checked += 1;
    }
    assert!(checked >= 150, "only {checked} archives");
}
