//! Cache locks shared with the Python reference (`filelock`): an exclusive
//! `flock` on `{dir of P}/.{basename of P}.lock`, mode 0664.

use std::fs::{File, OpenOptions};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::Error;

/// Group-writable, as the reference, so a team can share one cache.
const LOCK_FILE_MODE: u32 = 0o664;

/// The reference's default timeout for header and meta locks.
pub(crate) const SHORT_TIMEOUT: Duration = Duration::from_secs(10);

/// How often a busy lock is retried.
const POLL: Duration = Duration::from_millis(20);

/// A held lock; released on drop. The lock file stays (as the reference
/// leaves it), so every waiter locks the same inode.
#[derive(Debug)]
pub(crate) struct Lock {
    file: File,
}

impl Drop for Lock {
    fn drop(&mut self) {
        let _ = self.file.unlock();
    }
}

/// The lock file of `path`.
pub(crate) fn lock_file(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    path.with_file_name(format!(".{name}.lock"))
}

/// Opens (creating it, with its folder) the lock file of `path`, group-writable.
pub(crate) fn open(path: &Path) -> Result<(File, PathBuf), Error> {
    let file_path = lock_file(path);
    if let Some(dir) = file_path.parent() {
        std::fs::create_dir_all(dir).map_err(Error::io(dir))?;
    }
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .mode(LOCK_FILE_MODE)
        .open(&file_path)
        .map_err(Error::io(&file_path))?;
    // The umask may have removed group write; only the owner can fix it.
    let _ = file.set_permissions(std::fs::Permissions::from_mode(LOCK_FILE_MODE));
    Ok((file, file_path))
}

/// Locks `path` (a file or folder that need not exist), waiting up to `timeout`.
pub(crate) fn lock(path: &Path, timeout: Duration) -> Result<Lock, Error> {
    let (file, file_path) = open(path)?;
    let start = Instant::now();
    loop {
        match file.try_lock() {
            Ok(()) => return Ok(Lock { file }),
            Err(std::fs::TryLockError::WouldBlock) if start.elapsed() < timeout => {
                std::thread::sleep(POLL);
            }
            Err(std::fs::TryLockError::WouldBlock) => {
                return Err(Error::LockTimeout {
                    path: file_path,
                    timeout,
                });
            }
            Err(std::fs::TryLockError::Error(e)) => return Err(Error::io(&file_path)(e)),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn lock_files_are_hidden_siblings_with_group_write() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("sid/1.0.0");
        assert_eq!(lock_file(&target), dir.path().join("sid/.1.0.0.lock"));
        let held = lock(&target, SHORT_TIMEOUT).unwrap();
        let mode = std::fs::metadata(lock_file(&target))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, LOCK_FILE_MODE);
        let err = lock(&target, Duration::from_millis(50)).unwrap_err();
        assert!(matches!(err, Error::LockTimeout { .. }), "{err}");
        drop(held);
        lock(&target, Duration::from_millis(50)).unwrap();
        assert!(
            lock_file(&target).exists(),
            "the lock file stays, as the reference's"
        );
    }
}
