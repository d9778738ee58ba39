#!/usr/bin/env bash
# Builds the C API and installs it under PREFIX, in one command:
#
#   scripts/capi-install.sh PREFIX [--debug]
#
#   PREFIX/include/graph_signature.h                 the committed header (cbindgen)
#   PREFIX/lib/libgraph_signature.so.<ABI>.<minor>.0  the shared library, soname libgraph_signature.so.<ABI>,
#   PREFIX/lib/libgraph_signature.so.<ABI>, .so       and its links
#   PREFIX/lib/libgraph_signature.a                   the static library
#   PREFIX/lib/pkgconfig/graph_signature.pc           for `pkg-config --cflags --libs [--static] graph_signature`
#
# Plain cargo (a release build of the graph-signature-capi crate) and a .pc template; see
# docs/capi.md for why not cargo-c. Linux only for now: another system is refused, not
# half-installed. CARGO_LOCKED=1 builds with --locked. The target folder is cargo's
# (CARGO_TARGET_DIR or the workspace's target/).
set -euo pipefail
cd "$(dirname "$0")/.."

usage() { echo "usage: scripts/capi-install.sh PREFIX [--debug]" >&2; exit 2; }
[ $# -ge 1 ] && [ $# -le 2 ] || usage
prefix=$1
profile=release
if [ $# -eq 2 ]; then
    [ "$2" = --debug ] || usage
    profile=debug
fi
if [ "$(uname -s)" != Linux ]; then
    echo "capi-install: only Linux is supported by this script (soname and pkg-config layout)" >&2
    exit 1
fi
mkdir -p "$prefix"
prefix=$(cd "$prefix" && pwd)

abi_major=$(sed -n 's/^pub const GSIG_ABI_VERSION_MAJOR: u32 = \([0-9]*\);$/\1/p' capi/src/lib.rs)
abi_minor=$(sed -n 's/^pub const GSIG_ABI_VERSION_MINOR: u32 = \([0-9]*\);$/\1/p' capi/src/lib.rs)
version=$(sed -n 's/^version = "\(.*\)"$/\1/p' capi/Cargo.toml | head -n1)
[ -n "$abi_major" ] && [ -n "$abi_minor" ] && [ -n "$version" ] || {
    echo "capi-install: cannot read the ABI version from capi/src/lib.rs or the version from capi/Cargo.toml" >&2
    exit 1
}

locked=()
[ "${CARGO_LOCKED:-0}" = 1 ] && locked=(--locked)
profile_flag=()
[ "$profile" = release ] && profile_flag=(--release)
# `cargo rustc` so rustc can say which system libraries the static library needs (they go
# into the .pc file's Libs.private); cargo replays the note when nothing is rebuilt.
log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
cargo rustc "${locked[@]}" "${profile_flag[@]}" -p graph-signature-capi --lib --message-format short \
    -- --print native-static-libs 2>"$log" || status=$?
grep -v 'native-static-libs\|link against the following native artifacts' "$log" >&2 || true
[ "$status" = 0 ] || exit "$status"
native=$(sed -n 's/.*native-static-libs: //p' "$log" | tail -n1)
if [ -z "$native" ]; then
    echo "capi-install: rustc did not print the static library's native dependencies" >&2
    exit 1
fi

target_dir=$(cargo metadata --format-version 1 --no-deps "${locked[@]}" | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')
built="$target_dir/$profile"

real="libgraph_signature.so.$abi_major.$abi_minor.0"
mkdir -p "$prefix/include" "$prefix/lib/pkgconfig"
install -m 0644 capi/include/graph_signature.h "$prefix/include/graph_signature.h"
install -m 0755 "$built/libgraph_signature_capi.so" "$prefix/lib/$real"
ln -sf "$real" "$prefix/lib/libgraph_signature.so.$abi_major"
ln -sf "libgraph_signature.so.$abi_major" "$prefix/lib/libgraph_signature.so"
install -m 0644 "$built/libgraph_signature_capi.a" "$prefix/lib/libgraph_signature.a"
sed -e "s|@PREFIX@|$prefix|" -e "s|@VERSION@|$version|" -e "s|@LIBS_PRIVATE@|$native|" \
    capi/graph_signature.pc.in > "$prefix/lib/pkgconfig/graph_signature.pc"
echo "capi-install: installed graph_signature $version (ABI $abi_major.$abi_minor, $profile) under $prefix" >&2
