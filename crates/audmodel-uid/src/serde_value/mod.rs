//! Serde for Python values: [`Value`] and [`Mapping`] implement `Serialize`
//! and `Deserialize`, and [`to_value`] and [`from_value`] (with
//! [`to_mapping`] and [`from_mapping`] for parameters and metadata) turn any
//! Rust type into a Python value and back (cargo feature `serde`, on by
//! default).
//!
//! # Rust types as Python values
//!
//! [`to_value`] writes what serde's data model says, the way `serde_json`
//! does:
//!
//! | Rust (serde data model)                          | [`Value`]                                 |
//! |--------------------------------------------------|-------------------------------------------|
//! | struct, map                                      | `Map` (`dict`) in field / iteration order |
//! | `Vec`, slice, array, tuple, tuple struct         | `List`                                    |
//! | `bool`                                           | `Bool`                                    |
//! | integers up to `i128`; `u128` up to `i128::MAX`  | `Int` (a larger `u128` is an error)       |
//! | `f32`, `f64` (inf and nan included)              | `Float`                                   |
//! | `str`, `String`, `char`                          | `Str`                                     |
//! | `None`, `()`, unit struct                        | `Null`                                    |
//! | `Some(x)`, newtype struct                        | as `x`                                    |
//! | unit variant `E::A`                              | `Str("A")`                                |
//! | newtype, tuple or struct variant `E::A(x)`       | `Map` `{"A": x}`                          |
//! | bytes                                            | `List` of `Int`                           |
//! | [`NaiveDate`] with [`date`]                      | `Date`                                    |
//!
//! Map order is kept, and is part of the legacy model ID
//! ([`legacy_uid`](crate::legacy_uid)): a `HashMap`'s order is arbitrary, so
//! parameters should be structs, `BTreeMap`s or [`Mapping`]s. Keys may be any
//! value, as in a Python `dict`; keys equal in Python (`1`, `1.0`, `True`)
//! are one key, as [`Mapping::insert`] has it.
//!
//! [`from_value`] reads the same forms back. In addition an `Int` fills a
//! float; a `Date` fills a string with `YYYY-MM-DD`, and an int beyond 64
//! bits one with its decimal digits (the forms below); an enum is read from a
//! string (unit variant) or a mapping with one key (any variant).
//!
//! # Values in other formats
//!
//! Serializing a [`Value`] gives formats such as JSON or YAML these forms, as
//! some Python types have no word in serde's data model:
//!
//! - `None` is unit (JSON `null`); bool, str, list and dict are themselves,
//!   and dicts keep their order;
//! - an int within the `i64` or `u64` range is that integer; an **int beyond
//!   64 bits is its decimal string** (`"170141183460469231731687303715884105727"`),
//!   so that no format rounds it through a float;
//! - a float is an `f64`, **inf and nan included**: a format that has no such
//!   numbers decides (`serde_json` writes `null`);
//! - a **`datetime.date` is the string `YYYY-MM-DD`** (years outside
//!   0000–9999, which Python has not, carry a sign: `+10000-01-01`).
//!
//! Dates and big ints travel as newtype structs with private names around
//! those strings. Formats that pass newtype structs through to their content
//! (`serde_json` does, as most self-describing formats) see the plain
//! strings, while [`to_value`] recognises the names: `to_value(&value) ==
//! value` for every [`Value`] (NaN aside, which equals nothing). Likewise
//! [`from_value::<Value>`](from_value) and [`from_value::<Mapping>`](from_value)
//! give back exactly the value they were given, also where a `Value` or
//! `Mapping` is a field of a Rust type. Types that take any data (such as
//! `serde_json::Value`, or serde's untagged enums and `#[serde(flatten)]`,
//! which buffer it) see the forms above instead.
//!
//! Deserializing a [`Value`] from another format takes what the format says:
//! integers become `Int`, other numbers `Float`, strings `Str` (a date or a
//! big int written as above comes back as its string, the format having no
//! word for it), sequences `List` and maps `Map` in the order of the text.
//! `Value` asks the format for a newtype struct of a private name and reads
//! whatever the format passes through, so a format that insists on newtype
//! structs being written as such cannot give a `Value`.
//!
//! # Errors
//!
//! Failures are [`Error::Serialize`] and [`Error::Deserialize`]; the latter
//! names where in the value the problem is (`layers[1].units`) and what it
//! is, in serde's words (`invalid type: string "fast", expected u32`).

