//! Short IDs, UIDs and legacy UIDs computed from name, parameters and version.

use crate::error::Error;
use crate::md5_hex;
use crate::repr::{dict_repr, py_repr};
use crate::value::{Mapping, Value};
use std::cmp::Ordering;

const LEGACY_REPOSITORY_PUBLIC: &str = "models-public-local";
const LEGACY_REPOSITORY_PRIVATE: &str = "models-private-local";

/// The string whose MD5 gives the short ID:
/// `f"{subgroup or ''}.{name}" + repr(params with top-level keys sorted)`.
///
/// ```
/// use audmodel_uid::{unique_string, Mapping, Value};
/// let mut params = Mapping::new();
/// params.insert("b", 1i64);
/// params.insert("a", Value::Null);
/// assert_eq!(unique_string("torch", &params, Some("x.y")).unwrap(), "x.y.torch{'a': None, 'b': 1}");
/// ```
///
/// # Errors
/// [`Error::UnorderableKeys`] when the top-level keys cannot be sorted
/// together in Python (say, an int and a string).
pub fn unique_string(
    name: &str,
    params: &Mapping,
    subgroup: Option<&str>,
) -> Result<String, Error> {
    let sorted = sorted_params(params)?;
    Ok(format!(
        "{}.{name}{}",
        subgroup.unwrap_or(""),
        dict_repr(sorted.into_iter())
    ))
}

/// The 8-hex-digit short ID: the last 8 digits of the MD5 of [`unique_string`].
///
/// ```
/// use audmodel_uid::{short_id, Mapping, Value};
/// let params = Mapping::from([
///     ("model", Value::from("cnn10")),
///     ("data", "emodb".into()),
///     ("feature", "melspec".into()),
///     ("sampling_rate", 16000.into()),
/// ]);
/// assert_eq!(short_id("torch", &params, Some("audmodel.dummy.cnn")).unwrap(), "d4e9c65b");
/// ```
///
/// # Errors
/// As [`unique_string`].
pub fn short_id(name: &str, params: &Mapping, subgroup: Option<&str>) -> Result<String, Error> {
    let hex = md5_hex(unique_string(name, params, subgroup)?.as_bytes());
    Ok(hex[hex.len() - 8..].to_owned())
}

/// The UID `{short_id}-{version}`.
///
/// The version is taken as given (models published before the reference
/// checked versions may carry any); check new ones with
/// [`validate_version`](crate::validate_version).
///
/// ```
/// use audmodel_uid::{uid, Mapping};
/// assert_eq!(uid("torch", &Mapping::new(), "1.0.0", None).unwrap(), "d0656de9-1.0.0");
/// ```
///
/// # Errors
/// As [`unique_string`].
pub fn uid(
    name: &str,
    params: &Mapping,
    version: &str,
    subgroup: Option<&str>,
) -> Result<String, Error> {
    Ok(format!("{}-{version}", short_id(name, params, subgroup)?))
}

/// The 36-character legacy UID (8-4-4-4-12 MD5 of the unsorted parameters,
/// group ID, version and legacy repository name).
///
/// Unlike the short ID, `subgroup = Some("")` differs from `None` here, as in
/// the reference.
///
/// ```
/// use audmodel_uid::{legacy_uid, Mapping, Value};
/// let params = Mapping::from([
///     ("model", Value::from("cnn10")),
///     ("data", "emodb".into()),
///     ("feature", "melspec".into()),
///     ("sampling_rate", 16000.into()),
/// ]);
/// assert_eq!(
///     legacy_uid("test", &params, "1.0.0", Some("audmodel.dummy.cnn"), false).unwrap(),
///     "65206614-dbb7-d61a-b00c-153db7b525c0"
/// );
/// ```
///
/// # Errors
/// Never for now; the `Result` leaves room for validation.
pub fn legacy_uid(
    name: &str,
    params: &Mapping,
    version: &str,
    subgroup: Option<&str>,
    private: bool,
) -> Result<String, Error> {
    let group_id = match subgroup {
        None => format!("com.audeering.models.{name}"),
        Some(sub) => format!("com.audeering.models.{sub}.{name}"),
    };
    let repository = if private {
        LEGACY_REPOSITORY_PRIVATE
    } else {
        LEGACY_REPOSITORY_PUBLIC
    };
    let text = format!(
        "{}{group_id}lookup{version}{repository}",
        dict_repr(params.iter())
    );
    let hex = md5_hex(text.as_bytes());
    Ok(format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    ))
}

/// Which values Python can order with `<` among each other.
#[derive(PartialEq, Eq, Clone, Copy)]
enum KeyClass {
    Number,
    Str,
    Date,
    Other,
}

fn key_class(v: &Value) -> KeyClass {
    match v {
        Value::Bool(_) | Value::Int(_) | Value::Float(_) => KeyClass::Number,
        Value::Str(_) => KeyClass::Str,
        Value::Date(_) => KeyClass::Date,
        _ => KeyClass::Other,
    }
}

/// `{key: params[key] for key in sorted(params)}`.
///
/// Python's sort compares neighbours of the final order, so keys of two
/// classes that cannot be ordered always meet and raise; `None` cannot be
/// ordered even with itself.
fn sorted_params(params: &Mapping) -> Result<Vec<&(Value, Value)>, Error> {
    let mut entries: Vec<&(Value, Value)> = params.iter().collect();
    if entries.len() < 2 {
        return Ok(entries);
    }
    let first = &entries[0].0;
    let class = key_class(first);
    if let Some((bad, _)) = entries
        .iter()
        .map(|e| (&e.0, ()))
        .find(|(k, _)| class == KeyClass::Other || key_class(k) != class)
    {
        let second = if std::ptr::eq(bad, first) {
            &entries[1].0
        } else {
            bad
        };
        return Err(Error::UnorderableKeys {
            first: py_repr(first),
            second: py_repr(second),
        });
    }
    entries.sort_by(|a, b| compare_keys(&a.0, &b.0));
    Ok(entries)
}

fn compare_keys(a: &Value, b: &Value) -> Ordering {
    match (a, b) {
        (Value::Str(x), Value::Str(y)) => x.cmp(y),
        (Value::Date(x), Value::Date(y)) => x.cmp(y),
        _ => match (a.as_number(), b.as_number()) {
            // NaN keys have no order in Python either; keep them in place.
            (Some(x), Some(y)) => x.py_cmp(y).unwrap_or(Ordering::Equal),
            _ => Ordering::Equal,
        },
    }
}

/// The parameters mapping inside a loaded value (as `yaml::from_str` of a
/// parameters file gives it).
///
/// # Errors
/// [`Error::NotAMapping`] naming the type found.
pub fn params_from_value(value: Value) -> Result<Mapping, Error> {
    match value {
        Value::Map(map) => Ok(map),
        other => Err(Error::NotAMapping {
            found: other.type_name().to_owned(),
        }),
    }
}
