//! Every decoder on the same bytes: each must return a signature or a typed error, never
//! panic, and a signature it returns must re-encode and decode to itself.
#![no_main]

use graph_signature::codec::framed::FrameReader;
use graph_signature::codec::{self, fbs, Format};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    for &format in Format::ALL {
        if let Ok(sig) = codec::decode(bytes, format) {
            for &to in Format::WRITABLE {
                let again = codec::encode(&sig, to).expect("a decoded signature encodes");
                let back = codec::decode(&again, to).expect("what we wrote we read");
                if to != Format::Json {
                    assert_eq!(back, sig, "{format} -> {to}");
                }
            }
        }
    }
    if let Ok(view) = fbs::SignatureView::new(bytes) {
        for i in 0..view.input_count().min(64) {
            let _ = view.input(i);
        }
        let _ = view.input_by_name("x");
        let _ = view.input_by_target("w");
        let _ = view.output_by_name("y");
    }
    for frame in FrameReader::with_max_frame(bytes, 1 << 20) {
        let _ = frame;
    }
});
