#!/usr/bin/env python3
"""Does real torch read what our torch-JSON writer writes, and read it as we meant it?

Run from the repository root:

    python3 scripts/check_torch_json_roundtrip.py [VERSION ...]      (default: 2.15.0)

1. Encodes every torch 2.15 fixture (``tests/fixtures/torch-2.15/*/specs.json``, torch's
   own in-memory specs) for every torch release 2.3 to 2.15 with our writer
   (``cargo test --test torch_json_write -- --ignored dump_for_torch``), strict and
   lossy.
2. For every torch release asked for (its pinned venv from ``scripts/torch-venvs.sh``,
   made when missing), loads the bytes written for that release with torch's own
   deserializer:
   ``_dict_to_dataclass(GraphSignature, json.loads(bytes))`` then
   ``GraphModuleDeserializer().deserialize_signature(...)``, and compares the result with
   the fixture's specs (kind, argument type, name, value, target, persistent). From torch
   2.9 on (schemas 8.14, 8.15 for 2.10, 8.17 for 2.11, 8.20 for 2.12 to 2.15: the
   ``--target`` values 2.12, 2.13 and 2.14 all write 8.20, as those wheels' ``schema.py``
   say) it also compares ``str()`` with ``str.txt`` and requires that torch's own writer
   gives our exact bytes; for older releases it reports where that release's own writer
   would write other bytes (e.g. torch 2.4/2.5 write a bool constant input as
   ``{"as_int": true}``, a bug their reader turns into ``1``; we write ``as_bool``).

Three differences are torch's own and are normalized before comparing: a constant user
*output* loses its name (torch's ``serialize_input`` writes only the value, so torch's own
save/load loses it too; ``str()`` is then not compared); torch 2.3's ``ConstantArgument``
has no name at all; and a CustomObj user input or output comes back as a
``ConstantArgument`` holding the object (torch's ``deserialize_argument_spec`` does that to
its own files too; the object is looked up among the graph's nodes, which a bare signature
has none of, so the checker gives it a stand-in object of that name). torch cannot re-write
what it read there (a stand-in is no object it can serialize), so for those files the byte
check is torch's writer on the fixture's specs rebuilt with that release's own classes.

Refused encodings are listed (they are the writer's documented refusals); the lossy forms
are reported with what torch makes of them, and do not fail the check (they are lossy by
definition). Every non-lossy file torch read is one check. Per release it prints
``json round trip torch <VERSION>: N checks, P passed, F failed``, and at the end
``N passed, M failed`` over all releases. Exit status 0 when every check passed; 1 when any
failed, when a release cannot be installed or torch does not import (never a skip), or
when a release from 2.3 on has no file of ours to read. Releases before 2.3 predate the
writer's oldest target: they run no check and say so (``0 checks: ...``).
"""

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURES = os.path.join(ROOT, "tests", "fixtures", "torch-2.15")

# ----------------------------------------------------------------------------- worker
# Runs inside a Python that has torch: `python this.py --worker DUMP_DIR`; prints one JSON
# report on stdout.


class _StandIn:
    """What torch's reader finds for a custom object's name (see the module docstring)."""

    def __init__(self, name):
        self.name = name


def _neutral_value(v):
    if isinstance(v, _StandIn):
        return {"custom_obj": v.name}
    if v is None:
        return {"none": True}
    if type(v) is bool:
        return {"bool": v}
    if type(v) is int:
        return {"int": v}
    if type(v) is float:
        if math.isnan(v):
            return {"float": "NaN"}
        if math.isinf(v):
            return {"float": "Infinity" if v > 0 else "-Infinity"}
        return {"float": v}
    if type(v) is str:
        return {"str": v}
    return {"unexpected": repr(v)}


def _neutral_arg(a):
    t = type(a).__name__
    out = {"type": t, "name": getattr(a, "name", None)}
    if t == "CustomObjArgument":
        out["class_fqn"] = a.class_fqn
    if t == "ConstantArgument":
        out["value"] = _neutral_value(a.value)
    return out


