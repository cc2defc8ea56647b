//! The error type of the core, with a kind callers can match on.

use std::path::PathBuf;
use std::time::Duration;

/// Why an operation of [`Audmodel`](crate::Audmodel) failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// No model with this ID in any configured repository.
    #[error("A model with ID '{id}' does not exist.")]
    ModelNotFound {
        /// The ID as given (or resolved).
        id: String,
    },
    /// The model is not in the cache (or not in the state asked for).
    #[error("The model '{id}' is not in the cache.")]
    NotCached {
        /// The ID as given.
        id: String,
    },
    /// No alias file with this name in any configured repository.
    #[error("An alias with name '{alias}' does not exist.")]
    AliasNotFound {
        /// The alias.
        alias: String,
    },
    /// A model with this UID is published already.
    #[error("A model with ID '{uid}' exists already.")]
    ModelExists {
        /// The UID.
        uid: String,
    },
    /// Another process published the same UID while this publish ran.
    #[error(
        "A model with ID '{uid}' was published by another process in the meantime. \
         Its archive, metadata, or alias files might have been replaced by the ones of \
         this process. Make sure the published model is the intended one."
    )]
    PublishedInTheMeantime {
        /// The UID.
        uid: String,
    },
    /// An alias already names another model.
    #[error("The alias '{alias}' already points to model '{uid}'.")]
    AliasTaken {
        /// The alias.
        alias: String,
        /// The model it points to.
        uid: String,
    },
    /// An argument was refused before anything was written.
    #[error("{message}")]
    InvalidInput {
        /// What is wrong, naming the value.
        message: String,
        /// The lower-level refusal, when there is one.
        #[source]
        source: Option<Source>,
    },
    /// No configured repository has this name.
    #[error("no repository named '{name}' is configured (configured: {})", configured.join(", "))]
    UnknownRepository {
        /// The name asked for.
        name: String,
        /// The configured names, in lookup order.
        configured: Vec<String>,
    },
    /// A value, ID, alias or version was refused by `audmodel-uid`.
    #[error(transparent)]
    Uid(#[from] audmodel_uid::Error),
    /// The configuration file is broken.
    #[error("invalid configuration{}: {message}", path.as_ref().map(|p| format!(" in '{}'", p.display())).unwrap_or_default())]
    Config {
        /// The file, when the problem is in a file.
        path: Option<PathBuf>,
        /// What is wrong.
        message: String,
    },
    /// A repository failed.
    #[error("repository '{repository}': {source}")]
    Backend {
        /// The repository name.
        repository: String,
        /// The backend error.
        #[source]
        source: audmodel_backend::Error,
    },
    /// The repository itself cannot be opened: its folder is missing (moved
    /// away, not mounted) or not a folder, as the reference raises
    /// `audbackend.BackendError` for it. Never taken for a missing model.
    #[error("repository '{repository}' cannot be opened: {reason}")]
    RepositoryUnavailable {
        /// The repository name.
        repository: String,
        /// Its folder (file system) or bucket.
        location: String,
        /// What is wrong, naming the folder or its host.
        reason: String,
    },
    /// The repository refuses writes (its folder's permissions, a
    /// read-only mount).
    #[error("repository '{repository}' is read-only: cannot write in '{location}' ({message})")]
    RepositoryReadOnly {
        /// The repository name.
        repository: String,
        /// Its folder.
        location: String,
        /// What the operating system said.
        message: String,
    },
    /// A read-modify-write of a repository file (metadata, an aliases or
    /// alias file) lost its compare-and-swap to other writers every time.
    #[error(
        "repository '{repository}': gave up changing '{path}' after {attempts} attempts: \
         other processes kept changing it at the same time; try again"
    )]
    Contention {
        /// The repository name.
        repository: String,
        /// The backend path of the file.
        path: String,
        /// How often it was tried.
        attempts: u32,
    },
    /// Packing or unpacking failed.
    #[error(transparent)]
    Archive(#[from] audmodel_archive::Error),
    /// A lock of the cache could not be acquired in time.
    #[error("could not acquire lock '{}' within {timeout:?}", path.display())]
    LockTimeout {
        /// The lock file.
        path: PathBuf,
        /// How long we waited.
        timeout: Duration,
    },
    /// A file of a repository or the cache does not hold what it should.
    #[error("{what}: {source}")]
    Corrupt {
        /// Which file, naming the model or alias.
        what: String,
        /// What is wrong with it: an archive refusal
        /// ([`audmodel_archive::Error`]), a YAML error, or a message.
        #[source]
        source: Source,
    },
    /// A local file operation failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// The client works offline and the cache cannot answer.
    #[error("offline: {what}, and no repository may be asked (--offline or AUDMODEL_OFFLINE=1)")]
    Offline {
        /// What was asked for, naming the model, alias or repository.
        what: String,
    },
    /// A local file system has too little free space for a model. A load
    /// whose unpacked model does not fit in the cache is refused from the
    /// archive's table of contents, before any data is fetched or written;
    /// a publish to a file-system repository is refused before packing
    /// when its files cannot fit stored (compression 0), and one that
    /// fills the disk on its way (deflated, the archive could have been
    /// smaller) removes what it wrote.
    #[error("{}", no_space(*what, uid, *needed, *available, path, *ran_out))]
    NoSpace {
        /// A load into the cache or a publish to a repository.
        what: Operation,
        /// The model.
        uid: String,
        /// Bytes it needs: the model unpacked (a load); its files (a
        /// publish: the archive at compression 0 is a little larger).
        needed: u64,
        /// Bytes the file system has free for unprivileged writers: when
        /// it was asked, or, when it ran out, after what was written was
        /// removed.
        available: u64,
        /// The folder written to: the model's folder in the cache, or the
        /// repository's folder.
        path: PathBuf,
        /// The file system filled up while writing, rather than being
        /// found too small before.
        ran_out: bool,
    },
    /// The caller's [`CancelToken`](crate::CancelToken) stopped the
    /// operation; what a publish had put is removed, and a load caches
    /// nothing.
    #[error("interrupted: {what} of '{uid}' was cancelled{}", .what.aftermath())]
    Interrupted {
        /// What was cancelled.
        what: Operation,
        /// The UID being published or loaded.
        uid: String,
    },
}

