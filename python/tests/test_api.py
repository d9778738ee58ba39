"""The API in torch's vocabulary: types, construction, edits, the replace hook."""

import ast
import math
import pathlib
import subprocess
import sys
import types

import pytest

import graph_signature as gs
from support import TORCH_215, read_json, specs

PACKAGE = pathlib.Path(gs.__file__).parent


def every_kind():
    return gs.load(TORCH_215 / "synthetic_every_kind" / "signature.json")


def test_accessors_have_torch_215_types():
    sig = every_kind()
    for name in ("parameters", "buffers", "non_persistent_buffers", "lifted_tensor_constants",
                 "lifted_custom_objs", "user_inputs", "user_outputs", "input_tokens", "output_tokens"):
        assert type(getattr(sig, name)) is tuple, name
    for name in ("inputs_to_parameters", "inputs_to_buffers", "buffers_to_mutate", "parameters_to_mutate",
                 "user_inputs_to_mutate", "inputs_to_lifted_tensor_constants", "inputs_to_lifted_custom_objs"):
        value = getattr(sig, name)
        assert type(value) is types.MappingProxyType, name
        with pytest.raises(TypeError):
            value["x"] = "y"
    assert sig.assertion_dep_token is None
    bw = sig.backward_signature
    assert isinstance(bw, gs.ExportBackwardSignature)
    assert bw.loss_output == "loss"
    assert bw.gradients_to_parameters == {"grad_w": "w"} and type(bw.gradients_to_parameters) is dict
    assert bw.gradients_to_user_inputs == {"grad_x": "x"}


def test_specs_are_torch_classes_with_torch_fields():
    sig = every_kind()
    first = sig.input_specs[1]
    assert isinstance(first, gs.InputSpec)
    assert first.kind is gs.InputKind.PARAMETER and first.kind.name == "PARAMETER"
    assert first.arg == gs.TensorArgument("p_w") and first.arg.name == "p_w"
    assert (first.target, first.persistent) == ("w", None)
    assert str(first) == "p_w: PARAMETER target='w'"
    assert repr(first) == "InputSpec(kind=InputKind.PARAMETER, arg=TensorArgument(name='p_w'), target='w', persistent=None)"
    buf = sig.input_specs[2]
    assert buf.persistent is True and str(buf) == "b_buf: BUFFER target='buf' persistent=True"
    obj = sig.input_specs[4].arg
    assert isinstance(obj, gs.CustomObjArgument) and obj.fake_val is None
    out = sig.output_specs[3]
    assert out.kind is gs.OutputKind.PARAMETER_MUTATION and str(out) == "new_w: PARAMETER_MUTATION target='w'"
    assert [k.name for k in gs.InputKind] == ["USER_INPUT", "PARAMETER", "BUFFER", "CONSTANT_TENSOR", "CUSTOM_OBJ", "TOKEN"]
    assert len(gs.OutputKind) == 8


def test_constants_are_python_values():
    sig = gs.load(TORCH_215 / "synthetic_constant_values" / "signature.json")
    values = sig.user_inputs
    assert values[1] == 1.0 and type(values[1]) is float
    assert math.copysign(1, values[2]) == -1.0
    assert values[7] == math.inf and values[8] == -math.inf and math.isnan(values[9])
    assert values[10] == 2**63 - 1 and values[11] == -(2**63)
    assert values[13] is False and values[14] == "" and values[15] is None
    arg = sig.input_specs[1].arg
    assert isinstance(arg, gs.ConstantArgument) and arg.value == 1.0
    assert gs.ConstantArgument("c", True) != gs.ConstantArgument("c", 1)
    assert gs.ConstantArgument("c", math.nan) == gs.ConstantArgument("c", math.nan)