mod de;
mod ser;

use crate::error::Error;
use crate::id::params_from_value;
use crate::value::{Mapping, Value};
use chrono::NaiveDate;
use serde::Serialize;
use serde::de::DeserializeOwned;

/// Newtype name around the `YYYY-MM-DD` string of a date; also the one key of
/// the map in which [`from_value`] hands a date to `Value`'s `Deserialize`.
const DATE_TOKEN: &str = "$audmodel_uid::private::Date";
/// Newtype name around the decimal string of an int beyond 64 bits.
const INT_TOKEN: &str = "$audmodel_uid::private::Int";
/// Newtype name `Value`'s `Deserialize` asks for: [`from_value`] answers it
/// with dates and big ints as they are, other formats pass it through.
const VALUE_TOKEN: &str = "$audmodel_uid::private::Value";

/// Any serializable value as a Python [`Value`] (see the [module
/// docs](self) for the forms).
///
/// A struct becomes a `Map` with its fields in order, which [`to_mapping`]
/// gives as the [`Mapping`] that parameters and metadata are:
///
/// ```
/// use audmodel_uid::{Value, from_mapping, to_mapping, to_value, uid};
/// use serde::{Deserialize, Serialize};
///
/// #[derive(Debug, PartialEq, Serialize, Deserialize)]
/// struct Params {
///     model: String,
///     data: String,
///     feature: String,
///     sampling_rate: u32,
/// }
///
/// let params = Params {
///     model: "cnn10".into(),
///     data: "emodb".into(),
///     feature: "melspec".into(),
///     sampling_rate: 16000,
/// };
/// let mapping = to_mapping(&params)?;
/// assert_eq!(mapping.get("sampling_rate"), Some(&Value::Int(16000)));
/// let keys: Vec<_> = mapping.iter().filter_map(|(k, _)| k.as_str()).collect();
/// assert_eq!(keys, ["model", "data", "feature", "sampling_rate"]);
/// // The same ID as the reference gives for this dict.
/// assert_eq!(uid("torch", &mapping, "1.0.0", Some("audmodel.dummy.cnn"))?, "d4e9c65b-1.0.0");
///
/// // And back, say from a header's parameters.
/// let back: Params = from_mapping(mapping.clone())?;
/// assert_eq!(back, params);
/// assert_eq!(to_value(&params)?, Value::Map(mapping));
/// # Ok::<(), audmodel_uid::Error>(())
/// ```
///
/// # Errors
/// [`Error::Serialize`] when `value`'s `Serialize` fails or gives a `u128`
/// beyond `i128::MAX`.
pub fn to_value<T: Serialize + ?Sized>(value: &T) -> Result<Value, Error> {
    value.serialize(ser::ValueSerializer)
}

/// Any serializable value that is a mapping (a struct, a map) as a
/// [`Mapping`], ready to be parameters or metadata.
///
/// ```
/// use audmodel_uid::{Error, to_mapping};
/// assert!(matches!(to_mapping(&[1, 2]), Err(Error::NotAMapping { .. })));
/// ```
///
/// # Errors
/// As [`to_value`], and [`Error::NotAMapping`] naming the Python type of any
/// other value.
pub fn to_mapping<T: Serialize + ?Sized>(value: &T) -> Result<Mapping, Error> {
    params_from_value(to_value(value)?)
}

