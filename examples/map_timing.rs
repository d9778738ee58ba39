//! Our side of `benches/peers/map_run.sh`: in one process, the time to read a `.pt2`'s
//! signature alone (`pt2::read_path`) and to build its whole archive map
//! (`map::ArchiveMap::open`: signature, tensor metadata, payload index, plan), each the
//! minimum and median of repeated runs, as JSON lines.
//!
//! ```sh
//! cargo run --release --example map_timing -- ARCHIVE.pt2
//! ```

use std::time::{Duration, Instant};

use graph_signature::archive::pt2;
use graph_signature::map::{ArchiveMap, Profile};

fn time<T>(mut f: impl FnMut() -> T) -> (f64, f64, usize) {
    let mut times = Vec::new();
    let start = Instant::now();
    while times.len() < 5 || (start.elapsed() < Duration::from_secs(3) && times.len() < 50) {
        let t0 = Instant::now();
        let out = f();
        times.push(t0.elapsed().as_secs_f64());
        drop(std::hint::black_box(out));
    }
    times.sort_by(f64::total_cmp);
    (times[0], times[times.len() / 2], times.len())
}

fn main() {
    let path = std::env::args().nth(1).expect("usage: map_timing ARCHIVE.pt2");
    let bytes = std::fs::metadata(&path).expect("the archive").len();
    let map = ArchiveMap::open(&path, None).expect("a map");
    let specs = map.signature.input_specs().len() + map.signature.output_specs().len();
    let errors =
        map.check(Profile::Default).into_iter().filter(|f| f.severity == graph_signature::map::Severity::Error).count();
    assert_eq!(errors, 0, "the archive fails the map's checks");
    drop(map);
    for (op, (min, median, reps)) in [
        ("pt2.read_signature", time(|| pt2::read_path(&path).unwrap())),
        ("map.build", time(|| ArchiveMap::open(&path, None).unwrap())),
    ] {
        println!(
            "{{\"side\": \"ours\", \"op\": \"{op}\", \"n\": {specs}, \"bytes\": {bytes}, \"min_s\": {min:e}, \"median_s\": {median:e}, \"reps\": {reps}}}"
        );
    }
}
