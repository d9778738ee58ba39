#!/usr/bin/env python3
"""Generate real torch.export `.pt2` fixtures (and what torch says about them).

Usage (one run per torch release, each in its venv from scripts/torch-venvs.sh; see
scripts/gen_archive_fixtures.sh, which does all of this):

    $(scripts/torch-venvs.sh 2.9.1) scripts/gen_archive_fixtures.py --out tests/fixtures/archives
    $(scripts/torch-venvs.sh 2.15.0) scripts/gen_archive_fixtures.py --out tests/fixtures/archives --render-2.15

Mode 1 (default) runs under any torch from 2.1 on. It exports a handful of tiny
models, and for each model <m> writes into <out>/torch-<X.Y.Z>/ (the torch
version without any "+cu..." suffix):

  <m>.pt2                  torch.export.save(ep, path), whatever layout that
                           version writes (legacy zip or PT2 archive)
  <m>.specs.json           neutral description of ep.graph_signature as that
                           version has it in memory (see encode_specs()); not
                           written for torch 2.1, whose signature has no specs
  <m>.torch_str.txt        exactly str(ep.graph_signature) (a dataclass repr
                           before torch 2.8, a "# inputs / # outputs" text after)
  <m>.accessors.json       what the ExportGraphSignature accessors return
                           (see ACCESSORS; {"$missing": true} for an accessor
                           the version lacks, {"$error": "<Type>: <msg>"} for
                           one that raises). For torch 2.1 this is the whole
                           signature: its dict-style fields parameters, buffers,
                           user_inputs, user_outputs, inputs_to_parameters,
                           inputs_to_buffers, buffers_to_mutate,
                           backward_signature and assertion_dep_token
  <m>.graph_io.json        {"placeholders": [name, ...], "outputs": [name |
                           {"constant": V}, ...]}: the graph's placeholder
                           nodes and the output node's items, in graph order
                           (with torch 2.1's accessors, enough to rebuild the
                           input and output specs)
  <m>.tensors.json         tensor and graph facts, see below
  <m>.specs_by_torch_2.2.json
                           (torch 2.1 only; written by
                           scripts/classify_torch21_fixtures.py under torch 2.2.2)
                           the specs torch 2.2's _sig_to_specs makes of what torch
                           2.1 recorded (accessors.json, tensors.json), in the
                           neutral encoding of specs.json
  <m>.io.json              (mlp only) {"inputs": [T], "outputs": [T]} with
                           T = {"dtype": "torch.float32", "shape": [..],
                           "values": [..]} (values flat, row-major): the fixed
                           example input and the eager module's output, enough
                           for a numpy-only forward from the archive's weights
  <m>.schema_version.txt   the schema version written into the archive
                           ("version" record or "schema_version" of the model
                           JSON): "MAJOR.MINOR", or a bare integer
  MANIFEST.json            torch/python versions, layout, zip members and sizes
                           of every archive, reload results, skipped models
                           (with torch's error for every variant tried)

The programs: linear, buffers (nested persistent + non-persistent buffer),
constant_tensor, mutation (buffer + user input mutation), consts_io (constant
inputs and outputs), dynamic (a dynamic batch dimension), param_mutation,
tokens (an effectful op), tied (embedding and output weights one tensor), views
(a transposed buffer and a slice at storage offset 4 of a 16-element tensor),
empty (zero-size buffers), dtypes (float16 parameter; bfloat16, int8, bool,
complex64 buffers; a non-persistent float64 buffer), mlp (Linear-ReLU-Linear),
pytree (forward(x, d, *, mask) with d = {"k": t, "v": [t, t]}, returning a
tuple holding a dict) and opaque (an opaque object constant, torch 2.13+; its
class is in scripts/graphsig_opaque.py, which a loader must import first).

<m>.tensors.json:
  {"state_dict": {FQN: TENSOR},           ep.state_dict, in its order
   "constants": {FQN: TENSOR | {"object": "<module>.<Class>"}}
                                          ep.constants ({"$missing": true} where
                                          the ExportedProgram has none: 2.1)
   "graph_inputs": [{"name": s, "val": VAL}],    every placeholder, in order
   "graph_outputs": [{"name": s, "val": VAL} | {"constant": V}],
                                                 the output node's items, in order
   "range_constraints": {SYMBOL: [MIN, MAX]},    ep.range_constraints; bounds are
                                          ints, or torch's text ("int_oo", "oo")
   "module_call_graph": [{"fqn": s, "in_spec": SPEC, "out_spec": SPEC,
                          "forward_arg_names": [s] (or {"$missing": true})}
                         | {"fqn": s, "signature": null}],
   "call_spec": {"in_spec": SPEC, "out_spec": SPEC},
                                          only where the module call graph has no
                                          root signature (torch 2.1: ep.call_spec)
   "reloaded": {"state_dict": .., "constants": ..}
                                          the same two maps for torch.export.load
                                          of the saved file (same torch), or
                                          {"$error": "..."} when it cannot load}
  TENSOR = {"dtype": "torch.bfloat16", "shape": [n], "stride": [n],
            "storage_offset": n, "requires_grad": b, "is_parameter": b,
            "storage_nbytes": n (untyped_storage().nbytes()),
            "storage_sha256": sha256 of every byte of the untyped storage,
            "tensor_sha256": sha256 of the bytes of t.contiguous() (the
                             elements only, row-major),
            "storage_group": n}  same n <=> the same storage, across
                                 state_dict and constants of one program
                                 (numbered from 0 in order of appearance)
  VAL  = {"kind": "tensor", "dtype": s, "shape": [n | "s0" | "2*s0"],
          "stride": [same], "device": "cpu"}
       | {"kind": "SymInt"|"SymFloat"|"SymBool", "value": "<expression>"}
       | {"kind": "int"|"float"|"bool"|"str"|"NoneType", "value": v}
       | {"kind": "object", "class": "<module>.<Class>"[, "script_class_name": s]}
       | {"kind": "$no_val"}                      (node.meta has no 'val')
  SPEC = torch.utils._pytree.treespec_dumps(spec) (a JSON text), null, or
         {"$error": "..."}

Mode 2 (--render-2.15) must run under torch 2.15: for every
<out>/torch-*/<m>.specs.json it rebuilds the signature with torch 2.15's own
classes (torch.export.graph_signature.InputSpec/OutputSpec/...) and writes
<m>.str_2.15.txt = str(ExportGraphSignature(...)) as torch 2.15 prints it.
It also tries torch.export.load on every <out>/torch-*/<m>.pt2 (2.1's included)
and writes what came of it to <out>/RENDER_2.15.json.

Neutral encodings (written by this script, read by the Rust tests):
  ARG  = {"type": "TensorArgument"|"SymIntArgument"|"SymFloatArgument"|
                  "SymBoolArgument"|"TokenArgument", "name": s}
       | {"type": "CustomObjArgument", "name": s, "class_fqn": s}
       | {"type": "ConstantArgument", "name": s, "value": V}
  V    = {"none": true} | {"int": n} | {"float": x} | {"bool": b} | {"str": s}
         (non-finite floats as {"float": "Infinity"|"-Infinity"|"NaN"})
  Attributes an old torch lacks are defaulted: a missing `persistent` -> null,
  a missing ConstantArgument `name` (torch 2.2/2.3) -> "", a missing `target`
  -> null; MANIFEST.json lists every such defaulting under "notes".

Determinism: fixed seeds, tiny weights (at most a few dozen elements), fixed
example inputs. The signature files (and MANIFEST.json) are identical across runs of
the same torch; the archives' bytes may not be: legacy zips carry the save time
as member mtimes, and PT2 archives of some programs carry Python object ids
("graph_id" in node metadata) and a content hash (.data/serialization_id).
MANIFEST "deterministic_bytes" compares two saves of the same program in one
process.

Paths: torch saves each graph node's Python stack trace into the archive. Before
saving, the file names in those traces are made relative (torch/nn/..., scripts/...;
see relative_stack_traces()), and error texts in MANIFEST.json likewise, so no path
of the generating machine ends up in a fixture. Nothing else of the program is
touched.
"""

