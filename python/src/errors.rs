//! Library errors as the Python exceptions of `graph_signature/_errors.py`, with the same
//! position, rule code and file; library panics caught before they reach Python.

use std::any::Any;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;

use graph_signature::{Error, ModelSelection, RefusedWrite, UnrepresentableReason};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyModule, PyTuple};
use pyo3::IntoPyObjectExt;

use crate::types::Violation;

/// Why a call into the library failed.
pub enum Failure {
    /// The library's error.
    Lib(Error),
    /// The library panicked (a bug): the message, raised as `InternalError`.
    Panic(String),
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        Failure::Lib(e)
    }
}

/// Runs `f`, turning a panic into [`Failure::Panic`].
pub fn catch<T>(f: impl FnOnce() -> Result<T, Error>) -> Result<T, Failure> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(result) => result.map_err(Failure::Lib),
        Err(payload) => Err(Failure::Panic(panic_message(payload))),
    }
}

/// Runs `f` with the interpreter released (other Python threads run meanwhile).
pub fn detached<T: Send>(py: Python<'_>, f: impl FnOnce() -> Result<T, Error> + Send) -> Result<T, Failure> {
    py.detach(|| catch(f))
}

fn panic_message(payload: Box<dyn Any + Send>) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "a panic without a message".to_owned()
    }
}

static ERRORS: PyOnceLock<Py<PyModule>> = PyOnceLock::new();

fn errors_module(py: Python<'_>) -> PyResult<&Bound<'_, PyModule>> {
    ERRORS.get_or_try_init(py, || Ok(py.import("graph_signature._errors")?.unbind())).map(|m| m.bind(py))
}

/// An instance of exception class `class` with `message` and the attributes `attrs`.
fn exception(py: Python<'_>, class: &str, message: &str, attrs: Vec<(&str, Bound<'_, PyAny>)>) -> PyErr {
    let build = || -> PyResult<PyErr> {
        let value = errors_module(py)?.getattr(class)?.call1((message,))?;
        for (name, attr) in attrs {
            value.setattr(name, attr)?;
        }
        Ok(PyErr::from_value(value))
    };
    build().unwrap_or_else(|e| e)
}

