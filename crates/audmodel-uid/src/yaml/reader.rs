//! Turns yaml-rust2's parser events into [`Value`]s with PyYAML's rules.

use super::resolver::{Tag, construct, implicit_tag};
use crate::error::Error;
use crate::value::{Mapping, Value};
use std::collections::HashMap;
use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser, Tag as YamlTag};
use yaml_rust2::scanner::{Marker, TScalarStyle};

const STANDARD_PREFIX: &str = "tag:yaml.org,2002:";

/// How many values aliases may copy into one document. PyYAML shares an
/// aliased object; here every alias is a copy, so a few hundred bytes of
/// nested aliases ("billion laughs") would otherwise expand to billions of
/// values and exhaust memory.
const ALIAS_EXPANSION_LIMIT: usize = 1_000_000;

/// Reads one YAML document as PyYAML's `yaml.load(text, yaml.Loader)` does
/// (YAML 1.1 types, anchors resolved, the last of duplicate keys wins).
/// An empty document is [`Value::Null`].
///
/// ```
/// use audmodel_uid::{yaml, py_repr};
/// let value = yaml::from_str("a: yes\nb: 1e3\nc: 1:20\nd: 2001-12-14\n").unwrap();
/// assert_eq!(py_repr(&value), "{'a': True, 'b': '1e3', 'c': 80, 'd': datetime.date(2001, 12, 14)}");
/// ```
///
/// # Errors
/// [`Error::Yaml`] for text that is no YAML (with line and column),
/// [`Error::UnsupportedValue`] for values this crate cannot hold (an integer
/// beyond the u64/i64 range, a timestamp with a time of day, unknown tags,
/// list or dict keys), and for more than one document.
pub fn from_str(text: &str) -> Result<Value, Error> {
    // PyYAML's reader drops a leading byte order mark; yaml-rust2 keeps it.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    match load(text) {
        Err(Error::Yaml { message, .. }) if message.contains("unknown anchor") => {
            match separate_alias_keys(text) {
                Some(fixed) => load(&fixed),
                None => load(text),
            }
        }
        other => other,
    }
}

/// PyYAML writes an alias used as a mapping key as `*id001: value`. Its
/// anchors are `[-_A-Za-z0-9]+`, but YAML 1.2 (and yaml-rust2) lets an alias
/// name contain `:`, so yaml-rust2 reads the alias `id001:`. Only when that
/// failed, the colon is moved off such block keys (`*id001 : value`) for
/// names that the text defines as anchors.
fn separate_alias_keys(text: &str) -> Option<String> {
    static KEY: std::sync::OnceLock<Option<regex::Regex>> = std::sync::OnceLock::new();
    let key = KEY
        .get_or_init(|| regex::Regex::new(r"(?m)^([ ]*(?:[-?] )*)\*([-_A-Za-z0-9]+):( |$)").ok())
        .as_ref()?;
    let mut changed = false;
    let fixed = key.replace_all(text, |caps: &regex::Captures<'_>| {
        let name = &caps[2];
        if text.contains(&format!("&{name} ")) || text.contains(&format!("&{name}\n")) {
            changed = true;
            format!("{}*{name} :{}", &caps[1], &caps[3])
        } else {
            caps[0].to_owned()
        }
    });
    changed.then(|| fixed.into_owned())
}

fn load(text: &str) -> Result<Value, Error> {
    let mut builder = Builder::default();
    let mut parser = Parser::new_from_str(text);
    parser.load(&mut builder, true).map_err(|e| Error::Yaml {
        line: e.marker().line(),
        column: e.marker().col() + 1,
        message: e.info().to_owned(),
    })?;
    if let Some(error) = builder.error {
        return Err(error);
    }
    match builder.documents.len() {
        0 => Ok(Value::Null),
        1 => Ok(builder.documents.pop().unwrap_or(Value::Null)),
        n => Err(Error::Yaml {
            line: builder.second_document.map_or(1, |m| m.line()),
            column: builder.second_document.map_or(1, |m| m.col() + 1),
            message: format!("expected a single document in the stream, found {n}"),
        }),
    }
}

/// A collection being built.
enum Open {
    List(Vec<Value>, usize),
    Map(OpenMap),
}

/// A mapping being built, with PyYAML's merge keys (`<<: *base`) apart:
/// merged entries come first and the mapping's own entries override them.
struct OpenMap {
    own: Mapping,
    merged: Vec<(Value, Value)>,
    pending: Option<Key>,
    anchor: usize,
}

/// A key waiting for its value.
enum Key {
    Value(Value),
    Merge,
}

