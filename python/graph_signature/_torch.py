"""Conversions to and from torch's own classes; imported only by ``to_torch()`` and
``from_torch()``, the only places torch is imported."""

from . import _native
from ._errors import UnrepresentableError
from ._types import InputKind, OutputKind

_NAMED = ("TensorArgument", "SymIntArgument", "SymFloatArgument", "SymBoolArgument", "TokenArgument")


def _torch_classes():
    import torch.export.graph_signature as tgs

    return tgs


def _arg_to_torch(tgs, arg):
    cls_name = type(arg).__name__
    if cls_name in _NAMED:
        return getattr(tgs, cls_name)(name=arg.name)
    if cls_name == "ConstantArgument":
        return tgs.ConstantArgument(name=arg.name, value=arg.value)
    if cls_name == "CustomObjArgument":
        return tgs.CustomObjArgument(name=arg.name, class_fqn=arg.class_fqn)
    raise TypeError(f"not an argument: {arg!r}")


def _kind_to_torch(enum_cls, kind, position):
    try:
        return enum_cls[kind.name]
    except KeyError:
        import torch

        err = UnrepresentableError(
            f"{position}: torch {torch.__version__} has no {enum_cls.__name__}.{kind.name}"
        )
        err.position = position
        err.format = "torch"
        err.reason_code = "needs-newer-version"
        raise err from None


def to_torch(sig):
    """A ``torch.export.graph_signature.ExportGraphSignature`` with the specs of ``sig``."""
    tgs = _torch_classes()
    inputs = [
        tgs.InputSpec(
            kind=_kind_to_torch(tgs.InputKind, s.kind, f"inputs[{i}]"),
            arg=_arg_to_torch(tgs, s.arg),
            target=s.target,
            persistent=s.persistent,
        )
        for i, s in enumerate(sig.input_specs)
    ]
    outputs = [
        tgs.OutputSpec(
            kind=_kind_to_torch(tgs.OutputKind, s.kind, f"outputs[{i}]"),
            arg=_arg_to_torch(tgs, s.arg),
            target=s.target,
        )
        for i, s in enumerate(sig.output_specs)
    ]
    return tgs.ExportGraphSignature(input_specs=inputs, output_specs=outputs)


def _arg_from_torch(arg):
    cls_name = type(arg).__name__
    if cls_name in _NAMED:
        return getattr(_native, cls_name)(arg.name)
    if cls_name == "ConstantArgument":
        return _native.ConstantArgument(arg.name, arg.value)
    if cls_name == "CustomObjArgument":
        return _native.CustomObjArgument(arg.name, arg.class_fqn)
    raise TypeError(f"not a torch.export argument: {arg!r}")


def from_torch(obj):
    """Our signature of a torch ``ExportedProgram`` or ``ExportGraphSignature``."""
    sig = getattr(obj, "graph_signature", obj)
    if not (hasattr(sig, "input_specs") and hasattr(sig, "output_specs")):
        raise TypeError(
            f"expected a torch.export ExportedProgram or ExportGraphSignature, got {type(obj).__name__}"
        )
    inputs = [
        _native.InputSpec(InputKind[s.kind.name], _arg_from_torch(s.arg), s.target, s.persistent)
        for s in sig.input_specs
    ]
    outputs = [
        _native.OutputSpec(OutputKind[s.kind.name], _arg_from_torch(s.arg), s.target)
        for s in sig.output_specs
    ]
    return _native.ExportGraphSignature(inputs, outputs)
