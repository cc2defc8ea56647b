//! The native half of the Python module `audmodel_rs`: one function per
//! function of the reference's API, taking the configuration in use (cache
//! root and repositories) from the Python half, which owns the signatures,
//! the defaults and `audmodel_rs.config`, and running it on the client
//! kept for that configuration ([`clients`]).

mod cache;
mod clients;
mod convert;
mod errors;
mod gc;
mod progress;
mod run;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use audmodel::{Audmodel, CancelToken, Config, LoadOptions, MetaUpdate, PublishOptions, UrlKind};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};

use convert::{mapping_to_python, to_mapping, to_meta, to_python, to_value};
use run::{blocking, cancellable};

/// A repository as the Python half passes it: `(name, host, backend)`.
type Repo = (String, String, String);

/// The kept client of this configuration (see [`clients`]), quiet.
fn client(py: Python<'_>, cache_root: &str, repositories: &[Repo]) -> PyResult<Arc<Audmodel>> {
    client_of(py, clients::Key::new(cache_root, repositories))
}

/// The kept client of `key`, built (the configuration file read) without
/// the GIL.
fn client_of(py: Python<'_>, key: clients::Key) -> PyResult<Arc<Audmodel>> {
    blocking(py, || clients::client(key))
}

/// `(cache_root, [(name, host, backend)])` of `~/.config/audmodel.yaml`,
/// else of the embedded default.
#[pyfunction]
fn load_config() -> PyResult<(String, Vec<Repo>)> {
    let config = Config::load().map_err(errors::to_python)?;
    let repositories = config
        .repositories
        .iter()
        .map(|r| (r.name.clone(), r.host.clone(), r.backend.clone()))
        .collect();
    Ok((config.cache_root.display().to_string(), repositories))
}

#[pyfunction]
#[pyo3(signature = (name, params, version, subgroup))]
fn uid(
    name: &str,
    params: &Bound<'_, PyDict>,
    version: Option<&str>,
    subgroup: Option<&str>,
) -> PyResult<String> {
    let params = to_mapping(params)?;
    let sid = audmodel::short_id(name, &params, subgroup).map_err(errors::uid)?;
    Ok(match version {
        Some(version) => format!("{sid}-{version}"),
        None => sid,
    })
}

#[pyfunction]
#[pyo3(signature = (name, params, version, subgroup, private))]
fn legacy_uid(
    name: &str,
    params: &Bound<'_, PyDict>,
    version: &str,
    subgroup: Option<&str>,
    private: bool,
) -> PyResult<String> {
    let params = to_mapping(params)?;
    audmodel::legacy_uid(name, &params, version, subgroup, private).map_err(errors::uid)
}

/// Everything [`publish`] needs besides the configuration: the Python
/// half's keyword arguments, as a dict.
#[derive(FromPyObject)]
#[pyo3(from_item_all)]
struct PublishArgs<'py> {
    root: String,
    params: Bound<'py, PyDict>,
    date: Option<Bound<'py, PyAny>>,
    meta: Option<Bound<'py, PyAny>>,
    name: String,
    version: String,
    repository: Repo,
    alias: Option<String>,
    author: Option<String>,
    compression: u32,
    min_saving_percent: u8,
    tmp_root: Option<String>,
    subgroup: Option<String>,
}

#[pyfunction]
fn publish(
    py: Python<'_>,
    cache_root: &str,
    mut repositories: Vec<Repo>,
    args: PublishArgs<'_>,
    verbose: bool,
) -> PyResult<String> {
    let params = to_mapping(&args.params)?;
    let meta = args
        .meta
        .as_ref()
        .map(|meta| to_meta("'meta'", meta))
        .transpose()?;
    let date = match args.date.as_ref().map(to_value).transpose()? {
        None => None,
        Some(audmodel::Value::Date(date)) => Some(date),
        Some(other) => {
            return Err(PyValueError::new_err(format!(
                "'date' must be a datetime.date, not a {}",
                other.type_name()
            )));
        }
    };
    // The target is searched for the UID like the configured repositories.
    if !repositories.contains(&args.repository) {
        repositories.push(args.repository.clone());
    }
    let key = clients::Key::new(cache_root, &repositories).verbose(verbose);
    let client = client_of(py, key)?;
    let cancel = CancelToken::new();
    let mut options = PublishOptions::default()
        .repository(args.repository.0)
        .compression(args.compression)
        .min_saving_percent(args.min_saving_percent)
        .cancel(cancel.clone());
    options.subgroup = args.subgroup;
    options.alias = args.alias;
    options.author = args.author;
    options.date = date;
    options.meta = meta;
    options.tmp_root = args.tmp_root.map(PathBuf::from);
    let root = PathBuf::from(args.root);
    cancellable(py, &cancel, || {
        client.publish(&root, &args.name, &params, &args.version, &options)
    })
}

#[pyfunction]
fn load(
    py: Python<'_>,
    cache_root: &str,
    repositories: Vec<Repo>,
    uid: &str,
    timeout: f64,
    verbose: bool,
) -> PyResult<String> {
    let timeout = Duration::try_from_secs_f64(timeout.max(0.0)).unwrap_or(Duration::MAX);
    let key = clients::Key::new(cache_root, &repositories)
        .verbose(verbose)
        .lock_timeout(timeout);
    let client = client_of(py, key)?;
    let cancel = CancelToken::new();
    let options = LoadOptions::cancelled_by(cancel.clone());
    let path = cancellable(py, &cancel, || client.load_with(uid, &options))?;
    Ok(path.display().to_string())
}

