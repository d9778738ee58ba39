#!/usr/bin/env bash
# The Python package against torch 2.15 (python_peer.py), in one run on the same files:
# the 100k-spec torch JSON and the sparse 1 GiB .pt2 of gen_signatures, and a real torch
# archive with 1 GiB of weights (make_torch_pt2.py, made once).
#
#   bash benches/peers/python_run.sh [N] [REPS]      # default 100000, 5
#
# Env: BENCH_DIR (default target/bench-data), GRAPHSIG_CACHE (the build venv of
# scripts/python-check.sh and the torch venvs of scripts/torch-venvs.sh).
set -euo pipefail
cd "$(dirname "$0")/../.."
N=${1:-100000}
REPS=${2:-5}
DIR=${BENCH_DIR:-target/bench-data}
CACHE=${GRAPHSIG_CACHE:-$HOME/.cache/graph-signature}
build_venv=$CACHE/python-build-venv
[ -x "$build_venv/bin/maturin" ] || { echo "run scripts/python-check.sh first (it makes $build_venv)" >&2; exit 1; }
torch_py=$(bash scripts/torch-venvs.sh 2.15.0)

"$build_venv/bin/maturin" build --release --locked --quiet -m python/Cargo.toml --out target/python-bench-wheel >&2
site=target/python-bench-site
rm -rf "$site"
"$build_venv/bin/pip" install -q --no-deps --target "$site" "$(ls -t target/python-bench-wheel/graph_signature-*.whl | head -1)"

[ -f "$DIR/sig_$N.torch.json" ] && [ -f "$DIR/model_${N}_1gib.pt2" ] \
    || cargo run -q --release --locked --example gen_signatures -- --out "$DIR" --specs "$N" >&2
[ -f "$DIR/torch_1gib.pt2" ] || "$torch_py" benches/peers/make_torch_pt2.py "$DIR/torch_1gib.pt2"
python3 -c 'import os; print("machine:", os.cpu_count(), "cpus,", next(l.split(":",1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")))'
PYTHONPATH=$site:benches/peers "$torch_py" benches/peers/python_peer.py "$DIR" "$N" "$DIR/torch_1gib.pt2" "$REPS"
