"""Writes a .pt2 holding a TorchScript custom object with torch.export.save (scan-check.sh).

    python export.py LIBRARY.so OUT.pt2

LIBRARY.so is scan_torchbind/graphsig_tb.cpp built against this python's torch. torch 2.5
to 2.7 store the object in serialized_constants.pt (a torch.ScriptObject pickled by Python),
torch 2.9 and later as data/constants/custom_obj_0 (torch._C._pickle_save).
"""
import sys
import warnings

import torch

warnings.simplefilter("ignore")


def register(library: str) -> None:
    torch.ops.load_library(library)

    @torch._library.register_fake_class("graphsig_tb::Scale")
    class FakeScale:
        def __init__(self, factor):
            self.factor = factor

        @classmethod
        def __obj_unflatten__(cls, flat):
            return cls(**dict(flat))

    torch.library.register_fake("graphsig_tb::scale")(lambda obj, x: torch.empty_like(x))


class WithObject(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.obj = torch.classes.graphsig_tb.Scale(3.0)

    def forward(self, x):
        return torch.ops.graphsig_tb.scale(self.obj, x) + 1


def main() -> None:
    register(sys.argv[1])
    m = WithObject()
    x = torch.randn(2, 4)
    ep = torch.export.export(m, (x,), strict=False)
    torch.export.save(ep, sys.argv[2])
    loaded = torch.export.load(sys.argv[2])
    if not torch.equal(loaded.module()(x), m(x)):
        sys.exit("the archive does not load back to the same result")


if __name__ == "__main__":
    main()
