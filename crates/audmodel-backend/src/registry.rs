//! Repositories as configured and the backend names that open them.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::{Backend, Error, FileSystem, TransferObserver, TransferSettings};

/// A repository as configured: name, host, backend name (SPEC 3, 6).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct Repository {
    /// Repository name: the folder below `host` on a file system, the bucket on S3.
    pub name: String,
    /// A folder (file system), an S3 endpoint `host[:port]` without
    /// scheme, or an Azure or GCS endpoint (`host[:port]` or a URL).
    pub host: String,
    /// The backend name, a key of the [`Registry`] (`file-system`, `s3`,
    /// `minio`, `azure`, `gcs`).
    pub backend: String,
    /// Whether the store enforces create-only and compare-and-swap writes
    /// (the entry's `conditional_writes`, an addition the reference ignores).
    pub conditional_writes: ConditionalWrites,
    /// Retry bounds and timeouts of a network store (the entry's
    /// `retries`, `retry_timeout`, `connect_timeout`, `stall_timeout`,
    /// additions the reference ignores).
    pub transfer: TransferSettings,
    /// A store's own keys of the entry, as written: `account_name` and
    /// `account_key` (Azure), `service_account` (GCS). Secrets stay here:
    /// never shown, only named ([`credential_source`]).
    pub settings: BTreeMap<String, String>,
}

/// Whether an S3 store enforces conditional writes (`If-None-Match: *`,
/// `If-Match`): AWS S3, MinIO, Ceph RGW and SeaweedFS do, Garage 2.5
/// ignores them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum ConditionalWrites {
    /// Ask the store once per process (a create-only write of a key no
    /// tool reads, twice: the second must be refused).
    #[default]
    Auto,
    /// The store enforces them.
    Yes,
    /// The store ignores them.
    No,
}

impl ConditionalWrites {
    /// `auto`, `yes` or `no` (also `true`/`false`), as written in the
    /// configuration file; `None` for anything else.
    pub fn parse(text: &str) -> Option<Self> {
        match text.trim().to_ascii_lowercase().as_str() {
            "auto" => Some(ConditionalWrites::Auto),
            "yes" | "true" | "on" => Some(ConditionalWrites::Yes),
            "no" | "false" | "off" => Some(ConditionalWrites::No),
            _ => None,
        }
    }
}

impl Repository {
    /// A repository from its three parts.
    pub fn new(
        name: impl Into<String>,
        host: impl Into<String>,
        backend: impl Into<String>,
    ) -> Self {
        Repository {
            name: name.into(),
            host: host.into(),
            backend: backend.into(),
            conditional_writes: ConditionalWrites::Auto,
            transfer: TransferSettings::default(),
            settings: BTreeMap::new(),
        }
    }

    /// The same repository with a store's own key `key` set to `value`
    /// (see [`Repository::settings`]).
    pub fn with_setting(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.settings.insert(key.into(), value.into());
        self
    }

    /// The same repository with `conditional_writes` set.
    pub fn with_conditional_writes(mut self, conditional_writes: ConditionalWrites) -> Self {
        self.conditional_writes = conditional_writes;
        self
    }

    /// The same repository with `transfer` as its retry bounds and timeouts.
    pub fn with_transfer(mut self, transfer: TransferSettings) -> Self {
        self.transfer = transfer;
        self
    }
}

impl std::fmt::Display for Repository {
    /// The reference's `repr`: `Repository('name', 'host', 'backend')`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Repository('{}', '{}', '{}')",
            self.name, self.host, self.backend
        )
    }
}

type Open =
    dyn Fn(&Repository, Option<&TransferObserver>) -> Result<Arc<dyn Backend>, Error> + Send + Sync;

/// Backend name -> constructor, so a user can add a backend.
/// [`Registry::default`] knows `file-system`, `s3`, `minio`, `azure` and
/// `gcs`; the object-store ones tell the registry's [`TransferObserver`] of retries and resumes.
///
/// ```
/// use audmodel_backend::{Registry, Repository};
/// let host = tempfile::tempdir().unwrap();
/// std::fs::create_dir(host.path().join("models")).unwrap();
/// let repo = Repository::new("models", host.path().to_str().unwrap(), "file-system");
/// let backend = Registry::default().open(&repo).unwrap();
/// assert!(backend.list(&audmodel_backend::BackendPath::root()).unwrap().is_empty());
/// ```
#[derive(Clone)]
pub struct Registry {
    backends: BTreeMap<String, Arc<Open>>,
    observer: Option<TransferObserver>,
}

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_set().entries(self.backends.keys()).finish()
    }
}