def test_arguments_are_immutable_hashable_values():
    a = gs.TensorArgument("x")
    assert a == gs.TensorArgument("x") and hash(a) == hash(gs.TensorArgument("x"))
    assert a != gs.SymIntArgument("x")
    with pytest.raises(AttributeError):
        a.name = "y"
    assert repr(gs.ConstantArgument("n", None)) == "ConstantArgument(name='n', value=None)"
    assert repr(gs.CustomObjArgument("o", "__torch__.Foo")) == "CustomObjArgument(name='o', class_fqn='__torch__.Foo')"
    # Pattern matching (`case TensorArgument(name)`) reads __match_args__.
    assert gs.TensorArgument.__match_args__ == ("name",)
    assert gs.InputSpec.__match_args__ == ("kind", "arg", "target", "persistent")


def test_a_signature_is_built_from_specs_and_equals_the_one_read():
    raw = read_json(TORCH_215 / "mutations" / "specs.json")
    built = gs.Signature(*specs(raw))
    assert built == gs.load(TORCH_215 / "mutations" / "signature.json")
    assert built != gs.ExportGraphSignature([], [])
    with pytest.raises(TypeError):
        hash(built)
    assert repr(built).startswith("<ExportGraphSignature: ")


def test_spec_lists_are_copies():
    sig = every_kind()
    specs_list = sig.input_specs
    specs_list.clear()
    assert len(sig.input_specs) == 6


def test_replace_all_uses_renames_arguments_not_targets_as_torch_does():
    sig = every_kind()
    before = sig.input_specs
    sig.replace_all_uses("x", "x_1")
    assert sig.user_inputs == ("x_1",)
    assert sig.user_inputs_to_mutate == {"new_x": "x"}
    sig.replace_all_uses("out", "out_2")
    assert sig.user_outputs[0] == "out_2"
    # What was read before the edit does not change.
    assert before[0].arg.name == "x"


def test_replace_all_uses_leaves_a_copy_alone():
    import copy

    sig = every_kind()
    other = copy.copy(sig)
    sig.replace_all_uses("x", "y")
    assert other.user_inputs == ("x",) and sig.user_inputs == ("y",)


class Node:
    def __init__(self, name, op):
        self.name, self.op = name, op


def test_the_replace_hook_follows_torch():
    sig = every_kind()
    hook = sig.get_replace_hook()
    hook(Node("out", "call_function"), "out_1", Node("output", "output"))
    assert sig.user_outputs[0] == "out_1"
    hook(Node("x", "placeholder"), "x_1", Node("add", "call_function"))
    assert sig.user_inputs == ("x",)
    sig.get_replace_hook(replace_inputs=True)(Node("x", "placeholder"), "x_1", Node("add", "call_function"))
    assert sig.user_inputs == ("x_1",)


def test_import_needs_neither_torch_nor_numpy():
    code = "import sys, graph_signature; assert 'torch' not in sys.modules and 'numpy' not in sys.modules, sorted(sys.modules)"
    subprocess.run([sys.executable, "-c", code], check=True)


def _stub_names(tree):
    names = set()
    for node in tree.body:
        if isinstance(node, (ast.ClassDef, ast.FunctionDef)):
            names.add(node.name)
        elif isinstance(node, ast.AnnAssign):
            names.add(node.target.id)
        elif isinstance(node, ast.Assign):
            names.update(t.id for t in node.targets)
    return names


def test_the_stubs_cover_every_public_name_and_every_name_has_a_docstring():
    assert (PACKAGE / "py.typed").exists()
    stub = _stub_names(ast.parse((PACKAGE / "__init__.pyi").read_text()))
    missing = [n for n in gs.__all__ if n not in stub]
    assert not missing, f"not in __init__.pyi: {missing}"
    undocumented = [n for n in gs.__all__
                    if not n.startswith("__") and n != "FORMATS"
                    and not (getattr(gs, n).__doc__ or "").strip()]
    assert not undocumented, undocumented
    for cls in (gs.ExportGraphSignature, gs.InputSpec, gs.OutputSpec, gs.ExportBackwardSignature, gs.Violation):
        for attr, value in vars(cls).items():
            if attr.startswith("_") or attr in ("__match_args__",):
                continue
            assert (getattr(value, "__doc__", None) or "").strip(), f"{cls.__name__}.{attr} has no docstring"
    assert gs.__version__ == "0.1.0"
