//! `graphsig convert` across every format, through files and pipes, and `graphsig inspect`
//! on every format.

#[path = "../../tests/codec_common/mod.rs"]
mod codec_common;
#[path = "../../tests/support/mod.rs"]
mod support;

use std::path::PathBuf;
use std::process::Output;

use codec_common::golden_signatures;
use graph_signature::codec::{self, Format};
use support::graphsig;

fn ok(out: Output) -> Vec<u8> {
    assert!(out.status.success(), "graphsig failed: {}", String::from_utf8_lossy(&out.stderr));
    out.stdout
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("graphsig-codec-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

const EXTENSIONS: [(&str, Format); 4] =
    [("json", Format::Json), ("pb", Format::Proto), ("gsig", Format::Fbs), ("bincode", Format::Bincode)];

#[test]
fn convert_between_every_pair_of_formats_through_files_keeps_the_signature() {
    let (_, sig) = golden_signatures().remove(2);
    for (from_ext, from) in EXTENSIONS {
        let input = scratch(&format!("in.{from_ext}"));
        std::fs::write(&input, codec::encode(&sig, from).unwrap()).unwrap();
        for (to_ext, to) in EXTENSIONS {
            let output = scratch(&format!("out-{from_ext}.{to_ext}"));
            ok(graphsig(&["convert", input.to_str().unwrap(), output.to_str().unwrap()], None));
            let bytes = std::fs::read(&output).unwrap();
            assert_eq!(bytes, codec::encode(&sig, to).unwrap(), "{from} -> {to}");
        }
    }
}

#[test]
fn convert_reads_stdin_and_writes_stdout_with_explicit_formats() {
    let (_, sig) = golden_signatures().remove(1);
    let proto = codec::encode(&sig, Format::Proto).unwrap();
    let fbs = ok(graphsig(&["convert", "-", "-", "--from", "proto", "--to", "fbs"], Some(&proto)));
    assert_eq!(codec::decode(&fbs, Format::Fbs).unwrap(), sig);
    let json = ok(graphsig(&["convert", "-", "-", "--to", "json"], Some(&fbs)));
    assert_eq!(json, codec::encode(&sig, Format::Json).unwrap());
}

#[test]
fn convert_reads_torch_json_and_tells_it_from_ours_by_content() {
    let example = support::repo_root().join("examples/batchnorm.model.json");
    let torch = std::fs::read(&example).unwrap();
    let ours = ok(graphsig(&["convert", example.to_str().unwrap(), "-", "--to", "json"], None));
    let want = codec::decode(&torch, Format::TorchJson).unwrap();
    assert_eq!(codec::decode(&ours, Format::Json).unwrap(), want);
    // Both are .json files; content decides.
    let ours_file = scratch("ours.json");
    std::fs::write(&ours_file, &ours).unwrap();
    let back = ok(graphsig(&["convert", ours_file.to_str().unwrap(), "-", "--to", "proto"], None));
    assert_eq!(codec::decode(&back, Format::Proto).unwrap(), want);
}

#[test]
fn inspect_prints_the_same_text_for_every_format() {
    let (_, sig) = golden_signatures().remove(2);
    let want = format!("{sig}\n");
    for (_, format) in EXTENSIONS {
        let out = ok(graphsig(&["inspect", "-"], Some(&codec::encode(&sig, format).unwrap())));
        assert_eq!(String::from_utf8(out).unwrap(), want, "{format}");
    }
}

#[test]
fn convert_errors_name_the_problem() {
    let out = graphsig(&["convert", "-", "-", "--from", "proto"], Some(b"x"));
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(String::from_utf8_lossy(&out.stderr), "graphsig: error: give the format of standard output with --to\n");
    let out = graphsig(&["convert", "-", "-", "--from", "bincode", "--to", "json"], Some(b"GSBC\x02\x00\x00\x00"));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "graphsig: error: <stdin>: bincode schema version 2.0 is not supported (this build reads 1.x, writes 1.0 and 1.1)\n"
    );
    let out = graphsig(&["convert", "-", "-", "--from", "yaml", "--to", "json"], Some(b""));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("invalid value 'yaml'") && err.contains("json, proto, fbs, bincode, torch-json"), "{err}");
}

#[test]
fn stream_validates_and_copies_a_framed_stream() {
    let golden = support::repo_root().join("tests/golden/v1.0/all.pbs");
    let stream = std::fs::read(&golden).unwrap();
    assert_eq!(ok(graphsig(&["stream", "-", "-"], Some(&stream))), stream);
    let out = graphsig(&["stream", "-", "-"], Some(&[0xff, 0xff, 0xff, 0xff, 0x0f]));
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("frames[0]: frame length 4294967295 exceeds the limit"));
}

/// Schema 1.1: convert carries a program's metadata into every format (1.1), `--no-meta`
/// writes the 1.0 bytes of the signature alone, a 1.1 document keeps its metadata through
/// convert (files and pipes), torch-json gets the signature alone; embed puts the program's
/// metadata in the record and extract gives back what was embedded.
#[test]
fn convert_embed_and_extract_carry_the_metadata() {
    use graph_signature::map::ArchiveMap;
    let archive = concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/tinynet.pt2");
    let map = ArchiveMap::open(archive, None).unwrap();
    let sig = graph_signature::read_path(archive).unwrap();
    let doc = codec::Document::with_meta(sig.clone(), map.signature_meta());
    assert!(doc.meta.as_ref().unwrap().inputs.iter().any(Option::is_some));
    for (ext, format) in EXTENSIONS {
        let out = scratch(&format!("meta.{ext}"));
        ok(graphsig(&["convert", archive, out.to_str().unwrap()], None));
        let bytes = std::fs::read(&out).unwrap();
        assert_eq!(bytes, codec::encode_document(&doc, format).unwrap(), "{format}");
        let bare = ok(graphsig(&["convert", archive, "-", "--to", format.name(), "--no-meta"], None));
        assert_eq!(bare, codec::encode(&sig, format).unwrap(), "{format} --no-meta");
        // A 1.1 document through a pipe, into every other format.
        for (_, to) in EXTENSIONS {
            let back = ok(graphsig(&["convert", "-", "-", "--to", to.name()], Some(&bytes)));
            assert_eq!(codec::decode_document(&back, to).unwrap(), codec::decode_document(&bytes, format).unwrap());
        }
    }
    let torch = ok(graphsig(&["convert", archive, "-", "--to", "torch-json"], None));
    assert_eq!(torch, codec::encode(&sig, Format::TorchJson).unwrap());

    let embedded = scratch("meta-embedded.pt2");
    ok(graphsig(&["embed", archive, "-o", embedded.to_str().unwrap()], None));
    let extracted = ok(graphsig(&["extract", embedded.to_str().unwrap(), "--to", "proto"], None));
    assert_eq!(codec::decode_document(&extracted, Format::Proto).unwrap(), doc);
    // An embedded 1.1 record converts with its metadata too.
    let converted = ok(graphsig(&["convert", embedded.to_str().unwrap(), "-", "--to", "json"], None));
    assert_eq!(codec::decode_document(&converted, Format::Json).unwrap(), doc);
    let bare = scratch("meta-bare.pt2");
    ok(graphsig(&["embed", archive, "--no-meta", "-o", bare.to_str().unwrap()], None));
    let extracted = ok(graphsig(&["extract", bare.to_str().unwrap(), "--to", "proto"], None));
    assert_eq!(extracted, codec::encode(&sig, Format::Proto).unwrap());
}
