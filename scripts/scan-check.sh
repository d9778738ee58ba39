#!/usr/bin/env bash
# The proof of `graphsig scan` (issue 18): plants, scans, loads with torch, compares.
#
#   scripts/scan-check.sh            everything below
#   SCAN_CHECK_FAST=1 scripts/scan-check.sh   skip the torch loads and the peers (steps 5, 6)
#
#  1. builds graphsig (release) and the torchbind test class (scripts/scan_torchbind/,
#     g++ against each venv's torch), and has torch 2.15 and 2.7 write their own
#     TorchScript custom-object archives, torch 2.15 a legacy-format torch.save file;
#  2. every clean fixture of every release (tests/fixtures/archives/torch-*/) is safe or
#     needs-trust, never dangerous or malformed; the opaque-object and the custom-object
#     archives are needs-trust naming their class; exit status 0;
#  3. scripts/scan_plant.py plants a harmless call (builtins.open / os.mkdir of a marker
#     path) in every place a torch loader unpickles, across releases: every planted file is
#     dangerous with the planted global named; exit status 1;
#  4. truncated copies of every planted and clean archive: never a crash (exit 0 or 1);
#  5. each planted file loaded by the torch release it comes from (torch.export.load,
#     torch.load(weights_only=False) or pickle.load): the marker appears wherever the loader
#     is Python's unpickler (the TorchScript unpickler refuses the planted global);
#  6. the same files through picklescan 1.0.5 and modelscan 0.8.8 (pinned in
#     scripts/scan-peers.txt, installed into a venv in $GRAPHSIG_CACHE): the table of
#     caught / missed / errors that docs/scan.md shows is printed and written to
#     $SCAN_CHECK_OUT (default target/scan-check/).
#
# Fails loudly (non-zero, with the reason) if anything cannot run: a missing compiler, a
# venv that cannot be made, a tool that does not start.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
die() { echo "scan-check: FAIL: $*" >&2; exit 1; }
log() { echo "scan-check: $*" >&2; }

CACHE=${GRAPHSIG_CACHE:-$HOME/.cache/graph-signature}
OUT=${SCAN_CHECK_OUT:-$ROOT/target/scan-check}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/graphsig-scan-check.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$OUT"

# --- 1. graphsig, torch's own custom-object archives -----------------------------------
cargo build --release --locked -p graphsig >&2
GRAPHSIG=${GRAPHSIG:-$ROOT/target/release/graphsig}
command -v g++ >/dev/null || die "g++ is needed to build the torchbind test class"

torchbind() { # torchbind VERSION: prints the library built against that release's torch
    local version=$1 py torch_dir abi std lib
    py=$(bash scripts/torch-venvs.sh "$version") || die "no torch $version venv"
    torch_dir=$("$py" -c 'import torch, os; print(os.path.dirname(torch.__file__))')
    abi=$("$py" -c 'import torch; print(int(torch._C._GLIBCXX_USE_CXX11_ABI))')
    # torch 2.12+ headers need C++20.
    std=c++17
    grep -q "C++20 or later" "$torch_dir/include/ATen/ATen.h" 2>/dev/null && std=c++20
    lib=$WORK/libgraphsig_tb-$version.so
    g++ -O0 -shared -fPIC -std=$std -D_GLIBCXX_USE_CXX11_ABI="$abi" \
        -I"$torch_dir/include" -I"$torch_dir/include/torch/csrc/api/include" \
        scripts/scan_torchbind/graphsig_tb.cpp -L"$torch_dir/lib" -ltorch -ltorch_cpu -lc10 \
        -Wl,-rpath,"$torch_dir/lib" -o "$lib" 2> "$WORK/g++-$version.log" \
        || { tail -20 "$WORK/g++-$version.log" >&2; die "cannot build the torchbind class for torch $version"; }
    echo "$lib"
}

