//! Checking cached models against their archives (SPEC 5): each file's
//! size and CRC-32 against the archive's central directory, read by a small
//! range read from the end of the archive in the repository, without
//! downloading it.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use crate::cache::list::CacheState;
use crate::load::is_filled;
use crate::lookup::Model;
use crate::{Audmodel, Error, lock, paths};

/// How a file of a cached model differs from its archive.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum FileProblem {
    /// In the archive, not in the cache.
    Missing {
        /// The entry name (`/`-separated, relative to the model folder).
        name: String,
    },
    /// In the cache, not in the archive (or not a regular file).
    Extra {
        /// The path relative to the model folder, with `/`.
        name: String,
    },
    /// Another size than the archive's entry.
    Size {
        /// The entry name.
        name: String,
        /// The size in the archive.
        expected: u64,
        /// The size in the cache.
        actual: u64,
    },
    /// The size matches, the CRC-32 does not.
    Crc {
        /// The entry name.
        name: String,
        /// The CRC-32 in the archive.
        expected: u32,
        /// The CRC-32 of the cached file.
        actual: u32,
    },
}

impl std::fmt::Display for FileProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FileProblem::Missing { name } => write!(f, "{name}: missing"),
            FileProblem::Extra { name } => write!(f, "{name}: not in the archive"),
            FileProblem::Size {
                name,
                expected,
                actual,
            } => write!(f, "{name}: {actual} bytes, the archive has {expected}"),
            FileProblem::Crc {
                name,
                expected,
                actual,
            } => write!(
                f,
                "{name}: CRC-32 {actual:08x}, the archive has {expected:08x}"
            ),
        }
    }
}

/// The outcome of checking one cached model.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct CacheCheck {
    /// The UID.
    pub uid: String,
    /// The model folder.
    pub path: PathBuf,
    /// Files checked (those of the archive).
    pub files: u64,
    /// What differs; empty when the model is whole.
    pub problems: Vec<FileProblem>,
}

impl CacheCheck {
    /// Whether any file differs from the archive.
    pub fn is_damaged(&self) -> bool {
        !self.problems.is_empty()
    }
}

impl Audmodel {
    /// Checks the cached models named by `ids` (every complete model in the
    /// cache when empty) against the central directories of their archives
    /// in the repository: no file missing, none extra, each of the
    /// archive's size and CRC-32. Each model is checked under the lock a
    /// load takes, so never while it is being unpacked. A short ID names
    /// every cached version of it.
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
    /// assert!(!client.cache_verify(&[]).unwrap()[0].is_damaged());
    /// std::fs::write(cached.join("weights.bin"), b"0124").unwrap();
    /// let checks = client.cache_verify(&[uid.as_str()]).unwrap();
    /// assert_eq!(checks[0].problems[0].to_string().split(':').next(), Some("weights.bin"));
    /// ```
    pub fn cache_verify(&self, ids: &[&str]) -> Result<Vec<CacheCheck>, Error> {
        let mut checks = Vec::new();
        for model in self.cached_models(ids, Some(CacheState::Complete))? {
            if let Some(check) = self.verify_cached(&model)? {
                checks.push(check);
            }
        }
        Ok(checks)
    }

    /// [`cache_verify`](Self::cache_verify), then removes each damaged
    /// model and loads it again; returns the checks made before repairing.
    pub fn cache_repair(&self, ids: &[&str]) -> Result<Vec<CacheCheck>, Error> {
        let checks = self.cache_verify(ids)?;
        for check in checks.iter().filter(|c| c.is_damaged()) {
            self.cache_remove(&check.uid)?;
            self.load(&check.uid)?;
        }
        Ok(checks)
    }

    /// Checks one cached model; `None` when it is not (or no longer) cached.
    fn verify_cached(&self, model: &Model) -> Result<Option<CacheCheck>, Error> {
        let root = self.cache_dir(&model.sid).join(&model.version);
        let at = self.locate(model)?;
        let header = self.header_at(&at)?;
        let logical = paths::archive(header.subgroup.as_deref(), &header.name, &model.sid)?;
        let directory = crate::archive::table_of_contents(&at, &logical)?;
        let _lock = lock::lock(&root, self.lock_timeout)?;
        if !is_filled(&root) {
            return Ok(None);
        }
        let mut on_disk = BTreeMap::new();
        let mut problems = Vec::new();
        list_files(&root, "", &mut on_disk, &mut problems)?;
        let mut files = 0;
        for entry in directory.entries() {
            files += 1;
            let name = entry.name.to_owned();
            let Some(path) = on_disk.remove(entry.name) else {
                problems.push(FileProblem::Missing { name });
                continue;
            };
            let actual = std::fs::metadata(&path).map_err(Error::io(&path))?.len();
            if actual != entry.size {
                problems.push(FileProblem::Size {
                    name,
                    expected: entry.size,
                    actual,
                });
                continue;
            }
            let crc = crc_of(&path)?;
            if crc != entry.crc {
                problems.push(FileProblem::Crc {
                    name,
                    expected: entry.crc,
                    actual: crc,
                });
            }
        }
        problems.extend(on_disk.into_keys().map(|name| FileProblem::Extra { name }));
        Ok(Some(CacheCheck {
            uid: model.uid(),
            path: root,
            files,
            problems,
        }))
    }
}

/// Regular files below `dir` by their archive name (`/`-separated); any
/// other kind of file is a problem of its own.
fn list_files(
    dir: &Path,
    prefix: &str,
    files: &mut BTreeMap<String, PathBuf>,
    problems: &mut Vec<FileProblem>,
) -> Result<(), Error> {
    for entry in std::fs::read_dir(dir).map_err(Error::io(dir))? {
        let entry = entry.map_err(Error::io(dir))?;
        let name = format!("{prefix}{}", entry.file_name().to_string_lossy());
        let kind = entry.file_type().map_err(Error::io(&entry.path()))?;
        if kind.is_dir() {
            list_files(&entry.path(), &format!("{name}/"), files, problems)?;
        } else if kind.is_file() {
            files.insert(name, entry.path());
        } else {
            problems.push(FileProblem::Extra { name });
        }
    }
    Ok(())
}

fn crc_of(path: &Path) -> Result<u32, Error> {
    let mut file = std::fs::File::open(path).map_err(Error::io(path))?;
    let mut hasher = crc32fast::Hasher::new();
    let mut buffer = vec![0; 1 << 20];
    loop {
        let read = file.read(&mut buffer).map_err(Error::io(path))?;
        if read == 0 {
            return Ok(hasher.finalize());
        }
        hasher.update(&buffer[..read]);
    }
}
