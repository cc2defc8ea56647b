//! `Deserialize` for values, and the deserializer behind `from_value`.

use super::{DATE_TOKEN, VALUE_TOKEN, parse_date};
use crate::error::Error;
use crate::repr::py_repr;
use crate::value::{Mapping, Value};
use serde::de::{
    self, Deserialize, DeserializeSeed, Deserializer, IgnoredAny, IntoDeserializer, Unexpected,
    Visitor,
};
use std::fmt;

impl<'de> Deserialize<'de> for Value {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Value, D::Error> {
        // `from_value` answers this name with dates and big ints as they are;
        // other formats pass the newtype through to `visit_newtype_struct`.
        deserializer.deserialize_newtype_struct(VALUE_TOKEN, ValueVisitor)
    }
}

impl<'de> Deserialize<'de> for Mapping {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Mapping, D::Error> {
        deserializer.deserialize_map(MappingVisitor)
    }
}

/// Builds a [`Value`] from whatever the format says.
struct ValueVisitor;

impl<'de> Visitor<'de> for ValueVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a Python value (None, bool, int, float, str, date, list or dict)")
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Int(v.into()))
    }

    fn visit_i128<E: de::Error>(self, v: i128) -> Result<Value, E> {
        Ok(Value::Int(v))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Value, E> {
        Ok(Value::Int(v.into()))
    }

    fn visit_u128<E: de::Error>(self, v: u128) -> Result<Value, E> {
        i128::try_from(v).map(Value::Int).map_err(|_| {
            E::invalid_value(
                Unexpected::Other(&format!("integer {v}")),
                &"an int within the i128 range",
            )
        })
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        Ok(Value::Float(v))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Value, E> {
        Ok(Value::Str(v.to_owned()))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Value, E> {
        Ok(Value::Str(v))
    }

    fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<Value, E> {
        Ok(Value::List(
            v.iter().map(|b| Value::Int(i128::from(*b))).collect(),
        ))
    }

    fn visit_none<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        Value::deserialize(deserializer)
    }

    fn visit_newtype_struct<D: Deserializer<'de>>(
        self,
        deserializer: D,
    ) -> Result<Value, D::Error> {
        // Not `Value::deserialize`: that would ask for the newtype again.
        deserializer.deserialize_any(self)
    }

    fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        // The hint is the format's word; do not trust it with memory.
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Value::List(items))
    }

    fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut out = Mapping::new();
        let Some(first) = map.next_key::<Value>()? else {
            return Ok(Value::Map(out));
        };
        if first.as_str() == Some(DATE_TOKEN) {
            // A date, as `from_value` hands it over.
            let text: String = map.next_value()?;
            if map.next_key::<IgnoredAny>()?.is_some() {
                return Err(de::Error::custom(format!(
                    "a map with the key {DATE_TOKEN} holds one date and nothing else"
                )));
            }
            return parse_date(&text).map(Value::Date).ok_or_else(|| {
                de::Error::invalid_value(Unexpected::Str(&text), &"a date YYYY-MM-DD")
            });
        }
        out.insert(first, map.next_value::<Value>()?);
        while let Some((key, value)) = map.next_entry::<Value, Value>()? {
            out.insert(key, value);
        }
        Ok(Value::Map(out))
    }
}

/// Builds a [`Mapping`] from a map.
struct MappingVisitor;

impl<'de> Visitor<'de> for MappingVisitor {
    type Value = Mapping;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a Python dict")
    }

    fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<Mapping, A::Error> {
        let mut out = Mapping::new();
        while let Some((key, value)) = map.next_entry::<Value, Value>()? {
            out.insert(key, value);
        }
        Ok(out)
    }
}

/// `key` as a step of an error's path: a plain name as is, anything else in
/// brackets as Python writes it (`['sampling rate']`, `[1]`).
fn key_step(key: &Value) -> String {
    match key {
        Value::Str(s) if is_name(s) => s.clone(),
        other => format!("[{}]", py_repr(other)),
    }
}