EXTRAS=()
for version in 2.15.0 2.7.1; do
    lib=$(torchbind "$version")
    py=$(bash scripts/torch-venvs.sh "$version")
    "$py" scripts/scan_torchbind/export.py "$lib" "$WORK/tb-$version.pt2" \
        || die "torch $version could not write a custom-object archive"
    EXTRAS+=("$WORK/tb-$version.pt2")
    declare "LIB_${version//./_}=$lib"
done
PY215=$(bash scripts/torch-venvs.sh 2.15.0)
"$PY215" -c "import torch, sys; torch.save({'w': torch.arange(4.)}, sys.argv[1], _use_new_zipfile_serialization=False)" \
    "$WORK/legacy-format.pt" || die "torch 2.15 could not write a legacy-format file"
EXTRAS+=("$WORK/legacy-format.pt")
log "torch wrote ${#EXTRAS[@]} archives of its own"

# --- 2. clean: safe or needs-trust -----------------------------------------------------
set +e
"$GRAPHSIG" scan --json --no-progress tests/fixtures/archives "${EXTRAS[@]}" > "$OUT/clean.json"
rc=$?
set -e
[ "$rc" = 0 ] || die "scanning the clean fixtures exited $rc (expected 0): $(python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print([(f["path"], f["verdict"], f["reason"]) for f in r["files"] if f["verdict"] not in ("safe", "needs-trust")])' "$OUT/clean.json")"
python3 - "$OUT/clean.json" <<'EOF' || die "clean fixtures"
import json, sys
run = json.load(open(sys.argv[1]))
bad = [f for f in run["files"] if f["verdict"] not in ("safe", "needs-trust")]
assert not bad, bad
trust = {f["path"].rsplit("/", 1)[-1]: f for f in run["files"] if f["verdict"] == "needs-trust"}
for name, f in trust.items():
    classes = {c for p in f["pickles"] for c in p["classes"]}
    want = "graphsig_opaque.Scale" if name == "opaque.pt2" else "__torch__.torch.classes.graphsig_tb.Scale"
    assert classes == {want}, (name, classes)
assert {"tb-2.15.0.pt2", "tb-2.7.1.pt2"} <= set(trust), sorted(trust)
opaque = [f for f in run["files"] if f["path"].endswith("/opaque.pt2")]
assert opaque and all(f["verdict"] == "needs-trust" for f in opaque), opaque
print(f"scan-check: clean: {run['totals']['files']} files, {run['totals']['pickles']} pickles: "
      f"{run['totals']['safe']} safe, {run['totals']['needs-trust']} needs-trust", file=sys.stderr)
EOF

# --- 3. planted: dangerous, the planted global named ----------------------------------
python3 scripts/scan_plant.py "$WORK/planted" "$WORK/markers" "${EXTRAS[@]}"
set +e
"$GRAPHSIG" scan --json --no-progress "$WORK/planted" > "$OUT/planted.json"
rc=$?
set -e
[ "$rc" = 1 ] || die "scanning the planted files exited $rc (expected 1)"
python3 - "$OUT/planted.json" "$WORK/planted/cases.json" <<'EOF' || die "planted files"
import json, sys
run = json.load(open(sys.argv[1]))
cases = json.load(open(sys.argv[2]))
by_file = {f["path"].rsplit("/", 1)[-1]: f for f in run["files"]}
for case in cases:
    f = by_file[case["file"]]
    assert f["verdict"] == "dangerous", (case["case"], f["verdict"], f["reason"])
    named = [(p["location"], g["name"]) for p in f["pickles"] for g in p["globals"]
             if g["name"] == case["planted"] and g["standing"] == "not-allowed" and p["verdict"] == "dangerous"]
    assert named, (case["case"], "the planted global is not named")
print(f"scan-check: planted: {len(cases)} files, every one dangerous with its planted global named", file=sys.stderr)
EOF

