"""to_torch() and from_torch() against a real torch (2.15): the objects torch makes and
prints, and what torch.export.load reads from the repository's archives."""

import torch
import torch.export.graph_signature as tgs

import graph_signature as gs
from support import ACCESSORS, ARCHIVES, TORCH_215, every_fixture_signature, read_json

SIGNATURES = every_fixture_signature()


def torch_accessors(sig):
    out = {}
    for name in ACCESSORS:
        value = getattr(sig, name)
        if name == "backward_signature" and value is not None:
            value = (value.gradients_to_parameters, value.gradients_to_user_inputs, value.loss_output)
        elif isinstance(value, (tuple, list)):
            # repr for floats, so nan equals nan and -0.0 differs from 0.0.
            value = [(type(v).__name__, repr(v) if isinstance(v, float) else v) for v in value]
        elif value is not None:
            value = list(dict(value).items())
        out[name] = value
    return out


def test_this_is_torch_215():
    assert torch.__version__.startswith("2.15."), torch.__version__


def test_to_torch_of_every_fixture_is_a_torch_signature_printing_what_torch_printed():
    assert len(SIGNATURES) >= 20
    for name, sig in SIGNATURES:
        theirs = sig.to_torch()
        assert type(theirs) is tgs.ExportGraphSignature, name
        assert str(theirs) == (TORCH_215 / name / "str.txt").read_text(encoding="utf-8"), name
        # Every accessor torch computes from our specs equals ours.
        assert torch_accessors(theirs) == torch_accessors(sig), name
        back = gs.from_torch(theirs)
        assert back == sig, name


def _torch_215_archives():
    found = sorted((ARCHIVES / "torch-2.15.0").glob("*.pt2"))
    assert len(found) >= 8
    return found


def test_what_torch_export_load_reads_equals_ours_both_ways():
    for archive in _torch_215_archives():
        ep = torch.export.load(archive)
        ours = gs.load(archive)
        assert str(ours) == str(ep.graph_signature), archive.name
        assert gs.from_torch(ep) == ours, archive.name
        assert gs.from_torch(ep.graph_signature) == ours, archive.name
        theirs = ours.to_torch()
        assert theirs.input_specs == ep.graph_signature.input_specs, archive.name
        assert theirs.output_specs == ep.graph_signature.output_specs, archive.name


class Counter(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.proj = torch.nn.Linear(4, 4)
        self.register_buffer("steps", torch.zeros(1))
        self.register_buffer("scale", torch.ones(1), persistent=False)

    def forward(self, x, k: int):
        self.steps.add_(1)
        return self.proj(x) * self.scale + k


def test_a_live_export_reads_and_converts_back():
    ep = torch.export.export(Counter(), (torch.randn(2, 4), 3))
    ours = gs.from_torch(ep)
    assert str(ours) == str(ep.graph_signature)
    assert torch_accessors(ours) == torch_accessors(ep.graph_signature)
    assert ours.to_torch().input_specs == ep.graph_signature.input_specs
    assert ours.to_torch().output_specs == ep.graph_signature.output_specs
    # Through every format and back, and into a file torch saved.
    for fmt in gs.FORMATS:
        assert gs.decode(ours.encode(fmt), fmt) == ours, fmt


def test_a_saved_live_export_embeds_and_torch_still_loads_it(tmp_path):
    ep = torch.export.export(Counter(), (torch.randn(2, 4), 3))
    path = tmp_path / "counter.pt2"
    torch.export.save(ep, path)
    assert gs.embed(path) == "model"
    assert gs.extract(path) == gs.from_torch(ep)
    again = torch.export.load(path)
    assert str(again.graph_signature) == str(ep.graph_signature)


class _EveryName(dict):
    def __missing__(self, name):
        return name


def test_torch_json_we_write_is_torchs_and_its_deserializer_reads_it():
    from torch._export.serde import serialize as ser
    from torch._export.serde.schema import GraphSignature
    import json

    read_by_torch = 0
    for name, sig in SIGNATURES:
        if not (TORCH_215 / name / "signature.json").exists():
            continue
        try:
            data = sig.encode("torch-json")
        except gs.UnrepresentableError:
            # torch writes it, but would read it back as something else (a CustomObj user
            # input): the lossy form is what torch wrote.
            data = sig.encode("torch-json", lossy=True)
            assert json.loads(data) == read_json(TORCH_215 / name / "signature.json"), name
            continue
        assert json.loads(data) == read_json(TORCH_215 / name / "signature.json"), name
        deserializer = ser.GraphModuleDeserializer()
        # A custom object given as a user input is looked up among the graph's constants,
        # which a signature alone does not have: every name stands for itself.
        deserializer.constants = _EveryName()
        deserializer.serialized_name_to_node = {}
        theirs = deserializer.deserialize_signature(ser._dict_to_dataclass(GraphSignature, json.loads(data)))
        assert str(theirs) == str(gs.decode(data, "torch-json")), name
        read_by_torch += 1
    assert read_by_torch >= 15, read_by_torch


def test_torch_is_imported_only_when_asked(tmp_path):
    import subprocess
    import sys

    code = ("import sys, graph_signature as gs; sig = gs.load(sys.argv[1]); str(sig); sig.encode('proto');"
            "assert 'torch' not in sys.modules; sig.to_torch(); assert 'torch' in sys.modules")
    subprocess.run([sys.executable, "-c", code, str(ARCHIVES / "torch-2.15.0" / "linear.pt2")], check=True)


def test_the_archive_maps_arrays_are_the_tensors_torch_export_load_reads():
    # The numpy views of the archive map against the state dict and constants torch loads
    # from the same file: bit for bit (bfloat16 through its bits), with torch's strides.
    import numpy as np

    compared = 0
    for archive in _torch_215_archives():
        ep = torch.export.load(archive)
        amap = gs.map(archive)
        for table, ours in (("state_dict", amap.state_dict(bits=True)), ("constants", amap.constants(bits=True))):
            theirs = {k: v for k, v in getattr(ep, table).items() if isinstance(v, torch.Tensor)}
            assert set(ours) == set(theirs), (archive.name, table)
            for name, t in theirs.items():
                t = t.detach()
                if t.dtype == torch.bfloat16:
                    t = t.view(torch.int16)
                    assert ours[name].dtype == np.uint16
                    want = t.numpy().view(np.uint16)
                else:
                    want = t.numpy()
                assert ours[name].dtype == want.dtype and ours[name].shape == want.shape, (archive.name, name)
                assert ours[name].tobytes() == want.tobytes(), (archive.name, name)
                if t.numel() > 1:
                    assert [s // ours[name].itemsize for s in ours[name].strides] == list(t.stride()), name
                compared += 1
    assert compared >= 20, compared
