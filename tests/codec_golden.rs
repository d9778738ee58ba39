//! Golden files: tests/golden/v1.0/ holds every codec's bytes for the fixed signatures of
//! `codec_common::golden_signatures()`, and tests/golden/v1.1/ for the fixed documents with
//! metadata of `codec_common::golden_documents()`, written ONCE and frozen. Every build
//! decodes both (a 1.x reader must read every 1.0 and 1.1 file forever) and re-encodes them
//! byte for byte (a writer must not drift: a document without metadata is still written at
//! 1.0, one with metadata at 1.1).
//!
//! Files are created only by `GRAPHSIG_WRITE_GOLDEN=1 cargo test --test codec_golden`, which
//! writes the files that are missing and never overwrites one (tests/golden/README.md).

mod codec_common;

use std::path::{Path, PathBuf};

use codec_common::{golden_documents, golden_signatures, json_canonical, json_canonical_doc};
use graph_signature::codec::framed::{FrameReader, FrameWriter};
use graph_signature::codec::{self, fbs, proto, Document, Format};
use graph_signature::version::SchemaVersion;
use prost::Message;

const WRITE_ENV: &str = "GRAPHSIG_WRITE_GOLDEN";

fn golden_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/v1.0")
}

fn golden_dir_1_1() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/v1.1")
}

/// The schema version written in a document's bytes, read by each format's own means.
fn written_version(bytes: &[u8], format: Format) -> SchemaVersion {
    match format {
        Format::Proto => {
            let v = proto::pb::SignatureDocument::decode(bytes).unwrap().schema_version.unwrap();
            SchemaVersion::new(v.major, v.minor)
        }
        Format::Json => {
            let doc: serde_json::Value = serde_json::from_slice(bytes).unwrap();
            let part = |k: &str| doc["schemaVersion"][k].as_u64().unwrap_or(0) as u32;
            SchemaVersion::new(part("major"), part("minor"))
        }
        Format::Fbs => fbs::SignatureView::new(bytes).unwrap().schema_version(),
        Format::Bincode => SchemaVersion::new(
            u32::from(u16::from_le_bytes([bytes[4], bytes[5]])),
            u32::from(u16::from_le_bytes([bytes[6], bytes[7]])),
        ),
        other => panic!("{other} has no schema version of ours"),
    }
}

/// The golden formats and their file extensions. A format added later gets its goldens in
/// the directory of the version that introduced it.
fn formats() -> Vec<(Format, &'static str)> {
    let mut formats = vec![(Format::Json, "json"), (Format::Proto, "pb"), (Format::Bincode, "bincode")];
    formats.extend(Format::WRITABLE.iter().copied().filter(|f| f.name() == "fbs").map(|f| (f, "gsig")));
    formats
}

fn writing() -> bool {
    std::env::var_os(WRITE_ENV).is_some_and(|v| v == "1")
}

/// Reads a golden file, or writes it if it is missing and writing was asked for.
fn golden(file: &Path, fresh: impl FnOnce() -> Vec<u8>) -> Vec<u8> {
    match std::fs::read(file) {
        Ok(bytes) => bytes,
        Err(_) if writing() => {
            let bytes = fresh();
            std::fs::create_dir_all(file.parent().unwrap()).unwrap();
            std::fs::write(file, &bytes).unwrap();
            eprintln!("wrote new golden file {}", file.display());
            bytes
        }
        Err(e) => panic!("{}: {e} (golden files are frozen; see tests/golden/README.md)", file.display()),
    }
}

#[test]
fn golden_files_decode_to_the_fixed_signatures_and_re_encode_byte_for_byte() {
    let mut checked = 0;
    for (name, sig) in golden_signatures() {
        for (format, ext) in formats() {
            let file = golden_dir().join(format!("{name}.{ext}"));
            let bytes = golden(&file, || codec::encode(&sig, format).unwrap());
            assert_eq!(Format::detect(&bytes), Some(format), "{}", file.display());
            let decoded =
                codec::decode(&bytes, format).unwrap_or_else(|e| panic!("{}: cannot decode: {e}", file.display()));
            let want = if format == Format::Json { json_canonical(&sig) } else { sig.clone() };
            assert_eq!(decoded, want, "{} decodes to a different signature", file.display());
            let again = codec::encode(&decoded, format).unwrap();
            assert!(again == bytes, "{}: re-encoding differs from the frozen bytes", file.display());
            checked += 1;
        }
    }
    assert_eq!(checked, golden_signatures().len() * formats().len());
}

#[test]
fn golden_1_0_files_are_documents_without_metadata_written_at_1_0() {
    for (name, sig) in golden_signatures() {
        for (format, ext) in formats() {
            let file = golden_dir().join(format!("{name}.{ext}"));
            let bytes = std::fs::read(&file).unwrap();
            assert_eq!(written_version(&bytes, format), SchemaVersion::V1_0, "{}", file.display());
            let doc = codec::decode_document(&bytes, format).unwrap();
            assert_eq!(doc.meta, None, "{}", file.display());
            let want = if format == Format::Json { json_canonical(&sig) } else { sig.clone() };
            assert_eq!(doc.signature, want);
            // The lowest version that holds it: 1.0, the frozen bytes.
            assert!(codec::encode_document(&doc, format).unwrap() == bytes, "{}", file.display());
        }
    }
}

