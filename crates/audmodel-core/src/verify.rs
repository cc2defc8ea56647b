//! Checking published models in their repository (SPEC 3): the archive
//! streamed once, its MD5 against the checksum, its zip structure and every
//! entry's CRC-32, and that header, metadata and alias files parse.

use audmodel_uid::CancelToken;

use crate::load::Archive;
use crate::lookup::{Located, Model};
use crate::{Audmodel, Error, ErrorKind, Header, paths};

/// The outcome of checking one published model in its repository.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RepositoryCheck {
    /// The UID.
    pub uid: String,
    /// The repository holding it.
    pub repository: String,
    /// What is wrong, one sentence each; empty when the model is sound.
    pub problems: Vec<String>,
}

impl RepositoryCheck {
    /// Whether anything is wrong with the model.
    pub fn is_damaged(&self) -> bool {
        !self.problems.is_empty()
    }
}

impl Audmodel {
    /// Checks a published model in the repository holding it: the header,
    /// metadata, aliases and alias files parse (and the aliases point back
    /// to it), and the archive, streamed once and unpacked into a hidden
    /// scratch folder of the cache that is removed afterwards, has the
    /// repository's MD5 checksum, a sound zip structure and every entry its
    /// CRC-32. The cache's model is not touched.
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
    /// let check = client.verify(&uid).unwrap();
    /// assert!(!check.is_damaged(), "{:?}", check.problems);
    /// assert_eq!(client.verify_all(Some("models")).unwrap().len(), 1);
    /// ```
    pub fn verify(&self, id: &str) -> Result<RepositoryCheck, Error> {
        let model = self.resolve(id)?;
        let at = self.locate(&model)?;
        self.verify_at(&at)
    }

    /// [`verify`](Self::verify) of every published model (one with a
    /// header) of the repository called `repository`, or of every
    /// configured one; a model in two repositories is checked in each.
    pub fn verify_all(&self, repository: Option<&str>) -> Result<Vec<RepositoryCheck>, Error> {
        let indices: Vec<usize> = match repository {
            Some(name) => vec![self.repos.index_of(name)?],
            None => (0..self.repos.len()).collect(),
        };
        let uid_folder = paths::uid_folder()?;
        let mut checks = Vec::new();
        for index in indices {
            let repo = self.repos.repository(index).name.clone();
            let versioned = self.repos.open(index)?;
            let mut models: Vec<Model> = versioned
                .list(&uid_folder)
                .map_err(Error::backend(&repo))?
                .into_iter()
                .filter_map(|(path, version)| {
                    let (_, name) = path.split();
                    let sid = name.strip_suffix(".header.yaml")?.to_owned();
                    Some(Model { sid, version })
                })
                .collect();
            models.sort_by_key(Model::uid);
            for model in models {
                checks.push(self.verify_at(&Located {
                    model,
                    index,
                    repo: repo.clone(),
                    versioned: versioned.clone(),
                })?);
            }
        }
        Ok(checks)
    }

    fn verify_at(&self, at: &Located) -> Result<RepositoryCheck, Error> {
        let model = &at.model;
        let mut problems = Vec::new();
        let mut note = |result: Result<(), Error>| match result {
            Err(e) if matches!(e.kind(), ErrorKind::Corrupt | ErrorKind::NotFound) => {
                problems.push(e.to_string());
                Ok(())
            }
            other => other,
        };
        let header = self.repository_header(at);
        let archive = match &header {
            Ok(header) => Some(paths::archive(
                header.subgroup.as_deref(),
                &header.name,
                &model.sid,
            )?),
            Err(_) => None,
        };
        note(header.map(|_| ()))?;
        note(self.repository_meta(at))?;
        note(self.repository_aliases(at))?;
        if let Some(logical) = archive {
            let cancel = CancelToken::new();
            let archive = Archive {
                at,
                logical,
                cancel: &cancel,
            };
            let cache = &self.config.cache_root;
            std::fs::create_dir_all(cache).map_err(Error::io(cache))?;
            let scratch = crate::cache::shared_temp(".audmodel-verify-", 0o777)
                .tempdir_in(cache)
                .map_err(Error::io(cache))?;
            let unpacked = self
                .unpack_download(&archive, &scratch.path().join("model"))
                .map_err(|e| match e {
                    Error::Archive(
                        refused @ (audmodel_archive::Error::Unsafe { .. }
                        | audmodel_archive::Error::Corrupt { .. }),
                    ) => Error::corrupt(archive.what(), refused),
                    other => other,
                });
            note(unpacked)?;
        }
        Ok(RepositoryCheck {
            uid: model.uid(),
            repository: at.repo.clone(),
            problems,
        })
    }

    /// The header as the repository holds it (not the cache's copy).
    fn repository_header(&self, at: &Located) -> Result<Header, Error> {
        let model = &at.model;
        let bytes = at
            .versioned
            .get_bytes(&paths::header(&model.sid)?, &model.version)
            .map_err(at.backend_err())?;
        let text = String::from_utf8(bytes)
            .map_err(|e| Error::corrupt(format!("header of '{}'", model.uid()), e))?;
        Header::from_yaml(&text, &format!("of '{}'", model.uid()))
    }

    fn repository_meta(&self, at: &Located) -> Result<(), Error> {
        let model = &at.model;
        let bytes = at
            .versioned
            .get_bytes(&paths::meta(&model.sid)?, &model.version)
            .map_err(at.backend_err())?;
        crate::meta::parse_meta(&bytes, &model.uid()).map(|_| ())
    }

    fn repository_aliases(&self, at: &Located) -> Result<(), Error> {
        let uid = at.model.uid();
        for alias in crate::alias::read_aliases(at)? {
            let points_to = self.resolve_alias(&alias)?;
            if points_to != uid {
                return Err(Error::corrupt(
                    format!("aliases file of '{uid}'"),
                    format!("lists alias '{alias}', which points to '{points_to}'"),
                ));
            }
        }
        Ok(())
    }
}
