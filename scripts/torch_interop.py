#!/usr/bin/env python3
"""Interop with the real libraries: torch.export and safetensors against graphsig.

Run from the repository root (scripts/torch_interop.sh takes the torch releases, gets
each one's pinned venv from scripts/torch-venvs.sh and builds graphsig first):

    PYTHON_WITH_TORCH scripts/torch_interop.py --graphsig target/debug/graphsig

For every archive fixture (tests/fixtures/archives/torch-*/*.pt2) that this torch loads:

1. our reads match torch's on the same file: `graphsig inspect` prints torch's
   `str(ep.graph_signature)` (plus print's newline; torch 2.8+, whose str() is the text
   form), and `graphsig inspect --json` gives torch's accessors (torch 2.9+, which has all
   of them; torch 2.1, whose signature is dict-style, on the nine accessors it has);
2. torch loads what we embedded: `graphsig embed` into a copy, then `torch.export.load`
   of the copy gives the same signature and the same state_dict, and lists our record
   among its extra files.

For every .safetensors fixture: after `graphsig embed`, the safetensors library loads the
file, every tensor is bit-identical, the metadata torch/safetensors wrote is still there,
and the embedded signature reads back.

Ends with the line 'N passed, M failed'; exit status 1 on any failure.
"""

import argparse
import json
import math
import pathlib
import shutil
import subprocess
import sys
import tempfile

import torch

try:  # torch 2.13+: the opaque fixtures' class must be importable for torch.export.load
    import graphsig_opaque  # noqa: F401 (scripts/graphsig_opaque.py)
except Exception:  # noqa: BLE001 - older torch has no opaque objects; it cannot load those
    pass

TORCH = tuple(int(p) for p in torch.__version__.split("+")[0].split(".")[:2])
ROOT = pathlib.Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"

passed = 0
failed = 0


def check(ok, what):
    global passed, failed
    if ok:
        passed += 1
    else:
        failed += 1
        print(f"FAIL {what}")


def scalar(v):
    if isinstance(v, float) and not math.isfinite(v):
        return "NaN" if math.isnan(v) else ("Infinity" if v > 0 else "-Infinity")
    return v


def accessors(sig):
    """torch's accessors, in the shape `graphsig inspect --json` prints."""
    backward = sig.backward_signature
    return {
        "parameters": list(sig.parameters),
        "buffers": list(sig.buffers),
        "non_persistent_buffers": list(sig.non_persistent_buffers),
        "lifted_tensor_constants": list(sig.lifted_tensor_constants),
        "lifted_custom_objs": list(sig.lifted_custom_objs),
        "user_inputs": [scalar(v) for v in sig.user_inputs],
        "user_outputs": [scalar(v) for v in sig.user_outputs],
        "inputs_to_parameters": dict(sig.inputs_to_parameters),
        "inputs_to_buffers": dict(sig.inputs_to_buffers),
        "buffers_to_mutate": dict(sig.buffers_to_mutate),
        "parameters_to_mutate": dict(sig.parameters_to_mutate),
        "user_inputs_to_mutate": dict(sig.user_inputs_to_mutate),
        "inputs_to_lifted_tensor_constants": dict(sig.inputs_to_lifted_tensor_constants),
        "inputs_to_lifted_custom_objs": dict(sig.inputs_to_lifted_custom_objs),
        "input_tokens": list(sig.input_tokens),
        "output_tokens": list(sig.output_tokens),
        "assertion_dep_token": None if sig.assertion_dep_token is None else {str(k): v for k, v in sig.assertion_dep_token.items()},
        "backward_signature": None
        if backward is None
        else {
            "gradients_to_parameters": dict(backward.gradients_to_parameters),
            "gradients_to_user_inputs": dict(backward.gradients_to_user_inputs),
            "loss_output": backward.loss_output,
        },
    }


# torch 2.1's ExportGraphSignature is a dataclass of these (dict-style, no specs).
TORCH_21_ACCESSORS = ("parameters", "buffers", "user_inputs", "user_outputs", "inputs_to_parameters",
                      "inputs_to_buffers", "buffers_to_mutate", "backward_signature", "assertion_dep_token")


def accessors_21(sig):
    """torch 2.1's accessors, in the shape `graphsig inspect --json` prints them."""
    backward = sig.backward_signature
    return {
        "parameters": list(sig.parameters),
        "buffers": list(sig.buffers),
        "user_inputs": list(sig.user_inputs),
        "user_outputs": list(sig.user_outputs),
        "inputs_to_parameters": dict(sig.inputs_to_parameters),
        "inputs_to_buffers": dict(sig.inputs_to_buffers),
        "buffers_to_mutate": dict(sig.buffers_to_mutate),
        "backward_signature": None
        if backward is None
        else {
            "gradients_to_parameters": dict(backward.gradients_to_parameters),
            "gradients_to_user_inputs": dict(backward.gradients_to_user_inputs),
            "loss_output": backward.loss_output,
        },
        "assertion_dep_token": sig.assertion_dep_token,
    }