#[pyfunction]
fn header<'py>(
    py: Python<'py>,
    cache_root: &str,
    repositories: Vec<Repo>,
    uid: &str,
) -> PyResult<Bound<'py, PyAny>> {
    let client = client(py, cache_root, &repositories)?;
    let header = blocking(py, || client.header(uid))?;
    to_python(py, &header.to_value())
}

#[pyfunction]
fn meta<'py>(
    py: Python<'py>,
    cache_root: &str,
    repositories: Vec<Repo>,
    uid: &str,
) -> PyResult<Bound<'py, PyAny>> {
    let client = client(py, cache_root, &repositories)?;
    let meta = blocking(py, || client.meta(uid))?;
    Ok(mapping_to_python(py, &meta)?.into_any())
}

#[pyfunction]
fn update_meta<'py>(
    py: Python<'py>,
    cache_root: &str,
    repositories: Vec<Repo>,
    uid: &str,
    meta: &Bound<'py, PyAny>,
    replace: bool,
) -> PyResult<Bound<'py, PyAny>> {
    let meta = to_meta("metadata", meta)?;
    let how = if replace {
        MetaUpdate::Replace
    } else {
        MetaUpdate::Merge
    };
    let client = client(py, cache_root, &repositories)?;
    let new = blocking(py, || client.update_meta(uid, &meta, how))?;
    Ok(mapping_to_python(py, &new)?.into_any())
}

#[pyfunction]
fn versions(
    py: Python<'_>,
    cache_root: &str,
    repositories: Vec<Repo>,
    uid: &str,
) -> PyResult<Vec<String>> {
    let client = client(py, cache_root, &repositories)?;
    blocking(py, || client.versions(uid))
}

#[pyfunction]
fn exists(py: Python<'_>, cache_root: &str, repositories: Vec<Repo>, uid: &str) -> PyResult<bool> {
    let client = client(py, cache_root, &repositories)?;
    blocking(py, || client.exists(uid))
}

#[pyfunction]
fn url(
    py: Python<'_>,
    cache_root: &str,
    repositories: Vec<Repo>,
    uid: &str,
    kind: &str,
) -> PyResult<String> {
    let kind = match kind {
        "model" => UrlKind::Model,
        "header" => UrlKind::Header,
        "meta" => UrlKind::Meta,
        other => {
            return Err(PyValueError::new_err(format!(
                "'type' has to be one of 'model', 'header', 'meta', not '{other}'"
            )));
        }
    };
    let client = client(py, cache_root, &repositories)?;
    blocking(py, || client.url(uid, kind))
}

#[pyfunction]
fn aliases<'py>(
    py: Python<'py>,
    cache_root: &str,
    repositories: Vec<Repo>,
    uid: &str,
) -> PyResult<Bound<'py, PyList>> {
    let client = client(py, cache_root, &repositories)?;
    let aliases = blocking(py, || client.aliases(uid))?;
    PyList::new(py, aliases)
}

#[pyfunction]
fn set_alias(
    py: Python<'_>,
    cache_root: &str,
    repositories: Vec<Repo>,
    alias: &str,
    uid: &str,
) -> PyResult<()> {
    let client = client(py, cache_root, &repositories)?;
    blocking(py, || client.set_alias(alias, uid))
}

#[pyfunction]
fn resolve_alias(
    py: Python<'_>,
    cache_root: &str,
    repositories: Vec<Repo>,
    alias: &str,
) -> PyResult<String> {
    let client = client(py, cache_root, &repositories)?;
    blocking(py, || client.resolve_alias(alias))
}

#[pyfunction]
fn repository(
    py: Python<'_>,
    cache_root: &str,
    repositories: Vec<Repo>,
    uid: &str,
) -> PyResult<Repo> {
    let client = client(py, cache_root, &repositories)?;
    let repo = blocking(py, || client.repository(uid))?;
    Ok((repo.name, repo.host, repo.backend))
}

/// The module `audmodel_rs._native`.
#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("BackendError", m.py().get_type::<errors::BackendError>())?;
    for function in [
        wrap_pyfunction!(load_config, m)?,
        wrap_pyfunction!(uid, m)?,
        wrap_pyfunction!(legacy_uid, m)?,
        wrap_pyfunction!(publish, m)?,
        wrap_pyfunction!(load, m)?,
        wrap_pyfunction!(header, m)?,
        wrap_pyfunction!(meta, m)?,
        wrap_pyfunction!(update_meta, m)?,
        wrap_pyfunction!(versions, m)?,
        wrap_pyfunction!(exists, m)?,
        wrap_pyfunction!(url, m)?,
        wrap_pyfunction!(aliases, m)?,
        wrap_pyfunction!(set_alias, m)?,
        wrap_pyfunction!(resolve_alias, m)?,
        wrap_pyfunction!(repository, m)?,
        wrap_pyfunction!(cache::cache_ls, m)?,
        wrap_pyfunction!(cache::cache_verify, m)?,
        wrap_pyfunction!(cache::cache_rm, m)?,
        wrap_pyfunction!(cache::cache_prune, m)?,
        wrap_pyfunction!(cache::verify, m)?,
        wrap_pyfunction!(gc::gc, m)?,
    ] {
        m.add_function(function)?;
    }
    Ok(())
}