impl OpenMap {
    fn finish(self) -> Value {
        let mut map: Mapping = self.merged.into_iter().collect();
        for (k, v) in self.own {
            map.insert(k, v);
        }
        Value::Map(map)
    }

    /// Adds the entries of one merged mapping.
    ///
    /// When two merged mappings share a key, PyYAML 6.0.4 keeps the first
    /// value only if both key strings are the same CPython object (as
    /// one-character strings are), else the last: no rule to copy, so such
    /// input is refused.
    fn extend_merged(&mut self, map: Mapping, mark: Marker) -> Result<(), Error> {
        for (key, value) in map {
            if self.merged.iter().any(|(k, _)| *k == key) {
                return Err(unsupported(
                    &crate::py_repr(&key),
                    mark,
                    "two merged mappings (`<<`) define this key; PyYAML's choice between them depends on CPython string identity",
                ));
            }
            self.merged.push((key, value));
        }
        Ok(())
    }

    /// `SafeConstructor.flatten_mapping` for one `<<` value.
    fn merge(&mut self, value: Value, mark: Marker) -> Result<(), Error> {
        let expected = "expected a mapping or list of mappings for merging";
        match value {
            Value::Map(map) => self.extend_merged(map, mark)?,
            Value::List(items) => {
                let mut maps = Vec::new();
                for item in items {
                    match item {
                        Value::Map(map) => maps.push(map),
                        other => return Err(unsupported(&crate::py_repr(&other), mark, expected)),
                    }
                }
                for map in maps {
                    self.extend_merged(map, mark)?;
                }
            }
            other => return Err(unsupported(&crate::py_repr(&other), mark, expected)),
        }
        Ok(())
    }
}

/// The number of values in `value`, itself included.
fn count_values(value: &Value) -> usize {
    match value {
        Value::List(items) => 1 + items.iter().map(count_values).sum::<usize>(),
        Value::Map(map) => {
            1 + map
                .iter()
                .map(|(k, v)| count_values(k) + count_values(v))
                .sum::<usize>()
        }
        _ => 1,
    }
}

#[derive(Default)]
struct Builder {
    stack: Vec<Open>,
    /// Anchored values with their number of values (what an alias copies).
    anchors: HashMap<usize, (Value, usize)>,
    /// Values copied by aliases so far.
    expanded: usize,
    documents: Vec<Value>,
    second_document: Option<Marker>,
    error: Option<Error>,
}

fn unsupported(value: &str, mark: Marker, message: impl Into<String>) -> Error {
    Error::UnsupportedValue {
        value: value.to_owned(),
        line: mark.line(),
        column: mark.col() + 1,
        message: message.into(),
    }
}

/// The standard tag named by an explicit tag (`!!int`, `!`, ...).
fn explicit_tag(tag: &YamlTag, text: &str) -> Result<Tag, String> {
    if tag.handle.is_empty() && tag.suffix == "!" {
        // PyYAML resolves a scalar with the non-specific tag `!` as if it
        // were plain, even when it is quoted (`! '1'` is the int 1).
        return Ok(implicit_tag(text));
    }
    tag.handle
        .strip_prefix(STANDARD_PREFIX)
        .filter(|rest| rest.is_empty())
        .and_then(|_| Tag::from_name(&tag.suffix))
        .ok_or_else(|| format!("unsupported tag {}{}", tag.handle, tag.suffix))
}

fn check_collection_tag(tag: Option<&YamlTag>, expected: &str) -> Result<(), String> {
    match tag {
        None => Ok(()),
        Some(t) if t.handle == STANDARD_PREFIX && t.suffix == expected => Ok(()),
        Some(t) if t.handle.is_empty() && t.suffix == "!" => Ok(()),
        Some(t) => Err(format!("unsupported tag {}{}", t.handle, t.suffix)),
    }
}

impl Builder {
    fn scalar(
        &self,
        text: &str,
        style: TScalarStyle,
        tag: Option<&YamlTag>,
        mark: Marker,
    ) -> Result<Value, Error> {
        if style == TScalarStyle::Plain && text.contains('\t') {
            // PyYAML's scanner refuses a tab inside a plain scalar.
            return Err(Error::Yaml {
                line: mark.line(),
                column: mark.col() + 1,
                message: format!("found a tab in the plain scalar {text:?}; quote it"),
            });
        }
        let tag = match tag {
            Some(t) => explicit_tag(t, text).map_err(|m| unsupported(text, mark, m))?,
            None if style == TScalarStyle::Plain => implicit_tag(text),
            None => Tag::Str,
        };
        construct(tag, text).map_err(|m| unsupported(text, mark, m))
    }

