//! Writes YAML byte-identical to PyYAML's `yaml.dump` (block style, keys in
//! insertion order, default width 80, indent 2, `allow_unicode=False`).
//!
//! This is a port of the parts of PyYAML's `Emitter` that `yaml.dump` of
//! plain Python values reaches; the state it keeps (`column`, `whitespace`,
//! `indention`, the indent stack) mirrors the Python names so the two can be
//! compared line by line.

use super::resolver::{Tag, implicit_tag};
use crate::repr::float_repr;
use crate::value::Value;

const BEST_WIDTH: usize = 80;
const BEST_INDENT: usize = 2;

/// What PyYAML's `yaml.dump(value)` writes (keys in insertion order, as
/// `sort_keys=False` or oyaml does).
///
/// PyYAML writes anchors (`&id001`) only when one Python object (a list,
/// dict or date) appears twice; a [`Value`] tree has no shared objects, so
/// none are written.
///
/// ```
/// use audmodel_uid::{yaml, Mapping, Value};
/// let mut map = Mapping::new();
/// map.insert("a", Value::from(vec![Value::from("yes"), 1e-5.into()]));
/// map.insert("b", Value::Map(Mapping::new()));
/// assert_eq!(yaml::to_string(&Value::Map(map)), "a:\n- 'yes'\n- 1.0e-05\nb: {}\n");
/// ```
pub fn to_string(value: &Value) -> String {
    let mut e = Emitter::default();
    e.document(value);
    e.out
}

/// A scalar as the representer hands it to the emitter.
struct Scalar {
    text: String,
    /// `!!str`: plain only when the text resolves back to a string.
    is_str: bool,
    /// Length of the tag's short form (`!!int`), counted by `check_simple_key`.
    tag_len: usize,
}

/// PyYAML's `represent_*` for scalars.
fn represent(value: &Value) -> Option<Scalar> {
    let (text, tag) = match value {
        Value::Null => ("null".to_owned(), "!!null"),
        Value::Bool(b) => ((if *b { "true" } else { "false" }).to_owned(), "!!bool"),
        Value::Int(i) => (i.to_string(), "!!int"),
        Value::Float(f) => (represent_float(*f), "!!float"),
        Value::Str(s) => (s.clone(), "!!str"),
        Value::Date(d) => (d.format("%Y-%m-%d").to_string(), "!!timestamp"),
        Value::List(_) | Value::Map(_) => return None,
    };
    Some(Scalar {
        text,
        is_str: tag == "!!str",
        tag_len: tag.len(),
    })
}

/// `SafeRepresenter.represent_float`: `repr` lowercased, with `.0` added to a
/// mantissa without a dot so that YAML 1.1 reads it back as a float.
fn represent_float(f: f64) -> String {
    if f.is_nan() {
        return ".nan".to_owned();
    }
    if f.is_infinite() {
        return if f > 0.0 { ".inf" } else { "-.inf" }.to_owned();
    }
    let value = float_repr(f).to_lowercase();
    if !value.contains('.') && value.contains('e') {
        value.replacen('e', ".0e", 1)
    } else {
        value
    }
}

fn is_break(c: char) -> bool {
    matches!(c, '\n' | '\u{85}' | '\u{2028}' | '\u{2029}')
}

fn is_space_or_break(c: char) -> bool {
    matches!(
        c,
        '\0' | ' ' | '\t' | '\r' | '\n' | '\u{85}' | '\u{2028}' | '\u{2029}'
    )
}

/// `Emitter.analyze_scalar` (only the flags block style needs).
#[derive(Debug)]
struct Analysis {
    empty: bool,
    multiline: bool,
    allow_block_plain: bool,
    allow_single_quoted: bool,
}