import argparse
import glob
import inspect
import json
import math
import os
import platform
import re
import sys
import tempfile
import traceback
import warnings
import zipfile

ACCESSORS = [
    "parameters",
    "buffers",
    "non_persistent_buffers",
    "lifted_tensor_constants",
    "lifted_custom_objs",
    "user_inputs",
    "user_outputs",
    "inputs_to_parameters",
    "inputs_to_buffers",
    "buffers_to_mutate",
    "parameters_to_mutate",
    "user_inputs_to_mutate",
    "inputs_to_lifted_tensor_constants",
    "inputs_to_lifted_custom_objs",
    "input_tokens",
    "output_tokens",
    "assertion_dep_token",
    "backward_signature",
]

SIMPLE_ARGS = {
    "TensorArgument",
    "SymIntArgument",
    "SymFloatArgument",
    "SymBoolArgument",
    "TokenArgument",
}


# --------------------------------------------------------------------------
# JSON helpers
# --------------------------------------------------------------------------


def dump_json(path, obj):
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write(json.dumps(obj, indent=1, ensure_ascii=False) + "\n")


def write_text(path, text):
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.write(text)


def float_json(x):
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "Infinity" if x > 0 else "-Infinity"
    return x


def float_from_json(x):
    if isinstance(x, str):
        return {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}[x]
    return float(x)


def encode_value(v):
    """ConstantArgument value -> neutral V."""
    if v is None:
        return {"none": True}
    if type(v) is bool:  # before int: bool is an int subclass
        return {"bool": v}
    if type(v) is int:
        return {"int": v}
    if type(v) is float:
        return {"float": float_json(v)}
    if type(v) is str:
        return {"str": v}
    raise TypeError(f"unsupported constant value {v!r} ({type(v).__name__})")


def decode_value(d):
    (k, x), = d.items()
    if k == "none":
        return None
    if k == "bool":
        return bool(x)
    if k == "int":
        return int(x)
    if k == "float":
        return float_from_json(x)
    if k == "str":
        return str(x)
    raise ValueError(d)


def plain(v):
    """Accessor result -> JSON value (constants as their values)."""
    if v is None or type(v) in (bool, int, str):
        return v
    if type(v) is float:
        return float_json(v)
    if isinstance(v, (tuple, list)):
        return [plain(x) for x in v]
    if hasattr(v, "keys") and hasattr(v, "__getitem__"):  # Mapping (incl. MappingProxy)
        return {str(k): plain(v[k]) for k in v.keys()}
    if type(v).__name__ == "ExportBackwardSignature":
        return {
            "gradients_to_parameters": plain(getattr(v, "gradients_to_parameters", None)),
            "gradients_to_user_inputs": plain(getattr(v, "gradients_to_user_inputs", None)),
            "loss_output": plain(getattr(v, "loss_output", None)),
        }
    # A str-like / int-like object (e.g. a symbolic value) - store its text.
    return {"$repr": repr(v)}


# --------------------------------------------------------------------------
# Signature -> neutral JSON
# --------------------------------------------------------------------------


def encode_arg(arg, notes, where):
    t = type(arg).__name__
    if t in SIMPLE_ARGS:
        return {"type": t, "name": arg.name}
    if t == "CustomObjArgument":
        return {"type": t, "name": arg.name, "class_fqn": getattr(arg, "class_fqn", "")}
    if t == "ConstantArgument":
        if hasattr(arg, "name"):
            name = arg.name
        else:
            name = ""
            notes.append("ConstantArgument has no 'name' attribute; stored \"\"")
        return {"type": t, "name": name, "value": encode_value(arg.value)}
    raise TypeError(f"{where}: unknown argument class {t}: {arg!r}")


