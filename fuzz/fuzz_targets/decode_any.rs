//! Every decoder on the same bytes (all five formats, signature and document), the FlatBuffers view and the framed reader; what decodes re-encodes in every format.
//! The check is `graph_signature_fuzz::decode_any` (fuzz/src/lib.rs), which tests/fuzz_corpora.rs
//! also replays every committed seed and regression file through.
#![no_main]

libfuzzer_sys::fuzz_target!(|bytes: &[u8]| {
    graph_signature_fuzz::decode_any(bytes);
});
