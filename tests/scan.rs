//! `graph_signature::scan` on real torch archives of every release, on the same archives
//! with a call planted where a loader unpickles, on hostile and broken input.

mod support;

use std::path::{Path, PathBuf};

use graph_signature::scan::{
    files_under, scan_bytes, scan_path, scan_paths, FileFormat, FileReport, LoadMode, Options, Role, Verdict,
};
use support::hostile::{self, Record};

fn archives() -> Vec<PathBuf> {
    files_under(support::fixtures_dir().join("archives")).unwrap()
}

fn scan(path: &Path) -> FileReport {
    scan_path(path, &Options::default()).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn read(path: &str) -> Vec<u8> {
    std::fs::read(support::fixtures_dir().join(path)).unwrap()
}

/// GLOBAL builtins.open + REDUCE + POP, then the original pickle without its PROTO.
fn planted(pickle: &[u8]) -> Vec<u8> {
    let mut out = b"\x80\x02cbuiltins\nopen\n(X\x0b\x00\x00\x00/tmp/markerX\x01\x00\x00\x00wtR0".to_vec();
    out.extend_from_slice(if pickle.starts_with(b"\x80") { &pickle[2..] } else { pickle });
    out
}

/// `zip` with every record named by `change` replaced by what it returns (records STORED).
fn rewrite(zip: &[u8], change: &dyn Fn(&str, Vec<u8>) -> Vec<u8>) -> Vec<u8> {
    use std::io::{Cursor, Read, Write};
    let mut src = zip::ZipArchive::new(Cursor::new(zip)).unwrap();
    let mut out = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for i in 0..src.len() {
        let mut f = src.by_index(i).unwrap();
        let name = f.name().unwrap().into_owned();
        let mut body = Vec::new();
        f.read_to_end(&mut body).unwrap();
        let body = change(&name, body);
        out.start_file(name, opts).unwrap();
        out.write_all(&body).unwrap();
    }
    out.finish().unwrap().into_inner()
}

/// A torch.save zip with its data.pkl planted.
fn plant_torch_save(zip: Vec<u8>) -> Vec<u8> {
    rewrite(&zip, &|name, body| if name.ends_with("/data.pkl") { planted(&body) } else { body })
}

fn planted_global_named(report: &FileReport, name: &str) -> bool {
    report.pickles.iter().any(|p| {
        p.verdict == Verdict::Dangerous && p.globals.iter().any(|g| g.name == name && g.standing == "not-allowed")
    })
}

#[test]
fn every_archive_of_every_release_is_safe_or_needs_trust() {
    let all = archives();
    assert!(all.len() >= 200, "{} archives", all.len());
    for path in &all {
        let r = scan(path);
        assert_eq!(r.format, FileFormat::Pt2, "{}", path.display());
        assert!(!r.pickles.is_empty(), "{}: no pickle found", path.display());
        let want = if path.ends_with("opaque.pt2") { Verdict::NeedsTrust } else { Verdict::Safe };
        assert_eq!(r.verdict, want, "{}: {}", path.display(), r.reason);
        if want == Verdict::NeedsTrust {
            let classes: Vec<&str> = r.pickles.iter().flat_map(|p| p.classes.iter().map(String::as_str)).collect();
            assert_eq!(classes, ["graphsig_opaque.Scale"], "{}", path.display());
        }
    }
}

#[test]
fn archives_say_their_layout_release_and_loaders() {
    let dir = support::fixtures_dir().join("archives");
    let r = scan(&dir.join("torch-2.15.0/linear.pt2"));
    assert_eq!(r.layout, Some("pt2-archive"));
    assert_eq!(r.release.as_deref(), Some("torch 2.12 to 2.15 (schema 8.20)"));
    let sample = &r.pickles[0];
    assert_eq!(sample.location, ["linear/data/sample_inputs/model.pt", "archive/data.pkl"]);
    assert_eq!((sample.loader.role, sample.loader.mode), (Role::SampleInputs, LoadMode::FullPickle));
    assert!(sample.loader.how.contains("weights_only=True, then weights_only=False"), "{}", sample.loader.how);

    let r = scan(&dir.join("torch-2.5.1/consts_io.pt2"));
    assert_eq!(r.layout, Some("legacy-zip"));
    assert_eq!(r.release.as_deref(), Some("torch 2.5 (schema 7.3)"));
    let roles: Vec<Role> = r.pickles.iter().map(|p| p.loader.role).collect();
    assert_eq!(roles, [Role::StateDict, Role::Constants, Role::SampleInputs]);
    assert!(r.pickles.iter().all(|p| p.loader.how.contains("full pickle in torch 2.1 to 2.4")));

    let r = scan(&dir.join("torch-2.1.2/linear.pt2"));
    assert_eq!(r.release.as_deref(), Some("torch 2.1"));
    assert_eq!(r.pickles[0].location, ["serialized_state_dict.json", "archive/data.pkl"]);
}

#[test]
fn a_call_planted_where_a_loader_unpickles_is_dangerous_and_named() {
    let dir = support::fixtures_dir().join("archives");
    // PT2 sample inputs (torch 2.15), legacy state dict, constants and example inputs (2.5).
    let pt2 = std::fs::read(dir.join("torch-2.15.0/linear.pt2")).unwrap();
    let bad = rewrite(&pt2, &|n, b| if n.ends_with("sample_inputs/model.pt") { plant_torch_save(b) } else { b });
    let r = scan_bytes(&bad, "planted.pt2", &Options::default());
    assert_eq!(r.verdict, Verdict::Dangerous, "{}", r.reason);
    assert!(planted_global_named(&r, "builtins.open"));
    assert!(r.reason.starts_with("linear/data/sample_inputs/model.pt > archive/data.pkl: imports builtins.open"));
    let call = &r.pickles[0].calls[0];
    assert_eq!((call.opcode, call.target.as_str(), call.standing), ("REDUCE", "builtins.open", "not-allowed"));

    let legacy = std::fs::read(dir.join("torch-2.5.1/consts_io.pt2")).unwrap();
    for record in ["serialized_state_dict.pt", "serialized_constants.pt", "serialized_example_inputs.pt"] {
        let bad = rewrite(&legacy, &|n, b| if n == record { plant_torch_save(b) } else { b });
        let r = scan_bytes(&bad, "planted.pt2", &Options::default());
        assert_eq!(r.verdict, Verdict::Dangerous, "{record}");
        let p = r.pickles.iter().find(|p| p.location[0] == record).unwrap();
        assert_eq!(p.verdict, Verdict::Dangerous, "{record}");
        // The other two records stay safe.
        assert_eq!(r.pickles.iter().filter(|p| p.verdict == Verdict::Safe).count(), 2, "{record}");
    }

    // An opaque object (pickle.loads), planted.
    let opaque = std::fs::read(dir.join("torch-2.15.0/opaque.pt2")).unwrap();
    let bad = rewrite(&opaque, &|n, b| if n.contains("opaque_obj_") { planted(&b) } else { b });
    let r = scan_bytes(&bad, "planted.pt2", &Options::default());
    assert_eq!(r.verdict, Verdict::Dangerous);
    assert_eq!(r.pickles[0].loader.role, Role::OpaqueObject);
}

#[test]
fn an_opaque_object_of_a_class_the_program_does_not_declare_is_dangerous() {
    let opaque = std::fs::read(support::fixtures_dir().join("archives/torch-2.15.0/opaque.pt2")).unwrap();
    let swapped = rewrite(&opaque, &|n, b| {
        if n.contains("opaque_obj_") {
            // The same shape (NEWOBJ, BUILD), another class.
            let (from, to): (&[u8], &[u8]) = (b"graphsig_opaque\nScale", b"subprocess\nPopen");
            let at = b.windows(from.len()).position(|w| w == from).unwrap();
            [&b[..at], to, &b[at + from.len()..]].concat()
        } else {
            b
        }
    });
    let r = scan_bytes(&swapped, "swapped.pt2", &Options::default());
    assert_eq!(r.verdict, Verdict::Dangerous, "{}", r.reason);
    assert!(planted_global_named(&r, "subprocess.Popen"));
}

#[test]
fn a_script_object_called_with_reduce_is_dangerous() {
    // torch.ScriptObject made by NEWOBJ and BUILD needs trust; called by REDUCE it is not a
    // pickled custom object but a call of the pickle's choosing.
    let newobj = b"\x80\x02ctorch\nScriptObject\n)\x81G@\x08\x00\x00\x00\x00\x00\x00X\x29\x00\x00\x00__torch__.torch.classes.graphsig_tb.Scale\x86b.";
    let r = scan_bytes(newobj, "obj.pkl", &Options::default());
    assert_eq!(r.verdict, Verdict::NeedsTrust, "{}", r.reason);
    assert_eq!(r.pickles[0].classes, ["__torch__.torch.classes.graphsig_tb.Scale"]);
    let reduce = b"\x80\x02ctorch\nScriptObject\n)R.";
    assert_eq!(scan_bytes(reduce, "obj.pkl", &Options::default()).verdict, Verdict::Dangerous);
}

#[test]
fn the_synthetic_pickles_get_the_verdict_of_their_globals() {
    let dir = support::fixtures_dir().join("pickle/synthetic");
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "pkl") {
            continue;
        }
        let stem = path.file_stem().unwrap().to_str().unwrap().to_owned();
        let r = scan(&path);
        // Only values-p4 and -p5 stay within the weights-only list: the others name
        // builtins.bytes or builtins.frozenset (protocols 0 to 3), the hand-made state dicts
        // torch.UntypedStorage (torch writes torch.FloatStorage and the like; the list has
        // torch.storage.UntypedStorage), and the rest os.system, builtins.open, an
        // extension code, a plain class.
        let want = if stem == "values-p4" || stem == "values-p5" { Verdict::Safe } else { Verdict::Dangerous };
        assert_eq!(r.verdict, want, "{stem}: {}", r.reason);
        seen += 1;
    }
    assert!(seen >= 20, "{seen}");
}

