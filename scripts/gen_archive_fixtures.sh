#!/usr/bin/env bash
# Regenerate tests/fixtures/archives/ from real PyTorch releases.
#
# For each torch release below this script gets that release's pinned venv from
# scripts/torch-venvs.sh (made on first use; see there for the pins and where they live)
# and runs
#
#     <python of torch-X.Y.Z> scripts/gen_archive_fixtures.py --out $OUT
#
# which writes $OUT/torch-<version>/{<model>.pt2, .specs.json, .torch_str.txt,
# .accessors.json, .graph_io.json, .tensors.json, .schema_version.txt, MANIFEST.json}.
# For torch 2.1.2, scripts/classify_torch21_fixtures.py then writes, with torch 2.2.2,
# <model>.specs_by_torch_2.2.json (torch 2.2's _sig_to_specs on what 2.1 recorded).
# Finally, with torch 2.15.0,
#
#     <python of torch-2.15.0> scripts/gen_archive_fixtures.py --out $OUT --render-2.15
#
# writes <model>.str_2.15.txt next to every <model>.specs.json (what torch
# 2.15's ExportGraphSignature.__str__ prints for that signature) and RENDER_2.15.json.
# See the docstring of scripts/gen_archive_fixtures.py for the file formats.
#
# Usage: scripts/gen_archive_fixtures.sh [VERSION ...]   (default: all below)
#   env: OUT=tests/fixtures/archives, and those of scripts/torch-venvs.sh
# Each venv is a few GB (the PyPI wheels are the CUDA builds; they import and
# export fine on a CPU-only machine); the venvs share one copy of common wheels.
set -euo pipefail

cd "$(dirname "$0")/.."
OUT=${OUT:-tests/fixtures/archives}

VERSIONS=(2.1.2 2.2.2 2.3.1 2.4.1 2.5.1 2.6.0 2.7.1 2.8.0 2.9.1 2.10.0 2.11.0 2.12.1 2.13.0 2.14.1 2.15.0)
if [ "$#" -gt 0 ]; then VERSIONS=("$@"); fi

for v in "${VERSIONS[@]}"; do
  python=$(scripts/torch-venvs.sh "$v")
  echo "== generating with torch $v ($python)" >&2
  "$python" scripts/gen_archive_fixtures.py --out "$OUT"
done

if [[ " ${VERSIONS[*]} " == *" 2.1.2 "* ]]; then
  # torch 2.1's signature is dict-style: how torch 2.2 classifies what it recorded.
  python22=$(scripts/torch-venvs.sh 2.2.2)
  echo "== classifying torch 2.1.2's programs with torch 2.2.2's _sig_to_specs" >&2
  "$python22" scripts/classify_torch21_fixtures.py "$OUT/torch-2.1.2"
fi

python215=$(scripts/torch-venvs.sh 2.15.0)
echo "== rendering str() with torch 2.15" >&2
"$python215" scripts/gen_archive_fixtures.py --out "$OUT" --render-2.15