fn is_name(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// `err` as seen one level up, from where `step` leads to the problem.
fn within(err: Error, step: impl FnOnce() -> String) -> Error {
    match err {
        Error::Deserialize { path, message } => {
            let step = step();
            let path = if path.is_empty() {
                step
            } else if path.starts_with('[') {
                step + &path
            } else {
                format!("{step}.{path}")
            };
            Error::Deserialize { path, message }
        }
        other => other,
    }
}

/// The deserializer behind [`from_value`](super::from_value).
pub(super) struct ValueDeserializer(pub(super) Value);

impl ValueDeserializer {
    /// What `value` is, for serde's messages.
    fn unexpected(value: &Value) -> Unexpected<'_> {
        match value {
            Value::Null => Unexpected::Unit,
            Value::Bool(b) => Unexpected::Bool(*b),
            Value::Int(i) => match (i64::try_from(*i), u64::try_from(*i)) {
                (Ok(i), _) => Unexpected::Signed(i),
                (_, Ok(u)) => Unexpected::Unsigned(u),
                _ => Unexpected::Other("integer beyond 64 bits"),
            },
            Value::Float(f) => Unexpected::Float(*f),
            Value::Str(s) => Unexpected::Str(s),
            Value::Date(_) => Unexpected::Other("date"),
            Value::List(_) => Unexpected::Seq,
            Value::Map(_) => Unexpected::Map,
        }
    }

    /// The value in its documented forms: a date as its string, an int
    /// beyond 64 bits as its decimal string (`lossless` keeps both as they
    /// are, for `Value`'s own `Deserialize`).
    fn visit<'de, V: Visitor<'de>>(self, visitor: V, lossless: bool) -> Result<V::Value, Error> {
        match self.0 {
            Value::Null => visitor.visit_unit(),
            Value::Bool(b) => visitor.visit_bool(b),
            Value::Int(i) => match (i64::try_from(i), u64::try_from(i)) {
                (Ok(i), _) => visitor.visit_i64(i),
                (_, Ok(u)) => visitor.visit_u64(u),
                _ if lossless => visitor.visit_i128(i),
                _ => visitor.visit_string(i.to_string()),
            },
            Value::Float(f) => visitor.visit_f64(f),
            Value::Str(s) => visitor.visit_string(s),
            Value::Date(d) if lossless => visitor.visit_map(DateAccess(Some(d.to_string()))),
            Value::Date(d) => visitor.visit_string(d.to_string()),
            Value::List(items) => visit_list(items, visitor),
            Value::Map(map) => visit_mapping(map, visitor),
        }
    }

    /// An int as the integer it is, whatever its size.
    fn visit_int<'de, V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.0 {
            Value::Int(i) => match (i64::try_from(i), u64::try_from(i)) {
                (Ok(i), _) => visitor.visit_i64(i),
                (_, Ok(u)) => visitor.visit_u64(u),
                _ => visitor.visit_i128(i),
            },
            _ => self.visit(visitor, false),
        }
    }
}

fn visit_list<'de, V: Visitor<'de>>(items: Vec<Value>, visitor: V) -> Result<V::Value, Error> {
    let len = items.len();
    let mut seq = SeqAccess {
        items: items.into_iter(),
        index: 0,
    };
    let out = visitor.visit_seq(&mut seq)?;
    if seq.items.len() == 0 {
        Ok(out)
    } else {
        let expected = format!("{} items", seq.index);
        Err(de::Error::invalid_length(len, &expected.as_str()))
    }
}

fn visit_mapping<'de, V: Visitor<'de>>(map: Mapping, visitor: V) -> Result<V::Value, Error> {
    let len = map.len();
    let mut access = MapAccess {
        entries: map.into_iter(),
        value: None,
    };
    let out = visitor.visit_map(&mut access)?;
    let left = access.entries.len();
    if left == 0 {
        Ok(out)
    } else {
        let expected = format!("{} entries", len - left);
        Err(de::Error::invalid_length(len, &expected.as_str()))
    }
}

/// What an enum is read from.
const ENUM_FORMS: &str = "an enum: a str (unit variant) or a dict with one key (the variant)";

macro_rules! int_methods {
    ($($method:ident)*) => {
        $(
            fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
                self.visit_int(visitor)
            }
        )*
    };
}

impl<'de> Deserializer<'de> for ValueDeserializer {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.visit(visitor, false)
    }

    int_methods! {
        deserialize_i8 deserialize_i16 deserialize_i32 deserialize_i64 deserialize_i128
        deserialize_u8 deserialize_u16 deserialize_u32 deserialize_u64 deserialize_u128
        deserialize_f32 deserialize_f64
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.0 {
            Value::Null => visitor.visit_none(),
            _ => visitor.visit_some(self),
        }
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.0 {
            Value::Null => visitor.visit_unit(),
            ref other => Err(de::Error::invalid_type(Self::unexpected(other), &visitor)),
        }
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.deserialize_unit(visitor)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        if name == VALUE_TOKEN {
            self.visit(visitor, true)
        } else {
            visitor.visit_newtype_struct(self)
        }
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        match self.0 {
            Value::Str(_) => visitor.visit_enum(EnumAccess {
                variant: self.0,
                content: None,
            }),
            Value::Map(map) => {
                let mut entries = map.into_iter();
                match (entries.next(), entries.next()) {
                    (Some((variant, content)), None) => visitor.visit_enum(EnumAccess {
                        variant,
                        content: Some(content),
                    }),
                    _ => Err(de::Error::invalid_type(Unexpected::Map, &ENUM_FORMS)),
                }
            }
            ref other => Err(de::Error::invalid_type(
                Self::unexpected(other),
                &ENUM_FORMS,
            )),
        }
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_unit()
    }

    serde::forward_to_deserialize_any! {
        bool char str string bytes byte_buf seq tuple tuple_struct map struct identifier
    }
}

