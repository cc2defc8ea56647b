//! What to do next, added to a library error's message for the person at
//! the terminal: the command that moves an alias, the latest version of a
//! model published already, the IDs close to a mistyped one.

use audmodel::{Audmodel, ErrorKind};

use crate::exit::CliError;

/// `err` with a hint when one helps; `client` is asked only then.
pub(crate) fn with_hint(
    err: anyhow::Error,
    client: impl FnOnce() -> Option<Audmodel>,
) -> anyhow::Error {
    let Some(lib) = err.downcast_ref::<audmodel::Error>() else {
        return err;
    };
    match hint(lib, client) {
        Some(text) => CliError::new(lib.kind(), text).into(),
        None => err,
    }
}

fn hint(err: &audmodel::Error, client: impl FnOnce() -> Option<Audmodel>) -> Option<String> {
    let message = err.to_string();
    match err {
        audmodel::Error::AliasTaken { alias, .. } => Some(format!(
            "{message} Use `audmodel alias set {alias} ID` to move it."
        )),
        audmodel::Error::ModelExists { uid } => {
            let (sid, _) = uid.split_once('-')?;
            let latest = client()?.latest_version(sid).ok()?;
            Some(format!(
                "{message} The latest version of this model is {latest}; \
                 publish with a higher --version."
            ))
        }
        audmodel::Error::ModelNotFound { id } | audmodel::Error::AliasNotFound { alias: id } => {
            did_you_mean(&message, id, &client()?)
        }
        _ => None,
    }
}

/// A model that does not exist, said as the library says it, with the
/// close IDs and aliases: exit status 3.
pub(crate) fn not_found(id: &str, client: &Audmodel) -> anyhow::Error {
    let message = format!("A model with ID '{id}' does not exist.");
    let text = did_you_mean(&message, id, client).unwrap_or(message);
    CliError::new(ErrorKind::NotFound, text).into()
}

fn did_you_mean(message: &str, id: &str, client: &Audmodel) -> Option<String> {
    let near = client.similar_ids(id);
    let quoted: Vec<String> = near.iter().map(|s| format!("'{s}'")).collect();
    match quoted.as_slice() {
        [] => None,
        [one] => Some(format!("{message} Did you mean {one}?")),
        [rest @ .., last] => Some(format!(
            "{message} Did you mean {} or {last}?",
            rest.join(", ")
        )),
    }
}
