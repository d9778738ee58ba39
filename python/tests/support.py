"""Shared by the tests (an ordinary module, so the torch tests in torch/ import it too): where the repository's torch fixtures are, and the neutral ``specs.json``
form the fixture generators wrote from torch's in-memory objects (independent of every
reader under test)."""

import json
import math
import pathlib
import sys
import threading
import time

import graph_signature as gs

REPO = pathlib.Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "fixtures"
TORCH_215 = FIXTURES / "torch-2.15"
ARCHIVES = FIXTURES / "archives"

# Synthetic signatures torch holds in memory but refuses elsewhere (an accessor raises, or
# its serializer asserts): our model refuses to build them (tests/torch_fixtures.rs).
TORCH_REFUSES = {
    "synthetic_accessor_errors",
    "synthetic_accessor_filters",
    "synthetic_gradient_without_target",
    "synthetic_multiple_losses",
}


def read_json(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def fixture_dirs():
    dirs = sorted(p for p in TORCH_215.iterdir() if p.is_dir())
    assert len(dirs) >= 20, f"expected at least 20 torch 2.15 fixtures, found {len(dirs)}"
    return dirs


def torch_archives():
    found = sorted(ARCHIVES.glob("torch-*/*.pt2"))
    assert len(found) >= 40, f"expected at least 40 torch archives, found {len(found)}"
    return found


def sibling(archive, suffix):
    return archive.with_name(f"{archive.stem}.{suffix}")


def _constant(v):
    (tag, body), = v.items()
    if tag == "none":
        return None
    if tag == "float" and isinstance(body, str):
        return {"Infinity": math.inf, "-Infinity": -math.inf, "NaN": math.nan}[body]
    if tag == "float":
        return float(body)
    return body


def argument(v):
    t, name = v["type"], v["name"]
    if t == "ConstantArgument":
        return gs.ConstantArgument(name, _constant(v["value"]))
    if t == "CustomObjArgument":
        return gs.CustomObjArgument(name, v["class_fqn"])
    return getattr(gs, t)(name)


def input_spec(v):
    return gs.InputSpec(gs.InputKind[v["kind"]], argument(v["arg"]), v["target"], v.get("persistent"))


def output_spec(v):
    return gs.OutputSpec(gs.OutputKind[v["kind"]], argument(v["arg"]), v["target"])


def specs(doc):
    """The neutral form as our InputSpec and OutputSpec lists."""
    return [input_spec(s) for s in doc["input_specs"]], [output_spec(s) for s in doc["output_specs"]]


ACCESSORS = [
    "parameters", "buffers", "non_persistent_buffers", "lifted_tensor_constants",
    "lifted_custom_objs", "user_inputs", "user_outputs", "inputs_to_parameters",
    "inputs_to_buffers", "buffers_to_mutate", "parameters_to_mutate", "user_inputs_to_mutate",
    "inputs_to_lifted_tensor_constants", "inputs_to_lifted_custom_objs", "input_tokens",
    "output_tokens", "assertion_dep_token", "backward_signature",
]


def _jsonable(value):
    """A value as the fixture generator recorded it (non-finite floats as strings)."""
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    return value


def accessors_as_recorded(sig):
    """Every accessor, as the generator wrote torch's into ``accessors.json`` (tuples as
    lists, mappings as dicts). Key order is compared separately."""
    out = {}
    for name in ACCESSORS:
        value = getattr(sig, name)
        if name == "backward_signature" and value is not None:
            value = {
                "gradients_to_parameters": value.gradients_to_parameters,
                "gradients_to_user_inputs": value.gradients_to_user_inputs,
                "loss_output": value.loss_output,
            }
        elif isinstance(value, tuple):
            value = [_jsonable(v) for v in value]
        elif value is not None and not isinstance(value, dict):
            value = dict(value)
        out[name] = value
    return out


def assert_accessors_equal(sig, expected, where):
    ours = accessors_as_recorded(sig)
    assert list(ours) == list(expected), f"{where}: accessor names differ"
    for key, theirs in expected.items():
        assert ours[key] == theirs, f"{where}: {key}: torch {theirs!r}, ours {ours[key]!r}"
        if isinstance(theirs, list):
            # 1, 1.0 and True are equal in Python: the types must be too.
            types = [type(v).__name__ for v in ours[key]]
            assert types == [type(v).__name__ for v in theirs], f"{where}: {key}: value types {types}"
        if isinstance(theirs, dict):
            assert list(ours[key]) == list(theirs), f"{where}: {key}: key order differs"


def every_fixture_signature():
    """(name, signature) of every torch 2.15 fixture our model holds (built from torch's
    recorded specs)."""
    out = []
    for d in fixture_dirs():
        if d.name in TORCH_REFUSES:
            continue
        inputs, outputs = specs(read_json(d / "specs.json"))
        out.append((d.name, gs.ExportGraphSignature(inputs, outputs)))
    return out



def run_beside_a_ticker(work):
    """Runs ``work()`` while a Python thread records the times it gets to run, switching
    every 0.5 ms; returns ``(result, seconds the work took, the longest time within it in
    which the ticker did not run)``. Were the interpreter held during the work, that gap
    would be the whole work."""
    old = sys.getswitchinterval()
    sys.setswitchinterval(0.0005)
    ticks = []
    done = threading.Event()

    def tick():
        while not done.is_set():
            ticks.append(time.perf_counter())

    t = threading.Thread(target=tick)
    t.start()
    try:
        time.sleep(0.01)
        t0 = time.perf_counter()
        result = work()
        t1 = time.perf_counter()
    finally:
        done.set()
        t.join()
        sys.setswitchinterval(old)
    inside = [t0] + [x for x in ticks if t0 <= x <= t1] + [t1]
    return result, t1 - t0, max(b - a for a, b in zip(inside, inside[1:]))
