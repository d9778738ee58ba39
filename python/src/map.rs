//! The archive map (the library's `map` module, docs/map.md): `graph_signature.map()` and
//! the immutable classes over the library's binding plan, tensor metadata, payload index and
//! findings. The numpy views of payloads are made in `graph_signature/_numpy.py` (numpy is
//! imported there, lazily), over the buffer this module keeps for each map.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use graph_signature::archive::pt2::{Archive, Layout};
use graph_signature::map::{
    self as lib, Destination as LibDestination, Encoding, Hint, ObjectEncoding, PayloadTable, Profile, Severity,
    Source as LibSource, SymExpr as LibSymExpr, SymInt, SymScalar, ValueMeta as LibValueMeta,
};
use graph_signature::Error;
use pyo3::exceptions::PyKeyError;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBool, PyBytes, PyFloat, PyMemoryView, PyTuple};
use pyo3::IntoPyObjectExt;

use crate::errors::detached;
use crate::signature::ExportGraphSignature;
use crate::types::{constant_to_py, input_kind_to_py, output_kind_to_py};
use crate::Input;

/// `repr()` of a class with its fields, as a dataclass writes it.
fn repr_of(class: &str, fields: &[(&str, Bound<'_, PyAny>)]) -> PyResult<String> {
    let parts: Vec<String> =
        fields.iter().map(|(name, value)| Ok(format!("{name}={}", value.repr()?))).collect::<PyResult<_>>()?;
    Ok(format!("{class}({})", parts.join(", ")))
}

fn any<'py, T: IntoPyObject<'py>>(py: Python<'py>, value: T) -> PyResult<Bound<'py, PyAny>> {
    value.into_bound_py_any(py)
}

fn hint_to_py<'py>(py: Python<'py>, hint: &Hint) -> PyResult<Bound<'py, PyAny>> {
    Ok(match *hint {
        Hint::Int(v) => any(py, v)?,
        Hint::Float(v) => PyFloat::new(py, v).into_any(),
        Hint::Bool(v) => PyBool::new(py, v).to_owned().into_any(),
    })
}

/// A size, stride or offset: an `int`, or a `SymExpr`.
fn sym_int_to_py<'py>(py: Python<'py>, s: &SymInt) -> PyResult<Bound<'py, PyAny>> {
    match s {
        SymInt::Int(v) => any(py, *v),
        SymInt::Expr(e) => Ok(Bound::new(py, SymExpr(e.clone()))?.into_any()),
    }
}

fn sym_ints<'py>(py: Python<'py>, items: &[SymInt]) -> PyResult<Bound<'py, PyTuple>> {
    PyTuple::new(py, items.iter().map(|s| sym_int_to_py(py, s)).collect::<PyResult<Vec<_>>>()?)
}

/// The element size of a dtype, `None` for an unknown one.
fn element_size(dtype: graph_signature::map::Dtype) -> Option<u64> {
    dtype.element_size()
}

/// A symbolic expression as torch wrote it (`expr`), its short form (`short`: `s77` for
/// `Symbol('s77', positive=True, integer=True)`) and the value it had when the program was
/// traced (`hint`: an `int`, `float` or `bool`, or `None`).
#[pyclass(frozen, eq, module = "graph_signature")]
#[derive(Clone, PartialEq)]
pub struct SymExpr(LibSymExpr);

#[pymethods]
impl SymExpr {
    /// The expression as torch wrote it.
    #[getter]
    fn expr(&self) -> &str {
        &self.0.expr
    }

    /// The short form, each `Symbol('name', ...)` replaced by its name.
    #[getter]
    fn short(&self) -> &str {
        &self.0.short
    }

    /// The traced value, or `None`.
    #[getter]
    fn hint<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        match &self.0.hint {
            Some(h) => hint_to_py(py, h),
            None => Ok(py.None().into_bound(py)),
        }
    }

    /// The symbols the expression uses (by their short names).
    #[getter]
    fn symbols<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        PyTuple::new(py, self.0.symbols())
    }

    fn __str__(&self) -> &str {
        &self.0.short
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        repr_of(
            "SymExpr",
            &[("expr", any(py, &self.0.expr)?), ("short", any(py, &self.0.short)?), ("hint", self.hint(py)?)],
        )
    }
}

/// What torch recorded about a tensor value: `dtype` (torch's name, e.g. `"torch.float32"`),
/// `shape` and `strides` (tuples of `int`, with a `SymExpr` for each symbolic entry),
/// `storage_offset`, `device` (`"cpu"`), `layout` (`"torch.strided"`), `requires_grad`.
#[pyclass(frozen, eq, module = "graph_signature")]
#[derive(Clone, PartialEq)]
pub struct TensorMeta(lib::TensorMeta);