#[test]
fn truncated_and_corrupted_input_is_malformed_never_a_panic() {
    let sources = [
        read("archives/torch-2.15.0/opaque.pt2"),
        read("archives/torch-2.5.1/consts_io.pt2"),
        read("archives/torch-2.1.2/mlp.pt2"),
        read("pickle/synthetic/state_dict-p2.pkl"),
    ];
    for (s, bytes) in sources.iter().enumerate() {
        for cut in (1..bytes.len()).step_by((bytes.len() / 97).max(1)) {
            let r = scan_bytes(&bytes[..cut], "cut.pt2", &Options::default());
            assert!(r.verdict >= Verdict::Malformed, "source {s} cut at {cut}: {:?} {}", r.verdict, r.reason);
        }
        // Flipped bytes: any verdict, never a panic; the deterministic walk covers every region.
        let mut state = 0x2545_f491_4f6c_dd1du64;
        for _ in 0..300 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let mut b = bytes.clone();
            let at = (state as usize) % b.len();
            b[at] ^= (state >> 32) as u8 | 1;
            let _ = scan_bytes(&b, "flipped.pt2", &Options::default());
        }
    }
}

#[test]
fn zips_nested_past_the_limit_are_malformed() {
    let mut inner = hostile::zip(&[Record::stored("archive/data.pkl", b"\x80\x02}.")]);
    for level in 0..6 {
        let name = format!("level{level}/nested.pt");
        inner = hostile::zip(&[Record::stored(&name, &inner)]);
    }
    let r = scan_bytes(&inner, "deep.zip", &Options::default());
    assert_eq!(r.verdict, Verdict::Malformed, "{}", r.reason);
    assert!(r.reason.contains("nested deeper than 4"), "{}", r.reason);
}

