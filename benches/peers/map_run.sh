#!/usr/bin/env bash
# The archive map's benchmark, one run: a `.pt2` written by real torch 2.15 with N
# parameters, N/8 buffers and SIZE bytes of weights (benches/peers/make_big_pt2.py, made
# once into BENCH_DIR and kept), then on that same file:
#   - ours, in-process (examples/map_timing): the signature alone vs the whole map;
#   - torch 2.15, in-process: torch.export.load (benches/peers/torch_map_peer.py);
#   - whole processes: `graphsig map --json` vs `python -c "import torch; torch.export.load(...)"`.
# Prints every result line and the ratios.
#
#   bash benches/peers/map_run.sh [N SIZE]     default: 100000 parameters, 1.1 GB
set -euo pipefail
cd "$(dirname "$0")/../.."
N=${1:-100000}
SIZE=${2:-1100000000}
DIR=${BENCH_DIR:-target/bench-data}
OUT=${BENCH_OUT:-target/bench-map-results.jsonl}
TORCH_PYTHON=${TORCH_PYTHON:-$(scripts/torch-venvs.sh 2.15.0)}
mkdir -p "$DIR"
ARCHIVE="$DIR/torch_${N}_${SIZE}.pt2"
if [ ! -f "$ARCHIVE" ]; then
    echo "== writing $ARCHIVE with torch (minutes for 100k parameters)" >&2
    "$TORCH_PYTHON" benches/peers/make_big_pt2.py "$ARCHIVE.part" "$N" "$SIZE" >&2
    mv "$ARCHIVE.part" "$ARCHIVE"
fi
cargo build -q --release --locked --example map_timing --bin graphsig
BYTES=$(stat -c %s "$ARCHIVE")
SPECS=$(target/release/graphsig inspect --json "$ARCHIVE" | python3 -c 'import json,sys; a=json.load(sys.stdin); print(len(a["parameters"])+len(a["buffers"])+len(a["user_inputs"])+len(a["user_outputs"]))')
: >"$OUT"
echo "== ours, in-process" >&2
target/release/examples/map_timing "$ARCHIVE" | tee -a "$OUT" >&2
echo "== torch 2.15, in-process" >&2
"$TORCH_PYTHON" benches/peers/torch_map_peer.py "$ARCHIVE" "${TORCH_REPS:-3}" | tee -a "$OUT" >&2
echo "== whole processes" >&2
python3 benches/peers/whole_process.py ours graphsig_map_json "$SPECS" "$BYTES" "${PROC_REPS:-10}" -- \
    target/release/graphsig map --json "$ARCHIVE" | tee -a "$OUT" >&2
python3 benches/peers/whole_process.py torch import_and_export_load "$SPECS" "$BYTES" "${TORCH_REPS:-3}" -- \
    "$TORCH_PYTHON" -c "import sys, torch; torch.export.load(sys.argv[1])" "$ARCHIVE" | tee -a "$OUT" >&2
python3 - "$OUT" <<'PY'
import json, sys
rows = {r["op"]: r for r in map(json.loads, open(sys.argv[1]))}
def ratio(a, b, key):
    return rows[b][key] / rows[a][key]
print(f"archive: {rows['map.build']['n']} specs, {rows['map.build']['bytes'] / 2**30:.2f} GiB")
for key in ("min_s", "median_s"):
    print(f"{key}: signature {rows['pt2.read_signature'][key]*1e3:.1f} ms, map {rows['map.build'][key]*1e3:.1f} ms "
          f"({ratio('pt2.read_signature', 'map.build', key):.2f}x the signature); torch.export.load "
          f"{rows['export.load'][key]:.2f} s ({ratio('map.build', 'export.load', key):.0f}x the map); whole process: "
          f"graphsig map --json {rows['graphsig_map_json'][key]*1e3:.0f} ms, python+torch {rows['import_and_export_load'][key]:.2f} s "
          f"({ratio('graphsig_map_json', 'import_and_export_load', key):.0f}x)")
PY
