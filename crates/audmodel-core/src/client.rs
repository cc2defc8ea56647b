//! The entry point: [`Audmodel`], a configuration with opened repositories.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use audmodel_backend::{Registry, Repository, TransferObserver};
use audmodel_uid::Mapping;
use chrono::NaiveDate;

use crate::progress::Silent;
use crate::repos::Repos;
use crate::{Config, Error, Header, ProgressReporter};

/// The reference's default timeout of `load` (4 h).
pub const DEFAULT_LOCK_TIMEOUT: Duration = Duration::from_secs(4 * 60 * 60);

/// Publishes, loads and looks up models in the configured repositories and
/// the shared cache. Every method that takes an `id` accepts it in any form:
/// UID (`d4e9c65b-1.0.0`), short ID (`d4e9c65b`, the latest version), legacy
/// UID or alias.
///
/// ```
/// use audmodel_core::{Audmodel, Config, Mapping, PublishOptions, Repository};
/// let dir = tempfile::tempdir().unwrap();
/// let model = dir.path().join("model");
/// std::fs::create_dir(&model).unwrap();
/// std::fs::write(model.join("weights.bin"), b"0123").unwrap();
/// std::fs::create_dir_all(dir.path().join("host/models")).unwrap();
/// let repo = Repository::new("models", dir.path().join("host").to_str().unwrap(), "file-system");
/// let client = Audmodel::new(Config::new(dir.path().join("cache"), vec![repo]));
/// let mut params = Mapping::new();
/// params.insert("sampling_rate", 16000i64);
/// let uid = client
///     .publish(&model, "torch", &params, "1.0.0", &PublishOptions::default())
///     .unwrap();
/// let path = client.load(&uid).unwrap();
/// assert_eq!(std::fs::read(path.join("weights.bin")).unwrap(), b"0123");
/// assert_eq!(client.versions(&uid[..8]).unwrap(), ["1.0.0"]);
/// ```
pub struct Audmodel {
    pub(crate) config: Config,
    pub(crate) repos: Repos,
    pub(crate) progress: Arc<dyn ProgressReporter>,
    pub(crate) lock_timeout: Duration,
}

impl std::fmt::Debug for Audmodel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Audmodel")
            .field("config", &self.config)
            .field("lock_timeout", &self.lock_timeout)
            .finish_non_exhaustive()
    }
}

/// Which file [`Audmodel::url`] names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UrlKind {
    /// The model archive.
    Model,
    /// The header.
    Header,
    /// The metadata.
    Meta,
}

impl Audmodel {
    /// A client with the default backends (`file-system`, `s3`, `minio`).
    pub fn new(config: Config) -> Self {
        Self::with_registry(config, Registry::default())
    }

    /// A client with the backends of `registry`.
    pub fn with_registry(config: Config, registry: Registry) -> Self {
        let embedded_default = config.sources.repositories == crate::config::ConfigSource::Default;
        let repos = Repos::new(config.repositories.clone(), registry, embedded_default);
        Audmodel {
            config,
            repos,
            progress: Arc::new(Silent),
            lock_timeout: DEFAULT_LOCK_TIMEOUT,
        }
    }

    /// A client with [`Config::load`], offline when [`OFFLINE_ENV`](crate::OFFLINE_ENV) says so.
    pub fn from_env() -> Result<Self, Error> {
        Ok(Self::new(Config::load()?).with_offline(crate::offline_from_env()))
    }

    /// Reports progress of packing, upload, download and unpacking to
    /// `progress`, and the retries and resumes of the repositories opened
    /// from now on ([`ProgressReporter::transfer`]).
    pub fn with_progress(mut self, progress: Arc<dyn ProgressReporter>) -> Self {
        let observer = Arc::clone(&progress);
        self.repos
            .set_observer(TransferObserver::new(move |event| observer.transfer(event)));
        self.progress = progress;
        self
    }

