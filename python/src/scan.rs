//! `graph_signature.scan`: the library's security scan of model files (`docs/scan.md`),
//! returned as the JSON document `graphsig scan --json` prints, parsed into Python values.

use std::path::PathBuf;

use graph_signature::scan::{scan_paths, Options};
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;

/// Scans files and directories (searched recursively) for pickles that run code when torch
/// loads them, without executing anything; returns the report as a dict (`docs/scan.md`):
/// `{"schema": "graphsig-scan", "version": "1.0", "files": [...], "errors": [...],
/// "totals": {...}}`, each file with its `verdict` (`safe`, `needs-trust`, `malformed`,
/// `dangerous`), its pickles (location, loader, globals, calls) and the reasons. Paths that
/// cannot be read are listed in `errors`, not raised. `jobs`: threads (0: one per core).
/// The interpreter is released while scanning.
#[pyfunction]
#[pyo3(signature = (paths, *, jobs = 0))]
pub fn scan(py: Python<'_>, paths: &Bound<'_, PyAny>, jobs: usize) -> PyResult<Py<PyAny>> {
    let paths: Vec<PathBuf> = match paths.extract::<PathBuf>() {
        Ok(one) => vec![one],
        Err(_) => paths
            .extract::<Vec<PathBuf>>()
            .map_err(|_| PyTypeError::new_err("expected a path (str or os.PathLike) or a list of paths"))?,
    };
    let json = py.detach(|| scan_paths(&paths, &Options::default(), jobs, &|_| {}).to_json());
    Ok(py.import("json")?.getattr("loads")?.call1((json,))?.unbind())
}
