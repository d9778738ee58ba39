#!/usr/bin/env python3
"""How torch 2.2 classifies what torch 2.1 recorded: <m>.specs_by_torch_2.2.json.

Run from the repository root with torch 2.2.2 (its pinned venv):

    "$(bash scripts/torch-venvs.sh 2.2.2)" scripts/classify_torch21_fixtures.py [DIR]

(DIR: the torch 2.1.2 fixture folder, default tests/fixtures/archives/torch-2.1.2;
scripts/gen_archive_fixtures.sh runs it after generating torch 2.1.2's fixtures.)

torch 2.1's ExportGraphSignature is dict-style: no input or output specs. torch 2.2 made
its specs from the same dicts and the graph's placeholders and outputs with
torch.export.graph_signature._sig_to_specs. This script feeds torch 2.2's own
_sig_to_specs, for every program of tests/fixtures/archives/torch-2.1.2/, with what torch
2.1 recorded about it:

  - the dicts: <m>.accessors.json (user_inputs, inputs_to_parameters, inputs_to_buffers,
    user_outputs, buffers_to_mutate, backward_signature);
  - the graph's inputs and outputs, in order, with their kind: <m>.tensors.json
    (graph_inputs, graph_outputs: a tensor is a TensorArgument, a SymInt a SymIntArgument,
    a constant a ConstantArgument),

and writes what torch 2.2 returned, in the neutral encoding of
scripts/gen_archive_fixtures.py (encode_specs), to
tests/fixtures/archives/torch-2.1.2/<m>.specs_by_torch_2.2.json. torch 2.2's InputSpec has
no `persistent`: it is null there. tests/archives.rs compares the graph-signature reader's
specs for each torch 2.1 archive with these.
"""

import glob
import json
import os
import sys

import torch
from torch.export import graph_signature as gs

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from gen_archive_fixtures import dump_json, encode_specs  # noqa: E402

FIXTURES = os.path.join(os.path.dirname(HERE), "tests", "fixtures", "archives", "torch-2.1.2")


def argument(item):
    if "constant" in item:  # an output that is a constant
        (tag, v), = item["constant"].items()
        return gs.ConstantArgument(value=None if tag == "none" else v)
    kind = item["val"]["kind"]
    if kind == "tensor":
        return gs.TensorArgument(name=item["name"])
    if kind == "SymInt":
        return gs.SymIntArgument(name=item["name"])
    raise SystemExit(f"{item['name']}: a {kind} graph value has no torch 2.2 argument here")


def main():
    folder = sys.argv[1] if len(sys.argv) > 1 else FIXTURES
    if not torch.__version__.startswith("2.2."):
        raise SystemExit(f"needs torch 2.2, this is {torch.__version__}")
    done = 0
    for path in sorted(glob.glob(os.path.join(folder, "*.accessors.json"))):
        stem = path[: -len(".accessors.json")]
        with open(path, encoding="utf-8") as f:
            acc = json.load(f)
        with open(stem + ".tensors.json", encoding="utf-8") as f:
            tensors = json.load(f)
        backward = acc["backward_signature"] or {}
        input_specs, output_specs = gs._sig_to_specs(
            user_inputs=set(acc["user_inputs"]),
            inputs_to_parameters=acc["inputs_to_parameters"],
            inputs_to_buffers=acc["inputs_to_buffers"],
            user_outputs=set(acc["user_outputs"]),
            buffer_mutations=acc["buffers_to_mutate"],
            user_input_mutations={},  # torch 2.1 records none
            grad_params=backward.get("gradients_to_parameters", {}),
            grad_user_inputs=backward.get("gradients_to_user_inputs", {}),
            loss_output=backward.get("loss_output"),
            inputs=[argument(i) for i in tensors["graph_inputs"]],
            outputs=[argument(o) for o in tensors["graph_outputs"]],
        )
        sig = gs.ExportGraphSignature(input_specs=input_specs, output_specs=output_specs)
        notes = []
        dump_json(stem + ".specs_by_torch_2.2.json", encode_specs(sig, notes))
        done += 1
        print(f"{os.path.basename(stem)}: {len(input_specs)} inputs, {len(output_specs)} outputs"
              + (f" ({'; '.join(sorted(set(notes)))})" if notes else ""))
    if not done:
        raise SystemExit(f"no torch 2.1 fixtures in {folder}")


if __name__ == "__main__":
    main()
