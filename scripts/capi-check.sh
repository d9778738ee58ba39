#!/usr/bin/env bash
# The C API's check (CI runs it from .ci/run; it runs as well by hand):
#   1. installs the pinned tools (scripts/capi-tools.sh: cbindgen), cached across runs;
#   2. fails if capi/include/graph_signature.h drifted from capi/src/ (scripts/capi-header.sh);
#   3. runs the Rust-side FFI tests, installs the library into a temporary prefix with the
#      one documented command (scripts/capi-install.sh), and checks the shared library
#      exports exactly the header's functions under its soname;
#   4. builds the C test (C99) and the C++ example (C++17) with the system compilers through
#      pkg-config, warnings as errors; the C test is also linked statically;
#   5. compares what they print with what `graphsig` prints, byte for byte, for every torch
#      fixture archive (tests/fixtures/archives/torch-*/*.pt2), our golden files, the examples
#      and archives with an embedded signature: every accessor (inspect --json), the text form
#      (inspect), the specs (inspect --table, dtype and shape from the archive map), every
#      encoding of the signature alone (convert --no-meta --to ..., torch-json targets, lossy)
#      and every refusal's message, the signature with its metadata from the archive map
#      (convert --to json|proto|fbs|bincode); the archive map of every archive from its
#      getters (map --json, and --strict, with the same exit status); the C++ plan example's
#      binding plan and mmap'd weight against capi/tests/plan_expected.py's rendering of
#      `map --json` and the file's bytes; then misuse and bad input
#      (capi/tests/c/gsig_check.c `errors`);
#   6. runs the same programs again under valgrind (--leak-check=full --error-exitcode=1).
# Anything that cannot run fails the script; nothing is skipped.
set -euo pipefail
cd "$(dirname "$0")/.."

t0=$SECONDS
step() { echo "== capi: $* [$((SECONDS - t0)) s]"; }
die() { echo "capi-check: $*" >&2; exit 1; }
failures=0
compared=0
fail() { echo "capi-check: FAIL: $*" >&2; failures=$((failures + 1)); }

CC=${CC:-cc}
CXX=${CXX:-c++}
missing=()
for tool in "$CC" "$CXX" pkg-config valgrind nm readelf cmp diff; do
    command -v "$tool" >/dev/null || missing+=("$tool")
