//! Read-embed-read: an embedded signature reads back, every other record unchanged (.pt2 and .safetensors).
//! The check is `graph_signature_fuzz::embed` (fuzz/src/lib.rs), which tests/fuzz_corpora.rs
//! also replays every committed seed and regression file through.
#![no_main]

libfuzzer_sys::fuzz_target!(|bytes: &[u8]| {
    graph_signature_fuzz::embed(bytes);
});
