//! The pickle reader on arbitrary bytes: the decoder, the state-dict reader and the scan must
//! each return a result or a typed error, never panic, and agree with one another.
#![no_main]

use graph_signature::map::pickle::{ops, read_pickle, read_state_dict, scan_globals, Op};
use graph_signature::Error;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    let mut decoded = 0usize;
    let mut stopped_at = None;
    for op in ops(bytes) {
        match op {
            Ok((at, Op::Stop)) => stopped_at = Some(at + 1),
            Ok((at, _)) => assert!(at < bytes.len()),
            Err(e) => assert!(matches!(e, Error::Decode { format: "pickle", .. }), "{e:?}"),
        }
        decoded += 1;
    }
    // One opcode per byte at most, and one error after the last.
    assert!(decoded <= bytes.len() + 1);

    let scan = scan_globals(bytes, "fuzz");
    // The scan ends where the decoder saw STOP, or reports why it stopped earlier.
    if let Some(end) = scan.end {
        assert_eq!(Some(end), stopped_at);
        assert!(scan.error.is_none());
    } else {
        assert!(scan.error.is_some());
    }
    for i in &scan.imports {
        assert!(i.offset < bytes.len());
    }

    let value = read_pickle(bytes, "fuzz");
    let state = read_state_dict(bytes, "fuzz");
    // Whatever the reader accepts, the scan walks to its end without a fault.
    if value.is_ok() {
        assert!(scan.error.is_none(), "{:?}", scan.error);
        assert_eq!(scan.end, Some(bytes.len()));
    }
    if state.is_ok() {
        assert!(value.is_ok());
    }
    for r in [value.err(), state.err()].into_iter().flatten() {
        assert!(matches!(r, Error::Decode { format: "pickle", .. }), "{r:?}");
    }
});
