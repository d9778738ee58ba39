//! Differential: the archive map's typed one-pass readers (tensor_values, payload configs) against its precise readers.
//! The check is `graph_signature_fuzz::map_json` (fuzz/src/lib.rs), which tests/fuzz_corpora.rs
//! also replays every committed seed and regression file through.
#![no_main]

libfuzzer_sys::fuzz_target!(|bytes: &[u8]| {
    graph_signature_fuzz::map_json(bytes);
});
