//! `ExportGraphSignature`: the library's signature behind a lock, answering torch's
//! accessors with torch's Python types.

use std::sync::{Arc, Mutex, MutexGuard};

use graph_signature::codec::{self, torch_json, Format};
use graph_signature::{Node, UserValue};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList, PyMappingProxy, PyString, PyTuple};

use crate::errors::{catch, detached};
use crate::types::{constant_to_py, ExportBackwardSignature, InputSpec, OutputSpec, Violation};

type Model = graph_signature::ExportGraphSignature;

/// What `__reduce__` returns: `decode` and its arguments.
type Reduced<'py> = (Bound<'py, PyAny>, (Bound<'py, PyBytes>, &'static str));

/// torch.export's `ExportGraphSignature`: what every graph input and output of an exported
/// program is. Read one with `graph_signature.load`, `decode` or `from_torch`, or build one
/// from `InputSpec` and `OutputSpec` lists (the spec rules are checked: a list torch would
/// refuse to serialize raises `ValidationError`).
///
/// Every property of torch's class answers with torch's name and Python type. Objects are
/// safe to share between threads; `replace_all_uses` edits in place, as torch's does.
#[pyclass(frozen, module = "graph_signature")]
pub struct ExportGraphSignature {
    // Readers take a snapshot (an `Arc` clone) and work without the lock; an edit copies
    // the signature if a reader still holds it.
    inner: Mutex<Arc<Model>>,
}

impl ExportGraphSignature {
    pub fn from_model(sig: Model) -> Self {
        Self { inner: Mutex::new(Arc::new(sig)) }
    }

    fn lock(&self) -> MutexGuard<'_, Arc<Model>> {
        // The lock guards a pointer swap only: a panic cannot leave it half done.
        self.inner.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The signature as it is now.
    pub fn snapshot(&self) -> Arc<Model> {
        self.lock().clone()
    }
}

fn strings<'py>(py: Python<'py>, items: &[String]) -> PyResult<Bound<'py, PyTuple>> {
    PyTuple::new(py, items)
}

fn values<'py>(py: Python<'py>, items: &[UserValue]) -> PyResult<Bound<'py, PyTuple>> {
    let objects = items
        .iter()
        .map(|v| match v {
            UserValue::Name(n) => Ok(PyString::new(py, n).into_any()),
            UserValue::Constant(c) => constant_to_py(py, c),
        })
        .collect::<PyResult<Vec<_>>>()?;
    PyTuple::new(py, objects)
}

fn read_only<'py>(py: Python<'py>, map: &graph_signature::NameMap) -> PyResult<Bound<'py, PyMappingProxy>> {
    let dict = PyDict::new(py);
    for (k, v) in map {
        dict.set_item(k, v)?;
    }
    Ok(PyMappingProxy::new(py, dict.as_mapping()))
}

/// The arguments of `get_replace_hook`'s hook: FX nodes, of which `name` and `op` are read.
fn node_name_op(node: &Bound<'_, PyAny>) -> PyResult<(String, String)> {
    Ok((node.getattr("name")?.extract()?, node.getattr("op")?.extract()?))
}

/// What `ExportGraphSignature.get_replace_hook` returns: call it as torch's FX graph
/// rewriting calls its replace hooks, `hook(old_node, new_name, user_node)`.
#[pyclass(frozen, module = "graph_signature")]
pub struct ReplaceHook {
    signature: Py<ExportGraphSignature>,
    replace_inputs: bool,
}

#[pymethods]
impl ReplaceHook {
    fn __call__(&self, py: Python<'_>, old: &Bound<'_, PyAny>, new: &str, user: &Bound<'_, PyAny>) -> PyResult<()> {
        let (old_name, old_op) = node_name_op(old)?;
        let (user_name, user_op) = node_name_op(user)?;
        let sig = self.signature.bind(py).get();
        let mut guard = sig.lock();
        Arc::make_mut(&mut guard).on_replace(
            Node { name: &old_name, op: &old_op },
            new,
            Node { name: &user_name, op: &user_op },
            self.replace_inputs,
        );
        Ok(())
    }
}

#[pymethods]
impl ExportGraphSignature {
    #[new]
    #[pyo3(signature = (input_specs, output_specs))]
    fn new(
        py: Python<'_>,
        input_specs: Vec<Bound<'_, InputSpec>>,
        output_specs: Vec<Bound<'_, OutputSpec>>,
    ) -> PyResult<Self> {
        let inputs: Vec<_> = input_specs.iter().map(|s| s.get().0.clone()).collect();
        let outputs: Vec<_> = output_specs.iter().map(|s| s.get().0.clone()).collect();
        let sig = catch(|| Model::new(inputs, outputs)).map_err(|f| f.into_py(py, None))?;
        Ok(Self::from_model(sig))
    }

