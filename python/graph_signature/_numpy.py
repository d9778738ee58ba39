"""numpy arrays over an archive map's payloads, without copying them (``ArchiveMap.tensor``,
``state_dict`` and ``constants``).

numpy is imported here, on first use, and nowhere else in the package. Every number comes
from the map (the library's payload index: the storage's absolute offset and length, the
view's dtype, shape, strides and storage offset); this module only lays a numpy view over
the bytes, which are the archive file mapped read-only into memory (or the bytes the map
was built from). An array keeps the mapping alive through its ``base``, so it outlives the
map object; the mapping is released when the last array over it is gone.
"""

import mmap
import os

from ._errors import FileChangedError, UnsupportedPayloadError

# torch's dtypes and numpy's, little-endian as torch writes payloads.
_DTYPES = {
    "torch.float16": "<f2",
    "torch.float32": "<f4",
    "torch.float64": "<f8",
    "torch.complex64": "<c8",
    "torch.complex128": "<c16",
    "torch.int8": "i1",
    "torch.int16": "<i2",
    "torch.int32": "<i4",
    "torch.int64": "<i8",
    "torch.uint8": "u1",
    "torch.uint16": "<u2",
    "torch.uint32": "<u4",
    "torch.uint64": "<u8",
    "torch.bool": "?",
}

# dtypes numpy has no type for: with bits=True, the unsigned integers of their width.
_BITS = {
    "torch.bfloat16": "<u2",
    "torch.complex32": "<u4",
    "torch.float8_e4m3fn": "u1",
    "torch.float8_e5m2": "u1",
    "torch.float8_e4m3fnuz": "u1",
    "torch.float8_e5m2fnuz": "u1",
    "torch.float8_e8m0fnu": "u1",
}


def _numpy():
    try:
        import numpy
    except ImportError as e:  # pragma: no cover - the package's tests run with numpy
        raise ImportError(
            "graph_signature's numpy views (ArchiveMap.tensor, state_dict, constants) need numpy: "
            "pip install numpy"
        ) from e
    return numpy


def open_buffer(path, identity):
    """The file at ``path`` mapped read-only into memory, as a memoryview; ``identity``
    (device, inode, size, modification time in ns; ``None`` where unknown) is the file the
    map was read from, and a file replaced or changed since is refused."""
    with open(path, "rb") as f:
        st = os.fstat(f.fileno())
        now = (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)
        if any(want is not None and want != got for want, got in zip(identity, now)):
            err = FileChangedError(
                f"{os.fspath(path)}: the file changed since its archive map was built; build the map again"
            )
            err.filename = os.fspath(path)
            raise err
        # The mapping keeps its own handle on the file; closing ours is fine.
        mapped = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
    return memoryview(mapped)


def _refuse(payload, reason_code, why):
    err = UnsupportedPayloadError(f"tensor {payload.name!r} ({payload.dtype}): {why}")
    err.name = payload.name
    err.reason_code = reason_code
    return err


def _view(np, buffer, payloads, payload, bits):
    if payload.encoding != "raw":
        raise _refuse(payload, "pickle", "its bytes are a pickled tensor subclass, not the tensor's")
    storage = payloads.storages[payload.storage]
    if not storage.stored:
        raise _refuse(payload, "compressed", f"its record {storage.record!r} is compressed: it cannot be mapped")
    code = _DTYPES.get(payload.dtype)
    if code is None and bits:
        code = _BITS.get(payload.dtype)
    if code is None:
        hint = "; bits=True gives its bits as unsigned integers" if payload.dtype in _BITS else ""
        raise _refuse(payload, "dtype", f"numpy has no dtype for it{hint}")
    dtype = np.dtype(code)
    if dtype.itemsize != payload.element_size:
        raise _refuse(payload, "dtype", f"{payload.element_size}-byte elements are not numpy's {dtype}")
    data = buffer[storage.offset: storage.offset + storage.length]
    if 0 in payload.shape:
        # No element: numpy wants no offset or strides into an empty buffer.
        return np.frombuffer(data[:0], dtype=dtype).reshape(payload.shape)
    return np.ndarray(
        shape=payload.shape,
        dtype=dtype,
        buffer=data,
        offset=payload.storage_offset * dtype.itemsize,
        strides=[s * dtype.itemsize for s in payload.strides],
    )


def tensor(amap, name, bits):
    """``ArchiveMap.tensor``."""
    np = _numpy()
    payloads = amap.payloads
    payload = payloads.tensor(name)
    return _view(np, amap._buffer(), payloads, payload, bits)


def table(amap, which, bits):
    """``ArchiveMap.state_dict`` (``which`` is ``"weights"``) and ``ArchiveMap.constants``."""
    np = _numpy()
    payloads = amap.payloads
    buffer = amap._buffer()
    return {t.name: _view(np, buffer, payloads, t, bits) for t in payloads.tensors if t.table == which}
