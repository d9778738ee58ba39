//! The pickle reader: opcode decoder, state-dict reader and scan agree, never panic.
//! The check is `graph_signature_fuzz::pickle` (fuzz/src/lib.rs), which tests/fuzz_corpora.rs
//! also replays every committed seed and regression file through.
#![no_main]

libfuzzer_sys::fuzz_target!(|bytes: &[u8]| {
    graph_signature_fuzz::pickle(bytes);
});
