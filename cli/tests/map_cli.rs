//! `graphsig map` as a user runs it: the text form, the JSON contract of docs/cli.md, and
//! the exit status of each outcome.

#[path = "../../tests/support/mod.rs"]
mod support;

use std::io::{Cursor, Read, Write};
use std::process::{Command, Output};

fn run(args: &[&str]) -> Output {
    Command::new(support::graphsig_bin()).args(args).env("NO_COLOR", "1").output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn the_shipped_archive_maps_with_every_check_passing() {
    let tinynet = support::repo_root().join("examples/tinynet.pt2");
    let out = run(&["map", tinynet.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let t = text(&out.stdout);
    for words in
        ["payload proj.weight", "caller args[0]", "write back into BUFFER steps", "torch.int64", "checks: all passed"]
    {
        assert!(t.contains(words), "the map does not say {words:?}:\n{t}");
    }
    assert!(t.ends_with('\n'));
    let out = run(&["map", "--json", tinynet.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["map_version"], 1);
    assert_eq!(json["layout"], "pt2-archive");
    assert_eq!(json["inputs"][6]["source"], serde_json::json!({"from": "caller", "path": "args[0]"}));
    assert_eq!(
        json["inputs"][0]["source"],
        serde_json::json!({"from": "payload", "target": "proj.weight", "found": true})
    );
    assert_eq!(
        json["outputs"][0]["destination"],
        serde_json::json!({"to": "write_back", "kind": "BUFFER", "target": "steps"})
    );
    let weight = &json["tensors"][0];
    assert_eq!((weight["name"].as_str(), weight["dtype"].as_str()), (Some("proj.weight"), Some("torch.float32")));
    let storage = &json["storages"][weight["storage"].as_u64().unwrap() as usize];
    // The bytes there are the weight's: the archive's record, read with the zip crate.
    let bytes = std::fs::read(&tinynet).unwrap();
    let mut z = zip::ZipArchive::new(Cursor::new(&bytes)).unwrap();
    let mut record = Vec::new();
    z.by_name(storage["record"].as_str().unwrap()).unwrap().read_to_end(&mut record).unwrap();
    let (at, len) = (storage["offset"].as_u64().unwrap() as usize, storage["length"].as_u64().unwrap() as usize);
    assert!(bytes[at..at + len] == record[..], "the offset does not point at the record's bytes");
    assert_eq!(json["checks"], serde_json::json!([]));
}

#[test]
fn a_failed_check_exits_1_and_an_unreadable_file_2() {
    // Drop one weight from the archive's payload config: the signature's parameter has no
    // payload.
    let bytes = std::fs::read(support::repo_root().join("examples/tinynet.pt2")).unwrap();
    let mut z = zip::ZipArchive::new(Cursor::new(&bytes)).unwrap();
    let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for i in 0..z.len() {
        let mut f = z.by_index(i).unwrap();
        let name: String = f.name().unwrap().into();
        let mut data = Vec::new();
        f.read_to_end(&mut data).unwrap();
        if name.ends_with("model_weights_config.json") {
            let mut config: serde_json::Value = serde_json::from_slice(&data).unwrap();
            config["config"].as_object_mut().unwrap().remove("norm.bias").unwrap();
            data = serde_json::to_vec(&config).unwrap();
        }
        w.start_file(name, opts).unwrap();
        w.write_all(&data).unwrap();
    }
    let dir = std::env::temp_dir().join(format!("graphsig-map-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let broken = dir.join("missing.pt2");
    std::fs::write(&broken, w.finish().unwrap().into_inner()).unwrap();
    let out = run(&["map", broken.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let t = text(&out.stdout);
    assert!(t.contains("error: inputs[3]: no payload for the PARAMETER \"norm.bias\" [map-missing-payload]"), "{t}");
    let garbage = dir.join("garbage.pt2");
    std::fs::write(&garbage, b"PK\x03\x04 not really").unwrap();
    let out = run(&["map", garbage.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).starts_with("graphsig: error: "), "{}", text(&out.stderr));
    assert!(out.stdout.is_empty());
    std::fs::remove_dir_all(dir).unwrap();
}