#[pymethods]
impl TensorMeta {
    /// Always `"tensor"` (the JSON's `type`).
    #[getter]
    fn r#type(&self) -> &'static str {
        "tensor"
    }

    /// torch's name of the dtype.
    #[getter]
    fn dtype(&self) -> String {
        self.0.dtype.torch_name().into_owned()
    }

    /// Bytes per element (`None` for a dtype this build does not know).
    #[getter]
    fn element_size(&self) -> Option<u64> {
        element_size(self.0.dtype)
    }

    /// The sizes.
    #[getter]
    fn shape<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        sym_ints(py, &self.0.sizes)
    }

    /// The strides, in elements.
    #[getter]
    fn strides<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        sym_ints(py, &self.0.strides)
    }

    /// The offset into the storage, in elements.
    #[getter]
    fn storage_offset<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        sym_int_to_py(py, &self.0.storage_offset)
    }

    /// The device, e.g. `"cpu"`, `"cuda:0"`.
    #[getter]
    fn device(&self) -> String {
        self.0.device.to_string()
    }

    /// The layout, e.g. `"torch.strided"`.
    #[getter]
    fn layout(&self) -> String {
        self.0.layout.torch_name()
    }

    /// Whether it requires grad.
    #[getter]
    fn requires_grad(&self) -> bool {
        self.0.requires_grad
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        repr_of(
            "TensorMeta",
            &[
                ("dtype", any(py, self.dtype())?),
                ("shape", self.shape(py)?.into_any()),
                ("strides", self.strides(py)?.into_any()),
                ("storage_offset", self.storage_offset(py)?),
                ("device", any(py, self.device())?),
                ("layout", any(py, self.layout())?),
                ("requires_grad", any(py, self.0.requires_grad)?),
            ],
        )
    }
}

/// What torch recorded about a value that is not a tensor: `type` is `"sym_int"`,
/// `"sym_float"`, `"sym_bool"` (`value`: an `int`, `float` or `bool`, or a `SymExpr`),
/// `"custom_obj"` (`class_fqn`), `"constant"` (`value`) or `"token"`.
#[pyclass(frozen, eq, module = "graph_signature")]
#[derive(Clone, PartialEq)]
pub struct ValueMeta(LibValueMeta);

#[pymethods]
impl ValueMeta {
    /// The JSON's `type`.
    #[getter]
    fn r#type(&self) -> &'static str {
        match &self.0 {
            LibValueMeta::Tensor(_) => "tensor",
            LibValueMeta::SymInt { .. } => "sym_int",
            LibValueMeta::SymFloat { .. } => "sym_float",
            LibValueMeta::SymBool { .. } => "sym_bool",
            LibValueMeta::CustomObj { .. } => "custom_obj",
            LibValueMeta::Constant { .. } => "constant",
            LibValueMeta::Token => "token",
            _ => "unknown",
        }
    }

    /// The value (SymInt, SymFloat, SymBool, constant); `None` for the other types.
    #[getter]
    fn value<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let scalar = |s: &SymScalar| match s {
            SymScalar::Known(h) => hint_to_py(py, h),
            SymScalar::Expr(e) => Ok(Bound::new(py, SymExpr(e.clone()))?.into_any()),
        };
        match &self.0 {
            LibValueMeta::SymInt { value } => sym_int_to_py(py, value),
            LibValueMeta::SymFloat { value } | LibValueMeta::SymBool { value } => scalar(value),
            LibValueMeta::Constant { value } => constant_to_py(py, value),
            _ => Ok(py.None().into_bound(py)),
        }
    }

    /// The class of a custom object; `None` for the other types.
    #[getter]
    fn class_fqn(&self) -> Option<&str> {
        match &self.0 {
            LibValueMeta::CustomObj { class_fqn } => Some(class_fqn),
            _ => None,
        }
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let mut fields = vec![("type", any(py, self.r#type())?)];
        match &self.0 {
            LibValueMeta::CustomObj { class_fqn } => fields.push(("class_fqn", any(py, class_fqn)?)),
            LibValueMeta::Token => {}
            _ => fields.push(("value", self.value(py)?)),
        }
        repr_of("ValueMeta", &fields)
    }
}

/// A value's metadata as its Python object: `TensorMeta`, `ValueMeta` or `None`.
fn meta_to_py<'py>(py: Python<'py>, meta: &Option<LibValueMeta>) -> PyResult<Bound<'py, PyAny>> {
    Ok(match meta {
        None => py.None().into_bound(py),
        Some(LibValueMeta::Tensor(t)) => Bound::new(py, TensorMeta(t.clone()))?.into_any(),
        Some(other) => Bound::new(py, ValueMeta(other.clone()))?.into_any(),
    })
}

/// Where a graph input comes from (the JSON's `source`). `from_` (`from` is a Python
/// keyword) is `"payload"` (`target`, `found`), `"caller"` (`path`), `"constant"` (`value`,
/// `path`), `"custom_object"` (`target`, `class_fqn`, `found`) or `"token"`; the fields a
/// kind of source does not have are `None`.
#[pyclass(frozen, eq, module = "graph_signature")]
#[derive(Clone, PartialEq)]
pub struct Source(LibSource);