def encode_specs(sig, notes):
    ins = []
    for i, s in enumerate(sig.input_specs):
        where = f"input_specs[{i}]"
        if not hasattr(s, "persistent"):
            notes.append("InputSpec has no 'persistent' attribute; stored null")
        if not hasattr(s, "target"):
            notes.append("InputSpec has no 'target' attribute; stored null")
        ins.append(
            {
                "kind": s.kind.name,
                "arg": encode_arg(s.arg, notes, where + ".arg"),
                "target": getattr(s, "target", None),
                "persistent": getattr(s, "persistent", None),
            }
        )
    outs = []
    for i, s in enumerate(sig.output_specs):
        where = f"output_specs[{i}]"
        if not hasattr(s, "target"):
            notes.append("OutputSpec has no 'target' attribute; stored null")
        outs.append(
            {
                "kind": s.kind.name,
                "arg": encode_arg(s.arg, notes, where + ".arg"),
                "target": getattr(s, "target", None),
            }
        )
    return {"input_specs": ins, "output_specs": outs}


def accessors(sig):
    out = {}
    cls = type(sig)
    for name in ACCESSORS:
        if not (hasattr(cls, name) or name in getattr(sig, "__dict__", {})):
            out[name] = {"$missing": True}
            continue
        try:
            v = getattr(sig, name)
            if callable(v) and not isinstance(v, (tuple, list, dict)) and not hasattr(v, "keys"):
                v = v()
            out[name] = plain(v)
        except Exception as e:  # noqa: BLE001 - record what the accessor does
            out[name] = {"$error": f"{type(e).__name__}: {e}"}
    return out


# --------------------------------------------------------------------------
# Archive inspection
# --------------------------------------------------------------------------


def inspect_archive(path):
    with zipfile.ZipFile(path) as z:
        infos = z.infolist()
        names = [i.filename for i in infos]
        members = [{"name": i.filename, "size": i.file_size} for i in infos]
        base = {n.split("/")[-1]: n for n in names}
        layout = "legacy-zip" if "serialized_exported_program.json" in base else "pt2-archive"
        info = {"layout": layout, "members": members}
        version_record = None
        # The schema version record: top-level "version" in the legacy zip,
        # ".../version" (not ".data/version", which is the archive version) in PT2.
        for n in names:
            parts = n.split("/")
            if parts[-1] == "version" and ".data" not in parts:
                version_record = z.read(n).decode("utf-8").strip()
                info["version_record"] = {"member": n, "text": version_record}
            if parts[-1] == "version" and ".data" in parts:
                # PyTorchFileWriter's own zip record version, not the schema.
                info["zip_record_version"] = z.read(n).decode("utf-8").strip()
            if parts[-1] == "archive_format":
                info["archive_format"] = z.read(n).decode("utf-8").strip()
            if parts[-1] == "archive_version":
                info["archive_version"] = z.read(n).decode("utf-8").strip()
        model_json = None
        if layout == "legacy-zip":
            model_json = base["serialized_exported_program.json"]
        else:
            cands = [n for n in names if "/models/" in n and n.endswith(".json")]
            if cands:
                model_json = sorted(cands)[0]
        sv_json = None
        if model_json:
            info["model_json"] = model_json
            doc = json.loads(z.read(model_json).decode("utf-8"))
            sv = doc.get("schema_version")
            if isinstance(sv, dict):
                sv_json = f"{sv.get('major')}.{sv.get('minor')}"
            elif sv is not None:
                sv_json = str(sv)
            info["model_json_schema_version"] = sv
        if version_record is not None:
            info["schema_version"] = version_record
        else:
            info["schema_version"] = sv_json
        return info


# --------------------------------------------------------------------------
# Tensor and graph facts (<m>.tensors.json, <m>.graph_io.json, <m>.io.json)
# --------------------------------------------------------------------------


def _uint8_view(torch, storage, offset, nbytes):
    u = torch.empty(0, dtype=torch.uint8)
    if nbytes:
        u.set_(storage, offset, (nbytes,), (1,))
    return u


def storage_bytes(torch, t):
    """Every byte of t's untyped storage (whatever the dtype: viewed as uint8)."""
    st = t.untyped_storage()
    with torch.no_grad():
        return _uint8_view(torch, st, 0, st.nbytes()).numpy().tobytes()


def tensor_bytes(torch, t):
    """The bytes of t's elements in row-major order (t.contiguous(), fresh storage)."""
    with torch.no_grad():
        c = t.detach().clone(memory_format=torch.contiguous_format)
    return storage_bytes(torch, c)


def describe_tensor(torch, t, groups):
    """The TENSOR entry of <m>.tensors.json; `groups` maps storages to group ids."""
    import hashlib

    st = t.untyped_storage()
    key = getattr(st, "_cdata", None) or st.data_ptr()
    if key not in groups:
        groups[key] = len(groups)
    return {
        "dtype": str(t.dtype),
        "shape": list(t.shape),
        "stride": list(t.stride()),
        "storage_offset": t.storage_offset(),
        "requires_grad": t.requires_grad,
        "is_parameter": isinstance(t, torch.nn.Parameter),
        "storage_nbytes": st.nbytes(),
        "storage_sha256": hashlib.sha256(storage_bytes(torch, t)).hexdigest(),
        "tensor_sha256": hashlib.sha256(tensor_bytes(torch, t)).hexdigest(),
        "storage_group": groups[key],
    }


def class_name(obj):
    t = type(obj)
    return f"{t.__module__}.{t.__qualname__}"


def describe_lifted(torch, mapping, groups):
    out = {}
    for name, v in mapping.items():
        if isinstance(v, torch.Tensor):
            out[name] = describe_tensor(torch, v, groups)
        else:
            out[name] = {"object": class_name(v)}
    return out


def lifted_facts(torch, ep):
    """state_dict and constants of an ExportedProgram, storages grouped across both."""
    groups = {}
    facts = {"state_dict": describe_lifted(torch, ep.state_dict, groups)}
    constants = getattr(ep, "constants", None)
    if constants is None:
        facts["constants"] = {"$missing": True}
    else:
        facts["constants"] = describe_lifted(torch, constants, groups)
    return facts


