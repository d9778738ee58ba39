//! Embedding signatures in real archives: `.pt2` files written by torch 2.1 to 2.15 (both layouts) and
//! `.safetensors` files written by the safetensors library. Every original byte stays,
//! writes are atomic, and what we embed reads back. (That torch and safetensors still load
//! the results is checked against the real libraries by `scripts/torch_interop.sh`.)

mod support;

use std::io::Cursor;
use std::path::PathBuf;

use graph_signature::archive::atomic::WriteOptions;
use graph_signature::archive::{pt2, safetensors};
use graph_signature::codec::{self, Format};
use graph_signature::Error;
use support::fixtures_dir;

fn scratch_dir(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("graphsig-embed-{test}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn archives() -> Vec<PathBuf> {
    support::torch_archives()
}

#[test]
fn embedding_in_every_torch_archive_keeps_every_record_and_reads_back() {
    let dir = scratch_dir("pt2");
    let (mut checked, mut torch_21) = (0, 0);
    for archive in archives() {
        torch_21 += usize::from(archive.parent().unwrap().ends_with("torch-2.1.2"));
        let original = std::fs::read(&archive).unwrap();
        let read = pt2::read_path(&archive).unwrap().remove(0);
        let out = dir.join(archive.file_name().unwrap());
        let payload = codec::encode(&read.signature, Format::Json).unwrap();
        pt2::embed(&archive, &out, &read.name, &payload, &WriteOptions::default()).unwrap();
        let embedded = std::fs::read(&out).unwrap();

        // Every original record: same name, same bytes, same place, same order.
        let before = support::zip_records(&original);
        let after = support::zip_records(&embedded);
        assert_eq!(&after[..before.len()], &before[..], "{}", archive.display());
        assert_eq!(after.len(), before.len() + 1);
        let (name, data, start) = &after[before.len()];
        assert_eq!(name, &pt2::embedded_record(&read.layout, &read.name));
        assert_eq!(data, &payload);
        assert_eq!(start % 64, 0, "embedded record data is 64-byte aligned");
        assert!(std::str::from_utf8(data).is_ok(), "torch reads extra/ records as UTF-8 text");

        // It reads back, and the archive's own signature is still read as before.
        let back = pt2::read_embedded(Cursor::new(&embedded)).unwrap();
        assert_eq!(back.len(), 1);
        assert_eq!(codec::decode(&back[0].1, Format::Json).unwrap(), read.signature);
        assert_eq!(pt2::read(Cursor::new(&embedded)).unwrap()[0], read);
        checked += 1;
    }
    assert!(checked >= 60, "only {checked} archives");
    assert!(torch_21 >= 11, "only {torch_21} archives of torch 2.1 (its legacy zip with serialized_state_dict.json)");
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_failed_embed_leaves_the_archive_and_no_temporary_file() {
    let dir = scratch_dir("atomic");
    let archive = dir.join("linear.pt2");
    std::fs::copy(fixtures_dir().join("archives/torch-2.15.0/linear.pt2"), &archive).unwrap();
    let before = std::fs::read(&archive).unwrap();
    // No such model: refused before anything is written.
    let in_place = WriteOptions { in_place: true, ..WriteOptions::default() };
    let err = pt2::embed(&archive, &archive, "nope", b"{}", &in_place).unwrap_err();
    assert_eq!(err.to_string(), "no model named \"nope\"; the archive holds model");
    // A truncated archive: refused, nothing written.
    let truncated = dir.join("truncated.pt2");
    std::fs::write(&truncated, &before[..before.len() / 2]).unwrap();
    assert!(matches!(pt2::embed(&truncated, &truncated, "model", b"{}", &in_place), Err(Error::Decode { .. })));
    assert_eq!(std::fs::read(&archive).unwrap(), before);
    let mut left: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name()).collect();
    left.sort();
    assert_eq!(left, ["linear.pt2", "truncated.pt2"], "temporary files left behind");
    std::fs::remove_dir_all(dir).unwrap();
}

/// The tensor data of a safetensors file (everything after the header).
fn tensor_data(bytes: &[u8]) -> &[u8] {
    let n = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
    &bytes[8 + n..]
}

fn header(bytes: &[u8]) -> serde_json::Value {
    let n = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
    serde_json::from_slice(&bytes[8..8 + n]).unwrap()
}

#[test]
fn embedding_in_safetensors_keeps_every_tensor_and_the_metadata() {
    let dir = scratch_dir("safetensors");
    let sig = pt2::read_path(fixtures_dir().join("archives/torch-2.15.0/linear.pt2")).unwrap().remove(0).signature;
    let text = String::from_utf8(codec::encode(&sig, Format::Json).unwrap()).unwrap();
    for name in ["linear.safetensors", "no_metadata.safetensors"] {
        let input = fixtures_dir().join("safetensors").join(name);
        let out = dir.join(name);
        assert_eq!(safetensors::read_embedded_path(&input).unwrap(), None);
        safetensors::embed(&input, &out, &text, &WriteOptions::default()).unwrap();
        let (before, after) = (std::fs::read(&input).unwrap(), std::fs::read(&out).unwrap());
        assert_eq!(tensor_data(&after), tensor_data(&before), "{name}: tensor bytes changed");
        let (h0, mut h1) = (header(&before), header(&after));
        let meta = h1["__metadata__"].as_object_mut().unwrap().remove(safetensors::METADATA_KEY).unwrap();
        assert_eq!(meta.as_str(), Some(text.as_str()));
        if h1["__metadata__"].as_object().unwrap().is_empty() && h0.get("__metadata__").is_none() {
            h1.as_object_mut().unwrap().remove("__metadata__");
        }
        assert_eq!(h1, h0, "{name}: other header entries changed");
        assert_eq!((8 + u64::from_le_bytes(after[..8].try_into().unwrap())) % 8, 0, "data stays 8-byte aligned");
        let back = safetensors::read_embedded_path(&out).unwrap().unwrap();
        assert_eq!(codec::decode(back.as_bytes(), Format::Json).unwrap(), sig);
        // Embedding in place, twice, replaces the entry.
        safetensors::embed(&out, &out, &text, &WriteOptions { in_place: true, ..WriteOptions::default() }).unwrap();
        assert_eq!(std::fs::read(&out).unwrap(), after);
    }
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn bad_safetensors_are_typed_errors() {
    let good = std::fs::read(fixtures_dir().join("safetensors/linear.safetensors")).unwrap();
    let mut huge = good.clone();
    huge[..8].copy_from_slice(&u64::MAX.to_le_bytes());
    let mut not_json = good.clone();
    not_json[9] = b'!';
    for bytes in [&good[..4], &good[..20], &huge[..], &not_json[..]] {
        match safetensors::read_embedded(Cursor::new(bytes), Some(bytes.len() as u64)) {
            Err(Error::Decode { .. } | Error::Limit { .. }) => {}
            other => panic!("{other:?}"),
        }
    }
}
