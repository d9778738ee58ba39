//! Golden files: tests/golden/v1.0/ holds every codec's bytes for the fixed signatures of
//! `codec_common::golden_signatures()`, written ONCE and frozen. Every build decodes them
//! (a 1.x reader must read every 1.0 file forever) and re-encodes them byte for byte (a
//! writer at 1.0 must not drift).
//!
//! Files are created only by `GRAPHSIG_WRITE_GOLDEN=1 cargo test --test codec_golden`, which
//! writes the files that are missing and never overwrites one (tests/golden/README.md).

mod codec_common;

use std::path::{Path, PathBuf};

use codec_common::{golden_signatures, json_canonical};
use graph_signature::codec::framed::{FrameReader, FrameWriter};
use graph_signature::codec::{self, Format};

const WRITE_ENV: &str = "GRAPHSIG_WRITE_GOLDEN";

fn golden_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/v1.0")
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
    let mut known: Vec<String> = golden_signatures()
        .iter()
        .flat_map(|(name, _)| formats().into_iter().map(move |(_, ext)| format!("{name}.{ext}")))
        .collect();
    known.push("all.pbs".into());
    for entry in std::fs::read_dir(golden_dir()).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        assert!(known.contains(&name) || name == "README.md", "unexpected golden file {name}");
    }
}
