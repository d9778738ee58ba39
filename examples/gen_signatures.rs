//! Writes the benchmark inputs: generated LLM/MoE-like signatures of 1k, 10k and 100k specs
//! (or `--specs N`) in every format, plus `.pt2` archives with tiny and 1 GiB (sparse)
//! weights, into a scratch directory. Used by `benches/peers/run.sh`; the criterion benches
//! make their own.
//!
//! ```sh
//! cargo run --release --example gen_signatures -- --out target/bench-data [--specs 100000] [--no-archives]
//! ```

#[path = "../benches/common/gen.rs"]
mod gen;

use std::path::PathBuf;

fn main() {
    let mut out = PathBuf::from("target/bench-data");
    let mut sizes: Vec<usize> = gen::SIZES.to_vec();
    let mut archives = true;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--out" => out = args.next().expect("--out DIR").into(),
            "--specs" => sizes = vec![args.next().and_then(|s| s.parse().ok()).expect("--specs N")],
            "--no-archives" => archives = false,
            other => {
                eprintln!("usage: gen_signatures [--out DIR] [--specs N] [--no-archives] (unknown {other:?})");
                std::process::exit(2);
            }
        }
    }
    for n in sizes {
        let sig = gen::write_all(&out, n, archives).expect("writing the files");
        let bytes = std::fs::metadata(gen::file(&out, n, "torch.json")).map(|m| m.len()).unwrap_or(0);
        println!(
            "{n} specs ({} inputs, {} outputs): torch JSON {bytes} bytes -> {}",
            sig.input_specs().len(),
            sig.output_specs().len(),
            out.display()
        );
    }
}
