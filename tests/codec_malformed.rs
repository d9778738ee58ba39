//! Malformed input: truncated, garbage, mutated, oversized and adversarial bytes given to
//! every decoder give a typed error (or, for a mutation that happens to stay valid, a valid
//! signature), never a panic and never an allocation sized by what the input claims.

mod codec_common;

use std::time::{Duration, Instant};

use codec_common::signature;
use graph_signature::codec::framed::FrameReader;
use graph_signature::codec::{self, Format};
use graph_signature::Error;
use proptest::prelude::*;

/// Decodes with every decoder; each result must be a signature or a typed error.
fn decode_everything(bytes: &[u8]) {
    for &format in Format::ALL {
        match codec::decode(bytes, format) {
            Ok(sig) => assert!(sig.input_specs().len() + sig.output_specs().len() <= bytes.len()),
            Err(Error::Decode { .. } | Error::UnsupportedVersion { .. } | Error::Invalid(_)) => {}
            Err(other) => panic!("{format}: unexpected error kind {other:?}"),
        }
    }
    for item in FrameReader::with_max_frame(bytes, 1 << 16) {
        match item {
            Ok(_) | Err(Error::Decode { .. } | Error::UnsupportedVersion { .. } | Error::Invalid(_)) => {}
            Err(other) => panic!("framed: unexpected error kind {other:?}"),
        }
    }
}

#[derive(Debug, Clone)]
enum Mutation {
    Flip(prop::sample::Index, u8),
    Insert(prop::sample::Index, u8),
    Remove(prop::sample::Index),
    Truncate(prop::sample::Index),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<prop::sample::Index>(), 1..=255u8).prop_map(|(i, b)| Mutation::Flip(i, b)),
        (any::<prop::sample::Index>(), any::<u8>()).prop_map(|(i, b)| Mutation::Insert(i, b)),
        any::<prop::sample::Index>().prop_map(Mutation::Remove),
        any::<prop::sample::Index>().prop_map(Mutation::Truncate),
    ]
}

fn apply(bytes: &mut Vec<u8>, m: &Mutation) {
    if bytes.is_empty() {
        return;
    }
    let len = bytes.len();
    match m {
        Mutation::Flip(i, b) => bytes[i.index(len)] ^= b,
        Mutation::Insert(i, b) => bytes.insert(i.index(bytes.len() + 1), *b),
        Mutation::Remove(i) => {
            bytes.remove(i.index(bytes.len()));
        }
        Mutation::Truncate(i) => bytes.truncate(i.index(bytes.len())),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn random_bytes_never_panic_any_decoder(bytes in prop::collection::vec(any::<u8>(), 0..256)) {
        decode_everything(&bytes);
    }

    #[test]
    fn random_bytes_behind_each_format_prefix_never_panic(
        prefix in prop::sample::select(vec![&b"GSBC\x01\x00\x00\x00"[..], b"\x0c\x00\x00\x00GSIG", b"\x52\x02\x50\x01", b"{\"signature\":", b"{\"input_specs\":"]),
        tail in prop::collection::vec(any::<u8>(), 0..128),
    ) {
        let mut bytes = prefix.to_vec();
        bytes.extend(tail);
        decode_everything(&bytes);
    }

    #[test]
    fn mutated_encodings_never_panic(
        sig in signature(),
        format in prop::sample::select(Format::WRITABLE.to_vec()),
        mutations in prop::collection::vec(mutation(), 1..4),
    ) {
        let mut bytes = codec::encode(&sig, format).unwrap();
        for m in &mutations {
            apply(&mut bytes, m);
        }
        decode_everything(&bytes);
    }
}

/// A decoder that trusted a claimed length would try to allocate (or read) ~2^60 bytes; each
/// must refuse quickly with a decode error.
#[test]
fn huge_claimed_lengths_are_refused_without_allocating() {
    let huge_varint = [0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x10];
    let mut cases: Vec<(Format, Vec<u8>)> = Vec::new();
    // protobuf: field 20 (signature) claiming 2^60 bytes.
    let mut pb = vec![0x52, 0x02, 0x50, 0x01, 0xA2, 0x01];
    pb.extend_from_slice(&huge_varint);
    cases.push((Format::Proto, pb));
    // bincode: an input list claiming 2^60 specs (varint 0xFD = u64 follows), then a string
    // claiming 2^60 bytes.
    let mut bc = b"GSBC\x01\x00\x00\x00\xFD".to_vec();
    bc.extend_from_slice(&(1u64 << 60).to_le_bytes());
    cases.push((Format::Bincode, bc));
    let mut bc = b"GSBC\x01\x00\x00\x00\x01\x01\x00\xFD".to_vec();
    bc.extend_from_slice(&(1u64 << 60).to_le_bytes());
    cases.push((Format::Bincode, bc));
    for (format, bytes) in cases {
        let start = Instant::now();
        let err = codec::decode(&bytes, format).unwrap_err();
        assert!(matches!(err, Error::Decode { .. }), "{format}: {err:?}");
        assert!(start.elapsed() < Duration::from_secs(1), "{format} took {:?}", start.elapsed());
    }
    let mut framed = huge_varint.to_vec();
    framed.push(0);
    let err = FrameReader::new(&framed[..]).next().unwrap().unwrap_err();
    assert!(err.to_string().contains("exceeds the limit"), "{err}");
    // An 11-byte varint and one overflowing 64 bits.
    let err = FrameReader::new(&[0xFFu8; 11][..]).next().unwrap().unwrap_err();
    assert!(err.to_string().contains("overflows 64 bits") || err.to_string().contains("longer than 10"), "{err}");
}

#[test]
fn deeply_nested_and_huge_json_is_refused_cleanly() {
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    for format in [Format::Json, Format::TorchJson] {
        assert!(matches!(codec::decode(deep.as_bytes(), format), Err(Error::Decode { .. })), "{format}");
    }
    // A wrong type deep inside names its JSON path.
    let text = br#"{"schemaVersion":{"major":1},"signature":{"inputSpecs":[{},{"target":7}]}}"#;
    match codec::decode(text, Format::Json) {
        Err(Error::Decode { path, .. }) => assert_eq!(path, "input_specs[1].target"),
        other => panic!("{other:?}"),
    }
}
