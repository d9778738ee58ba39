//! The body of every fuzz target, shared by the targets (`fuzz_targets/*.rs`, one line each)
//! and by `tests/fuzz_corpora.rs` in the main crate, which replays every committed seed and
//! regression file through the same functions under the normal test harness (it includes
//! this file with `#[path]`, so it may use nothing but `graph_signature` and `std`).
//!
//! Each check gives the bytes to one surface that reads bytes from a user, asserts the
//! properties below (a panic is a failure: libFuzzer keeps the input), and returns whether
//! the surface's main reader accepted the input (`true`) or refused it with a typed error
//! (`false`), so the replay can tell a seed corpus that reads from one that is all refusals.

use std::collections::BTreeMap;
use std::io::Cursor;

use serde_json::value::RawValue;

use graph_signature::archive::pt2::{self, Archive};
use graph_signature::archive::safetensors;
use graph_signature::codec::framed::FrameReader;
use graph_signature::codec::torch_json::{self, TorchTarget, WriteOptions};
use graph_signature::codec::{self, bincode, fbs, json, proto, Document, Format};
use graph_signature::differential;
use graph_signature::map::pickle::{ops, read_pickle, read_state_dict, scan_globals, Op};
use graph_signature::map::{ArchiveMap, Profile};
use graph_signature::read::{ReadOptions, Source};
use graph_signature::scan::{scan_bytes, FileFormat, Options as ScanOptions, Verdict};
use graph_signature::{Error, ExportGraphSignature};

/// A target's check: the input's bytes in, whether its reader accepted them out.
pub type Check = fn(&[u8]) -> bool;

/// Every target: its name (the `[[bin]]` of `fuzz/Cargo.toml`, the folder of its seeds and
/// regression files) and its check.
pub const TARGETS: &[(&str, Check)] = &[
    ("decode_any", decode_any),
    ("codec_json", codec_json),
    ("codec_fbs", codec_fbs),
    ("codec_bincode", codec_bincode),
    ("proto", proto_diff),
    ("framed", framed),
    ("torch_json", torch_json_diff),
    ("map_json", map_json),
    ("pickle", pickle),
    ("pt2", pt2_archive),
    ("archive_map", archive_map),
    ("safetensors", safetensors_header),
    ("embed", embed),
    ("scan", scan),
];

/// The check of target `name`.
pub fn check(name: &str) -> Option<Check> {
    TARGETS.iter().find(|(n, _)| *n == name).map(|(_, f)| *f)
}

/// A document that decoded must encode in every format of ours and decode to itself (our
/// JSON, which writes every NaN as `"NaN"`, to the same JSON again).
fn round_trip(doc: &Document, from: Format) {
    for &to in Format::WRITABLE {
        let bytes = codec::encode_document(doc, to).unwrap_or_else(|e| panic!("{from} -> {to}: {e}"));
        let back = codec::decode_document(&bytes, to).unwrap_or_else(|e| panic!("{from} -> {to} -> back: {e}"));
        if to == Format::Json {
            let again = codec::encode_document(&back, to).unwrap_or_else(|e| panic!("{from} -> {to} twice: {e}"));
            assert_eq!(again, bytes, "{from} -> {to} -> back -> {to}");
        } else {
            assert_eq!(&back, doc, "{from} -> {to}");
        }
        assert_eq!(Format::detect(&bytes), Some(to), "what {to} writes is detected as {to}");
    }
}

/// The same bytes to every decoder (signature and document), the FlatBuffers view and the
/// framed reader; what decodes re-encodes in every format and decodes to itself.
pub fn decode_any(bytes: &[u8]) -> bool {
    let mut accepted = false;
    for &format in Format::ALL {
        let sig = codec::decode(bytes, format);
        if let Ok(doc) = codec::decode_document(bytes, format) {
            accepted = true;
            // A document that reads has a signature that reads, the same one.
            assert_eq!(sig.as_ref().ok(), Some(&doc.signature), "{format}: decode and decode_document differ");
            round_trip(&doc, format);
        }
    }
    if let Ok(view) = fbs::SignatureView::new(bytes) {
        for i in 0..view.input_count().min(64) {
            let _ = view.input(i);
        }
        for i in 0..view.output_count().min(64) {
            let _ = view.output(i);
        }
        let _ = view.input_by_name("x");
        let _ = view.input_by_target("w");
        let _ = view.output_by_name("y");
    }
    for frame in FrameReader::with_max_frame(bytes, 1 << 20).take(64) {
        let _ = frame;
    }
    accepted
}

