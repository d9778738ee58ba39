#!/usr/bin/env bash
# Peak memory and time of graphsig on each hostile input (examples/hostile_inputs.rs), for
# the table in BENCHMARKS.md. Compares a build given as BEFORE (e.g. an older release's
# binary) with this checkout's release build, on the same files, in one run.
#
#   BEFORE=/path/to/old/graphsig bash benches/hostile/run.sh
#
# Each run is stopped after LIMIT seconds (default 20); benches/hostile/measure.py reports
# its peak resident memory (wait4), time, exit status and error output.
set -euo pipefail
cd "$(dirname "$0")/../.."
limit=${LIMIT:-20}
cargo build -q --release --locked -p graphsig -p graph-signature --bin graphsig --example hostile_inputs
after=target/release/graphsig
dir=$(mktemp -d)
sed_dir() { sed "s|$dir/||g"; }
trap 'rm -rf "$dir"' EXIT
target/release/examples/hostile_inputs "$dir"
measure() { # binary, args...
    LIMIT=$limit python3 benches/hostile/measure.py "$@"
}
printf '| input | command | before | after |\n|---|---|---|---|\n'
for case in "bomb.pt2:inspect" "overlapping-bombs.pt2:validate" "/dev/zero:inspect" "empty-specs.pb:inspect" \
            "shared-names.gsig:inspect" "huge-header.safetensors:inspect" "programs-3000.pt2:validate" "nan.json:inspect"; do
    file=${case%%:*}; cmd=${case##*:}
    [ "${file:0:1}" = "/" ] || file="$dir/$file"
    before=$( [ -n "${BEFORE:-}" ] && measure "$BEFORE" "$cmd" "$file" || echo "-" )
    printf '| %s | %s | %s | %s |\n' "$(basename "$file")" "$cmd" "$before" "$(measure "$after" "$cmd" "$file")" | sed_dir
done
