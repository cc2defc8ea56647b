//! The storage trait every backend implements.

use std::path::{Path, PathBuf};

use crate::{BackendPath, Error};

/// A progress callback: called with the number of bytes just transferred
/// (increments, not totals). Pass [`no_progress`] when not needed.
pub type Progress<'a> = &'a (dyn Fn(u64) + Send + Sync);

/// A [`Progress`] that ignores every report.
pub fn no_progress(_: u64) {}

/// A flat store of files addressed by [`BackendPath`]s: a folder on a file
/// system or a bucket on an S3 server.
///
/// Every method is blocking; S3 backends run their own async runtime inside.
/// Missing files give [`Error::NotFound`] naming the path.
pub trait Backend: Send + Sync + std::fmt::Debug {
    /// Uploads the local file `src` to `dst`, replacing what is there.
    /// Readers see either the old or the new content, never a part.
    fn put_file(&self, src: &Path, dst: &BackendPath, progress: Progress<'_>) -> Result<(), Error>;

    /// [`put_file`](Self::put_file) of a file whose MD5 hex the caller knows
    /// already (say, hashed while it was written): stores that need the
    /// checksum before the upload starts (an S3 multipart upload) then skip
    /// their own pass over the file. `md5` must be right: it may become the
    /// stored checksum.
    fn put_file_md5(
        &self,
        src: &Path,
        md5: &str,
        dst: &BackendPath,
        progress: Progress<'_>,
    ) -> Result<(), Error> {
        let _ = md5;
        self.put_file(src, dst, progress)
    }

    /// Uploads `src` to `dst` only when `dst` does not exist yet, else
    /// [`Error::AlreadyExists`]. How atomic this is depends on the store: see
    /// each backend's documentation.
    fn put_file_new(
        &self,
        src: &Path,
        dst: &BackendPath,
        progress: Progress<'_>,
    ) -> Result<(), Error>;

    /// Writes a small file (YAML) from memory, replacing what is there.
    fn put_bytes(&self, data: &[u8], dst: &BackendPath) -> Result<(), Error>;

    /// Writes everything `src` yields to `dst`, replacing what is there.
    fn put_reader(&self, src: &mut dyn std::io::Read, dst: &BackendPath) -> Result<(), Error>;

    /// Downloads `src` to the local file `dst`, through a temporary file in
    /// the folder of `dst` renamed into place, so `dst` is never half written.
    /// The folder of `dst` must exist.
    fn get_file(&self, src: &BackendPath, dst: &Path, progress: Progress<'_>) -> Result<(), Error> {
        let shown = dst.display().to_string();
        crate::local::write_atomic(dst, &shown, crate::local::Place::Overwrite, |file| {
            self.read_to(src, file, progress)
        })
    }

    /// Writes the whole file `src` into `out`, front to back, so a caller can
    /// hash or unpack it as it arrives instead of storing it first.
    fn read_to(
        &self,
        src: &BackendPath,
        out: &mut dyn std::io::Write,
        progress: Progress<'_>,
    ) -> Result<(), Error>;

    /// The bytes `range` of the file `src` (say, the end of an archive, where
    /// its table of contents is); an error when the file is shorter.
    fn read_range(&self, src: &BackendPath, range: std::ops::Range<u64>) -> Result<Vec<u8>, Error>;

    /// Reads a (small) file into memory.
    fn get_bytes(&self, src: &BackendPath) -> Result<Vec<u8>, Error>;

    /// Whether a file exists at `path` (folders do not count).
    fn exists(&self, path: &BackendPath) -> Result<bool, Error>;

    /// Every file below the folder `prefix`, recursively, sorted; empty when
    /// the folder does not exist.
    fn list(&self, prefix: &BackendPath) -> Result<Vec<BackendPath>, Error>;

    /// Copies the file `src` to `dst` inside the store (on S3 a server-side
    /// copy, which keeps the `checksum` metadata), replacing what is there;
    /// readers of `dst` see the old or the new content, never a part.
    fn copy(&self, src: &BackendPath, dst: &BackendPath) -> Result<(), Error>;

    /// Removes the file at `path`; [`Error::NotFound`] when there is none.
    fn remove(&self, path: &BackendPath) -> Result<(), Error>;

    /// The MD5 of the file's content as lower-case hex, as the reference reads
    /// it (the file's MD5 on a file system, the `checksum` user metadata on S3).
    fn checksum(&self, path: &BackendPath) -> Result<String, Error>;

    /// The size of the file in bytes.
    fn size(&self, path: &BackendPath) -> Result<u64, Error>;

    /// What the reference prints for `audmodel.url` of this path.
    fn url(&self, path: &BackendPath) -> String;

    /// The file on this machine that holds `path`, when the backend keeps
    /// its files on a local (or mounted) file system, so that a caller can
    /// read it in place instead of copying it with [`get_file`](Self::get_file);
    /// `None` when the backend has no such file (the default) or `path` is
    /// not a file. The file belongs to the repository: read it, never write.
    fn local_file(&self, path: &BackendPath) -> Option<PathBuf> {
        let _ = path;
        None
    }

    /// Removes what writes to `folder` that a killed process cut short left
    /// behind (on a file system the hidden temporary files of copies), and
    /// returns their number. Only for a caller holding the lock that every
    /// writer of `folder` takes: a live writer's file would go too. Stores
    /// whose writes leave nothing (S3) do nothing.
    fn remove_cut_writes(&self, folder: &BackendPath) -> Result<usize, Error> {
        let _ = folder;
        Ok(0)
    }

    /// Waits for an exclusive lock on `path` among writers of this store and
    /// holds it until the returned guard is dropped, so writers of one model
    /// take turns: the second finds what the first committed before writing
    /// anything. `None` when the store has no locks (S3): there callers must
    /// detect a race after the fact. The lock lives beside `path` and never
    /// appears in listings of the versioned layout.
    fn lock(&self, path: &BackendPath) -> Result<Option<WriteLock>, Error> {
        let _ = path;
        Ok(None)
    }
}

/// A held [`Backend::lock`]; released when dropped (or when the process dies).
#[derive(Debug)]
pub struct WriteLock {
    _held: std::fs::File,
}

impl WriteLock {
    /// A guard holding the locked file open: closing it releases the lock.
    pub fn new(held: std::fs::File) -> Self {
        WriteLock { _held: held }
    }
}
