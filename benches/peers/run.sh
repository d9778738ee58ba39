#!/usr/bin/env bash
# One run, same input files: our release timings (examples/perf_timing), torch 2.15's own
# Python path (torch_peer.py) and Python protobuf/upb (upb_peer.py); prints every figure,
# the ratios and which targets of BENCHMARKS.md are met.
#
#   bash benches/peers/run.sh [N ...]       # default: 100000
#
# Env: TORCH_PYTHON (default: the torch 2.15.0 venv of scripts/torch-venvs.sh, made when
# missing), PEERS_VENV (default .venv-peers, made by setup.sh when missing), BENCH_DIR
# (default target/bench-data; ~3 GiB apparent, ~100 MiB on disk: the 1 GiB weights are
# sparse), TORCH_REPS (default 3), UPB_REPS (10), WHOLE_REPS (20: whole graphsig processes).
set -euo pipefail
cd "$(dirname "$0")/../.."
SIZES=("${@:-100000}")
TORCH_PYTHON=${TORCH_PYTHON:-$(scripts/torch-venvs.sh 2.15.0)}
export PEERS_VENV=${PEERS_VENV:-$PWD/.venv-peers}
DIR=${BENCH_DIR:-target/bench-data}
OUT=${BENCH_OUT:-target/bench-results.jsonl}

[ -x "$PEERS_VENV/bin/python" ] && [ -d "$PEERS_VENV/gen" ] || bash benches/peers/setup.sh
cargo build -q --release --example gen_signatures --example perf_timing --bin graphsig
: >"$OUT"
python3 - >>"$OUT" <<'PY'
import json, os, platform
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
print(json.dumps({"side": "machine", "nproc": os.cpu_count(), "cpu": cpu, "kernel": platform.release()}))
PY
for n in "${SIZES[@]}"; do
  echo "== $n specs: inputs" >&2
  target/release/examples/gen_signatures --out "$DIR" --specs "$n" >&2
  echo "== $n specs: ours (examples/perf_timing)" >&2
  target/release/examples/perf_timing "$DIR" "$n" | tee -a "$OUT" >&2
  echo "== $n specs: ours, the whole process (graphsig convert torch-json to torch-json, to /dev/null)" >&2
  python3 benches/peers/whole_process.py ours convert.whole_process "$n" "$(stat -c %s "$DIR/sig_$n.torch.json")" \
    "${WHOLE_REPS:-20}" -- target/release/graphsig convert --from torch-json --to torch-json "$DIR/sig_$n.torch.json" - \
    | tee -a "$OUT" >&2
  echo "== $n specs: Python protobuf (upb)" >&2
  "$PEERS_VENV/bin/python" benches/peers/upb_peer.py "$DIR" "$n" "${UPB_REPS:-10}" | tee -a "$OUT" >&2
  echo "== $n specs: torch ($TORCH_PYTHON)" >&2
  "$TORCH_PYTHON" benches/peers/torch_peer.py "$DIR" "$n" "${TORCH_REPS:-3}" | tee -a "$OUT" >&2
done
python3 benches/peers/report.py "$OUT"
