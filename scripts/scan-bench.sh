#!/usr/bin/env bash
# Throughput of `graphsig scan` against picklescan (and modelscan) on the same directories
# (BENCHMARKS.md, "Scanning model files"):
#
#   scripts/scan-bench.sh [COPIES]      default COPIES=20
#
#   A  tests/fixtures/archives: the repository's real archives (15 torch releases);
#   B  COPIES copies of A in one directory tree (COPIES x 201 files).
#
# Each tool runs 3 times per directory (modelscan on A only: it takes minutes on B); the best wall time is reported, with files/s and
# MB/s (MB = 10^6 bytes of the files). graphsig runs on every core (-j 0) and on one
# (-j 1). The peers come from the venv scripts/scan-check.sh installs (pinned in
# scripts/scan-peers.txt); a peer that does not start fails the run.
set -euo pipefail
cd "$(dirname "$0")/.."
COPIES=${1:-20}
CACHE=${GRAPHSIG_CACHE:-$HOME/.cache/graph-signature}
PEERS=$CACHE/scan-peers-venv
[ -x "$PEERS/bin/picklescan" ] || { echo "scan-bench: run scripts/scan-check.sh first (it installs the peers)" >&2; exit 1; }
cargo build --release --locked -p graphsig >&2
GRAPHSIG=$PWD/target/release/graphsig
WORK=$(mktemp -d "${TMPDIR:-/tmp}/graphsig-scan-bench.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
A=tests/fixtures/archives
B=$WORK/copies
for i in $(seq 1 "$COPIES"); do
    mkdir -p "$B/$i"
    cp -r "$A"/torch-* "$B/$i/"
done

files() { find "$1" -type f \( -name '*.pt2' -o -name '*.pt' -o -name '*.pth' -o -name '*.bin' -o -name '*.pkl' -o -name '*.safetensors' \) | wc -l; }
bytes() { find "$1" -type f \( -name '*.pt2' -o -name '*.pt' -o -name '*.pth' -o -name '*.bin' -o -name '*.pkl' -o -name '*.safetensors' \) -printf '%s\n' | awk '{s+=$1} END {print s}'; }

PICKLESCAN_EACH='
import pathlib, sys
from picklescan.scanner import scan_file_path
exts = {".pt2", ".pt", ".pth", ".bin", ".pkl", ".safetensors"}
files = sorted(p for p in pathlib.Path(sys.argv[1]).rglob("*") if p.suffix in exts)
scanned = sum(scan_file_path(str(p)).scanned_files for p in files)
assert scanned > 0, "picklescan scanned nothing"
'

best() { # best TIMES... : the smallest
    printf '%s\n' "$@" | sort -g | head -1
}
run() { # run LABEL DIR CMD...: 3 runs, prints a table row
    local label=$1 dir=$2; shift 2
    local times=() n b t
    for _ in 1 2 3; do
        local start end
        start=$(date +%s.%N)
        "$@" > /dev/null 2>&1 || true
        end=$(date +%s.%N)
        times+=("$(echo "$end - $start" | bc -l)")
    done
    t=$(best "${times[@]}")
    n=$(files "$dir"); b=$(bytes "$dir")
    printf '| %s | %s | %d | %.1f | %.3f | %.0f | %.1f |\n' "$label" "$(basename "$dir")" "$n" "$(echo "$b / 1000000" | bc -l)" \
        "$t" "$(echo "$n / $t" | bc -l)" "$(echo "$b / 1000000 / $t" | bc -l)"
}

"$GRAPHSIG" scan --no-progress "$A" > /dev/null || { echo "scan-bench: graphsig failed on the fixtures" >&2; exit 1; }
"$PEERS/bin/python" -c "$PICKLESCAN_EACH" "$A" || { echo "scan-bench: picklescan failed" >&2; exit 1; }

echo "machine: $(nproc) cores, $(uname -m); graphsig $("$GRAPHSIG" --version | cut -d' ' -f2); picklescan 1.0.5, modelscan 0.8.8"
echo
echo "| tool | directory | files | MB | best of 3 (s) | files/s | MB/s |"
echo "|---|---|---|---|---|---|---|"
for dir in "$A" "$B"; do
    run "graphsig scan (all cores)" "$dir" "$GRAPHSIG" scan --no-progress -j 0 "$dir"
    run "graphsig scan (1 thread)" "$dir" "$GRAPHSIG" scan --no-progress -j 1 "$dir"
    # picklescan --path DIR skips .pt2 files (0 scanned): its scanner is called on each
    # file in one process instead, so it reads what graphsig reads.
    run "picklescan (scan_file_path per file)" "$dir" "$PEERS/bin/python" -c "$PICKLESCAN_EACH" "$dir"
    # modelscan takes minutes on B (about 20 files/s): A only.
    [ "$dir" = "$A" ] && run "modelscan -p" "$dir" "$PEERS/bin/modelscan" -p "$dir" -r json -o "$WORK/modelscan.json"
done
