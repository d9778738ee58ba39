"""The exceptions of graph_signature. Every one derives from ``GraphSignatureError``, and
from the builtin exception a caller would expect (``ValueError`` for bad data,
``LookupError`` for a missing model or signature, ``OSError`` for I/O).

Each carries what the library's error says, as attributes: where (``position``: a field
path such as ``"input_specs[3].parameter.arg"`` for a decode error, ``"inputs[3]"`` for a
spec), which rule (``Violation.code``, ``reason_code``) and the file (``filename``).
"""

import os as _os


class GraphSignatureError(Exception):
    """Base class of every error raised by graph_signature."""

    #: The file the error is about, when there is one.
    filename = None
    #: Where in the input or the signature, when the error is about one place.
    position = None


class DecodeError(GraphSignatureError, ValueError):
    """Bytes could not be decoded: ``format`` names the format, ``position`` the field path
    of the offending value (``None`` for the document as a whole), ``reason`` what is wrong."""

    format = None
    reason = None


class UnrecognizedInputError(DecodeError):
    """The input is not something graph_signature reads: ``found`` says what it is (or shows
    its first bytes), ``accepted`` what would be read."""

    found = None
    accepted = None


class ValidationError(GraphSignatureError, ValueError):
    """A signature breaks validation rules; ``violations`` lists every one (a tuple of
    ``Violation``: ``position``, ``side``, ``index``, ``code``, ``message``, ``hint``)."""

    violations = ()


class ClassifyError(GraphSignatureError, ValueError):
    """A flat signature's graph input or output (``position``, ``name``) fits no list."""

    name = None
    reason = None


class UnsupportedVersionError(GraphSignatureError, ValueError):
    """Data written under a schema version this build cannot read or write (``found``;
    ``supported`` lists what is)."""

    format = None
    found = None
    supported = None


class LimitError(GraphSignatureError, ValueError):
    """A size is over a documented limit: ``what`` was measured, ``size`` against ``limit``."""

    what = None
    size = None
    limit = None


class ModelSelectionError(GraphSignatureError, LookupError):
    """No program of the name asked for (``wanted``), several and none asked for, or a model
    asked for in a file that is not an archive; ``available`` lists the programs."""

    wanted = None
    available = ()


class NoSignatureError(GraphSignatureError, LookupError):
    """The file can carry an embedded signature but carries none (``hint`` says how to add one)."""

    kind = None
    hint = None


class UnrepresentableError(GraphSignatureError, ValueError):
    """A valid signature that ``format`` (at the version asked for) cannot hold as it is: the
    spec at ``position``, why (``reason``, ``reason_code``)."""

    format = None
    reason = None
    reason_code = None


class MismatchError(GraphSignatureError, ValueError):
    """A signature to embed does not name the program's graph inputs and outputs (``reason``);
    ``embed(..., force=True)`` embeds it anyway."""

    reason = None


class RefusedWriteError(GraphSignatureError):
    """A write was refused before anything was touched, to keep the user's file
    (``reason_code``: ``"output-is-input"``, ``"read-only"``, ``"owner-not-kept"``,
    ``"not-a-file"``)."""

    reason_code = None


class UnsupportedPayloadError(GraphSignatureError, ValueError):
    """A payload of an archive map that cannot be given as a numpy view (``ArchiveMap.tensor``):
    ``name`` is the tensor, ``reason_code`` why: ``"dtype"`` (numpy has no dtype for it;
    ``bits=True`` gives the bits of bfloat16, float8 and complex32), ``"compressed"`` (its
    record is compressed, so there are no bytes to map) or ``"pickle"`` (a pickled tensor
    subclass, whose bytes are not the tensor's)."""

    name = None
    reason_code = None


class InternalError(GraphSignatureError):
    """A bug in graph_signature (a Rust panic, caught before it reached Python)."""


class GraphSignatureOSError(GraphSignatureError, OSError):
    """An I/O error. The subclasses below also derive from the builtin ``OSError`` subclass
    of the error number, so ``except FileNotFoundError`` works as usual."""


class FileChangedError(GraphSignatureOSError):
    """The archive file changed (replaced, rewritten) between building its map and mapping its
    bytes for numpy views: the map's offsets may not hold for it any more."""


def _os_subclass(base):
    return type(f"GraphSignature{base.__name__}", (GraphSignatureOSError, base), {
        "__doc__": f"An I/O error that is a {base.__name__}.",
        "__module__": __name__,
    })


_BY_ERRNO = {}
for _base in (FileNotFoundError, PermissionError, IsADirectoryError, NotADirectoryError,
              FileExistsError, InterruptedError, BlockingIOError, TimeoutError):
    _cls = _os_subclass(_base)
    globals()[f"_GraphSignature{_base.__name__}"] = _cls
    _BY_ERRNO[_base] = _cls


def _os_error(number, text, filename, message):
    """The exception for an I/O error (called by the extension)."""
    if number is None:
        err = GraphSignatureOSError(message)
    else:
        cls = _BY_ERRNO.get(type(OSError(number, "")), GraphSignatureOSError)
        err = cls(number, _os.strerror(number), filename)
    err.filename = filename
    err.detail = message
    return err


__all__ = [
    "GraphSignatureError", "DecodeError", "UnrecognizedInputError", "ValidationError",
    "ClassifyError", "UnsupportedVersionError", "LimitError", "ModelSelectionError",
    "NoSignatureError", "UnrepresentableError", "MismatchError", "RefusedWriteError",
    "InternalError", "GraphSignatureOSError", "UnsupportedPayloadError", "FileChangedError",
]
