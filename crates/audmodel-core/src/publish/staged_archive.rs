//! An archive uploaded under a hidden key beside its final one, to be
//! copied into place (server-side) only in the moment before the header is
//! written. A killed publisher leaves nothing under a final key: only its
//! hidden upload, which a later publish of the model removes. Staged
//! archives of any size are copied: above 5 GiB the store copies in parts.

use std::hash::{BuildHasher, RandomState};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use audmodel_backend::{Backend, BackendPath, Error};

/// A live publisher copies its upload within moments of finishing it; one
/// this much older than a new upload has a dead owner. Generous, because
/// the age comes from the clocks of two machines.
const STALE_AFTER: Duration = Duration::from_secs(600);

/// An uploaded archive under its hidden key, removed when dropped.
pub(crate) struct StagedArchive<'a> {
    backend: &'a dyn Backend,
    key: BackendPath,
    md5: String,
}

impl<'a> StagedArchive<'a> {
    /// A new hidden key beside `stored`, the archive's final key
    /// (`.{file}.upload-{seconds}-{random}`), after removing the stale
    /// uploads of killed publishers there.
    pub(crate) fn key_beside(
        backend: &dyn Backend,
        stored: &BackendPath,
    ) -> Result<BackendPath, Error> {
        let (folder, file) = stored.split();
        let prefix = format!(".{file}.upload-");
        let now = seconds(SystemTime::now());
        remove_stale(backend, &folder, &prefix, now);
        let random = RandomState::new().hash_one((std::process::id(), SystemTime::now()));
        folder.join(&format!("{prefix}{now}-{random:016x}"))
    }

    /// The upload at `key` (from [`StagedArchive::key_beside`]), whose
    /// content has the MD5 hex `md5`; removed when dropped.
    pub(crate) fn uploaded(backend: &'a dyn Backend, key: BackendPath, md5: String) -> Self {
        StagedArchive { backend, key, md5 }
    }

    /// The MD5 hex of the archive.
    pub(crate) fn md5(&self) -> &str {
        &self.md5
    }

    /// Copies the upload to its final key, which gets its checksum (on S3
    /// the `checksum` metadata, unknown when the upload started).
    pub(crate) fn copy_to(&self, stored: &BackendPath) -> Result<(), Error> {
        self.backend
            .copy_with_checksum(&self.key, stored, &self.md5)
    }
}

impl Drop for StagedArchive<'_> {
    fn drop(&mut self) {
        // Best effort: a leftover is removed by the next publish.
        let _ = self.backend.delete(&self.key);
    }
}

fn seconds(time: SystemTime) -> u64 {
    time.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

/// Best effort: a listing or removal that fails leaves the upload for the
/// next publish.
fn remove_stale(backend: &dyn Backend, folder: &BackendPath, prefix: &str, now: u64) {
    let Ok(files) = backend.list(folder) else {
        return;
    };
    for path in files {
        let (_, name) = path.split();
        let started = name
            .strip_prefix(prefix)
            .and_then(|rest| rest.split('-').next())
            .and_then(|secs| secs.parse::<u64>().ok());
        if started.is_some_and(|started| started + STALE_AFTER.as_secs() < now) {
            let _ = backend.delete(&path);
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use audmodel_backend::{BackendExt, Memory, PutMode};
    use std::io::Write;

    #[test]
    fn an_upload_is_removed_when_dropped_and_stale_ones_by_the_next() {
        let fs = Memory::new();
        let stored = BackendPath::new("/m/abc/1.0.0/abc-1.0.0.zip").unwrap();
        let folder = BackendPath::new("/m/abc/1.0.0").unwrap();
        let now = seconds(SystemTime::now());
        let stale = folder
            .join(&format!(".abc-1.0.0.zip.upload-{}-1", now - 601))
            .unwrap();
        let recent = folder
            .join(&format!(".abc-1.0.0.zip.upload-{}-2", now - 60))
            .unwrap();
        let other = folder.join(".abc-1.0.0.zip.lock").unwrap();
        for path in [&stale, &recent, &other] {
            fs.put_bytes(b"left", path, PutMode::Overwrite).unwrap();
        }

        let key = StagedArchive::key_beside(&fs, &stored).unwrap();
        assert!(!fs.exists(&stale).unwrap(), "a stale upload stays");
        assert!(fs.exists(&recent).unwrap() && fs.exists(&other).unwrap());
        let mut writer = fs.put_writer(&key).unwrap();
        writer.write_all(b"zip").unwrap();
        writer.finish().unwrap();
        let staged = StagedArchive::uploaded(&fs, key, audmodel_uid::md5_hex(b"zip"));
        assert!(
            !fs.exists(&stored).unwrap(),
            "nothing under the final key yet"
        );
        staged.copy_to(&stored).unwrap();
        assert_eq!(fs.get_bytes(&stored).unwrap(), b"zip");
        assert_eq!(fs.checksum(&stored).unwrap(), audmodel_uid::md5_hex(b"zip"));
        let listed = fs.list(&folder).unwrap().len();
        drop(staged);
        assert_eq!(fs.list(&folder).unwrap().len(), listed - 1);
        assert_eq!(fs.get_bytes(&stored).unwrap(), b"zip");
    }
}