    /// Places a finished value into its parent (or as the document).
    fn add(&mut self, value: Value, anchor: usize, mark: Marker) -> Result<(), Error> {
        if anchor > 0 {
            self.anchors
                .insert(anchor, (value.clone(), count_values(&value)));
        }
        match self.stack.last_mut() {
            None => {
                if self.documents.len() == 1 {
                    self.second_document = Some(mark);
                }
                self.documents.push(value);
            }
            Some(Open::List(items, _)) => items.push(value),
            Some(Open::Map(open)) => match open.pending.take() {
                None => {
                    if matches!(value, Value::List(_) | Value::Map(_)) {
                        return Err(unsupported(
                            &crate::py_repr(&value),
                            mark,
                            format!("found unhashable key of type {}", value.type_name()),
                        ));
                    }
                    open.pending = Some(Key::Value(value));
                }
                Some(Key::Value(key)) => open.own.insert(key, value),
                Some(Key::Merge) => open.merge(value, mark)?,
            },
        }
        Ok(())
    }

    fn handle(&mut self, event: Event, mark: Marker) -> Result<(), Error> {
        match event {
            Event::Scalar(text, style, anchor, tag)
                if text == "<<" && style == TScalarStyle::Plain && tag.is_none() && anchor == 0 =>
            {
                // A plain `<<` key is PyYAML's merge key; elsewhere it is refused.
                match self.stack.last_mut() {
                    Some(Open::Map(open)) if open.pending.is_none() => {
                        open.pending = Some(Key::Merge);
                        Ok(())
                    }
                    _ => Err(unsupported(
                        &text,
                        mark,
                        "a merge key `<<` is only allowed as a mapping key",
                    )),
                }
            }
            Event::Scalar(text, style, anchor, tag) => {
                let value = self.scalar(&text, style, tag.as_ref(), mark)?;
                self.add(value, anchor, mark)
            }
            Event::Alias(id) => {
                let (value, count) = self
                    .anchors
                    .get(&id)
                    .ok_or_else(|| unsupported("*", mark, "found undefined alias"))?;
                self.expanded = self.expanded.saturating_add(*count);
                if self.expanded > ALIAS_EXPANSION_LIMIT {
                    return Err(Error::Yaml {
                        line: mark.line(),
                        column: mark.col() + 1,
                        message: format!(
                            "aliases expand to more than {ALIAS_EXPANSION_LIMIT} values"
                        ),
                    });
                }
                let value = value.clone();
                self.add(value, 0, mark)
            }
            Event::SequenceStart(anchor, tag) => {
                check_collection_tag(tag.as_ref(), "seq").map_err(|m| unsupported("[", mark, m))?;
                self.stack.push(Open::List(Vec::new(), anchor));
                Ok(())
            }
            Event::MappingStart(anchor, tag) => {
                check_collection_tag(tag.as_ref(), "map").map_err(|m| unsupported("{", mark, m))?;
                self.stack.push(Open::Map(OpenMap {
                    own: Mapping::new(),
                    merged: Vec::new(),
                    pending: None,
                    anchor,
                }));
                Ok(())
            }
            Event::SequenceEnd | Event::MappingEnd => match self.stack.pop() {
                Some(Open::List(items, anchor)) => self.add(Value::List(items), anchor, mark),
                Some(Open::Map(open)) => {
                    let anchor = open.anchor;
                    self.add(open.finish(), anchor, mark)
                }
                None => Ok(()),
            },
            Event::Nothing
            | Event::StreamStart
            | Event::StreamEnd
            | Event::DocumentStart
            | Event::DocumentEnd => Ok(()),
        }
    }
}

impl MarkedEventReceiver for Builder {
    fn on_event(&mut self, event: Event, mark: Marker) {
        if self.error.is_some() {
            return;
        }
        if let Err(e) = self.handle(event, mark) {
            self.error = Some(e);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alias_keys_as_pyyaml_writes_them() {
        // `yaml.dump` of a dict whose key object (here a date) appears twice.
        let text = "a:\n  &id001 2020-01-01: 1\nb:\n  *id001: 2\n- x: '*id002: y'\n";
        assert!(from_str(text).is_err(), "not a mapping after the list item");
        let text = "a:\n  &id001 2020-01-01: 1\nb:\n  *id001: 2\nc: '*id001: y'\n";
        let value = from_str(text).unwrap_or(Value::Null);
        assert_eq!(
            crate::py_repr(&value),
            "{'a': {datetime.date(2020, 1, 1): 1}, 'b': {datetime.date(2020, 1, 1): 2}, 'c': '*id001: y'}"
        );
    }
}
