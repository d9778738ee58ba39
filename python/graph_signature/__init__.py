"""torch.export's ``ExportGraphSignature`` without torch.

Read the signature of an exported program from a ``.pt2`` archive, torch's JSON or one of
graph-signature's own formats, ask it what torch's class answers (in torch's words and
Python types), check it, convert it, and embed it into archives::

    import graph_signature as gs
    sig = gs.load("model.pt2")
    print(sig)                          # what print(ep.graph_signature) prints
    sig.inputs_to_parameters["p_w"]     # 'w'
    data = sig.encode("proto")

torch is imported only by ``ExportGraphSignature.to_torch()`` and ``from_torch()``.
"""

from ._errors import (
    ClassifyError,
    DecodeError,
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
    UnsupportedVersionError,
    ValidationError,
)
from ._native import (
    FORMATS,
    ConstantArgument,
    CustomObjArgument,
    ExportBackwardSignature,
    ExportGraphSignature,
    InputSpec,
    OutputSpec,
    ReplaceHook,
    SymBoolArgument,
    SymFloatArgument,
    SymIntArgument,
    TensorArgument,
    TokenArgument,
    Violation,
    __version__,
    decode,
    embed,
    extract,
    load,
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


__all__ = [
    "FORMATS",
    "ClassifyError",
    "ConstantArgument",
    "CustomObjArgument",
    "DecodeError",
    "ExportBackwardSignature",
    "ExportGraphSignature",
    "GraphSignatureError",
    "GraphSignatureOSError",
    "InputKind",
    "InputSpec",
    "InternalError",
    "LimitError",
    "MismatchError",
    "ModelSelectionError",
    "NoSignatureError",
    "OutputKind",
    "OutputSpec",
    "RefusedWriteError",
    "ReplaceHook",
    "Signature",
    "SymBoolArgument",
    "SymFloatArgument",
    "SymIntArgument",
    "TensorArgument",
    "TokenArgument",
    "UnrecognizedInputError",
    "UnrepresentableError",
    "UnsupportedVersionError",
    "ValidationError",
    "Violation",
    "__version__",
    "decode",
    "embed",
    "extract",
    "from_torch",
    "load",
    "scan",
]
