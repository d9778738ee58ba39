//! The scanner: a report for any bytes (as a file and as a bare pickle), never a panic.
//! The check is `graph_signature_fuzz::scan` (fuzz/src/lib.rs), which tests/fuzz_corpora.rs
//! also replays every committed seed and regression file through.
#![no_main]

libfuzzer_sys::fuzz_target!(|bytes: &[u8]| {
    graph_signature_fuzz::scan(bytes);
});
