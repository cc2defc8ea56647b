//! Exit statuses, the one table of them (printed by `--help`, listed in
//! docs/guide.md, compared by a tidy test), and how failures are printed.

use std::io::Write;
use std::process::ExitCode;

use audmodel::ErrorKind;

/// How `audmodel` ends: what a command returns, or what its error maps to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Status {
    Success,
    /// `exists` answered no.
    No,
    /// clap's own status for a bad command line.
    Usage,
    NotFound,
    AlreadyExists,
    InvalidInput,
    Failure,
    LockTimeout,
    /// `verify` or `cache verify` found a damaged model.
    Damaged,
    Offline,
    Interrupted,
}

/// Every status in the order `--help` lists them, with what it means
/// there; a line break continues the meaning on an indented line.
const TABLE: [(Status, &str); 11] = [
    (Status::Success, "success"),
    (Status::No, "`exists`: the model does not exist"),
    (
        Status::Usage,
        "usage error (unknown flag, bad flag value, conflicting flags)",
    ),
    (Status::NotFound, "not found (model, alias, file or folder)"),
    (Status::AlreadyExists, "already exists (model or alias)"),
    (
        Status::InvalidInput,
        "invalid input (ID, version, alias, parameters, metadata, configuration)",
    ),
    (
        Status::Failure,
        "repository, file or other failure; no space for the model on the\n\
         cache's or the repository's disk",
    ),
    (
        Status::LockTimeout,
        "a lock of the cache could not be acquired in time",
    ),
    (
        Status::Damaged,
        "`verify`, `cache verify`: a model is damaged",
    ),
    (
        Status::Offline,
        "offline (--offline, AUDMODEL_OFFLINE=1) and the cache cannot answer",
    ),
    (
        Status::Interrupted,
        "interrupted (Ctrl+C); what was put in the repository is removed",
    ),
];

impl Status {
    /// The number the process ends with.
    pub(crate) const fn code(self) -> u8 {
        match self {
            Status::Success => 0,
            Status::No => 1,
            Status::Usage => 2,
            Status::NotFound => 3,
            Status::AlreadyExists => 4,
            Status::InvalidInput => 5,
            Status::Failure => 6,
            Status::LockTimeout => 7,
            Status::Damaged => 8,
            Status::Offline => 9,
            Status::Interrupted => 130,
        }
    }

    /// The status of a failure of this kind.
    fn of(kind: ErrorKind) -> Status {
        match kind {
            ErrorKind::NotFound => Status::NotFound,
            ErrorKind::AlreadyExists => Status::AlreadyExists,
            ErrorKind::InvalidInput => Status::InvalidInput,
            ErrorKind::LockTimeout => Status::LockTimeout,
            ErrorKind::Interrupted => Status::Interrupted,
            ErrorKind::Offline => Status::Offline,
            // A full disk is a failure of the machine, as a repository's or a
            // file's is: the message names both sizes and the folder.
            ErrorKind::NoSpace => Status::Failure,
            _ => Status::Failure,
        }
    }
}

impl From<Status> for ExitCode {
    fn from(status: Status) -> ExitCode {
        ExitCode::from(status.code())
    }
}

/// The end of `--help`: the table of exit statuses.
pub(crate) fn help() -> String {
    let mut text = String::from("Exit status:\n");
    for (status, meaning) in TABLE {
        let code = status.code();
        let meaning = meaning.replace('\n', "\n       ");
        text.push_str(&format!("  {code:<4} {meaning}\n"));
    }
    text
}

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

/// The status of an error: that of the outermost typed error in its chain.
pub(crate) fn status(err: &anyhow::Error) -> Status {
    err.chain()
        .find_map(|cause| {
            cause
                .downcast_ref::<audmodel::Error>()
                .map(audmodel::Error::kind)
                .or_else(|| cause.downcast_ref::<CliError>().map(|e| e.kind))
        })
        .map_or(Status::Failure, Status::of)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_lists_each_status_once_in_order_of_its_code() {
        let codes: Vec<u8> = TABLE.iter().map(|(status, _)| status.code()).collect();
        assert!(codes.windows(2).all(|w| w[0] < w[1]), "{codes:?}");
    }
}
