//! Looking after the cache (not in the reference): `cache_ls`,
//! `cache_verify`, `cache_rm`, `cache_prune` and the repository's `verify`,
//! answered as lists of dicts.

use std::time::{Duration, UNIX_EPOCH};

use audmodel::{CacheCheck, CachedModel, PruneOptions, Removed};
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::Repo;
use crate::run::blocking;

fn cached<'py>(py: Python<'py>, model: &CachedModel) -> PyResult<Bound<'py, PyDict>> {
    let dict = PyDict::new(py);
    dict.set_item("uid", &model.uid)?;
    dict.set_item("name", &model.name)?;
    dict.set_item("subgroup", &model.subgroup)?;
    dict.set_item("size", model.size)?;
    dict.set_item("files", model.files)?;
    let loaded = model
        .last_loaded
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map(|d| d.as_secs_f64());
    dict.set_item("last_loaded", loaded)?;
    dict.set_item("state", model.state.as_str())?;
    dict.set_item("path", model.path.display().to_string())?;
    Ok(dict)
}

fn checked<'py>(py: Python<'py>, check: &CacheCheck) -> PyResult<Bound<'py, PyDict>> {
    let dict = PyDict::new(py);
    dict.set_item("uid", &check.uid)?;
    dict.set_item("path", check.path.display().to_string())?;
    dict.set_item("files", check.files)?;
    let problems: Vec<String> = check.problems.iter().map(ToString::to_string).collect();
    dict.set_item("problems", problems)?;
    Ok(dict)
}

fn removed<'py>(py: Python<'py>, removed: &Removed) -> PyResult<Bound<'py, PyDict>> {
    let dict = PyDict::new(py);
    dict.set_item("uid", &removed.uid)?;
    dict.set_item("path", removed.path.display().to_string())?;
    dict.set_item("bytes", removed.bytes)?;
    Ok(dict)
}

#[pyfunction]
pub(crate) fn cache_ls<'py>(
    py: Python<'py>,
    cache_root: &str,
    repositories: Vec<Repo>,
) -> PyResult<Vec<Bound<'py, PyDict>>> {
    let client = crate::client(py, cache_root, &repositories)?;
    let models = blocking(py, || client.cache_list())?;
    models.iter().map(|m| cached(py, m)).collect()
}

#[pyfunction]
pub(crate) fn cache_verify<'py>(
    py: Python<'py>,
    cache_root: &str,
    repositories: Vec<Repo>,
    uids: Vec<String>,
    repair: bool,
) -> PyResult<Vec<Bound<'py, PyDict>>> {
    let client = crate::client(py, cache_root, &repositories)?;
    let ids: Vec<&str> = uids.iter().map(String::as_str).collect();
    let checks = blocking(py, || match repair {
        true => client.cache_repair(&ids),
        false => client.cache_verify(&ids),
    })?;
    checks.iter().map(|c| checked(py, c)).collect()
}

#[pyfunction]
pub(crate) fn cache_rm<'py>(
    py: Python<'py>,
    cache_root: &str,
    repositories: Vec<Repo>,
    uids: Vec<String>,
) -> PyResult<Vec<Bound<'py, PyDict>>> {
    let client = crate::client(py, cache_root, &repositories)?;
    let ids: Vec<&str> = uids.iter().map(String::as_str).collect();
    let gone = blocking(py, || client.cache_remove_all(&ids))?;
    gone.iter().map(|r| removed(py, r)).collect()
}

#[pyfunction]
pub(crate) fn cache_prune<'py>(
    py: Python<'py>,
    cache_root: &str,
    older_than: Option<f64>,
    max_size: Option<u64>,
    dry_run: bool,
) -> PyResult<Vec<Bound<'py, PyDict>>> {
    let client = crate::client(py, cache_root, &[])?;
    let mut options = PruneOptions::default().dry_run(dry_run);
    if let Some(seconds) = older_than {
        let age = Duration::try_from_secs_f64(seconds.max(0.0)).unwrap_or(Duration::MAX);
        options = options.older_than(age);
    }
    if let Some(bytes) = max_size {
        options = options.max_size(bytes);
    }
    let gone = blocking(py, || client.cache_prune(&options))?;
    gone.iter().map(|r| removed(py, r)).collect()
}

#[pyfunction]
pub(crate) fn verify<'py>(
    py: Python<'py>,
    cache_root: &str,
    repositories: Vec<Repo>,
    uid: &str,
) -> PyResult<Bound<'py, PyDict>> {
    let client = crate::client(py, cache_root, &repositories)?;
    let check = blocking(py, || client.verify(uid))?;
    let dict = PyDict::new(py);
    dict.set_item("uid", &check.uid)?;
    dict.set_item("repository", &check.repository)?;
    dict.set_item("problems", &check.problems)?;
    Ok(dict)
}
