//! The Python values that model parameters and headers are made of.

/// A Python value as PyYAML loads it and `repr()` prints it.
///
/// Rust values convert with `From` (`Value::from(16000)`,
/// `Value::from(vec![1, 2])`, `Value::from(None::<i32>)` for `None`), and
/// `Display` prints Python's `repr()`:
///
/// ```
/// use audmodel_uid::{Mapping, Value};
/// let params = Mapping::from([("sampling_rate", Value::from(16000)), ("model", "cnn10".into())]);
/// assert_eq!(Value::from(params).to_string(), "{'sampling_rate': 16000, 'model': 'cnn10'}");
/// assert_eq!(Value::from(vec![Some(0.5f32), None]).to_string(), "[0.5, None]");
/// ```
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// `None`.
    Null,
    /// `True` / `False`.
    Bool(bool),
    /// A Python `int`; parsers keep it within the i64 and u64 ranges.
    Int(i128),
    /// A Python `float`.
    Float(f64),
    /// A Python `str`.
    Str(String),
    /// A Python `datetime.date` (YAML `YYYY-MM-DD`).
    Date(chrono::NaiveDate),
    /// A Python `list`.
    List(Vec<Value>),
    /// A Python `dict`.
    Map(Mapping),
}

impl Value {
    /// The Python type name, for messages.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Null => "NoneType",
            Value::Bool(_) => "bool",
            Value::Int(_) => "int",
            Value::Float(_) => "float",
            Value::Str(_) => "str",
            Value::Date(_) => "datetime.date",
            Value::List(_) => "list",
            Value::Map(_) => "dict",
        }
    }

    /// The string, when this is a `Str`.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The mapping, when this is a `Map`.
    pub fn as_map(&self) -> Option<&Mapping> {
        match self {
            Value::Map(m) => Some(m),
            _ => None,
        }
    }

    /// Whether two values are the same dict key in Python (`1 == 1.0 == True`).
    fn same_key(&self, other: &Value) -> bool {
        match (self.as_number(), other.as_number()) {
            (Some(a), Some(b)) => a.py_eq(b),
            _ => self == other,
        }
    }

    /// Bools, ints and floats as Python numbers (bool is an int subclass).
    pub(crate) fn as_number(&self) -> Option<Number> {
        match self {
            Value::Bool(b) => Some(Number::Int(i128::from(*b))),
            Value::Int(i) => Some(Number::Int(*i)),
            Value::Float(f) => Some(Number::Float(*f)),
            _ => None,
        }
    }
}

/// A Python number for comparisons across int and float.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Number {
    Int(i128),
    Float(f64),
}

impl Number {
    fn py_eq(self, other: Number) -> bool {
        self.py_cmp(other) == Some(std::cmp::Ordering::Equal)
    }

    /// Python's exact int/float comparison (`None` when a NaN is involved).
    pub(crate) fn py_cmp(self, other: Number) -> Option<std::cmp::Ordering> {
        match (self, other) {
            (Number::Int(a), Number::Int(b)) => Some(a.cmp(&b)),
            (Number::Float(a), Number::Float(b)) => a.partial_cmp(&b),
            (Number::Int(a), Number::Float(b)) => int_float_cmp(a, b),
            (Number::Float(a), Number::Int(b)) => {
                int_float_cmp(b, a).map(std::cmp::Ordering::reverse)
            }
        }
    }
}

/// Compares an int with a float exactly, as Python does (no rounding of the int).
fn int_float_cmp(a: i128, b: f64) -> Option<std::cmp::Ordering> {
    use std::cmp::Ordering;
    if b.is_nan() {
        return None;
    }
    if b.is_infinite() {
        return Some(if b > 0.0 {
            Ordering::Less
        } else {
            Ordering::Greater
        });
    }
    // Values in our range (|a| < 2^127) compare exactly through the float's
    // integer part and its fraction.
    let floor = b.floor();
    if floor >= 1.7e38 {
        return Some(Ordering::Less);
    }
    if floor <= -1.7e38 {
        return Some(Ordering::Greater);
    }
    // `floor` is integral and within i128, so the cast is exact.
    #[allow(clippy::cast_possible_truncation)]
    let fi = floor as i128;
    match a.cmp(&fi) {
        Ordering::Equal if b > floor => Some(Ordering::Less),
        other => Some(other),
    }
}

/// A Python `dict`: key/value pairs in insertion order.
///
/// Built from pairs of anything that converts into a [`Value`]
/// (`Mapping::from([("a", 1), ("b", 2)])`, `.collect()`, or
/// [`insert`](Self::insert)); `Display` prints Python's `repr()`.
///
/// ```
/// use audmodel_uid::Mapping;
/// let mut meta = Mapping::from([("epochs", 30)]);
/// meta.insert("data", "emodb");
/// assert_eq!(meta.to_string(), "{'epochs': 30, 'data': 'emodb'}");
/// ```
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Mapping(Vec<(Value, Value)>);