/// Our JSON format: a document that reads round-trips through every format, and the
/// signature alone reads whenever the document does.
pub fn codec_json(bytes: &[u8]) -> bool {
    one_codec(bytes, Format::Json, json::decode, json::decode_document)
}

/// FlatBuffers (the verifier, the text budget), and the lazy view on the same bytes: it
/// answers for every spec the decoder built.
pub fn codec_fbs(bytes: &[u8]) -> bool {
    let accepted = one_codec(bytes, Format::Fbs, fbs::decode, fbs::decode_document);
    if let Ok(view) = fbs::SignatureView::new(bytes) {
        let sig = fbs::decode(bytes);
        for i in 0..view.input_count().min(256) {
            let spec = view.input(i);
            if let Ok(sig) = &sig {
                assert_eq!(spec.as_ref().ok(), sig.input_specs().get(i), "view input {i}");
            }
        }
        for i in 0..view.output_count().min(256) {
            let spec = view.output(i);
            if let Ok(sig) = &sig {
                assert_eq!(spec.as_ref().ok(), sig.output_specs().get(i), "view output {i}");
            }
        }
        if let Ok(sig) = &sig {
            for spec in sig.input_specs().iter().take(16) {
                let by_name = view.input_by_name(spec.arg.name()).expect("the view finds what the decoder read");
                assert!(by_name.is_some(), "input {:?} not found by name", spec.arg.name());
            }
        }
    }
    accepted
}

/// bincode with our header and its limits.
pub fn codec_bincode(bytes: &[u8]) -> bool {
    one_codec(bytes, Format::Bincode, bincode::decode, bincode::decode_document)
}

fn one_codec(
    bytes: &[u8],
    format: Format,
    decode: fn(&[u8]) -> Result<ExportGraphSignature, Error>,
    decode_document: fn(&[u8]) -> Result<Document, Error>,
) -> bool {
    let sig = decode(bytes);
    match decode_document(bytes) {
        Ok(doc) => {
            assert_eq!(sig.as_ref().ok(), Some(&doc.signature), "{format}: decode and decode_document differ");
            round_trip(&doc, format);
            true
        }
        Err(_) => false,
    }
}

/// Differential: the hand-written protobuf wire reader against prost (signature and
/// document); what reads round-trips.
pub fn proto_diff(bytes: &[u8]) -> bool {
    if let Err(difference) = differential::proto(bytes) {
        panic!("{difference}");
    }
    match proto::decode_document(bytes) {
        Ok(doc) => {
            round_trip(&doc, Format::Proto);
            true
        }
        Err(_) => proto::decode(bytes).is_ok(),
    }
}

/// The framed stream reader (length-prefixed protobuf frames): frames read in order until
/// the end or the first error, each a document or a typed error naming its frame.
pub fn framed(bytes: &[u8]) -> bool {
    let mut reader = FrameReader::with_max_frame(bytes, 1 << 20);
    let mut signatures = FrameReader::with_max_frame(bytes, 1 << 20);
    let mut frames = 0usize;
    loop {
        let doc = reader.read_next_document();
        let sig = signatures.read_next();
        match doc {
            Ok(Some(doc)) => {
                assert_eq!(sig.ok().flatten().as_ref(), Some(&doc.signature), "frames[{frames}]");
                frames += 1;
            }
            Ok(None) => {
                assert!(matches!(sig, Ok(None)), "the signature reader went on past the end");
                return true;
            }
            Err(e) => {
                if matches!(e, Error::Decode { .. }) {
                    assert!(e.to_string().contains("frames["), "a frame error names its frame: {e}");
                }
                return false;
            }
        }
        assert!(frames <= bytes.len(), "a frame takes at least one byte");
    }
}

/// Differential: torch's JSON, the typed fast path against the full reader, for every schema
/// version; what reads is written for every torch target, and what the writer writes reads
/// back and writes again to the same bytes.
pub fn torch_json_diff(bytes: &[u8]) -> bool {
    if let Err(difference) = differential::torch_json(bytes) {
        panic!("{difference}");
    }
    let Ok(read) = torch_json::decode(bytes) else { return false };
    for target in [TorchTarget::TORCH_2_3, TorchTarget::TORCH_2_5, TorchTarget::TORCH_2_6, TorchTarget::TORCH_2_12] {
        for lossy in [false, true] {
            let options = WriteOptions { target, lossy };
            let Ok(written) = torch_json::encode(&read.signature, &options) else { continue };
            let back = torch_json::decode(&written)
                .unwrap_or_else(|e| panic!("{target} (lossy {lossy}): what we wrote does not read: {e}"));
            let again = torch_json::encode(&back.signature, &options)
                .unwrap_or_else(|e| panic!("{target} (lossy {lossy}): what we read back does not write: {e}"));
            assert_eq!(again, written, "{target} (lossy {lossy}): writing what we read back changed the bytes");
        }
    }
    true
}

