//! The archive map (payload index, pickles, plan, checks) from arbitrary archive bytes.
//! The check is `graph_signature_fuzz::archive_map` (fuzz/src/lib.rs), which tests/fuzz_corpora.rs
//! also replays every committed seed and regression file through.
#![no_main]

libfuzzer_sys::fuzz_target!(|bytes: &[u8]| {
    graph_signature_fuzz::archive_map(bytes);
});
