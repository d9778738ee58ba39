#!/usr/bin/env bash
# How cost grows with the signature: our side of run.sh (examples/perf_timing) at 1k, 10k,
# 100k and 1M specs, then the per-spec time and peak heap of every codec at each size and
# their spread (BENCHMARKS.md, "Scaling"). No peer: the ratios to torch are run.sh's.
#
#   bash benches/peers/scaling.sh [N ...]     # default: 1000 10000 100000 1000000
#
# Env: BENCH_DIR (default target/bench-data; the 1M inputs take ~1 GiB on disk),
# BENCH_OUT (default target/bench-scaling.jsonl).
set -euo pipefail
cd "$(dirname "$0")/../.."
SIZES=("${@:-1000 10000 100000 1000000}")
read -r -a SIZES <<<"${SIZES[*]}"
DIR=${BENCH_DIR:-target/bench-data}
OUT=${BENCH_OUT:-target/bench-scaling.jsonl}

cargo build -q --release --example gen_signatures --example perf_timing
: >"$OUT"
for n in "${SIZES[@]}"; do
  echo "== $n specs: inputs" >&2
  target/release/examples/gen_signatures --out "$DIR" --specs "$n" >&2
  echo "== $n specs: ours (examples/perf_timing)" >&2
  target/release/examples/perf_timing "$DIR" "$n" | tee -a "$OUT" >&2
done
python3 benches/peers/report.py "$OUT" | sed -n '/^### Scaling/,$p'
