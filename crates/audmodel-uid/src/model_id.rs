//! The forms a model ID can take: UID, short ID, legacy UID or alias.

use crate::error::Error;
use crate::version::is_version_chars;
use std::fmt;

/// A model ID as a user writes it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ModelId {
    /// `{short_id}-{version}`.
    Uid {
        /// 8 lowercase hex digits.
        short_id: String,
        /// The version (`[0-9][A-Za-z0-9._-]*`).
        version: String,
    },
    /// 8 lowercase hex digits: the latest version of a model.
    ShortId(String),
    /// A 36-character legacy UID.
    Legacy(String),
    /// An alias.
    Alias(String),
}

pub(crate) fn is_short_id(text: &str) -> bool {
    text.len() == 8 && text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

pub(crate) fn is_legacy_pattern(text: &str) -> bool {
    let groups: Vec<&str> = text.split('-').collect();
    groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(g, n)| g.len() == n && g.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')))
}

pub(crate) fn is_uid_pattern(text: &str) -> bool {
    text.len() > 9
        && text.is_char_boundary(9)
        && is_short_id(&text[..8])
        && text.as_bytes()[8] == b'-'
        && is_version_chars(&text[9..])
}

/// Whether the reference's `is_alias` holds: `text` matches none of the ID patterns.
pub(crate) fn looks_like_alias(text: &str) -> bool {
    !(is_short_id(text) || is_legacy_pattern(text) || is_uid_pattern(text))
}

impl ModelId {
    /// Parses an ID in any form.
    ///
    /// As in the reference, any text that matches an ID pattern and is 36
    /// characters long is a legacy UID.
    ///
    /// ```
    /// use audmodel_uid::ModelId;
    /// assert_eq!(
    ///     ModelId::parse("d4e9c65b-1.0.0").unwrap(),
    ///     ModelId::Uid { short_id: "d4e9c65b".into(), version: "1.0.0".into() }
    /// );
    /// assert_eq!(ModelId::parse("my-model").unwrap(), ModelId::Alias("my-model".into()));
    /// assert!(ModelId::parse("no spaces").is_err());
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidId`] when the text is no ID and no valid alias.
    pub fn parse(text: &str) -> Result<ModelId, Error> {
        if looks_like_alias(text) {
            return if crate::alias::validate_alias(text).is_ok() {
                Ok(ModelId::Alias(text.to_owned()))
            } else {
                Err(Error::InvalidId {
                    text: text.to_owned(),
                })
            };
        }
        if text.len() == 36 {
            Ok(ModelId::Legacy(text.to_owned()))
        } else if is_short_id(text) {
            Ok(ModelId::ShortId(text.to_owned()))
        } else {
            Ok(ModelId::Uid {
                short_id: text[..8].to_owned(),
                version: text[9..].to_owned(),
            })
        }
    }
}

impl fmt::Display for ModelId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ModelId::Uid { short_id, version } => write!(f, "{short_id}-{version}"),
            ModelId::ShortId(s) | ModelId::Legacy(s) | ModelId::Alias(s) => f.write_str(s),
        }
    }
}

impl std::str::FromStr for ModelId {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ModelId::parse(s)
    }
}
