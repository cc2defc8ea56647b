//! What the cache holds (SPEC 5): every model version below
//! `{cache}/{sid}/`, whole, cut short by a killed load, or only its header
//! or metadata copy, with its size on disk and when it was last loaded.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use audmodel_uid::ModelId;

use crate::cache::last_loaded;
use crate::load::is_filled;
use crate::{Audmodel, Error, Header};

/// The state of a model version in the cache.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum CacheState {
    /// The model folder `{V}` is there (a load renamed it into place whole).
    Complete,
    /// No model folder, but what a load cut short leaves: a `{V}~` folder
    /// (the reference's and ours) or an empty `{V}` (the reference's). The
    /// next load of the model removes it.
    Partial,
    /// Only the header or metadata copy: the model was looked up, never
    /// loaded (or removed).
    NoModel,
}

impl CacheState {
    /// The word `audmodel cache ls` prints.
    pub fn as_str(self) -> &'static str {
        match self {
            CacheState::Complete => "complete",
            CacheState::Partial => "partial",
            CacheState::NoModel => "no-model",
        }
    }
}

impl std::fmt::Display for CacheState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One model version in the cache, as [`Audmodel::cache_list`] finds it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct CachedModel {
    /// The UID (for a legacy model, its legacy UID).
    pub uid: String,
    /// The short ID: the name of the folder `{cache}/{sid}`.
    pub short_id: String,
    /// The version.
    pub version: String,
    /// The model's name, from the cached header (`None` without one).
    pub name: Option<String>,
    /// The subgroup, from the cached header (`None` without one or when
    /// published without).
    pub subgroup: Option<String>,
    /// Bytes on disk (allocated blocks) of the model folder, a partial
    /// `{V}~`, and the header and metadata copies.
    pub size: u64,
    /// Number of files in the model folder (or the partial one).
    pub files: u64,
    /// When the model was last loaded (by either tool), when known.
    pub last_loaded: Option<SystemTime>,
    /// Whole, cut short, or no model.
    pub state: CacheState,
    /// The model folder `{cache}/{sid}/{V}` (which need not exist).
    pub path: PathBuf,
}

/// What one `{cache}/{sid}` folder holds of one version.
#[derive(Debug, Default)]
struct Found {
    model: bool,
    partial: bool,
    header: bool,
    meta: bool,
}

