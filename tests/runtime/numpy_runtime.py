#!/usr/bin/env python3
"""A runtime on the other side of the archive map, with numpy and nothing of torch.

For every archive given, it asks `graphsig map --json` where each payload is, maps the
archive file into memory, and rebuilds every tensor of the payload index as a numpy view
(dtype, shape, strides, storage offset) over the mapped bytes, without copying. It checks
each against what torch recorded when it saved the archive (`<m>.tensors.json` beside it:
the SHA-256 of `t.contiguous()`'s bytes): the state dict and constants are reproduced bit
for bit.

For the `mlp` archives it also runs the model's forward pass (Linear, ReLU, Linear) from the
binding plan alone: the weights found through the plan's payload sources, the caller's
input bound by its pytree path (`args[0]`), the result compared with torch's own output
(`mlp.io.json`).

Usage: numpy_runtime.py GRAPHSIG ARCHIVE...     exit 0 when every check passes.
"""

import hashlib
import json
import mmap
import subprocess
import sys
from pathlib import Path

import numpy as np

# numpy has no bfloat16: its bits are compared as uint16.
DTYPES = {
    "torch.float32": np.float32, "torch.float64": np.float64, "torch.float16": np.float16,
    "torch.bfloat16": np.uint16, "torch.int8": np.int8, "torch.uint8": np.uint8,
    "torch.int16": np.int16, "torch.int32": np.int32, "torch.int64": np.int64,
    "torch.bool": np.bool_, "torch.complex64": np.complex64, "torch.complex128": np.complex128,
}


def view(mapped, amap, t):
    """The tensor `t` of the map's payload index, as a numpy view over the mapped file."""
    storage = amap["storages"][t["storage"]]
    dtype = np.dtype(DTYPES[t["dtype"]])
    buf = memoryview(mapped)[storage["offset"]: storage["offset"] + storage["length"]]
    if 0 in t["shape"]:
        return np.zeros(t["shape"], dtype)
    return np.ndarray(
        shape=t["shape"],
        dtype=dtype,
        buffer=buf,
        offset=t["storage_offset"] * dtype.itemsize,
        strides=[s * dtype.itemsize for s in t["strides"]],
    )


def check_archive(graphsig, archive):
    amap = json.loads(subprocess.run([graphsig, "map", "--json", str(archive)], check=True, capture_output=True).stdout)
    facts = json.loads(archive.with_name(archive.stem + ".tensors.json").read_text())
    recorded = {}
    for table in ("state_dict", "constants"):
        entries = facts.get(table) or {}
        if "$missing" not in entries:
            recorded.update({k: v for k, v in entries.items() if "tensor_sha256" in v})
    checked = 0
    with open(archive, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as mapped:
        for t in amap["tensors"]:
            if t["encoding"] != "raw" or t["name"] not in recorded:
                continue
            arr = view(mapped, amap, t)
            digest = hashlib.sha256(np.ascontiguousarray(arr).tobytes()).hexdigest()
            if digest != recorded[t["name"]]["tensor_sha256"]:
                raise AssertionError(f"{archive}: {t['name']}: the view's bytes differ from torch's")
            checked += 1
            del arr
        missing = set(recorded) - {t["name"] for t in amap["tensors"]}
        if missing:
            raise AssertionError(f"{archive}: tensors torch saved that the map does not locate: {sorted(missing)}")
        forward = run_mlp(archive, amap, mapped) if archive.stem == "mlp" else None
    return checked, forward


def run_mlp(archive, amap, mapped):
    """The MLP's forward from the plan: payload inputs by target, the caller's input by path."""
    io = json.loads(archive.with_name("mlp.io.json").read_text())
    caller = {"args[0]": np.array(io["inputs"][0]["values"], np.float32).reshape(io["inputs"][0]["shape"])}
    tensors = {t["name"]: t for t in amap["tensors"]}
    bound = []
    for b in amap["inputs"]:
        source = b["source"]
        if source["from"] == "payload":
            bound.append(np.array(view(mapped, amap, tensors[source["target"]])))
        elif source["from"] == "caller":
            bound.append(caller[source["path"]])
        else:
            raise AssertionError(f"{archive}: unexpected input source {source}")
    w1, b1, w2, b2, x = bound
    y = np.maximum(x @ w1.T + b1, 0) @ w2.T + b2
    expected = np.array(io["outputs"][0]["values"], np.float32).reshape(io["outputs"][0]["shape"])
    [out] = [o for o in amap["outputs"] if o["destination"]["to"] == "caller"]
    if list(y.shape) != out["meta"]["shape"]:
        raise AssertionError(f"{archive}: output shape {y.shape}, the map says {out['meta']['shape']}")
    err = float(np.max(np.abs(y - expected)))
    if err > 1e-5:
        raise AssertionError(f"{archive}: the forward differs from torch's output by {err}")
    return err


def main():
    graphsig, archives = sys.argv[1], [Path(a) for a in sys.argv[2:]]
    total, forwards = 0, []
    for archive in archives:
        checked, forward = check_archive(graphsig, archive)
        total += checked
        if forward is not None:
            forwards.append(forward)
    if total == 0 or not forwards:
        raise AssertionError("nothing was checked")
    print(f"numpy runtime: {total} tensors of {len(archives)} archives rebuilt bit for bit from mapped bytes; "
          f"{len(forwards)} MLP forwards from the plan match torch (max error {max(forwards):.2e})")


if __name__ == "__main__":
    main()
