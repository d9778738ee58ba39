#!/usr/bin/env bash
# Consumers in other languages: generates Python from our .proto (grpc_tools' protoc) and
# .fbs (flatc 25.12.19) with the pinned tools of scripts/tools-venv.sh, builds graphsig, and
# runs scripts/cross_lang.py, which proves both directions field by field (Python reads the
# protobuf, JSON and FlatBuffers graphsig writes; graphsig reads the protobuf, JSON and
# delimited streams Python writes).
set -euo pipefail
cd "$(dirname "$0")/.."
venv=$(scripts/tools-venv.sh)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/gen" "$tmp/work"
"$venv/bin/python" -m grpc_tools.protoc -Iproto --python_out="$tmp/gen" graph_signature/v1/graph_signature.proto
"$venv/bin/flatc" --python -o "$tmp/gen" schema/graph_signature_v1.fbs
cargo build --quiet ${CARGO_LOCKED:+--locked} --bin graphsig
"$venv/bin/python" scripts/cross_lang.py target/debug/graphsig "$tmp/gen" tests/golden/v1.0 "$tmp/work"