#[pymethods]
impl Source {
    /// The JSON's `from`.
    #[getter]
    fn from_(&self) -> &'static str {
        match &self.0 {
            LibSource::Payload { .. } => "payload",
            LibSource::Caller { .. } => "caller",
            LibSource::Constant { .. } => "constant",
            LibSource::CustomObject { .. } => "custom_object",
            LibSource::Token => "token",
            _ => "unknown",
        }
    }

    /// The spec's target (a payload or a custom object).
    #[getter]
    fn target(&self) -> Option<&str> {
        match &self.0 {
            LibSource::Payload { target, .. } | LibSource::CustomObject { target, .. } => Some(target),
            _ => None,
        }
    }

    /// Whether the payload index has the target (a payload or a custom object).
    #[getter]
    fn found(&self) -> Option<bool> {
        match &self.0 {
            LibSource::Payload { found, .. } | LibSource::CustomObject { found, .. } => Some(*found),
            _ => None,
        }
    }

    /// The caller's pytree path (`"args[0]"`, `"kwargs['mask']"`), when known.
    #[getter]
    fn path(&self) -> Option<&str> {
        match &self.0 {
            LibSource::Caller { path } | LibSource::Constant { path, .. } => path.as_deref(),
            _ => None,
        }
    }

    /// The constant's value.
    #[getter]
    fn value<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        match &self.0 {
            LibSource::Constant { value, .. } => constant_to_py(py, value),
            _ => Ok(py.None().into_bound(py)),
        }
    }

    /// The custom object's class, when the graph records it.
    #[getter]
    fn class_fqn(&self) -> Option<&str> {
        match &self.0 {
            LibSource::CustomObject { class_fqn, .. } => class_fqn.as_deref(),
            _ => None,
        }
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let mut fields = vec![("from_", any(py, self.from_())?)];
        match &self.0 {
            LibSource::Payload { .. } => {
                fields.push(("target", any(py, self.target())?));
                fields.push(("found", any(py, self.found())?));
            }
            LibSource::Caller { .. } => fields.push(("path", any(py, self.path())?)),
            LibSource::Constant { .. } => {
                fields.push(("value", self.value(py)?));
                fields.push(("path", any(py, self.path())?));
            }
            LibSource::CustomObject { .. } => {
                fields.push(("target", any(py, self.target())?));
                fields.push(("class_fqn", any(py, self.class_fqn())?));
                fields.push(("found", any(py, self.found())?));
            }
            _ => {}
        }
        repr_of("Source", &fields)
    }
}

/// Where a graph output goes (the JSON's `destination`). `to` is `"caller"` (`path`: the
/// pytree path into the returned value, `""` for the value itself, `None` when unknown),
/// `"loss"` (`path`), `"write_back"` (`kind`: `"BUFFER"`, `"PARAMETER"` or `"USER_INPUT"`;
/// `target`), `"gradient"` (`of`: `"PARAMETER"` or `"USER_INPUT"`; `target`) or `"token"`;
/// the fields a kind of destination does not have are `None`.
#[pyclass(frozen, eq, module = "graph_signature")]
#[derive(Clone, PartialEq)]
pub struct Destination(LibDestination);

#[pymethods]
impl Destination {
    /// The JSON's `to`.
    #[getter]
    fn to(&self) -> &'static str {
        match &self.0 {
            LibDestination::Caller { .. } => "caller",
            LibDestination::Loss { .. } => "loss",
            LibDestination::WriteBack { .. } => "write_back",
            LibDestination::Gradient { .. } => "gradient",
            LibDestination::Token => "token",
            _ => "unknown",
        }
    }

    /// The pytree path into the returned value (caller, loss), when known.
    #[getter]
    fn path(&self) -> Option<&str> {
        match &self.0 {
            LibDestination::Caller { path } | LibDestination::Loss { path } => path.as_deref(),
            _ => None,
        }
    }

    /// What a write-back writes: `"BUFFER"`, `"PARAMETER"` or `"USER_INPUT"`.
    #[getter]
    fn kind(&self) -> Option<&'static str> {
        match &self.0 {
            LibDestination::WriteBack { kind, .. } => Some(kind),
            _ => None,
        }
    }

    /// Of what a gradient is: `"PARAMETER"` or `"USER_INPUT"`.
    #[getter]
    fn of(&self) -> Option<&'static str> {
        match &self.0 {
            LibDestination::Gradient { of, .. } => Some(of),
            _ => None,
        }
    }

    /// The target of a write-back or gradient.
    #[getter]
    fn target(&self) -> Option<&str> {
        match &self.0 {
            LibDestination::WriteBack { target, .. } | LibDestination::Gradient { target, .. } => Some(target),
            _ => None,
        }
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let mut fields = vec![("to", any(py, self.to())?)];
        match &self.0 {
            LibDestination::Caller { .. } | LibDestination::Loss { .. } => fields.push(("path", any(py, self.path())?)),
            LibDestination::WriteBack { .. } => {
                fields.push(("kind", any(py, self.kind())?));
                fields.push(("target", any(py, self.target())?));
            }
            LibDestination::Gradient { .. } => {
                fields.push(("of", any(py, self.of())?));
                fields.push(("target", any(py, self.target())?));
            }
            _ => {}
        }
        repr_of("Destination", &fields)
    }
}

/// One graph input of the binding plan: `index`, `name` (the graph value), `kind` (an
/// `InputKind`), `source` (a `Source`) and `meta` (its value's `TensorMeta`, `ValueMeta` or
/// `None`).
#[pyclass(frozen, eq, module = "graph_signature")]
#[derive(Clone, PartialEq)]
pub struct InputBinding {
    binding: lib::InputBinding,
    kind: graph_signature::InputKind,
    meta: Option<LibValueMeta>,
}

#[pymethods]
impl InputBinding {
    /// Its position among the graph's inputs.
    #[getter]
    fn index(&self) -> usize {
        self.binding.index
    }

    /// The graph value's name.
    #[getter]
    fn name(&self) -> &str {
        &self.binding.name
    }

