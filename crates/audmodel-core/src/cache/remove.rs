//! Removing models from the cache (SPEC 5) under the lock a load takes,
//! so that a concurrent load, by either tool, finds the whole model or
//! loads it again: the model folder is renamed away whole first, then
//! deleted where no loader looks.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use audmodel_uid::ModelId;

use crate::cache::list::{CacheState, CachedModel, Usage};
use crate::lookup::Model;
use crate::{Audmodel, Error, lock};

/// A model version removed from the cache (or that would be, in a dry run).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Removed {
    /// The UID.
    pub uid: String,
    /// The model folder it was cached in.
    pub path: PathBuf,
    /// Bytes on disk freed: model folder, partial folder, header and
    /// metadata copies.
    pub bytes: u64,
}

/// What [`Audmodel::cache_prune`] removes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct PruneOptions {
    /// Remove every model not loaded for this long (partial ones too).
    pub older_than: Option<Duration>,
    /// Then remove the least recently loaded models until the cache takes
    /// at most this many bytes on disk.
    pub max_size: Option<u64>,
    /// Only say what would be removed.
    pub dry_run: bool,
}

impl PruneOptions {
    /// Removes models not loaded for `age`.
    pub fn older_than(mut self, age: Duration) -> Self {
        self.older_than = Some(age);
        self
    }

    /// Removes the least recently loaded models until at most `bytes` are left.
    pub fn max_size(mut self, bytes: u64) -> Self {
        self.max_size = Some(bytes);
        self
    }

    /// Removes nothing, only reports.
    pub fn dry_run(mut self, dry_run: bool) -> Self {
        self.dry_run = dry_run;
        self
    }
}

impl Audmodel {
    /// Removes the cached model versions `id` names (a UID; a short ID or
    /// legacy UID names every cached version; an alias is resolved in the
    /// repositories): model folder, partial folder, header and metadata
    /// copies. Lock files stay, as the reference leaves them, so waiters
    /// keep locking one file.
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
    /// let uid = client
    ///     .publish(&model, "torch", &Mapping::new(), "1.0.0", &PublishOptions::default())
    ///     .unwrap();
    /// let cached = client.load(&uid).unwrap();
    /// let removed = client.cache_remove(&uid).unwrap();
    /// assert_eq!(removed[0].uid, uid);
    /// assert!(!cached.exists() && client.cache_list().unwrap().is_empty());
    /// ```
    pub fn cache_remove(&self, id: &str) -> Result<Vec<Removed>, Error> {
        self.cache_remove_all(&[id])
    }

    /// [`cache_remove`](Self::cache_remove) of several IDs, all found in the
    /// cache before any is removed: an ID that names no cached model is
    /// [`Error::NotCached`] and nothing is removed, so a typo in the last
    /// ID does not leave the first ones removed unreported. A model named
    /// twice (by its UID and its short ID) is removed once. No IDs remove
    /// nothing.
    ///
    /// ```
    /// use audmodel_core::{Audmodel, Config, ErrorKind, Mapping, PublishOptions, Repository};
    /// let dir = tempfile::tempdir().unwrap();
    /// let model = dir.path().join("model");
    /// std::fs::create_dir(&model).unwrap();
    /// std::fs::write(model.join("weights.bin"), b"0123").unwrap();
    /// std::fs::create_dir_all(dir.path().join("host/models")).unwrap();
    /// let repo = Repository::new("models", dir.path().join("host").to_str().unwrap(), "file-system");
    /// let client = Audmodel::new(Config::new(dir.path().join("cache"), vec![repo]));
    /// let uid = client
    ///     .publish(&model, "torch", &Mapping::new(), "1.0.0", &PublishOptions::default())
    ///     .unwrap();
    /// client.load(&uid).unwrap();
    /// let err = client.cache_remove_all(&[&uid, "0000aaaa-1.0.0"]).unwrap_err();
    /// assert_eq!(err.kind(), ErrorKind::NotFound);
    /// assert_eq!(client.cache_list().unwrap().len(), 1);
    /// assert_eq!(client.cache_remove_all(&[&uid, &uid[..8]]).unwrap().len(), 1);
    /// ```
    pub fn cache_remove_all(&self, ids: &[&str]) -> Result<Vec<Removed>, Error> {
        if ids.is_empty() {
            // `cached_models` reads no IDs as every cached model.
            return Ok(Vec::new());
        }
        let mut models = self.cached_models(ids, None)?;
        let mut seen = std::collections::HashSet::new();
        models.retain(|m| seen.insert(m.uid()));
        models
            .iter()
            .map(|model| self.remove_cached(model))
            .collect()
    }

