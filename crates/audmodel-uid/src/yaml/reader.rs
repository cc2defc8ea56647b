//! Turns yaml-rust2's parser events into [`Value`]s with PyYAML's rules.

use super::resolver::{Tag, construct, implicit_tag};
use crate::error::Error;
use crate::value::{Mapping, Value};
use std::collections::HashMap;
use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser, Tag as YamlTag};
use yaml_rust2::scanner::{Marker, TScalarStyle};

const STANDARD_PREFIX: &str = "tag:yaml.org,2002:";

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
    Map(Mapping, Option<(Value, Marker)>, usize),
}

#[derive(Default)]
struct Builder {
    stack: Vec<Open>,
    anchors: HashMap<usize, Value>,
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
fn explicit_tag(tag: &YamlTag) -> Result<Tag, String> {
    if tag.handle.is_empty() && tag.suffix == "!" {
        // The non-specific tag `!` makes a scalar a string.
        return Ok(Tag::Str);
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
        let tag = match tag {
            Some(t) => explicit_tag(t).map_err(|m| unsupported(text, mark, m))?,
            None if style == TScalarStyle::Plain => implicit_tag(text),
            None => Tag::Str,
        };
        construct(tag, text).map_err(|m| unsupported(text, mark, m))
    }

    /// Places a finished value into its parent (or as the document).
    fn add(&mut self, value: Value, anchor: usize, mark: Marker) -> Result<(), Error> {
        if anchor > 0 {
            self.anchors.insert(anchor, value.clone());
        }
        match self.stack.last_mut() {
            None => {
                if self.documents.len() == 1 {
                    self.second_document = Some(mark);
                }
                self.documents.push(value);
            }
            Some(Open::List(items, _)) => items.push(value),
            Some(Open::Map(map, pending, _)) => match pending.take() {
                None => {
                    if matches!(value, Value::List(_) | Value::Map(_)) {
                        return Err(unsupported(
                            &crate::py_repr(&value),
                            mark,
                            format!("found unhashable key of type {}", value.type_name()),
                        ));
                    }
                    *pending = Some((value, mark));
                }
                Some((key, _)) => map.insert(key, value),
            },
        }
        Ok(())
    }

    fn handle(&mut self, event: Event, mark: Marker) -> Result<(), Error> {
        match event {
            Event::Scalar(text, style, anchor, tag) => {
                let value = self.scalar(&text, style, tag.as_ref(), mark)?;
                self.add(value, anchor, mark)
            }
            Event::Alias(id) => {
                let value = self
                    .anchors
                    .get(&id)
                    .cloned()
                    .ok_or_else(|| unsupported("*", mark, "found undefined alias"))?;
                self.add(value, 0, mark)
            }
            Event::SequenceStart(anchor, tag) => {
                check_collection_tag(tag.as_ref(), "seq").map_err(|m| unsupported("[", mark, m))?;
                self.stack.push(Open::List(Vec::new(), anchor));
                Ok(())
            }
            Event::MappingStart(anchor, tag) => {
                check_collection_tag(tag.as_ref(), "map").map_err(|m| unsupported("{", mark, m))?;
                self.stack.push(Open::Map(Mapping::new(), None, anchor));
                Ok(())
            }
            Event::SequenceEnd | Event::MappingEnd => match self.stack.pop() {
                Some(Open::List(items, anchor)) => self.add(Value::List(items), anchor, mark),
                Some(Open::Map(map, _, anchor)) => self.add(Value::Map(map), anchor, mark),
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