    /// The spec's kind.
    #[getter]
    fn kind<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        input_kind_to_py(py, self.kind)
    }

    /// Where it comes from.
    #[getter]
    fn source(&self) -> Source {
        Source(self.binding.source.clone())
    }

    /// Its value's metadata.
    #[getter]
    fn meta<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        meta_to_py(py, &self.meta)
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        repr_of(
            "InputBinding",
            &[
                ("index", any(py, self.binding.index)?),
                ("name", any(py, &self.binding.name)?),
                ("kind", self.kind(py)?),
                ("source", Bound::new(py, self.source())?.into_any()),
            ],
        )
    }
}

/// One graph output of the binding plan: `index`, `name`, `kind` (an `OutputKind`),
/// `destination` (a `Destination`) and `meta`.
#[pyclass(frozen, eq, module = "graph_signature")]
#[derive(Clone, PartialEq)]
pub struct OutputBinding {
    binding: lib::OutputBinding,
    kind: graph_signature::OutputKind,
    meta: Option<LibValueMeta>,
}

#[pymethods]
impl OutputBinding {
    /// Its position among the graph's outputs.
    #[getter]
    fn index(&self) -> usize {
        self.binding.index
    }

    /// The graph value's name (empty for a constant output).
    #[getter]
    fn name(&self) -> &str {
        &self.binding.name
    }

    /// The spec's kind.
    #[getter]
    fn kind<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        output_kind_to_py(py, self.kind)
    }

    /// Where it goes.
    #[getter]
    fn destination(&self) -> Destination {
        Destination(self.binding.destination.clone())
    }

    /// Its value's metadata.
    #[getter]
    fn meta<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        meta_to_py(py, &self.meta)
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        repr_of(
            "OutputBinding",
            &[
                ("index", any(py, self.binding.index)?),
                ("name", any(py, &self.binding.name)?),
                ("kind", self.kind(py)?),
                ("destination", Bound::new(py, self.destination())?.into_any()),
            ],
        )
    }
}

/// The inclusive range torch recorded for a symbol: `symbol`, `min`, `max` (`None` where
/// torch wrote `null`; a very large integer where torch wrote one for an unbounded side).
#[pyclass(frozen, eq, module = "graph_signature")]
#[derive(Clone, PartialEq)]
pub struct RangeConstraint(lib::RangeConstraint);

#[pymethods]
impl RangeConstraint {
    /// The symbol, e.g. `"s77"`.
    #[getter]
    fn symbol(&self) -> &str {
        &self.0.symbol
    }

    /// The least value.
    #[getter]
    fn min(&self) -> Option<i64> {
        self.0.min
    }

    /// The greatest value.
    #[getter]
    fn max(&self) -> Option<i64> {
        self.0.max
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        repr_of(
            "RangeConstraint",
            &[("symbol", any(py, &self.0.symbol)?), ("min", any(py, self.0.min)?), ("max", any(py, self.0.max)?)],
        )
    }
}

/// The bytes of one storage: `record` (the archive's record), `member` (the record inside a
/// nested `torch.save` zip, or `None`), `offset` (absolute, in the file), `length`, `stored`
/// (not compressed: a runtime can map them).
#[pyclass(frozen, eq, module = "graph_signature")]
#[derive(Clone, PartialEq)]
pub struct Storage(lib::Storage);

#[pymethods]
impl Storage {
    /// The archive's record.
    #[getter]
    fn record(&self) -> &str {
        &self.0.record
    }

    /// The record inside a nested `torch.save` zip, if any.
    #[getter]
    fn member(&self) -> Option<&str> {
        self.0.member.as_deref()
    }

    /// The absolute byte offset of the bytes in the file (in the bytes, for a map of bytes).
    #[getter]
    fn offset(&self) -> u64 {
        self.0.offset
    }

    /// Their length in bytes.
    #[getter]
    fn length(&self) -> u64 {
        self.0.length
    }

    /// Whether they are stored as they are, not compressed.
    #[getter]
    fn stored(&self) -> bool {
        self.0.stored
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        repr_of(
            "Storage",
            &[
                ("record", any(py, &self.0.record)?),
                ("member", any(py, self.0.member.as_deref())?),
                ("offset", any(py, self.0.offset)?),
                ("length", any(py, self.0.length)?),
                ("stored", any(py, self.0.stored)?),
            ],
        )
    }
}

/// One lifted tensor of the payload index: `name`, `table` (`"weights"` or `"constants"`),
/// `is_param`, `storage` (an index into `PayloadIndex.storages`; equal for tensors sharing a
/// storage), `encoding` (`"raw"` or `"pickle"`), `dtype`, `shape`, `strides` (in
/// elements), `storage_offset` (in elements), `requires_grad`.
#[pyclass(frozen, eq, module = "graph_signature")]
#[derive(Clone, PartialEq)]
pub struct TensorPayload(lib::TensorPayload);

#[pymethods]
impl TensorPayload {
    /// Its name in the state dict or the constants.
    #[getter]
    fn name(&self) -> &str {
        &self.0.name
    }

