"""torch.export's ``ExportGraphSignature`` without torch.

Read the signature of an exported program from a ``.pt2`` archive, torch's JSON or one of
graph-signature's own formats, ask it what torch's class answers (in torch's words and
Python types), check it, convert it, and embed it into archives::

    import graph_signature as gs
    sig = gs.load("model.pt2")
    print(sig)                          # what print(ep.graph_signature) prints
    sig.inputs_to_parameters["p_w"]     # 'w'
    data = sig.encode("proto")

and the archive map of a ``.pt2``: what every graph input and output binds to, where every
weight's bytes are, with numpy views over them::

    amap = gs.map("model.pt2")
    amap.inputs[0].source               # Source(from_='payload', target='lin.weight', found=True)
    w = amap.tensor("lin.weight")       # a read-only numpy array over the file, no copy

torch is imported only by ``ExportGraphSignature.to_torch()`` and ``from_torch()``; numpy
only by the archive map's arrays.
"""

from ._errors import (
    ClassifyError,
    DecodeError,
    FileChangedError,
    GraphSignatureError,
    GraphSignatureOSError,
    InternalError,
    LimitError,
    MismatchError,
    ModelSelectionError,
    NoSignatureError,
    RefusedWriteError,
    UnrecognizedInputError,
    UnrepresentableError,
    UnsupportedPayloadError,
    UnsupportedVersionError,
    ValidationError,
)
from ._native import (
    FORMATS,
    ArchiveMap,
    ConstantArgument,
    CustomObjArgument,
    Destination,
    ExportBackwardSignature,
    ExportGraphSignature,
    Finding,
    InputBinding,
    InputSpec,
    ObjectPayload,
    OutputBinding,
    OutputSpec,
    PayloadIndex,
    RangeConstraint,
    ReplaceHook,
    Source,
    Storage,
    SymExpr,
    SymBoolArgument,
    SymFloatArgument,
    SymIntArgument,
    TensorArgument,
    TensorMeta,
    TensorPayload,
    TokenArgument,
    ValueMeta,
    Violation,
    __version__,
    decode,
    embed,
    extract,
    load,
    map,
    scan,
)
from ._types import InputKind, OutputKind

#: Another name for ``ExportGraphSignature``.
Signature = ExportGraphSignature


def from_torch(obj):
    """Our ``ExportGraphSignature`` of a torch ``ExportedProgram`` (its ``graph_signature``)
    or of a torch ``ExportGraphSignature``; the spec rules are checked
    (``ValidationError``). Needs torch only for the object it is given."""
    from ._torch import from_torch as convert

    return convert(obj)


# `map` is left out of __all__: `from graph_signature import *` would hide the builtin.
__all__ = [
    "FORMATS",
    "ArchiveMap",
    "ClassifyError",
    "ConstantArgument",
    "CustomObjArgument",
    "DecodeError",
    "Destination",
    "ExportBackwardSignature",
    "ExportGraphSignature",
    "FileChangedError",
    "Finding",
    "GraphSignatureError",
    "GraphSignatureOSError",
    "InputBinding",
    "InputKind",
    "InputSpec",
    "InternalError",
    "LimitError",
    "MismatchError",
    "ModelSelectionError",
    "NoSignatureError",
    "ObjectPayload",
    "OutputBinding",
    "OutputKind",
    "OutputSpec",
    "PayloadIndex",
    "RangeConstraint",
    "RefusedWriteError",
    "ReplaceHook",
    "Signature",
    "Source",
    "Storage",
    "SymBoolArgument",
    "SymFloatArgument",
    "SymExpr",
    "SymIntArgument",
    "TensorArgument",
    "TensorMeta",
    "TensorPayload",
    "TokenArgument",
    "UnrecognizedInputError",
    "UnrepresentableError",
    "UnsupportedPayloadError",
    "UnsupportedVersionError",
    "ValidationError",
    "ValueMeta",
    "Violation",
    "__version__",
    "decode",
    "embed",
    "extract",
    "from_torch",
    "load",
    "scan",
]
