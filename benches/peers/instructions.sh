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
WT=target/before-worktree
command -v valgrind >/dev/null || { echo "instructions.sh: valgrind is needed (Debian: apt-get install valgrind)" >&2; exit 1; }

sha=$(git rev-parse --verify "$REV^{commit}")
if [ -e "$WT/.git" ]; then
  git -C "$WT" checkout -q --detach "$sha"
else
  git worktree add -q --detach "$WT" "$sha"
fi
echo "== building $sha (before) and this checkout (after), --release" >&2
(cd "$WT" && cargo build -q --release --example profile_op && cargo build -q --release -p graphsig)
cargo build -q --release --example gen_signatures --example profile_op
cargo build -q --release -p graphsig
target/release/examples/gen_signatures --out "$DIR" --specs "$N" >&2

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
  # 0.01 s: one operation (callgrind runs it far slower than that).
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
