#!/usr/bin/env bash
# Regenerates capi/include/graph_signature.h from capi/src/ with the pinned cbindgen
# (scripts/capi-tools.sh). With --check, writes nothing and fails if the committed header
# differs from what the sources generate (showing the difference).
set -euo pipefail
cd "$(dirname "$0")/.."
check=0
case "${1:-}" in
    "") ;;
    --check) check=1 ;;
    *) echo "usage: scripts/capi-header.sh [--check]" >&2; exit 2 ;;
esac
cbindgen="$(bash scripts/capi-tools.sh)/cbindgen"
header=capi/include/graph_signature.h
fresh=$(mktemp)
trap 'rm -f "$fresh"' EXIT
"$cbindgen" --quiet --config capi/cbindgen.toml --crate graph-signature-capi --output "$fresh" capi
if [ "$check" = 1 ]; then
    if ! diff -u "$header" "$fresh"; then
        echo "capi-header: $header is out of date with capi/src/; run scripts/capi-header.sh and commit it" >&2
        exit 1
    fi
    echo "capi-header: $header is up to date" >&2
else
    cp "$fresh" "$header"
    echo "capi-header: wrote $header" >&2
fi