#[test]
fn golden_1_1_files_decode_to_the_fixed_documents_and_re_encode_byte_for_byte() {
    let mut checked = 0;
    for (name, doc) in golden_documents() {
        for (format, ext) in formats() {
            let file = golden_dir_1_1().join(format!("{name}.{ext}"));
            let bytes = golden(&file, || codec::encode_document(&doc, format).unwrap());
            assert_eq!(Format::detect(&bytes), Some(format), "{}", file.display());
            assert_eq!(written_version(&bytes, format), SchemaVersion::V1_1, "{}", file.display());
            let decoded = codec::decode_document(&bytes, format)
                .unwrap_or_else(|e| panic!("{}: cannot decode: {e}", file.display()));
            let want = if format == Format::Json { json_canonical_doc(&doc) } else { doc.clone() };
            assert_eq!(decoded, want, "{} decodes to a different document", file.display());
            // A reader of the signature alone ignores the metadata.
            assert_eq!(codec::decode(&bytes, format).unwrap(), want.signature, "{}", file.display());
            let again = codec::encode_document(&decoded, format).unwrap();
            assert!(again == bytes, "{}: re-encoding differs from the frozen bytes", file.display());
            checked += 1;
        }
    }
    assert_eq!(checked, golden_documents().len() * formats().len());
}

#[test]
fn golden_1_1_stream_holds_every_fixed_document_in_order() {
    let file = golden_dir_1_1().join("all.pbs");
    let docs: Vec<Document> = golden_documents().into_iter().map(|(_, d)| d).collect();
    let bytes = golden(&file, || {
        let mut w = FrameWriter::new(Vec::new());
        docs.iter().for_each(|d| w.write_document(d).unwrap());
        w.into_inner()
    });
    let mut reader = FrameReader::new(&bytes[..]);
    let mut read = Vec::new();
    while let Some(doc) = reader.read_next_document().unwrap() {
        read.push(doc);
    }
    assert_eq!(read, docs);
    // The signatures alone, as a reader of signatures sees them.
    let sigs: Vec<_> = FrameReader::new(&bytes[..]).collect::<Result<_, _>>().unwrap();
    assert_eq!(sigs, docs.iter().map(|d| d.signature.clone()).collect::<Vec<_>>());
    let mut w = FrameWriter::new(Vec::new());
    read.iter().for_each(|d| w.write_document(d).unwrap());
    assert!(w.into_inner() == bytes, "re-framing differs from the frozen stream");
}

#[test]
fn golden_stream_holds_every_fixed_signature_in_order() {
    let file = golden_dir().join("all.pbs");
    let sigs: Vec<_> = golden_signatures().into_iter().map(|(_, s)| s).collect();
    let bytes = golden(&file, || {
        let mut w = FrameWriter::new(Vec::new());
        sigs.iter().for_each(|s| w.write(s).unwrap());
        w.into_inner()
    });
    let read: Vec<_> = FrameReader::new(&bytes[..]).collect::<Result<_, _>>().unwrap();
    assert_eq!(read, sigs);
    let mut w = FrameWriter::new(Vec::new());
    read.iter().for_each(|s| w.write(s).unwrap());
    assert!(w.into_inner() == bytes, "re-framing differs from the frozen stream");
}

/// Bytes derived by hand from the protobuf, proto3-JSON and bincode specifications, not by
/// the code under test: an empty signature at version 1.0.
#[test]
fn empty_signature_bytes_match_the_specifications() {
    let empty = graph_signature::ExportGraphSignature::empty();
    // Field 10 (LEN): SchemaVersion{field 10 (VARINT) = 1}; field 20 (LEN, tag 0xA2 0x01): empty.
    assert_eq!(codec::encode(&empty, Format::Proto).unwrap(), [0x52, 0x02, 0x50, 0x01, 0xA2, 0x01, 0x00]);
    // Defaults (minor 0, empty lists) are omitted by the proto3 JSON mapping.
    assert_eq!(codec::encode(&empty, Format::Json).unwrap(), br#"{"schemaVersion":{"major":1},"signature":{}}"#);
    // Magic, major 1 and minor 0 as u16 LE, then two empty sequences (varint length 0).
    assert_eq!(codec::encode(&empty, Format::Bincode).unwrap(), b"GSBC\x01\x00\x00\x00\x00\x00");
}

#[test]
fn every_golden_file_is_known() {
    // A file nobody reads would rot silently: each must belong to a signature and format.
    let names_1_0: Vec<&str> = golden_signatures().iter().map(|(n, _)| *n).collect();
    let names_1_1: Vec<&str> = golden_documents().iter().map(|(n, _)| *n).collect();
    for (dir, names) in [(golden_dir(), names_1_0), (golden_dir_1_1(), names_1_1)] {
        let mut known: Vec<String> =
            names.iter().flat_map(|name| formats().into_iter().map(move |(_, ext)| format!("{name}.{ext}"))).collect();
        known.push("all.pbs".into());
        let mut found = 0;
        for entry in std::fs::read_dir(&dir).unwrap() {
            let name = entry.unwrap().file_name().into_string().unwrap();
            assert!(known.contains(&name) || name == "README.md", "unexpected golden file {name} in {}", dir.display());
            found += 1;
        }
        assert!(found >= known.len(), "{} holds {found} files, expected {}", dir.display(), known.len());
    }
}
