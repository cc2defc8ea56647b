//! Room for a model on a local file system. A load asks before it fetches
//! or unpacks anything and a publish before it packs, so that one that
//! cannot fit is refused at once rather than after downloading or writing
//! gigabytes; a write that fills the disk anyway (another writer took the
//! space, a deflated archive was no smaller than its files) is said to be
//! that, not an I/O error of whichever file was being written.

use std::path::{Path, PathBuf};

use crate::{Error, Operation};

/// What a model needs of the file system of a folder.
pub(crate) struct Room {
    what: Operation,
    uid: String,
    needed: u64,
    folder: PathBuf,
}

impl Room {
    /// The model `uid` needs `needed` bytes in `folder` (which exists).
    pub(crate) fn new(what: Operation, uid: String, needed: u64, folder: PathBuf) -> Room {
        Room {
            what,
            uid,
            needed,
            folder,
        }
    }

    /// [`Error::NoSpace`] when the folder's file system has less free than
    /// the model needs. One that cannot say is let be: the write will tell.
    pub(crate) fn check(&self) -> Result<(), Error> {
        match available(&self.folder) {
            Some(available) if available < self.needed => Err(self.no_space(available, false)),
            _ => Ok(()),
        }
    }

    /// `err`, or [`Error::NoSpace`] when the file system filled up under
    /// it; called once what was written is removed, so the space it gives
    /// as free is what is left without it.
    pub(crate) fn ran_out(&self, err: Error) -> Error {
        if !is_storage_full(&err) {
            return err;
        }
        self.no_space(available(&self.folder).unwrap_or(0), true)
    }

    fn no_space(&self, available: u64, ran_out: bool) -> Error {
        Error::NoSpace {
            what: self.what,
            uid: self.uid.clone(),
            needed: self.needed,
            available,
            path: self.folder.clone(),
            ran_out,
        }
    }
}

/// Bytes an unprivileged writer may still put on the file system of
/// `folder` (root may use blocks reserved beyond them); `None` when it
/// cannot say.
pub(crate) fn available(folder: &Path) -> Option<u64> {
    let stat = rustix::fs::statvfs(folder).ok()?;
    // Some FUSE and network file systems answer zero blocks for "unknown";
    // refusing every load there would be wrong.
    if stat.f_blocks == 0 {
        return None;
    }
    Some(stat.f_bavail.saturating_mul(stat.f_frsize))
}

/// Whether an `ENOSPC` lies anywhere in the chain of `err`.
fn is_storage_full(err: &(dyn std::error::Error + 'static)) -> bool {
    let mut cause = Some(err);
    while let Some(err) = cause {
        if err
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::StorageFull)
        {
            return true;
        }
        cause = err.source();
    }
    false
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn room(needed: u64, folder: &Path) -> Room {
        Room::new(
            Operation::Load,
            "abc-1.0.0".to_owned(),
            needed,
            folder.to_owned(),
        )
    }

    #[test]
    fn a_model_that_fits_passes_and_one_that_cannot_is_refused_naming_both_sizes() {
        let dir = tempfile::tempdir().unwrap();
        let free = available(dir.path()).unwrap();
        assert!(free > 0);
        room(1, dir.path()).check().unwrap();
        let err = room(u64::MAX, dir.path()).check().unwrap_err();
        assert_eq!(err.kind(), crate::ErrorKind::NoSpace);
        let text = err.to_string();
        assert!(
            text.starts_with("the model 'abc-1.0.0' needs 16.0 EiB unpacked but the cache's"),
            "{text}"
        );
        assert!(text.contains(&dir.path().display().to_string()), "{text}");
    }

    #[test]
    fn only_a_full_disk_is_taken_for_running_out() {
        let dir = tempfile::tempdir().unwrap();
        let full = audmodel_archive::Error::Io {
            path: dir.path().join("weights.bin"),
            source: std::io::Error::from(std::io::ErrorKind::StorageFull),
        };
        let err = room(10, dir.path()).ran_out(Error::Archive(full));
        assert!(
            matches!(err, Error::NoSpace { ran_out: true, .. }),
            "{err:?}"
        );
        let other = Error::io(dir.path())(std::io::Error::from(std::io::ErrorKind::Other));
        let err = room(10, dir.path()).ran_out(other);
        assert_eq!(err.kind(), crate::ErrorKind::Io, "{err:?}");
    }

    #[test]
    fn a_folder_that_is_not_there_cannot_say() {
        assert_eq!(available(Path::new("/nonexistent/audmodel-space")), None);
    }
}
