//! The scanner on arbitrary bytes, as a file and as a pickle inside a torch.save zip inside a
//! `.pt2`: a report, never a panic; a pickle the listing cannot read to its end is never
//! `safe` or `needs-trust`.
#![no_main]

use graph_signature::map::pickle::scan_globals;
use graph_signature::scan::{scan_bytes, FileFormat, Options, Verdict};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    let options = Options::default();
    let report = scan_bytes(bytes, "fuzz.pt2", &options);
    for p in &report.pickles {
        assert!(p.verdict <= report.verdict);
    }

    // The bytes as a bare pickle: a pickle the listing cannot read to its end is malformed
    // (or dangerous when it names something first).
    let report = scan_bytes(bytes, "fuzz.pkl", &options);
    if report.format == FileFormat::Pickle && scan_globals(bytes, "").error.is_some() {
        assert!(report.verdict >= Verdict::Malformed, "{report:?}");
    }
});