    /// How long [`load`](Self::load) waits for another process that is
    /// loading the same model (default 4 h, as the reference).
    pub fn with_lock_timeout(mut self, timeout: Duration) -> Self {
        self.lock_timeout = timeout;
        self
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The repository that holds the model.
    pub fn repository(&self, id: &str) -> Result<Repository, Error> {
        if self.is_offline() {
            return Err(self.cannot_tell(
                id,
                "repository",
                "does not know which repository holds it",
            ));
        }
        let model = self.resolve(id)?;
        let at = self.locate(&model)?;
        Ok(self.repos.repository(at.index).clone())
    }

    /// The full UID an ID in any form resolves to.
    pub fn uid_of(&self, id: &str) -> Result<String, Error> {
        Ok(self.resolve(id)?.uid())
    }

    /// Whether the model exists in any repository. Offline an error, even
    /// for a cached model, as the reference asks the repositories: a
    /// model can be cached and no longer published.
    pub fn exists(&self, id: &str) -> Result<bool, Error> {
        let found = if self.is_offline() {
            Err(self.cannot_tell(id, "exists", "does not know whether it is still published"))
        } else {
            self.resolve(id).and_then(|m| self.locate(&m)).map(drop)
        };
        match found {
            Ok(()) => Ok(true),
            Err(Error::ModelNotFound { .. } | Error::Uid(_)) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// The URL (S3) or path (file system) of a model's archive, header or meta.
    pub fn url(&self, id: &str, kind: UrlKind) -> Result<String, Error> {
        if self.is_offline() {
            return Err(self.cannot_tell(id, "url", "does not know its repository's URL"));
        }
        let model = self.resolve(id)?;
        let at = self.locate(&model)?;
        let path = match kind {
            UrlKind::Header => crate::paths::header(&model.sid)?,
            UrlKind::Meta => crate::paths::meta(&model.sid)?,
            UrlKind::Model => {
                let header = self.header_at(&at)?;
                crate::paths::archive(header.subgroup.as_deref(), &header.name, &model.sid)?
            }
        };
        at.versioned
            .url(&path, &model.version)
            .map_err(at.backend_err())
    }

    /// The author of the model.
    pub fn author(&self, id: &str) -> Result<String, Error> {
        Ok(self.header(id)?.author)
    }

    /// The publication date of the model.
    pub fn date(&self, id: &str) -> Result<NaiveDate, Error> {
        Ok(self.header(id)?.date)
    }

    /// The name of the model.
    pub fn name(&self, id: &str) -> Result<String, Error> {
        Ok(self.header(id)?.name)
    }

    /// The parameters of the model.
    pub fn parameters(&self, id: &str) -> Result<Mapping, Error> {
        Ok(self.header(id)?.parameters)
    }

    /// The subgroup of the model (`None` when published without).
    pub fn subgroup(&self, id: &str) -> Result<Option<String>, Error> {
        Ok(self.header(id)?.subgroup)
    }

    /// The version of the model (the latest for a short ID).
    pub fn version(&self, id: &str) -> Result<String, Error> {
        Ok(self.header(id)?.version)
    }

    /// The header of the model, cached in `{cache}/{sid}/{V}.header.yaml`.
    pub fn header(&self, id: &str) -> Result<Header, Error> {
        let model = self.resolve(id)?;
        self.header_of(&model)
    }

    /// The metadata of the model (an empty mapping when none was published),
    /// cached in `{cache}/{sid}/{V}.meta.yaml` and refreshed when it differs
    /// from the repository's.
    pub fn meta(&self, id: &str) -> Result<Mapping, Error> {
        let model = self.resolve(id)?;
        self.meta_of(&model)
    }

    /// The cache folder of the unpacked model `{cache}/{sid}/{V}`.
    pub(crate) fn cache_dir(&self, sid: &str) -> PathBuf {
        self.config.cache_root.join(sid)
    }
}
