//! Failures: their exit status and how they are printed.

use std::io::Write;

use audmodel::ErrorKind;

/// `exists` answered no.
pub(crate) const NO: u8 = 1;

/// `cache verify` found a damaged model.
pub(crate) const DAMAGED: u8 = 8;

/// A failure of the command line itself (a bad input file, say), with the
/// kind that picks its exit status.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub(crate) struct CliError {
    pub(crate) kind: ErrorKind,
    pub(crate) message: String,
}

impl CliError {
    pub(crate) fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
        }
    }
}

/// The documented exit status of a kind (see `--help`).
fn status_of(kind: ErrorKind) -> u8 {
    match kind {
        ErrorKind::NotFound => 3,
        ErrorKind::AlreadyExists => 4,
        ErrorKind::InvalidInput => 5,
        ErrorKind::LockTimeout => 7,
        ErrorKind::Interrupted => 130,
        ErrorKind::Offline => 9,
        // A full disk is a failure of the machine, as a repository's or a
        // file's is: the message names both sizes and the folder.
        ErrorKind::NoSpace => 6,
        _ => 6,
    }
}

/// The status of an error: that of the outermost typed error in its chain.
pub(crate) fn status(err: &anyhow::Error) -> u8 {
    err.chain()
        .find_map(|cause| {
            cause
                .downcast_ref::<audmodel::Error>()
                .map(audmodel::Error::kind)
                .or_else(|| cause.downcast_ref::<CliError>().map(|e| e.kind))
        })
        .map_or(6, status_of)
}

/// Prints `error: ...` and one `caused by: ...` per cause whose text the
/// previous lines do not already contain (many errors repeat their source).
pub(crate) fn report(err: &anyhow::Error) {
    let mut stderr = std::io::stderr().lock();
    for (i, text) in audmodel::error_texts(err.as_ref()).iter().enumerate() {
        let label = if i == 0 { "error" } else { "caused by" };
        // Nothing to do when standard error is gone.
        let _ = writeln!(stderr, "{label}: {text}");
    }
}
