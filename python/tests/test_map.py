"""The archive map (graph_signature.map): its typed objects against `graphsig map --json` for
every torch archive, the numpy views of the payloads against the SHA-256 torch recorded for
every tensor it saved, the MLP's forward from the plan against torch's output, and bad
archives against the CLI's errors."""

import gc
import hashlib
import io
import json
import math
import os
import pathlib
import shutil
import subprocess
import sys
import zipfile

import numpy as np
import pytest

import graph_signature as gs
from support import FIXTURES, REPO, run_beside_a_ticker, sibling, torch_archives

PT2_215 = FIXTURES / "archives" / "torch-2.15.0"


def graphsig():
    """The CLI the map is compared with: $GRAPHSIG (scripts/python-check.sh builds it), or
    the workspace's debug build."""
    path = os.environ.get("GRAPHSIG") or str(REPO / "target" / "debug" / "graphsig")
    assert os.path.exists(path), f"no graphsig at {path}: build it (cargo build -p graphsig) or set GRAPHSIG"
    return path


def cli(*args):
    return subprocess.run([graphsig(), *map(str, args)], capture_output=True, text=True)


def cli_error(path):
    """What `graphsig map` says about a file it cannot read (exit status 2), as Python's
    message would say it: `PATH: <error>`."""
    r = cli("map", "--json", path)
    assert r.returncode == 2, (r.returncode, r.stderr)
    prefix = "graphsig: error: "
    assert r.stderr.startswith(prefix), r.stderr
    return r.stderr[len(prefix):].rstrip("\n")


# ---- the typed objects, rendered as the JSON contract of docs/cli.md ---------------------

def scalar(v):
    """A value as the CLI's JSON writes it: constants' non-finite floats as strings."""
    if isinstance(v, float) and not math.isfinite(v):
        return "NaN" if math.isnan(v) else ("Infinity" if v > 0 else "-Infinity")
    return v


def sym(v):
    if isinstance(v, gs.SymExpr):
        hint = v.hint
        if isinstance(hint, float) and not math.isfinite(hint):
            hint = None  # serde writes a non-finite f64 as null
        return {"expr": v.expr, "short": v.short, "hint": hint}
    assert isinstance(v, (int, float, bool)), type(v)
    return v


def meta(m):
    if m is None:
        return None
    if isinstance(m, gs.TensorMeta):
        assert m.type == "tensor"
        return {"type": "tensor", "dtype": m.dtype, "shape": [sym(s) for s in m.shape],
                "strides": [sym(s) for s in m.strides], "storage_offset": sym(m.storage_offset),
                "device": m.device, "layout": m.layout, "requires_grad": m.requires_grad}
    assert isinstance(m, gs.ValueMeta)
    if m.type in ("sym_int", "sym_float", "sym_bool"):
        return {"type": m.type, "value": sym(m.value)}
    if m.type == "custom_obj":
        return {"type": m.type, "class_fqn": m.class_fqn}
    if m.type == "constant":
        return {"type": m.type, "value": scalar(m.value)}
    assert m.type == "token", m.type
    return {"type": "token"}


def source(s):
    f = s.from_
    if f == "payload":
        return {"from": f, "target": s.target, "found": s.found}
    if f == "caller":
        return {"from": f, "path": s.path}
    if f == "constant":
        return {"from": f, "value": scalar(s.value), "path": s.path}
    if f == "custom_object":
        return {"from": f, "target": s.target, "class_fqn": s.class_fqn, "found": s.found}
    assert f == "token", f
    return {"from": f}


def destination(d):
    t = d.to
    if t in ("caller", "loss"):
        return {"to": t, "path": d.path}
    if t == "write_back":
        return {"to": t, "kind": d.kind, "target": d.target}
    if t == "gradient":
        return {"to": t, "of": d.of, "target": d.target}
    assert t == "token", t
    return {"to": t}


def storage(s):
    return {"record": s.record, "member": s.member, "offset": s.offset, "length": s.length, "stored": s.stored}