def graphsig(binary, *args):
    return subprocess.run([binary, *map(str, args)], capture_output=True, text=True)


def load(path):
    import logging

    logging.disable(logging.WARNING)  # torch logs the legacy-format fallback as a warning
    try:
        return torch.export.load(str(path))
    finally:
        logging.disable(logging.NOTSET)


def archives(binary, tmp):
    skipped = []
    for archive in sorted(FIXTURES.glob("archives/torch-*/*.pt2")):
        name = f"{archive.parent.name}/{archive.name}"
        try:
            ep = load(archive)
        except Exception as e:  # torch refuses other schema majors, and some of its own files
            skipped.append(f"{name} ({type(e).__name__})")
            continue
        text = str(ep.graph_signature) + "\n"
        if TORCH >= (2, 8):  # before 2.8, str() of a signature is a dataclass repr
            ours = graphsig(binary, "inspect", archive)
            check(ours.returncode == 0 and ours.stdout == text, f"{name}: inspect differs from torch\n{ours.stdout}{ours.stderr}---\n{text}")
        if TORCH >= (2, 9):  # parameters_to_mutate exists from 2.9
            ours = graphsig(binary, "inspect", "--json", archive)
            check(ours.returncode == 0 and json.loads(ours.stdout or "null") == accessors(ep.graph_signature), f"{name}: accessors differ")
        if TORCH < (2, 2):  # dict-style signature: the accessors torch 2.1 has
            ours = graphsig(binary, "inspect", "--json", archive)
            got = json.loads(ours.stdout or "null") if ours.returncode == 0 else None
            theirs = accessors_21(ep.graph_signature)
            check(got is not None and {k: got[k] for k in TORCH_21_ACCESSORS} == theirs,
                  f"{name}: accessors differ from torch 2.1's\n{ours.stdout}{ours.stderr}---\n{theirs}")

        copy = tmp / archive.parent.name / archive.name
        copy.parent.mkdir(exist_ok=True)
        shutil.copy(archive, copy)
        run = graphsig(binary, "embed", copy)
        check(run.returncode == 0, f"{name}: embed failed: {run.stderr}")
        try:
            ep2 = load(copy)
        except Exception as e:
            check(False, f"{name}: torch.export.load of the embedded copy failed: {e!r}")
            continue
        check(str(ep2.graph_signature) == str(ep.graph_signature), f"{name}: signature changed by embedding")
        sd1, sd2 = ep.state_dict, ep2.state_dict
        check(sd1.keys() == sd2.keys() and all(torch.equal(sd1[k], sd2[k]) for k in sd1), f"{name}: state_dict changed")
        ours, theirs = graphsig(binary, "inspect", copy), graphsig(binary, "inspect", archive)
        check(ours.returncode == 0 and ours.stdout == theirs.stdout, f"{name}: embedded signature reads differently")
    print(f"archives torch {torch.__version__} cannot load, not compared: {', '.join(skipped) or 'none'}")


def safetensor_files(binary, tmp):
    from safetensors import safe_open

    expected = json.loads((FIXTURES / "safetensors" / "expected.json").read_text())
    signature_source = FIXTURES / "archives" / "torch-2.15.0" / "linear.pt2"
    for name, tensors in expected.items():
        original = FIXTURES / "safetensors" / name
        out = tmp / name
        run = graphsig(binary, "embed", original, "--signature", signature_source, "-o", out)
        check(run.returncode == 0, f"{name}: embed failed: {run.stderr}")
        with safe_open(str(original), "pt") as f:
            meta_before = f.metadata() or {}
        with safe_open(str(out), "pt") as f:
            meta = f.metadata() or {}
            for key, want in tensors.items():
                t = f.get_tensor(key)
                import hashlib

                got = {"dtype": str(t.dtype), "shape": list(t.shape), "sha256": hashlib.sha256(t.numpy().tobytes()).hexdigest()}
                check(got == want, f"{name}: tensor {key} changed: {got} != {want}")
            check(sorted(f.keys()) == sorted(tensors), f"{name}: tensor names changed")
        check({k: v for k, v in meta.items() if k != "graph_signature"} == meta_before, f"{name}: metadata changed")
        check("graph_signature" in meta, f"{name}: no graph_signature in metadata")
        ours = graphsig(binary, "inspect", out)
        theirs = graphsig(binary, "inspect", signature_source)
        check(ours.returncode == 0 and ours.stdout == theirs.stdout, f"{name}: embedded signature reads differently")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--graphsig", required=True)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as d:
        tmp = pathlib.Path(d)
        archives(args.graphsig, tmp)
        try:
            import safetensors  # noqa: F401
        except ImportError:  # scripts/torch-venvs.sh installs it: a broken venv
            check(False, "the safetensors package is not installed: its checks cannot run")
        else:
            safetensor_files(args.graphsig, tmp)
    print(f"torch interop ({torch.__version__}): {passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
