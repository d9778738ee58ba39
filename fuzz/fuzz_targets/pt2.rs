//! .pt2 reading from raw archive bytes, both layouts, the zip reader included.
//! The check is `graph_signature_fuzz::pt2_archive` (fuzz/src/lib.rs), which tests/fuzz_corpora.rs
//! also replays every committed seed and regression file through.
#![no_main]

libfuzzer_sys::fuzz_target!(|bytes: &[u8]| {
    graph_signature_fuzz::pt2_archive(bytes);
});
