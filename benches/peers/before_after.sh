#!/usr/bin/env bash
# Before and after in one run: the torch-JSON and proto codecs (examples/perf_timing) and the
# whole `graphsig convert --from torch-json --to torch-json` process, built from an earlier
# commit REV (a git worktree under target/) and from this checkout, timed one after the other
# on the same inputs (BENCHMARKS.md, "Before and after").
#
#   bash benches/peers/before_after.sh REV [N]     # N defaults to 100000
#
# Env: BENCH_DIR (default target/bench-data), BENCH_OUT (default
# target/bench-before-after.jsonl), WHOLE_REPS (default 20).
set -euo pipefail
cd "$(dirname "$0")/../.."
REV=${1:?usage: bash benches/peers/before_after.sh REV [N]}
N=${2:-100000}
DIR=${BENCH_DIR:-target/bench-data}
OUT=${BENCH_OUT:-target/bench-before-after.jsonl}
REPS=${WHOLE_REPS:-20}

source benches/peers/before_worktree.sh
build_before_and_after "$REV" perf_timing "$DIR" "$N"

: >"$OUT"
json="$DIR/sig_$N.torch.json"
for side in before after; do
  if [ "$side" = before ]; then root=$WT; else root=.; fi
  echo "== $side: examples/perf_timing" >&2
  "$root/target/release/examples/perf_timing" "$DIR" "$N" \
    | python3 -c '
import json, sys
for line in sys.stdin:
    r = json.loads(line)
    if r.get("op", "").split(".")[0] in ("torch_json", "proto") and r["op"].endswith(("decode", "encode")):
        r["side"] = sys.argv[1]
        print(json.dumps(r))' "$side" | tee -a "$OUT" >&2
  echo "== $side: the whole process" >&2
  python3 benches/peers/whole_process.py "$side" convert.whole_process "$N" 0 "$REPS" -- \
    "$root/target/release/graphsig" convert --from torch-json --to torch-json "$json" - \
    | tee -a "$OUT" >&2
done

python3 - "$OUT" "$sha" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
by = {(r["side"], r["op"]): r for r in rows}
ops = [r["op"] for r in rows if r["side"] == "before"]
def ms(s):
    return f"{s * 1e3:.2f} ms"
print(f"before = {sys.argv[2][:7]}, after = this checkout; medians (minimums)\n")
print("| figure | before | after | before / after |")
print("|---|---|---|---|")
for op in ops:
    b, a = by[("before", op)], by.get(("after", op))
    if a is None:
        continue
    print(f"| {op} | {ms(b['median_s'])} ({ms(b['min_s'])}) | {ms(a['median_s'])} ({ms(a['min_s'])}) "
          f"| {b['median_s'] / a['median_s']:.2f}x |")
PY
