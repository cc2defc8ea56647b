//! Parameters and metadata from inline YAML or a file (YAML 1.1, as PyYAML).

use std::path::Path;

use anyhow::Result;
use audmodel::{ErrorKind, Mapping, Value};

use crate::cli::{MetaArgs, ParamsArgs};
use crate::exit::CliError;

/// The parameters given, `{}` when none.
pub(crate) fn params(args: &ParamsArgs) -> Result<Mapping> {
    mapping(
        "parameters",
        "--params",
        args.params.as_deref(),
        args.params_file.as_deref(),
    )
}

/// The metadata given, `None` when neither flag was.
pub(crate) fn meta(args: &MetaArgs) -> Result<Option<Mapping>> {
    if args.meta.is_none() && args.meta_file.is_none() {
        return Ok(None);
    }
    mapping(
        "metadata",
        "--meta",
        args.meta.as_deref(),
        args.meta_file.as_deref(),
    )
    .map(Some)
}

/// A mapping from inline text or a file; an empty document is `{}`.
fn mapping(what: &str, flag: &str, inline: Option<&str>, file: Option<&Path>) -> Result<Mapping> {
    let (text, origin) = match (inline, file) {
        (Some(text), _) => (text.to_owned(), format!("{flag} '{text}'")),
        (None, Some(path)) => {
            let text = std::fs::read_to_string(path).map_err(|e| {
                let kind = if e.kind() == std::io::ErrorKind::NotFound {
                    ErrorKind::NotFound
                } else {
                    ErrorKind::Io
                };
                CliError::new(
                    kind,
                    format!("cannot read the {what} file '{}': {e}", path.display()),
                )
            })?;
            (text, format!("the {what} file '{}'", path.display()))
        }
        (None, None) => return Ok(Mapping::new()),
    };
    let invalid = |message: String| CliError::new(ErrorKind::InvalidInput, message);
    let value = audmodel::yaml::from_str(&text)
        .map_err(|e| invalid(format!("{origin} is not valid YAML: {e}")))?;
    match value {
        Value::Null => Ok(Mapping::new()),
        Value::Map(map) => Ok(map),
        other => Err(invalid(format!(
            "{origin} must hold a mapping (key: value), not a {}",
            other.type_name()
        ))
        .into()),
    }
}

/// A `KEY=VALUE` filter of `ls`, the value read as a YAML 1.1 scalar; a
/// flag value clap refuses as a usage error (exit status 2).
pub(crate) fn key_value(text: &str) -> Result<(String, Value), String> {
    let (key, value) = text
        .split_once('=')
        .filter(|(key, _)| !key.is_empty())
        .ok_or_else(|| format!("'{text}' is not KEY=VALUE"))?;
    let value = audmodel::yaml::from_str(value)
        .map_err(|e| format!("the value of '{text}' is not valid YAML: {e}"))?;
    Ok((key.to_owned(), value))
}

/// Whether the metadata given is an empty document (no text, or only
/// comments), which `update-meta --replace` refuses: it would erase the
/// metadata, which `--meta '{}'` says explicitly.
pub(crate) fn is_empty_document(args: &MetaArgs) -> Result<bool> {
    let text = match (&args.meta, &args.meta_file) {
        (Some(text), _) => text.clone(),
        // An unreadable file is reported by `meta` with its reason.
        (None, Some(path)) => std::fs::read_to_string(path).unwrap_or_else(|_| "x".to_owned()),
        (None, None) => return Ok(false),
    };
    Ok(matches!(audmodel::yaml::from_str(&text), Ok(Value::Null)))
}