def _neutral_specs(sig):
    return {
        "input_specs": [
            {"kind": s.kind.name, "arg": _neutral_arg(s.arg), "target": s.target, "persistent": s.persistent}
            for s in sig.input_specs
        ],
        "output_specs": [
            {"kind": s.kind.name, "arg": _neutral_arg(s.arg), "target": s.target} for s in sig.output_specs
        ],
    }


def _normalize(specs):
    """Applies torch's own losses (see the module docstring); returns whether any applied."""
    changed = False
    for s in specs["output_specs"]:
        arg = s["arg"]
        if s["kind"] == "USER_OUTPUT" and arg["type"] == "ConstantArgument" and arg["name"]:
            arg["name"] = ""
            changed = True
    for s in specs["input_specs"] + specs["output_specs"]:
        if s["arg"]["type"] == "ConstantArgument" and s["arg"]["name"] is None:
            s["arg"]["name"] = ""  # torch 2.3: ConstantArgument has no name
    return changed


def _custom_obj_user_args(ours):
    """Names of the CustomObj user inputs and outputs in our bytes."""
    doc = json.loads(ours)
    names = []
    for key, tag in (("input_specs", "user_input"), ("output_specs", "user_output")):
        for spec in doc[key]:
            arg = spec.get(tag, {}).get("arg", {})
            if "as_custom_obj" in arg:
                names.append(arg["as_custom_obj"]["name"])
    return names


def _as_torch_reads_custom_objs(specs, named):
    """torch reads a CustomObj user input or output back as a ConstantArgument holding the
    object (named, from torch 2.4 on); returns whether any was changed."""
    changed = False
    for s in specs["input_specs"] + specs["output_specs"]:
        arg = s["arg"]
        if s["kind"] in ("USER_INPUT", "USER_OUTPUT") and arg["type"] == "CustomObjArgument":
            s["arg"] = {"type": "ConstantArgument", "name": arg["name"] if named else "",
                        "value": {"custom_obj": arg["name"]}}
            changed = True
    return changed


def _torch_signature(ep, specs):
    """The fixture's specs as this torch's own in-memory classes."""
    def value(v):
        (tag, x), = v.items()
        if tag == "none":
            return None
        if tag == "float" and isinstance(x, str):
            return {"Infinity": math.inf, "-Infinity": -math.inf, "NaN": math.nan}[x]
        return x

    def arg(a):
        t = a["type"]
        if t == "CustomObjArgument":
            return ep.CustomObjArgument(name=a["name"], class_fqn=a["class_fqn"])
        if t == "ConstantArgument":
            try:
                return ep.ConstantArgument(name=a["name"], value=value(a["value"]))
            except TypeError:  # torch 2.3: no name
                return ep.ConstantArgument(value=value(a["value"]))
        return getattr(ep, t)(name=a["name"])

    inputs = [ep.InputSpec(kind=ep.InputKind[s["kind"]], arg=arg(s["arg"]), target=s["target"],
                           persistent=s["persistent"]) for s in specs["input_specs"]]
    outputs = [ep.OutputSpec(kind=ep.OutputKind[s["kind"]], arg=arg(s["arg"]), target=s["target"])
               for s in specs["output_specs"]]
    return ep.ExportGraphSignature(input_specs=inputs, output_specs=outputs)


def _first_difference(got, want):
    for key in ("input_specs", "output_specs"):
        g, w = got[key], want[key]
        for i, (a, b) in enumerate(zip(g, w)):
            if a != b:
                return "%s[%d]: torch read %s, expected %s" % (key, i, json.dumps(a), json.dumps(b))
        if len(g) != len(w):
            return "%s: torch read %d specs, expected %d" % (key, len(g), len(w))
    return None


