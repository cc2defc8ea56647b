//! Repository upkeep (not in the reference): `gc`, what killed or
//! interrupted publishers left in the repositories, answered as a list of
//! dicts.

use std::time::Duration;

use audmodel::{GcOptions, Leftover};
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::Repo;
use crate::run::blocking;

fn leftover<'py>(py: Python<'py>, found: &Leftover) -> PyResult<Bound<'py, PyDict>> {
    let dict = PyDict::new(py);
    dict.set_item("repository", &found.repository)?;
    dict.set_item("path", &found.path)?;
    dict.set_item("kind", found.kind.as_str())?;
    dict.set_item("owner", &found.owner)?;
    dict.set_item("age", found.age.map(|age| age.as_secs_f64()))?;
    dict.set_item("bytes", found.bytes)?;
    Ok(dict)
}

#[pyfunction]
#[pyo3(signature = (cache_root, repositories, repository, older_than, dry_run))]
pub(crate) fn gc<'py>(
    py: Python<'py>,
    cache_root: &str,
    repositories: Vec<Repo>,
    repository: Option<String>,
    older_than: Option<f64>,
    dry_run: bool,
) -> PyResult<Vec<Bound<'py, PyDict>>> {
    let client = crate::client(py, cache_root, &repositories)?;
    let mut options = GcOptions::default().dry_run(dry_run);
    if let Some(name) = repository {
        options = options.repository(name);
    }
    if let Some(seconds) = older_than {
        // Negative or NaN is no age at all; too large, never.
        let age = Duration::try_from_secs_f64(seconds.max(0.0)).unwrap_or(Duration::MAX);
        options = options.older_than(age);
    }
    let found = blocking(py, || client.gc(&options))?;
    found.iter().map(|l| leftover(py, l)).collect()
}