/// Differential: the archive map's typed one-pass readers against its precise readers, on
/// a program JSON (`tensor_values` of the graph's values) and on a payload config.
pub fn map_json(bytes: &[u8]) -> bool {
    let program = differential::map_program(bytes).unwrap_or_else(|d| panic!("{d}"));
    let config = differential::map_payload_config(bytes).unwrap_or_else(|d| panic!("{d}"));
    use differential::Outcome::BothRefused;
    program != BothRefused || config != BothRefused
}

/// The pickle reader: the opcode decoder, the state-dict reader and the scan each return a
/// result or a typed error, and agree with one another.
pub fn pickle(bytes: &[u8]) -> bool {
    let mut decoded = 0usize;
    let mut stopped_at = None;
    for op in ops(bytes) {
        match op {
            Ok((at, Op::Stop)) => stopped_at = Some(at + 1),
            Ok((at, _)) => assert!(at < bytes.len()),
            Err(e) => assert!(matches!(e, Error::Decode { format: "pickle", .. }), "{e:?}"),
        }
        decoded += 1;
    }
    // One opcode per byte at most, and one error after the last.
    assert!(decoded <= bytes.len() + 1);

    let scan = scan_globals(bytes, "fuzz");
    // The scan ends where the decoder saw STOP, or reports why it stopped earlier.
    if let Some(end) = scan.end {
        assert_eq!(Some(end), stopped_at);
        assert!(scan.error.is_none());
    } else {
        assert!(scan.error.is_some());
    }
    for i in &scan.imports {
        assert!(i.offset < bytes.len());
    }

    let value = read_pickle(bytes, "fuzz");
    let state = read_state_dict(bytes, "fuzz");
    // Whatever the reader accepts, the scan walks to its end without a fault.
    if value.is_ok() {
        assert!(scan.error.is_none(), "{:?}", scan.error);
        assert_eq!(scan.end, Some(bytes.len()));
    }
    if state.is_ok() {
        assert!(value.is_ok());
    }
    let accepted = value.is_ok();
    for r in [value.err(), state.err()].into_iter().flatten() {
        assert!(matches!(r, Error::Decode { format: "pickle", .. }), "{r:?}");
    }
    accepted
}

/// Records of an archive looked at, at most (a fuzzed central directory may list many).
const RECORDS: usize = 64;
/// Programs of an archive read, at most.
const MODELS: usize = 4;
/// The largest record read whole.
const RECORD_LIMIT: u64 = 1 << 20;

/// `.pt2` reading from raw archive bytes, both layouts, the zip reader included: the
/// central directory, each program's signature, embedded signatures, every record and its
/// location; and [`graph_signature::read_bytes`] (recognition by content) on the same bytes.
pub fn pt2_archive(bytes: &[u8]) -> bool {
    for source in [Source::Auto, Source::Program, Source::Embedded] {
        let _ = ReadOptions { source, ..ReadOptions::default() }.read_bytes(bytes);
    }
    let _ = pt2::read(Cursor::new(bytes));
    let _ = pt2::read_embedded(Cursor::new(bytes));
    let Ok(mut archive) = Archive::new(Cursor::new(bytes)) else { return false };
    let models: Vec<String> = archive.models().iter().take(MODELS).cloned().collect();
    let mut accepted = false;
    for model in &models {
        if let Ok(read) = archive.read_model(model) {
            accepted = true;
            assert_eq!(&read.name, model);
            // The archive's reader reads the record as torch's JSON reader does.
            let record = archive.record(&read.record, pt2::MAX_MODEL_RECORD).expect("the record was just read");
            assert_eq!(torch_json::decode(&record).ok().map(|r| r.signature), Some(read.signature));
        }
        let _ = archive.read_embedded(model);
    }
    let names: Vec<String> = archive.record_names().take(RECORDS).map(str::to_owned).collect();
    for name in &names {
        assert!(archive.has_record(name));
        let located = archive.locate(name);
        if let Ok(data) = archive.record(name, RECORD_LIMIT) {
            let at = located.expect("a record that reads has a place");
            if at.stored {
                assert_eq!(at.length, data.len() as u64, "{name}: a stored record's length");
                let start = usize::try_from(at.offset).expect("in the buffer");
                assert_eq!(&bytes[start..start + data.len()], &data[..], "{name}: stored bytes in place");
            }
        }
    }
    accepted
}

