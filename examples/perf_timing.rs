//! Our side of `benches/peers/run.sh`: times every codec, the accessors, the FlatBuffers
//! lookups and the archive reads on the files `gen_signatures` wrote, and measures the peak
//! heap while decoding with a counting global allocator. Prints one JSON line per figure.
//!
//! ```sh
//! cargo run --release --example perf_timing -- DIR N [--quick]
//! ```
//!
//! Each figure is the minimum and median of repeated runs (at least 5 and 1 s, or until
//! 200 runs); peak memory is the highest live heap during one decode, over the bytes live
//! before it (the input is already read), against the decoded model's own heap (what is
//! still live after the decode) plus its inline size.

#[path = "../benches/common/gen.rs"]
mod gen;

use std::alloc::{GlobalAlloc, Layout, System};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::time::{Duration, Instant};

use graph_signature::archive::pt2;
use graph_signature::codec::{self, fbs, torch_json, Format};
use graph_signature::ExportGraphSignature;

/// Counts live heap bytes and their peak.
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

fn note_alloc(size: usize) {
    let live = LIVE.fetch_add(size, Relaxed) + size;
    PEAK.fetch_max(live, Relaxed);
}

// SAFETY: every call is forwarded to the system allocator unchanged; only counters move.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note_alloc(layout.size());
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        note_alloc(layout.size());
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Relaxed);
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if new_size > layout.size() {
            note_alloc(new_size - layout.size());
        } else {
            LIVE.fetch_sub(layout.size() - new_size, Relaxed);
        }
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

struct Timing {
    min: f64,
    median: f64,
    reps: usize,
}

fn time<T>(budget: Duration, mut f: impl FnMut() -> T) -> Timing {
    let mut times = Vec::new();
    let start = Instant::now();
    while times.len() < 5 || (start.elapsed() < budget && times.len() < 200) {
        let t0 = Instant::now();
        let out = f();
        times.push(t0.elapsed().as_secs_f64());
        drop(std::hint::black_box(out));
    }
    times.sort_by(f64::total_cmp);
    Timing { min: times[0], median: times[times.len() / 2], reps: times.len() }
}

/// Like [`time`], with an untimed `setup` before each run.
fn time_with<S, T>(budget: Duration, mut setup: impl FnMut() -> S, mut f: impl FnMut(&S) -> T) -> Timing {
    let mut times = Vec::new();
    let start = Instant::now();
    while times.len() < 5 || (start.elapsed() < budget && times.len() < 200) {
        let s = setup();
        let t0 = Instant::now();
        let out = f(&s);
        times.push(t0.elapsed().as_secs_f64());
        drop(std::hint::black_box(out));
    }
    times.sort_by(f64::total_cmp);
    Timing { min: times[0], median: times[times.len() / 2], reps: times.len() }
}

fn report(op: &str, n: usize, bytes: usize, t: &Timing) {
    println!(
        "{{\"side\": \"ours\", \"op\": \"{op}\", \"n\": {n}, \"bytes\": {bytes}, \"min_s\": {:e}, \"median_s\": {:e}, \"reps\": {}}}",
        t.min, t.median, t.reps
    );
}

/// The model's size counted from its contents: the spec structs and every string's bytes
/// (no allocator slack, no spare capacity): a lower bound of what it holds.
fn content_bytes(sig: &ExportGraphSignature) -> usize {
    use graph_signature::{ArgumentSpec, ConstantValue};
    let arg = |a: &ArgumentSpec| match a {
        ArgumentSpec::CustomObj { name, class_fqn } => name.len() + class_fqn.len(),
        ArgumentSpec::Constant { name, value: ConstantValue::String(v) } => name.len() + v.len(),
        other => other.name().len(),
    };
    let ins: usize = sig.input_specs().iter().map(|s| arg(&s.arg) + s.target.as_ref().map_or(0, String::len)).sum();
    let outs: usize = sig.output_specs().iter().map(|s| arg(&s.arg) + s.target.as_ref().map_or(0, String::len)).sum();
    std::mem::size_of::<ExportGraphSignature>()
        + std::mem::size_of_val(sig.input_specs())
        + std::mem::size_of_val(sig.output_specs())
        + ins
        + outs
}