    /// Removes the models not loaded for [`PruneOptions::older_than`], then
    /// the least recently loaded ones until the cache fits in
    /// [`PruneOptions::max_size`]; returns what was (or, in a dry run,
    /// would be) removed, least recently loaded first. Each removal is
    /// [`cache_remove`](Self::cache_remove)'s.
    ///
    /// ```
    /// use audmodel_core::{Audmodel, Config, Mapping, PruneOptions, PublishOptions, Repository};
    /// let dir = tempfile::tempdir().unwrap();
    /// let model = dir.path().join("model");
    /// std::fs::create_dir(&model).unwrap();
    /// std::fs::write(model.join("weights.bin"), vec![7u8; 100_000]).unwrap();
    /// std::fs::create_dir_all(dir.path().join("host/models")).unwrap();
    /// let repo = Repository::new("models", dir.path().join("host").to_str().unwrap(), "file-system");
    /// let client = Audmodel::new(Config::new(dir.path().join("cache"), vec![repo]));
    /// let uid = client
    ///     .publish(&model, "torch", &Mapping::new(), "1.0.0", &PublishOptions::default())
    ///     .unwrap();
    /// client.load(&uid).unwrap();
    /// let would = client.cache_prune(&PruneOptions::default().max_size(0).dry_run(true)).unwrap();
    /// assert_eq!(would[0].uid, uid);
    /// assert_eq!(client.cache_list().unwrap().len(), 1);
    /// client.cache_prune(&PruneOptions::default().max_size(0)).unwrap();
    /// assert!(client.cache_list().unwrap().is_empty());
    /// ```
    pub fn cache_prune(&self, options: &PruneOptions) -> Result<Vec<Removed>, Error> {
        let mut cached = self.cache_list()?;
        // Never loaded (no time known) counts as oldest.
        cached.sort_by_key(|m| (m.last_loaded, m.uid.clone()));
        let now = SystemTime::now();
        let mut total: u64 = cached.iter().map(|m| m.size).sum();
        let mut chosen: Vec<&CachedModel> = Vec::new();
        for model in &cached {
            let stale = options.older_than.is_some_and(|age| {
                model
                    .last_loaded
                    .is_none_or(|at| now.duration_since(at).is_ok_and(|d| d > age))
            });
            let too_big = options.max_size.is_some_and(|max| total > max);
            if stale || too_big {
                total -= model.size;
                chosen.push(model);
            }
        }
        chosen
            .into_iter()
            .map(|m| {
                let model = Model {
                    sid: m.short_id.clone(),
                    version: m.version.clone(),
                };
                if options.dry_run {
                    Ok(Removed {
                        uid: m.uid.clone(),
                        path: m.path.clone(),
                        bytes: m.size,
                    })
                } else {
                    self.remove_cached(&model)
                }
            })
            .collect()
    }

    /// The cached model versions `ids` name, each in state `state` when
    /// given; every cached one in that state when `ids` is empty. An ID
    /// that names none is [`Error::NotCached`].
    pub(crate) fn cached_models(
        &self,
        ids: &[&str],
        state: Option<CacheState>,
    ) -> Result<Vec<Model>, Error> {
        let wanted = |m: &CachedModel| state.is_none_or(|s| m.state == s);
        let model_of = |m: &CachedModel| Model {
            sid: m.short_id.clone(),
            version: m.version.clone(),
        };
        if ids.is_empty() {
            return Ok(self
                .cache_list()?
                .iter()
                .filter(|m| wanted(m))
                .map(model_of)
                .collect());
        }
        let mut models = Vec::new();
        for id in ids {
            let (sid, version) = match ModelId::parse(id)? {
                ModelId::Uid { short_id, version } => (short_id, Some(version)),
                ModelId::ShortId(sid) | ModelId::Legacy(sid) => (sid, None),
                ModelId::Alias(_) => {
                    let model = self.resolve(id)?;
                    (model.sid, Some(model.version))
                }
            };
            let found: Vec<Model> = self
                .cached_versions(&sid)?
                .iter()
                .filter(|m| wanted(m) && version.as_ref().is_none_or(|v| *v == m.version))
                .map(model_of)
                .collect();
            if found.is_empty() {
                return Err(Error::NotCached {
                    id: (*id).to_owned(),
                });
            }
            models.extend(found);
        }
        Ok(models)
    }

    /// Removes one cached model version under its load lock, then its
    /// header and metadata copies under theirs.
    fn remove_cached(&self, model: &Model) -> Result<Removed, Error> {
        let dir = self.cache_dir(&model.sid);
        let root = dir.join(&model.version);
        let _lock = lock::lock(&root, self.lock_timeout)?;
        let mut usage = Usage::default();
        let partial = dir.join(format!("{}~", model.version));
        let copies = [
            self.cache_file(model, "header.yaml"),
            self.cache_file(model, "meta.yaml"),
        ];
        for folder in [&root, &partial] {
            usage.add_tree(folder);
        }
        for copy in &copies {
            usage.add_file(copy);
        }
        for folder in [&root, &partial] {
            remove_folder(folder, &model.version)?;
        }
        // Leftovers of a removal that was killed half way.
        for entry in std::fs::read_dir(&dir).map_err(Error::io(&dir))?.flatten() {
            let name = entry.file_name();
            let name = name.to_string_lossy();
            if name.starts_with(&format!(".{}.removed-", model.version)) {
                usage.add_tree(&entry.path());
                let _ = std::fs::remove_dir_all(entry.path());
            }
        }
        for copy in &copies {
            let _copy_lock = lock::lock(copy, lock::SHORT_TIMEOUT)?;
            match std::fs::remove_file(copy) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                    return Err(Error::io(copy)(e));
                }
                _ => {}
            }
        }
        Ok(Removed {
            uid: if matches!(ModelId::parse(&model.sid), Ok(ModelId::Legacy(_))) {
                model.sid.clone()
            } else {
                model.uid()
            },
            path: root,
            bytes: usage.bytes,
        })
    }
}

/// Renames `folder` to a hidden name beside it, where neither tool looks
/// for a model, then deletes it: a path-based reader sees the whole folder
/// or none.
fn remove_folder(folder: &Path, version: &str) -> Result<(), Error> {
    let Some(dir) = folder.parent() else {
        return Ok(());
    };
    let away = dir.join(format!(
        ".{version}.removed-{}-{}",
        std::process::id(),
        SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos())
    ));
    match std::fs::rename(folder, &away) {
        Ok(()) => std::fs::remove_dir_all(&away).map_err(Error::io(&away)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(Error::io(folder)(e)),
    }
}
