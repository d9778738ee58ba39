#!/usr/bin/env bash
# Runs scripts/torch_interop.py (graphsig against real torch.export and safetensors) with a
# Python that has torch: $GRAPHSIG_TORCH_PYTHON, else .venv-torch/bin/python, else
# /work/venvs/t215/bin/python, else python3. Says plainly when it is skipped.
#
# To set one up:  python3 -m venv .venv-torch &&
#                 .venv-torch/bin/pip install torch==2.15.0 safetensors==0.7.0 packaging numpy
set -euo pipefail
cd "$(dirname "$0")/.."

python=""
for candidate in "${GRAPHSIG_TORCH_PYTHON:-}" .venv-torch/bin/python /work/venvs/t215/bin/python python3; do
    if [ -n "$candidate" ] && command -v "$candidate" >/dev/null 2>&1 \
        && "$candidate" -c "import torch" >/dev/null 2>&1; then
        python=$candidate
        break
    fi
done
if [ -z "$python" ]; then
    echo "torch interop: SKIPPED: no Python with torch installed (set GRAPHSIG_TORCH_PYTHON)"
    exit 0
fi
echo "torch interop: using $python ($("$python" -c 'import torch; print(torch.__version__)' 2>/dev/null))"
cargo build -q --locked --bin graphsig
exec "$python" scripts/torch_interop.py --graphsig target/debug/graphsig
