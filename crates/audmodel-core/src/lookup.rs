//! ID resolution across repositories (SPEC 1, 4): any form of ID to a short
//! ID and a version, and the repository that holds its header.

use audmodel_backend::Versioned;
use audmodel_uid::ModelId;

use crate::{Audmodel, Error, paths};

/// A model ID resolved to short ID and version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Model {
    /// Short ID (or the whole legacy UID, which the reference uses in its place).
    pub(crate) sid: String,
    pub(crate) version: String,
}

impl Model {
    pub(crate) fn uid(&self) -> String {
        format!("{}-{}", self.sid, self.version)
    }
}

/// A model and the repository holding it, found once so that the reads
/// that follow ask that repository alone.
#[derive(Debug, Clone)]
pub(crate) struct Located {
    pub(crate) model: Model,
    /// Index of the repository in lookup order.
    pub(crate) index: usize,
    /// The repository's name, for errors.
    pub(crate) repo: String,
    pub(crate) versioned: Versioned,
}

impl Located {
    /// Wraps an error of this repository's backend.
    pub(crate) fn backend_err(&self) -> impl FnOnce(audmodel_backend::Error) -> Error + '_ {
        Error::backend(&self.repo)
    }
}

impl Audmodel {
    /// Resolves an ID in any form, as the reference's `split_uid`.
    pub(crate) fn resolve(&self, id: &str) -> Result<Model, Error> {
        let not_found = || Error::ModelNotFound { id: id.to_owned() };
        let parsed = match ModelId::parse(id)? {
            ModelId::Alias(alias) => {
                let uid = match self.resolve_alias(&alias) {
                    Err(Error::AliasNotFound { .. }) => return Err(not_found()),
                    other => other?,
                };
                ModelId::parse(&uid)
                    .map_err(|e| Error::corrupt(format!("alias '{alias}' points to '{uid}'"), e))?
            }
            other => other,
        };
        match parsed {
            ModelId::Uid { short_id, version } => Ok(Model {
                sid: short_id,
                version,
            }),
            ModelId::ShortId(sid) => {
                let version = self.all_versions(&sid)?.pop().ok_or_else(not_found)?;
                Ok(Model { sid, version })
            }
            ModelId::Legacy(sid) => {
                let version = match self.cached_legacy_version(&sid) {
                    Some(v) => v,
                    None => {
                        let header = paths::header(&sid)?;
                        self.repos
                            .first(|_, versioned| {
                                let mut found = versioned.versions(&header)?;
                                audmodel_uid::sort_versions(&mut found);
                                Ok(found.into_iter().next())
                            })?
                            .ok_or_else(not_found)?
                    }
                };
                Ok(Model { sid, version })
            }
            ModelId::Alias(_) => Err(not_found()),
        }
    }

    /// A legacy model has one version; a cached header names it.
    fn cached_legacy_version(&self, sid: &str) -> Option<String> {
        let mut names: Vec<String> = std::fs::read_dir(self.cache_dir(sid))
            .ok()?
            .filter_map(|e| e.ok())
            .filter_map(|e| {
                e.file_name()
                    .to_str()?
                    .strip_suffix(".header.yaml")
                    .map(str::to_owned)
            })
            .filter(|v| !v.starts_with('.'))
            .collect();
        names.sort();
        names.into_iter().next()
    }

    /// The first repository (in configured order) holding the model's header.
    pub(crate) fn locate(&self, model: &Model) -> Result<Located, Error> {
        let header = paths::header(&model.sid)?;
        if self.is_offline() {
            return Err(self.needs_repository(model));
        }
        self.repos
            .first(|index, versioned| {
                Ok(versioned.exists(&header, &model.version)?.then(|| Located {
                    model: model.clone(),
                    index,
                    repo: self.repos.repository(index).name.clone(),
                    versioned: versioned.clone(),
                }))
            })?
            .ok_or_else(|| Error::ModelNotFound { id: model.uid() })
    }

    /// Every version of a short ID in every repository, merged and sorted.
    pub(crate) fn all_versions(&self, sid: &str) -> Result<Vec<String>, Error> {
        if self.is_offline() {
            return self.cached_version_list(sid);
        }
        let header = paths::header(sid)?;
        let mut all = Vec::new();
        let mut failure = None;
        for index in 0..self.repos.len() {
            let found = self.repos.open(index).and_then(|v| {
                v.versions(&header)
                    .map_err(Error::backend(&self.repos.repository(index).name))
            });
            match found {
                Ok(found) => all.extend(found),
                Err(e @ Error::RepositoryUnavailable { .. }) => return Err(e),
                Err(e) => {
                    failure.get_or_insert(e);
                }
            }
        }
        if all.is_empty()
            && let Some(e) = failure
        {
            return Err(e);
        }
        audmodel_uid::sort_versions(&mut all);
        all.dedup();
        Ok(all)
    }

    /// All versions of the model, merged over every repository and sorted;
    /// empty when there is none. Offline, the versions in the cache.
    pub fn versions(&self, id: &str) -> Result<Vec<String>, Error> {
        let model = match self.resolve(id) {
            Ok(m) => m,
            Err(Error::ModelNotFound { .. } | Error::Uid(_)) => return Ok(Vec::new()),
            Err(e) => return Err(e),
        };
        if matches!(ModelId::parse(&model.sid), Ok(ModelId::Legacy(_))) {
            // A legacy ID encodes its one version.
            return Ok(vec![model.version]);
        }
        self.all_versions(&model.sid)
    }

    /// The latest version of the model.
    pub fn latest_version(&self, id: &str) -> Result<String, Error> {
        self.versions(id)?
            .pop()
            .ok_or_else(|| Error::ModelNotFound { id: id.to_owned() })
    }
}