impl Registry {
    /// A registry without any backend.
    pub fn new() -> Self {
        Registry {
            backends: BTreeMap::new(),
            observer: None,
        }
    }

    /// Tells `observer` of the retries and resumes of the backends opened
    /// from now on (the built-in S3 ones; a registered constructor sees no
    /// observer).
    pub fn set_observer(&mut self, observer: TransferObserver) {
        self.observer = Some(observer);
    }

    /// Adds or replaces the constructor of a backend name.
    pub fn register(
        &mut self,
        name: &str,
        open: impl Fn(&Repository) -> Result<Arc<dyn Backend>, Error> + Send + Sync + 'static,
    ) {
        self.backends
            .insert(name.to_owned(), Arc::new(move |repo, _| open(repo)));
    }

    /// Adds or replaces the constructor of a backend name that is also
    /// handed the registry's [`TransferObserver`], if any, to tell of
    /// retries and resumes ([`S3Builder::observer`](crate::S3Builder::observer)).
    pub fn register_observed(
        &mut self,
        name: &str,
        open: impl Fn(&Repository, Option<&TransferObserver>) -> Result<Arc<dyn Backend>, Error>
        + Send
        + Sync
        + 'static,
    ) {
        self.backends.insert(name.to_owned(), Arc::new(open));
    }

    /// The registered backend names, sorted.
    pub fn names(&self) -> Vec<&str> {
        self.backends.keys().map(String::as_str).collect()
    }

    /// Opens the backend of a repository; [`Error::UnknownBackend`] naming
    /// the backend when it is not registered.
    pub fn open(&self, repo: &Repository) -> Result<Arc<dyn Backend>, Error> {
        match self.backends.get(&repo.backend) {
            Some(open) => open(repo, self.observer.as_ref()),
            None => Err(Error::UnknownBackend {
                name: repo.backend.clone(),
                known: self.backends.keys().cloned().collect(),
            }),
        }
    }
}

impl Default for Registry {
    fn default() -> Self {
        let mut registry = Registry::new();
        registry.register("file-system", |repo| {
            Ok(Arc::new(FileSystem::new(&repo.host, &repo.name)?) as Arc<dyn Backend>)
        });
        for name in ["s3", "minio"] {
            registry.register_observed(name, open_s3);
        }
        registry.register_observed("azure", open_azure);
        registry.register_observed("gcs", open_gcs);
        registry
    }
}

/// The `s3` and `minio` backends.
#[cfg(feature = "s3")]
fn open_s3(
    repo: &Repository,
    observer: Option<&TransferObserver>,
) -> Result<Arc<dyn Backend>, Error> {
    let mut s3 = crate::S3::builder(&repo.host, &repo.name)
        .conditional_writes(repo.conditional_writes)
        .transfer(repo.transfer);
    if let Some(observer) = observer {
        s3 = s3.observer(observer.clone());
    }
    Ok(Arc::new(s3.build()?) as Arc<dyn Backend>)
}

/// The `azure` backend: the entry's `account_name` and `account_key`, else
/// the environment as object_store reads it.
#[cfg(feature = "s3")]
fn open_azure(
    repo: &Repository,
    observer: Option<&TransferObserver>,
) -> Result<Arc<dyn Backend>, Error> {
    let mut azure = crate::Azure::builder(&repo.host, &repo.name)
        .conditional_writes(repo.conditional_writes)
        .transfer(repo.transfer);
    match (
        repo.settings.get("account_name"),
        repo.settings.get("account_key"),
    ) {
        (Some(name), Some(key)) => azure = azure.credentials(name, key),
        (Some(name), None) => azure = azure.account_name(name),
        _ => {}
    }
    if let Some(observer) = observer {
        azure = azure.observer(observer.clone());
    }
    Ok(Arc::new(azure.build()?) as Arc<dyn Backend>)
}

