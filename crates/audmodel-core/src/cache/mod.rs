//! Cache files next to unpacked models (SPEC 5): the header copy
//! `{cache}/{sid}/{V}.header.yaml` and helpers to write cache files whole.

use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use crate::lookup::{Located, Model};
use crate::{Audmodel, Error, Header, lock, paths};

pub(crate) mod last_loaded;
pub(crate) mod list;
pub(crate) mod remove;
pub(crate) mod verify;

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
    let mut tmp = shared_temp(".tmp-", 0o666)
        .tempfile_in(dir)
        .map_err(Error::io(dir))?;
    tmp.write_all(bytes).map_err(Error::io(tmp.path()))?;
    tmp.persist(path).map_err(|e| Error::io(path)(e.error))?;
    Ok(())
}

/// A temporary file (`mode` 0o666) or folder (0o777) for the cache, with
/// the permissions the umask gives, as the model files unpacked there and
/// the lock files, instead of tempfile's private 0600/0700: in a cache a
/// group shares (a setgid folder, umask 002), what one user writes the
/// others read and may replace. Made in the folder where it stays or is
/// renamed, so it takes a setgid folder's group too.
pub(crate) fn shared_temp(prefix: &str, mode: u32) -> tempfile::Builder<'_, 'static> {
    let mut builder = tempfile::Builder::new();
    builder
        .prefix(prefix)
        .permissions(std::fs::Permissions::from_mode(mode));
    builder
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// This process's umask, as the kernel reports it (setting it to read
    /// it would race the other tests' threads).
    fn umask() -> u32 {
        let status = std::fs::read_to_string("/proc/self/status").unwrap();
        let line = status.lines().find(|l| l.starts_with("Umask:")).unwrap();
        u32::from_str_radix(line["Umask:".len()..].trim(), 8).unwrap()
    }

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn cache_files_and_scratch_folders_get_the_permissions_of_the_umask() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("sid").join("1.0.0.header.yaml");
        write_whole(&file, b"name: x\n").unwrap();
        assert_eq!(mode(&file), 0o666 & !umask());
        assert_eq!(mode(file.parent().unwrap()), 0o777 & !umask());
        // Written again (a refreshed meta copy): still so.
        write_whole(&file, b"name: y\n").unwrap();
        assert_eq!(mode(&file), 0o666 & !umask());
        let scratch = shared_temp(".s-", 0o777).tempdir_in(dir.path()).unwrap();
        assert_eq!(mode(scratch.path()), 0o777 & !umask());
    }
}