#[test]
fn a_deflate_bomb_in_a_nested_record_is_refused_before_inflating() {
    let bomb = hostile::deflate_bomb(64);
    let archive = hostile::zip(&[
        Record::stored("serialized_exported_program.json", b"{}"),
        Record {
            name: "serialized_state_dict.pt",
            stored: bomb,
            method: 8,
            declared_size: 1 << 20,
            crc: 0,
            offset: None,
        },
    ]);
    let r = scan_bytes(&archive, "bomb.pt2", &Options::default());
    assert_eq!(r.verdict, Verdict::Malformed, "{}", r.reason);
    assert!(r.reason.contains("inflates to more than"), "{}", r.reason);
}

#[test]
fn the_legacy_torch_save_format_is_five_pickles() {
    // torch.save(..., _use_new_zipfile_serialization=False): magic, protocol, sys_info, the
    // object, the storage keys, then raw storages.
    let mut file = b"\x80\x02\x8a\x0a\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19.".to_vec();
    file.extend_from_slice(b"\x80\x02M\xe9\x03.");
    file.extend_from_slice(b"\x80\x02}q\x00X\x10\x00\x00\x00protocol_versionq\x01M\xe9\x03s.");
    file.extend_from_slice(b"\x80\x02ccollections\nOrderedDict\nq\x00)Rq\x01.");
    file.extend_from_slice(b"\x80\x02]q\x00.");
    file.extend_from_slice(&[0x80, 0x02, 0xff, 0xff, 0, 0, 0, 0]); // raw storage bytes
    let r = scan_bytes(&file, "legacy.pt", &Options::default());
    assert_eq!(r.format, FileFormat::TorchSaveLegacy);
    assert_eq!(r.pickles.len(), 5);
    assert_eq!(r.verdict, Verdict::Safe, "{}", r.reason);
}

#[test]
fn safetensors_headers_are_checked() {
    let good = support::fixtures_dir().join("safetensors/linear.safetensors");
    let r = scan(&good);
    assert_eq!((r.format, r.verdict), (FileFormat::Safetensors, Verdict::Safe), "{}", r.reason);
    let mut bytes = std::fs::read(&good).unwrap();
    let len = bytes.len();
    bytes.truncate(len - 1);
    let r = scan_bytes(&bytes, "cut.safetensors", &Options::default());
    assert_eq!(r.verdict, Verdict::Malformed, "{}", r.reason);
}

#[test]
fn a_directory_is_scanned_in_parallel_in_order() {
    let dir = support::fixtures_dir().join("archives/torch-2.15.0");
    let missing = dir.join("no-such.pt2");
    let run = scan_paths(&[dir.clone(), missing], &Options::default(), 3, &|_| {});
    assert_eq!(run.files.len(), files_under(&dir).unwrap().len());
    assert!(run.files.windows(2).all(|w| w[0].path < w[1].path));
    assert_eq!(run.errors.len(), 1);
    assert_eq!(run.totals.needs_trust, 1);
    assert_eq!(run.worst(), Verdict::NeedsTrust);
    let json: serde_json::Value = serde_json::from_str(&run.to_json()).unwrap();
    assert_eq!((json["schema"].as_str(), json["version"].as_str()), (Some("graphsig-scan"), Some("1.0")));
}