    /// `"weights"` or `"constants"`.
    #[getter]
    fn table(&self) -> &'static str {
        match self.0.table {
            PayloadTable::Weights => "weights",
            PayloadTable::Constants => "constants",
        }
    }

    /// Whether it is a parameter.
    #[getter]
    fn is_param(&self) -> bool {
        self.0.is_param
    }

    /// The index of its storage.
    #[getter]
    fn storage(&self) -> usize {
        self.0.storage
    }

    /// `"raw"` (the storage's bytes, little-endian) or `"pickle"` (a pickled tensor subclass).
    #[getter]
    fn encoding(&self) -> &'static str {
        match self.0.encoding {
            Encoding::Raw => "raw",
            Encoding::Pickle => "pickle",
        }
    }

    /// torch's name of the dtype.
    #[getter]
    fn dtype(&self) -> String {
        self.0.dtype.torch_name().into_owned()
    }

    /// Bytes per element (`None` for a dtype this build does not know).
    #[getter]
    fn element_size(&self) -> Option<u64> {
        element_size(self.0.dtype)
    }

    /// The sizes.
    #[getter]
    fn shape<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        PyTuple::new(py, &self.0.shape)
    }

    /// The strides, in elements.
    #[getter]
    fn strides<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        PyTuple::new(py, &self.0.strides)
    }

    /// The offset into the storage, in elements.
    #[getter]
    fn storage_offset(&self) -> i64 {
        self.0.storage_offset
    }

    /// Whether it requires grad.
    #[getter]
    fn requires_grad(&self) -> bool {
        self.0.requires_grad
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        repr_of(
            "TensorPayload",
            &[
                ("name", any(py, &self.0.name)?),
                ("table", any(py, self.table())?),
                ("is_param", any(py, self.0.is_param)?),
                ("storage", any(py, self.0.storage)?),
                ("encoding", any(py, self.encoding())?),
                ("dtype", any(py, self.dtype())?),
                ("shape", self.shape(py)?.into_any()),
                ("strides", self.strides(py)?.into_any()),
                ("storage_offset", any(py, self.0.storage_offset)?),
                ("requires_grad", any(py, self.0.requires_grad)?),
            ],
        )
    }
}

/// One lifted custom or opaque object: `name`, `storage` (a `Storage`), `encoding`
/// (`"torch_script"`, `"pickle"` or `"in_constants_pickle"`). Named, never unpickled.
#[pyclass(frozen, eq, module = "graph_signature")]
#[derive(Clone, PartialEq)]
pub struct ObjectPayload(lib::ObjectPayload);

#[pymethods]
impl ObjectPayload {
    /// Its name in the constants.
    #[getter]
    fn name(&self) -> &str {
        &self.0.name
    }

    /// Its bytes.
    #[getter]
    fn storage(&self) -> Storage {
        Storage(self.0.storage.clone())
    }

    /// How they are encoded.
    #[getter]
    fn encoding(&self) -> &'static str {
        match self.0.encoding {
            ObjectEncoding::TorchScript => "torch_script",
            ObjectEncoding::Pickle => "pickle",
            ObjectEncoding::InConstantsPickle => "in_constants_pickle",
        }
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        repr_of(
            "ObjectPayload",
            &[
                ("name", any(py, &self.0.name)?),
                ("storage", Bound::new(py, self.storage())?.into_any()),
                ("encoding", any(py, self.encoding())?),
            ],
        )
    }
}

/// Where every lifted tensor's and object's bytes are: `storages`, `tensors`, `objects`
/// (tuples, in the order the archive's tables list them); `tensor(name)` and `object(name)`
/// look one up.
#[pyclass(frozen, module = "graph_signature")]
pub struct PayloadIndex {
    map: Arc<lib::ArchiveMap>,
    storages: Py<PyTuple>,
    tensors: Py<PyTuple>,
    objects: Py<PyTuple>,
}

#[pymethods]
impl PayloadIndex {
    /// The storages, each once.
    #[getter]
    fn storages(&self, py: Python<'_>) -> Py<PyTuple> {
        self.storages.clone_ref(py)
    }

    /// The tensors.
    #[getter]
    fn tensors(&self, py: Python<'_>) -> Py<PyTuple> {
        self.tensors.clone_ref(py)
    }

    /// The objects.
    #[getter]
    fn objects(&self, py: Python<'_>) -> Py<PyTuple> {
        self.objects.clone_ref(py)
    }

    /// The tensor named `name` (a state-dict or constant name); `KeyError` if none.
    fn tensor(&self, name: &str) -> PyResult<TensorPayload> {
        self.map
            .payloads
            .tensor(name)
            .map(|t| TensorPayload(t.clone()))
            .ok_or_else(|| PyKeyError::new_err(name.to_owned()))
    }

    /// The object named `name`; `KeyError` if none.
    fn object(&self, name: &str) -> PyResult<ObjectPayload> {
        self.map
            .payloads
            .object(name)
            .map(|o| ObjectPayload(o.clone()))
            .ok_or_else(|| PyKeyError::new_err(name.to_owned()))
    }

    fn __repr__(&self) -> String {
        let p = &self.map.payloads;
        format!(
            "<PayloadIndex: {} tensors in {} storages, {} objects>",
            p.tensors.len(),
            p.storages.len(),
            p.objects.len()
        )
    }
}

/// One finding of the consistency checks (docs/map.md): `code` (the rule's stable code,
/// e.g. `"map-missing-payload"`: compare codes, not messages), `severity` (`"error"` or
/// `"warning"`), `at` (`"inputs[3]"`, a payload's name, a symbol), `message`.
#[pyclass(frozen, eq, module = "graph_signature")]
#[derive(Clone, PartialEq)]
pub struct Finding(lib::Finding);

