//! torch.export's argument and spec classes, immutable, over the library's model; and the
//! conversions between them and the model.

use graph_signature::model::validate::SpecRef;
use graph_signature::{ArgumentSpec, ConstantValue, InputKind, OutputKind};
use pyo3::exceptions::{PyOverflowError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyString};

/// Python's `repr()` of a string, for reprs that read like torch's dataclasses.
pub fn py_repr(py: Python<'_>, s: &str) -> PyResult<String> {
    Ok(PyString::new(py, s).repr()?.to_string())
}

/// An argument class that holds a graph-node name only.
macro_rules! named_argument {
    ($(#[$doc:meta])* $ty:ident, $variant:ident) => {
        $(#[$doc])*
        #[pyclass(frozen, eq, hash, module = "graph_signature")]
        #[derive(Clone, PartialEq, Eq, Hash)]
        pub struct $ty {
            /// The graph node's name.
            #[pyo3(get)]
            pub name: String,
        }

        #[pymethods]
        impl $ty {
            #[new]
            fn new(name: String) -> Self {
                Self { name }
            }

            #[classattr]
            fn __match_args__() -> (&'static str,) {
                ("name",)
            }

            fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
                Ok(format!("{}(name={})", stringify!($ty), py_repr(py, &self.name)?))
            }
        }

        impl $ty {
            fn into_model(self) -> ArgumentSpec {
                ArgumentSpec::$variant { name: self.name }
            }
        }
    };
}

named_argument!(
    /// torch.export's `TensorArgument`: a tensor graph input or output.
    TensorArgument,
    Tensor
);
named_argument!(
    /// torch.export's `SymIntArgument`: a symbolic integer (e.g. a dynamic dimension).
    SymIntArgument,
    SymInt
);
named_argument!(
    /// torch.export's `SymFloatArgument`: a symbolic float.
    SymFloatArgument,
    SymFloat
);
named_argument!(
    /// torch.export's `SymBoolArgument`: a symbolic bool.
    SymBoolArgument,
    SymBool
);
named_argument!(
    /// torch.export's `TokenArgument`: an effect token.
    TokenArgument,
    Token
);

/// torch.export's `ConstantArgument`: a Python constant (`int`, `float`, `bool`, `str` or
/// `None`) baked into the graph. Values compare as the formats store them: floats by bit
/// pattern (`nan` equals itself), and `True` differs from `1`.
#[pyclass(frozen, eq, hash, module = "graph_signature")]
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct ConstantArgument {
    /// The graph node's name (empty for a constant output, which has no node).
    #[pyo3(get)]
    pub name: String,
    pub value: ConstantValue,
}

#[pymethods]
impl ConstantArgument {
    #[new]
    fn new(name: String, value: &Bound<'_, PyAny>) -> PyResult<Self> {
        Ok(Self { name, value: constant_from_py(value)? })
    }

    #[classattr]
    fn __match_args__() -> (&'static str, &'static str) {
        ("name", "value")
    }

    /// The constant, as a Python value.
    #[getter]
    fn value<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        constant_to_py(py, &self.value)
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let value = constant_to_py(py, &self.value)?.repr()?.to_string();
        Ok(format!("ConstantArgument(name={}, value={value})", py_repr(py, &self.name)?))
    }
}

/// torch.export's `CustomObjArgument`: a TorchScript or opaque custom object.
#[pyclass(frozen, eq, hash, module = "graph_signature")]
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct CustomObjArgument {
    /// The graph node's name.
    #[pyo3(get)]
    pub name: String,
    /// The object's qualified class name, e.g. `__torch__.torch.classes.my.Foo`.
    #[pyo3(get)]
    pub class_fqn: String,
}

#[pymethods]
impl CustomObjArgument {
    #[new]
    #[pyo3(signature = (name, class_fqn, fake_val = None))]
    fn new(name: String, class_fqn: String, fake_val: Option<&Bound<'_, PyAny>>) -> PyResult<Self> {
        if fake_val.is_some_and(|v| !v.is_none()) {
            return Err(PyValueError::new_err("fake_val is not kept: a signature holds no live objects"));
        }
        Ok(Self { name, class_fqn })
    }

    /// Always `None`: torch's fake object lives only in a live program.
    #[getter]
    fn fake_val(&self, py: Python<'_>) -> Py<PyAny> {
        py.None()
    }

    #[classattr]
    fn __match_args__() -> (&'static str, &'static str) {
        ("name", "class_fqn")
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        Ok(format!("CustomObjArgument(name={}, class_fqn={})", py_repr(py, &self.name)?, py_repr(py, &self.class_fqn)?))
    }
}

