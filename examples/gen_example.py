"""Writes examples/tinynet.pt2 with real torch 2.15, and what torch prints for its signature:

    "$(bash scripts/torch-venvs.sh 2.15.0)" examples/gen_example.py

(scripts/torch-venvs.sh makes the pinned torch 2.15.0 venv once, outside the clone, and
prints its python.)

TinyNet has parameters, a persistent and a non-persistent buffer, and mutates a buffer in
forward; after run_decompositions the mutation is a BUFFER_MUTATION output.

Paths: the file names in the nodes' stack traces (saved into the archive) are made
relative before saving, with relative_stack_traces() of scripts/gen_archive_fixtures.py,
so no path of the generating machine ends up in the repository.
"""
import pathlib
import sys

import torch

HERE = pathlib.Path(__file__).parent
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "scripts"))
from gen_archive_fixtures import relative_stack_traces  # noqa: E402

torch.manual_seed(0)


class TinyNet(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.proj = torch.nn.Linear(8, 4)
        self.norm = torch.nn.LayerNorm(4)
        self.register_buffer("steps", torch.zeros((), dtype=torch.int64))
        self.register_buffer("scale", torch.full((4,), 0.5), persistent=False)

    def forward(self, x):
        self.steps.add_(1)
        return self.norm(self.proj(x)) * self.scale


TinyNet.__module__ = "tinynet"
ep = torch.export.export(TinyNet(), (torch.randn(2, 8),)).run_decompositions()
relative_stack_traces(ep)
torch.export.save(ep, str(HERE / "tinynet.pt2"))
(HERE / "tinynet.str.txt").write_text(str(ep.graph_signature))
print(ep.graph_signature)