#[pymethods]
impl Finding {
    /// The rule's stable code.
    #[getter]
    fn code(&self) -> &'static str {
        self.0.code
    }

    /// `"error"` or `"warning"`.
    #[getter]
    fn severity(&self) -> &'static str {
        match self.0.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }

    /// Where.
    #[getter]
    fn at(&self) -> &str {
        &self.0.at
    }

    /// What is wrong.
    #[getter]
    fn message(&self) -> &str {
        &self.0.message
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        repr_of(
            "Finding",
            &[
                ("code", any(py, self.0.code)?),
                ("severity", any(py, self.severity())?),
                ("at", any(py, &self.0.at)?),
                ("message", any(py, &self.0.message)?),
            ],
        )
    }
}

/// What identifies the version of a file that was read: device, inode, size, modification
/// time in ns (`None` where the platform does not say).
type Identity = (Option<u64>, Option<u64>, u64, Option<i128>);

/// What a map was built from: its bytes are where the numpy views look.
enum Origin {
    /// A file, with what identifies the version of it that was read (device, inode, size,
    /// modification time in ns; `None` where the platform does not say).
    Path { path: PathBuf, identity: Identity },
    /// Bytes (kept: the views are over them).
    Bytes(Py<PyBytes>),
}

#[cfg(unix)]
fn identity_of(file: &File) -> std::io::Result<Identity> {
    use std::os::unix::fs::MetadataExt;
    let m = file.metadata()?;
    let mtime = i128::from(m.mtime()) * 1_000_000_000 + i128::from(m.mtime_nsec());
    Ok((Some(m.dev()), Some(m.ino()), m.len(), Some(mtime)))
}

#[cfg(not(unix))]
fn identity_of(file: &File) -> std::io::Result<Identity> {
    Ok((None, None, file.metadata()?.len(), None))
}

/// The map of the archive at `path` and the identity of the file it was read from (the same
/// open file: a file replaced meanwhile is told apart by the numpy views).
fn open_path(path: &Path, model: Option<&str>) -> Result<(lib::ArchiveMap, Identity), Error> {
    let file = File::open(path).map_err(|e| Error::from(e).with_path(path))?;
    let identity = identity_of(&file).map_err(|e| Error::from(e).with_path(path))?;
    // As `ArchiveMap::open` does, on the file whose identity was taken.
    let mut archive = Archive::new(file).map_err(|e| e.with_path(path))?;
    let name = archive.select_model(model)?.to_owned();
    let map = lib::ArchiveMap::build(&mut archive, &name).map_err(|e| e.with_path(path))?;
    Ok((map, identity))
}

fn open_bytes(bytes: &[u8], model: Option<&str>) -> Result<lib::ArchiveMap, Error> {
    let mut archive = Archive::new(std::io::Cursor::new(bytes))?;
    let name = archive.select_model(model)?.to_owned();
    lib::ArchiveMap::build(&mut archive, &name)
}

/// The archive map of one program of a `.pt2` (docs/map.md): for every graph input where it
/// comes from and for every output where it goes (`inputs`, `outputs`), the metadata torch
/// recorded for their values (`inputs_meta`, `outputs_meta`), the range constraints, where
/// every lifted tensor's bytes are (`payloads`) and the consistency checks (`check()`).
/// Built by `graph_signature.map()` (or `ArchiveMap.open()`) without executing a pickle and
/// without reading a weight.
///
/// With numpy installed, `tensor(name)`, `state_dict()` and `constants()` give read-only
/// numpy arrays over the archive's bytes, mapped into memory, without copying them.
#[pyclass(frozen, module = "graph_signature")]
pub struct ArchiveMap {
    map: Arc<lib::ArchiveMap>,
    origin: Origin,
    inputs: PyOnceLock<Py<PyTuple>>,
    outputs: PyOnceLock<Py<PyTuple>>,
    payloads: PyOnceLock<Py<PayloadIndex>>,
    buffer: PyOnceLock<Py<PyAny>>,
}

impl ArchiveMap {
    fn new(map: lib::ArchiveMap, origin: Origin) -> Self {
        Self {
            map: Arc::new(map),
            origin,
            inputs: PyOnceLock::new(),
            outputs: PyOnceLock::new(),
            payloads: PyOnceLock::new(),
            buffer: PyOnceLock::new(),
        }
    }

    /// The map of `source` (a path or bytes), built with the interpreter released.
    pub fn of(py: Python<'_>, source: &Bound<'_, PyAny>, model: Option<String>) -> PyResult<Self> {
        match Input::of(source)? {
            Input::Path(path) => {
                let (map, identity) =
                    detached(py, || open_path(&path, model.as_deref())).map_err(|f| f.into_py(py, Some(&path)))?;
                Ok(Self::new(map, Origin::Path { path, identity }))
            }
            Input::Bytes(bytes) => {
                let data = bytes.as_bytes();
                let map = detached(py, || open_bytes(data, model.as_deref())).map_err(|f| f.into_py(py, None))?;
                Ok(Self::new(map, Origin::Bytes(bytes.unbind())))
            }
        }
    }

    fn profile(strict: bool) -> Profile {
        if strict {
            Profile::Strict
        } else {
            Profile::Default
        }
    }

    fn numpy<'py>(
        slf: &Bound<'py, Self>,
        function: &str,
        args: impl pyo3::call::PyCallArgs<'py>,
    ) -> PyResult<Bound<'py, PyAny>> {
        slf.py().import("graph_signature._numpy")?.getattr(function)?.call1(args)
    }
}

