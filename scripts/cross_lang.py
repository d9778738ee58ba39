"""Cross-language check (run by scripts/cross_lang.sh, which generates the Python modules
from our .proto and .fbs into GEN and builds graphsig).

Both directions, compared field by field on a neutral form (kinds by name, argument type,
names, targets, persistent flags, constants with float bits):

1. Python reads what graphsig wrote: for every golden signature, graphsig converts the
   frozen protobuf file to protobuf, proto3 JSON and FlatBuffers; Python decodes each with
   the generated code (protobuf, google.protobuf.json_format, flatbuffers) and the three
   must agree with each other and with the text form `graphsig inspect` prints; the
   FlatBuffers name/target indexes are checked by a binary search written here.
2. graphsig reads what Python wrote: Python builds signatures from scratch (every kind and
   argument type, -0.0, NaN, infinities, int64 extremes, empty and non-ASCII strings),
   writes protobuf, JSON (json_format.MessageToJson), FlatBuffers (with the generated
   builders, sorted indexes and forced -0.0) and a varint-delimited stream (_VarintBytes +
   SerializeToString, as Java's writeDelimitedTo); graphsig converts each (validating,
   indexes included) and Python compares what comes back with what it wrote.

usage: python cross_lang.py GRAPHSIG GEN GOLDEN_DIR WORK_DIR
"""
import glob
import math
import os
import struct
import subprocess
import sys

graphsig, gen, golden, work = sys.argv[1:5]
sys.path.insert(0, gen)

from google.protobuf import json_format  # noqa: E402
from google.protobuf.internal.decoder import _DecodeVarint  # noqa: E402
from google.protobuf.internal.encoder import _VarintBytes  # noqa: E402

import flatbuffers  # noqa: E402
from graph_signature.v1 import graph_signature_pb2 as pb  # noqa: E402
from graph_signature.v1 import (  # noqa: E402
    Argument as FbArgument,
    BoolValue,
    IndexEntry,
    InputSpec as FbInputSpec,
    NoneValue,
    OutputSpec as FbOutputSpec,
    SchemaVersion as FbSchemaVersion,
    ConstantArgument,
    ConstantValue as FbConstantValue,
    CustomObjArgument,
    FloatValue,
    GraphSignature,
    InputKind as FbInputKind,
    IntValue,
    OutputKind as FbOutputKind,
    StringValue,
    SymBoolArgument,
    SymFloatArgument,
    SymIntArgument,
    TensorArgument,
    TokenArgument,
)

checks = 0


def check(condition, message):
    global checks
    checks += 1
    if not condition:
        sys.exit(f"cross_lang: FAILED: {message}")


def run(*args, stdin=None):
    out = subprocess.run([graphsig, *args], input=stdin, capture_output=True)
    if out.returncode != 0:
        sys.exit(f"cross_lang: graphsig {' '.join(args)} failed: {out.stderr.decode()}")
    return out.stdout


def bits(f):
    return struct.pack("<d", f).hex()


def float_key(f, json):
    # JSON carries no NaN payload: compare NaNs as NaN there.
    return "nan" if json and math.isnan(f) else bits(f)


# ---------- neutral form from protobuf messages ----------


def pb_arg(a, json=False):
    which = a.WhichOneof("arg")
    check(which is not None, "argument oneof set")
    inner = getattr(a, which)
    if which == "constant":
        v = inner.value
        kind = v.WhichOneof("value")
        value = {
            "as_none": lambda: None,
            "as_int": lambda: v.as_int,
            "as_float": lambda: float_key(v.as_float, json),
            "as_bool": lambda: v.as_bool,
            "as_string": lambda: v.as_string,
        }[kind]()
        return ("constant", inner.name, kind, value)
    if which == "custom_obj":
        return ("custom_obj", inner.name, inner.class_fqn)
    return (which, inner.name)


def pb_neutral(doc, json=False):
    check(doc.schema_version.major == 1, f"schema major 1, got {doc.schema_version.major}")
    sig = doc.signature
    ins = [
        (
            pb.InputKind.Name(s.kind).removeprefix("INPUT_KIND_"),
            pb_arg(s.arg, json),
            s.target if s.HasField("target") else None,
            s.persistent if s.HasField("persistent") else None,
        )
        for s in sig.input_specs
    ]
    outs = [
        (pb.OutputKind.Name(s.kind).removeprefix("OUTPUT_KIND_"), pb_arg(s.arg, json), s.target if s.HasField("target") else None)
        for s in sig.output_specs
    ]
    return ins, outs


