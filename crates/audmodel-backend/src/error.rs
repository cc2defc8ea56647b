//! Typed errors of every backend, with a [`ErrorKind`] callers can match on.

/// A boxed error from a lower layer (I/O, HTTP, object store).
pub type ErrorSource = Box<dyn std::error::Error + Send + Sync + 'static>;

/// An error of a storage backend or of the versioned layer.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The file, folder or bucket does not exist.
    #[error("not found: {path}")]
    NotFound {
        /// The backend path, local path or bucket that is missing.
        path: String,
    },
    /// A create-only write found the destination already there.
    #[error("already exists: {path}")]
    AlreadyExists {
        /// The backend path that exists.
        path: String,
    },
    /// A compare-and-swap write ([`PutMode::Update`](crate::PutMode::Update))
    /// found the file changed, or gone, since it was read: another writer
    /// came first. Read it again and retry.
    #[error("changed since it was read: {path}")]
    Precondition {
        /// The backend path that changed.
        path: String,
    },
    /// A backend path or version breaks the allowed form.
    #[error("invalid backend path '{path}': {reason}")]
    InvalidPath {
        /// The offending path or version.
        path: String,
        /// What rule it breaks.
        reason: String,
    },
    /// The server or file system refused access (wrong or missing credentials, file mode).
    #[error("permission denied on '{host}': {message}")]
    Permission {
        /// The host (S3 endpoint) or local root that refused.
        host: String,
        /// What the server or OS said.
        message: String,
    },
    /// The server refused a request sent without credentials (a public
    /// bucket lets anyone read, but not write): says where credentials
    /// are read from, which the server's own answer cannot.
    #[error("bucket '{bucket}' on '{host}' refuses to {what} without credentials: {reason}")]
    NoCredentials {
        /// The host (S3 endpoint).
        host: String,
        /// The bucket.
        bucket: String,
        /// What was refused (`write`, `read`, `list`, …).
        what: String,
        /// Why the request had none: no credentials were found for the
        /// host, and where they are looked for.
        reason: String,
    },
    /// Whether a store enforces conditional writes could not be found out:
    /// its probe was refused (no credentials, a key that may not write
    /// there) or not answered. This says nothing of the store.
    #[error(
        "cannot tell whether bucket '{bucket}' on '{host}' enforces conditional writes: {reason}"
    )]
    ProbeFailed {
        /// The host (S3 endpoint).
        host: String,
        /// The bucket.
        bucket: String,
        /// What became of the probe.
        reason: String,
        /// The kind of the probe's error ([`ErrorKind::Permission`] when
        /// refused).
        kind: ErrorKind,
    },
    /// The host could not be reached in bounded time.
    #[error("cannot reach '{host}': {source}")]
    Unreachable {
        /// The host (S3 endpoint) that did not answer.
        host: String,
        /// The connection error.
        #[source]
        source: ErrorSource,
    },
    /// The repository names a backend that is not registered.
    #[error("'{name}' is not a registered backend (registered: {})", known.join(", "))]
    UnknownBackend {
        /// The backend name of the repository.
        name: String,
        /// The registered names.
        known: Vec<String>,
    },
    /// The backend is known but was left out of this build (S3 without the
    /// cargo feature `s3`).
    #[error(
        "S3 support was not built in: the backend '{backend}' needs the cargo feature '{feature}' \
         (on by default in the crates `audmodel` and `audmodel-cli`)"
    )]
    NotBuiltIn {
        /// The backend name of the repository.
        backend: String,
        /// The cargo feature that builds it.
        feature: &'static str,
    },
    /// The store cannot do this (see [`Capabilities`](crate::Capabilities)).
    #[error("this store does not support {what}")]
    Unsupported {
        /// What was asked.
        what: String,
    },
    /// The repository itself cannot be opened: a file system's folder is
    /// missing or is not a folder (as the reference's `open` refuses it).
    #[error("{reason}")]
    Unavailable {
        /// The repository's folder (file system) or bucket.
        location: String,
        /// What is wrong, in words naming the folder or its host.
        reason: String,
    },
    /// The repository refuses writes: its folder is read-only for this user
    /// or on a read-only mount.
    #[error("read-only: cannot write in '{location}': {message}")]
    ReadOnly {
        /// The repository's folder.
        location: String,
        /// What the operating system said.
        message: String,
    },
    /// The caller's progress callback asked to stop the transfer.
    #[error("cancelled")]
    Cancelled(#[from] audmodel_uid::Cancelled),
    /// Anything else, with what was being done.
    #[error("{context}: {source}")]
    Other {
        /// What was being done, naming the path.
        context: String,
        /// The underlying error.
        #[source]
        source: ErrorSource,
    },
}

