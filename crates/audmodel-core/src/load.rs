//! Loading a model into the cache (SPEC 5), as the reference's
//! `get_archive`, with the archive's MD5 checked before unpacking.

use std::path::PathBuf;

use crate::progress::{Stage, run_stage};
use crate::{Audmodel, Error, lock, paths};

impl Audmodel {
    /// Downloads and unpacks the model into `{cache}/{sid}/{V}` and returns
    /// that folder. A folder already there is returned at once, without
    /// asking any repository. Concurrent loads of one model (Python or Rust
    /// processes) wait for each other through the lock file
    /// `{cache}/{sid}/.{V}.lock`; the archive's MD5 is checked against the
    /// repository's checksum before unpacking (a mismatch is
    /// [`ErrorKind::Corrupt`](crate::ErrorKind::Corrupt) and nothing is cached).
    pub fn load(&self, id: &str) -> Result<PathBuf, Error> {
        let model = self.resolve(id)?;
        let root = self.cache_dir(&model.sid).join(&model.version);
        let _lock = lock::lock(&root, self.lock_timeout)?;
        if is_filled(&root) {
            return Ok(root);
        }
        let header = self.header_of(&model)?;
        let (index, versioned) = self.locate(&model)?;
        let repo = &self.repos.repository(index).name;
        let archive = paths::archive(header.subgroup.as_deref(), &header.name, &model.sid)?;
        let stored = audmodel_backend::Versioned::path(&archive, &model.version)
            .map_err(Error::backend(repo))?;
        let backend = versioned.backend();

        let sid_dir = self.cache_dir(&model.sid);
        let download = tempfile::Builder::new()
            .prefix(&format!(".{}.download-", model.version))
            .tempdir_in(&sid_dir)
            .map_err(Error::io(&sid_dir))?;
        let zip = download.path().join("model.zip");
        let total = backend.size(&stored).map_err(Error::backend(repo))?;
        run_stage(&*self.progress, Stage::Download, total, |progress| {
            backend.get_file(&stored, &zip, progress)
        })
        .map_err(Error::backend(repo))?;

        let expected = backend.checksum(&stored).map_err(Error::backend(repo))?;
        let actual = audmodel_archive::md5_file(&zip).map_err(Error::io(&zip))?;
        if actual != expected {
            return Err(Error::Corrupt(format!(
                "archive of model '{}' in repository '{repo}' has MD5 {actual}, \
                 but the repository's checksum is {expected}; nothing was cached",
                model.uid()
            )));
        }

        // The reference leaves an empty folder when an archive is empty or a
        // load failed half way; unpacking needs the name free.
        if root.is_dir() {
            std::fs::remove_dir(&root).map_err(Error::io(&root))?;
        }
        run_stage(&*self.progress, Stage::Unpack, 0, |progress| {
            audmodel_archive::unpack(&zip, &root, progress)
        })?;
        Ok(root)
    }
}

/// The reference treats an existing but empty folder as not loaded.
fn is_filled(root: &std::path::Path) -> bool {
    std::fs::read_dir(root).is_ok_and(|mut entries| entries.next().is_some())
}