/// The archive map from arbitrary archive bytes: the central directory, the program JSON,
/// the payload configs and the `torch.save` pickles of every program, then the plan, the
/// checks and the JSON; the map's signature is the archive's.
pub fn archive_map(bytes: &[u8]) -> bool {
    let _ = ReadOptions::default().read_from_with_meta(bytes);
    let Ok(mut archive) = Archive::new(Cursor::new(bytes)) else { return false };
    let models: Vec<String> = archive.models().iter().take(MODELS).cloned().collect();
    let mut accepted = false;
    for model in &models {
        let Ok(map) = ArchiveMap::build(&mut archive, model) else { continue };
        accepted = true;
        let own = archive.read_model(model).expect("the map read this program");
        assert_eq!(map.signature, own.signature, "{model}: the map's signature");
        assert_eq!(map.inputs_meta.len(), map.signature.input_specs().len());
        assert_eq!(map.outputs_meta.len(), map.signature.output_specs().len());
        for profile in [Profile::Default, Profile::Strict] {
            let _ = map.check(profile);
            let json = map.to_json(profile);
            let mut written = Vec::new();
            map.write_json(profile, &mut written).expect("the map writes");
            let reread: serde_json::Value = serde_json::from_slice(&written).expect("the map's JSON reads");
            assert_eq!(reread, json, "write_json and to_json agree");
        }
        let meta = map.signature_meta();
        // What the map read is metadata our formats carry.
        let doc = Document::with_meta(map.signature.clone(), meta);
        if let Ok(bytes) = codec::encode_document(&doc, Format::Proto) {
            assert_eq!(codec::decode_document(&bytes, Format::Proto).ok().as_ref(), Some(&doc));
        }
    }
    accepted
}

/// The `.safetensors` header reader (length prefix, header JSON, `__metadata__`), with and
/// without the file's length, and recognition by content on the same bytes.
pub fn safetensors_header(bytes: &[u8]) -> bool {
    let known = safetensors::read_embedded(bytes, Some(bytes.len() as u64));
    let unknown = safetensors::read_embedded(bytes, None);
    if let Ok(text) = &known {
        // Knowing the length only adds a check.
        assert_eq!(unknown.as_ref().ok(), Some(text));
    }
    let _ = graph_signature::read_bytes(bytes);
    let _ = safetensors::looks_like_safetensors(bytes);
    known.is_ok()
}

/// Read–embed–read: embedding a signature into an archive (a `.pt2` by its zip signature,
/// else a `.safetensors` file) and reading it back gives the signature embedded, and every
/// other record (the other header entries and every tensor byte) is unchanged.
pub fn embed(bytes: &[u8]) -> bool {
    if pt2::looks_like_zip(bytes) {
        embed_pt2(bytes)
    } else {
        embed_safetensors(bytes)
    }
}

fn embed_pt2(bytes: &[u8]) -> bool {
    let Ok(mut original) = Archive::new(Cursor::new(bytes)) else { return false };
    let Some(model) = original.models().first().cloned() else { return false };
    // The program's own signature, as `graphsig embed` embeds it; a fixed one when the
    // program does not read (embedding does not need it to).
    let sig = original.read_model(&model).map(|r| r.signature).unwrap_or_else(|_| fixed_signature());
    let payload = codec::encode(&sig, Format::Json).expect("our JSON writes every signature");
    let mut out = Vec::new();
    if pt2::embed_into(Cursor::new(bytes), &mut out, &model, &payload).is_err() {
        return false;
    }
    let record = pt2::embedded_record(original.layout(), &model);
    let mut embedded = Archive::new(Cursor::new(&out[..])).expect("an archive we wrote opens");
    assert_eq!(embedded.layout(), original.layout());
    assert_eq!(embedded.models(), original.models());
    assert_eq!(embedded.read_embedded(&model).expect("the embedded record reads"), Some(payload));
    let read = ReadOptions { model: Some(model.clone()), source: Source::Embedded }
        .read_bytes(&out)
        .expect("the embedded signature reads");
    assert_eq!(read.signature, sig);
    assert!(read.embedded);
    // Every other record: the same names in the same order, the same bytes at the same place.
    let before: Vec<String> = original.record_names().filter(|n| *n != record).map(str::to_owned).collect();
    let after: Vec<String> = embedded.record_names().filter(|n| *n != record).map(str::to_owned).collect();
    assert_eq!(before, after, "the other records");
    for name in before.iter().take(RECORDS) {
        let (a, b) = (original.locate(name), embedded.locate(name));
        assert_eq!(a.as_ref().ok(), b.as_ref().ok(), "{name}: moved");
        if let Ok(data) = original.record(name, RECORD_LIMIT) {
            assert_eq!(embedded.record(name, RECORD_LIMIT).ok(), Some(data), "{name}: changed");
        }
    }
    true
}

