//! Listing every published model of every repository (for `audmodel ls`).

use audmodel_uid::Value;

use crate::{Audmodel, Error, Header, paths};

/// Which models [`Audmodel::list`] returns; empty fields match everything.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ListFilter {
    /// Only models of this name.
    pub name: Option<String>,
    /// Only models of this subgroup or below it (`a.b` matches `a.b` and `a.b.c`).
    pub subgroup: Option<String>,
    /// Only models whose parameters hold each of these key/value pairs.
    pub params: Vec<(String, Value)>,
}

impl ListFilter {
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
        name_ok && subgroup_ok && params_ok
    }
}

/// One published model.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelSummary {
    /// Its UID.
    pub uid: String,
    /// Its header.
    pub header: Header,
    /// The name of the repository holding it.
    pub repository: String,
}

impl Audmodel {
    /// Every published model (one whose header exists) of every repository
    /// that passes `filter`, in repository order, then by UID. A UID in two
    /// repositories is listed once, from the first (lookup order).
    pub fn list(&self, filter: &ListFilter) -> Result<Vec<ModelSummary>, Error> {
        let uid_folder = crate::paths::uid_folder()?;
        let mut found: Vec<ModelSummary> = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for index in 0..self.repos.len() {
            let repo = self.repos.repository(index).name.clone();
            let versioned = self.repos.open(index)?;
            let headers: Vec<(String, String)> = versioned
                .list(&uid_folder)
                .map_err(Error::backend(&repo))?
                .into_iter()
                .filter_map(|(path, version)| {
                    let (_, name) = path.split();
                    let sid = name.strip_suffix(".header.yaml")?.to_owned();
                    Some((sid, version))
                })
                // A UID in two repositories counts in the first (lookup order).
                .filter(|(sid, version)| seen.insert(format!("{sid}-{version}")))
                .collect();
            // Small files: read a few at once, as a listing can hold thousands.
            let results: Vec<Result<ModelSummary, Error>> = std::thread::scope(|scope| {
                let chunks: Vec<_> = headers
                    .chunks(headers.len().div_ceil(8).max(1))
                    .map(|chunk| {
                        let versioned = &versioned;
                        let repo = &repo;
                        scope.spawn(move || {
                            chunk
                                .iter()
                                .map(|(sid, version)| {
                                    let bytes = versioned
                                        .get_bytes(&paths::header(sid)?, version)
                                        .map_err(Error::backend(repo))?;
                                    let text = String::from_utf8_lossy(&bytes);
                                    let uid = format!("{sid}-{version}");
                                    Ok(ModelSummary {
                                        header: Header::from_yaml(&text, &uid)?,
                                        uid,
                                        repository: repo.clone(),
                                    })
                                })
                                .collect::<Vec<_>>()
                        })
                    })
                    .collect();
                chunks
                    .into_iter()
                    .flat_map(|h| h.join().unwrap_or_default())
                    .collect()
            });
            for result in results {
                let summary = result?;
                if filter.matches(&summary.header) {
                    found.push(summary);
                }
            }
        }
        Ok(found)
    }
}
