"""An opaque object class and a custom op that takes it, for the `opaque` archive fixture.

Importing this module registers ``Scale`` as an opaque class and ``graphsig::scale`` as a
custom op. It lives in its own importable module (not inside the generator) because torch
2.13+ stores an opaque constant with Python's pickle (``data/constants/opaque_obj_<i>``),
so ``torch.export.load`` must be able to import the class by name: a loader does
``import graphsig_opaque`` (with ``scripts/`` on ``sys.path``) before loading the archive.

The registration API moved between releases: torch 2.13 has
``register_opaque_type(cls, typ="reference")`` and the ``torch._opaque_base.OpaqueBase``
base class; 2.14+ has ``register_custom_class(cls, typ="symbolic")`` and
``torch._custom_class_base.CustomClassBase``. Older torch raises ImportError here.
"""

import torch
from torch._library import opaque_object as _opaque

if hasattr(_opaque, "register_custom_class"):  # torch 2.14+
    from torch._custom_class_base import CustomClassBase as _Base

    def _register(cls):
        _opaque.register_custom_class(cls, typ="symbolic")

else:  # torch 2.13 (ImportError before: no opaque base class to derive from)
    from torch._opaque_base import OpaqueBase as _Base

    def _register(cls):
        _opaque.register_opaque_type(cls, typ="reference")


class Scale(_Base):
    """Multiplies by a fixed factor; the factor is the object's whole state."""

    def __init__(self, factor):
        self.factor = factor

    def __repr__(self):
        return f"Scale({self.factor!r})"


_register(Scale)


@torch.library.custom_op("graphsig::scale", mutates_args=())
def scale(obj: Scale, x: torch.Tensor) -> torch.Tensor:
    return x * obj.factor


@scale.register_fake
def _scale_fake(obj, x):
    return torch.empty_like(x)