# --- 4. truncations never crash ----------------------------------------------------------
python3 - "$WORK/planted" "$WORK/cut" tests/fixtures/archives/torch-2.15.0 tests/fixtures/archives/torch-2.5.1 <<'EOF'
import sys
from pathlib import Path
out = Path(sys.argv[2]); out.mkdir()
n = 0
for d in sys.argv[1:2] + sys.argv[3:]:
    for p in sorted(Path(d).glob("*.pt2"))[:12]:
        b = p.read_bytes()
        for frac in (0.1, 0.35, 0.5, 0.8, 0.97):
            (out / f"{p.parent.name}-{p.stem}-{int(frac * 100)}.pt2").write_bytes(b[: int(len(b) * frac)])
            n += 1
print(f"scan-check: {n} truncated copies", file=sys.stderr)
EOF
set +e
"$GRAPHSIG" scan --json --no-progress "$WORK/cut" > "$OUT/cut.json"
rc=$?
set -e
[ "$rc" = 1 ] || die "scanning truncated files exited $rc (expected 1: malformed or dangerous, never a crash)"
python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); assert all(f["verdict"] in ("malformed","dangerous") for f in r["files"]), [f for f in r["files"] if f["verdict"] not in ("malformed","dangerous")]' "$OUT/cut.json" \
    || die "a truncated archive was not malformed"

if [ "${SCAN_CHECK_FAST:-0}" = 1 ]; then
    log "OK (fast: no torch loads, no peers)"
    exit 0
fi

# --- 5. torch runs what was planted ------------------------------------------------------
python3 - "$WORK/planted/cases.json" > "$WORK/loads.tsv" <<'EOF'
import json, sys
for c in json.load(open(sys.argv[1])):
    release = c["release"] if c["release"] != "any" else "2.15.0"
    print("\t".join([c["case"], c["file"], release, c["loader"], c["marker"], str(c["expect_run"])]))
EOF
: > "$OUT/torch-loads.tsv"
while IFS=$'\t' read -r case file release how marker expect; do
    py=$(bash scripts/torch-venvs.sh "$release") || die "no torch $release venv"
    lib_var="LIB_${release//./_}"
    lib=""
    case "$case" in *custom_object*|*torchbind*) lib=${!lib_var} ;; esac
    said=$(cd "$WORK" && timeout 600 "$py" "$ROOT/scripts/scan_load.py" "$how" "$WORK/planted/$file" $lib 2>/dev/null | tail -1) \
        || die "torch $release could not run the loader on $file"
    ran=False
    [ -e "$marker" ] && ran=True
    printf '%s\t%s\t%s\t%s\t%s\n' "$case" "$release" "$ran" "$expect" "$said" >> "$OUT/torch-loads.tsv"
    [ "$ran" = "$expect" ] || die "$case: torch $release ran the planted call: $ran, expected $expect ($said)"
done < "$WORK/loads.tsv"
log "torch: $(awk -F'\t' '$3=="True"' "$OUT/torch-loads.tsv" | wc -l) of $(wc -l < "$OUT/torch-loads.tsv") planted files ran the planted call when torch loaded them (the rest: the TorchScript unpickler, as expected)"

# --- 6. the peers on the same files ------------------------------------------------------
PEERS=$CACHE/scan-peers-venv
if [ ! -f "$PEERS/.graphsig-pins" ] || ! cmp -s scripts/scan-peers.txt "$PEERS/.graphsig-pins"; then
    rm -rf "$PEERS"
    python3.11 -m venv "$PEERS" || python3 -m venv "$PEERS" || die "cannot make the peers venv"
    "$PEERS/bin/pip" install --quiet --disable-pip-version-check -r scripts/scan-peers.txt >&2 \
        || die "cannot install the pinned peers (scripts/scan-peers.txt)"
    cp scripts/scan-peers.txt "$PEERS/.graphsig-pins"
fi
"$PEERS/bin/picklescan" --help >/dev/null 2>&1 || die "picklescan does not run"
"$PEERS/bin/modelscan" --help >/dev/null 2>&1 || die "modelscan does not run"
python3 scripts/scan_peers.py "$WORK/planted" "$OUT/planted.json" "$PEERS/bin" "$OUT/torch-loads.tsv" \
    > "$OUT/detection.md" || die "the peers comparison failed"
cat "$OUT/detection.md"
log "OK"
