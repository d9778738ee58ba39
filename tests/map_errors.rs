//! Bad archives given to the archive map: each is a typed error naming the record, never a
//! panic, never an index that points past a record. Each is a real torch archive with one
//! thing broken.

mod support;

use std::io::{Cursor, Write};

use graph_signature::archive::pt2::Archive;
use graph_signature::map::ArchiveMap;
use graph_signature::Error;

/// Every record of a zip, in order (read with the independent `zip` crate).
fn records(bytes: &[u8]) -> Vec<(String, Vec<u8>)> {
    support::zip_records(bytes).into_iter().map(|(name, data, _)| (name, data)).collect()
}

/// A zip of `records`, STORED, as torch writes.
fn rezip(records: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for (name, data) in records {
        w.start_file(name.as_str(), opts).unwrap();
        w.write_all(data).unwrap();
    }
    w.finish().unwrap().into_inner()
}

fn fixture(rel: &str) -> Vec<u8> {
    std::fs::read(support::fixtures_dir().join(rel)).unwrap()
}

/// `archive` with record `name` changed by `edit`.
fn with_record(archive: &[u8], name: &str, edit: impl Fn(Vec<u8>) -> Vec<u8>) -> Vec<u8> {
    let mut recs = records(archive);
    let r = recs.iter_mut().find(|(n, _)| n == name).unwrap_or_else(|| panic!("no record {name}"));
    r.1 = edit(std::mem::take(&mut r.1));
    rezip(&recs)
}

fn replace(bytes: Vec<u8>, from: &str, to: &str) -> Vec<u8> {
    let text = String::from_utf8(bytes).unwrap();
    assert!(text.contains(from), "{from:?} not found");
    text.replacen(from, to, 1).into_bytes()
}

fn map_of(bytes: Vec<u8>) -> Result<ArchiveMap, Error> {
    let mut archive = Archive::new(Cursor::new(bytes))?;
    ArchiveMap::build(&mut archive, "model")
}

fn refused(bytes: Vec<u8>, words: &[&str]) {
    let err = map_of(bytes).map(|_| ()).expect_err("the broken archive was mapped").to_string();
    for w in words {
        assert!(err.contains(w), "the error does not say {w:?}: {err}");
    }
}

const PT2: &str = "archives/torch-2.15.0/linear.pt2";
const CONFIG: &str = "linear/data/weights/model_weights_config.json";

#[test]
fn a_config_naming_a_missing_record_is_refused_naming_it() {
    let bad = with_record(&fixture(PT2), CONFIG, |c| replace(c, "\"weight_0\"", "\"weight_99\""));
    refused(bad, &[CONFIG, "linear/data/weights/weight_99", "does not hold"]);
    let bad = with_record(&fixture(PT2), CONFIG, |c| replace(c, "\"weight_0\"", "\"../../etc/passwd\""));
    refused(bad, &[CONFIG, "is not a record name"]);
}

#[test]
fn a_view_past_its_record_is_refused_naming_the_record_and_the_tensor() {
    // lin.weight is a 4x4 float32: 64 bytes. Claim 400 rows.
    let bad = with_record(&fixture(PT2), CONFIG, |c| {
        replace(c, "\"sizes\": [{\"as_int\": 4}", "\"sizes\": [{\"as_int\": 400}")
    });
    refused(bad, &["linear/data/weights/weight_0", "\"lin.weight\"", "reaches past the record's 64 bytes"]);
    let bad = with_record(&fixture(PT2), CONFIG, |c| {
        replace(c, "\"storage_offset\": {\"as_int\": 0}", "\"storage_offset\": {\"as_int\": 9223372036854775807}")
    });
    refused(bad, &["linear/data/weights/weight_0", "reaches past"]);
}

/// A legacy archive whose nested state dict's `data.pkl` is changed by `edit`.
fn legacy_with_pickle(edit: impl Fn(Vec<u8>) -> Vec<u8>) -> Vec<u8> {
    with_record(&fixture("archives/torch-2.5.1/linear.pt2"), "serialized_state_dict.pt", |nested| {
        let mut recs = records(&nested);
        let pkl = recs.iter_mut().find(|(n, _)| n.ends_with("/data.pkl")).unwrap();
        pkl.1 = edit(std::mem::take(&mut pkl.1));
        rezip(&recs)
    })
}

#[test]
fn a_pickle_with_a_forbidden_global_or_opcode_is_refused_naming_it() {
    let bad = legacy_with_pickle(|p| {
        let i = p.windows(23).position(|w| w == b"collections\nOrderedDict").unwrap();
        let mut out = p[..i].to_vec();
        out.extend_from_slice(b"os\nsystem");
        out.extend_from_slice(&p[i + 23..]);
        out
    });
    refused(bad, &["serialized_state_dict.pt", "data.pkl", "os.system"]);
    let bad = legacy_with_pickle(|mut p| {
        let stop = p.iter().rposition(|&b| b == b'.').unwrap();
        p[stop] = 0xff; // not an opcode
        p
    });
    refused(bad, &["serialized_state_dict.pt", "data.pkl"]);
}

#[test]
fn a_storage_whose_size_disagrees_with_its_record_is_refused() {
    // The pickle claims 16 elements for the weight's storage; give the record 4 bytes.
    let bad = with_record(&fixture("archives/torch-2.5.1/linear.pt2"), "serialized_state_dict.pt", |nested| {
        let mut recs = records(&nested);
        let data = recs.iter_mut().find(|(n, _)| n.ends_with("/data/0")).unwrap();
        data.1.truncate(4);
        rezip(&recs)
    });
    refused(bad, &["serialized_state_dict.pt", "/data/0", "the record has 4 bytes"]);
}

#[test]
fn a_nested_record_past_the_end_is_refused_naming_it() {
    // The nested zip's central directory points its first record past the end.
    let bad = with_record(&fixture("archives/torch-2.5.1/linear.pt2"), "serialized_state_dict.pt", |mut nested| {
        let cd = nested.windows(4).position(|w| w == b"PK\x01\x02").unwrap();
        nested[cd + 42..cd + 46].copy_from_slice(&0x7fff_ffffu32.to_le_bytes());
        nested
    });
    refused(bad, &["serialized_state_dict.pt"]);
}

#[test]
fn every_truncation_of_a_real_archive_is_an_error_or_the_same_map() {
    let good = fixture(PT2);
    let whole = map_of(good.clone()).unwrap();
    for cut in (0..good.len()).step_by(97) {
        match map_of(good[..cut].to_vec()) {
            Ok(map) => assert_eq!(map, whole, "cut at {cut}"),
            Err(Error::Decode { .. } | Error::Io { .. } | Error::Unrecognized { .. } | Error::Limit { .. }) => {}
            Err(other) => panic!("cut at {cut}: {other:?}"),
        }
    }
}
