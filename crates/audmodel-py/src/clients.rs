//! The module's clients: each built from the configuration as the CLI
//! builds its own, kept, and used again by every call made with the same
//! configuration, so a repository is opened once (an S3 store's runtime,
//! connection pool and conditional-write probe) and keeps its settings.
//!
//! What a client is built from is its [`Key`]: the cache root and the
//! repositories the Python half passes (`audmodel_rs.config`, and a
//! publish's target), the environment variables that configure a client
//! (`AUDMODEL_*`, the stores' credentials `MINIO_*`, `AWS_*`, `AZURE_*`
//! and `GOOGLE_*`, and `HOME`, where the configuration file lies), the progress printing of
//! `verbose=True` and a load's lock timeout. A call whose key differs
//! from every kept one builds a new client; the [`KEPT`] most recently
//! used are kept.

use std::ffi::OsString;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use audmodel::{Audmodel, Config, Repository};

use crate::Repo;

/// How many clients are kept (a program switching between a few
/// configurations, or calling with and without `verbose`, keeps each).
const KEPT: usize = 8;

/// What a client is built from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Key {
    cache_root: String,
    repositories: Vec<Repo>,
    env: Vec<(OsString, OsString)>,
    verbose: bool,
    lock_timeout: Duration,
}

impl Key {
    /// The key of a call with this cache root and these repositories, in
    /// the current environment, quiet and with the default lock timeout.
    pub(crate) fn new(cache_root: &str, repositories: &[Repo]) -> Key {
        let mut env: Vec<(OsString, OsString)> = std::env::vars_os()
            .filter(|(name, _)| {
                let name = name.to_string_lossy();
                ["AUDMODEL_", "MINIO_", "AWS_", "AZURE_", "GOOGLE_"]
                    .iter()
                    .any(|prefix| name.starts_with(prefix))
                    || name == "HOME"
            })
            .collect();
        env.sort();
        Key {
            cache_root: cache_root.to_owned(),
            repositories: repositories.to_vec(),
            env,
            verbose: false,
            lock_timeout: audmodel::DEFAULT_LOCK_TIMEOUT,
        }
    }

    /// The same key, printing each stage of a publish or load when `verbose`.
    pub(crate) fn verbose(mut self, verbose: bool) -> Key {
        self.verbose = verbose;
        self
    }

    /// The same key, a load waiting `timeout` for another process's lock.
    pub(crate) fn lock_timeout(mut self, timeout: Duration) -> Key {
        self.lock_timeout = timeout;
        self
    }
}

/// The kept clients, the most recently used first.
static CLIENTS: Mutex<Vec<(Key, Arc<Audmodel>)>> = Mutex::new(Vec::new());

/// The client of `key`: a kept one, else one built now and kept.
pub(crate) fn client(key: Key) -> Result<Arc<Audmodel>, audmodel::Error> {
    let mut kept = CLIENTS.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(at) = kept.iter().position(|(k, _)| *k == key) {
        let entry = kept.remove(at);
        let client = Arc::clone(&entry.1);
        kept.insert(0, entry);
        return Ok(client);
    }
    let client = Arc::new(build(&key)?);
    kept.insert(0, (key, Arc::clone(&client)));
    // Dropped after the lock is let go: closing a store's runtime waits
    // for its threads.
    let keep = kept.len().min(KEPT);
    let dropped = kept.split_off(keep);
    drop(kept);
    drop(dropped);
    Ok(client)
}

/// A client as the CLI builds one (`Config::load`: the configuration file
/// and the `AUDMODEL_*` variables; offline by `AUDMODEL_OFFLINE`), with the
/// cache root and repositories of `key`. A repository that is configured
/// with the same name, host and backend keeps the configured entry's
/// settings (`conditional_writes`, `retries`, the timeouts); any other gets
/// the defaults. The transfer variables then override every repository's,
/// as they do for the CLI.
fn build(key: &Key) -> Result<Audmodel, audmodel::Error> {
    let configured = Config::load()?;
    let repositories = key
        .repositories
        .iter()
        .map(|(name, host, backend)| {
            let entry = configured.repositories.iter().find(|r| {
                r.name == *name && r.backend == *backend && expand_user(&r.host) == *host
            });
            match entry {
                Some(entry) => {
                    let mut repo = entry.clone();
                    // As the Python half passes it: `~` expanded.
                    repo.host.clone_from(host);
                    repo
                }
                None => Repository::new(name, host, backend),
            }
        })
        .collect();
    let mut config = Config::new(PathBuf::from(&key.cache_root), repositories);
    config.apply_transfer_env()?;
    let mut client = Audmodel::new(config)
        .with_offline(audmodel::offline_from_env())
        .with_lock_timeout(key.lock_timeout);
    if key.verbose {
        client = client.with_progress(Arc::new(crate::progress::Stderr::default()));
    }
    Ok(client)
}

/// `host` with a leading `~` replaced by `HOME`, as the Python half's
/// `os.path.expanduser` does before it passes a host.
fn expand_user(host: &str) -> String {
    let home = std::env::var("HOME").ok().filter(|h| !h.is_empty());
    match (host.strip_prefix('~'), home) {
        (Some(rest), Some(home)) if rest.is_empty() || rest.starts_with('/') => {
            let home = home.trim_end_matches('/');
            match (home.is_empty(), rest.is_empty()) {
                (true, true) => "/".to_owned(),
                _ => format!("{home}{rest}"),
            }
        }
        _ => host.to_owned(),
    }
}
