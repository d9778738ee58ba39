#!/usr/bin/env bash
# Runs scripts/torch_interop.py (graphsig against real torch.export and safetensors) with
# the pinned venv of each torch release asked for (scripts/torch-venvs.sh makes it when
# missing).
#
#   scripts/torch_interop.sh [VERSION ...]      default: 2.15.0
#
# Fails (non-zero) when a release cannot be installed or torch does not import, and when
# any check fails; never skips. Each release ends with the line
# 'torch interop (<torch.__version__>): N passed, M failed'.
set -euo pipefail
cd "$(dirname "$0")/.."

VERSIONS=("${@:-2.15.0}")
cargo build -q --locked --bin graphsig
status=0
for v in "${VERSIONS[@]}"; do
    if ! python=$(scripts/torch-venvs.sh "$v"); then
        echo "torch interop ($v): FAILED: scripts/torch-venvs.sh could not install torch $v"
        status=1
        continue
    fi
    if ! "$python" -c "import torch" >/dev/null; then
        echo "torch interop ($v): FAILED: torch does not import in $python"
        status=1
        continue
    fi
    echo "torch interop: torch $v ($python)"
    "$python" scripts/torch_interop.py --graphsig target/debug/graphsig || status=1
done
exit $status
