#!/usr/bin/env bash
# Runs scripts/torch_interop.py (graphsig against real torch.export and safetensors) with
# every Python that has torch (below). Says plainly when it is skipped.
#
# To set one up:  python3 -m venv .venv-torch &&
#                 .venv-torch/bin/pip install torch==2.15.0 safetensors==0.7.0 packaging numpy
set -euo pipefail
cd "$(dirname "$0")/.."

# Every Python with torch: $GRAPHSIG_TORCH_PYTHONS (separated by ':'), else
# .venv-torch/bin/python, the venvs of scripts/gen_archive_fixtures.sh under /work/venvs
# (one per torch release), and python3.
if [ -n "${GRAPHSIG_TORCH_PYTHONS:-}" ]; then
    IFS=: read -r -a candidates <<<"$GRAPHSIG_TORCH_PYTHONS"
else
    candidates=(.venv-torch/bin/python /work/venvs/*/bin/python python3)
fi
pythons=()
for candidate in "${candidates[@]}"; do
    if [ -x "$(command -v "$candidate" 2>/dev/null)" ] && "$candidate" -c "import torch" >/dev/null 2>&1; then
        pythons+=("$candidate")
    fi
done
if [ ${#pythons[@]} -eq 0 ]; then
    echo "torch interop: SKIPPED: no Python with torch installed (set GRAPHSIG_TORCH_PYTHONS)"
    exit 0
fi
cargo build -q --locked --bin graphsig
status=0
for python in "${pythons[@]}"; do
    echo "torch interop: using $python"
    "$python" scripts/torch_interop.py --graphsig target/debug/graphsig || status=1
done
exit $status