# ---------- neutral form from a FlatBuffer ----------


def names_of(enum_class):
    return {v: k for k, v in vars(enum_class).items() if not k.startswith("_")}


IN_KINDS = names_of(FbInputKind.InputKind)
OUT_KINDS = names_of(FbOutputKind.OutputKind)
ARG_TYPES = names_of(FbArgument.Argument)
CONST_TYPES = names_of(FbConstantValue.ConstantValue)
ARG_CLASSES = {
    "TensorArgument": ("tensor", TensorArgument.TensorArgument),
    "SymIntArgument": ("sym_int", SymIntArgument.SymIntArgument),
    "SymFloatArgument": ("sym_float", SymFloatArgument.SymFloatArgument),
    "SymBoolArgument": ("sym_bool", SymBoolArgument.SymBoolArgument),
    "TokenArgument": ("token", TokenArgument.TokenArgument),
    "CustomObjArgument": ("custom_obj", CustomObjArgument.CustomObjArgument),
    "ConstantArgument": ("constant", ConstantArgument.ConstantArgument),
}


def text(b):
    return None if b is None else b.decode("utf-8")


def fb_arg(spec):
    tag, cls = ARG_CLASSES[ARG_TYPES[spec.ArgType()]]
    table = spec.Arg()
    arg = cls()
    arg.Init(table.Bytes, table.Pos)
    name = text(arg.Name()) or ""
    if tag == "custom_obj":
        return (tag, name, text(arg.ClassFqn()) or "")
    if tag != "constant":
        return (tag, name)
    vtype = CONST_TYPES[arg.ValueType()]
    vt = arg.Value()
    if vtype == "NoneValue":
        return (tag, name, "as_none", None)
    cls, kind = {
        "IntValue": (IntValue.IntValue, "as_int"),
        "FloatValue": (FloatValue.FloatValue, "as_float"),
        "BoolValue": (BoolValue.BoolValue, "as_bool"),
        "StringValue": (StringValue.StringValue, "as_string"),
    }[vtype]
    v = cls()
    v.Init(vt.Bytes, vt.Pos)
    value = v.Value()
    if kind == "as_float":
        value = bits(value)
    elif kind == "as_string":
        value = text(value) or ""
    return (tag, name, kind, value)


def fb_neutral(buf):
    check(GraphSignature.GraphSignature.GraphSignatureBufferHasIdentifier(buf, 0), "GSIG identifier")
    root = GraphSignature.GraphSignature.GetRootAs(buf, 0)
    check(root.SchemaVersion().Major() == 1, "fbs schema major 1")
    ins = []
    for i in range(root.InputsLength()):
        s = root.Inputs(i)
        ins.append((IN_KINDS[s.Kind()], fb_arg(s), text(s.Target()), s.Persistent()))
    outs = []
    for i in range(root.OutputsLength()):
        s = root.Outputs(i)
        outs.append((OUT_KINDS[s.Kind()], fb_arg(s), text(s.Target())))
    return root, ins, outs


def fb_lookup(length, entry, key):
    """Binary search over a key-sorted index, as lookup_by_key does (byte-wise order)."""
    lo, hi = 0, length
    want = key.encode("utf-8")
    while lo < hi:
        mid = (lo + hi) // 2
        got = entry(mid).Key()
        if got == want:
            return entry(mid).Index()
        if got < want:
            lo = mid + 1
        else:
            hi = mid
    return None


def torch_text(ins, outs):
    def line(kind, arg, target, persistent=None):
        s = f"{arg[1]}: {kind}"
        if target is not None:
            s += f" target='{target}'"
        if persistent is not None:
            s += f" persistent={persistent}"
        return s

    return (
        "\n# inputs\n"
        + "\n".join(line(*s) for s in ins)
        + "\n\n# outputs\n"
        + "\n".join(line(*s) for s in outs)
        + "\n\n"
    )


def json_nan_canonical(neutral):
    def fix(arg):
        if arg[0] == "constant" and arg[2] == "as_float" and math.isnan(struct.unpack("<d", bytes.fromhex(arg[3]))[0]):
            return arg[:3] + ("nan",)
        return arg

    ins, outs = neutral
    return [(k, fix(a), t, p) for k, a, t, p in ins], [(k, fix(a), t) for k, a, t in outs]


# ---------- 1. Python reads what graphsig wrote ----------