impl Mapping {
    /// An empty mapping.
    pub fn new() -> Self {
        Self(Vec::new())
    }

    /// The value of the string key `key`.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.0
            .iter()
            .find(|(k, _)| k.as_str() == Some(key))
            .map(|(_, v)| v)
    }

    /// The value of any key, compared as Python compares dict keys.
    pub fn get_value(&self, key: &Value) -> Option<&Value> {
        self.0.iter().find(|(k, _)| k.same_key(key)).map(|(_, v)| v)
    }

    /// Inserts `key`; an existing equal key keeps its place and gets the new
    /// value (as a Python dict does).
    pub fn insert(&mut self, key: impl Into<Value>, value: impl Into<Value>) {
        let (key, value) = (key.into(), value.into());
        match self.0.iter_mut().find(|(k, _)| k.same_key(&key)) {
            Some(slot) => slot.1 = value,
            None => self.0.push((key, value)),
        }
    }

    /// Removes the string key `key` and returns its value.
    pub fn remove(&mut self, key: &str) -> Option<Value> {
        let at = self.0.iter().position(|(k, _)| k.as_str() == Some(key))?;
        Some(self.0.remove(at).1)
    }

    /// Key/value pairs in insertion order.
    pub fn iter(&self) -> std::slice::Iter<'_, (Value, Value)> {
        self.0.iter()
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are no entries.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl<'a> IntoIterator for &'a Mapping {
    type Item = &'a (Value, Value);
    type IntoIter = std::slice::Iter<'a, (Value, Value)>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

impl IntoIterator for Mapping {
    type Item = (Value, Value);
    type IntoIter = std::vec::IntoIter<(Value, Value)>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl<K: Into<Value>, V: Into<Value>> FromIterator<(K, V)> for Mapping {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        let mut map = Mapping::new();
        for (k, v) in iter {
            map.insert(k, v);
        }
        map
    }
}

impl<K: Into<Value>, V: Into<Value>, const N: usize> From<[(K, V); N]> for Mapping {
    fn from(pairs: [(K, V); N]) -> Self {
        pairs.into_iter().collect()
    }
}

impl<K: Into<Value>, V: Into<Value>> From<Vec<(K, V)>> for Mapping {
    fn from(pairs: Vec<(K, V)>) -> Self {
        pairs.into_iter().collect()
    }
}

/// Python's `repr()` of the value, as [`py_repr`](crate::py_repr).
impl std::fmt::Display for Value {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&crate::py_repr(self))
    }
}

/// Python's `repr()` of the dict.
impl std::fmt::Display for Mapping {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&crate::repr::dict_repr(self.iter()))
    }
}

impl From<&str> for Value {
    fn from(v: &str) -> Self {
        Value::Str(v.to_owned())
    }
}
impl From<&String> for Value {
    fn from(v: &String) -> Self {
        Value::Str(v.clone())
    }
}
impl From<String> for Value {
    fn from(v: String) -> Self {
        Value::Str(v)
    }
}
impl From<i64> for Value {
    fn from(v: i64) -> Self {
        Value::Int(i128::from(v))
    }
}
impl From<u64> for Value {
    fn from(v: u64) -> Self {
        Value::Int(i128::from(v))
    }
}
impl From<i32> for Value {
    fn from(v: i32) -> Self {
        Value::Int(i128::from(v))
    }
}
impl From<u32> for Value {
    fn from(v: u32) -> Self {
        Value::Int(i128::from(v))
    }
}
impl From<usize> for Value {
    fn from(v: usize) -> Self {
        // usize is at most 64 bits on every supported target.
        Value::Int(v as i128)
    }
}
impl From<f64> for Value {
    fn from(v: f64) -> Self {
        Value::Float(v)
    }
}
/// Widened to the `f64` of a Python float: `0.1f32` becomes
/// `0.10000000149011612`, the value the `f32` holds.
impl From<f32> for Value {
    fn from(v: f32) -> Self {
        Value::Float(f64::from(v))
    }
}
impl From<bool> for Value {
    fn from(v: bool) -> Self {
        Value::Bool(v)
    }
}
impl From<chrono::NaiveDate> for Value {
    fn from(v: chrono::NaiveDate) -> Self {
        Value::Date(v)
    }
}
/// A Python `list`.
impl<T: Into<Value>> From<Vec<T>> for Value {
    fn from(v: Vec<T>) -> Self {
        Value::List(v.into_iter().map(Into::into).collect())
    }
}
/// `None` becomes Python's `None`.
impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Self {
        v.map_or(Value::Null, Into::into)
    }
}
impl From<Mapping> for Value {
    fn from(v: Mapping) -> Self {
        Value::Map(v)
    }
}
