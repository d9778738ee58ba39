#!/usr/bin/env python3
"""Python protobuf (upb backend) parsing our .proto bytes: run with the peers' venv
(benches/peers/setup.sh).

    python upb_peer.py DIR N [REPS]

decode: SignatureDocument.FromString(bytes) (upb parses eagerly into its arena), then a
check of the spec count; encode: SerializeToString(). Prints one JSON line per operation.
"""

import json
import os
import sys

from peer_common import report, timed

HERE = os.path.dirname(os.path.abspath(__file__))
VENV = os.environ.get("PEERS_VENV", os.path.join(HERE, "..", "..", ".venv-peers"))
sys.path.insert(0, os.path.join(VENV, "gen"))

import google.protobuf  # noqa: E402
from google.protobuf.internal import api_implementation  # noqa: E402
from graph_signature.v1 import graph_signature_pb2 as pb  # noqa: E402


def main():
    root, n = sys.argv[1], int(sys.argv[2])
    reps = int(sys.argv[3]) if len(sys.argv) > 3 else 10
    assert api_implementation.Type() == "upb", api_implementation.Type()
    with open(os.path.join(root, f"sig_{n}.pb"), "rb") as f:
        data = f.read()
    doc, dec = timed(lambda: pb.SignatureDocument.FromString(data), reps)
    assert len(doc.signature.input_specs) + len(doc.signature.output_specs) == n
    out, enc = timed(doc.SerializeToString, reps)
    assert len(out) == len(data)
    for op, times in (("proto.decode", dec), ("proto.encode", enc)):
        report("upb", google.protobuf.__version__, op, n, len(data), times)


if __name__ == "__main__":
    main()