def worker(dump_dir):
    import warnings

    warnings.filterwarnings("ignore")
    import torch
    from torch._export.serde import serialize as ser
    from torch._export.serde.schema import GraphSignature

    minor = int(torch.__version__.split(".")[1])
    release = "2.%d" % minor
    report = {"torch": torch.__version__, "results": []}
    for target in (release, release + "-lossy"):
        tdir = os.path.join(dump_dir, target)
        if not os.path.isdir(tdir):
            continue
        for fname in sorted(os.listdir(tdir)):
            fixture = fname.split(".")[0]
            path = os.path.join(tdir, fname)
            entry = {"target": target, "fixture": fixture}
            if fname.endswith(".refused.txt"):
                with open(path, encoding="utf-8") as f:
                    entry.update(status="refused", detail=f.read())
                report["results"].append(entry)
                continue
            with open(path, "rb") as f:
                ours = f.read()
            with open(os.path.join(FIXTURES, fixture, "specs.json"), encoding="utf-8") as f:
                want = json.load(f)
            original = json.loads(json.dumps(want))
            try:
                gs = ser._dict_to_dataclass(GraphSignature, json.loads(ours))
                deserializer = ser.GraphModuleDeserializer()
                if not hasattr(deserializer, "serialized_name_to_node"):
                    deserializer.serialized_name_to_node = {}
                for name in _custom_obj_user_args(ours):
                    deserializer.serialized_name_to_node[name] = _StandIn(name)
                sig = deserializer.deserialize_signature(gs)
            except Exception as e:  # noqa: BLE001 - reported
                entry.update(status="torch failed", detail="%s: %s" % (type(e).__name__, e))
                report["results"].append(entry)
                continue
            problems, notes = [], []
            got = _neutral_specs(sig)
            _normalize(got)
            # First as torch reads a custom object (a constant), then the constant outputs'
            # names cleared on both sides.
            custom_objs = _as_torch_reads_custom_objs(want, named=minor >= 4)
            if custom_objs:
                notes.append("a CustomObj user input/output read back as a constant holding the object, "
                             "as torch reads its own files")
            if _normalize(want):
                notes.append("a named constant output lost its name, as in torch's own save/load")
            diff = _first_difference(got, want)
            if diff:
                problems.append(diff)
            if minor >= 9 and not notes:
                with open(os.path.join(FIXTURES, fixture, "str.txt"), encoding="utf-8") as f:
                    if str(sig) != f.read():
                        problems.append("str() differs from str.txt")
            # What this torch's own writer makes of what it read (or, for custom objects it
            # cannot re-write, of the fixture's specs): our bytes again?
            try:
                if custom_objs:
                    from torch.export import graph_signature as ep_sig

                    sig = _torch_signature(ep_sig, original)
                serialized = ser.GraphModuleSerializer(sig, []).serialize_signature(sig)
                if hasattr(ser, "_to_json_bytes"):
                    again = ser._to_json_bytes(serialized)
                else:  # torch <= 2.6 called json.dumps directly
                    again = json.dumps(ser._dataclass_to_dict(serialized), cls=ser.EnumEncoder).encode("utf-8")
                entry["same_bytes"] = again == ours
                if again != ours:
                    at = next((i for i, (a, b) in enumerate(zip(again, ours)) if a != b), min(len(again), len(ours)))
                    entry["writer_note"] = "torch %s writes other bytes, at %d: ours ...%s..., torch ...%s..." % (
                        torch.__version__, at, ours[max(0, at - 40):at + 40], again[max(0, at - 40):at + 40])
            except Exception as e:  # noqa: BLE001 - reported
                entry["same_bytes"] = False
                entry["writer_note"] = "torch %s cannot write it itself: %s: %s" % (torch.__version__, type(e).__name__, e)
            if minor >= 9 and not target.endswith("-lossy") and not entry["same_bytes"]:
                problems.append(entry["writer_note"])
            entry.update(status="mismatch" if problems else "ok", detail="; ".join(problems + notes))
            report["results"].append(entry)
    json.dump(report, sys.stdout)


# ----------------------------------------------------------------------------- driver


