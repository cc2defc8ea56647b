//! The configured repositories, each opened once on first use.

use std::sync::Mutex;

use audmodel_backend::{Registry, Repository, Versioned};

use crate::Error;

/// Configured repositories in lookup order, opened lazily (an S3 backend
/// owns a runtime and a connection pool, worth keeping).
#[derive(Debug)]
pub(crate) struct Repos {
    repositories: Vec<Repository>,
    registry: Registry,
    opened: Mutex<Vec<Option<Versioned>>>,
    /// No repository may be opened.
    offline: bool,
    /// The repositories are the embedded default, whose folder a fresh
    /// machine does not have until the first publish makes it: until then
    /// it is an empty repository, not a broken one.
    embedded_default: bool,
}

impl Repos {
    pub(crate) fn new(
        repositories: Vec<Repository>,
        registry: Registry,
        embedded_default: bool,
    ) -> Repos {
        let opened = Mutex::new(vec![None; repositories.len()]);
        Repos {
            repositories,
            registry,
            opened,
            offline: false,
            embedded_default,
        }
    }

    /// Tells `observer` of the retries and resumes of repositories opened
    /// from now on.
    pub(crate) fn set_observer(&mut self, observer: audmodel_backend::TransferObserver) {
        self.registry.set_observer(observer);
    }

    pub(crate) fn set_offline(&mut self, offline: bool) {
        self.offline = offline;
    }

    pub(crate) fn is_offline(&self) -> bool {
        self.offline
    }

    pub(crate) fn len(&self) -> usize {
        self.repositories.len()
    }

    pub(crate) fn repository(&self, index: usize) -> &Repository {
        &self.repositories[index]
    }

    /// The index of the repository called `name`.
    pub(crate) fn index_of(&self, name: &str) -> Result<usize, Error> {
        self.repositories
            .iter()
            .position(|r| r.name == name)
            .ok_or_else(|| Error::UnknownRepository {
                name: name.to_owned(),
                configured: self.repositories.iter().map(|r| r.name.clone()).collect(),
            })
    }

    /// The opened repository at `index`, checked to be there (a file
    /// system's folder: a stat) at every call, so a configured folder moved
    /// away or unmounted while a program runs is reported, not taken for an
    /// empty repository. The embedded default is not checked: its missing
    /// folder reads as an empty repository.
    pub(crate) fn open(&self, index: usize) -> Result<Versioned, Error> {
        let versioned = self.open_unchecked(index)?;
        if !self.embedded_default {
            versioned
                .check_root()
                .map_err(Error::backend(&self.repositories[index].name))?;
        }
        Ok(versioned)
    }

    /// Whether the repositories are the embedded default (see the field).
    pub(crate) fn is_embedded_default(&self) -> bool {
        self.embedded_default
    }

    fn open_unchecked(&self, index: usize) -> Result<Versioned, Error> {
        if self.offline {
            return Err(Error::Offline {
                what: format!("this needs repository '{}'", self.repositories[index].name),
            });
        }
        let mut opened = self
            .opened
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(v) = &opened[index] {
            return Ok(v.clone());
        }
        let repo = &self.repositories[index];
        let backend = self
            .registry
            .open(repo)
            .map_err(Error::backend(&repo.name))?;
        let versioned = Versioned::new(backend);
        opened[index] = Some(versioned.clone());
        Ok(versioned)
    }

    /// Opens every repository, as the reference opens each before it asks
    /// it anything: the first that cannot be opened is the error.
    pub(crate) fn check_all(&self) -> Result<(), Error> {
        if self.offline {
            return Ok(());
        }
        (0..self.len()).try_for_each(|index| self.open(index).map(drop))
    }

    /// Runs `find` on each repository in order and returns the first hit.
    /// A repository that fails a request is skipped; its error is returned
    /// only when no repository has a hit, so an unreachable server is not
    /// reported as a missing model. A repository that cannot be opened at
    /// all (its folder missing) is the error at once, as in the reference.
    pub(crate) fn first<T>(
        &self,
        mut find: impl FnMut(usize, &Versioned) -> Result<Option<T>, audmodel_backend::Error>,
    ) -> Result<Option<T>, Error> {
        let mut failure = None;
        for index in 0..self.len() {
            let versioned = match self.open(index) {
                Ok(v) => v,
                Err(e @ Error::RepositoryUnavailable { .. }) => return Err(e),
                Err(e) => {
                    failure.get_or_insert(e);
                    continue;
                }
            };
            match find(index, &versioned) {
                Ok(Some(hit)) => return Ok(Some(hit)),
                Ok(None) => {}
                Err(e) => {
                    failure.get_or_insert(Error::backend(&self.repositories[index].name)(e));
                }
            }
        }
        match failure {
            Some(e) => Err(e),
            None => Ok(None),
        }
    }
}