#[pymethods]
impl ArchiveMap {
    /// The map of program `model` (`None`: the only one) of the `.pt2` at `source` (a path,
    /// or the archive's bytes), as `graph_signature.map()`.
    #[staticmethod]
    #[pyo3(signature = (source, *, model = None))]
    fn open(py: Python<'_>, source: &Bound<'_, PyAny>, model: Option<String>) -> PyResult<Self> {
        Self::of(py, source, model)
    }

    /// The program's name.
    #[getter]
    fn model(&self) -> &str {
        &self.map.model
    }

    /// `"pt2-archive"` (torch 2.8+) or `"legacy-zip"` (torch 2.1 to 2.7).
    #[getter]
    fn layout(&self) -> &'static str {
        match self.map.layout {
            Layout::LegacyZip => "legacy-zip",
            _ => "pt2-archive",
        }
    }

    /// torch's schema version of the program (`"8.20"`), or `None`.
    #[getter]
    fn torch_schema_version(&self) -> Option<String> {
        self.map.schema_version.map(|v| v.to_string())
    }

    /// The torch release that wrote the program (`"2.15.0+cu132"`), or `None`.
    #[getter]
    fn torch_version(&self) -> Option<&str> {
        self.map.program.as_ref().and_then(|p| p.torch_version.as_deref())
    }

    /// The file the map was read from (`None` for bytes).
    #[getter]
    fn path(&self) -> Option<&Path> {
        match &self.origin {
            Origin::Path { path, .. } => Some(path),
            Origin::Bytes(_) => None,
        }
    }

    /// The program's signature (a new `ExportGraphSignature` on every access); its specs
    /// have the indices of `inputs` and `outputs`.
    #[getter]
    fn signature(&self) -> ExportGraphSignature {
        ExportGraphSignature::from_model(self.map.signature.clone())
    }

    /// The binding plan's inputs, in graph order (a tuple of `InputBinding`).
    #[getter]
    fn inputs(&self, py: Python<'_>) -> PyResult<Py<PyTuple>> {
        let t = self.inputs.get_or_try_init(py, || {
            let m = &self.map;
            let items =
                m.plan.inputs.iter().zip(m.signature.input_specs()).zip(&m.inputs_meta).map(|((b, spec), meta)| {
                    Bound::new(py, InputBinding { binding: b.clone(), kind: spec.kind, meta: meta.clone() })
                });
            Ok::<_, PyErr>(PyTuple::new(py, items.collect::<PyResult<Vec<_>>>()?)?.unbind())
        })?;
        Ok(t.clone_ref(py))
    }

    /// The binding plan's outputs, in graph order (a tuple of `OutputBinding`).
    #[getter]
    fn outputs(&self, py: Python<'_>) -> PyResult<Py<PyTuple>> {
        let t = self.outputs.get_or_try_init(py, || {
            let m = &self.map;
            let items =
                m.plan.outputs.iter().zip(m.signature.output_specs()).zip(&m.outputs_meta).map(|((b, spec), meta)| {
                    Bound::new(py, OutputBinding { binding: b.clone(), kind: spec.kind, meta: meta.clone() })
                });
            Ok::<_, PyErr>(PyTuple::new(py, items.collect::<PyResult<Vec<_>>>()?)?.unbind())
        })?;
        Ok(t.clone_ref(py))
    }

    /// The metadata of each input spec's value, in order (`TensorMeta`, `ValueMeta` or
    /// `None` where the program records none).
    #[getter]
    fn inputs_meta<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        PyTuple::new(py, self.map.inputs_meta.iter().map(|m| meta_to_py(py, m)).collect::<PyResult<Vec<_>>>()?)
    }

    /// The metadata of each output spec's value, in order.
    #[getter]
    fn outputs_meta<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        PyTuple::new(py, self.map.outputs_meta.iter().map(|m| meta_to_py(py, m)).collect::<PyResult<Vec<_>>>()?)
    }

    /// What the plan could not say, and why.
    #[getter]
    fn notes<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        PyTuple::new(py, &self.map.plan.notes)
    }

    /// The program's range constraints (a tuple of `RangeConstraint`).
    #[getter]
    fn range_constraints<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        let items = self.map.program.as_ref().map_or(&[][..], |p| &p.range_constraints);
        PyTuple::new(py, items.iter().map(|r| RangeConstraint(r.clone())))
    }

    /// Where every lifted tensor's and object's bytes are (a `PayloadIndex`).
    #[getter]
    fn payloads(&self, py: Python<'_>) -> PyResult<Py<PayloadIndex>> {
        let p = self.payloads.get_or_try_init(py, || {
            let index = &self.map.payloads;
            Py::new(
                py,
                PayloadIndex {
                    map: Arc::clone(&self.map),
                    storages: PyTuple::new(py, index.storages.iter().map(|s| Storage(s.clone())))?.unbind(),
                    tensors: PyTuple::new(py, index.tensors.iter().map(|t| TensorPayload(t.clone())))?.unbind(),
                    objects: PyTuple::new(py, index.objects.iter().map(|o| ObjectPayload(o.clone())))?.unbind(),
                },
            )
        })?;
        Ok(p.clone_ref(py))
    }

    /// The consistency checks, every finding (a tuple of `Finding`, warnings included);
    /// `strict` adds torch's canonical input order, which runtimes such as NativeRT require.
    #[pyo3(signature = (*, strict = false))]
    fn check<'py>(&self, py: Python<'py>, strict: bool) -> PyResult<Bound<'py, PyTuple>> {
        PyTuple::new(py, self.map.check(Self::profile(strict)).into_iter().map(Finding))
    }

    /// The map as the JSON `graphsig map --json [--strict]` prints (contract in
    /// docs/cli.md, `map_version` 1), without the CLI's final newline.
    #[pyo3(signature = (*, strict = false))]
    fn to_json(&self, py: Python<'_>, strict: bool) -> PyResult<String> {
        let mut bytes = Vec::new();
        let map = Arc::clone(&self.map);
        detached(py, || map.write_json(Self::profile(strict), &mut bytes)).map_err(|f| f.into_py(py, self.path()))?;
        Ok(String::from_utf8(bytes).expect("JSON is UTF-8"))
    }

    /// The tensor `name` of the payload index as a read-only numpy array over the
    /// archive's bytes (mapped into memory; nothing is copied), with the payload's dtype,
    /// shape, strides and storage offset. Needs numpy. The array keeps the mapping alive,
    /// also after the map object is gone.
    ///
    /// dtypes numpy has no type for (`torch.bfloat16`, the float8 types, `torch.complex32`)
    /// raise `UnsupportedPayloadError`, unless `bits` is true: then the array holds their
    /// bits as the unsigned integers of the same width (`bfloat16` as `uint16`, float8 as
    /// `uint8`, `complex32` as `uint32`). A compressed record or a pickled tensor subclass
    /// also raises `UnsupportedPayloadError`; a name not in the index, `KeyError`.
    #[pyo3(signature = (name, *, bits = false))]
    fn tensor<'py>(slf: &Bound<'py, Self>, name: &str, bits: bool) -> PyResult<Bound<'py, PyAny>> {
        Self::numpy(slf, "tensor", (slf, name, bits))
    }

    /// The state dict (parameters and persistent buffers: the payload index's `weights`
    /// table) as a dict of read-only numpy arrays, each as `tensor()` gives it.
    #[pyo3(signature = (*, bits = false))]
    fn state_dict<'py>(slf: &Bound<'py, Self>, bits: bool) -> PyResult<Bound<'py, PyAny>> {
        Self::numpy(slf, "table", (slf, "weights", bits))
    }

    /// The constant tensors (lifted tensor constants and non-persistent buffers: the
    /// `constants` table) as a dict of read-only numpy arrays, each as `tensor()` gives it.
    #[pyo3(signature = (*, bits = false))]
    fn constants<'py>(slf: &Bound<'py, Self>, bits: bool) -> PyResult<Bound<'py, PyAny>> {
        Self::numpy(slf, "table", (slf, "constants", bits))
    }

    /// The read-only buffer the numpy views are made over: the archive file mapped into
    /// memory (made on first use, and checked to be the file the map was read from), or the
    /// bytes the map was built from.
    fn _buffer<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        let py = slf.py();
        let this = slf.get();
        let buffer = this.buffer.get_or_try_init(py, || -> PyResult<Py<PyAny>> {
            Ok(match &this.origin {
                Origin::Path { path, identity } => {
                    Self::numpy(slf, "open_buffer", (path.as_path(), *identity))?.unbind()
                }
                Origin::Bytes(bytes) => PyMemoryView::from(bytes.bind(py).as_any())?.into_any().unbind(),
            })
        })?;
        Ok(buffer.bind(py).clone())
    }

    fn __repr__(&self) -> String {
        let m = &self.map;
        format!(
            "<ArchiveMap model={:?}: {} inputs, {} outputs, {} tensors>",
            m.model,
            m.plan.inputs.len(),
            m.plan.outputs.len(),
            m.payloads.tensors.len()
        )
    }
}

