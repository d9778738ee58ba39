//! Differential: the hand-written protobuf wire reader against prost.
//! The check is `graph_signature_fuzz::proto_diff` (fuzz/src/lib.rs), which tests/fuzz_corpora.rs
//! also replays every committed seed and regression file through.
#![no_main]

libfuzzer_sys::fuzz_target!(|bytes: &[u8]| {
    graph_signature_fuzz::proto_diff(bytes);
});