/// A constant as a Python value.
pub fn constant_to_py<'py>(py: Python<'py>, value: &ConstantValue) -> PyResult<Bound<'py, PyAny>> {
    Ok(match value {
        ConstantValue::None => py.None().into_bound(py),
        ConstantValue::Int(i) => i.into_pyobject(py)?.into_any(),
        ConstantValue::Float(f) => PyFloat::new(py, *f).into_any(),
        ConstantValue::Bool(b) => PyBool::new(py, *b).to_owned().into_any(),
        ConstantValue::String(s) => PyString::new(py, s).into_any(),
        // A value kind added to the library later: its text form, rather than a failure.
        #[allow(unreachable_patterns)]
        other => PyString::new(py, &format!("{other:?}")).into_any(),
    })
}

/// A Python value as a constant: `None`, `bool`, `int` (64-bit), `float` or `str`.
pub fn constant_from_py(value: &Bound<'_, PyAny>) -> PyResult<ConstantValue> {
    if value.is_none() {
        Ok(ConstantValue::None)
    } else if value.is_instance_of::<PyBool>() {
        Ok(ConstantValue::Bool(value.extract()?))
    } else if value.is_instance_of::<PyInt>() {
        value.extract::<i64>().map(ConstantValue::Int).map_err(|_| {
            PyOverflowError::new_err(format!("the constant {value} does not fit in 64 bits, as the formats store it"))
        })
    } else if value.is_instance_of::<PyFloat>() {
        Ok(ConstantValue::Float(value.extract()?))
    } else if value.is_instance_of::<PyString>() {
        Ok(ConstantValue::String(value.extract()?))
    } else {
        Err(PyTypeError::new_err(format!(
            "a constant is an int, float, bool, str or None, not {}",
            value.get_type().name()?
        )))
    }
}

/// An argument as a new Python object of its class.
pub fn argument_to_py<'py>(py: Python<'py>, arg: &ArgumentSpec) -> PyResult<Bound<'py, PyAny>> {
    let name = arg.name().to_owned();
    Ok(match arg {
        ArgumentSpec::Tensor { .. } => Bound::new(py, TensorArgument { name })?.into_any(),
        ArgumentSpec::SymInt { .. } => Bound::new(py, SymIntArgument { name })?.into_any(),
        ArgumentSpec::SymFloat { .. } => Bound::new(py, SymFloatArgument { name })?.into_any(),
        ArgumentSpec::SymBool { .. } => Bound::new(py, SymBoolArgument { name })?.into_any(),
        ArgumentSpec::Token { .. } => Bound::new(py, TokenArgument { name })?.into_any(),
        ArgumentSpec::Constant { value, .. } => {
            Bound::new(py, ConstantArgument { name, value: value.clone() })?.into_any()
        }
        ArgumentSpec::CustomObj { class_fqn, .. } => {
            Bound::new(py, CustomObjArgument { name, class_fqn: class_fqn.clone() })?.into_any()
        }
    })
}

/// One of the argument classes above as the model's argument.
pub fn argument_from_py(arg: &Bound<'_, PyAny>) -> PyResult<ArgumentSpec> {
    macro_rules! try_named {
        ($($ty:ident),*) => {
            $(if let Ok(a) = arg.cast::<$ty>() {
                return Ok(a.get().clone().into_model());
            })*
        };
    }
    try_named!(TensorArgument, SymIntArgument, SymFloatArgument, SymBoolArgument, TokenArgument);
    if let Ok(a) = arg.cast::<ConstantArgument>() {
        let a = a.get();
        return Ok(ArgumentSpec::Constant { name: a.name.clone(), value: a.value.clone() });
    }
    if let Ok(a) = arg.cast::<CustomObjArgument>() {
        let a = a.get();
        return Ok(ArgumentSpec::CustomObj { name: a.name.clone(), class_fqn: a.class_fqn.clone() });
    }
    Err(PyTypeError::new_err(format!(
        "expected an argument (TensorArgument, SymIntArgument, SymFloatArgument, SymBoolArgument, \
         ConstantArgument, CustomObjArgument or TokenArgument), got {}",
        arg.get_type().name()?
    )))
}

static INPUT_KINDS: PyOnceLock<Vec<Py<PyAny>>> = PyOnceLock::new();
static OUTPUT_KINDS: PyOnceLock<Vec<Py<PyAny>>> = PyOnceLock::new();

/// The members of the Python enum `class` (in `_types.py`) for `names`, in that order.
fn enum_members(py: Python<'_>, class: &str, names: impl Iterator<Item = &'static str>) -> PyResult<Vec<Py<PyAny>>> {
    let cls = py.import("graph_signature._types")?.getattr(class)?;
    names.map(|n| Ok(cls.getattr(n)?.unbind())).collect()
}

