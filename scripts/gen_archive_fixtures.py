#!/usr/bin/env python3
"""Generate real torch.export `.pt2` fixtures (and what torch says about them).

Usage (one run per installed torch version, see scripts/gen_archive_fixtures.sh):

    <venv>/bin/python scripts/gen_archive_fixtures.py --out tests/fixtures/archives
    <venv-2.15>/bin/python scripts/gen_archive_fixtures.py --out tests/fixtures/archives --render-2.15

Mode 1 (default) runs under any torch from 2.2 on. It exports a handful of tiny
models, and for each model <m> writes into <out>/torch-<X.Y.Z>/ (the torch
version without any "+cu..." suffix):

  <m>.pt2                  torch.export.save(ep, path), whatever layout that
                           version writes (legacy zip or PT2 archive)
  <m>.specs.json           neutral description of ep.graph_signature as that
                           version has it in memory (see encode_specs())
  <m>.torch_str.txt        exactly str(ep.graph_signature) (a dataclass repr
                           before torch 2.8, a "# inputs / # outputs" text after)
  <m>.accessors.json       what the ExportGraphSignature accessors return
                           (see ACCESSORS; {"$missing": true} for an accessor
                           the version lacks, {"$error": "<Type>: <msg>"} for
                           one that raises)
  <m>.schema_version.txt   the schema version written into the archive
                           ("version" record or "schema_version" of the model
                           JSON): "MAJOR.MINOR", or a bare integer
  MANIFEST.json            torch/python versions, layout, zip members and sizes
                           of every archive, reload results, skipped models

Mode 2 (--render-2.15) must run under torch 2.15: for every
<out>/torch-*/<m>.specs.json it rebuilds the signature with torch 2.15's own
classes (torch.export.graph_signature.InputSpec/OutputSpec/...) and writes
<m>.str_2.15.txt = str(ExportGraphSignature(...)) as torch 2.15 prints it.

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

Determinism: fixed seeds, tiny weights (<= Linear(4, 4)), fixed example
inputs. The signature files (and MANIFEST.json) are identical across runs of
the same torch; the archives' bytes may not be: legacy zips carry the save time
as member mtimes, and PT2 archives of some programs carry Python object ids
("graph_id" in node metadata) and a content hash (.data/serialization_id).
MANIFEST "deterministic_bytes" compares two saves of the same program in one
process.
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

    def x(*shape):
        return torch.arange(math.prod(shape), dtype=torch.float32).reshape(shape) / 10

    def dyn_shapes():
        Dim = getattr(torch.export, "Dim", None)
        if Dim is None:
            raise RuntimeError("torch.export.Dim not available")
        batch = Dim("batch", min=2, max=64)
        return {"x": {0: batch}}

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
        ]),
        dict(name="param_mutation", variants=[
            dict(mod=ParamMutation, args=a24, decompose=True, expect={"PARAMETER_MUTATION"}),
        ]),
        dict(name="tokens", variants=[
            dict(mod=Tokens, args=a24, decompose=True, expect={"TOKEN"}),
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
    if case.get("dynamic_shapes"):
        if not has_dyn:
            raise RuntimeError("torch.export.export has no dynamic_shapes parameter")
        kw["dynamic_shapes"] = case["dynamic_shapes"]()
    attempts = [None]
    if default_strict is not None:
        attempts.append(not default_strict)
    errors = []
    for strict in attempts:
        torch.manual_seed(0)
        mod = mod_cls()
        mod.eval()
        k = dict(kw)
        if strict is not None:
            k["strict"] = strict
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                ep = torch.export.export(mod, args_fn(), **k)
            how = {
                "strict": default_strict if strict is None else strict,
                "strict_is_default": strict is None,
            }
            return ep, how, errors
        except Exception as e:  # noqa: BLE001
            errors.append(f"strict={default_strict if strict is None else strict}: "
                          f"{type(e).__name__}: {first_line(e)}")
            log(f"    export failed ({errors[-1]})")
    return None, None, errors


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


def first_line(e):
    s = str(e).strip()
    s = s.splitlines()[0] if s else where_raised(e).strip()
    return re.sub(r" at 0x[0-9a-fA-F]+", " at 0x...", s)


def short_err(e, limit=600):
    msg = str(e).strip() or where_raised(e).strip()
    s = f"{type(e).__name__}: {msg}"
    s = re.sub(r" at 0x[0-9a-fA-F]+", " at 0x...", s)  # keep the MANIFEST stable
    return s if len(s) <= limit else s[:limit] + "..."


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
            ep, how, errors = try_export(torch, variant, variant["mod"], variant["args"], log)
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
            specs = encode_specs(ep.graph_signature, notes)
            kinds = {x["kind"] for x in specs["input_specs"] + specs["output_specs"]}
            missing = sorted(variant.get("expect", set()) - kinds)
            if missing:
                failures.append({"variant": vname, "stage": "signature",
                                 "errors": [f"signature lacks {', '.join(missing)}"]
                                 + ([entry["run_decompositions_error"]]
                                    if "run_decompositions_error" in entry else []),
                                 "torch_str": str(ep.graph_signature), "specs": specs})
                log(f"    signature lacks {missing}")
                continue
            try:
                torch.export.save(ep, pt2)
            except Exception as e:  # noqa: BLE001
                failures.append({"variant": vname, "stage": "save", "errors": [short_err(e)],
                                 "torch_str": str(ep.graph_signature), "specs": specs})
                log(f"    save failed: {short_err(e, 200)}")
                if os.path.exists(pt2):
                    os.remove(pt2)
                continue
            done = (ep, entry, notes, specs)
            break
        if done is None:
            manifest["skipped"][name] = failures
            continue
        ep, entry, notes, specs = done
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
            rnotes = []
            specs2 = encode_specs(ep2.graph_signature, rnotes)
            r = {"ok": True, "specs_equal": specs2 == specs}
            if specs2 != specs:
                r["reloaded_specs"] = specs2
            entry["reload"] = r
        except Exception as e:  # noqa: BLE001
            entry["reload"] = {"ok": False, "error": short_err(e)}
            log(f"    reload failed: {short_err(e, 200)}")
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

    notes = {}
    loads = {}
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

        # Extra information: does torch 2.15 load the archive itself, and what
        # does it make of the signature?
        pt2 = stem + ".pt2"
        if os.path.exists(pt2):
            key = os.path.relpath(pt2, out_root)
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    ep = torch.export.load(pt2)
                got = str(ep.graph_signature)
                r = {"ok": True, "str_equals_str_2.15": got == rendered}
                if got != rendered:
                    r["str"] = got
            except Exception as e:  # noqa: BLE001
                r = {"ok": False, "error": short_err(e)}
            loads[key] = r
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
