#!/usr/bin/env python3
"""torch 2.15's side of the archive-map benchmark: `torch.export.load` of the same archive
(the only way torch offers to learn its inputs' payloads, shapes and calling convention),
in-process after `import torch`, reps times; prints result lines (peer_common.report).

    <torch 2.15 python> benches/peers/torch_map_peer.py ARCHIVE.pt2 REPS
"""

import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
from peer_common import report, timed  # noqa: E402

import torch  # noqa: E402


def main():
    path, reps = sys.argv[1], int(sys.argv[2])
    ep, times = timed(lambda: torch.export.load(path), reps)
    n = len(ep.graph_signature.input_specs) + len(ep.graph_signature.output_specs)
    report("torch", torch.__version__, "export.load", n, os.path.getsize(path), times)


if __name__ == "__main__":
    main()