/// The archive map of program `model` (`None`: the only one) of the `.pt2` at `source` (a
/// path, or the archive's bytes): what every graph input and output binds to, where every
/// weight's bytes are, and the consistency checks (see `ArchiveMap`). Raises what `load()`
/// raises for a file it cannot read (`DecodeError` naming the record for a broken config, a
/// pickle outside the allow-list or a view past its record; `UnrecognizedInputError` for a
/// zip that is not an exported program; `ModelSelectionError`; `OSError`s).
#[pyfunction]
#[pyo3(signature = (source, *, model = None))]
pub fn map(py: Python<'_>, source: &Bound<'_, PyAny>, model: Option<String>) -> PyResult<ArchiveMap> {
    ArchiveMap::of(py, source, model)
}

/// Registers the classes and `map` in the extension module.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(map, m)?)?;
    m.add_class::<ArchiveMap>()?;
    m.add_class::<PayloadIndex>()?;
    m.add_class::<InputBinding>()?;
    m.add_class::<OutputBinding>()?;
    m.add_class::<Source>()?;
    m.add_class::<Destination>()?;
    m.add_class::<TensorMeta>()?;
    m.add_class::<ValueMeta>()?;
    m.add_class::<SymExpr>()?;
    m.add_class::<RangeConstraint>()?;
    m.add_class::<Storage>()?;
    m.add_class::<TensorPayload>()?;
    m.add_class::<ObjectPayload>()?;
    m.add_class::<Finding>()?;
    Ok(())
}
