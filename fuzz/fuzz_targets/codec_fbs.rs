//! FlatBuffers (verifier, text budget) and the lazy view beside the decoder.
//! The check is `graph_signature_fuzz::codec_fbs` (fuzz/src/lib.rs), which tests/fuzz_corpora.rs
//! also replays every committed seed and regression file through.
#![no_main]

libfuzzer_sys::fuzz_target!(|bytes: &[u8]| {
    graph_signature_fuzz::codec_fbs(bytes);
});
