#!/usr/bin/env python3
"""torch's own Python path on the benchmark files: run with torch 2.15's interpreter.

    python torch_peer.py DIR N [REPS]

decode: JSON bytes -> ExportGraphSignature, as torch.export.load does for the signature:
    json.loads, _dict_to_dataclass(GraphSignature, ...), GraphModuleDeserializer().deserialize_signature(...)
encode: ExportGraphSignature -> JSON bytes, as torch.export.save does:
    GraphModuleSerializer(sig, []).serialize_signature(sig), _to_json_bytes(...)

Checks that torch writes back exactly the bytes it read (our writer's output), then prints
one JSON line per operation: {"side": "torch", "op": ..., "n": ..., "min_s": ..., "median_s": ..., "reps": ...}.
"""

import json
import os
import sys

from peer_common import report, timed

import torch
from torch._export.serde import serialize as ser
from torch._export.serde.schema import GraphSignature


def main():
    root, n = sys.argv[1], int(sys.argv[2])
    reps = int(sys.argv[3]) if len(sys.argv) > 3 else 3
    with open(os.path.join(root, f"sig_{n}.torch.json"), "rb") as f:
        data = f.read()

    def decode():
        gs = ser._dict_to_dataclass(GraphSignature, json.loads(data))
        return ser.GraphModuleDeserializer().deserialize_signature(gs)

    sig, dec = timed(decode, reps)
    assert len(sig.input_specs) + len(sig.output_specs) == n, "torch read another number of specs"

    def encode():
        return ser._to_json_bytes(ser.GraphModuleSerializer(sig, []).serialize_signature(sig))

    out, enc = timed(encode, reps)
    assert out == data, "torch wrote other bytes than our writer"
    for op, times in (("torch_json.decode", dec), ("torch_json.encode", enc)):
        report("torch", torch.__version__, op, n, len(data), times)


if __name__ == "__main__":
    main()