done
if [ ${#missing[@]} -gt 0 ]; then
    # On a fresh Debian machine (CI runs as root) the system tools come from its packages.
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        echo "capi-check: installing ${missing[*]} from Debian's packages" >&2
        apt-get update -qq >&2
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq gcc g++ pkg-config valgrind binutils diffutils >&2
    fi
    for tool in "${missing[@]}"; do
        command -v "$tool" >/dev/null || die "$tool is needed and not installed"
    done
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
prefix="$work/prefix"

step "pinned tools"
bash scripts/capi-tools.sh >/dev/null

step "header drift (the committed header against cbindgen's output for capi/src/)"
bash scripts/capi-header.sh --check

step "Rust-side FFI tests"
cargo test --locked -q -p graph-signature-capi

step "library: scripts/capi-install.sh (release) into a temporary prefix"
CARGO_LOCKED=1 bash scripts/capi-install.sh "$prefix"
export PKG_CONFIG_PATH="$prefix/lib/pkgconfig"
libdir=$(pkg-config --variable=libdir graph_signature)
soname=$(readelf -d "$libdir/libgraph_signature.so" | sed -n 's/.*Library soname: \[\(.*\)\]/\1/p')
abi_major=$(sed -n 's/^#define GSIG_ABI_VERSION_MAJOR \([0-9]*\)$/\1/p' capi/include/graph_signature.h)
[ "$soname" = "libgraph_signature.so.$abi_major" ] || die "soname is '$soname', not libgraph_signature.so.$abi_major"
nm -D --defined-only "$libdir/libgraph_signature.so" | awk '$2 == "T" { print $3 }' | sort > "$work/exported"
grep -oE '^[A-Za-z_][A-Za-z0-9_ ]*[ *]gsig_[a-z0-9_]+\(' capi/include/graph_signature.h |
    grep -oE 'gsig_[a-z0-9_]+\($' | tr -d '(' | sort -u > "$work/declared"
if ! diff -u "$work/declared" "$work/exported"; then
    die "the shared library's exported functions (+) differ from the header's (-)"
fi
echo "capi-check: $(wc -l < "$work/exported") functions exported, all declared in the header, soname $soname"

step "C test (C99) and C++ example (C++17), warnings as errors, through pkg-config"
cflags=$(pkg-config --cflags graph_signature)
libs=$(pkg-config --libs graph_signature)
rpath="-Wl,-rpath,$libdir"
# shellcheck disable=SC2086 # the pkg-config flags are words
"$CC" -std=c99 -Wall -Wextra -Werror -pedantic -O1 -g $cflags capi/tests/c/gsig_check.c $libs $rpath -pthread -lm \
    -o "$work/gsig_check"
# shellcheck disable=SC2086
"$CXX" -std=c++17 -Wall -Wextra -Werror -O1 -g $cflags capi/examples/inspect.cpp $libs $rpath -o "$work/inspect"
# shellcheck disable=SC2086
"$CXX" -std=c++17 -Wall -Wextra -Werror -O1 -g $cflags capi/examples/plan.cpp $libs $rpath -o "$work/plan"
# The static library: the archive itself, then the system libraries its .pc lists.
static_libs=$(pkg-config --static --libs-only-l graph_signature | sed 's/-lgraph_signature//')
# shellcheck disable=SC2086
"$CC" -std=c99 -Wall -Wextra -Werror -pedantic -O1 -g $cflags capi/tests/c/gsig_check.c \
    "$libdir/libgraph_signature.a" $static_libs -pthread -lm -o "$work/gsig_check_static"
readelf -d "$work/gsig_check" | grep -q "NEEDED.*\[$soname\]" || die "gsig_check does not load $soname"
if readelf -d "$work/gsig_check_static" | grep -q 'NEEDED.*graph_signature'; then
    die "gsig_check_static loads the shared library"
fi
# The example of docs/capi.md, as written there.
sed -n '/^```c$/,/^```$/p' docs/capi.md | sed '1d;$d' > "$work/which_parameter.c"
[ -s "$work/which_parameter.c" ] || die "no C example in docs/capi.md"
# shellcheck disable=SC2086
"$CC" -std=c99 -Wall -Wextra -Werror -pedantic $cflags "$work/which_parameter.c" $libs $rpath -o "$work/which_parameter"
check="$work/gsig_check"
inspect="$work/inspect"
plan="$work/plan"

step "graphsig (the CLI the outputs are compared with)"
cargo build --locked -q -p graphsig
graphsig=$(cargo metadata --locked --format-version 1 --no-deps |
    sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')/debug/graphsig
[ -x "$graphsig" ] || die "no graphsig at $graphsig"
version=$("$graphsig" --version | sed -n 's/^graphsig //p')

torch=(tests/fixtures/archives/torch-*/*.pt2)
[ -e "${torch[0]}" ] || die "no torch fixture archives under tests/fixtures/archives/"
# Archives carrying an embedded signature, made by the CLI.
"$graphsig" embed examples/tinynet.pt2 -o "$work/tinynet_embedded.pt2"
"$graphsig" embed tests/fixtures/safetensors/linear.safetensors --signature examples/tinynet.pt2 \
    -o "$work/linear_embedded.safetensors"
inputs=("${torch[@]}" tests/golden/v1.0/*.json tests/golden/v1.0/*.pb tests/golden/v1.0/*.gsig
    tests/golden/v1.0/*.bincode examples/tinynet.pt2 examples/batchnorm.model.json
    "$work/tinynet_embedded.pt2" "$work/linear_embedded.safetensors")
echo "capi-check: ${#torch[@]} torch archives, ${#inputs[@]} inputs in all"

# Expected outputs, one file per input and mode, kept for the valgrind pass.
mkdir -p "$work/want" "$work/got"
key() { echo "$1" | tr '/.' '__'; }
same() { # what, expected, actual
    compared=$((compared + 1))
    if ! cmp -s "$2" "$3"; then
        fail "$1: the C API's output differs from graphsig's"
        diff -u "$2" "$3" | head -n 30 >&2 || true
    fi
}

step "C test against graphsig: inspect --json, inspect, inspect --table"
for f in "${inputs[@]}"; do
    k=$(key "$f")
    "$graphsig" inspect --json "$f" > "$work/want/$k.json"
    "$graphsig" inspect "$f" > "$work/want/$k.text"
    "$graphsig" inspect --table "$f" > "$work/want/$k.table"
    for mode in json text table; do
        if "$check" "$mode" "$f" > "$work/got/$k.$mode" 2> "$work/got/$k.err"; then
            same "$mode $f" "$work/want/$k.$mode" "$work/got/$k.$mode"
        else
            fail "gsig_check $mode $f: $(cat "$work/got/$k.err")"
        fi
    done
done
for model in decoder encoder; do
    for mode in json text; do
        flag=(); [ $mode = json ] && flag=(--json)
        "$graphsig" inspect "${flag[@]}" --model $model tests/fixtures/pt2/multi_model.pt2 > "$work/want/multi_$model.$mode"
        "$check" $mode --model $model tests/fixtures/pt2/multi_model.pt2 > "$work/got/multi_$model.$mode" ||
            fail "gsig_check $mode --model $model"
        same "$mode --model $model multi_model.pt2" "$work/want/multi_$model.$mode" "$work/got/multi_$model.$mode"
    done
done

step "C test against graphsig: convert --no-meta --to every format, torch-json targets and lossy"
encodings=("json" "proto" "fbs" "bincode" "torch-json" "torch-json --target 8.14" "torch-json --target 2.8"
    "torch-json --target 2.5 --lossy" "torch-json --target 2.3 --lossy")
refused=0
for e in "${!encodings[@]}"; do
    read -r -a spec <<< "${encodings[$e]}"
    format=${spec[0]}
    options=("${spec[@]:1}")
    : > "$work/encodable.$e"
    for f in "${inputs[@]}"; do
        k=$(key "$f").enc$e
        cli_ok=1
        # gsig_signature_encode writes the signature alone (schema 1.0), as --no-meta does.
        "$graphsig" convert "$f" - --to "$format" --no-meta "${options[@]}" > "$work/want/$k" 2> "$work/want/$k.err" ||
            cli_ok=0
        c_ok=1
        "$check" encode "$format" "${options[@]}" "$f" > "$work/got/$k" 2> "$work/got/$k.err" || c_ok=0
        if [ $cli_ok = 1 ]; then
            if [ $c_ok = 1 ]; then
                same "encode ${encodings[$e]} $f" "$work/want/$k" "$work/got/$k"
                echo "$f" >> "$work/encodable.$e"
            else
                fail "gsig_check encode ${encodings[$e]} $f: $(cat "$work/got/$k.err")"
            fi
        else
            # A refusal: the C API refuses too, with the library's message.
            compared=$((compared + 1))
            refused=$((refused + 1))
            message=$(sed -n "s|^graphsig: error: $f: ||p" "$work/want/$k.err")
            if [ $c_ok = 1 ] || [ -z "$message" ] || ! grep -qF -- "$message" "$work/got/$k.err"; then
                fail "encode ${encodings[$e]} $f: graphsig refused ($(cat "$work/want/$k.err")), the C API said: $(cat "$work/got/$k.err")"
            fi
        fi
    done
done
echo "capi-check: $refused refusals, each refused by the C API with graphsig's message"

step "C test against graphsig: convert --to every format of ours, with the metadata (gsig_archive_map_encode)"
meta_archives=("${torch[@]}" examples/tinynet.pt2)
for format in json proto fbs bincode; do
    for f in "${meta_archives[@]}"; do
        k=$(key "$f").meta.$format
        "$graphsig" convert "$f" - --to $format > "$work/want/$k"
        "$check" map-encode $format "$f" > "$work/got/$k" 2> "$work/got/$k.err" ||
            fail "gsig_check map-encode $format $f: $(cat "$work/got/$k.err")"
        same "map-encode $format $f" "$work/want/$k" "$work/got/$k"
    done
done

step "C test against graphsig: map --json and map --json --strict (the archive map from its getters)"
map_inputs=("${torch[@]}" examples/tinynet.pt2 tests/fixtures/pt2/str_output.pt2)
map_failing=0
for f in "${map_inputs[@]}"; do
    k=$(key "$f")
    for profile in default strict; do
        flag=(); [ $profile = strict ] && flag=(--strict)
        cli_status=0
        "$graphsig" map --json "${flag[@]}" "$f" > "$work/want/$k.map.$profile" || cli_status=$?
        c_status=0
        "$check" map "${flag[@]}" "$f" > "$work/got/$k.map.$profile" 2> "$work/got/$k.map.err" || c_status=$?
        [ $cli_status = 1 ] && map_failing=$((map_failing + 1))
        if [ -s "$work/got/$k.map.err" ] || [ $c_status != $cli_status ]; then
            fail "gsig_check map ${flag[*]} $f: exit $c_status, graphsig's $cli_status: $(cat "$work/got/$k.map.err")"
        fi
        same "map ${flag[*]} $f" "$work/want/$k.map.$profile" "$work/got/$k.map.$profile"
    done
done
for model in decoder encoder; do
    "$graphsig" map --json --model $model tests/fixtures/pt2/multi_model.pt2 > "$work/want/multi_$model.map"
    "$check" map --model $model tests/fixtures/pt2/multi_model.pt2 > "$work/got/multi_$model.map" ||
        fail "gsig_check map --model $model"
    same "map --model $model multi_model.pt2" "$work/want/multi_$model.map" "$work/got/multi_$model.map"
done
echo "capi-check: ${#map_inputs[@]} archives mapped in both profiles ($map_failing failing a check, with graphsig's exit status)"

step "C++ plan example: the binding plan, and one weight read through mmap"
plan_runs=0
plan_check() { # archive, [tensor]
    local k
    k=$(key "$1")${2:+.$2}
    "$graphsig" map --json "$1" | python3 capi/tests/plan_expected.py "$@" > "$work/want/$k.plan" ||
        fail "plan_expected.py $*"
    if "$plan" "$@" > "$work/got/$k.plan" 2> "$work/got/$k.plan.err"; then
        same "plan.cpp $*" "$work/want/$k.plan" "$work/got/$k.plan"
    else
        fail "plan.cpp $*: $(cat "$work/got/$k.plan.err")"
    fi
    plan_runs=$((plan_runs + 1))
}
for f in "${map_inputs[@]}"; do plan_check "$f"; done
for t in fp16 bf16 i8 mask c64 scratch; do plan_check tests/fixtures/archives/torch-2.15.0/dtypes.pt2 $t; done
plan_check tests/fixtures/archives/torch-2.8.0/views.pt2 transposed
grep -q '^weight ' "$work/got/$(key tests/fixtures/archives/torch-2.15.0/mlp.pt2).plan" || fail "plan.cpp mapped no weight of mlp.pt2"
if "$plan" tests/fixtures/pt2/multi_model.pt2 > /dev/null 2> "$work/got/multi.plan.err"; then
    fail "plan.cpp mapped a two-program archive without a model"
fi
grep -q 'GSIG_ERR_MODEL' "$work/got/multi.plan.err" || fail "plan.cpp: $(cat "$work/got/multi.plan.err")"
echo "capi-check: $plan_runs plans and weights as graphsig's map and the file's bytes say"

step "C test: misuse and bad input (shared and static library)"
"$check" errors tests/fixtures "$version" || fail "gsig_check errors"
"$work/gsig_check_static" errors tests/fixtures "$version" || fail "gsig_check errors (static library)"
"$work/gsig_check_static" json "${torch[@]}" > "$work/got/static.json" || fail "gsig_check json (static library)"
for f in "${torch[@]}"; do cat "$work/want/$(key "$f").json"; done > "$work/want/static.json"
same "json (static library), every torch archive" "$work/want/static.json" "$work/got/static.json"

step "docs/capi.md's example"
got=$("$work/which_parameter" examples/tinynet.pt2 p_proj_weight) || fail "which_parameter failed"
[ "$got" = "p_proj_weight holds proj.weight" ] || fail "which_parameter printed: $got"
if "$work/which_parameter" examples/tinynet.pt2 b_steps > /dev/null; then fail "which_parameter found a buffer"; fi
compared=$((compared + 2))

step "C++ example: prints the signature as graphsig does, then the accessors"
for f in "${torch[@]}" examples/tinynet.pt2; do
    k=$(key "$f")
    if "$inspect" "$f" > "$work/got/$k.cpp" 2> "$work/got/$k.cpp.err"; then
        head -c "$(stat -c %s "$work/want/$k.text")" "$work/got/$k.cpp" > "$work/got/$k.cpp.head"
        same "inspect.cpp $f" "$work/want/$k.text" "$work/got/$k.cpp.head"
        grep -q '^inputs_to_parameters:' "$work/got/$k.cpp" || fail "inspect.cpp $f printed no accessors"
    else
        fail "inspect.cpp $f: $(cat "$work/got/$k.cpp.err")"
    fi
done
if "$inspect" tests/fixtures/pt2/multi_model.pt2 > /dev/null 2> "$work/got/multi.cpp.err"; then
    fail "inspect.cpp opened a two-program archive without a model"
fi
grep -q 'GSIG_ERR_MODEL' "$work/got/multi.cpp.err" || fail "inspect.cpp: $(cat "$work/got/multi.cpp.err")"

step "valgrind: the same programs, --leak-check=full --error-exitcode=1"
vg_runs=0
vg() { # output file, command...
    local out=$1
    shift
    vg_runs=$((vg_runs + 1))
    if ! valgrind --leak-check=full --error-exitcode=1 --log-file="$work/vg.$vg_runs.log" "$@" > "$out"; then
        fail "valgrind: $*"
        cat "$work/vg.$vg_runs.log" >&2
        return 0
    fi
    grep -q 'ERROR SUMMARY: 0 errors' "$work/vg.$vg_runs.log" || { fail "valgrind reported errors: $*"; cat "$work/vg.$vg_runs.log" >&2; }
}
for mode in json text table; do
    vg "$work/got/vg.$mode" "$check" "$mode" "${inputs[@]}"
    for f in "${inputs[@]}"; do cat "$work/want/$(key "$f").$mode"; done > "$work/want/vg.$mode"
    same "valgrind $mode, every input" "$work/want/vg.$mode" "$work/got/vg.$mode"
done
for e in "${!encodings[@]}"; do
    read -r -a spec <<< "${encodings[$e]}"
    mapfile -t files < "$work/encodable.$e"
    [ ${#files[@]} -gt 0 ] || die "no input encodes as ${encodings[$e]}"
    vg "$work/got/vg.enc$e" "$check" encode "${spec[@]:0:1}" "${spec[@]:1}" "${files[@]}"
    for f in "${files[@]}"; do cat "$work/want/$(key "$f").enc$e"; done > "$work/want/vg.enc$e"
    same "valgrind encode ${encodings[$e]}, ${#files[@]} inputs" "$work/want/vg.enc$e" "$work/got/vg.enc$e"
done
vg "$work/got/vg.errors" "$check" errors tests/fixtures "$version"
vg "$work/got/vg.doc" "$work/which_parameter" examples/tinynet.pt2 p_proj_weight
vg "$work/got/vg.errors_static" "$work/gsig_check_static" errors tests/fixtures "$version"
for dir in tests/fixtures/archives/torch-*/; do
    f=$(ls "$dir"*.pt2 | head -n1)
    vg "$work/got/vg.cpp" "$inspect" "$f"
    head -c "$(stat -c %s "$work/want/$(key "$f").text")" "$work/got/vg.cpp" > "$work/got/vg.cpp.head"
    same "valgrind inspect.cpp $f" "$work/want/$(key "$f").text" "$work/got/vg.cpp.head"
done
vg "$work/got/vg.meta.proto" "$check" map-encode proto "${meta_archives[@]}"
for f in "${meta_archives[@]}"; do cat "$work/want/$(key "$f").meta.proto"; done > "$work/want/vg.meta.proto"
same "valgrind map-encode proto, ${#meta_archives[@]} archives" "$work/want/vg.meta.proto" "$work/got/vg.meta.proto"
for profile in default strict; do
    flag=(); [ $profile = strict ] && flag=(--strict)
    # One process maps every archive; it exits 1 because some fail the strict checks, as graphsig.
    vg_runs=$((vg_runs + 1))
    valgrind --leak-check=full --error-exitcode=99 --log-file="$work/vg.$vg_runs.log" \
        "$check" map "${flag[@]}" "${map_inputs[@]}" > "$work/got/vg.map.$profile" || true
    grep -q 'ERROR SUMMARY: 0 errors' "$work/vg.$vg_runs.log" || { fail "valgrind reported errors: gsig_check map ${flag[*]}"; cat "$work/vg.$vg_runs.log" >&2; }
    for f in "${map_inputs[@]}"; do cat "$work/want/$(key "$f").map.$profile"; done > "$work/want/vg.map.$profile"
    same "valgrind map ${flag[*]}, every archive" "$work/want/vg.map.$profile" "$work/got/vg.map.$profile"
done
for dir in tests/fixtures/archives/torch-*/; do
    f=$(ls "$dir"*.pt2 | grep -m1 'mlp\|linear')
    vg "$work/got/vg.plan" "$plan" "$f"
    same "valgrind plan.cpp $f" "$work/want/$(key "$f").plan" "$work/got/vg.plan"
done
leaks=$(grep -h 'definitely lost:\|indirectly lost:\|possibly lost:' "$work"/vg.*.log | grep -vc ' 0 bytes in 0 blocks' || true)
[ "$leaks" = 0 ] || fail "valgrind found leaks"
echo "capi-check: $vg_runs valgrind runs, $(grep -l 'ERROR SUMMARY: 0 errors from 0 contexts' "$work"/vg.*.log | wc -l) with 0 errors"

step "done"
echo "capi-check: $compared comparisons with graphsig, $failures failures"
[ "$failures" = 0 ] || exit 1