/// A boxed lower-level error.
pub(crate) type Source = Box<dyn std::error::Error + Send + Sync + 'static>;

/// A long operation, as named by [`Error::Interrupted`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Operation {
    /// [`Audmodel::publish`](crate::Audmodel::publish).
    Publish,
    /// [`Audmodel::load`](crate::Audmodel::load).
    Load,
}

impl Operation {
    fn aftermath(self) -> &'static str {
        match self {
            Operation::Publish => " and its files were removed",
            Operation::Load => "; nothing was cached",
        }
    }
}

/// The text of [`Error::NoSpace`]: both sizes, the folder, and what was
/// left behind (nothing).
fn no_space(
    what: Operation,
    uid: &str,
    needed: u64,
    available: u64,
    path: &std::path::Path,
    ran_out: bool,
) -> String {
    let (needed, available, path) = (size(needed), size(available), path.display());
    match (what, ran_out) {
        (Operation::Load, false) => format!(
            "the model '{uid}' needs {needed} unpacked but the cache's file system has \
             {available} free ('{path}'); nothing was fetched or cached"
        ),
        (Operation::Load, true) => format!(
            "the cache's file system is full ('{path}'): the model '{uid}' ({needed} unpacked, \
             more on disk, where each file takes whole blocks) did not fit; {available} free \
             after removing what was unpacked; nothing was cached"
        ),
        (Operation::Publish, false) => format!(
            "the model '{uid}' needs at least {needed} in the repository (its files, stored \
             at compression 0) but the repository's file system has {available} free \
             ('{path}'); nothing was written"
        ),
        (Operation::Publish, true) => format!(
            "the repository's file system is full ('{path}'): the archive of model '{uid}' \
             (its files: {needed}) did not fit; {available} free after removing what was \
             written; nothing was left in the repository"
        ),
    }
}

/// Bytes for people, in binary units with one decimal (`15.2 MiB`).
fn size(bytes: u64) -> String {
    const UNITS: [&str; 6] = ["KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    let mut value = bytes as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

impl std::fmt::Display for Operation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Operation::Publish => "publishing",
            Operation::Load => "loading",
        })
    }
}