/// The items of a list, each with its index for errors.
struct SeqAccess {
    items: std::vec::IntoIter<Value>,
    index: usize,
}

impl<'de> de::SeqAccess<'de> for SeqAccess {
    type Error = Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, Error> {
        let Some(item) = self.items.next() else {
            return Ok(None);
        };
        let index = self.index;
        self.index += 1;
        seed.deserialize(ValueDeserializer(item))
            .map(Some)
            .map_err(|e| within(e, || format!("[{index}]")))
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.items.len())
    }
}

/// The entries of a dict, each with its key for errors.
struct MapAccess {
    entries: std::vec::IntoIter<(Value, Value)>,
    /// The value of the key just read, and that key.
    value: Option<(Value, Value)>,
}

impl<'de> de::MapAccess<'de> for MapAccess {
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Error> {
        let Some((key, value)) = self.entries.next() else {
            return Ok(None);
        };
        let pending = self.value.insert((key.clone(), value));
        seed.deserialize(ValueDeserializer(key))
            .map(Some)
            .map_err(|e| within(e, || key_step(&pending.0)))
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Error> {
        let (key, value) = self.value.take().ok_or_else(|| {
            de::Error::custom(
                "a dict value was asked for before its key (a bug in a Deserialize impl)",
            )
        })?;
        seed.deserialize(ValueDeserializer(value))
            .map_err(|e| within(e, || key_step(&key)))
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.entries.len())
    }
}

/// A date handed to `Value`'s `Deserialize`: the map `{DATE_TOKEN: "YYYY-MM-DD"}`.
struct DateAccess(Option<String>);

impl<'de> de::MapAccess<'de> for DateAccess {
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Error> {
        if self.0.is_none() {
            return Ok(None);
        }
        seed.deserialize(DATE_TOKEN.into_deserializer()).map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Error> {
        let text = self
            .0
            .take()
            .ok_or_else(|| de::Error::custom("the date was asked for twice"))?;
        seed.deserialize(text.into_deserializer())
    }
}

/// An enum: the variant, and what it holds unless it is a unit variant.
struct EnumAccess {
    variant: Value,
    content: Option<Value>,
}

impl<'de> de::EnumAccess<'de> for EnumAccess {
    type Error = Error;
    type Variant = VariantAccess;

    fn variant_seed<V: DeserializeSeed<'de>>(
        self,
        seed: V,
    ) -> Result<(V::Value, VariantAccess), Error> {
        let step = key_step(&self.variant);
        let variant = seed.deserialize(ValueDeserializer(self.variant))?;
        Ok((
            variant,
            VariantAccess {
                step,
                content: self.content,
            },
        ))
    }
}

/// What a variant holds.
struct VariantAccess {
    /// The variant as a step of an error's path.
    step: String,
    content: Option<Value>,
}

impl VariantAccess {
    /// The content a variant that holds something holds.
    fn content(self, expected: &str) -> Result<(Value, String), Error> {
        match self.content {
            Some(content) => Ok((content, self.step)),
            None => Err(de::Error::invalid_type(Unexpected::UnitVariant, &expected)),
        }
    }
}

impl<'de> de::VariantAccess<'de> for VariantAccess {
    type Error = Error;

    fn unit_variant(self) -> Result<(), Error> {
        match self.content {
            None | Some(Value::Null) => Ok(()),
            Some(ref other) => Err(within(
                de::Error::invalid_type(ValueDeserializer::unexpected(other), &"unit variant"),
                || self.step,
            )),
        }
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<T::Value, Error> {
        let (content, step) = self.content("newtype variant")?;
        seed.deserialize(ValueDeserializer(content))
            .map_err(|e| within(e, || step))
    }

    fn tuple_variant<V: Visitor<'de>>(self, _len: usize, visitor: V) -> Result<V::Value, Error> {
        let (content, step) = self.content("tuple variant")?;
        ValueDeserializer(content)
            .deserialize_seq(visitor)
            .map_err(|e| within(e, || step))
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        let (content, step) = self.content("struct variant")?;
        ValueDeserializer(content)
            .deserialize_map(visitor)
            .map_err(|e| within(e, || step))
    }
}
