//! The one error type of this crate: every variant is invalid input.

/// Why a value, an ID, an alias, a version or a YAML text was refused.
///
/// Every variant means "invalid input"; the message names the problem.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The YAML text could not be parsed.
    #[error("invalid YAML at line {line}, column {column}: {message}")]
    Yaml {
        /// 1-based line of the problem.
        line: usize,
        /// 1-based column of the problem.
        column: usize,
        /// What is wrong.
        message: String,
    },
    /// A YAML scalar has a type or value this crate cannot hold.
    #[error("unsupported YAML value {value:?} at line {line}, column {column}: {message}")]
    UnsupportedValue {
        /// The scalar text.
        value: String,
        /// 1-based line of the scalar.
        line: usize,
        /// 1-based column of the scalar.
        column: usize,
        /// Why it is refused.
        message: String,
    },
    /// Top-level keys of parameters cannot be ordered together (as in Python).
    #[error(
        "parameter keys cannot be sorted: {first} and {second} have types that Python cannot order"
    )]
    UnorderableKeys {
        /// `repr` of one key.
        first: String,
        /// `repr` of the other key.
        second: String,
    },
    /// Parameters must be a mapping.
    #[error("parameters must be a mapping, got {found}")]
    NotAMapping {
        /// Kind of value found instead.
        found: String,
    },
    /// Not a valid alias.
    #[error("'{alias}' is not an allowed alias name: {reason}")]
    InvalidAlias {
        /// The refused alias.
        alias: String,
        /// Why it is refused.
        reason: String,
    },
    /// Not a valid version.
    #[error(
        "'{version}' is not a valid version. Versions have to be semantic versions 'X.Y.Z', where X, Y, Z are integers, optionally followed by a suffix starting with '-', e.g. '1.0.0' or '1.0.0-prod'. Versions may only contain letters, digits, '.', '_', and '-', and have to start with a digit."
    )]
    InvalidVersion {
        /// The refused version.
        version: String,
    },
    /// Not a model ID in any form (UID, short ID, legacy UID or alias).
    #[error("invalid model ID {text:?}: neither a UID, a short ID, a legacy UID nor a valid alias")]
    InvalidId {
        /// The refused text.
        text: String,
    },
    /// A Rust value could not be turned into a [`Value`](crate::Value)
    /// (`serde` feature).
    #[error("cannot serialize into a Python value: {message}")]
    Serialize {
        /// What is wrong.
        message: String,
    },
    /// A [`Value`](crate::Value) could not be turned into the Rust type asked
    /// for (`serde` feature).
    #[error("cannot deserialize{}: {message}", at_path(.path))]
    Deserialize {
        /// Where in the value the problem is: keys joined by `.`, list
        /// indices and keys that are not plain names in brackets
        /// (`layers[1].units`, `['sampling rate']`, `[16000]`); empty for the
        /// value itself.
        path: String,
        /// What is wrong.
        message: String,
    },
}

/// ` at `path`` for a non-empty path.
fn at_path(path: &str) -> String {
    if path.is_empty() {
        String::new()
    } else {
        format!(" at `{path}`")
    }
}