/// The kind of an [`Error`], for matching without the payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// See [`Error::NotFound`].
    NotFound,
    /// See [`Error::AlreadyExists`].
    AlreadyExists,
    /// See [`Error::Precondition`].
    Precondition,
    /// See [`Error::InvalidPath`].
    InvalidPath,
    /// See [`Error::Permission`].
    Permission,
    /// See [`Error::Unreachable`].
    Unreachable,
    /// See [`Error::UnknownBackend`].
    UnknownBackend,
    /// See [`Error::Unsupported`].
    Unsupported,
    /// See [`Error::Unavailable`].
    Unavailable,
    /// See [`Error::ReadOnly`].
    ReadOnly,
    /// See [`Error::Cancelled`].
    Cancelled,
    /// See [`Error::Other`].
    Other,
}

impl Error {
    /// The kind of this error.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::NotFound { .. } => ErrorKind::NotFound,
            Error::AlreadyExists { .. } => ErrorKind::AlreadyExists,
            Error::Precondition { .. } => ErrorKind::Precondition,
            Error::InvalidPath { .. } => ErrorKind::InvalidPath,
            Error::Permission { .. } | Error::NoCredentials { .. } => ErrorKind::Permission,
            Error::ProbeFailed { kind, .. } => *kind,
            Error::Unreachable { .. } => ErrorKind::Unreachable,
            // A configuration problem as an unknown name is: the caller's
            // answer is the same (another backend, or another build).
            Error::UnknownBackend { .. } | Error::NotBuiltIn { .. } => ErrorKind::UnknownBackend,
            Error::Unsupported { .. } => ErrorKind::Unsupported,
            Error::Unavailable { .. } => ErrorKind::Unavailable,
            Error::ReadOnly { .. } => ErrorKind::ReadOnly,
            Error::Cancelled(_) => ErrorKind::Cancelled,
            Error::Other { .. } => ErrorKind::Other,
        }
    }

    /// This error inside an [`std::io::Error`], as a [`PutWriter`](crate::PutWriter)'s
    /// `write` returns it; [`Error::from_io`] takes it out again.
    pub fn into_io(self) -> std::io::Error {
        std::io::Error::other(self)
    }

    /// The backend error that `err` carries ([`Error::into_io`]); `err`
    /// itself when it carries none.
    pub fn from_io(err: std::io::Error) -> Result<Error, std::io::Error> {
        if !err.get_ref().is_some_and(|inner| inner.is::<Error>()) {
            return Err(err);
        }
        let kind = err.kind();
        match err.into_inner().map(|inner| inner.downcast::<Error>()) {
            Some(Ok(backend)) => Ok(*backend),
            Some(Err(other)) => Err(std::io::Error::new(kind, other)),
            None => Err(kind.into()),
        }
    }

    pub(crate) fn other(context: impl Into<String>, source: impl Into<ErrorSource>) -> Self {
        Error::Other {
            context: context.into(),
            source: source.into(),
        }
    }

    pub(crate) fn invalid(path: &str, reason: impl Into<String>) -> Self {
        Error::InvalidPath {
            path: path.to_owned(),
            reason: reason.into(),
        }
    }

    /// Maps a local I/O error on `path` (shown as `shown`) to a typed error.
    pub(crate) fn io(err: std::io::Error, shown: &str, what: &str) -> Self {
        if let Some(cancelled) = crate::local::cancelled(&err) {
            return Error::Cancelled(cancelled);
        }
        match err.kind() {
            std::io::ErrorKind::NotFound => Error::NotFound {
                path: shown.to_owned(),
            },
            std::io::ErrorKind::AlreadyExists => Error::AlreadyExists {
                path: shown.to_owned(),
            },
            std::io::ErrorKind::PermissionDenied => Error::Permission {
                host: shown.to_owned(),
                message: err.to_string(),
            },
            _ => Error::other(format!("{what} '{shown}'"), err),
        }
    }
}