def sym_text(v):
    """An int as an int; a SymInt/SymFloat/sympy expression as its text."""
    if type(v) is int:
        return v
    try:
        import sympy

        if isinstance(v, sympy.Integer):
            return int(v)
    except ImportError:
        pass
    return str(v)


def describe_val(torch, node):
    """What node.meta['val'] is: a tensor's dtype/shape/stride/device, or a value."""
    if "val" not in node.meta:
        return {"kind": "$no_val"}
    v = node.meta["val"]
    if isinstance(v, torch.Tensor):
        return {
            "kind": "tensor",
            "dtype": str(v.dtype),
            "shape": [sym_text(d) for d in v.shape],
            "stride": [sym_text(d) for d in v.stride()],
            "device": str(v.device),
        }
    if v is None or type(v) in (bool, int, str):
        return {"kind": type(v).__name__, "value": v}
    if type(v) is float:
        return {"kind": "float", "value": float_json(v)}
    if type(v).__name__ in ("SymInt", "SymFloat", "SymBool"):
        return {"kind": type(v).__name__, "value": str(v)}
    d = {"kind": "object", "class": class_name(v)}
    script_class = getattr(v, "script_class_name", None)
    if isinstance(script_class, str):
        d["script_class_name"] = script_class
    return d


def output_items(graph):
    out = [n for n in graph.nodes if n.op == "output"]
    if len(out) != 1:
        raise RuntimeError(f"{len(out)} output nodes")
    args = out[0].args[0]
    return list(args) if isinstance(args, (tuple, list)) else [args]


def graph_io(torch, ep):
    """<m>.graph_io.json: placeholder names and output names, in graph order."""
    graph = ep.graph_module.graph
    outs = []
    for a in output_items(graph):
        if isinstance(a, torch.fx.Node):
            outs.append(a.name)
        else:
            outs.append({"constant": constant_json(a)})
    return {
        "placeholders": [n.name for n in graph.nodes if n.op == "placeholder"],
        "outputs": outs,
    }


def constant_json(v):
    try:
        return encode_value(v)
    except TypeError:
        return {"repr": repr(v)}


def range_constraints(ep):
    out = {}
    for sym, r in (getattr(ep, "range_constraints", None) or {}).items():
        lo = getattr(r, "lower", getattr(r, "min_val", None))
        hi = getattr(r, "upper", getattr(r, "max_val", None))
        out[str(sym)] = [sym_text(lo), sym_text(hi)]
    return out


def dump_spec(spec):
    if spec is None:
        return None
    from torch.utils import _pytree

    try:
        return _pytree.treespec_dumps(spec)
    except Exception as e:  # noqa: BLE001 - record what torch does
        return {"$error": short_err(e)}


def call_graph(ep):
    entries = []
    for e in getattr(ep, "module_call_graph", None) or []:
        s = e.signature
        d = {"fqn": e.fqn}
        if s is None:
            d["signature"] = None
        else:
            d["in_spec"] = dump_spec(s.in_spec)
            d["out_spec"] = dump_spec(s.out_spec)
            names = getattr(s, "forward_arg_names", None)
            d["forward_arg_names"] = {"$missing": True} if names is None and not hasattr(
                s, "forward_arg_names") else (None if names is None else list(names))
        entries.append(d)
    return entries


def tensor_facts(torch, ep, reloaded):
    """<m>.tensors.json (format in the module docstring)."""
    graph = ep.graph_module.graph
    facts = lifted_facts(torch, ep)
    facts["graph_inputs"] = [
        {"name": n.name, "val": describe_val(torch, n)} for n in graph.nodes if n.op == "placeholder"
    ]
    facts["graph_outputs"] = [
        {"name": a.name, "val": describe_val(torch, a)} if isinstance(a, torch.fx.Node)
        else {"constant": constant_json(a)}
        for a in output_items(graph)
    ]
    facts["range_constraints"] = range_constraints(ep)
    facts["module_call_graph"] = call_graph(ep)
    if not any(e.get("fqn") == "" and "in_spec" in e for e in facts["module_call_graph"]):
        spec = getattr(ep, "call_spec", None)  # torch 2.1 keeps the specs here only
        if spec is not None:
            facts["call_spec"] = {"in_spec": dump_spec(spec.in_spec), "out_spec": dump_spec(spec.out_spec)}
    if isinstance(reloaded, Exception):
        facts["reloaded"] = {"$error": short_err(reloaded)}
    else:
        facts["reloaded"] = lifted_facts(torch, reloaded)
    return facts


def tensor_json(torch, t):
    """A tensor's values as JSON: dtype, shape and the elements flat, row-major."""
    return {
        "dtype": str(t.dtype),
        "shape": list(t.shape),
        "values": [float_json(v) if isinstance(v, float) else v for v in t.detach().reshape(-1).tolist()],
    }


# --------------------------------------------------------------------------
# Models
# --------------------------------------------------------------------------


