#!/usr/bin/env bash
# Consumers in other languages: generates Python from our .proto (grpc_tools' protoc) and
# .fbs (flatc 25.12.19) with the pinned tools of scripts/tools-venv.sh, and from the frozen
# 1.0 copies of both (schema/frozen/), builds graphsig and the graphsig of the last commit
# that wrote only schema 1.0, and runs scripts/cross_lang.py, which proves both directions
# field by field (Python reads the protobuf, JSON and FlatBuffers graphsig writes; graphsig
# reads the protobuf, JSON and delimited streams Python writes) and that readers of 1.0
# (generated from the frozen schemas, and graphsig 1.0 itself) read 1.1 documents.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=$(scripts/tools-venv.sh)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/gen" "$tmp/work" "$tmp/gen10" "$tmp/proto10/graph_signature/v1"
"$venv/bin/python" -m grpc_tools.protoc -Iproto --python_out="$tmp/gen" graph_signature/v1/graph_signature.proto
"$venv/bin/flatc" --python -o "$tmp/gen" schema/graph_signature_v1.fbs
# The frozen 1.0 schemas, under the file name they had (the generated module names follow it).
cp schema/frozen/graph_signature_v1.0.proto "$tmp/proto10/graph_signature/v1/graph_signature.proto"
"$venv/bin/python" -m grpc_tools.protoc -I"$tmp/proto10" --python_out="$tmp/gen10" graph_signature/v1/graph_signature.proto
"$venv/bin/flatc" --python -o "$tmp/gen10" schema/frozen/graph_signature_v1.0.fbs
cargo build --quiet ${CARGO_LOCKED:+--locked} --bin graphsig
# graphsig as it was before schema 1.1 (the commit that introduced it is its first child),
# built from git's own copy of that commit into a target directory of its own.
v10_commit=e0105a3030edf2dcd6abc13541759e824ee5bb39
mkdir -p "$tmp/v1.0-src"
git archive "$v10_commit" | tar -x -C "$tmp/v1.0-src"
cargo build --quiet ${CARGO_LOCKED:+--locked} --bin graphsig --manifest-path "$tmp/v1.0-src/Cargo.toml" \
    --target-dir target/compat-v1.0
"$venv/bin/python" scripts/cross_lang.py target/debug/graphsig "$tmp/gen" tests/golden/v1.0 "$tmp/work" \
    tests/golden/v1.1 "$tmp/gen10" target/compat-v1.0/debug/graphsig
