//! The staging folder `{target}~`: an archive is unpacked there and renamed
//! to the target only when everything was written and checked, so a reader
//! never sees half a model.

use crate::directory::Directory;
use crate::{Error, Unpacked};
use std::fs;
use std::path::{Path, PathBuf};

pub(crate) struct Staging {
    path: PathBuf,
    target: PathBuf,
}

impl Staging {
    /// Checks that `target` is free and removes a staging folder left by a
    /// killed process (the caller holds a lock, so no live one owns it).
    pub(crate) fn free(target: &Path) -> Result<Staging, Error> {
        if fs::symlink_metadata(target).is_ok() {
            return Err(Error::AlreadyExists {
                path: target.to_path_buf(),
            });
        }
        let mut path = target.as_os_str().to_owned();
        path.push("~");
        let path = PathBuf::from(path);
        match fs::symlink_metadata(&path) {
            Err(_) => {}
            Ok(meta) if meta.is_dir() => fs::remove_dir_all(&path).map_err(Error::io(&path))?,
            Ok(_) => fs::remove_file(&path).map_err(Error::io(&path))?,
        }
        Ok(Staging {
            path,
            target: target.to_path_buf(),
        })
    }

    /// Where a path relative to the target is written meanwhile.
    pub(crate) fn join(&self, relative: &Path) -> PathBuf {
        self.path.join(relative)
    }

    /// Creates the staging folder and every folder of `directory` in it.
    pub(crate) fn create(&self, directory: &Directory) -> Result<(), Error> {
        fs::create_dir_all(&self.path).map_err(Error::io(&self.path))?;
        for folder in &directory.folders {
            let path = self.join(folder);
            fs::create_dir_all(&path).map_err(Error::io(&path))?;
        }
        Ok(())
    }

    /// Renames the staging folder to the target when `written` and `check`
    /// succeed; otherwise removes it and returns the first error.
    pub(crate) fn commit<E: From<Error>>(
        self,
        written: Result<Unpacked, Error>,
        check: impl FnOnce() -> Result<(), E>,
    ) -> Result<Unpacked, E> {
        let unpacked = match written.map_err(E::from).and_then(|u| check().map(|()| u)) {
            Ok(unpacked) => unpacked,
            Err(e) => {
                let _ = fs::remove_dir_all(&self.path);
                return Err(e);
            }
        };
        if let Err(e) = fs::rename(&self.path, &self.target) {
            let _ = fs::remove_dir_all(&self.path);
            return Err(Error::io(&self.target)(e).into());
        }
        Ok(unpacked)
    }
}
