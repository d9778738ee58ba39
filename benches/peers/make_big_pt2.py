#!/usr/bin/env python3
"""Writes, with real torch.export.save, the archive the archive map is benchmarked on: a
module of N parameters (and N/8 buffers) of about SIZE bytes in all, exported and saved.

    <torch 2.15 python> benches/peers/make_big_pt2.py OUT.pt2 N SIZE

The parameters are not used by forward (torch still lifts every one of them as a graph
input with its payload), so export stays quick; the archive has N + N/8 lifted tensors and
SIZE bytes of weights, as a large checkpoint does. Prints one JSON line with what it wrote.
"""

import json
import sys
import time

import torch


class Big(torch.nn.Module):
    def __init__(self, n, elems):
        super().__init__()
        gen = torch.Generator().manual_seed(0)
        self.params = torch.nn.ParameterList(
            [torch.nn.Parameter(torch.randn(elems, generator=gen)) for _ in range(n)]
        )
        for i in range(n // 8):
            self.register_buffer(f"buf_{i}", torch.zeros(8))

    def forward(self, x):
        return x * 2


def main():
    out, n, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    elems = max(1, size // (4 * n))
    t0 = time.perf_counter()
    module = Big(n, elems)
    ep = torch.export.export(module, (torch.ones(4),))
    t1 = time.perf_counter()
    torch.export.save(ep, out)
    t2 = time.perf_counter()
    print(json.dumps({"file": out, "params": n, "buffers": n // 8, "elems_per_param": elems,
                      "export_s": t1 - t0, "save_s": t2 - t1, "torch": torch.__version__}))


if __name__ == "__main__":
    main()
