#!/usr/bin/env bash
# One pinned virtualenv per torch release, made with a pinned uv.
#
#   scripts/torch-venvs.sh VERSION...      e.g. scripts/torch-venvs.sh 2.1.2 2.15.0
#
# Prints, one per line and in the order asked, the absolute path of each release's python
# (stdout carries nothing else; progress goes to stderr). Exits non-zero, naming the
# release, when an install or the import check fails; the venvs already made are kept.
#
# Where things live (all made on first use; an empty cache is fine):
#   GRAPHSIG_CACHE        default $HOME/.cache/graph-signature
#   GRAPHSIG_TORCH_VENVS  default $GRAPHSIG_CACHE/torch-venvs; one torch-<VERSION>/ each
#   $GRAPHSIG_CACHE/uv-<UV_VERSION>/   a small venv holding uv itself (python3 -m venv + pip)
#   $GRAPHSIG_CACHE/uv-cache/          uv's cache: one unpacked copy of every wheel
#
# The venvs are hard-linked into uv's cache (--link-mode hardlink), so the CUDA wheels that
# releases share (nvidia-*, triton) are on disk once. Keep the venvs and the cache on one
# filesystem, or uv copies. The PyPI wheels are the CUDA builds; they import on a CPU.
#
# Pins per release: torch==VERSION, numpy (1.26.4 below torch 2.4, else 2.2.6),
# safetensors==0.7.0, packaging==25.0; the rest of the dependency tree (sympy, filelock,
# the nvidia-* wheels, ...) is fixed by resolving as of EXCLUDE_NEWER. The pins are written
# to torch-<VERSION>/graphsig-pins.txt after a good install: a re-run with the same pins
# only checks that the python is there; a changed pin rebuilds the venv from scratch.
#
# Interpreter: python3.11 when present, else python3 (torch 2.1/2.2 have no wheels past
# 3.11); PYTHON overrides.
set -euo pipefail

UV_VERSION=0.13.9
EXCLUDE_NEWER=2026-12-01T00:00:00Z
SAFETENSORS=safetensors==0.7.0
PACKAGING=packaging==25.0

die() { echo "torch-venvs: error: $*" >&2; exit 1; }
log() { echo "torch-venvs: $*" >&2; }

[ "$#" -gt 0 ] || die "usage: $0 VERSION... (e.g. 2.15.0)"

CACHE=${GRAPHSIG_CACHE:-$HOME/.cache/graph-signature}
VENVS=${GRAPHSIG_TORCH_VENVS:-$CACHE/torch-venvs}
mkdir -p "$CACHE" "$VENVS"
CACHE=$(cd "$CACHE" && pwd -P)
VENVS=$(cd "$VENVS" && pwd -P)

if [ -z "${PYTHON:-}" ]; then
    if command -v python3.11 >/dev/null 2>&1; then PYTHON=python3.11; else PYTHON=python3; fi
fi
# The real interpreter behind a shim (pyenv), so the venvs do not depend on the shim.
BASE_PY=$("$PYTHON" -c 'import sys; print(sys.executable)') || die "cannot run $PYTHON"
BASE_PY_VERSION=$("$BASE_PY" -c 'import platform; print(platform.python_version())')

lock() { # lock FILE: serialize concurrent runs that touch the same thing
    exec {lock_fd}>"$1"
    flock "$lock_fd"
}
unlock() { flock -u "$lock_fd"; exec {lock_fd}>&-; }

# --- uv itself -----------------------------------------------------------------------
UV_HOME=$CACHE/uv-$UV_VERSION
UV=$UV_HOME/bin/uv
lock "$CACHE/.uv.lock"
if ! [ -x "$UV" ] || [ "$("$UV" --version 2>/dev/null | awk '{print $2}')" != "$UV_VERSION" ]; then
    log "installing uv==$UV_VERSION into $UV_HOME"
    rm -rf "$UV_HOME"
    "$BASE_PY" -m venv "$UV_HOME" || die "python -m venv $UV_HOME failed"
    "$UV_HOME/bin/python" -m pip install -q --disable-pip-version-check "uv==$UV_VERSION" \
        || die "pip install uv==$UV_VERSION failed"
fi
unlock
export UV_CACHE_DIR=$CACHE/uv-cache
# The system certificate store (the one pip uses here too), not uv's bundled roots.
export UV_NATIVE_TLS=${UV_NATIVE_TLS:-1}
export UV_NO_PROGRESS=1

numpy_for() { # torch < 2.4 is built against numpy 1.x
    local minor=${1#2.}; minor=${minor%%.*}
    case "$1" in
        2.*) if [ "$minor" -lt 4 ]; then echo numpy==1.26.4; else echo numpy==2.2.6; fi ;;
        *) die "unsupported torch version $1 (2.x releases only)" ;;
    esac
}

pins_for() {
    printf '%s\n' \
        "uv==$UV_VERSION" \
        "python==$BASE_PY_VERSION" \
        "exclude-newer=$EXCLUDE_NEWER" \
        "torch==$1" \
        "$(numpy_for "$1")" \
        "$SAFETENSORS" \
        "$PACKAGING"
}

ensure_venv() { # ensure_venv VERSION -> prints the python path
    local v=$1 venv=$VENVS/torch-$1 pins stamp
    [[ "$v" =~ ^2\.[0-9]+\.[0-9]+$ ]] || die "not a torch release: '$v' (want e.g. 2.15.0)"
    pins=$(pins_for "$v")
    stamp=$venv/graphsig-pins.txt
    lock "$VENVS/.torch-$v.lock"
    if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$pins" ] && [ -x "$venv/bin/python" ]; then
        unlock
        echo "$venv/bin/python"
        return
    fi
    log "creating $venv (torch==$v, $(numpy_for "$v"), Python $BASE_PY_VERSION)"
    rm -rf "$venv"
    "$UV" venv -q --python "$BASE_PY" "$venv" || { unlock; die "uv venv $venv failed"; }
    if ! "$UV" pip install --python "$venv/bin/python" --link-mode hardlink \
            --exclude-newer "$EXCLUDE_NEWER" \
            "torch==$v" "$(numpy_for "$v")" "$SAFETENSORS" "$PACKAGING" >&2; then
        rm -rf "$venv"
        unlock
        die "installing torch==$v into $venv failed (see uv's message above)"
    fi
    if ! "$venv/bin/python" - "$v" >&2 <<'PY'
import sys
import numpy, packaging, safetensors, torch
want = sys.argv[1]
got = torch.__version__.split("+")[0]
assert got == want, f"torch {got} installed, {want} wanted"
assert torch.from_numpy(numpy.arange(3)).sum().item() == 3, "torch <-> numpy"
print(f"torch-venvs: ok: torch {torch.__version__}, numpy {numpy.__version__}, "
      f"safetensors {safetensors.__version__}, packaging {packaging.__version__}")
PY
    then
        rm -rf "$venv"
        unlock
        die "torch $v does not import in $venv"
    fi
    printf '%s\n' "$pins" >"$stamp"
    unlock
    echo "$venv/bin/python"
}

for v in "$@"; do
    ensure_venv "$v"
done
