#!/usr/bin/env bash
# Creates the peers' venv (.venv-peers, git-ignored) with pinned Python protobuf (upb
# backend) and grpcio-tools, and generates graph_signature_pb2.py from our .proto into it.
# torch is not installed here: the torch peer runs with torch 2.15's own interpreter
# ($TORCH_PYTHON, default: the torch 2.15.0 venv of scripts/torch-venvs.sh).
set -euo pipefail
cd "$(dirname "$0")/../.."
VENV=${PEERS_VENV:-.venv-peers}
PY=${PYTHON:-python3}
if [ ! -x "$VENV/bin/python" ]; then
  "$PY" -m venv "$VENV"
fi
"$VENV/bin/python" -m pip install -q --disable-pip-version-check \
  "protobuf==7.36.2" "grpcio-tools==1.85.1"
mkdir -p "$VENV/gen"
"$VENV/bin/python" -m grpc_tools.protoc -Iproto --python_out="$VENV/gen" proto/graph_signature/v1/graph_signature.proto
"$VENV/bin/python" - <<'PY'
from google.protobuf.internal import api_implementation
import google.protobuf
impl = api_implementation.Type()
print(f"peers venv ready: protobuf {google.protobuf.__version__}, backend {impl}")
assert impl == "upb", impl
PY
