#!/usr/bin/env python3
"""What capi/examples/plan.cpp must print for an archive, made from `graphsig map --json`'s
output (the CLI's map, not the C API's) and the archive file's bytes read with plain file
reads (the example reads them through mmap). Python's standard library only.

Usage: graphsig map --json FILE | plan_expected.py FILE [TENSOR]
"""

import json
import struct
import sys


def path_or_unknown(path):
    if path is None:
        return "?"
    return path if path else "(the value)"


def constant(v):
    # As the example's describe(): Python's spelling; floats with 17 significant digits.
    if v is None:
        return "None"
    if isinstance(v, bool):
        return "True" if v else "False"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return "%.17g" % v
    return "'" + v + "'"


def meta(m):
    if m is None:
        return "?"
    if m["type"] != "tensor":
        return m["type"]
    sizes = [str(s) if isinstance(s, int) else s["short"] for s in m["shape"]]
    return f"{m['dtype']} [{', '.join(sizes)}]"


def source(s):
    f = s["from"]
    if f == "payload":
        return "payload " + s["target"] + ("" if s["found"] else " (missing)")
    if f == "caller":
        return "caller " + path_or_unknown(s["path"])
    if f == "constant":
        return f"constant {constant(s['value'])} at {path_or_unknown(s['path'])}"
    if f == "custom_object":
        return f"object {s['target']} ({s['class_fqn'] or '?'})"
    if f == "token":
        return "token"
    return "something newer"


def destination(d):
    t = d["to"]
    if t == "caller":
        return "caller " + path_or_unknown(d["path"])
    if t == "loss":
        return "loss " + path_or_unknown(d["path"])
    if t == "write_back":
        return f"write back into {d['kind']} {d['target']}"
    if t == "gradient":
        return f"gradient of {d['of']} {d['target']}"
    if t == "token":
        return "token"
    return "something newer"


FORMATS = {
    "torch.float32": lambda b: "%.9g" % struct.unpack("<f", b)[0],
    "torch.float64": lambda b: "%.17g" % struct.unpack("<d", b)[0],
    "torch.int64": lambda b: str(struct.unpack("<q", b)[0]),
    "torch.int32": lambda b: str(struct.unpack("<i", b)[0]),
    "torch.int8": lambda b: str(struct.unpack("<b", b)[0]),
    "torch.uint8": lambda b: str(b[0]),
    "torch.bool": lambda b: "True" if b[0] else "False",
}
SIZES = {"torch.float32": 4, "torch.float64": 8, "torch.int64": 8, "torch.int32": 4, "torch.int16": 2,
         "torch.int8": 1, "torch.uint8": 1, "torch.bool": 1, "torch.float16": 2, "torch.bfloat16": 2,
         "torch.complex64": 8, "torch.complex128": 16}


def numel(shape):
    n = 1
    for s in shape:
        n *= s
    return n


def main():
    amap = json.load(sys.stdin)
    archive = sys.argv[1]
    out = [f"inputs ({len(amap['inputs'])})"]
    for b in amap["inputs"]:
        out.append(f"  {b['index']} {b['name']} {b['kind']} <- {source(b['source'])} : {meta(b['meta'])}")
    out.append(f"outputs ({len(amap['outputs'])})")
    for b in amap["outputs"]:
        out.append(f"  {b['index']} {b['name']} {b['kind']} -> {destination(b['destination'])} : {meta(b['meta'])}")
    tensors = amap["tensors"]
    by_name = {t["name"]: t for t in tensors}
    chosen = None
    if len(sys.argv) > 2:
        chosen = by_name[sys.argv[2]]
    else:
        for b in amap["inputs"]:
            s = b["source"]
            if s["from"] != "payload" or not s["found"]:
                continue
            t = by_name[s["target"]]
            if t["encoding"] == "raw" and amap["storages"][t["storage"]]["stored"] and numel(t["shape"]) > 0:
                chosen = t
                break
    if chosen is None:
        out.append("no stored raw weight to map")
    else:
        t = chosen
        s = amap["storages"][t["storage"]]
        shape, strides = t["shape"], t["strides"]
        out.append(f"weight {t['name']}: {t['dtype']} [{', '.join(map(str, shape))}] strides "
                   f"[{', '.join(map(str, strides))}] offset {t['storage_offset']}, storage {t['storage']} "
                   f"({s['record']}) at byte {s['offset']} ({s['length']} bytes)")
        size = SIZES[t["dtype"]]
        index = [0] * len(shape)
        with open(archive, "rb") as f:
            for k in range(min(8, numel(shape))):
                element = t["storage_offset"] + sum(i * st for i, st in zip(index, strides))
                at = s["offset"] + element * size
                f.seek(at)
                data = f.read(size)
                line = f"  [{k}] byte {at}:" + "".join(f" {b:02x}" for b in data)
                if t["dtype"] in FORMATS:
                    line += " = " + FORMATS[t["dtype"]](data)
                out.append(line)
                for d in reversed(range(len(shape))):
                    index[d] += 1
                    if index[d] < shape[d]:
                        break
                    index[d] = 0
    print("\n".join(out))


if __name__ == "__main__":
    main()