def as_contract(amap, strict=False):
    """The map's JSON (docs/cli.md), built from the typed getters alone."""
    p = amap.payloads
    return {
        "map_version": 1,
        "model": amap.model,
        "layout": amap.layout,
        "torch_schema_version": amap.torch_schema_version,
        "torch_version": amap.torch_version,
        "inputs": [{"index": b.index, "name": b.name, "kind": b.kind.name, "source": source(b.source),
                    "meta": meta(b.meta)} for b in amap.inputs],
        "outputs": [{"index": b.index, "name": b.name, "kind": b.kind.name, "destination": destination(b.destination),
                     "meta": meta(b.meta)} for b in amap.outputs],
        "notes": list(amap.notes),
        "range_constraints": [{"symbol": r.symbol, "min": r.min, "max": r.max} for r in amap.range_constraints],
        "storages": [storage(s) for s in p.storages],
        "tensors": [{"name": t.name, "table": t.table, "is_param": t.is_param, "storage": t.storage,
                     "encoding": t.encoding, "dtype": t.dtype, "shape": list(t.shape), "strides": list(t.strides),
                     "storage_offset": t.storage_offset, "requires_grad": t.requires_grad} for t in p.tensors],
        "objects": [{"name": o.name, "storage": storage(o.storage), "encoding": o.encoding} for o in p.objects],
        "checks": [{"code": f.code, "severity": f.severity, "at": f.at, "message": f.message}
                   for f in amap.check(strict=strict)],
    }


def assert_same_json(ours, theirs, where):
    """Equal, with the same Python types (1, 1.0 and True are equal in Python)."""
    if isinstance(theirs, dict):
        assert isinstance(ours, dict) and list(ours) == list(theirs), f"{where}: keys {list(ours)} != {list(theirs)}"
        for k in theirs:
            assert_same_json(ours[k], theirs[k], f"{where}.{k}")
    elif isinstance(theirs, list):
        assert isinstance(ours, list) and len(ours) == len(theirs), f"{where}: {ours!r} != {theirs!r}"
        for i, (a, b) in enumerate(zip(ours, theirs)):
            assert_same_json(a, b, f"{where}[{i}]")
    else:
        assert type(ours) is type(theirs) and ours == theirs, f"{where}: ours {ours!r}, graphsig's {theirs!r}"


def test_every_torch_archive_maps_as_graphsig_map_json_says():
    archives = torch_archives() + [REPO / "examples" / "tinynet.pt2", FIXTURES / "pt2" / "str_output.pt2"]
    failing = 0
    for path in archives:
        amap = gs.map(path)
        for strict in (False, True):
            r = cli("map", "--json", *(["--strict"] if strict else []), path)
            assert r.returncode in (0, 1), r.stderr
            failing += r.returncode
            assert_same_json(as_contract(amap, strict), json.loads(r.stdout), f"{path.name} strict={strict}")
            # The library's JSON, byte for byte (the CLI adds a newline).
            assert amap.to_json(strict=strict) + "\n" == r.stdout, path
            errors = [f for f in amap.check(strict=strict) if f.severity == "error"]
            assert bool(errors) == (r.returncode == 1), path
        # The metadata also aligns with the signature's specs, by index.
        sig = amap.signature
        assert len(amap.inputs_meta) == len(sig.input_specs) == len(amap.inputs)
        assert len(amap.outputs_meta) == len(sig.output_specs) == len(amap.outputs)
        assert [b.kind for b in amap.inputs] == [s.kind for s in sig.input_specs]
        assert [b.meta for b in amap.inputs] == list(amap.inputs_meta)
        assert sig == gs.load(path, model=amap.model)
    assert failing > 0, "no archive fails the strict checks: the exit statuses were not exercised"


def test_the_map_of_bytes_is_the_map_of_the_file_and_a_model_is_chosen_by_name():
    path = PT2_215 / "dynamic.pt2"
    a, b = gs.map(path), gs.ArchiveMap.open(path.read_bytes())
    assert a.to_json() == b.to_json() and b.path is None and a.path == path
    x = [i for i in a.inputs if i.name == "x"][0]
    size = x.meta.shape[0]
    assert isinstance(size, gs.SymExpr)
    assert (size.expr, size.short, size.hint, size.symbols) == (
        "Symbol('s77', positive=True, integer=True)", "s77", 3, ("s77",))
    assert str(size) == "s77" and x.meta.shape[1] == 4
    assert x.source == a.inputs[x.index].source and x.source.from_ == "caller" and x.source.path == "args[0]"
    assert a.range_constraints == (a.range_constraints[0],) and a.range_constraints[0].symbol == "s77"
    multi = FIXTURES / "pt2" / "multi_model.pt2"
    for model in ("decoder", "encoder"):
        assert gs.map(multi, model=model).to_json() + "\n" == cli("map", "--json", "--model", model, multi).stdout
    assert "ArchiveMap" in repr(a) and "Source(from_='caller', path='args[0]')" == repr(x.source)


# ---- numpy views ----------------------------------------------------------------------