goldens = sorted(glob.glob(os.path.join(golden, "*.pb")))
check(len(goldens) >= 4, f"golden protobuf files found in {golden}")
for path in goldens:
    stem = os.path.join(work, os.path.basename(path)[: -len(".pb")])
    for ext in ("pb", "json", "gsig"):
        run("convert", path, f"{stem}.{ext}")
    with open(f"{stem}.pb", "rb") as f:
        from_pb = pb_neutral(pb.SignatureDocument.FromString(f.read()))
    with open(f"{stem}.json", encoding="utf-8") as f:
        from_json = pb_neutral(json_format.Parse(f.read(), pb.SignatureDocument()), json=True)
    with open(f"{stem}.gsig", "rb") as f:
        buf = bytearray(f.read())
    root, fb_ins, fb_outs = fb_neutral(buf)
    check(from_pb == (fb_ins, fb_outs), f"{path}: protobuf and FlatBuffers differ:\n{from_pb}\n{(fb_ins, fb_outs)}")
    check(json_nan_canonical(from_pb) == from_json, f"{path}: protobuf and JSON differ:\n{from_pb}\n{from_json}")
    printed = run("inspect", f"{stem}.gsig").decode("utf-8")
    check(printed == torch_text(*from_pb), f"{path}: text form differs:\n{printed!r}\n{torch_text(*from_pb)!r}")
    for i, (_, arg, target, _) in enumerate(fb_ins):
        last_name = max(j for j, s in enumerate(fb_ins) if s[1][1] == arg[1])
        check(fb_lookup(root.InputsByNameLength(), root.InputsByName, arg[1]) == last_name, f"{path}: name index")
        if target is not None:
            last = max(j for j, s in enumerate(fb_ins) if s[2] == target)
            check(fb_lookup(root.InputsByTargetLength(), root.InputsByTarget, target) == last, f"{path}: target index")
    check(fb_lookup(root.InputsByNameLength(), root.InputsByName, "\x00no such name") is None, "missing key")
print(f"cross_lang: Python read {len(goldens)} signatures graphsig wrote as protobuf, JSON and FlatBuffers")

# ---------- 2. graphsig reads what Python wrote ----------


def arg(which, name, **kw):
    a = pb.ArgumentSpec()
    if which == "constant":
        a.constant.name = name
        (kind, value), = kw.items()
        if kind == "as_none":
            a.constant.value.as_none.SetInParent()
        else:
            setattr(a.constant.value, kind, value)
    elif which == "custom_obj":
        a.custom_obj.name = name
        a.custom_obj.class_fqn = kw["class_fqn"]
    else:
        getattr(a, which).name = name
    return a


def inp(kind, a, target=None, persistent=None):
    s = pb.InputSpec(kind=pb.InputKind.Value("INPUT_KIND_" + kind), arg=a)
    if target is not None:
        s.target = target
    if persistent is not None:
        s.persistent = persistent
    return s


def out(kind, a, target=None):
    s = pb.OutputSpec(kind=pb.OutputKind.Value("OUTPUT_KIND_" + kind), arg=a)
    if target is not None:
        s.target = target
    return s


def document(inputs, outputs):
    doc = pb.SignatureDocument()
    doc.schema_version.major = 1
    doc.signature.input_specs.extend(inputs)
    doc.signature.output_specs.extend(outputs)
    return doc