/// The kind of an [`Error`], for matching without the payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// Model, alias, folder or file missing.
    NotFound,
    /// The model or alias exists already (or was published concurrently).
    AlreadyExists,
    /// A bad argument or configuration.
    InvalidInput,
    /// A repository could not be read or written.
    Backend,
    /// A cache lock timed out.
    LockTimeout,
    /// A file in a repository is damaged (checksum mismatch, unreadable YAML).
    Corrupt,
    /// A local file operation failed.
    Io,
    /// Stopped by the caller's cancellation token.
    Interrupted,
    /// Offline, and the cache alone cannot answer.
    Offline,
    /// A local file system (the cache's, a repository's) has too little
    /// free space for the model.
    NoSpace,
}

impl Error {
    /// The kind of this error.
    pub fn kind(&self) -> ErrorKind {
        use audmodel_archive::Error as A;
        use audmodel_backend::ErrorKind as B;
        match self {
            Error::ModelNotFound { .. } | Error::AliasNotFound { .. } | Error::NotCached { .. } => {
                ErrorKind::NotFound
            }
            Error::ModelExists { .. }
            | Error::PublishedInTheMeantime { .. }
            | Error::AliasTaken { .. } => ErrorKind::AlreadyExists,
            Error::InvalidInput { .. }
            | Error::UnknownRepository { .. }
            | Error::Uid(_)
            | Error::Config { .. } => ErrorKind::InvalidInput,
            Error::Backend { source, .. } => match source.kind() {
                B::InvalidPath | B::UnknownBackend => ErrorKind::InvalidInput,
                B::NotFound => ErrorKind::NotFound,
                B::Cancelled => ErrorKind::Interrupted,
                _ => ErrorKind::Backend,
            },
            Error::RepositoryUnavailable { .. }
            | Error::RepositoryReadOnly { .. }
            | Error::Contention { .. } => ErrorKind::Backend,
            Error::Archive(err) => match err {
                A::NotFound { .. } => ErrorKind::NotFound,
                A::AlreadyExists { .. } => ErrorKind::AlreadyExists,
                A::InvalidInput { .. } => ErrorKind::InvalidInput,
                A::Unsafe { .. } | A::Corrupt { .. } => ErrorKind::Corrupt,
                A::Cancelled(_) => ErrorKind::Interrupted,
                _ => ErrorKind::Io,
            },
            Error::LockTimeout { .. } => ErrorKind::LockTimeout,
            Error::Corrupt { .. } => ErrorKind::Corrupt,
            Error::Io { source, .. } if source.kind() == std::io::ErrorKind::NotFound => {
                ErrorKind::NotFound
            }
            Error::Io { .. } => ErrorKind::Io,
            Error::Interrupted { .. } => ErrorKind::Interrupted,
            Error::Offline { .. } => ErrorKind::Offline,
            Error::NoSpace { .. } => ErrorKind::NoSpace,
        }
    }

    /// An [`Error::InvalidInput`] without a lower-level cause.
    pub(crate) fn invalid(message: impl Into<String>) -> Error {
        Error::InvalidInput {
            message: message.into(),
            source: None,
        }
    }

    /// An [`Error::Corrupt`] of the file `what`.
    pub(crate) fn corrupt(what: impl Into<String>, source: impl Into<Source>) -> Error {
        Error::Corrupt {
            what: what.into(),
            source: source.into(),
        }
    }

    /// Wraps a backend error with the repository it came from.
    pub(crate) fn backend(repository: &str) -> impl FnOnce(audmodel_backend::Error) -> Error + '_ {
        move |source| match source {
            audmodel_backend::Error::Unavailable { location, reason } => {
                Error::RepositoryUnavailable {
                    repository: repository.to_owned(),
                    location,
                    reason,
                }
            }
            audmodel_backend::Error::ReadOnly { location, message } => Error::RepositoryReadOnly {
                repository: repository.to_owned(),
                location,
                message,
            },
            source => Error::Backend {
                repository: repository.to_owned(),
                source,
            },
        }
    }

    /// Wraps an I/O error with its path.
    pub(crate) fn io(path: &std::path::Path) -> impl FnOnce(std::io::Error) -> Error + '_ {
        move |source| Error::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}
