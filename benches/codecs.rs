//! Encode and decode for every codec, the accessors, lookups and FlatBuffers lookups straight
//! from a verified buffer, on generated LLM/MoE signatures of 1k, 10k and 100k specs
//! (`benches/common/gen.rs`).
//!
//! ```sh
//! cargo bench --bench codecs            # everything (a few minutes)
//! cargo bench --bench codecs -- 100000  # one size
//! ```

#[path = "common/gen.rs"]
mod gen;

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use graph_signature::codec::{self, fbs, torch_json, Format};

fn codecs(c: &mut Criterion) {
    for &n in gen::SIZES {
        let sig = gen::llm_signature(n);
        let mut group = c.benchmark_group("torch_json");
        let bytes = gen::torch_json_bytes(&sig);
        group.throughput(Throughput::Bytes(bytes.len() as u64));
        group.bench_function(BenchmarkId::new("decode", n), |b| {
            b.iter_with_large_drop(|| torch_json::decode(black_box(&bytes)))
        });
        let opts = torch_json::WriteOptions::default();
        group.bench_function(BenchmarkId::new("encode", n), |b| b.iter(|| torch_json::encode(black_box(&sig), &opts)));
        group.finish();
        for format in [Format::Proto, Format::Json, Format::Bincode, Format::Fbs] {
            let bytes = codec::encode(&sig, format).unwrap();
            let mut group = c.benchmark_group(format.name());
            group.throughput(Throughput::Bytes(bytes.len() as u64));
            group.bench_function(BenchmarkId::new("decode", n), |b| {
                b.iter_with_large_drop(|| codec::decode(black_box(&bytes), format))
            });
            group.bench_function(BenchmarkId::new("encode", n), |b| b.iter(|| codec::encode(black_box(&sig), format)));
            group.finish();
        }
    }
}

fn accessors(c: &mut Criterion) {
    let mut group = c.benchmark_group("accessors");
    for &n in gen::SIZES {
        let sig = gen::llm_signature(n);
        let (name, _, out) = gen::probe_keys(&sig);
        // The first accessor call builds every view (the clone starts without them).
        group.bench_function(BenchmarkId::new("build", n), |b| {
            b.iter_batched(|| sig.clone(), |s| s.inputs_to_parameters().len(), criterion::BatchSize::LargeInput)
        });
        let _ = sig.inputs_to_parameters();
        group.bench_function(BenchmarkId::new("inputs_to_parameters[name]", n), |b| {
            b.iter(|| sig.inputs_to_parameters().get(black_box(name.as_str())).map(String::len))
        });
        group.bench_function(BenchmarkId::new("buffers_to_mutate[name]", n), |b| {
            b.iter(|| sig.buffers_to_mutate().get(black_box(out.as_str())).map(String::len))
        });
        group.bench_function(BenchmarkId::new("non_persistent_buffers", n), |b| {
            b.iter(|| sig.non_persistent_buffers().len())
        });
    }
    group.finish();
}

fn flatbuffers(c: &mut Criterion) {
    let mut group = c.benchmark_group("fbs_view");
    for &n in gen::SIZES {
        let sig = gen::llm_signature(n);
        let (name, target, out) = gen::probe_keys(&sig);
        let bytes = fbs::encode(&sig).unwrap();
        group.bench_function(BenchmarkId::new("verify", n), |b| {
            b.iter(|| fbs::SignatureView::new(black_box(&bytes)).unwrap().input_count())
        });
        group.bench_function(BenchmarkId::new("verify+input_by_name", n), |b| {
            b.iter(|| fbs::SignatureView::new(black_box(&bytes)).unwrap().input_by_name(&name).unwrap())
        });
        let view = fbs::SignatureView::new(&bytes).unwrap();
        group.bench_function(BenchmarkId::new("input_by_name", n), |b| {
            b.iter(|| view.input_by_name(black_box(&name)).unwrap())
        });
        group.bench_function(BenchmarkId::new("input_by_target", n), |b| {
            b.iter(|| view.input_by_target(black_box(&target)).unwrap())
        });
        group.bench_function(BenchmarkId::new("output_by_name", n), |b| {
            b.iter(|| view.output_by_name(black_box(&out)).unwrap())
        });
    }
    group.finish();
}

fn config() -> Criterion {
    // Two shared cores: few samples, short windows.
    Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(1))
}

criterion_group! {
    name = benches;
    config = config();
    targets = codecs, accessors, flatbuffers
}
criterion_main!(benches);