fn analyze(scalar: &str) -> Analysis {
    let chars: Vec<char> = scalar.chars().collect();
    if chars.is_empty() {
        return Analysis {
            empty: true,
            multiline: false,
            allow_block_plain: true,
            allow_single_quoted: true,
        };
    }
    let mut block_indicators = scalar.starts_with("---") || scalar.starts_with("...");
    let mut line_breaks = false;
    let mut special_characters = false;
    let (mut leading_space, mut leading_break, mut trailing_space, mut trailing_break) =
        (false, false, false, false);
    let (mut break_space, mut space_break) = (false, false);
    let mut preceded_by_whitespace = true;
    let mut followed_by_whitespace = chars.len() == 1 || is_space_or_break(chars[1]);
    let (mut previous_space, mut previous_break) = (false, false);
    let last = chars.len() - 1;
    for (index, &ch) in chars.iter().enumerate() {
        if index == 0 {
            if "#,[]{}&*!|>'\"%@`".contains(ch) {
                block_indicators = true;
            }
            if (ch == '?' || ch == ':' || ch == '-') && followed_by_whitespace {
                block_indicators = true;
            }
        } else if (ch == ':' && followed_by_whitespace) || (ch == '#' && preceded_by_whitespace) {
            block_indicators = true;
        }
        if is_break(ch) {
            line_breaks = true;
        }
        // With allow_unicode=False every character outside printable ASCII
        // (and the line feed) is special: only double quotes can hold it.
        if !(ch == '\n' || (' '..='~').contains(&ch)) {
            special_characters = true;
        }
        if ch == ' ' {
            leading_space |= index == 0;
            trailing_space |= index == last;
            break_space |= previous_break;
            previous_space = true;
            previous_break = false;
        } else if is_break(ch) {
            leading_break |= index == 0;
            trailing_break |= index == last;
            space_break |= previous_space;
            previous_space = false;
            previous_break = true;
        } else {
            previous_space = false;
            previous_break = false;
        }
        preceded_by_whitespace = is_space_or_break(ch);
        followed_by_whitespace = index + 2 >= chars.len() || is_space_or_break(chars[index + 2]);
    }
    let mut allow_block_plain = true;
    let mut allow_single_quoted = true;
    if leading_space || leading_break || trailing_space || trailing_break {
        allow_block_plain = false;
    }
    if break_space {
        allow_block_plain = false;
        allow_single_quoted = false;
    }
    if space_break || special_characters {
        allow_block_plain = false;
        allow_single_quoted = false;
    }
    if line_breaks || block_indicators {
        allow_block_plain = false;
    }
    Analysis {
        empty: false,
        multiline: line_breaks,
        allow_block_plain,
        allow_single_quoted,
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Style {
    Plain,
    Single,
    Double,
}

#[derive(Clone, Copy, Default)]
struct Context {
    root: bool,
    mapping: bool,
    simple_key: bool,
}

struct Emitter {
    out: String,
    column: usize,
    whitespace: bool,
    indention: bool,
    open_ended: bool,
    indent: Option<usize>,
    indents: Vec<Option<usize>>,
}

impl Default for Emitter {
    fn default() -> Self {
        Self {
            out: String::new(),
            column: 0,
            whitespace: true,
            indention: true,
            open_ended: false,
            indent: None,
            indents: Vec::new(),
        }
    }
}

impl Emitter {
    fn document(&mut self, value: &Value) {
        self.node(
            value,
            Context {
                root: true,
                ..Context::default()
            },
        );
        self.indent = None;
        self.write_indent();
        if self.open_ended {
            self.write_indicator("...", true, false, false);
            self.write_indent();
        }
    }

    fn node(&mut self, value: &Value, ctx: Context) {
        match value {
            Value::List(items) if items.is_empty() => self.empty_flow("[", "]"),
            Value::Map(map) if map.is_empty() => self.empty_flow("{", "}"),
            Value::List(items) => {
                let indentless = ctx.mapping && !self.indention;
                self.increase_indent(false, indentless);
                for item in items {
                    self.write_indent();
                    self.write_indicator("-", true, false, true);
                    self.node(item, Context::default());
                }
                self.pop_indent();
            }
            Value::Map(map) => {
                self.increase_indent(false, false);
                for (key, item) in map {
                    self.write_indent();
                    if check_simple_key(key) {
                        self.node(
                            key,
                            Context {
                                mapping: true,
                                simple_key: true,
                                root: false,
                            },
                        );
                        self.write_indicator(":", false, false, false);
                    } else {
                        self.write_indicator("?", true, false, true);
                        self.node(
                            key,
                            Context {
                                mapping: true,
                                ..Context::default()
                            },
                        );
                        self.write_indent();
                        self.write_indicator(":", true, false, true);
                    }
                    self.node(
                        item,
                        Context {
                            mapping: true,
                            ..Context::default()
                        },
                    );
                }
                self.pop_indent();
            }
            scalar => {
                if let Some(s) = represent(scalar) {
                    self.increase_indent(true, false);
                    self.scalar(&s, ctx);
                    self.pop_indent();
                }
            }
        }
    }

    fn empty_flow(&mut self, open: &str, close: &str) {
        self.write_indicator(open, true, true, false);
        self.increase_indent(true, false);
        self.pop_indent();
        self.write_indicator(close, false, false, false);
    }

    fn scalar(&mut self, s: &Scalar, ctx: Context) {
        let analysis = analyze(&s.text);
        let implicit_plain = !s.is_str || implicit_tag(&s.text) == Tag::Str;
        let style = if implicit_plain
            && !(ctx.simple_key && (analysis.empty || analysis.multiline))
            && analysis.allow_block_plain
        {
            Style::Plain
        } else if analysis.allow_single_quoted && !(ctx.simple_key && analysis.multiline) {
            Style::Single
        } else {
            Style::Double
        };
        let split = !ctx.simple_key;
        let text: Vec<char> = s.text.chars().collect();
        match style {
            Style::Plain => {
                if ctx.root {
                    self.open_ended = true;
                }
                self.write_plain(&text, split);
            }
            Style::Single => self.write_single_quoted(&text, split),
            Style::Double => self.write_double_quoted(&text, split),
        }
    }

    fn increase_indent(&mut self, flow: bool, indentless: bool) {
        self.indents.push(self.indent);
        self.indent = match self.indent {
            None => Some(if flow { BEST_INDENT } else { 0 }),
            Some(i) if !indentless => Some(i + BEST_INDENT),
            same => same,
        };
    }

    fn pop_indent(&mut self) {
        self.indent = self.indents.pop().flatten();
    }

    fn write(&mut self, data: &str) {
        self.column += data.chars().count();
        self.out.push_str(data);
    }

    fn write_chars(&mut self, data: &[char]) {
        self.column += data.len();
        self.out.extend(data);
    }

    fn write_indicator(
        &mut self,
        indicator: &str,
        need_whitespace: bool,
        whitespace: bool,
        indention: bool,
    ) {
        if !self.whitespace && need_whitespace {
            self.write(" ");
        }
        self.write(indicator);
        self.whitespace = whitespace;
        self.indention = self.indention && indention;
        self.open_ended = false;
    }

    fn write_indent(&mut self) {
        let indent = self.indent.unwrap_or(0);
        if !self.indention || self.column > indent || (self.column == indent && !self.whitespace) {
            self.write_line_break(None);
        }
        if self.column < indent {
            self.whitespace = true;
            let pad = " ".repeat(indent - self.column);
            self.write(&pad);
        }
    }

    fn write_line_break(&mut self, data: Option<char>) {
        self.whitespace = true;
        self.indention = true;
        self.column = 0;
        self.out.push(data.unwrap_or('\n'));
    }

    fn write_breaks(&mut self, text: &[char]) {
        if text.first() == Some(&'\n') {
            self.write_line_break(None);
        }
        for &br in text {
            self.write_line_break(Some(br));
        }
        self.write_indent();
    }

    fn write_plain(&mut self, text: &[char], split: bool) {
        if text.is_empty() {
            return;
        }
        if !self.whitespace {
            self.write(" ");
        }
        self.whitespace = false;
        self.indention = false;
        let (mut spaces, mut breaks) = (false, false);
        let mut start = 0;
        for end in 0..=text.len() {
            let ch = text.get(end).copied();
            if spaces {
                if ch != Some(' ') {
                    if start + 1 == end && self.column > BEST_WIDTH && split {
                        self.write_indent();
                        self.whitespace = false;
                        self.indention = false;
                    } else {
                        self.write_chars(&text[start..end]);
                    }
                    start = end;
                }
            } else if breaks {
                if !ch.is_some_and(is_break) {
                    self.write_breaks(&text[start..end]);
                    self.whitespace = false;
                    self.indention = false;
                    start = end;
                }
            } else if ch.is_none_or(|c| c == ' ' || is_break(c)) {
                self.write_chars(&text[start..end]);
                start = end;
            }
            if let Some(c) = ch {
                spaces = c == ' ';
                breaks = is_break(c);
            }
        }
    }

    fn write_single_quoted(&mut self, text: &[char], split: bool) {
        self.write_indicator("'", true, false, false);
        let (mut spaces, mut breaks) = (false, false);
        let mut start = 0;
        for end in 0..=text.len() {
            let ch = text.get(end).copied();
            if spaces {
                if ch != Some(' ') {
                    if start + 1 == end
                        && self.column > BEST_WIDTH
                        && split
                        && start != 0
                        && end != text.len()
                    {
                        self.write_indent();
                    } else {
                        self.write_chars(&text[start..end]);
                    }
                    start = end;
                }
            } else if breaks {
                if !ch.is_some_and(is_break) {
                    self.write_breaks(&text[start..end]);
                    start = end;
                }
            } else if ch.is_none_or(|c| c == ' ' || is_break(c) || c == '\'') && start < end {
                self.write_chars(&text[start..end]);
                start = end;
            }
            if ch == Some('\'') {
                self.write("''");
                start = end + 1;
            }
            if let Some(c) = ch {
                spaces = c == ' ';
                breaks = is_break(c);
            }
        }
        self.write_indicator("'", false, false, false);
    }

    fn write_double_quoted(&mut self, text: &[char], split: bool) {
        self.write_indicator("\"", true, false, false);
        let mut start = 0;
        for end in 0..=text.len() {
            let ch = text.get(end).copied();
            let needs_escape = match ch {
                None => true,
                Some(c) => {
                    matches!(
                        c,
                        '"' | '\\' | '\u{85}' | '\u{2028}' | '\u{2029}' | '\u{feff}'
                    ) || !(' '..='~').contains(&c)
                }
            };
            if needs_escape {
                if start < end {
                    self.write_chars(&text[start..end]);
                    start = end;
                }
                if let Some(c) = ch {
                    let escaped = match c {
                        '\0' => "\\0".to_owned(),
                        '\x07' => "\\a".to_owned(),
                        '\x08' => "\\b".to_owned(),
                        '\t' => "\\t".to_owned(),
                        '\n' => "\\n".to_owned(),
                        '\x0b' => "\\v".to_owned(),
                        '\x0c' => "\\f".to_owned(),
                        '\r' => "\\r".to_owned(),
                        '\x1b' => "\\e".to_owned(),
                        '"' => "\\\"".to_owned(),
                        '\\' => "\\\\".to_owned(),
                        '\u{85}' => "\\N".to_owned(),
                        '\u{a0}' => "\\_".to_owned(),
                        '\u{2028}' => "\\L".to_owned(),
                        '\u{2029}' => "\\P".to_owned(),
                        c if u32::from(c) <= 0xff => format!("\\x{:02X}", u32::from(c)),
                        c if u32::from(c) <= 0xffff => format!("\\u{:04X}", u32::from(c)),
                        c => format!("\\U{:08X}", u32::from(c)),
                    };
                    self.write(&escaped);
                    start = end + 1;
                }
            }
            if 0 < end
                && end + 1 < text.len()
                && (ch == Some(' ') || start >= end)
                // `end - start` is -1 right after an escape, as in Python.
                && self.column + end + 1 > BEST_WIDTH + start + 1
                && split
            {
                let mut data: Vec<char> = text[start.min(end)..end].to_vec();
                data.push('\\');
                if start < end {
                    start = end;
                }
                self.write_chars(&data);
                self.write_indent();
                self.whitespace = false;
                self.indention = false;
                if text.get(start) == Some(&' ') {
                    self.write("\\");
                }
            }
        }
        self.write_indicator("\"", false, false, false);
    }
}

/// `Emitter.check_simple_key` for a mapping key (the tag's short form counts
/// toward the 128-character limit).
fn check_simple_key(key: &Value) -> bool {
    match key {
        Value::List(items) => items.is_empty(),
        Value::Map(map) => map.is_empty(),
        scalar => represent(scalar).is_some_and(|s| {
            let analysis = analyze(&s.text);
            s.tag_len + s.text.chars().count() < 128 && !analysis.empty && !analysis.multiline
        }),
    }
}
