//! Alias validation as the reference's `valid_alias`.

use crate::error::Error;
use crate::model_id::{is_legacy_pattern, is_short_id, is_uid_pattern};

/// Checks an alias: `[A-Za-z0-9._-]+` and not confusable with a short ID,
/// a UID or a legacy UID.
///
/// ```
/// use audmodel_uid::validate_alias;
/// assert!(validate_alias("emotion-large").is_ok());
/// assert!(validate_alias("d4e9c65b").is_err());
/// ```
///
/// # Errors
/// [`Error::InvalidAlias`] saying why.
pub fn validate_alias(alias: &str) -> Result<(), Error> {
    let reason = if alias.is_empty() {
        "an alias must not be empty"
    } else if !alias
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
    {
        "an alias may only contain the characters [A-Za-z0-9._-]"
    } else if is_short_id(alias) {
        "it looks like a short model ID"
    } else if is_legacy_pattern(alias) {
        "it looks like a legacy model ID"
    } else if is_uid_pattern(alias) {
        "it looks like a model ID with version"
    } else {
        return Ok(());
    };
    Err(Error::InvalidAlias {
        alias: alias.to_owned(),
        reason: reason.to_owned(),
    })
}