/// A Rust value read from a Python [`Value`] (see the [module docs](self) for
/// the forms); the reverse of [`to_value`].
///
/// ```
/// use audmodel_uid::{Error, Value, from_value};
/// let rates: Vec<u32> = from_value(Value::List(vec![8000i64.into(), 16000i64.into()]))?;
/// assert_eq!(rates, [8000, 16000]);
///
/// let err = from_value::<Vec<u32>>(Value::List(vec![1i64.into(), "fast".into()])).unwrap_err();
/// assert_eq!(err.to_string(), r#"cannot deserialize at `[1]`: invalid type: string "fast", expected u32"#);
/// # Ok::<(), Error>(())
/// ```
///
/// # Errors
/// [`Error::Deserialize`] naming where and what when `value` does not fit
/// `T`.
pub fn from_value<T: DeserializeOwned>(value: Value) -> Result<T, Error> {
    T::deserialize(de::ValueDeserializer(value))
}

/// A Rust value read from a [`Mapping`], such as a header's parameters:
/// [`from_value`] of `Value::Map(mapping)`.
///
/// # Errors
/// As [`from_value`].
pub fn from_mapping<T: DeserializeOwned>(mapping: Mapping) -> Result<T, Error> {
    from_value(Value::Map(mapping))
}

/// `#[serde(with = "audmodel_uid::serde_value::date")]` for a [`NaiveDate`]
/// field: a Python `datetime.date` in [`to_value`], the string `YYYY-MM-DD`
/// in other formats.
///
/// ```
/// use audmodel_uid::{NaiveDate, Value, from_mapping, to_mapping};
/// use serde::{Deserialize, Serialize};
///
/// #[derive(Debug, PartialEq, Serialize, Deserialize)]
/// struct Meta {
///     #[serde(with = "audmodel_uid::serde_value::date")]
///     recorded: NaiveDate,
/// }
///
/// let meta = Meta { recorded: NaiveDate::from_ymd_opt(2024, 1, 2).unwrap() };
/// let mapping = to_mapping(&meta)?;
/// assert_eq!(mapping.get("recorded"), Some(&Value::Date(meta.recorded)));
/// assert_eq!(from_mapping::<Meta>(mapping)?, meta);
/// # Ok::<(), audmodel_uid::Error>(())
/// ```
pub mod date {
    use super::DATE_TOKEN;
    use chrono::NaiveDate;
    use serde::{Deserializer, Serializer, de};

    /// Serializes `date` as the newtype that [`to_value`](super::to_value)
    /// makes a `Date` and other formats see as the string `YYYY-MM-DD`.
    ///
    /// # Errors
    /// As the serializer's.
    pub fn serialize<S: Serializer>(date: &NaiveDate, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_newtype_struct(DATE_TOKEN, &date.to_string())
    }

    /// Deserializes a date from a `Date` or a string `YYYY-MM-DD`.
    ///
    /// # Errors
    /// The deserializer's, or an invalid value naming the text that is no
    /// date.
    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<NaiveDate, D::Error> {
        deserializer.deserialize_str(DateVisitor)
    }

    struct DateVisitor;

    impl de::Visitor<'_> for DateVisitor {
        type Value = NaiveDate;

        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a date YYYY-MM-DD")
        }

        fn visit_str<E: de::Error>(self, text: &str) -> Result<NaiveDate, E> {
            super::parse_date(text)
                .ok_or_else(|| E::invalid_value(de::Unexpected::Str(text), &self))
        }
    }
}

/// The date of a `YYYY-MM-DD` text exactly as [`NaiveDate`]'s `Display`
/// writes it (chrono's own parser would also take `2024-1-2` or ` 2024-01-02`).
fn parse_date(text: &str) -> Option<NaiveDate> {
    text.parse::<NaiveDate>()
        .ok()
        .filter(|date| date.to_string() == text)
}

impl serde::ser::Error for Error {
    fn custom<T: std::fmt::Display>(msg: T) -> Self {
        Error::Serialize {
            message: msg.to_string(),
        }
    }
}

impl serde::de::Error for Error {
    fn custom<T: std::fmt::Display>(msg: T) -> Self {
        Error::Deserialize {
            path: String::new(),
            message: msg.to_string(),
        }
    }
}