/// The `gcs` backend: the entry's `service_account`, else the environment
/// as object_store reads it.
#[cfg(feature = "s3")]
fn open_gcs(
    repo: &Repository,
    observer: Option<&TransferObserver>,
) -> Result<Arc<dyn Backend>, Error> {
    let mut gcs = crate::Gcs::builder(&repo.host, &repo.name)
        .conditional_writes(repo.conditional_writes)
        .transfer(repo.transfer);
    if let Some(path) = repo.settings.get("service_account") {
        gcs = gcs.service_account(path);
    }
    if let Some(observer) = observer {
        gcs = gcs.observer(observer.clone());
    }
    Ok(Arc::new(gcs.build()?) as Arc<dyn Backend>)
}

#[cfg(not(feature = "s3"))]
use open_s3 as open_azure;
#[cfg(not(feature = "s3"))]
use open_s3 as open_gcs;

/// Where the credentials of a repository's store come from, for
/// `audmodel config`: a key of the entry or an environment variable by
/// name, never a value. `None` for stores without credentials (a file
/// system) and for backends this crate does not know.
pub fn credential_source(repo: &Repository) -> Option<String> {
    let env = |name: &str| std::env::var_os(name).is_some_and(|v| !v.is_empty());
    let first_env = |names: &[&str]| names.iter().find(|n| env(n)).map(|n| (*n).to_owned());
    match repo.backend.as_str() {
        "azure" => Some(if repo.settings.contains_key("account_key") {
            "account_key of the repository entry".to_owned()
        } else if let Some(name) = first_env(&[
            "AZURE_STORAGE_ACCOUNT_KEY",
            "AZURE_STORAGE_ACCESS_KEY",
            "AZURE_STORAGE_SAS_KEY",
            "AZURE_STORAGE_TOKEN",
            "AZURE_CLIENT_SECRET",
            "AZURE_FEDERATED_TOKEN_FILE",
        ]) {
            format!("environment variable {name}")
        } else {
            "none found: the Azure CLI or a managed identity are tried".to_owned()
        }),
        "gcs" => Some(if repo.settings.contains_key("service_account") {
            "service_account of the repository entry".to_owned()
        } else if let Some(name) = first_env(&[
            "GOOGLE_SERVICE_ACCOUNT",
            "GOOGLE_SERVICE_ACCOUNT_PATH",
            "GOOGLE_SERVICE_ACCOUNT_KEY",
            "GOOGLE_APPLICATION_CREDENTIALS",
        ]) {
            format!("environment variable {name}")
        } else {
            "application default credentials (gcloud) or the instance's".to_owned()
        }),
        "s3" | "minio" => {
            let suffix: String = repo
                .host
                .chars()
                .map(|c| match c.is_ascii_alphanumeric() {
                    true => c.to_ascii_uppercase(),
                    false => '_',
                })
                .collect();
            let host_specific = format!("MINIO_ACCESS_KEY_{suffix}");
            Some(if env(&host_specific) {
                format!("environment variable {host_specific}")
            } else if env("MINIO_ACCESS_KEY") {
                "environment variable MINIO_ACCESS_KEY".to_owned()
            } else {
                "the INI file of MINIO_CONFIG_FILE, if it has the host's section".to_owned()
            })
        }
        _ => None,
    }
}

/// The `s3` and `minio` names stay known without the feature, so a
/// configuration naming them gets this error rather than "not a registered
/// backend".
#[cfg(not(feature = "s3"))]
fn open_s3(
    repo: &Repository,
    _observer: Option<&TransferObserver>,
) -> Result<Arc<dyn Backend>, Error> {
    Err(Error::NotBuiltIn {
        backend: repo.backend.clone(),
        feature: "s3",
    })
}

#[cfg(all(test, not(feature = "s3")))]
mod tests {
    use super::*;

    /// Run by `cargo test -p audmodel-backend --no-default-features` (a
    /// step of `cargo xtask test`).
    #[test]
    fn s3_names_say_the_feature_is_missing() {
        let registry = Registry::default();
        assert_eq!(
            registry.names(),
            ["azure", "file-system", "gcs", "minio", "s3"]
        );
        for backend in ["s3", "minio", "azure", "gcs"] {
            let repo = Repository::new("models", "127.0.0.1:3900", backend);
            let Err(err) = registry.open(&repo) else {
                panic!("{backend} opened without S3 support");
            };
            assert_eq!(err.kind(), crate::ErrorKind::UnknownBackend);
            let text = err.to_string();
            assert!(text.starts_with("S3 support was not built in"), "{text}");
            assert!(text.contains(&format!("'{backend}'")), "{text}");
            assert!(text.contains("feature 's3'"), "{text}");
        }
    }
}
