#!/usr/bin/env python3
"""The Python package against torch 2.15, side by side in one run, on the same files: run
with torch 2.15's interpreter, with the graph_signature wheel importable (run.sh-style
callers put it on PYTHONPATH; see BENCHMARKS.md for the command).

    python python_peer.py DIR N TORCH_PT2 [REPS]

DIR holds gen_signatures' files (sig_N.torch.json, model_N_1gib.pt2); TORCH_PT2 is a real
torch.export archive with at least 1 GiB of weights (make_torch_pt2.py writes one).

In-process, the JSON of an N-spec signature, bytes to signature object:
    ours:  graph_signature.decode(data, "torch-json")
    torch: json.loads, _dict_to_dataclass(GraphSignature, ...),
           GraphModuleDeserializer().deserialize_signature(...) (what torch.export.load does
           for the signature; as torch_peer.py)
A fresh process each time (interpreter start and imports included), printing str(sig):
    ours:  import graph_signature; print(graph_signature.load(path))
    torch: import torch; the deserializer above on the JSON, or torch.export.load(path) and
           print(ep.graph_signature) on the archive
Both sides print the same text (checked). One JSON line per measurement (peer_common.report)
then a table of the ratios.
"""

import json
import os
import subprocess
import sys

from peer_common import report, timed

import graph_signature as gs

OURS_LOAD = "import sys, graph_signature as gs; sys.stdout.write(str(gs.load(sys.argv[1])))"
TORCH_JSON = (
    "import sys, json, torch\n"
    "from torch._export.serde import serialize as ser\n"
    "from torch._export.serde.schema import GraphSignature\n"
    "data = open(sys.argv[1], 'rb').read()\n"
    "sig = ser.GraphModuleDeserializer().deserialize_signature(ser._dict_to_dataclass(GraphSignature, json.loads(data)))\n"
    "sys.stdout.write(str(sig))\n"
)
TORCH_PT2 = (
    "import sys, torch\n"
    "ep = torch.export.load(sys.argv[1])\n"
    "sys.stdout.write(str(ep.graph_signature))\n"
)


def fresh(code, path, reps):
    """Runs `python -c code path` `reps` times; the output and every wall time."""
    env = dict(os.environ, TORCH_CPP_LOG_LEVEL="ERROR")

    def run():
        p = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, env=env)
        if p.returncode != 0:
            raise RuntimeError(f"{code.splitlines()[0]} ... {path}: {p.stderr.decode()[-2000:]}")
        return p.stdout

    return timed(run, reps)


def main():
    root, n, torch_pt2 = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    reps = int(sys.argv[4]) if len(sys.argv) > 4 else 3
    import torch
    from torch._export.serde import serialize as ser
    from torch._export.serde.schema import GraphSignature

    version = torch.__version__
    json_path = os.path.join(root, f"sig_{n}.torch.json")
    gen_pt2 = os.path.join(root, f"model_{n}_1gib.pt2")
    with open(json_path, "rb") as f:
        data = f.read()
    rows = []

    def pair(op, nbytes, ours, theirs):
        report("python", gs.__version__, op, n, nbytes, ours)
        report("torch", version, op, n, nbytes, theirs)
        rows.append((op, min(ours), min(theirs), sorted(ours)[len(ours) // 2], sorted(theirs)[len(theirs) // 2]))

    # In-process decode of the JSON.
    sig, ours = timed(lambda: gs.decode(data, "torch-json"), max(10, reps))
    theirs_sig, theirs = timed(
        lambda: ser.GraphModuleDeserializer().deserialize_signature(ser._dict_to_dataclass(GraphSignature, json.loads(data))),
        reps,
    )
    assert str(sig) == str(theirs_sig), "the two decoders read different signatures"
    pair("py.torch_json.decode", len(data), ours, theirs)

    # A fresh process on the JSON.
    out_ours, ours = fresh(OURS_LOAD, json_path, max(10, reps))
    out_theirs, theirs = fresh(TORCH_JSON, json_path, reps)
    assert out_ours == out_theirs, "str() differs on the JSON"
    pair("py.process.torch_json", len(data), ours, theirs)

    # A fresh process on a real torch archive with >= 1 GiB of weights.
    size = os.path.getsize(torch_pt2)
    assert size >= 2**30, f"{torch_pt2} is {size} bytes, under 1 GiB"
    out_ours, ours = fresh(OURS_LOAD, torch_pt2, max(10, reps))
    out_theirs, theirs = fresh(TORCH_PT2, torch_pt2, reps)
    assert out_ours == out_theirs, "str() differs on the archive"
    pair("py.process.pt2_torch_1gib", size, ours, theirs)

    # The generated N-spec archive (sparse 1 GiB of weights): ours only; torch.export.load
    # refuses it (it is a signature fixture, not a whole program: no sample inputs, an empty
    # graph), which is checked and said.
    _, ours = fresh(OURS_LOAD, gen_pt2, max(10, reps))
    report("python", gs.__version__, "py.process.pt2_generated_1gib", n, os.path.getsize(gen_pt2), ours)
    try:
        fresh(TORCH_PT2, gen_pt2, 1)
        torch_reads_generated = True
    except RuntimeError:
        torch_reads_generated = False

    _, bare = fresh("pass", "-", max(10, reps))
    report("python", sys.version.split()[0], "py.process.interpreter_start", 0, 0, bare)

    print(f"\n{'operation':34} {'ours min':>10} {'torch min':>10} {'ratio (min)':>12} {'ratio (median)':>15}")
    for op, om, tm, omed, tmed in rows:
        print(f"{op:34} {om * 1e3:8.1f}ms {tm * 1e3:8.1f}ms {tm / om:11.1f}x {tmed / omed:14.1f}x")
    print(f"{'py.process.pt2_generated_1gib':34} {min(ours) * 1e3:8.1f}ms "
          f"{'refused' if not torch_reads_generated else 'read':>10}")
    print(f"{'interpreter start (python -c pass)':34} {min(bare) * 1e3:8.1f}ms")


if __name__ == "__main__":
    main()