fn obj<'py, T: IntoPyObject<'py>>(py: Python<'py>, value: T) -> Bound<'py, PyAny> {
    match value.into_bound_py_any(py) {
        Ok(v) => v,
        Err(_) => py.None().into_bound(py),
    }
}

impl Failure {
    /// The Python exception; `file` names the file the error is about, when there is one.
    pub fn into_py(self, py: Python<'_>, file: Option<&Path>) -> PyErr {
        match self {
            Failure::Lib(e) => to_py(py, e, file),
            Failure::Panic(message) => {
                exception(py, "InternalError", &format!("internal error (a bug in graph-signature): {message}"), vec![])
            }
        }
    }
}

/// The Python exception for a library error (see `_errors.py` for the hierarchy).
pub fn to_py(py: Python<'_>, e: Error, file: Option<&Path>) -> PyErr {
    // Errors that name their file themselves (as the CLI prints them).
    let names_its_file = matches!(e, Error::Io { path: Some(_), .. } | Error::Refused { .. });
    let message = match file {
        Some(f) if !names_its_file => format!("{}: {e}", f.display()),
        _ => e.to_string(),
    };
    let filename = match &e {
        Error::Io { path: Some(p), .. } | Error::Refused { path: p, .. } => Some(p.display().to_string()),
        _ => file.map(|f| f.display().to_string()),
    };
    let mut attrs = vec![("filename", obj(py, filename.clone()))];
    let class = match e {
        Error::Invalid(v) => {
            let violations: Vec<Violation> = v.violations().iter().map(Violation::from).collect();
            match PyTuple::new(py, violations) {
                Ok(t) => attrs.push(("violations", t.into_any())),
                Err(err) => return err,
            }
            "ValidationError"
        }
        Error::Classify { at, name, failure } => {
            attrs.push(("position", obj(py, at.to_string())));
            attrs.push(("name", obj(py, name)));
            attrs.push(("reason", obj(py, failure.to_string())));
            "ClassifyError"
        }
        Error::Decode { format, path, reason } => {
            attrs.push(("format", obj(py, format)));
            attrs.push(("position", obj(py, (!path.is_empty()).then_some(path))));
            attrs.push(("reason", obj(py, reason)));
            "DecodeError"
        }
        Error::UnsupportedVersion { format, found, supported } => {
            attrs.push(("format", obj(py, format)));
            attrs.push(("found", obj(py, found)));
            attrs.push(("supported", obj(py, supported)));
            "UnsupportedVersionError"
        }
        Error::Unrepresentable { format, at, reason } => {
            attrs.push(("format", obj(py, format)));
            attrs.push(("position", obj(py, at.to_string())));
            attrs.push(("reason_code", obj(py, unrepresentable_code(&reason))));
            attrs.push(("reason", obj(py, reason.to_string())));
            "UnrepresentableError"
        }
        Error::TooLarge { format, size, limit } => {
            attrs.push(("what", obj(py, format!("the {format} encoding"))));
            attrs.push(("format", obj(py, format)));
            attrs.push(("size", obj(py, size)));
            attrs.push(("limit", obj(py, limit)));
            "LimitError"
        }
        Error::Limit { what, size, limit } => {
            attrs.push(("what", obj(py, what)));
            attrs.push(("size", obj(py, size)));
            attrs.push(("limit", obj(py, limit)));
            "LimitError"
        }
        Error::Unrecognized { found, accepted } => {
            attrs.push(("found", obj(py, found)));
            attrs.push(("accepted", obj(py, accepted)));
            "UnrecognizedInputError"
        }
        Error::Model(m) => {
            let (wanted, available) = match m {
                ModelSelection::NotFound { wanted, available } => (Some(wanted), available),
                ModelSelection::Ambiguous { available } => (None, available),
                ModelSelection::NotAnArchive { wanted } => (Some(wanted), Vec::new()),
                _ => (None, Vec::new()),
            };
            attrs.push(("wanted", obj(py, wanted)));
            attrs.push(("available", obj(py, available)));
            "ModelSelectionError"
        }
        Error::NoSignature { kind, hint } => {
            attrs.push(("kind", obj(py, kind)));
            attrs.push(("hint", obj(py, hint)));
            "NoSignatureError"
        }
        Error::Mismatch { reason } => {
            attrs.push(("reason", obj(py, reason)));
            "MismatchError"
        }
        Error::Refused { reason, .. } => {
            attrs.push(("reason_code", obj(py, refused_code(&reason))));
            "RefusedWriteError"
        }
        Error::Io { source, .. } => {
            let build = || -> PyResult<PyErr> {
                let value = errors_module(py)?.getattr("_os_error")?.call1((
                    source.raw_os_error(),
                    source.to_string(),
                    filename,
                    message.clone(),
                ))?;
                Ok(PyErr::from_value(value))
            };
            return build().unwrap_or_else(|e| e);
        }
        _ => "GraphSignatureError",
    };
    exception(py, class, &message, attrs)
}

fn unrepresentable_code(reason: &UnrepresentableReason) -> &'static str {
    match reason {
        UnrepresentableReason::NeedsNewerVersion { .. } => "needs-newer-version",
        UnrepresentableReason::WriterFails { .. } => "writer-fails",
        UnrepresentableReason::ReadBackChanges { .. } => "read-back-changes",
        UnrepresentableReason::NoSlot { .. } => "no-slot",
        _ => "unrepresentable",
    }
}

fn refused_code(reason: &RefusedWrite) -> &'static str {
    match reason {
        RefusedWrite::OutputIsInput { .. } => "output-is-input",
        RefusedWrite::ReadOnly => "read-only",
        RefusedWrite::OwnerNotKept { .. } => "owner-not-kept",
        RefusedWrite::NotAFile => "not-a-file",
        _ => "refused",
    }
}