/// The `InputKind` member of `kind`.
pub fn input_kind_to_py(py: Python<'_>, kind: InputKind) -> PyResult<Bound<'_, PyAny>> {
    let members = INPUT_KINDS
        .get_or_try_init(py, || enum_members(py, "InputKind", InputKind::ALL.iter().map(|k| k.torch_name())))?;
    let i = InputKind::ALL.iter().position(|k| *k == kind).expect("ALL lists every kind");
    Ok(members[i].bind(py).clone())
}

/// The `OutputKind` member of `kind`.
pub fn output_kind_to_py(py: Python<'_>, kind: OutputKind) -> PyResult<Bound<'_, PyAny>> {
    let members = OUTPUT_KINDS
        .get_or_try_init(py, || enum_members(py, "OutputKind", OutputKind::ALL.iter().map(|k| k.torch_name())))?;
    let i = OutputKind::ALL.iter().position(|k| *k == kind).expect("ALL lists every kind");
    Ok(members[i].bind(py).clone())
}

/// A kind given as a member of our enum `class` or as its name (`"PARAMETER"`).
fn kind_name(kind: &Bound<'_, PyAny>, class: &str) -> PyResult<String> {
    if let Ok(name) = kind.cast::<PyString>() {
        return Ok(name.to_string());
    }
    let cls = kind.py().import("graph_signature._types")?.getattr(class)?;
    if kind.is_instance(&cls)? {
        return kind.getattr("name")?.extract();
    }
    Err(PyTypeError::new_err(format!("expected a {class} or its name, got {}", kind.get_type().name()?)))
}

pub fn input_kind_from_py(kind: &Bound<'_, PyAny>) -> PyResult<InputKind> {
    kind_name(kind, "InputKind")?
        .parse()
        .map_err(|e: graph_signature::model::UnknownKind| PyValueError::new_err(e.to_string()))
}

pub fn output_kind_from_py(kind: &Bound<'_, PyAny>) -> PyResult<OutputKind> {
    kind_name(kind, "OutputKind")?
        .parse()
        .map_err(|e: graph_signature::model::UnknownKind| PyValueError::new_err(e.to_string()))
}

fn opt_repr(py: Python<'_>, s: Option<&str>) -> PyResult<String> {
    match s {
        Some(s) => py_repr(py, s),
        None => Ok("None".to_owned()),
    }
}

/// torch.export's `InputSpec`: one graph input, what it is (`kind`), its argument (`arg`),
/// the lifted state it holds (`target`) and, for buffers, whether it is in the
/// `state_dict` (`persistent`). Immutable: edit a signature with `replace_all_uses`.
#[pyclass(frozen, eq, hash, module = "graph_signature")]
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct InputSpec(pub graph_signature::InputSpec);

#[pymethods]
impl InputSpec {
    #[new]
    #[pyo3(signature = (kind, arg, target = None, persistent = None))]
    fn new(
        kind: &Bound<'_, PyAny>,
        arg: &Bound<'_, PyAny>,
        target: Option<String>,
        persistent: Option<bool>,
    ) -> PyResult<Self> {
        Ok(Self(graph_signature::InputSpec {
            kind: input_kind_from_py(kind)?,
            arg: argument_from_py(arg)?,
            target,
            persistent,
        }))
    }

    #[classattr]
    fn __match_args__() -> (&'static str, &'static str, &'static str, &'static str) {
        ("kind", "arg", "target", "persistent")
    }

    /// What the input is (an `InputKind`).
    #[getter]
    fn kind<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        input_kind_to_py(py, self.0.kind)
    }

    /// The graph input's argument.
    #[getter]
    fn arg<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        argument_to_py(py, &self.0.arg)
    }

    /// The fully qualified name of the lifted state, or `None`.
    #[getter]
    fn target(&self) -> Option<&str> {
        self.0.target.as_deref()
    }

    /// For buffers, whether the buffer is in the `state_dict`; else usually `None`.
    #[getter]
    fn persistent(&self) -> Option<bool> {
        self.0.persistent
    }

    /// As torch prints it: `p_w: PARAMETER target='w'`.
    fn __str__(&self) -> String {
        self.0.to_string()
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let persistent = match self.0.persistent {
            Some(true) => "True",
            Some(false) => "False",
            None => "None",
        };
        Ok(format!(
            "InputSpec(kind=InputKind.{}, arg={}, target={}, persistent={persistent})",
            self.0.kind,
            argument_to_py(py, &self.0.arg)?.repr()?,
            opt_repr(py, self.0.target.as_deref())?
        ))
    }
}

/// torch.export's `OutputSpec`: one graph output, what it is (`kind`), its argument (`arg`)
/// and the state or input it mutates or differentiates (`target`). Immutable.
#[pyclass(frozen, eq, hash, module = "graph_signature")]
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct OutputSpec(pub graph_signature::OutputSpec);