/// Peak heap above the start during `f`, and the heap `f`'s result still holds.
fn peak_during(f: impl FnOnce() -> ExportGraphSignature) -> (usize, usize, ExportGraphSignature) {
    let before = LIVE.load(Relaxed);
    PEAK.store(before, Relaxed);
    let sig = f();
    let peak = PEAK.load(Relaxed) - before;
    let held = LIVE.load(Relaxed) - before + std::mem::size_of::<ExportGraphSignature>();
    (peak, held, sig)
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (dir, n) = match args.as_slice() {
        [dir, n, ..] => (Path::new(dir), n.parse::<usize>().expect("N")),
        _ => {
            eprintln!("usage: perf_timing DIR N [--quick]");
            std::process::exit(2);
        }
    };
    let budget = if args.iter().any(|a| a == "--quick") { Duration::from_millis(200) } else { Duration::from_secs(1) };
    let read = |ext: &str| std::fs::read(gen::file(dir, n, ext)).expect("run gen_signatures first");
    let sig = gen::llm_signature(n);

    // torch JSON: decode (what torch.export.load does) and our byte-exact writer.
    let tj = read("torch.json");
    assert_eq!(torch_json::decode(&tj).expect("decode").signature, sig, "the file is the generator's");
    report("torch_json.decode", n, tj.len(), &time(budget, || torch_json::decode(&tj).unwrap()));
    let opts = torch_json::WriteOptions::default();
    report("torch_json.encode", n, tj.len(), &time(budget, || torch_json::encode(&sig, &opts).unwrap()));

    // Our formats.
    for (format, ext) in
        [(Format::Proto, "pb"), (Format::Json, "json"), (Format::Bincode, "bincode"), (Format::Fbs, "gsig")]
    {
        let Ok(bytes) = std::fs::read(gen::file(dir, n, ext)) else { continue }; // over its limit at this size
        assert_eq!(codec::decode(&bytes, format).unwrap(), sig);
        let name = format.name();
        report(&format!("{name}.decode"), n, bytes.len(), &time(budget, || codec::decode(&bytes, format).unwrap()));
        report(&format!("{name}.encode"), n, bytes.len(), &time(budget, || codec::encode(&sig, format).unwrap()));
    }

    // FlatBuffers lookups straight from the buffer.
    let (name, target, out_name) = gen::probe_keys(&sig);
    let gsig = std::fs::read(gen::file(dir, n, "gsig")).unwrap_or_default();
    if !gsig.is_empty() {
        report("fbs.verify", n, gsig.len(), &time(budget, || fbs::SignatureView::new(&gsig).unwrap().input_count()));
        let view = fbs::SignatureView::new(&gsig).unwrap();
        assert!(view.input_index_by_name(&name).is_some());
        report("fbs.lookup_by_name", n, gsig.len(), &time(budget, || view.input_by_name(&name).unwrap().unwrap()));
        report(
            "fbs.lookup_by_target",
            n,
            gsig.len(),
            &time(budget, || view.input_by_target(&target).unwrap().unwrap()),
        );
        report(
            "fbs.verify_and_lookup",
            n,
            gsig.len(),
            &time(budget, || fbs::SignatureView::new(&gsig).unwrap().input_by_name(&name).unwrap().unwrap()),
        );
    }

    // Accessors: the first call builds every view; later lookups are hash lookups.
    report("accessors.build", n, 0, &time_with(budget, || sig.clone(), |s| s.inputs_to_parameters().len()));
    let _ = sig.inputs_to_parameters();
    report("accessors.lookup", n, 0, &time(budget, || sig.inputs_to_parameters().get(name.as_str()).cloned()));
    report(
        "accessors.lookup_mutation",
        n,
        0,
        &time(budget, || sig.buffers_to_mutate().get(out_name.as_str()).cloned()),
    );

    // Archives: tiny weights against 1 GiB of weights.
    for big in [false, true] {
        let path = gen::archive(dir, n, big);
        if path.exists() {
            let size = std::fs::metadata(&path).map(|m| m.len() as usize).unwrap_or(0);
            let op = if big { "pt2.read_1gib" } else { "pt2.read_tiny" };
            report(op, n, size, &time(budget, || pt2::read_path(&path).unwrap()));
        }
    }

    // Peak heap while decoding, against the decoded model's own size.
    let files: [(&str, Vec<u8>); 5] = [
        ("torch-json", tj),
        ("proto", read("pb")),
        ("json", read("json")),
        ("bincode", std::fs::read(gen::file(dir, n, "bincode")).unwrap_or_default()),
        ("fbs", gsig),
    ];
    for (fname, bytes) in files.iter().filter(|(_, bytes)| !bytes.is_empty()) {
        let format: Format = fname.parse().unwrap();
        let (peak, held, decoded) = peak_during(|| codec::decode(bytes, format).unwrap());
        assert_eq!(decoded, sig);
        let content = content_bytes(&decoded);
        drop(decoded);
        println!(
            "{{\"side\": \"ours\", \"op\": \"{fname}.decode_peak_heap\", \"n\": {n}, \"bytes\": {}, \"peak_bytes\": {peak}, \"model_bytes\": {held}, \"model_content_bytes\": {content}, \"ratio\": {:.3}, \"ratio_to_content\": {:.3}}}",
            bytes.len(),
            peak as f64 / held as f64,
            peak as f64 / content as f64
        );
    }
}
