#!/usr/bin/env bash
# The archive map against a real runtime on the other side: tests/runtime/numpy_runtime.py,
# in the tools venv (numpy, no torch: checked), over every torch archive of the fixtures.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=$(bash scripts/tools-venv.sh)
if "$venv/bin/python" -c "import torch" 2>/dev/null; then
    echo "map runtime: the venv has torch; this check must run without it" >&2
    exit 1
fi
cargo build -q --locked --bin graphsig
"$venv/bin/python" tests/runtime/numpy_runtime.py target/debug/graphsig tests/fixtures/archives/torch-*/*.pt2
