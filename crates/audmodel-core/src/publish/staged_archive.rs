//! An archive uploaded under a hidden key beside its final one, to be
//! copied into place (server-side) only in the moment before the header is
//! written. A killed publisher leaves nothing under a final key: only its
//! hidden upload, which a later publish of the model removes.

use std::hash::{BuildHasher, RandomState};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use audmodel_backend::{Backend, BackendPath, Error, Progress, PutOptions};

use super::Packed;

/// S3 copies one object of at most 5 GiB in one request; larger archives
/// are uploaded straight to their final key.
pub(crate) const MAX_COPY: u64 = 5 << 30;

/// A live publisher copies its upload within moments of finishing it; one
/// this much older than a new upload has a dead owner. Generous, because
/// the age comes from the clocks of two machines.
const STALE_AFTER: Duration = Duration::from_secs(600);

/// An uploaded archive under its hidden key, removed when dropped.
pub(crate) struct StagedArchive<'a> {
    backend: &'a dyn Backend,
    key: BackendPath,
}

impl<'a> StagedArchive<'a> {
    /// Uploads `packed` beside `stored`, the archive's final key, after
    /// removing the stale uploads of killed publishers.
    pub(crate) fn upload(
        backend: &'a dyn Backend,
        packed: &Packed,
        stored: &BackendPath,
        progress: Progress<'_>,
    ) -> Result<Self, Error> {
        let (folder, file) = stored.split();
        let prefix = format!(".{file}.upload-");
        let now = seconds(SystemTime::now());
        remove_stale(backend, &folder, &prefix, now);
        let random = RandomState::new().hash_one((std::process::id(), SystemTime::now()));
        let key = folder.join(&format!("{prefix}{now}-{random:016x}"))?;
        let staged = StagedArchive { backend, key };
        let options = PutOptions {
            md5: Some(&packed.md5),
            ..PutOptions::default()
        };
        backend.put_file(&packed.zip, &staged.key, options, progress)?;
        Ok(staged)
    }

    /// Copies the upload to its final key.
    pub(crate) fn copy_to(&self, stored: &BackendPath) -> Result<(), Error> {
        self.backend.copy(&self.key, stored)
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

    #[test]
    fn an_upload_is_removed_when_dropped_and_stale_ones_by_the_next() {
        let dir = tempfile::tempdir().unwrap();
        let fs = Memory::new();
        let zip = dir.path().join("model.zip");
        std::fs::write(&zip, b"zip").unwrap();
        let packed = Packed {
            zip,
            md5: audmodel_uid::md5_hex(b"zip"),
            size: 3,
        };
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

        let staged =
            StagedArchive::upload(&fs, &packed, &stored, &audmodel_backend::no_progress).unwrap();
        assert!(!fs.exists(&stale).unwrap(), "a stale upload stays");
        assert!(fs.exists(&recent).unwrap() && fs.exists(&other).unwrap());
        assert!(
            !fs.exists(&stored).unwrap(),
            "nothing under the final key yet"
        );
        staged.copy_to(&stored).unwrap();
        assert_eq!(fs.get_bytes(&stored).unwrap(), b"zip");
        let listed = fs.list(&folder).unwrap().len();
        drop(staged);
        assert_eq!(fs.list(&folder).unwrap().len(), listed - 1);
        assert_eq!(fs.get_bytes(&stored).unwrap(), b"zip");
    }
}
