#!/usr/bin/env bash
# The Python package (python/), end to end:
#   1. a build venv (pinned maturin, pytest, numpy), made once and reused;
#   2. the abi3 wheel, built by maturin from the workspace (Cargo.lock honoured);
#   3. the wheel in a clean venv without torch or numpy: `import graph_signature`, a load, an
#      archive map (whose numpy views say numpy is needed);
#   4. the pytest suite (python/tests, torch fixtures, formats, errors, archives, threads, the
#      archive map against `graphsig map --json` and its numpy views against torch's facts;
#      graphsig is built for it, and found through $GRAPHSIG);
#   5. the to_torch()/from_torch() tests (python/tests/torch) with torch 2.15's interpreter
#      (scripts/torch-venvs.sh makes or reuses its venv; the wheel and pytest are put on
#      PYTHONPATH from an overlay folder, so the shared torch venv is not modified).
# Fails (non-zero) if any step cannot run; a skipped test fails the run too.
#
# Env: GRAPHSIG_CACHE (default $HOME/.cache/graph-signature): the build venv, the pytest
# overlay for torch's interpreter and the torch venvs live there.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
start=$SECONDS
step() { echo "== python-check: $* ($((SECONDS - start)) s)"; }
die() { echo "python-check: error: $*" >&2; exit 1; }

CACHE=${GRAPHSIG_CACHE:-$HOME/.cache/graph-signature}
mkdir -p "$CACHE"
CACHE=$(cd "$CACHE" && pwd -P)
BUILD_PINS=(maturin==1.16.0 pytest==8.4.2 numpy==2.2.6)
# pytest 8.4.2 and what it needs on Python 3.11 (packaging is already in the torch venv).
OVERLAY_PINS=(pytest==8.4.2 pluggy==1.6.0 iniconfig==2.1.0 pygments==2.19.2)
export PIP_DISABLE_PIP_VERSION_CHECK=1
export GRAPHSIG_NO_SKIPS=1

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

step "build venv"
build_venv=$CACHE/python-build-venv
stamp=$build_venv/graphsig-pins.txt
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "${BUILD_PINS[*]}" ] || [ ! -x "$build_venv/bin/python" ]; then
    rm -rf "$build_venv"
    python3 -m venv "$build_venv" || die "python3 -m venv failed"
    "$build_venv/bin/pip" install -q "${BUILD_PINS[@]}" || die "installing ${BUILD_PINS[*]} failed"
    echo "${BUILD_PINS[*]}" >"$stamp"
fi
py=$build_venv/bin/python

step "abi3 wheel (maturin build --release --locked)"
wheels=$work/wheels
"$build_venv/bin/maturin" build --release --locked --quiet -m python/Cargo.toml --out "$wheels" \
    || die "maturin build failed"
wheel=$(ls "$wheels"/graph_signature-*.whl)
case "$(basename "$wheel")" in
    *-cp39-abi3-*) ;;
    *) die "expected one abi3 wheel for CPython 3.9+, got $(basename "$wheel")" ;;
esac
echo "$(basename "$wheel") ($(du -h "$wheel" | cut -f1))"

step "clean venv without torch or numpy: import and load"
python3 -m venv "$work/clean" || die "python3 -m venv failed"
"$work/clean/bin/pip" install -q --no-index --no-deps "$wheel" || die "installing the wheel failed"
(cd "$work" && "$work/clean/bin/python" - "$root/examples/tinynet.pt2" "$root/examples/tinynet.str.txt" <<'PY') \
    || die "the wheel does not import and load in a clean venv"
import importlib.util, sys
assert importlib.util.find_spec("torch") is None and importlib.util.find_spec("numpy") is None, "not a clean venv"
import graph_signature as gs
assert gs.__file__.startswith(sys.prefix), gs.__file__
sig = gs.load(sys.argv[1])
assert str(sig) == open(sys.argv[2], encoding="utf-8").read(), "str(sig) differs from torch's"
assert "torch" not in sys.modules and "numpy" not in sys.modules
amap = gs.map(sys.argv[1])
assert amap.inputs[0].source.target == "proj.weight" and amap.payloads.tensor("proj.weight").shape == (4, 8)
try:
    amap.tensor("proj.weight")
    raise AssertionError("a numpy view without numpy")
except ImportError as e:
    assert "numpy" in str(e), e
assert "torch" not in sys.modules and "numpy" not in sys.modules
print(f"graph_signature {gs.__version__} from {gs.__file__}: {len(sig.input_specs)} inputs, {len(sig.output_specs)} outputs; "
      f"map: {len(amap.payloads.tensors)} tensors")
PY

step "graphsig (the CLI the archive map is compared with)"
cargo build --locked -q -p graphsig
GRAPHSIG=$(cargo metadata --locked --format-version 1 --no-deps |
    sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')/debug/graphsig
[ -x "$GRAPHSIG" ] || die "no graphsig at $GRAPHSIG"
export GRAPHSIG

step "pytest suite"
"$build_venv/bin/pip" install -q --force-reinstall --no-deps "$wheel" || die "installing the wheel failed"
"$py" -m pytest -q -p no:cacheprovider python/tests --ignore=python/tests/torch

step "torch 2.15: to_torch() and from_torch()"
torch_py=$(bash scripts/torch-venvs.sh 2.15.0) || die "no torch 2.15 venv (scripts/torch-venvs.sh 2.15.0)"
overlay=$CACHE/python-torch-overlay
stamp=$overlay/graphsig-pins.txt
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "${OVERLAY_PINS[*]}" ]; then
    rm -rf "$overlay"
    "$build_venv/bin/pip" install -q --no-deps --target "$overlay/site" "${OVERLAY_PINS[@]}" \
        || die "installing ${OVERLAY_PINS[*]} failed"
    echo "${OVERLAY_PINS[*]}" >"$stamp"
fi
"$build_venv/bin/pip" install -q --no-deps --target "$work/torch-wheel" "$wheel" || die "unpacking the wheel failed"
PYTHONPATH=$work/torch-wheel:$overlay/site "$torch_py" -m pytest -q -p no:cacheprovider python/tests/torch

step "done"