def recorded(archive):
    """What torch recorded when it saved `archive`: table -> name -> facts (tensors only)."""
    facts = json.loads(sibling(archive, "tensors.json").read_text())
    out = {}
    for table, key in (("weights", "state_dict"), ("constants", "constants")):
        entries = facts.get(key) or {}
        if "$missing" in entries:  # torch 2.1 and 2.2 did not record their constants
            continue
        out[table] = {k: v for k, v in entries.items() if "tensor_sha256" in v}
    return out


NUMPY_OF_TORCH = {"torch.float32": "float32", "torch.float64": "float64", "torch.float16": "float16",
                  "torch.bfloat16": "uint16", "torch.int8": "int8", "torch.uint8": "uint8", "torch.int16": "int16",
                  "torch.int32": "int32", "torch.int64": "int64", "torch.bool": "bool",
                  "torch.complex64": "complex64", "torch.complex128": "complex128"}


def test_every_tensor_torch_saved_is_a_zero_copy_view_with_torchs_bytes():
    checked = 0
    for archive in torch_archives():
        amap = gs.map(archive)
        facts = recorded(archive)
        tables = {"weights": amap.state_dict(bits=True), "constants": amap.constants(bits=True)}
        for table, names in facts.items():
            assert set(tables[table]) == set(names), f"{archive}: {table}: {sorted(tables[table])} != {sorted(names)}"
            starts = {}
            for name, fact in names.items():
                arr = tables[table][name]
                assert hashlib.sha256(np.ascontiguousarray(arr).tobytes()).hexdigest() == fact["tensor_sha256"], \
                    f"{archive}: {name}: the view's bytes differ from torch's"
                assert str(arr.dtype) == NUMPY_OF_TORCH[fact["dtype"]], (archive, name, arr.dtype)
                assert list(arr.shape) == fact["shape"], (archive, name)
                if arr.size:
                    assert [s // arr.itemsize for s in arr.strides] == fact["stride"], (archive, name)
                assert not arr.flags.writeable and not arr.flags.owndata, (archive, name)
                # Tensors torch saved in one storage are views of the same bytes here too.
                if arr.size:
                    start = arr.__array_interface__["data"][0] - fact["storage_offset"] * arr.itemsize
                    assert starts.setdefault(fact["storage_group"], start) == start, (archive, name)
                checked += 1
    assert checked >= 400, checked


def test_tied_weights_share_memory_and_views_keep_their_strides():
    amap = gs.map(PT2_215 / "tied.pt2")
    emb, head = amap.tensor("emb.weight"), amap.tensor("head.weight")
    assert np.shares_memory(emb, head)
    views = gs.map(PT2_215 / "views.pt2")
    t = views.tensor("transposed")
    meta = views.payloads.tensor("transposed")
    assert t.strides == tuple(s * t.itemsize for s in meta.strides) and not t.flags.c_contiguous


def test_dtypes_numpy_lacks_are_refused_unless_their_bits_are_asked_for():
    amap = gs.map(PT2_215 / "dtypes.pt2")
    with pytest.raises(gs.UnsupportedPayloadError) as err:
        amap.tensor("bf16")
    assert err.value.reason_code == "dtype" and err.value.name == "bf16" and "bits=True" in str(err.value)
    assert isinstance(err.value, ValueError)
    with pytest.raises(gs.UnsupportedPayloadError):
        amap.state_dict()
    bits = amap.tensor("bf16", bits=True)
    assert bits.dtype == np.uint16 and bits.shape == (4,)
    # Every other dtype is numpy's own type, with or without bits.
    assert amap.tensor("fp16").dtype == np.float16 and amap.tensor("fp16", bits=True).dtype == np.float16
    assert amap.tensor("mask").dtype == np.bool_ and amap.tensor("c64").dtype == np.complex64
    with pytest.raises(KeyError):
        amap.tensor("no.such.tensor")
    with pytest.raises(KeyError):
        amap.payloads.tensor("no.such.tensor")


def test_arrays_are_read_only_and_outlive_the_map():
    path = PT2_215 / "mlp.pt2"
    facts = recorded(path)["weights"]
    amap = gs.map(path)
    weights = amap.state_dict()
    w = weights["fc1.weight"]
    with pytest.raises(ValueError):
        w[0, 0] = 1.0
    with pytest.raises(ValueError):
        w.setflags(write=True)
    mapped = os.path.realpath(path)

    def mapped_now():
        with open("/proc/self/maps") as f:
            return any(line.rstrip("\n").endswith(mapped) for line in f)

    linux = sys.platform.startswith("linux")
    if linux:
        assert mapped_now(), "the archive is not mapped into memory"
    del amap
    gc.collect()
    for name, arr in weights.items():
        assert hashlib.sha256(np.ascontiguousarray(arr).tobytes()).hexdigest() == facts[name]["tensor_sha256"]
    if linux:
        assert mapped_now(), "the mapping went away while arrays use it"
    del weights, w, arr
    gc.collect()
    if linux:
        assert not mapped_now(), "the mapping outlived every array"


def test_a_map_of_bytes_views_the_bytes_and_a_changed_file_is_refused(tmp_path):
    data = (PT2_215 / "linear.pt2").read_bytes()
    from_bytes = gs.map(data).tensor("lin.weight")
    assert not from_bytes.flags.writeable
    assert np.array_equal(from_bytes, gs.map(PT2_215 / "linear.pt2").tensor("lin.weight"))
    # bytearray and memoryview are copied first (they could change), then viewed as bytes.
    assert np.array_equal(gs.map(bytearray(data)).tensor("lin.weight"), from_bytes)
    path = tmp_path / "linear.pt2"
    path.write_bytes(data)
    amap = gs.map(path)
    shutil.copyfile(PT2_215 / "mlp.pt2", path)
    with pytest.raises(gs.FileChangedError) as err:
        amap.tensor("lin.weight")
    assert err.value.filename == str(path) and isinstance(err.value, OSError)
    os.utime(path)  # a fresh map of the new file works
    assert gs.map(path).tensor("fc1.weight").shape == (8, 4)


def test_empty_tensors_are_empty_views():
    amap = gs.map(PT2_215 / "empty.pt2")
    tensors = amap.state_dict()
    assert tensors and all(a.size == 0 for a in tensors.values())
    for name, arr in tensors.items():
        assert arr.shape == amap.payloads.tensor(name).shape and not arr.flags.writeable


def test_the_mlp_runs_from_the_binding_plan_as_torch_ran_it():
    runs = 0
    for archive in torch_archives():
        if archive.stem != "mlp":
            continue
        io_facts = json.loads(sibling(archive, "io.json").read_text())
        caller = {"args[0]": np.array(io_facts["inputs"][0]["values"], np.float32).reshape(io_facts["inputs"][0]["shape"])}
        amap = gs.map(archive)
        bound = []
        for b in amap.inputs:
            if b.source.from_ == "payload":
                bound.append(amap.tensor(b.source.target))
            else:
                assert b.source.from_ == "caller", b.source
                bound.append(caller[b.source.path])
        w1, b1, w2, b2, x = bound
        y = np.maximum(x @ w1.T + b1, 0) @ w2.T + b2
        [out] = [o for o in amap.outputs if o.destination.to == "caller"]
        assert y.shape == out.meta.shape, (archive, y.shape, out.meta.shape)
        expected = np.array(io_facts["outputs"][0]["values"], np.float32).reshape(io_facts["outputs"][0]["shape"])
        assert float(np.max(np.abs(y - expected))) < 1e-5, archive
        runs += 1
    assert runs >= 10, runs


# ---- bad archives ---------------------------------------------------------------------

def records(data):
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return [(i.filename, z.read(i)) for i in z.infolist()]


def rezip(recs):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as z:
        for name, data in recs:
            z.writestr(name, data)
    return out.getvalue()


def with_record(data, name, edit):
    recs = records(data)
    assert name in dict(recs), name
    return rezip([(n, edit(d) if n == name else d) for n, d in recs])


def assert_refused_as_the_cli(tmp_path, data, exception, *words):
    path = tmp_path / "bad.pt2"
    path.write_bytes(data)
    with pytest.raises(exception) as err:
        gs.map(path)
    assert str(err.value) == cli_error(path)
    for w in words:
        assert w in str(err.value), (w, str(err.value))
    assert err.value.filename == str(path)
    with pytest.raises(exception):
        gs.map(data)  # the same from bytes
    return err.value


def test_broken_archives_raise_what_the_cli_reports(tmp_path):
    linear = (PT2_215 / "linear.pt2").read_bytes()
    config = "linear/data/weights/model_weights_config.json"
    bad = with_record(linear, config, lambda c: c.replace(b'"weight_0"', b'"weight_99"', 1))
    err = assert_refused_as_the_cli(tmp_path, bad, gs.DecodeError, config, "weight_99")
    assert err.format == "pt2" and err.position
    bad = with_record(linear, config, lambda c: c.replace(b'"sizes": [{"as_int": 4}', b'"sizes": [{"as_int": 400}', 1))
    assert_refused_as_the_cli(tmp_path, bad, gs.DecodeError, "linear/data/weights/weight_0", "reaches past")

    # torch 2.5's legacy layout: the state dict is a torch.save zip inside the archive.
    legacy = (FIXTURES / "archives" / "torch-2.5.1" / "linear.pt2").read_bytes()

    def nested_pickle(edit):
        def edit_nested(nested):
            recs = records(nested)
            return rezip([(n, edit(d) if n.endswith("/data.pkl") else d) for n, d in recs])
        return with_record(legacy, "serialized_state_dict.pt", edit_nested)

    bad = nested_pickle(lambda p: p.replace(b"collections\nOrderedDict", b"os\nsystem", 1))
    assert_refused_as_the_cli(tmp_path, bad, gs.DecodeError, "serialized_state_dict.pt", "data.pkl", "os.system")

    # Not exported programs, and not zips at all.
    checkpoint = rezip([("archive/data.pkl", b"\x80\x02}q\x00."), ("archive/version", b"3\n")])
    err = assert_refused_as_the_cli(tmp_path, checkpoint, gs.UnrecognizedInputError, "torch.save checkpoint")
    assert "torch.save" in err.found
    assert_refused_as_the_cli(tmp_path, rezip([("a.txt", b"hi")]), gs.DecodeError, "neither a PT2 archive")
    assert_refused_as_the_cli(tmp_path, b"not a zip", gs.DecodeError, "end-of-central-directory")
    for cut in range(0, len(linear), len(linear) // 13):
        with pytest.raises(gs.GraphSignatureError):
            gs.map(linear[:cut])


def test_missing_files_folders_and_models_raise_the_documented_exceptions(tmp_path):
    missing = tmp_path / "missing.pt2"
    with pytest.raises(FileNotFoundError) as err:
        gs.map(missing)
    assert isinstance(err.value, gs.GraphSignatureOSError) and err.value.filename == str(missing)
    with pytest.raises(IsADirectoryError):
        gs.map(tmp_path)
    multi = FIXTURES / "pt2" / "multi_model.pt2"
    with pytest.raises(gs.ModelSelectionError) as err:
        gs.map(multi)
    assert list(err.value.available) == ["decoder", "encoder"] and str(err.value) == cli_error(multi)
    with pytest.raises(gs.ModelSelectionError) as err:
        gs.map(multi, model="nope")
    assert err.value.wanted == "nope"
    with pytest.raises(TypeError):
        gs.map(42)


# ---- threads ----------------------------------------------------------------------------

def test_building_a_map_releases_the_interpreter(tmp_path):
    # A real archive whose program JSON is padded with 80 MB of (valid) whitespace, so that
    # reading it takes a while; a Python thread must keep running meanwhile.
    linear = (PT2_215 / "linear.pt2").read_bytes()
    model = "linear/models/model.json"
    big = tmp_path / "big.pt2"
    big.write_bytes(with_record(linear, model, lambda j: b"{" + b" " * (80 << 20) + j[1:]))
    amap, took, gap = run_beside_a_ticker(lambda: gs.map(big))
    assert amap.payloads.tensor("lin.weight").shape == (4, 4)
    assert took > 0.05, f"mapping took only {took:.4f}s: too short to tell"
    assert gap < 0.5 * took, f"the other thread stood still {gap:.3f}s of {took:.3f}s"


def test_one_map_is_shared_by_threads():
    from concurrent.futures import ThreadPoolExecutor

    amap = gs.map(PT2_215 / "mlp.pt2")
    want = {k: v.copy() for k, v in amap.state_dict().items()}

    def read(_):
        got = amap.state_dict()
        return all(np.array_equal(got[k], want[k]) for k in want) and len(amap.check(strict=True)) == 0

    with ThreadPoolExecutor(max_workers=4) as pool:
        assert all(pool.map(read, range(40)))


def test_the_map_classes_are_documented_and_in_the_stubs():
    import ast

    stub = (pathlib.Path(gs.__file__).parent / "__init__.pyi").read_text()
    names = {n.name for n in ast.parse(stub).body if isinstance(n, (ast.ClassDef, ast.FunctionDef))}
    for cls in (gs.ArchiveMap, gs.PayloadIndex, gs.InputBinding, gs.OutputBinding, gs.Source, gs.Destination,
                gs.TensorMeta, gs.ValueMeta, gs.SymExpr, gs.RangeConstraint, gs.Storage, gs.TensorPayload,
                gs.ObjectPayload, gs.Finding):
        assert cls.__name__ in names, cls
        assert (cls.__doc__ or "").strip(), cls
        for attr, value in vars(cls).items():
            if attr.startswith("_"):
                continue
            assert (getattr(value, "__doc__", None) or "").strip(), f"{cls.__name__}.{attr} has no docstring"
    assert "map" in names and (gs.map.__doc__ or "").strip()
    assert "map" not in gs.__all__  # a star import keeps the builtin
