#!/usr/bin/env bash
# The long fuzzing campaign: every cargo-fuzz target of fuzz/ for RUNS executions (default
# ten million), without a sanitizer (`-s none`: the crate's code is safe Rust, and the speed
# buys executions; scripts/fuzz-ci.sh is the AddressSanitizer run), at the lowest priority.
#
#   bash scripts/fuzz-campaign.sh                       # every target, 10,000,000 runs each
#   FUZZ_JOBS=1 bash scripts/fuzz-campaign.sh 1000000 pt2 embed
#
# FUZZ_JOBS targets run at once (default 2, one per core of the project's machines). Each
# target's corpus grows in fuzz/corpus/<target>/ (not committed; delete it to start over from
# the seeds), its crashes go to fuzz/artifacts/<target>/ and its log to
# fuzz/campaign/<target>.log; the summary (executions, seconds, coverage, corpus size) is
# printed at the end and kept in fuzz/campaign/summary.txt. A crash's input belongs in
# fuzz/regressions/<target>/ once its bug is fixed, with a test in the main suite.
set -euo pipefail
cd "$(dirname "$0")/.."

RUNS=${1:-10000000}
shift || true
JOBS=${FUZZ_JOBS:-2}
mapfile -t targets < <(if [ $# -gt 0 ]; then printf '%s\n' "$@"; else cargo fuzz list --fuzz-dir fuzz; fi)

echo "== building ${#targets[@]} targets (-s none, debug assertions on)"
cargo fetch --locked --manifest-path fuzz/Cargo.toml
cargo fuzz build --fuzz-dir fuzz -s none --debug-assertions
bin=fuzz/target/x86_64-unknown-linux-gnu/release
mkdir -p fuzz/campaign

run_one() {
    local target=$1 runs=$2 bin=$3
    local inputs=()
    for dir in "fuzz/seeds/$target" "fuzz/regressions/$target"; do
        if [ -d "$dir" ]; then inputs+=("$dir"); fi
    done
    mkdir -p "fuzz/corpus/$target" "fuzz/artifacts/$target"
    local start=$SECONDS status=ok
    nice -n 19 "$bin/$target" "fuzz/corpus/$target" "${inputs[@]}" -runs="$runs" -timeout=10 \
        -rss_limit_mb=2048 -artifact_prefix="fuzz/artifacts/$target/" -print_final_stats=1 \
        >"fuzz/campaign/$target.log" 2>&1 || status=FAIL
    local log=fuzz/campaign/$target.log
    local execs cov corpus
    execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo '?')
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*' || echo '?')
    corpus=$(find "fuzz/corpus/$target" -type f | wc -l)
    printf '%-14s %-4s %12s runs %7s s  cov %6s  corpus %6s\n' \
        "$target" "$status" "$execs" "$((SECONDS - start))" "$cov" "$corpus"
}
export -f run_one

start=$SECONDS
printf '%s\n' "${targets[@]}" | xargs -P "$JOBS" -I{} bash -c 'run_one "$@"' _ {} "$RUNS" "$bin" \
    | tee fuzz/campaign/summary.txt
echo "campaign: ${#targets[@]} targets, $RUNS runs each, $((SECONDS - start)) s" | tee -a fuzz/campaign/summary.txt
if grep -q ' FAIL ' fuzz/campaign/summary.txt; then
    echo "crashes: see fuzz/artifacts/ and fuzz/campaign/<target>.log" >&2
    exit 1
fi
