#!/usr/bin/env bash
# Before and after in instructions, not seconds: valgrind's callgrind counts the instructions
# one operation executes (the same count run after run, whatever else the machine does), for
# an earlier commit REV (a git worktree under target/, as before_after.sh) and this checkout,
# on the same inputs (BENCHMARKS.md, "Before and after"). Each count is a whole process:
#
#   decode   examples/profile_op reads the file, decodes it once, drops the model
#   encode   the same plus one encode; the table shows encode minus decode
#   convert  `graphsig convert --from torch-json --to torch-json FILE -`, output to /dev/null
#
#   bash benches/peers/instructions.sh REV [N]     # N defaults to 100000
#
# Env: BENCH_DIR (default target/bench-data). Needs valgrind.
set -euo pipefail
cd "$(dirname "$0")/../.."
REV=${1:?usage: bash benches/peers/instructions.sh REV [N]}
N=${2:-100000}
DIR=${BENCH_DIR:-target/bench-data}
# profile_op repeats its operation until 0.01 s have passed; under callgrind one operation
# on 10,000 specs or more takes longer than that, so each count is one operation.
[ "$N" -ge 10000 ] || { echo "instructions.sh: N must be at least 10000 (one operation per count)" >&2; exit 2; }
command -v valgrind >/dev/null || { echo "instructions.sh: valgrind is needed (Debian: apt-get install valgrind)" >&2; exit 1; }

source benches/peers/before_worktree.sh
build_before_and_after "$REV" profile_op "$DIR" "$N"

count() { # prints the instructions of one process
  valgrind --tool=callgrind --callgrind-out-file=/dev/null "$@" 2>&1 >/dev/null \
    | sed -n 's/.*Collected : \([0-9]*\).*/\1/p'
}
json="$DIR/sig_$N.torch.json"
pb="$DIR/sig_$N.pb"
declare -A c
for side in before after; do
  if [ "$side" = before ]; then root=$WT; else root=.; fi
  op=$root/target/release/examples/profile_op
  echo "== $side" >&2
  c[$side.torch_json.decode]=$(count "$op" torch-json-decode "$json" 0.01)
  c[$side.torch_json.encode]=$(( $(count "$op" torch-json-encode "$json" 0.01) - c[$side.torch_json.decode] ))
  c[$side.proto.decode]=$(count "$op" proto-decode "$pb" 0.01)
  c[$side.proto.encode]=$(( $(count "$op" proto-encode "$pb" 0.01) - c[$side.proto.decode] ))
  c[$side.convert]=$(count "$root/target/release/graphsig" convert --from torch-json --to torch-json "$json" -)
done

echo "before = ${sha:0:7}, after = this checkout; instructions (millions), $N specs"
echo
echo "| figure | before | after | before / after |"
echo "|---|---|---|---|"
for f in torch_json.decode torch_json.encode proto.decode proto.encode convert; do
  b=${c[before.$f]} a=${c[after.$f]}
  python3 -c "import sys; b, a = int(sys.argv[2]), int(sys.argv[3]); print(f'| {sys.argv[1]} | {b/1e6:.1f} M | {a/1e6:.1f} M | {b/a:.2f}x |')" "$f" "$b" "$a"
done
