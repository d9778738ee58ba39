//! Writes the hostile inputs of `tests/support/hostile.rs` into a folder, for the
//! peak-memory table of BENCHMARKS.md (`benches/hostile/run.sh`).
//!
//! `cargo run --release --example hostile_inputs -- OUT_DIR`

#[path = "../tests/support/hostile.rs"]
mod hostile;

fn main() {
    let dir = std::path::PathBuf::from(std::env::args().nth(1).expect("usage: hostile_inputs OUT_DIR"));
    std::fs::create_dir_all(&dir).unwrap();
    let model_json = std::fs::read("examples/batchnorm.model.json").expect("run from the repository root");
    let write = |name: &str, bytes: Vec<u8>| std::fs::write(dir.join(name), bytes).unwrap();
    // 1 GiB of zeros in a record that declares 1 KiB.
    write("bomb.pt2", hostile::pt2_with_deflate_bomb(hostile::deflate_bomb(1024), 1024));
    // 20 programs whose records all share the bytes of one such bomb.
    let bomb = hostile::deflate_bomb(1024);
    let names: Vec<String> = (0..20).map(|i| format!("m/models/model_{i:02}.json")).collect();
    let mut records = vec![hostile::Record::stored("m/archive_format", b"pt2")];
    for name in &names {
        let mut r =
            hostile::Record { name, stored: bomb.clone(), method: 8, declared_size: 1 << 30, crc: 0, offset: Some(64) };
        if records.len() > 1 {
            r.stored.clear(); // the same bytes: the first record's
        }
        records.push(r);
    }
    write("overlapping-bombs.pt2", hostile::zip(&records));
    write("empty-specs.pb", hostile::proto_of_empty_specs(10_000_000));
    write("shared-names.gsig", hostile::fbs_of_shared_names(20_000, 10_000));
    write("huge-header.safetensors", hostile::safetensors_of_empty_tensors(99_000_000));
    write("programs-3000.pt2", hostile::pt2_with_models(3000, &model_json));
    write("nan.json", hostile::NAN_SIGNATURE_JSON.to_vec());
}
