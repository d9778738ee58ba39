#!/usr/bin/env bash
# Installs (once) the pinned tools the C API needs and prints the folder holding their
# binaries. Today that is cbindgen, which generates capi/include/graph_signature.h.
#
# The tools are cached under ${GRAPHSIG_CACHE:-$HOME/.cache/graph-signature}/tools/<tool>-<version>,
# so a second run only checks the version; with an empty cache they are built from crates.io
# with `cargo install --locked` (their own Cargo.lock, so the same sources every time).
set -euo pipefail

CBINDGEN_VERSION=0.29.4

cache=${GRAPHSIG_CACHE:-$HOME/.cache/graph-signature}/tools
root="$cache/cbindgen-$CBINDGEN_VERSION"
bin="$root/bin/cbindgen"

if [ ! -x "$bin" ] || [ "$("$bin" --version 2>/dev/null)" != "cbindgen $CBINDGEN_VERSION" ]; then
    echo "capi-tools: installing cbindgen $CBINDGEN_VERSION into $root" >&2
    mkdir -p "$cache"
    # A private target folder: the workspace's target/ and its lock stay out of it, and a
    # half-built install is never mistaken for a finished one (the binary appears last).
    build=$(mktemp -d "$cache/.build.XXXXXX")
    trap 'rm -rf "$build"' EXIT
    cargo install --locked --quiet --version "$CBINDGEN_VERSION" cbindgen \
        --root "$build/root" --target-dir "$build/target" >&2
    rm -rf "$root"
    mkdir -p "$root"
    mv "$build/root/bin" "$root/bin"
fi
"$bin" --version >&2
echo "$root/bin"
