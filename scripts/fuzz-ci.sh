#!/usr/bin/env bash
# CI's fuzzing: every cargo-fuzz target of fuzz/ for a bounded time on the stable toolchain,
# starting from the committed seeds and regression files; any crash, leak, timeout or
# out-of-memory fails the run (docs/formats.md, "Limits on untrusted input").
#
#   bash scripts/fuzz-ci.sh                    # every target, FUZZ_SECONDS (20) each
#   FUZZ_SECONDS=5 bash scripts/fuzz-ci.sh pt2 embed
#
# cargo-fuzz is installed pinned (--locked) under $GRAPHSIG_CACHE/tools (default
# ~/.cache/graph-signature/tools), and the fuzz build is kept in $GRAPHSIG_CACHE/fuzz-target,
# so a warm cache rebuilds only this crate.
#
# Sanitizer: AddressSanitizer (with LeakSanitizer) through RUSTC_BOOTSTRAP=1, the stable
# toolchain's own rustc; it is what catches a leak, and the crate's only unsafe code (the
# generated FlatBuffers readers behind the verifier) and its dependencies' are what it
# watches. FUZZ_SANITIZER=none runs without (faster, no leak detection): the long campaign
# (scripts/fuzz-campaign.sh) runs so.
set -euo pipefail
cd "$(dirname "$0")/.."

CARGO_FUZZ_VERSION=0.13.2
SECONDS_EACH=${FUZZ_SECONDS:-20}
SANITIZER=${FUZZ_SANITIZER:-address}
cache=${GRAPHSIG_CACHE:-$HOME/.cache/graph-signature}
tools=$cache/tools
export PATH="$tools/bin:$PATH"

echo "== fuzz seeds are those scripts/fuzz_seeds.py builds from the fixtures"
python3 scripts/fuzz_seeds.py --check

if [ "$(cargo fuzz --version 2>/dev/null)" != "cargo-fuzz $CARGO_FUZZ_VERSION" ]; then
    echo "== installing cargo-fuzz $CARGO_FUZZ_VERSION into $tools"
    cargo install --locked --quiet --version "$CARGO_FUZZ_VERSION" --root "$tools" cargo-fuzz
fi
cargo fuzz --version

mapfile -t targets < <(if [ $# -gt 0 ]; then printf '%s\n' "$@"; else cargo fuzz list --fuzz-dir fuzz; fi)
build=(--fuzz-dir fuzz --target-dir "$cache/fuzz-target" -s "$SANITIZER" --debug-assertions)
if [ "$SANITIZER" != none ]; then
    export RUSTC_BOOTSTRAP=1 # -Zsanitizer on the stable toolchain
fi

echo "== building ${#targets[@]} fuzz targets (sanitizer: $SANITIZER, debug assertions on)"
start=$SECONDS
cargo fetch --locked --manifest-path fuzz/Cargo.toml # fuzz/Cargo.lock is current; cargo fuzz has no --locked
cargo fuzz build "${build[@]}"
echo "built in $((SECONDS - start)) s"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failed=()
for target in "${targets[@]}"; do
    inputs=()
    for dir in "fuzz/seeds/$target" "fuzz/regressions/$target"; do
        if [ -d "$dir" ]; then inputs+=("$dir"); fi
    done
    mkdir -p "$work/$target/corpus" "$work/$target/artifacts"
    # The first folder is where new inputs go (thrown away); the committed ones are only read.
    # -timeout: one input running 10 s is a hang; -rss_limit_mb: 2 GiB, libFuzzer's default.
    if cargo fuzz run "${build[@]}" "$target" "$work/$target/corpus" "${inputs[@]}" -- \
        -max_total_time="$SECONDS_EACH" -timeout=10 -rss_limit_mb=2048 \
        -artifact_prefix="$work/$target/artifacts/" -print_final_stats=1 \
        >"$work/$target/log" 2>&1; then
        runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$work/$target/log" | grep -o '[0-9]*$' || echo '?')
        printf '%-14s ok   %9s runs in %s s\n' "$target" "$runs" "$SECONDS_EACH"
    else
        printf '%-14s FAIL\n' "$target"
        failed+=("$target")
        grep -E 'panicked at|ERROR: libFuzzer|SUMMARY|ERROR: AddressSanitizer|ERROR: LeakSanitizer' -A4 "$work/$target/log" | head -40 || true
        for artifact in "$work/$target/artifacts"/*; do
            [ -f "$artifact" ] || continue
            # The input, so it can be kept as fuzz/regressions/<target>/<name> from the log alone.
            echo "input $(basename "$artifact") ($(stat -c %s "$artifact") bytes), base64:"
            head -c 65536 "$artifact" | base64 -w 0
            echo
        done
    fi
done

if [ ${#failed[@]} -gt 0 ]; then
    echo "fuzzing failed: ${failed[*]} (reproduce: cargo fuzz run -s none <target> <input>)" >&2
    exit 1
fi
echo "fuzzing: ${#targets[@]} targets, no crash, leak or timeout"
