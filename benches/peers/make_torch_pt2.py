#!/usr/bin/env python3
"""Writes a real torch.export archive with at least 1 GiB of weights, for python_peer.py:
run with torch 2.15's interpreter.

    python make_torch_pt2.py OUT.pt2 [LAYERS] [WIDTH]

A stack of LAYERS (default 256) Linear(WIDTH, WIDTH) layers (default 1024: 4 MiB of float32
weights each, 1 GiB in all) with a non-persistent scale buffer and a step counter each
(mutated in forward), exported with torch.export.export and saved with torch.export.save.
Weights are zeros (the archive is not sparse: torch writes every byte).
"""

import sys

import torch


class Block(torch.nn.Module):
    def __init__(self, width):
        super().__init__()
        self.proj = torch.nn.Linear(width, width)
        self.register_buffer("scale", torch.ones(1), persistent=False)
        self.register_buffer("steps", torch.zeros(1))

    def forward(self, x):
        self.steps.add_(1)
        return self.proj(x) * self.scale


class Stack(torch.nn.Module):
    def __init__(self, layers, width):
        super().__init__()
        self.layers = torch.nn.ModuleList(Block(width) for _ in range(layers))

    def forward(self, x):
        for layer in self.layers:
            x = layer(x)
        return x


def main():
    out = sys.argv[1]
    layers = int(sys.argv[2]) if len(sys.argv) > 2 else 256
    width = int(sys.argv[3]) if len(sys.argv) > 3 else 1024
    model = Stack(layers, width)
    with torch.no_grad():
        for p in model.parameters():
            p.zero_()
    ep = torch.export.export(model, (torch.zeros(2, width),))
    torch.export.save(ep, out)
    weights = sum(p.numel() * p.element_size() for p in model.parameters())
    specs = len(ep.graph_signature.input_specs) + len(ep.graph_signature.output_specs)
    print(f"{out}: {weights / 2**30:.2f} GiB of weights, {specs} specs", file=sys.stderr)


if __name__ == "__main__":
    main()
