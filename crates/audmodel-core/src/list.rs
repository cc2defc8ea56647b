//! Listing every published model of every repository (for `audmodel ls`
//! and the web pages).
//!
//! A registry can hold thousands of models, so a listing asks each store for
//! one listing of `/_uid` and reads only what it cannot know already: a
//! published header never changes, so the headers read once are kept in the
//! cache (`{cache}/{sid}/{V}.header.yaml`, the reference's own copies) and
//! read from there. Aliases can change: the aliases files the listing shows
//! are read on every call.

use audmodel_backend::{BackendPath, Versioned};
use audmodel_uid::Value;

use crate::{Audmodel, Error, Header, paths};

/// Which models [`Audmodel::list`] returns; empty fields match everything.
/// Start from [`ListFilter::default`] (every model) and chain the methods
/// named as the fields, or set the fields of a default:
///
/// ```
/// use audmodel_core::ListFilter;
/// let filter = ListFilter::default()
///     .subgroup("audmodel.dummy")
///     .param("sampling_rate", 16000)
///     .search("cnn");
/// assert_eq!(filter.params.len(), 1);
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct ListFilter {
    /// Only models of this name.
    pub name: Option<String>,
    /// Only models of this subgroup or below it (`a.b` matches `a.b` and `a.b.c`).
    pub subgroup: Option<String>,
    /// Only models whose parameters hold each of these key/value pairs.
    pub params: Vec<(String, Value)>,
    /// Only models whose name, subgroup or a parameter value contains this
    /// text, ignoring case.
    pub search: Option<String>,
}

impl ListFilter {
    /// The same filter, passing only models of this name.
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// The same filter, passing only models of this subgroup or below it.
    pub fn subgroup(mut self, subgroup: impl Into<String>) -> Self {
        self.subgroup = Some(subgroup.into());
        self
    }

    /// The same filter, passing only models whose parameter `key` is also
    /// `value`.
    pub fn param(mut self, key: impl Into<String>, value: impl Into<Value>) -> Self {
        self.params.push((key.into(), value.into()));
        self
    }

    /// The same filter, passing only models whose name, subgroup or a
    /// parameter value contains this text, ignoring case.
    pub fn search(mut self, text: impl Into<String>) -> Self {
        self.search = Some(text.into());
        self
    }

    /// Whether a header passes the filter.
    pub fn matches(&self, header: &Header) -> bool {
        let name_ok = self.name.as_ref().is_none_or(|n| *n == header.name);
        let subgroup_ok = self.subgroup.as_ref().is_none_or(|want| {
            let have = header.subgroup.as_deref().unwrap_or("");
            have == want || have.starts_with(&format!("{want}."))
        });
        let params_ok = self
            .params
            .iter()
            .all(|(k, v)| header.parameters.get(k) == Some(v));
        let search_ok = self.search.as_ref().is_none_or(|text| {
            let text = text.to_lowercase();
            let contains = |s: &str| s.to_lowercase().contains(&text);
            contains(&header.name)
                || contains(header.subgroup.as_deref().unwrap_or(""))
                || header.parameters.iter().any(|(_, v)| match v {
                    Value::Str(s) => contains(s),
                    other => contains(&audmodel_uid::py_repr(other)),
                })
        });
        name_ok && subgroup_ok && params_ok && search_ok
    }
}

/// One published model.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct ModelSummary {
    /// Its UID.
    pub uid: String,
    /// Its short ID (the UID without the version; a legacy UID whole).
    pub short_id: String,
    /// Its header.
    pub header: Header,
    /// The name of the repository holding it.
    pub repository: String,
    /// Its aliases, sorted (read fresh: they can change).
    pub aliases: Vec<String>,
}

/// What [`Audmodel::listing`] found: the models it could read, and what it
/// could not.
#[derive(Debug)]
#[non_exhaustive]
pub struct Listing {
    /// Every model whose header was read, in repository order, then by UID.
    pub models: Vec<ModelSummary>,
    /// A repository that could not be listed, or a header or aliases file
    /// that could not be read.
    pub problems: Vec<ListProblem>,
}

/// Something [`Audmodel::listing`] could not read.
#[derive(Debug)]
#[non_exhaustive]
pub struct ListProblem {
    /// The repository asked.
    pub repository: String,
    /// The model whose files could not be read; `None` when the repository
    /// could not be listed at all.
    pub uid: Option<String>,
    /// Why.
    pub error: Error,
}

/// A model the listing of `/_uid` showed, before its header is read.
struct Listed {
    sid: String,
    version: String,
    has_aliases: bool,
}

impl Listed {
    fn uid(&self) -> String {
        format!("{}-{}", self.sid, self.version)
    }
}

impl Audmodel {
    /// Every published model (one whose header exists) of every repository
    /// that passes `filter`, in repository order, then by UID. A UID in two
    /// repositories is listed once, from the first (lookup order). The first
    /// repository or file that cannot be read is the error.
    pub fn list(&self, filter: &ListFilter) -> Result<Vec<ModelSummary>, Error> {
        let listing = self.listing();
        if let Some(problem) = listing.problems.into_iter().next() {
            return Err(problem.error);
        }
        Ok(listing
            .models
            .into_iter()
            .filter(|m| filter.matches(&m.header))
            .collect())
    }