python_docs = [
    document([], []),
    document(
        [
            inp("TOKEN", arg("token", "tok")),
            inp("PARAMETER", arg("tensor", "p_w"), "layer.w"),
            inp("BUFFER", arg("tensor", "b_m"), "bn.running_mean", True),
            inp("BUFFER", arg("tensor", "b_s"), "scratch", False),
            inp("CONSTANT_TENSOR", arg("tensor", "c_t"), "lifted_tensor_0"),
            inp("CUSTOM_OBJ", arg("custom_obj", "obj", class_fqn="__torch__.Foo"), "attr"),
            inp("USER_INPUT", arg("tensor", "x")),
            inp("USER_INPUT", arg("sym_int", "s0")),
            inp("USER_INPUT", arg("sym_float", "f0")),
            inp("USER_INPUT", arg("sym_bool", "b0")),
        ],
        [
            out("TOKEN", arg("token", "tok_out")),
            out("BUFFER_MUTATION", arg("tensor", "add"), "bn.running_mean"),
            out("PARAMETER_MUTATION", arg("tensor", "mul"), "layer.w"),
            out("USER_INPUT_MUTATION", arg("tensor", "copy_"), "x"),
            out("LOSS_OUTPUT", arg("tensor", "loss")),
            out("GRADIENT_TO_PARAMETER", arg("tensor", "g_w"), "layer.w"),
            out("GRADIENT_TO_USER_INPUT", arg("tensor", "g_x"), "x"),
            out("USER_OUTPUT", arg("tensor", "y")),
        ],
    ),
    document(
        [
            inp("USER_INPUT", arg("constant", "c_none", as_none=True)),
            inp("USER_INPUT", arg("constant", "c_min", as_int=-(2**63))),
            inp("USER_INPUT", arg("constant", "c_max", as_int=2**63 - 1)),
            inp("USER_INPUT", arg("constant", "c_neg_zero", as_float=-0.0)),
            inp("USER_INPUT", arg("constant", "c_nan", as_float=float("nan"))),
            inp("USER_INPUT", arg("constant", "c_inf", as_float=float("inf"))),
            inp("USER_INPUT", arg("constant", "c_ninf", as_float=float("-inf"))),
            inp("USER_INPUT", arg("constant", "c_tiny", as_float=5e-324)),
            inp("USER_INPUT", arg("constant", "c_bool", as_bool=False)),
            inp("USER_INPUT", arg("constant", "c_empty", as_string="")),
            inp("USER_INPUT", arg("constant", "c_text", as_string="grüße 名前 🚀 \"q\"\n")),
            inp("PARAMETER", arg("tensor", "p_ünï"), "модуль.вес"),
            inp("USER_INPUT", arg("tensor", ""), ""),
        ],
        [out("USER_OUTPUT", arg("constant", "", as_float=-0.0)), out("USER_OUTPUT", arg("constant", "", as_none=True))],
    ),
]

FB_ARG_MODULES = {
    "tensor": TensorArgument,
    "sym_int": SymIntArgument,
    "sym_float": SymFloatArgument,
    "sym_bool": SymBoolArgument,
    "token": TokenArgument,
    "custom_obj": CustomObjArgument,
    "constant": ConstantArgument,
}
ARG_CODES = {name: code for code, name in ARG_TYPES.items()}
CONST_CODES = {name: code for code, name in CONST_TYPES.items()}
IN_CODES = {name: code for code, name in IN_KINDS.items()}
OUT_CODES = {name: code for code, name in OUT_KINDS.items()}


