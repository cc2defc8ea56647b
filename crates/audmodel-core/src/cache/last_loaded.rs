//! When a cached model was last loaded: the modification time of its lock
//! file `{cache}/{sid}/.{V}.lock` (SPEC 5). The reference never reads that
//! time, so recording it changes nothing it sees; its `filelock` opens the
//! file without truncating it, so its loads set the time only when they
//! create the file.

use std::path::Path;
use std::time::SystemTime;

use crate::lock;

/// Records that the model folder `root` was loaded now. A cache that is
/// not writable is still loadable, so failing to record is no error.
pub(crate) fn touch(root: &Path) {
    if let Ok((file, _)) = lock::open(root) {
        let _ = file.set_modified(SystemTime::now());
    }
}

/// When the model folder `root` was last loaded: its lock file's time, or
/// without one (a cache filled by hand) the folder's own.
pub(crate) fn last_loaded(root: &Path) -> Option<SystemTime> {
    std::fs::metadata(lock::lock_file(root))
        .or_else(|_| std::fs::metadata(root))
        .and_then(|m| m.modified())
        .ok()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use std::time::Duration;

    #[test]
    fn touching_moves_the_lock_files_time_and_leaves_the_model_alone() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("sid/1.0.0");
        std::fs::create_dir_all(&root).unwrap();
        std::fs::write(root.join("w.bin"), b"x").unwrap();
        let long_ago = SystemTime::now() - Duration::from_secs(86_400);
        touch(&root);
        std::fs::File::options()
            .write(true)
            .open(lock::lock_file(&root))
            .unwrap()
            .set_modified(long_ago)
            .unwrap();
        assert_eq!(last_loaded(&root), Some(long_ago));
        touch(&root);
        let now = last_loaded(&root).unwrap();
        assert!(now > long_ago + Duration::from_secs(86_000), "{now:?}");
        assert_eq!(std::fs::read_dir(&root).unwrap().count(), 1);
    }
}