def torch_python(version):
    """The python of `version`'s pinned venv (scripts/torch-venvs.sh); raises when it
    cannot be installed or torch does not import."""
    made = subprocess.run(
        ["bash", os.path.join(ROOT, "scripts", "torch-venvs.sh"), version],
        stdout=subprocess.PIPE, text=True,
    )
    if made.returncode != 0 or not made.stdout.strip():
        raise RuntimeError("scripts/torch-venvs.sh could not install torch %s" % version)
    py = made.stdout.strip().splitlines()[-1]
    found = subprocess.run([py, "-c", "import torch; print(torch.__version__)"], capture_output=True, text=True)
    if found.returncode != 0:
        raise RuntimeError("torch %s does not import: %s" % (version, found.stderr.strip()[-500:]))
    return py, found.stdout.strip()


def check_release(py, version, dump):
    """Runs the worker under one torch; prints its report; returns (checks, passed)."""
    run = subprocess.run([py, os.path.abspath(__file__), "--worker", dump], capture_output=True, text=True)
    if run.returncode != 0:
        print("torch %s (%s): the checker crashed:\n%s" % (version, py, run.stderr[-3000:]))
        return 1, 0
    results = json.loads(run.stdout)["results"]
    if not results:
        minor = int(version.split(".")[1])
        if minor < 3:
            print("torch %s: 0 checks: our writer's oldest target is torch 2.3" % version)
            return 0, 0
        print("torch %s: FAIL: our writer wrote nothing for this release" % version)
        return 1, 0
    counts = {}
    for r in results:
        key = (r["target"], r["status"])
        counts[key] = counts.get(key, 0) + 1
    summary = ", ".join("%s %s: %d" % (t, s, n) for (t, s), n in sorted(counts.items()))
    print("torch %s: %s" % (version, summary))
    strict = [r for r in results if r["status"] == "ok" and not r["target"].endswith("-lossy")]
    same = [r for r in strict if r.get("same_bytes")]
    print("  torch's own writer gives our exact bytes for %d of the %d files it read as meant"
          % (len(same), len(strict)))
    for r in strict:
        if not r.get("same_bytes"):
            print("  writer     %-36s %s" % (r["fixture"], r.get("writer_note", "")[:300]))
    checks = passed = 0
    for r in results:
        lossy = r["target"].endswith("-lossy")
        if r["status"] == "refused":
            print("  refused    %-36s %s" % (r["fixture"], r["detail"].split(": ", 1)[-1]))
            continue
        if not lossy:
            checks += 1
        if r["status"] == "ok":
            passed += 0 if lossy else 1
            if r["detail"]:
                print("  note       %-36s %s" % (r["fixture"], r["detail"]))
            continue
        tag = "lossy" if lossy else "FAIL"
        print("  %-10s %-36s %s: %s" % (tag, r["fixture"], r["status"], r["detail"][:400]))
    return checks, passed


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--worker", metavar="DUMP_DIR", help=argparse.SUPPRESS)
    ap.add_argument("versions", nargs="*", metavar="VERSION", help="torch releases (default: 2.15.0)")
    args = ap.parse_args()
    if args.worker:
        worker(args.worker)
        return 0

    with tempfile.TemporaryDirectory(prefix="graphsig-torch-json-") as dump:
        env = dict(os.environ, GRAPHSIG_DUMP_DIR=dump)
        cmd = ["cargo", "test", "-q", "--test", "torch_json_write", "--", "--ignored", "--exact", "dump_for_torch"]
        done = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
        if done.returncode != 0:
            print("our writer could not dump the fixtures:\n" + done.stdout + done.stderr)
            return 1

        total_checks = total_passed = 0
        for version in args.versions or ["2.15.0"]:
            try:
                py, full = torch_python(version)
            except RuntimeError as e:
                print("json round trip torch %s: FAILED: %s" % (version, e))
                total_checks += 1
                continue
            checks, passed = check_release(py, version, dump)
            print("json round trip torch %s: %d checks, %d passed, %d failed"
                  % (version, checks, passed, checks - passed))
            total_checks += checks
            total_passed += passed
        print("%d passed, %d failed" % (total_passed, total_checks - total_passed))
        return 0 if total_passed == total_checks else 1


if __name__ == "__main__":
    sys.exit(main())