def fb_write(doc):
    """A FlatBuffer of `doc`, written with the generated Python builders."""
    b = flatbuffers.Builder(1024)

    def value(v):
        kind = v.WhichOneof("value")
        if kind == "as_string":
            text_off = b.CreateString(v.as_string)
        module, type_name = {
            "as_none": (NoneValue, "NoneValue"),
            "as_int": (IntValue, "IntValue"),
            "as_float": (FloatValue, "FloatValue"),
            "as_bool": (BoolValue, "BoolValue"),
            "as_string": (StringValue, "StringValue"),
        }[kind]
        # FlatBuffers omits a scalar equal to its default by ==, and -0.0 == 0.0.
        b.ForceDefaults(kind == "as_float")
        module.Start(b)
        if kind == "as_string":
            module.AddValue(b, text_off)
        elif kind != "as_none":
            module.AddValue(b, getattr(v, kind))
        off = module.End(b)
        b.ForceDefaults(False)
        return CONST_CODES[type_name], off

    def argument(a):
        which = a.WhichOneof("arg")
        inner = getattr(a, which)
        module = FB_ARG_MODULES[which]
        name = b.CreateString(inner.name)
        extra = None
        if which == "custom_obj":
            extra = b.CreateString(inner.class_fqn)
        elif which == "constant":
            extra = value(inner.value)
        module.Start(b)
        module.AddName(b, name)
        if which == "custom_obj":
            module.AddClassFqn(b, extra)
        elif which == "constant":
            module.AddValueType(b, extra[0])
            module.AddValue(b, extra[1])
        return ARG_CODES[module.__name__.rsplit(".", 1)[1]], module.End(b)

    def vector(start, offsets):
        start(b, len(offsets))
        for off in reversed(offsets):
            b.PrependUOffsetTRelative(off)
        return b.EndVector()

    def index(keys):
        last = {}
        for i, key in enumerate(keys):
            if key is not None:
                last[key] = i
        entries = []
        for key in sorted(last, key=lambda k: k.encode("utf-8")):  # byte-wise, as lookup_by_key
            key_off = b.CreateString(key)
            IndexEntry.Start(b)
            IndexEntry.AddKey(b, key_off)
            IndexEntry.AddIndex(b, last[key])
            entries.append(IndexEntry.End(b))
        return entries

    sig = doc.signature
    inputs = []
    for s in sig.input_specs:
        arg_type, arg_off = argument(s.arg)
        target = b.CreateString(s.target) if s.HasField("target") else None
        FbInputSpec.Start(b)
        FbInputSpec.AddKind(b, IN_CODES[pb.InputKind.Name(s.kind).removeprefix("INPUT_KIND_")])
        FbInputSpec.AddArgType(b, arg_type)
        FbInputSpec.AddArg(b, arg_off)
        if target is not None:
            FbInputSpec.AddTarget(b, target)
        if s.HasField("persistent"):
            FbInputSpec.AddPersistent(b, s.persistent)
        inputs.append(FbInputSpec.End(b))
    outputs = []
    for s in sig.output_specs:
        arg_type, arg_off = argument(s.arg)
        target = b.CreateString(s.target) if s.HasField("target") else None
        FbOutputSpec.Start(b)
        FbOutputSpec.AddKind(b, OUT_CODES[pb.OutputKind.Name(s.kind).removeprefix("OUTPUT_KIND_")])
        FbOutputSpec.AddArgType(b, arg_type)
        FbOutputSpec.AddArg(b, arg_off)
        if target is not None:
            FbOutputSpec.AddTarget(b, target)
        outputs.append(FbOutputSpec.End(b))
    G = GraphSignature
    inputs_vec = vector(G.StartInputsVector, inputs)
    outputs_vec = vector(G.StartOutputsVector, outputs)
    by_name = vector(G.StartInputsByNameVector, index([pb_arg(s.arg)[1] for s in sig.input_specs]))
    by_target = vector(
        G.StartInputsByTargetVector, index([s.target if s.HasField("target") else None for s in sig.input_specs])
    )
    out_by_name = vector(G.StartOutputsByNameVector, index([pb_arg(s.arg)[1] for s in sig.output_specs]))
    FbSchemaVersion.Start(b)
    FbSchemaVersion.AddMajor(b, 1)
    version = FbSchemaVersion.End(b)
    G.Start(b)
    G.AddSchemaVersion(b, version)
    G.AddInputs(b, inputs_vec)
    G.AddOutputs(b, outputs_vec)
    G.AddInputsByName(b, by_name)
    G.AddInputsByTarget(b, by_target)
    G.AddOutputsByName(b, out_by_name)
    b.Finish(G.End(b), file_identifier=b"GSIG")
    return bytes(b.Output())


for i, doc in enumerate(python_docs):
    want = pb_neutral(doc)
    path = os.path.join(work, f"python_{i}")
    with open(f"{path}.pb", "wb") as f:
        f.write(doc.SerializeToString())
    with open(f"{path}.json", "w", encoding="utf-8") as f:
        f.write(json_format.MessageToJson(doc))
    with open(f"{path}.gsig", "wb") as f:
        f.write(fb_write(doc))
    for ext in ("pb", "json", "gsig"):
        back = run("convert", f"{path}.{ext}", "-", "--to", "proto")
        check(pb_neutral(pb.SignatureDocument.FromString(back)) == want, f"python_{i}.{ext}: graphsig changed it")
        back = run("convert", f"{path}.{ext}", "-", "--to", "json").decode("utf-8")
        got = pb_neutral(json_format.Parse(back, pb.SignatureDocument()), json=True)
        check(got == json_nan_canonical(want), f"python_{i}.{ext} via our JSON: {got} != {want}")
print(f"cross_lang: graphsig read {len(python_docs)} signatures Python wrote as protobuf, JSON and FlatBuffers")

stream = b"".join(_VarintBytes(len(b)) + b for b in (d.SerializeToString() for d in python_docs * 3))
echoed = run("stream", "-", "-", stdin=stream)
frames, pos = [], 0
while pos < len(echoed):
    size, pos = _DecodeVarint(echoed, pos)
    frames.append(pb.SignatureDocument.FromString(echoed[pos : pos + size]))
    pos += size
check(len(frames) == 3 * len(python_docs), f"{len(frames)} frames came back")
for got, sent in zip(frames, python_docs * 3):
    check(pb_neutral(got) == pb_neutral(sent), "a delimited frame changed")
print(f"cross_lang: graphsig read a delimited stream of {len(frames)} signatures Python wrote")
print(f"cross_lang: ok ({checks} checks)")