#[pymethods]
impl OutputSpec {
    #[new]
    #[pyo3(signature = (kind, arg, target = None))]
    fn new(kind: &Bound<'_, PyAny>, arg: &Bound<'_, PyAny>, target: Option<String>) -> PyResult<Self> {
        Ok(Self(graph_signature::OutputSpec { kind: output_kind_from_py(kind)?, arg: argument_from_py(arg)?, target }))
    }

    #[classattr]
    fn __match_args__() -> (&'static str, &'static str, &'static str) {
        ("kind", "arg", "target")
    }

    /// What the output is (an `OutputKind`).
    #[getter]
    fn kind<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        output_kind_to_py(py, self.0.kind)
    }

    /// The graph output's argument.
    #[getter]
    fn arg<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        argument_to_py(py, &self.0.arg)
    }

    /// The mutated or differentiated state or input, or `None`.
    #[getter]
    fn target(&self) -> Option<&str> {
        self.0.target.as_deref()
    }

    /// As torch prints it: `add_2: BUFFER_MUTATION target='my_buffer2'`.
    fn __str__(&self) -> String {
        self.0.to_string()
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        Ok(format!(
            "OutputSpec(kind=OutputKind.{}, arg={}, target={})",
            self.0.kind,
            argument_to_py(py, &self.0.arg)?.repr()?,
            opt_repr(py, self.0.target.as_deref())?
        ))
    }
}

/// torch.export's `ExportBackwardSignature`: the loss and gradient outputs of a joint
/// forward-backward graph.
#[pyclass(frozen, eq, module = "graph_signature")]
#[derive(Clone, PartialEq, Eq)]
pub struct ExportBackwardSignature(pub graph_signature::ExportBackwardSignature);

fn name_map<'py>(py: Python<'py>, map: &graph_signature::NameMap) -> PyResult<Bound<'py, PyDict>> {
    let dict = PyDict::new(py);
    for (k, v) in map {
        dict.set_item(k, v)?;
    }
    Ok(dict)
}

#[pymethods]
impl ExportBackwardSignature {
    /// Gradient output name → parameter (a new `dict` on every access).
    #[getter]
    fn gradients_to_parameters<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        name_map(py, &self.0.gradients_to_parameters)
    }

    /// Gradient output name → user input (a new `dict` on every access).
    #[getter]
    fn gradients_to_user_inputs<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        name_map(py, &self.0.gradients_to_user_inputs)
    }

    /// The loss output's name.
    #[getter]
    fn loss_output(&self) -> &str {
        &self.0.loss_output
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        Ok(format!(
            "ExportBackwardSignature(gradients_to_parameters={}, gradients_to_user_inputs={}, loss_output={})",
            name_map(py, &self.0.gradients_to_parameters)?.repr()?,
            name_map(py, &self.0.gradients_to_user_inputs)?.repr()?,
            py_repr(py, &self.0.loss_output)?
        ))
    }
}

/// One broken validation rule at one spec: where (`position`, e.g. `"inputs[3]"`, also as
/// `side` and `index`), which rule (`code`, e.g. `"duplicate-input-name"`), what
/// (`message`) and what to do about it (`hint`).
#[pyclass(frozen, eq, hash, module = "graph_signature")]
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Violation {
    /// `"inputs[3]"` or `"outputs[0]"`.
    #[pyo3(get)]
    position: String,
    /// `"input"` or `"output"`.
    #[pyo3(get)]
    side: &'static str,
    /// The spec's index in `input_specs` or `output_specs`.
    #[pyo3(get)]
    index: usize,
    /// The rule's stable code, e.g. `"target-required"`.
    #[pyo3(get)]
    code: &'static str,
    /// What is wrong.
    #[pyo3(get)]
    message: String,
    /// What to do about it.
    #[pyo3(get)]
    hint: String,
}

impl From<&graph_signature::Violation> for Violation {
    fn from(v: &graph_signature::Violation) -> Self {
        let (side, index) = match v.at {
            SpecRef::Input(i) => ("input", i),
            SpecRef::Output(i) => ("output", i),
        };
        Self {
            position: v.at.to_string(),
            side,
            index,
            code: v.rule.code(),
            message: v.rule.to_string(),
            hint: v.rule.hint(),
        }
    }
}

#[pymethods]
impl Violation {
    /// `inputs[3]: input name "x" is already used by inputs[0]`
    fn __str__(&self) -> String {
        format!("{}: {}", self.position, self.message)
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        Ok(format!(
            "Violation(position={}, code={}, message={}, hint={})",
            py_repr(py, &self.position)?,
            py_repr(py, self.code)?,
            py_repr(py, &self.message)?,
            py_repr(py, &self.hint)?
        ))
    }
}