    /// The input specs, in graph-placeholder order (a new list on every access).
    #[getter]
    fn input_specs<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let sig = self.snapshot();
        PyList::new(py, sig.input_specs().iter().map(|s| InputSpec(s.clone())))
    }

    /// The output specs, in graph-output order (a new list on every access).
    #[getter]
    fn output_specs<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let sig = self.snapshot();
        PyList::new(py, sig.output_specs().iter().map(|s| OutputSpec(s.clone())))
    }

    /// Targets of PARAMETER inputs, in order.
    #[getter]
    fn parameters<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        strings(py, self.snapshot().parameters())
    }

    /// Targets of BUFFER inputs, persistent or not, in order.
    #[getter]
    fn buffers<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        strings(py, self.snapshot().buffers())
    }

    /// Targets of non-persistent BUFFER inputs.
    #[getter]
    fn non_persistent_buffers<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        strings(py, self.snapshot().non_persistent_buffers())
    }

    /// Targets of CONSTANT_TENSOR inputs.
    #[getter]
    fn lifted_tensor_constants<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        strings(py, self.snapshot().lifted_tensor_constants())
    }

    /// Targets of CUSTOM_OBJ inputs.
    #[getter]
    fn lifted_custom_objs<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        strings(py, self.snapshot().lifted_custom_objs())
    }

    /// USER_INPUT names, and the values of constant user inputs.
    #[getter]
    fn user_inputs<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        values(py, self.snapshot().user_inputs())
    }

    /// USER_OUTPUT and LOSS_OUTPUT names, and the values of constant outputs.
    #[getter]
    fn user_outputs<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        values(py, self.snapshot().user_outputs())
    }

    /// Graph input name → parameter, read-only, in insertion order.
    #[getter]
    fn inputs_to_parameters<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyMappingProxy>> {
        read_only(py, self.snapshot().inputs_to_parameters())
    }

    /// Graph input name → buffer, read-only, in insertion order.
    #[getter]
    fn inputs_to_buffers<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyMappingProxy>> {
        read_only(py, self.snapshot().inputs_to_buffers())
    }

    /// Graph output name → mutated buffer, read-only, in insertion order.
    #[getter]
    fn buffers_to_mutate<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyMappingProxy>> {
        read_only(py, self.snapshot().buffers_to_mutate())
    }

    /// Graph output name → mutated parameter, read-only, in insertion order.
    #[getter]
    fn parameters_to_mutate<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyMappingProxy>> {
        read_only(py, self.snapshot().parameters_to_mutate())
    }

    /// Graph output name → mutated user input, read-only, in insertion order.
    #[getter]
    fn user_inputs_to_mutate<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyMappingProxy>> {
        read_only(py, self.snapshot().user_inputs_to_mutate())
    }

    /// Graph input name → lifted tensor constant, read-only, in insertion order.
    #[getter]
    fn inputs_to_lifted_tensor_constants<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyMappingProxy>> {
        read_only(py, self.snapshot().inputs_to_lifted_tensor_constants())
    }

    /// Graph input name → lifted custom object, read-only, in insertion order.
    #[getter]
    fn inputs_to_lifted_custom_objs<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyMappingProxy>> {
        read_only(py, self.snapshot().inputs_to_lifted_custom_objs())
    }

    /// Names of TOKEN inputs.
    #[getter]
    fn input_tokens<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        strings(py, self.snapshot().input_tokens())
    }

    /// Names of TOKEN outputs.
    #[getter]
    fn output_tokens<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        strings(py, self.snapshot().output_tokens())
    }

    /// Always `None`, as in torch 2.15.
    #[getter]
    fn assertion_dep_token(&self, py: Python<'_>) -> Py<PyAny> {
        py.None()
    }

    /// The loss and gradients of a joint graph, or `None` without a LOSS_OUTPUT.
    #[getter]
    fn backward_signature(&self) -> Option<ExportBackwardSignature> {
        self.snapshot().backward_signature().cloned().map(ExportBackwardSignature)
    }

    /// Renames every use of graph node `old` to `new` (in place), as torch's
    /// `replace_all_uses`: argument names of every spec whose argument is not a constant;
    /// targets are not touched.
    fn replace_all_uses(&self, old: &str, new: &str) {
        Arc::make_mut(&mut self.lock()).replace_all_uses(old, new);
    }

    /// torch's `get_replace_hook`: a callable `hook(old_node, new_name, user_node)` that
    /// renames the uses of `old_node` when `user_node` is the graph's output node, and also
    /// when `replace_inputs` is set and `old_node` is a placeholder.
    #[pyo3(signature = (replace_inputs = false))]
    fn get_replace_hook(slf: &Bound<'_, Self>, replace_inputs: bool) -> ReplaceHook {
        ReplaceHook { signature: slf.clone().unbind(), replace_inputs }
    }

    /// The graph rules (unique input names, output order, mutation targets that name an
    /// input) as a list of `Violation`s; empty when clean. The spec rules always hold.
    fn lint(&self) -> Vec<Violation> {
        self.snapshot().lint().iter().map(Violation::from).collect()
    }

    /// Checks every rule; raises `ValidationError` carrying every violation.
    fn validate(&self, py: Python<'_>) -> PyResult<()> {
        let sig = self.snapshot();
        catch(|| sig.validate()).map_err(|f| f.into_py(py, None))
    }

    /// The signature's bytes in `format` (`"json"`, `"proto"`, `"fbs"`, `"bincode"` or
    /// `"torch-json"`). For torch's JSON, `target` names an older torch (`"2.8"`) or schema
    /// (`"8.14"`) to write for, and `lossy=True` writes the closest form of what that torch
    /// cannot hold instead of raising `UnrepresentableError`.
    #[pyo3(signature = (format = "json", *, target = None, lossy = false))]
    fn encode<'py>(
        &self,
        py: Python<'py>,
        format: &str,
        target: Option<&str>,
        lossy: bool,
    ) -> PyResult<Bound<'py, PyBytes>> {
        let format = parse_format(format)?;
        if format != Format::TorchJson && (target.is_some() || lossy) {
            return Err(PyValueError::new_err("target and lossy apply to the torch-json format only"));
        }
        let sig = self.snapshot();
        let target = target.map(str::to_owned);
        let bytes = detached(py, move || {
            if format == Format::TorchJson {
                let target = match target {
                    Some(t) => t.parse()?,
                    None => torch_json::TorchTarget::default(),
                };
                torch_json::encode(&sig, &torch_json::WriteOptions { target, lossy })
            } else {
                codec::encode(&sig, format)
            }
        })
        .map_err(|f| f.into_py(py, None))?;
        Ok(PyBytes::new(py, &bytes))
    }

    /// A real `torch.export.graph_signature.ExportGraphSignature` with the same specs
    /// (imports torch).
    fn to_torch<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        slf.py().import("graph_signature._torch")?.call_method1("to_torch", (slf,))
    }

    /// A copy, independent of later edits to this one.
    fn __copy__(&self) -> Self {
        Self { inner: Mutex::new(self.snapshot()) }
    }

    fn __deepcopy__(&self, _memo: &Bound<'_, PyAny>) -> Self {
        self.__copy__()
    }

    /// Pickles as its protobuf bytes.
    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> PyResult<Reduced<'py>> {
        let py = slf.py();
        let decode = py.import("graph_signature")?.getattr("decode")?;
        let bytes = slf.get().encode(py, "proto", None, false)?;
        Ok((decode, (bytes, "proto")))
    }

    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        match other.cast::<ExportGraphSignature>() {
            Ok(other) => *self.snapshot() == *other.get().snapshot(),
            Err(_) => false,
        }
    }

    // Mutable (replace_all_uses), so unhashable, as torch's dataclass.
    #[classattr]
    const __hash__: Option<Py<PyAny>> = None;

    /// Exactly torch's `str()`: `# inputs` and `# outputs`, one spec per line.
    fn __str__(&self, py: Python<'_>) -> PyResult<String> {
        let sig = self.snapshot();
        catch(|| Ok(sig.to_string())).map_err(|f| f.into_py(py, None))
    }

    fn __repr__(&self) -> String {
        let sig = self.snapshot();
        format!("<ExportGraphSignature: {} inputs, {} outputs>", sig.input_specs().len(), sig.output_specs().len())
    }
}

/// A format by its name.
pub fn parse_format(name: &str) -> PyResult<Format> {
    name.parse::<Format>().map_err(PyValueError::new_err)
}
