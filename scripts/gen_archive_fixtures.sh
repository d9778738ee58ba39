#!/usr/bin/env bash
# Regenerate tests/fixtures/archives/ from real PyTorch releases.
#
# For each pinned torch version below this script creates (if missing) a
# virtualenv $VENVS/t<MAJOR><MINOR> (default VENVS=/work/venvs) with
# `pip install torch==<version>` from PyPI (plus numpy; numpy<2 for torch
# older than 2.4), then runs
#
#     $VENVS/tXY/bin/python scripts/gen_archive_fixtures.py --out $OUT
#
# which writes $OUT/torch-<version>/{<model>.pt2, .specs.json, .torch_str.txt,
# .accessors.json, .schema_version.txt, MANIFEST.json}. Finally, with the
# torch 2.15 venv,
#
#     $VENVS/t215/bin/python scripts/gen_archive_fixtures.py --out $OUT --render-2.15
#
# writes <model>.str_2.15.txt next to every <model>.specs.json (what torch
# 2.15's ExportGraphSignature.__str__ prints for that signature).
# See the docstring of scripts/gen_archive_fixtures.py for the file formats.
#
# Usage: scripts/gen_archive_fixtures.sh [VERSION ...]   (default: all below)
#   env: VENVS=/work/venvs  OUT=tests/fixtures/archives  PYTHON=python3.11
# Each venv is a few GB (the PyPI wheels are the CUDA builds; they import and
# export fine on a CPU-only machine). Python 3.11 is needed: torch 2.2 has no
# wheels for newer Pythons.
set -euo pipefail

cd "$(dirname "$0")/.."
VENVS=${VENVS:-/work/venvs}
OUT=${OUT:-tests/fixtures/archives}
PYTHON=${PYTHON:-python3.11}
command -v "$PYTHON" >/dev/null || PYTHON=python3

VERSIONS=(2.2.2 2.3.1 2.4.1 2.5.1 2.6.0 2.7.1 2.8.0 2.9.1 2.15.0)
if [ "$#" -gt 0 ]; then VERSIONS=("$@"); fi

venv_for() { # 2.15.0 -> $VENVS/t215
  local mm=${1%.*}
  echo "$VENVS/t${mm//./}"
}

for v in "${VERSIONS[@]}"; do
  venv=$(venv_for "$v")
  if ! "$venv/bin/python" -c "import torch,sys; sys.exit(torch.__version__.split('+')[0] != '$v')" 2>/dev/null; then
    echo "== creating $venv (torch==$v)" >&2
    "$PYTHON" -m venv "$venv"
    case "$v" in
      2.2.*|2.3.*) np='numpy<2' ;;
      *) np='numpy' ;;
    esac
    "$venv/bin/pip" install -q "torch==$v" "$np"
  fi
  echo "== generating with torch $v" >&2
  "$venv/bin/python" scripts/gen_archive_fixtures.py --out "$OUT"
done

venv215=$(venv_for 2.15.0)
if [ ! -x "$venv215/bin/python" ]; then
  "$PYTHON" -m venv "$venv215"
  "$venv215/bin/pip" install -q "torch==2.15.0" numpy
fi
echo "== rendering str() with torch 2.15" >&2
"$venv215/bin/python" scripts/gen_archive_fixtures.py --out "$OUT" --render-2.15