impl Audmodel {
    /// Every model version in the cache, sorted by UID. Reads only the
    /// cache, never a repository.
    ///
    /// ```
    /// use audmodel_core::{Audmodel, CacheState, Config, Mapping, PublishOptions, Repository};
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
    /// let cached = client.cache_list().unwrap();
    /// assert_eq!(cached[0].uid, uid);
    /// assert_eq!(cached[0].name.as_deref(), Some("torch"));
    /// assert_eq!((cached[0].state, cached[0].files), (CacheState::Complete, 1));
    /// assert!(cached[0].last_loaded.is_some());
    /// ```
    pub fn cache_list(&self) -> Result<Vec<CachedModel>, Error> {
        let root = &self.config.cache_root;
        let entries = match std::fs::read_dir(root) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(Error::io(root)(e)),
        };
        let mut sids = Vec::new();
        for entry in entries {
            let entry = entry.map_err(Error::io(root))?;
            let Some(sid) = entry.file_name().to_str().map(str::to_owned) else {
                continue;
            };
            if sid.starts_with('.') || !entry.file_type().is_ok_and(|t| t.is_dir()) {
                continue;
            }
            sids.push(sid);
        }
        // Mostly waiting on file metadata: a few threads overlap it.
        let threads = std::thread::available_parallelism().map_or(2, |n| n.get().clamp(2, 8));
        let chunk = sids.len().div_ceil(threads).max(1);
        let parts: Vec<Result<Vec<CachedModel>, Error>> = std::thread::scope(|scope| {
            let handles: Vec<_> = sids
                .chunks(chunk)
                .map(|sids| {
                    scope.spawn(move || {
                        let mut found = Vec::new();
                        for sid in sids {
                            found.extend(self.cached_versions(sid)?);
                        }
                        Ok(found)
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| {
                    h.join()
                        .unwrap_or_else(|_| Err(Error::invalid("listing the cache panicked")))
                })
                .collect()
        });
        let mut all = Vec::new();
        for part in parts {
            all.extend(part?);
        }
        all.sort_by(|a, b| a.uid.cmp(&b.uid));
        Ok(all)
    }

    /// The versions cached below `{cache}/{sid}`.
    pub(crate) fn cached_versions(&self, sid: &str) -> Result<Vec<CachedModel>, Error> {
        let dir = self.cache_dir(sid);
        let mut found: BTreeMap<String, Found> = BTreeMap::new();
        let entries = match std::fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(Error::io(&dir)(e)),
        };
        for entry in entries {
            let entry = entry.map_err(Error::io(&dir))?;
            let Some(name) = entry.file_name().to_str().map(str::to_owned) else {
                continue;
            };
            // Lock files, half-written copies, models being removed.
            if name.starts_with('.') {
                continue;
            }
            let is_dir = entry.file_type().is_ok_and(|t| t.is_dir());
            if is_dir {
                match name.strip_suffix('~') {
                    Some(version) => found.entry(version.to_owned()).or_default().partial = true,
                    None => found.entry(name).or_default().model = true,
                }
            } else if let Some(version) = name.strip_suffix(".header.yaml") {
                found.entry(version.to_owned()).or_default().header = true;
            } else if let Some(version) = name.strip_suffix(".meta.yaml") {
                found.entry(version.to_owned()).or_default().meta = true;
            }
        }
        let legacy = matches!(ModelId::parse(sid), Ok(ModelId::Legacy(_)));
        Ok(found
            .into_iter()
            .map(|(version, found)| {
                let path = dir.join(&version);
                let partial = dir.join(format!("{version}~"));
                let header_file = dir.join(format!("{version}.header.yaml"));
                let meta_file = dir.join(format!("{version}.meta.yaml"));
                let complete = found.model && is_filled(&path);
                let state = if complete {
                    CacheState::Complete
                } else if found.model || found.partial {
                    CacheState::Partial
                } else {
                    CacheState::NoModel
                };
                let mut usage = Usage::default();
                for folder in [&path, &partial] {
                    usage.add_tree(folder);
                }
                let files = usage.files;
                for file in [&header_file, &meta_file] {
                    usage.add_file(file);
                }
                let (name, subgroup) = found
                    .header
                    .then(|| std::fs::read_to_string(&header_file).ok())
                    .flatten()
                    .and_then(|text| {
                        plain_name_and_subgroup(&text).or_else(|| {
                            let header = Header::from_yaml(&text, "").ok()?;
                            Some((header.name, header.subgroup))
                        })
                    })
                    .map_or((None, None), |(name, subgroup)| (Some(name), subgroup));
                CachedModel {
                    uid: if legacy {
                        sid.to_owned()
                    } else {
                        format!("{sid}-{version}")
                    },
                    short_id: sid.to_owned(),
                    name,
                    subgroup,
                    size: usage.bytes,
                    files,
                    last_loaded: (state != CacheState::NoModel)
                        .then(|| last_loaded::last_loaded(&path))
                        .flatten(),
                    state,
                    path,
                    version,
                }
            })
            .collect())
    }
}

/// Name and subgroup of a header as PyYAML writes most of them (`name:
/// torch`, `subgroup: audmodel.dummy` or `subgroup: ''`), without parsing
/// the YAML: parsing is most of the time of listing a large cache. `None`
/// for anything less plain (quoted, or a word YAML reads as another type),
/// which the full parser then reads.
fn plain_name_and_subgroup(text: &str) -> Option<(String, Option<String>)> {
    let plain = |value: &str| {
        let word = value.to_ascii_lowercase();
        let typed = ["yes", "no", "true", "false", "on", "off", "null", "y", "n"];
        (value.starts_with(|c: char| c.is_ascii_alphabetic())
            && value
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
            && !typed.contains(&word.as_str()))
        .then(|| value.to_owned())
    };
    let field = |key: &str| {
        text.lines()
            .find_map(|line| line.strip_prefix(key)?.strip_prefix(": "))
    };
    let name = plain(field("name")?)?;
    let subgroup = match field("subgroup")? {
        "''" => None,
        value => Some(plain(value)?),
    };
    Some((name, subgroup))
}

/// Bytes on disk and files below some paths; what vanishes meanwhile (a
/// concurrent removal) is not counted.
#[derive(Debug, Default)]
pub(crate) struct Usage {
    pub(crate) bytes: u64,
    pub(crate) files: u64,
}

impl Usage {
    pub(crate) fn add_file(&mut self, path: &Path) {
        if let Ok(meta) = std::fs::symlink_metadata(path) {
            self.bytes += on_disk(&meta);
        }
    }

    pub(crate) fn add_tree(&mut self, dir: &Path) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let Ok(meta) = entry.metadata() else {
                continue;
            };
            self.bytes += on_disk(&meta);
            if meta.is_dir() {
                self.add_tree(&entry.path());
            } else {
                self.files += 1;
            }
        }
    }
}

fn on_disk(meta: &std::fs::Metadata) -> u64 {
    use std::os::unix::fs::MetadataExt;
    meta.blocks() * 512
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// The shortcut agrees with the parser wherever it answers.
    #[test]
    fn plain_headers_read_without_the_parser_as_with_it() {
        let header = |name: &str, subgroup: &str| {
            format!(
                "author: a\ndate: 2024-01-02\nname: {name}\nparameters:\n  name: other\nsubgroup: {subgroup}\nversion: 1.0.0\n"
            )
        };
        for (name, subgroup, fast) in [
            ("torch", "audmodel.dummy.cnn", true),
            ("torch", "''", true),
            ("'1.0'", "a", false),
            ("'yes'", "a", false),
            ("x y", "a", false),
            ("torch", "'123'", false),
        ] {
            let text = header(name, subgroup);
            let parsed = Header::from_yaml(&text, "").unwrap();
            let quick = plain_name_and_subgroup(&text);
            assert_eq!(quick.is_some(), fast, "{text}");
            if let Some(quick) = quick {
                assert_eq!(quick, (parsed.name, parsed.subgroup), "{text}");
            }
        }
    }
}
