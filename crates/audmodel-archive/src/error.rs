//! The error type of packing and unpacking.

use std::path::{Path, PathBuf};

/// Why packing or unpacking failed.
///
/// Match on the variant to tell a missing input, a caller mistake, a hostile or
/// damaged archive and a failing file system apart.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The folder to pack or the archive to unpack does not exist.
    #[error("not found: {}", path.display())]
    NotFound {
        /// The missing path.
        path: PathBuf,
    },
    /// The unpack target exists already.
    #[error("already exists: {}", path.display())]
    AlreadyExists {
        /// The existing path.
        path: PathBuf,
    },
    /// The caller asked for something impossible (root not a folder, bad level, ...).
    #[error("invalid input: {reason}")]
    InvalidInput {
        /// What is wrong.
        reason: String,
    },
    /// An archive entry would escape the target or is not a plain file or folder.
    #[error("unsafe archive entry {entry:?}: {reason}")]
    Unsafe {
        /// The entry name as stored in the archive.
        entry: String,
        /// Why it is refused.
        reason: String,
    },
    /// The archive is damaged or inconsistent.
    #[error("corrupt archive{}: {reason}", entry.as_ref().map(|e| format!(" entry {e:?}")).unwrap_or_default())]
    Corrupt {
        /// The entry concerned, if the damage is in one entry.
        entry: Option<String>,
        /// What does not match.
        reason: String,
    },
    /// The caller's progress callback asked to stop.
    #[error("cancelled")]
    Cancelled(#[from] audmodel_util::Cancelled),
    /// Reading or writing a file failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file or folder being read or written.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
}

impl Error {
    pub(crate) fn io(path: &Path) -> impl FnOnce(std::io::Error) -> Error + '_ {
        move |source| Error::Io {
            path: path.to_path_buf(),
            source,
        }
    }

    pub(crate) fn corrupt(entry: &str, reason: impl Into<String>) -> Error {
        Error::Corrupt {
            entry: Some(entry.to_owned()),
            reason: reason.into(),
        }
    }

    pub(crate) fn unsafe_entry(entry: &str, reason: impl Into<String>) -> Error {
        Error::Unsafe {
            entry: entry.to_owned(),
            reason: reason.into(),
        }
    }
}
