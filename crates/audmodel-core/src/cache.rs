//! Cache files next to unpacked models (SPEC 5): the header copy
//! `{cache}/{sid}/{V}.header.yaml` and helpers to write cache files whole.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::lookup::{Located, Model};
use crate::{Audmodel, Error, Header, lock, paths};

impl Audmodel {
    /// `{cache}/{sid}/{V}.{ext}`
    pub(crate) fn cache_file(&self, model: &Model, ext: &str) -> PathBuf {
        self.cache_dir(&model.sid)
            .join(format!("{}.{ext}", model.version))
    }

    /// The header, from the cache when there (a published header never
    /// changes, so the repository is not asked), else downloaded into it
    /// under the same lock as the reference's `get_header`.
    pub(crate) fn header_of(&self, model: &Model) -> Result<Header, Error> {
        // As the reference, which asks the repositories before its cache:
        // a cached header is no answer while a repository is missing.
        self.repos.check_all()?;
        self.cached_header(model, || self.locate(model))
    }

    /// [`header_of`](Self::header_of) a model already located.
    pub(crate) fn header_at(&self, at: &Located) -> Result<Header, Error> {
        self.cached_header(&at.model, || Ok(at.clone()))
    }

    fn cached_header(
        &self,
        model: &Model,
        locate: impl FnOnce() -> Result<Located, Error>,
    ) -> Result<Header, Error> {
        let local = self.cache_file(model, "header.yaml");
        let _lock = lock::lock(&local, lock::SHORT_TIMEOUT)?;
        if !local.exists() {
            let at = locate()?;
            let bytes = at
                .versioned
                .get_bytes(&paths::header(&model.sid)?, &model.version)
                .map_err(at.backend_err())?;
            write_whole(&local, &bytes)?;
        }
        let text = std::fs::read_to_string(&local).map_err(Error::io(&local))?;
        Header::from_yaml(&text, &local.display().to_string())
    }
}

/// Writes `bytes` to `path` through a temporary file in the same folder
/// renamed into place, so no reader (Python or Rust) sees half a file.
pub(crate) fn write_whole(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    let dir = path
        .parent()
        .ok_or_else(|| Error::invalid(format!("'{}' has no folder", path.display())))?;
    std::fs::create_dir_all(dir).map_err(Error::io(dir))?;
    let mut tmp = tempfile::Builder::new()
        .prefix(".tmp-")
        .tempfile_in(dir)
        .map_err(Error::io(dir))?;
    tmp.write_all(bytes).map_err(Error::io(tmp.path()))?;
    tmp.persist(path).map_err(|e| Error::io(path)(e.error))?;
    Ok(())
}