fn embed_safetensors(bytes: &[u8]) -> bool {
    let len = bytes.len() as u64;
    if safetensors::read_embedded(bytes, Some(len)).is_err() {
        return false;
    }
    let text = String::from_utf8(codec::encode(&fixed_signature(), Format::Json).expect("JSON")).expect("UTF-8");
    let mut out = Vec::new();
    if safetensors::embed_into(bytes, len, &mut out, &text).is_err() {
        return false;
    }
    assert_eq!(safetensors::read_embedded(&out[..], Some(out.len() as u64)).ok(), Some(Some(text)));
    let header_end = |b: &[u8]| 8 + u64::from_le_bytes(b[..8].try_into().expect("8 bytes")) as usize;
    let (old_end, new_end) = (header_end(bytes), header_end(&out));
    assert_eq!(&out[new_end..], &bytes[old_end..], "the tensor bytes");
    assert_eq!(new_end % 8, 0, "the tensor data stays 8-byte aligned");
    // Every other header entry, and every other metadata key, as it was.
    let (mut old, mut new) = (header_entries(&bytes[8..old_end]), header_entries(&out[8..new_end]));
    let metadata = |entries: &mut BTreeMap<String, Box<RawValue>>| {
        let raw = entries.remove("__metadata__")?;
        let mut map: BTreeMap<String, String> =
            serde_json::from_str::<Option<_>>(raw.get()).expect("read").unwrap_or_default();
        map.remove(safetensors::METADATA_KEY);
        Some(map)
    };
    let (old_meta, new_meta) = (metadata(&mut old).unwrap_or_default(), metadata(&mut new).expect("metadata"));
    let text = |entries: &BTreeMap<String, Box<RawValue>>| -> Vec<(String, String)> {
        entries.iter().map(|(k, v)| (k.clone(), v.get().to_owned())).collect()
    };
    assert_eq!(text(&old), text(&new), "the tensor entries");
    assert_eq!(old_meta, new_meta, "the other metadata");
    true
}

/// A safetensors header's entries, each value as its raw JSON text.
fn header_entries(header: &[u8]) -> BTreeMap<String, Box<RawValue>> {
    serde_json::from_slice(header).expect("a header that read is a JSON object")
}

fn fixed_signature() -> ExportGraphSignature {
    use graph_signature::{ArgumentSpec, InputSpec, OutputSpec};
    ExportGraphSignature::new(
        vec![InputSpec::parameter("p_w", "w"), InputSpec::user_input(ArgumentSpec::tensor("x"))],
        vec![OutputSpec::user_output(ArgumentSpec::tensor("y"))],
    )
    .expect("a valid signature")
}

/// The scanner on the same bytes as a file (any zip depth) and as a bare pickle: a report,
/// never a panic; no pickle judged worse than its file; a pickle the listing cannot read to
/// its end is never `safe` or `needs-trust`. Accepted: the file is judged safe.
pub fn scan(bytes: &[u8]) -> bool {
    let options = ScanOptions::default();
    let report = scan_bytes(bytes, "fuzz.pt2", &options);
    for p in &report.pickles {
        assert!(p.verdict <= report.verdict, "{p:?} worse than its file {:?}", report.verdict);
    }
    let safe = report.verdict == Verdict::Safe;

    let report = scan_bytes(bytes, "fuzz.pkl", &options);
    if report.format == FileFormat::Pickle && scan_globals(bytes, "").error.is_some() {
        assert!(report.verdict >= Verdict::Malformed, "{report:?}");
    }
    safe
}