def build_cases(torch, ver):
    nn = torch.nn

    class Linear(nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = nn.Linear(4, 4)

        def forward(self, x):
            return self.lin(x)

    class Inner(nn.Module):
        def __init__(self):
            super().__init__()
            self.register_buffer("running", torch.ones(4))

    class Buffers(nn.Module):
        def __init__(self):
            super().__init__()
            self.inner = Inner()
            self.register_buffer("scratch", torch.full((4,), 0.5), persistent=False)

        def forward(self, x):
            return x * self.inner.running + self.scratch

    class ConstantTensor(nn.Module):
        def __init__(self):
            super().__init__()
            self.c = torch.tensor([1.0, 2.0, 3.0, 4.0])

        def forward(self, x):
            return x + self.c

    class Mutation(nn.Module):
        def __init__(self):
            super().__init__()
            self.register_buffer("buf", torch.zeros(4))

        def forward(self, x):
            self.buf.add_(1)
            x.add_(1)
            return x + self.buf

    class BufferMutation(nn.Module):  # fallback: torch 2.2 cannot save USER_INPUT_MUTATION
        def __init__(self):
            super().__init__()
            self.register_buffer("buf", torch.zeros(4))

        def forward(self, x):
            self.buf.add_(1)
            return x + self.buf

    class ConstsIO(nn.Module):
        def forward(self, x, i, f, b, s, n):
            y = x * i + f
            if b:
                y = y + 1
            if s == "add":
                y = y + 2
            if n is None:
                y = y - 1
            return y, 7, float("inf")

    class ConstsNoBool(nn.Module):  # fallback: torch 2.3 cannot save a bool input
        def forward(self, x, i, f, s, n):
            y = x * i + f
            if s == "add":
                y = y + 2
            if n is None:
                y = y - 1
            return y, 7, float("inf")

    class ConstsIn(nn.Module):  # fallback: constant inputs, tensor-only output
        def forward(self, x, i, f, b, s, n):
            y = x * i + f
            if b:
                y = y + 1
            if s == "add":
                y = y + 2
            if n is None:
                y = y - 1
            return y

    class Dynamic(nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = nn.Linear(4, 4)

        def forward(self, x):
            return self.lin(x), x.shape[0]

    class ParamMutation(nn.Module):
        def __init__(self):
            super().__init__()
            self.w = nn.Parameter(torch.ones(4), requires_grad=False)

        def forward(self, x):
            self.w.add_(1)
            return x * self.w

    class Tokens(nn.Module):
        def forward(self, x):
            torch.ops.aten._print("hello")
            return x + 1

    class Tied(nn.Module):  # output projection tied to the embedding: one tensor, two names
        def __init__(self):
            super().__init__()
            self.emb = nn.Embedding(6, 4)
            self.head = nn.Linear(4, 6, bias=False)
            self.head.weight = self.emb.weight

        def forward(self, idx):
            return self.head(self.emb(idx))

    class Views(nn.Module):
        def __init__(self):
            super().__init__()
            base = torch.arange(12, dtype=torch.float32).reshape(3, 4)
            self.register_buffer("transposed", base.t())  # (4, 3), stride (1, 4)
            big = torch.arange(16, dtype=torch.float32)
            self.register_buffer("window", big[4:8])  # storage offset 4 of 16 elements

        def forward(self, x):
            return x + self.transposed, self.window * 2

    class Empty(nn.Module):
        def __init__(self):
            super().__init__()
            self.register_buffer("nothing", torch.zeros(0))
            self.register_buffer("no_rows", torch.zeros(0, 4))

        def forward(self, x):
            return x + self.nothing.sum() + self.no_rows.sum(0)

    class Dtypes(nn.Module):
        def __init__(self):
            super().__init__()
            self.fp16 = nn.Parameter(torch.tensor([0.5, 1.5, -2.0, 3.25], dtype=torch.float16))
            self.register_buffer("bf16", torch.tensor([1.0, -0.5, 2.5, 8.0], dtype=torch.bfloat16))
            self.register_buffer("i8", torch.tensor([-3, 0, 7, 127], dtype=torch.int8))
            self.register_buffer("mask", torch.tensor([True, False, True, True]))
            self.register_buffer("c64", torch.tensor([1 + 2j, -1j, 3, 0.5 + 0.5j], dtype=torch.complex64))
            self.register_buffer("scratch", torch.full((4,), 0.25, dtype=torch.float64), persistent=False)

        def forward(self, x):
            y = x + self.fp16.float() + self.bf16.float() + self.i8.float() + self.c64.abs()
            y = torch.where(self.mask, y, -y)
            return y + self.scratch.float()

    class MLP(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc1 = nn.Linear(4, 8)
            self.act = nn.ReLU()
            self.fc2 = nn.Linear(8, 3)

        def forward(self, x):
            return self.fc2(self.act(self.fc1(x)))

    class Pytree(nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = nn.Linear(4, 4)

        def forward(self, x, d, *, mask=None):
            h = self.lin(x) + d["k"]
            s = d["v"][0] * d["v"][1]
            if mask is not None:
                h = h * mask
            return h, {"sum": s + 1, "pair": (x - 1, s)}

    class Opaque(nn.Module):  # torch 2.13+: an opaque object constant (scripts/graphsig_opaque.py)
        def __init__(self):
            super().__init__()
            import graphsig_opaque

            self.obj = graphsig_opaque.Scale(3.0)
            self.register_buffer("shift", torch.ones(4))

        def forward(self, x):
            return torch.ops.graphsig.scale(self.obj, x) + self.shift

    def x(*shape):
        return torch.arange(math.prod(shape), dtype=torch.float32).reshape(shape) / 10

    def dyn_shapes():
        Dim = getattr(torch.export, "Dim", None)
        if Dim is None:
            raise RuntimeError("torch.export.Dim not available")
        batch = Dim("batch", min=2, max=64)
        return {"x": {0: batch}}

    def dyn_constraints(args):  # torch 2.1: constraints=[dynamic_dim(...)] instead of Dim
        dynamic_dim = torch.export.dynamic_dim
        return [dynamic_dim(args[0], 0) >= 2, dynamic_dim(args[0], 0) <= 64]

    mlp_input = lambda: (torch.tensor([[0.5, -1.0, 2.0, 0.0], [-0.25, 0.75, -1.5, 1.0]]),)  # noqa: E731
    pytree_args = lambda: (x(2, 4), {"k": x(4), "v": [x(4) + 1, x(4) - 1]})  # noqa: E731

    a24 = lambda: (x(2, 4),)  # noqa: E731
    consts = lambda: (x(2, 4), 3, 1.5, True, "add", None)  # noqa: E731
    # Each case: name -> variants tried in order (export, decompose, save);
    # the first that succeeds is written, the MANIFEST says which one.
    return [
        dict(name="linear", variants=[dict(mod=Linear, args=a24)]),
        dict(name="buffers", variants=[dict(mod=Buffers, args=a24)]),
        dict(name="constant_tensor", variants=[dict(mod=ConstantTensor, args=a24)]),
        dict(name="mutation", variants=[
            dict(mod=Mutation, args=a24, decompose=True,
                 expect={"BUFFER_MUTATION", "USER_INPUT_MUTATION"}),
            dict(mod=BufferMutation, args=a24, decompose=True, expect={"BUFFER_MUTATION"}),
        ]),
        dict(name="consts_io", variants=[
            dict(mod=ConstsIO, args=consts),
            dict(mod=ConstsNoBool, args=lambda: (x(2, 4), 3, 1.5, "add", None)),
            # torch < 2.3 rejects non-tensor outputs: keep the constant inputs.
            dict(mod=ConstsIn, args=consts),
        ]),
        dict(name="dynamic", variants=[
            dict(mod=Dynamic, args=lambda: (x(3, 4),), dynamic_shapes=dyn_shapes),
            dict(mod=Dynamic, args=lambda: (x(3, 4),), constraints=dyn_constraints),
        ]),
        dict(name="param_mutation", variants=[
            dict(mod=ParamMutation, args=a24, decompose=True, expect={"PARAMETER_MUTATION"}),
        ]),
        dict(name="tokens", variants=[
            dict(mod=Tokens, args=a24, decompose=True, expect={"TOKEN"}),
        ]),
        dict(name="tied", variants=[
            dict(mod=Tied, args=lambda: (torch.tensor([[0, 1, 2], [3, 4, 5]]),)),
        ]),
        dict(name="views", variants=[dict(mod=Views, args=lambda: (x(4, 3),))]),
        dict(name="empty", variants=[dict(mod=Empty, args=a24)]),
        dict(name="dtypes", variants=[dict(mod=Dtypes, args=a24)]),
        dict(name="mlp", variants=[dict(mod=MLP, args=mlp_input, io=True)]),
        dict(name="pytree", variants=[
            dict(mod=Pytree, args=pytree_args, kwargs=lambda: {"mask": torch.ones(2, 4) * 0.5}),
        ]),
        dict(name="opaque", variants=[
            dict(mod=Opaque, args=a24, expect={"CUSTOM_OBJ"}),
        ]),
    ]


def export_params(torch):
    sig = inspect.signature(torch.export.export)
    p = sig.parameters.get("strict")
    return (p.default if p is not None else None), ("dynamic_shapes" in sig.parameters)


def try_export(torch, case, mod_cls, args_fn, log):
    """Export with the version's default strictness; on failure retry with the
    other strictness (where the `strict` keyword exists). Returns (ep, how)."""
    default_strict, has_dyn = export_params(torch)
    kw = {}
    try:
        if case.get("dynamic_shapes"):
            if not has_dyn:
                raise RuntimeError("torch.export.export has no dynamic_shapes parameter")
            kw["dynamic_shapes"] = case["dynamic_shapes"]()
        if case.get("constraints") and has_dyn:
            raise RuntimeError("this torch has dynamic_shapes; constraints= is the torch 2.1 form")
    except Exception as e:  # noqa: BLE001 - this variant does not apply to this torch
        return None, None, [f"{type(e).__name__}: {first_line(e)}"], None
    attempts = [None]
    if default_strict is not None:
        attempts.append(not default_strict)
    errors = []
    for strict in attempts:
        k = dict(kw)
        if strict is not None:
            k["strict"] = strict
        try:
            torch.manual_seed(0)
            mod = mod_cls()
            mod.eval()
            args = args_fn()
            if case.get("kwargs"):
                k["kwargs"] = case["kwargs"]()
            if case.get("constraints"):
                k["constraints"] = case["constraints"](args)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                ep = torch.export.export(mod, args, **k)
            how = {
                "strict": default_strict if strict is None else strict,
                "strict_is_default": strict is None,
            }
            return ep, how, errors, (mod, args, k.get("kwargs", {}))
        except Exception as e:  # noqa: BLE001
            errors.append(f"strict={default_strict if strict is None else strict}: "
                          f"{type(e).__name__}: {first_line(e)}")
            log(f"    export failed ({errors[-1]})")
    return None, None, errors, None


def where_raised(e):
    """' (at torch/x.py:12 in f: <source line>)' for exceptions with no message."""
    tb = traceback.extract_tb(e.__traceback__)
    if not tb:
        return ""
    fr = tb[-1]
    path = fr.filename
    if "site-packages/" in path:
        path = path.split("site-packages/", 1)[1]
    return f" (raised at {path}:{fr.lineno} in {fr.name}: {(fr.line or '').strip()})"


REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def scrub_paths(s):
    """This machine's paths made relative: to site-packages (torch/...), to the Python
    library (contextlib.py) and to the repository (scripts/...)."""
    s = re.sub(r"[^\s'\"(]*/site-packages/", "", s)
    s = re.sub(r"[^\s'\"(]*/lib/python3\.[0-9]+/", "", s)
    return s.replace(REPO + os.sep, "")


def scrub(s):
    """Keeps the MANIFEST stable and free of this machine's paths."""
    return scrub_paths(re.sub(r" at 0x[0-9a-fA-F]+", " at 0x...", s))


def relative_stack_traces(ep):
    """torch keeps each node's Python stack trace (absolute file names) in node.meta and
    saves it into the archive; make those file names relative before saving, so no path
    of the generating machine lands in a fixture. Returns how many traces changed."""
    changed = 0
    for gm in ep.graph_module.modules():
        graph = getattr(gm, "graph", None)
        if graph is None:
            continue
        for node in graph.nodes:
            trace = node.meta.get("stack_trace")
            if isinstance(trace, str) and scrub_paths(trace) != trace:
                node.meta["stack_trace"] = scrub_paths(trace)
                changed += 1
    return changed


def first_line(e):
    s = str(e).strip()
    s = s.splitlines()[0] if s else where_raised(e).strip()
    return scrub(s)


def short_err(e, limit=600):
    msg = str(e).strip() or where_raised(e).strip()
    s = scrub(f"{type(e).__name__}: {msg}")
    return s if len(s) <= limit else s[:limit] + "..."


def has_specs(sig):
    return hasattr(sig, "input_specs")


def spec_kinds(specs):
    return {x["kind"] for x in specs["input_specs"] + specs["output_specs"]}


def legacy_kinds(sig):
    """The spec kinds a torch 2.1 (dict-style) signature expresses."""
    kinds = {"USER_INPUT", "USER_OUTPUT"}
    if sig.inputs_to_parameters:
        kinds.add("PARAMETER")
    if sig.inputs_to_buffers:
        kinds.add("BUFFER")
    if sig.buffers_to_mutate:
        kinds.add("BUFFER_MUTATION")
    return kinds


def write_io(torch, path, ep, mod, args, kwargs):
    """<m>.io.json: the example input and what torch computes from it (eager module)."""
    if kwargs:
        raise ValueError("io.json is written for positional tensor inputs only")
    with torch.no_grad():
        out = mod(*args)
        run = ep.module() if callable(getattr(ep, "module", None)) else ep
        exported = run(*args)
    outs = out if isinstance(out, (tuple, list)) else (out,)
    exps = exported if isinstance(exported, (tuple, list)) else (exported,)
    dump_json(path, {
        "inputs": [tensor_json(torch, a) for a in args],
        "outputs": [tensor_json(torch, o) for o in outs],
    })
    return {
        "outputs_from": "the eager module",
        "exported_program_outputs_equal": all(torch.equal(a, b) for a, b in zip(outs, exps)),
        "max_abs_diff_exported": max(float((a - b).abs().max()) for a, b in zip(outs, exps)),
    }


def version_tuple(v):
    m = re.match(r"(\d+)\.(\d+)\.(\d+)", v)
    return tuple(int(g) for g in m.groups())


def generate(out_root, only, log):
    import torch

    full = torch.__version__
    ver = full.split("+")[0]
    vt = version_tuple(ver)
    folder = os.path.join(out_root, f"torch-{ver}")
    os.makedirs(folder, exist_ok=True)
    default_strict, _ = export_params(torch)

    manifest = {
        "torch_version": full,
        "python_version": platform.python_version(),
        "export_default_strict": default_strict,
        "layout": None,
        "archives": {},
        "skipped": {},
    }
    layouts = set()
    for case in build_cases(torch, vt):
        name = case["name"]
        if only and name not in only:
            continue
        log(f"[{ver}] {name}")
        for stale in glob.glob(os.path.join(folder, glob.escape(name) + ".*")):
            os.remove(stale)  # never leave files of an earlier run behind
        pt2 = os.path.join(folder, f"{name}.pt2")
        failures = []
        done = None
        for variant in case["variants"]:
            vname = variant["mod"].__name__
            entry = {"variant": vname}
            ep, how, errors, called = try_export(torch, variant, variant["mod"], variant["args"], log)
            if ep is None:
                failures.append({"variant": vname, "stage": "export", "errors": errors})
                continue
            if errors:
                entry["export_errors_before_success"] = errors
            entry["export"] = how
            if variant.get("decompose"):
                if hasattr(ep, "run_decompositions"):
                    try:
                        with warnings.catch_warnings():
                            warnings.simplefilter("ignore")
                            ep = ep.run_decompositions()
                        entry["run_decompositions"] = True
                    except Exception as e:  # noqa: BLE001
                        # Keep the exported program as is (old torch already
                        # returns a functionalized graph with mutation outputs).
                        entry["run_decompositions"] = False
                        entry["run_decompositions_error"] = short_err(e)
                        log(f"    run_decompositions failed, keeping ep: {short_err(e, 200)}")
                else:
                    entry["run_decompositions"] = False
            notes = []
            # torch 2.1's signature is dict-style (no input_specs): no specs.json, the
            # accessors and <m>.graph_io.json describe it instead.
            specs = encode_specs(ep.graph_signature, notes) if has_specs(ep.graph_signature) else None
            shown = {"specs": specs} if specs is not None else {"accessors": accessors(ep.graph_signature)}
            kinds = spec_kinds(specs) if specs is not None else legacy_kinds(ep.graph_signature)
            missing = sorted(variant.get("expect", set()) - kinds)
            if missing:
                failures.append({"variant": vname, "stage": "signature",
                                 "errors": [f"signature lacks {', '.join(missing)}"]
                                 + ([entry["run_decompositions_error"]]
                                    if "run_decompositions_error" in entry else []),
                                 "torch_str": str(ep.graph_signature), **shown})
                log(f"    signature lacks {missing}")
                continue
            relative_stack_traces(ep)
            try:
                torch.export.save(ep, pt2)
            except Exception as e:  # noqa: BLE001
                failures.append({"variant": vname, "stage": "save", "errors": [short_err(e)],
                                 "torch_str": str(ep.graph_signature), **shown})
                log(f"    save failed: {short_err(e, 200)}")
                if os.path.exists(pt2):
                    os.remove(pt2)
                continue
            done = (ep, entry, notes, specs, called, variant)
            break
        if done is None:
            manifest["skipped"][name] = failures
            continue
        ep, entry, notes, specs, called, variant = done
        if failures:
            entry["failed_variants"] = failures
        sig = ep.graph_signature
        torch_str = str(sig)
        acc = accessors(sig)
        # A second save of the same program (same file name: PT2 archives use
        # it as their record prefix), to tell whether bytes are stable.
        with tempfile.TemporaryDirectory() as td:
            again = os.path.join(td, f"{name}.pt2")
            torch.export.save(ep, again)
            with open(pt2, "rb") as a, open(again, "rb") as b:
                entry["deterministic_bytes"] = a.read() == b.read()

        if specs is not None:
            dump_json(os.path.join(folder, f"{name}.specs.json"), specs)
        write_text(os.path.join(folder, f"{name}.torch_str.txt"), torch_str)
        dump_json(os.path.join(folder, f"{name}.accessors.json"), acc)

        info = inspect_archive(pt2)
        layouts.add(info["layout"])
        write_text(os.path.join(folder, f"{name}.schema_version.txt"), f"{info['schema_version']}\n")
        entry["size"] = os.path.getsize(pt2)
        entry.update(info)
        if notes:
            entry["notes"] = sorted(set(notes), key=notes.index)

        # Reload with the same torch.
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                ep2 = torch.export.load(pt2)
            if specs is not None:
                specs2 = encode_specs(ep2.graph_signature, [])
                r = {"ok": True, "specs_equal": specs2 == specs}
                if specs2 != specs:
                    r["reloaded_specs"] = specs2
            else:
                acc2 = accessors(ep2.graph_signature)
                r = {"ok": True, "accessors_equal": acc2 == acc}
                if acc2 != acc:
                    r["reloaded_accessors"] = acc2
            entry["reload"] = r
        except Exception as e:  # noqa: BLE001
            ep2 = e
            entry["reload"] = {"ok": False, "error": short_err(e)}
            log(f"    reload failed: {short_err(e, 200)}")

        dump_json(os.path.join(folder, f"{name}.graph_io.json"), graph_io(torch, ep))
        dump_json(os.path.join(folder, f"{name}.tensors.json"), tensor_facts(torch, ep, ep2))
        if variant.get("io"):
            entry["io"] = write_io(torch, os.path.join(folder, f"{name}.io.json"), ep, *called)
        manifest["archives"][name] = entry

    manifest["layout"] = layouts.pop() if len(layouts) == 1 else sorted(layouts)
    if only and os.path.exists(os.path.join(folder, "MANIFEST.json")):
        old = json.load(open(os.path.join(folder, "MANIFEST.json")))
        for k in list(manifest["archives"]) + list(manifest["skipped"]):
            old["archives"].pop(k, None)
            old["skipped"].pop(k, None)
        old["archives"].update(manifest["archives"])
        old["skipped"].update(manifest["skipped"])
        manifest = old
    dump_json(os.path.join(folder, "MANIFEST.json"), manifest)
    log(f"[{ver}] wrote {folder}")


# --------------------------------------------------------------------------
# --render-2.15
# --------------------------------------------------------------------------


def render_215(out_root, log):
    import torch
    from torch.export import graph_signature as gs

    ver = torch.__version__.split("+")[0]
    if not ver.startswith("2.15."):
        raise SystemExit(f"--render-2.15 needs torch 2.15, this is {torch.__version__}")

    def dec_arg(a):
        t = a["type"]
        if t == "ConstantArgument":
            return gs.ConstantArgument(name=a["name"], value=decode_value(a["value"]))
        if t == "CustomObjArgument":
            return gs.CustomObjArgument(name=a["name"], class_fqn=a["class_fqn"])
        return getattr(gs, t)(name=a["name"])

    import logging

    import graphsig_opaque  # noqa: F401 - the opaque fixtures' class, for loading them

    logging.disable(logging.WARNING)  # torch logs every legacy-format fallback with a traceback

    notes = {}
    loads = {}
    for pt2 in sorted(glob.glob(os.path.join(out_root, "torch-*", "*.pt2"))):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                ep = torch.export.load(pt2)
            loads[os.path.relpath(pt2, out_root)] = {"ok": True, "str": str(ep.graph_signature)}
        except Exception as e:  # noqa: BLE001
            loads[os.path.relpath(pt2, out_root)] = {"ok": False, "error": short_err(e)}
    for path in sorted(glob.glob(os.path.join(out_root, "torch-*", "*.specs.json"))):
        d = json.load(open(path, encoding="utf-8"))
        rel = os.path.relpath(path, out_root)
        ins = []
        for i, s in enumerate(d["input_specs"]):
            kw = dict(kind=gs.InputKind[s["kind"]], arg=dec_arg(s["arg"]), target=s["target"],
                      persistent=s["persistent"])
            try:
                ins.append(gs.InputSpec(**kw))
            except Exception as e:  # noqa: BLE001 - build it without validation
                spec = object.__new__(gs.InputSpec)
                for k, v in kw.items():
                    setattr(spec, k, v)
                ins.append(spec)
                notes.setdefault(rel, []).append(
                    f"input_specs[{i}]: InputSpec() raised {short_err(e)}; built without validation")
        outs = [
            gs.OutputSpec(kind=gs.OutputKind[s["kind"]], arg=dec_arg(s["arg"]), target=s["target"])
            for s in d["output_specs"]
        ]
        sig = gs.ExportGraphSignature(input_specs=ins, output_specs=outs)
        rendered = str(sig)
        stem = path[: -len(".specs.json")]
        write_text(stem + ".str_2.15.txt", rendered)
        log(f"rendered {os.path.relpath(stem, out_root)}.str_2.15.txt")

        # Extra information: what does torch 2.15 make of the archive itself?
        r = loads.get(os.path.relpath(stem + ".pt2", out_root))
        if r is not None and r["ok"]:
            r["str_equals_str_2.15"] = r["str"] == rendered
            if r["str_equals_str_2.15"]:
                del r["str"]
    for r in loads.values():  # archives without specs.json (torch 2.1): say what 2.15 read
        if r["ok"] and "str_equals_str_2.15" not in r:
            r["no_specs_json"] = True
    dump_json(os.path.join(out_root, "RENDER_2.15.json"), {
        "torch_version": torch.__version__,
        "specs_built_without_validation": notes,
        "torch_2.15_export_load": loads,
    })


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default="tests/fixtures/archives")
    ap.add_argument("--only", nargs="*", help="only these models")
    ap.add_argument("--render-2.15", dest="render", action="store_true",
                    help="write <m>.str_2.15.txt for every <m>.specs.json (torch 2.15 only)")
    ap.add_argument("-q", "--quiet", action="store_true")
    a = ap.parse_args()

    def log(msg):
        if not a.quiet:
            print(msg, file=sys.stderr, flush=True)

    if a.render:
        render_215(a.out, log)
    else:
        generate(a.out, a.only, log)


if __name__ == "__main__":
    main()
