//! The model header: the file that registers a model (SPEC 3).

use chrono::NaiveDate;

use audmodel_uid::{Mapping, Value};

use crate::Error;

/// A model header: `author`, `date`, `name`, `parameters`, `subgroup`,
/// `version`, written in that order. Read it from its fields; build one
/// with [`Header::new`]:
///
/// ```
/// use audmodel_core::{Header, Mapping, NaiveDate};
/// let date = NaiveDate::from_ymd_opt(1985, 11, 18).unwrap();
/// let header = Header::new("torch", Mapping::from([("model", "cnn10")]), "1.0.0", "Calvin", date)
///     .with_subgroup("audmodel.dummy.cnn");
/// assert_eq!(header.subgroup.as_deref(), Some("audmodel.dummy.cnn"));
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Header {
    /// Author name(s).
    pub author: String,
    /// Publication date.
    pub date: NaiveDate,
    /// Model name.
    pub name: String,
    /// Parameters that, with name and subgroup, give the short ID.
    pub parameters: Mapping,
    /// Subgroup (`None` is written as `''`, as the reference does).
    pub subgroup: Option<String>,
    /// Version.
    pub version: String,
}

impl Header {
    /// The header of a model of this name, parameters and version, by this
    /// author on this date, in no subgroup.
    pub fn new(
        name: impl Into<String>,
        parameters: impl Into<Mapping>,
        version: impl Into<String>,
        author: impl Into<String>,
        date: NaiveDate,
    ) -> Header {
        Header {
            author: author.into(),
            date,
            name: name.into(),
            parameters: parameters.into(),
            subgroup: None,
            version: version.into(),
        }
    }

    /// The same header in this subgroup (`.` separates its parts).
    pub fn with_subgroup(mut self, subgroup: impl Into<String>) -> Header {
        self.subgroup = Some(subgroup.into());
        self
    }

    /// The header as the mapping the reference writes.
    pub fn to_value(&self) -> Value {
        let mut map = Mapping::new();
        map.insert("author", self.author.as_str());
        map.insert("date", Value::Date(self.date));
        map.insert("name", self.name.as_str());
        map.insert("parameters", Value::Map(self.parameters.clone()));
        map.insert("subgroup", self.subgroup.as_deref().unwrap_or(""));
        map.insert("version", self.version.as_str());
        Value::Map(map)
    }

    /// The header file's bytes, as PyYAML writes them.
    pub fn to_yaml(&self) -> String {
        audmodel_uid::yaml::to_string(&self.to_value())
    }

    /// Reads a header file; `what` names it in errors.
    pub fn from_yaml(text: &str, what: &str) -> Result<Header, Error> {
        let what = format!("header '{what}'");
        let corrupt = |why: String| Error::corrupt(what.clone(), why);
        let value =
            audmodel_uid::yaml::from_str(text).map_err(|e| Error::corrupt(what.clone(), e))?;
        let Value::Map(map) = value else {
            return Err(corrupt("not a mapping".to_owned()));
        };
        let text_field = |key: &str| -> Result<String, Error> {
            match map.get(key) {
                Some(Value::Str(s)) => Ok(s.clone()),
                // PyYAML reads an unquoted `1.0` or `2` as a number; keep its text.
                Some(v @ (Value::Int(_) | Value::Float(_))) => Ok(audmodel_uid::py_repr(v)),
                Some(other) => Err(corrupt(format!("'{key}' is a {}", other.type_name()))),
                None => Err(corrupt(format!("'{key}' is missing"))),
            }
        };
        let date = match map.get("date") {
            Some(Value::Date(d)) => *d,
            Some(Value::Str(s)) => NaiveDate::parse_from_str(s, "%Y-%m-%d")
                .map_err(|e| corrupt(format!("'date' {s:?}: {e}")))?,
            _ => return Err(corrupt("'date' is missing or not a date".to_owned())),
        };
        let parameters = match map.get("parameters") {
            Some(Value::Map(m)) => m.clone(),
            Some(Value::Null) | None => Mapping::new(),
            Some(other) => return Err(corrupt(format!("'parameters' is a {}", other.type_name()))),
        };
        let subgroup = match map.get("subgroup") {
            Some(Value::Str(s)) if !s.is_empty() => Some(s.clone()),
            Some(Value::Str(_) | Value::Null) | None => None,
            Some(other) => Some(audmodel_uid::py_repr(other)),
        };
        Ok(Header {
            author: match map.get("author") {
                Some(Value::Null) | None => String::new(),
                _ => text_field("author")?,
            },
            date,
            name: text_field("name")?,
            parameters,
            subgroup,
            version: text_field("version")?,
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn round_trips_the_references_bytes() {
        let text = "author: Calvin and Hobbes\ndate: 1985-11-18\nname: torch\nparameters:\n  model: cnn10\n  sampling_rate: 16000\nsubgroup: ''\nversion: 1.0.0\n";
        let header = Header::from_yaml(text, "h").unwrap();
        assert_eq!(header.subgroup, None);
        assert_eq!(header.to_yaml(), text);
    }

    #[test]
    fn damaged_headers_are_corrupt() {
        for text in [
            "- a\n",
            "name: x\n",
            "a: [",
            "author: a\ndate: never\nname: n\nversion: 1.0.0\n",
        ] {
            let err = Header::from_yaml(text, "the-file").unwrap_err();
            assert!(matches!(err, Error::Corrupt { .. }), "{text:?}: {err}");
            assert!(err.to_string().contains("the-file"), "{err}");
        }
    }
}
