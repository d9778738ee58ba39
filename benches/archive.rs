//! Reading the signature out of a `.pt2` with tiny weights and out of one with 1 GiB of
//! weights (a sparse file: the weights record is a hole, written at bench start into a
//! scratch directory and never committed). Only the central directory and the model JSON
//! are read, so both take the same time.
//!
//! ```sh
//! cargo bench --bench archive
//! ```

#[path = "common/gen.rs"]
mod gen;

use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use graph_signature::archive::pt2;

fn archives(c: &mut Criterion) {
    let dir = std::env::temp_dir().join(format!("graph-signature-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut group = c.benchmark_group("pt2_read");
    for n in [1_000, 100_000] {
        let model = gen::model_json_bytes(&gen::llm_signature(n));
        for (big, label) in [(false, "tiny_weights"), (true, "1gib_weights")] {
            let path = gen::archive(&dir, n, big);
            gen::write_pt2(&path, &model, if big { gen::BIG_WEIGHTS } else { 16 }).unwrap();
            group.bench_function(BenchmarkId::new(label, n), |b| {
                b.iter_with_large_drop(|| pt2::read_path(&path).unwrap())
            });
        }
    }
    group.finish();
    std::fs::remove_dir_all(&dir).ok();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(10).warm_up_time(Duration::from_millis(300)).measurement_time(Duration::from_secs(1));
    targets = archives
}
criterion_main!(benches);