    /// Every published model of every repository, as [`list`](Self::list)
    /// without a filter, but what cannot be read (a repository that is down,
    /// a damaged header) is reported beside the rest instead of failing the
    /// whole listing. Each store is asked for one listing, the headers not
    /// yet in the cache, and the aliases files of models that have one.
    pub fn listing(&self) -> Listing {
        self.listing_of(None)
    }

    /// The versions of one model (short ID `sid`) as [`listing`](Self::listing)
    /// gives them, asking each store for the listing of that model's files
    /// alone (two small listings), not of every model.
    pub fn model_listing(&self, sid: &str) -> Listing {
        self.listing_of(Some(sid))
    }

    fn listing_of(&self, sid: Option<&str>) -> Listing {
        let mut listing = Listing {
            models: Vec::new(),
            problems: Vec::new(),
        };
        let mut seen = std::collections::HashSet::new();
        for index in 0..self.repos.len() {
            let repository = self.repos.repository(index).name.clone();
            let listed = match self.repos.open(index).and_then(|versioned| {
                let listed = list_uid_folder(&versioned, &paths::uid_folder()?, sid)
                    .map_err(Error::backend(&repository))?;
                Ok((versioned, listed))
            }) {
                Ok(found) => found,
                Err(error) => {
                    listing.problems.push(ListProblem {
                        repository,
                        uid: None,
                        error,
                    });
                    continue;
                }
            };
            let (versioned, listed) = listed;
            // A UID in two repositories counts in the first (lookup order).
            let listed: Vec<Listed> = listed
                .into_iter()
                .filter(|model| seen.insert(model.uid()))
                .collect();
            let read = in_parallel(&listed, |model| {
                self.summary(&versioned, &repository, model)
            });
            for (model, result) in listed.iter().zip(read) {
                match result {
                    Ok(summary) => listing.models.push(summary),
                    Err(error) => listing.problems.push(ListProblem {
                        repository: repository.clone(),
                        uid: Some(model.uid()),
                        error,
                    }),
                }
            }
        }
        listing
    }

    /// The header (from the cache when there) and aliases of a listed model.
    fn summary(
        &self,
        versioned: &Versioned,
        repository: &str,
        model: &Listed,
    ) -> Result<ModelSummary, Error> {
        let uid = model.uid();
        let local = self
            .cache_dir(&model.sid)
            .join(format!("{}.header.yaml", model.version));
        // Cache copies are written whole (renamed into place), so no lock is
        // needed to read one; a damaged copy is read again from the store.
        let cached = std::fs::read_to_string(&local)
            .ok()
            .and_then(|text| Header::from_yaml(&text, &uid).ok());
        let header = match cached {
            Some(header) => header,
            None => {
                let bytes = versioned
                    .get_bytes(&paths::header(&model.sid)?, &model.version)
                    .map_err(Error::backend(repository))?;
                let header = Header::from_yaml(&String::from_utf8_lossy(&bytes), &uid)?;
                // Only a header that reads well is kept; a cache that cannot
                // be written only costs the next listing a request.
                let _ = crate::cache::write_whole(&local, &bytes);
                header
            }
        };
        let aliases = match model.has_aliases {
            true => {
                crate::alias::read_aliases_of(versioned, repository, &model.sid, &model.version)?
            }
            false => Vec::new(),
        };
        Ok(ModelSummary {
            uid,
            short_id: model.sid.clone(),
            header,
            repository: repository.to_owned(),
            aliases,
        })
    }
}

/// The models one listing of `/_uid` shows, by UID; or those of short ID
/// `sid` alone, from the listings of its files.
fn list_uid_folder(
    versioned: &Versioned,
    uid_folder: &BackendPath,
    sid: Option<&str>,
) -> Result<Vec<Listed>, audmodel_backend::Error> {
    let files = match sid {
        None => versioned.list(uid_folder)?,
        Some(sid) => {
            let mut files = versioned.list_base(uid_folder, sid)?;
            files.extend(versioned.list_base(uid_folder, &format!("{sid}.aliases"))?);
            files
        }
    };
    let mut models: Vec<Listed> = Vec::new();
    let mut aliased = std::collections::HashSet::new();
    for (path, version) in files {
        let (_, name) = path.split();
        if let Some(sid) = name.strip_suffix(".header.yaml") {
            models.push(Listed {
                sid: sid.to_owned(),
                version,
                has_aliases: false,
            });
        } else if let Some(sid) = name.strip_suffix(".aliases.yaml") {
            aliased.insert(format!("{sid}-{version}"));
        }
    }
    for model in &mut models {
        model.has_aliases = aliased.contains(&model.uid());
    }
    Ok(models)
}

/// `read` of every item, many at once (small files, each a round trip to
/// the store), in the items' order.
fn in_parallel<T: Sync, R: Send>(items: &[T], read: impl Fn(&T) -> R + Sync) -> Vec<R> {
    // Measured on Garage (`cargo xtask bench registry --models 2000`): 2,000
    // cold headers took 11.1 s with 8 readers, 3.3 s with 32, 2.8 s with 64.
    const READERS: usize = 32;
    std::thread::scope(|scope| {
        let read = &read;
        let workers: Vec<_> = items
            .chunks(items.len().div_ceil(READERS).max(1))
            .map(|chunk| scope.spawn(move || chunk.iter().map(read).collect::<Vec<R>>()))
            .collect();
        workers
            .into_iter()
            .flat_map(|worker| match worker.join() {
                Ok(results) => results,
                Err(panic) => std::panic::resume_unwind(panic),
            })
            .collect()
    })
}
