//! Differential: torch's JSON, the typed fast path against the full reader, every schema version; the writer for every target.
//! The check is `graph_signature_fuzz::torch_json_diff` (fuzz/src/lib.rs), which tests/fuzz_corpora.rs
//! also replays every committed seed and regression file through.
#![no_main]

libfuzzer_sys::fuzz_target!(|bytes: &[u8]| {
    graph_signature_fuzz::torch_json_diff(bytes);
});
