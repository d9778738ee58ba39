//! `graph_signature._native`: the Python extension over the `graph_signature` library. It
//! converts arguments and results and nothing more: every byte is read, and every rule
//! checked, by the library. The public package is `graph_signature` (`graph_signature/`).
//!
//! One module per part of the API: `signature` (the signature and its accessors), `types`
//! (specs, arguments, violations), `errors` (exceptions, panics), `map` (the archive map:
//! classes over the library's binding plan, tensor metadata and payload index; numpy is
//! imported lazily by `graph_signature/_numpy.py`, as torch is by `to_torch`).

use std::path::{Path, PathBuf};

use graph_signature::archive::embed::{embed_file, EmbedOptions};
use graph_signature::codec;
use graph_signature::read::{ReadOptions, Source};
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyByteArray, PyBytes, PyMemoryView, PyTuple};

mod errors;
mod map;
mod scan;
mod signature;
mod types;

use errors::{catch, detached};
use signature::{parse_format, ExportGraphSignature, ReplaceHook};
use types::{
    ConstantArgument, CustomObjArgument, ExportBackwardSignature, InputSpec, OutputSpec, SymBoolArgument,
    SymFloatArgument, SymIntArgument, TensorArgument, TokenArgument, Violation,
};

/// What a reading function was given: a file, or the bytes of one.
enum Input<'py> {
    Path(PathBuf),
    Bytes(Bound<'py, PyBytes>),
}

impl<'py> Input<'py> {
    fn of(source: &Bound<'py, PyAny>) -> PyResult<Self> {
        if let Ok(bytes) = source.cast::<PyBytes>() {
            return Ok(Input::Bytes(bytes.clone()));
        }
        if source.is_instance_of::<PyByteArray>() || source.is_instance_of::<PyMemoryView>() {
            // A copy: the buffer could change while the interpreter is released.
            let builtins = source.py().import("builtins")?;
            return Ok(Input::Bytes(builtins.getattr("bytes")?.call1((source,))?.cast_into()?));
        }
        match source.extract::<PathBuf>() {
            Ok(path) => Ok(Input::Path(path)),
            Err(_) => Err(PyTypeError::new_err(format!(
                "expected a path (str or os.PathLike) or bytes, got {}",
                source.get_type().name()?
            ))),
        }
    }

    fn file(&self) -> Option<&Path> {
        match self {
            Input::Path(p) => Some(p),
            Input::Bytes(_) => None,
        }
    }

    /// The signature read with `options`, the interpreter released meanwhile.
    fn read(&self, py: Python<'_>, options: &ReadOptions) -> PyResult<ExportGraphSignature> {
        let read = match self {
            Input::Path(path) => detached(py, || options.read_path(path)),
            Input::Bytes(bytes) => {
                let bytes = bytes.as_bytes();
                detached(py, || options.read_bytes(bytes))
            }
        };
        read.map(|loaded| ExportGraphSignature::from_model(loaded.signature)).map_err(|f| f.into_py(py, self.file()))
    }
}

/// The signature in a file or in bytes: anything `graphsig inspect` reads (a `.pt2` of
/// either layout, torch's signature or program JSON, our JSON, protobuf, FlatBuffers or
/// bincode, a `.safetensors` file with an embedded signature), recognised by content. In
/// an archive of several programs, `model` names the one to read.
#[pyfunction]
#[pyo3(signature = (source, *, model = None))]
fn load(py: Python<'_>, source: &Bound<'_, PyAny>, model: Option<String>) -> PyResult<ExportGraphSignature> {
    Input::of(source)?.read(py, &ReadOptions { model, source: Source::Auto })
}

/// The signature in `data`, bytes of `format` (`"json"`, `"proto"`, `"fbs"`, `"bincode"`
/// or `"torch-json"`).
#[pyfunction]
fn decode(py: Python<'_>, data: &Bound<'_, PyAny>, format: &str) -> PyResult<ExportGraphSignature> {
    let format = parse_format(format)?;
    let Input::Bytes(bytes) = Input::of(data)? else {
        return Err(PyTypeError::new_err("decode takes bytes; read a file with load()"));
    };
    let bytes = bytes.as_bytes();
    detached(py, || codec::decode(bytes, format)).map(ExportGraphSignature::from_model).map_err(|f| f.into_py(py, None))
}

/// Embeds a signature into a `.pt2` or `.safetensors` file, as `graphsig embed` does:
/// `sig` (a signature, or a file to read one from) or, when `None`, the archive's own. A
/// given signature must name the program's graph inputs and outputs unless `force`. The
/// file is edited in place unless `output` names another; every other byte is kept and the
/// write keeps the user's file (mode, links; a read-only file only with `force`). Returns
/// the program embedded for (`None` for a `.safetensors` file).
#[pyfunction]
#[pyo3(signature = (path, sig = None, *, model = None, output = None, force = false))]
fn embed(
    py: Python<'_>,
    path: PathBuf,
    sig: Option<&Bound<'_, PyAny>>,
    model: Option<String>,
    output: Option<PathBuf>,
    force: bool,
) -> PyResult<Option<String>> {
    let signature = match sig {
        None => None,
        Some(s) => match s.cast::<ExportGraphSignature>() {
            Ok(s) => Some(s.get().snapshot()),
            Err(_) => {
                let input = Input::of(s)?;
                Some(input.read(py, &ReadOptions::default())?.snapshot())
            }
        },
    };
    let output = output.unwrap_or_else(|| path.clone());
    let options = EmbedOptions { model, force };
    detached(py, || embed_file(&path, &output, signature.as_deref(), &options)).map_err(|f| f.into_py(py, Some(&path)))
}

/// The signature embedded in a `.pt2` or `.safetensors` file by `embed` (or `graphsig
/// embed`); `NoSignatureError` when there is none.
#[pyfunction]
#[pyo3(signature = (path, *, model = None))]
fn extract(py: Python<'_>, path: PathBuf, model: Option<String>) -> PyResult<ExportGraphSignature> {
    Input::Path(path).read(py, &ReadOptions { model, source: Source::Embedded })
}

/// Raises what a panic in the library becomes (`InternalError`), for the tests.
#[pyfunction]
fn _panic_for_tests(py: Python<'_>) -> PyResult<()> {
    catch(|| -> Result<(), graph_signature::Error> { panic!("a panic raised on purpose by the tests") })
        .map_err(|f| f.into_py(py, None))
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(load, m)?)?;
    m.add_function(wrap_pyfunction!(decode, m)?)?;
    m.add_function(wrap_pyfunction!(embed, m)?)?;
    m.add_function(wrap_pyfunction!(extract, m)?)?;
    m.add_function(wrap_pyfunction!(scan::scan, m)?)?;
    m.add_function(wrap_pyfunction!(_panic_for_tests, m)?)?;
    m.add_class::<ExportGraphSignature>()?;
    m.add_class::<ReplaceHook>()?;
    m.add_class::<InputSpec>()?;
    m.add_class::<OutputSpec>()?;
    m.add_class::<ExportBackwardSignature>()?;
    m.add_class::<Violation>()?;
    m.add_class::<TensorArgument>()?;
    m.add_class::<SymIntArgument>()?;
    m.add_class::<SymFloatArgument>()?;
    m.add_class::<SymBoolArgument>()?;
    m.add_class::<ConstantArgument>()?;
    m.add_class::<CustomObjArgument>()?;
    m.add_class::<TokenArgument>()?;
    map::register(m)?;
    m.add("FORMATS", PyTuple::new(m.py(), codec::Format::ALL.iter().map(|f| f.name()))?)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
