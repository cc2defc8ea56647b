//! Writing local files so that no reader ever sees half a file: write a
//! temporary file next to the target, then rename (or link) it into place.

use std::fs::File;
use std::io::{Read, Write};
use std::path::Path;

use tempfile::NamedTempFile;

use crate::Error;

/// Prefix of the temporary files; listings skip them.
pub(crate) const TEMP_PREFIX: &str = ".audmodel-tmp-";

/// How the finished temporary file takes the target's place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Place {
    /// Replace whatever is there (rename).
    Overwrite,
    /// Fail with [`Error::AlreadyExists`] when the target exists
    /// (`renameat2(RENAME_NOREPLACE)` or link + unlink: atomic either way).
    CreateNew,
}

/// Writes `dst` through `fill`, atomically for readers. `shown` names the
/// target in errors (a backend path, or the local path).
pub(crate) fn write_atomic<T>(
    dst: &Path,
    shown: &str,
    place: Place,
    fill: impl FnOnce(&mut File) -> Result<T, Error>,
) -> Result<T, Error> {
    let mut tmp = temp_file_beside(dst, "")?;
    let value = fill(tmp.as_file_mut())?;
    tmp.as_file_mut()
        .flush()
        .map_err(|e| Error::io(e, shown, "cannot write"))?;
    let persisted = match place {
        Place::Overwrite => tmp.persist(dst),
        Place::CreateNew => tmp.persist_noclobber(dst),
    };
    persisted.map_err(|e| Error::io(e.error, shown, "cannot move into place"))?;
    Ok(value)
}

/// Flushes a file written through a [`PutWriter`](crate::PutWriter) and
/// returns its size, the first step of every `finish`.
pub(crate) fn flushed_size(file: &mut NamedTempFile, shown: &str) -> Result<u64, Error> {
    file.flush()
        .map_err(|e| Error::io(e, shown, "cannot write"))?;
    Ok(file
        .as_file()
        .metadata()
        .map_err(|e| Error::io(e, shown, "cannot write"))?
        .len())
}

/// A new hidden temporary file (`TEMP_PREFIX`, random, `suffix`) in the
/// folder of `dst`.
pub(crate) fn temp_file_beside(dst: &Path, suffix: &str) -> Result<NamedTempFile, Error> {
    let dir = match dst.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let mut builder = tempfile::Builder::new();
    builder.prefix(TEMP_PREFIX).suffix(suffix);
    // Mode 0666 before the umask, like files the reference writes with
    // `open`; tempfile's default 0600 would hide shared repository files
    // from other users.
    #[cfg(unix)]
    builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o666));
    builder.tempfile_in(dir).map_err(|e| {
        Error::io(
            e,
            &dir.display().to_string(),
            "cannot create a temporary file in",
        )
    })
}

/// Bytes per progress report of a file copy.
const COPY_CHUNK: u64 = 8 << 20;

/// Copies the rest of `src` to `dst`, reporting each chunk. Between two files
/// `std::io::copy` lets the kernel copy (`copy_file_range`, a reflink where
/// the file system has them) instead of passing the bytes through user space.
/// A cancelled progress ends the copy with an I/O error that
/// [`cancelled`] recognises.
pub(crate) fn copy_file(
    src: &File,
    mut dst: impl Write,
    progress: crate::Progress<'_>,
) -> std::io::Result<()> {
    loop {
        let n = std::io::copy(&mut src.take(COPY_CHUNK), &mut dst)?;
        if n == 0 {
            return Ok(());
        }
        progress(n).map_err(std::io::Error::other)?;
    }
}

/// The cancellation inside an I/O error made by [`copy_file`].
pub(crate) fn cancelled(err: &std::io::Error) -> Option<audmodel_uid::Cancelled> {
    err.get_ref()?
        .downcast_ref::<audmodel_uid::Cancelled>()
        .copied()
}
