//! One codec operation in a loop, for a profiler (`perf record`, `perf stat`, heaptrack):
//! BENCHMARKS.md's profiles come from it.
//!
//! ```sh
//! cargo build --release --example profile_op
//! perf record -g target/release/examples/profile_op torch-json-decode target/bench-data/sig_100000.json 5
//! ```
//!
//! Operations: `torch-json-decode`, `torch-json-encode`, `proto-decode`, `proto-encode` (the
//! encoders encode what the file decodes to). The last argument is seconds (default 5).

use std::time::{Duration, Instant};

use graph_signature::codec::{self, torch_json, Format};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [op, file, rest @ ..] = args.as_slice() else {
        eprintln!("usage: profile_op OP FILE [SECONDS]");
        std::process::exit(2);
    };
    let seconds: f64 = rest.first().map_or(5.0, |s| s.parse().expect("seconds"));
    let bytes = std::fs::read(file).expect("read the input");
    let options = torch_json::WriteOptions::default();
    let run: Box<dyn Fn() -> usize> = match op.as_str() {
        "torch-json-decode" => Box::new(|| torch_json::decode(&bytes).expect("decode").signature.input_specs().len()),
        "torch-json-encode" => {
            let sig = torch_json::decode(&bytes).expect("decode").signature;
            Box::new(move || torch_json::encode(&sig, &options).expect("encode").len())
        }
        "proto-decode" => Box::new(|| codec::decode(&bytes, Format::Proto).expect("decode").input_specs().len()),
        "proto-encode" => {
            let sig = codec::decode(&bytes, Format::Proto).expect("decode");
            Box::new(move || codec::encode(&sig, Format::Proto).expect("encode").len())
        }
        other => {
            eprintln!("unknown operation {other}");
            std::process::exit(2);
        }
    };
    let start = Instant::now();
    let (mut runs, mut total) = (0u64, 0usize);
    while start.elapsed() < Duration::from_secs_f64(seconds) {
        total += run();
        runs += 1;
    }
    let per = start.elapsed().as_secs_f64() / runs as f64;
    eprintln!("{op}: {runs} runs, {:.3} ms each ({total} items)", per * 1e3);
}
