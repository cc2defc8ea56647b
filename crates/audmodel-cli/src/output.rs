//! Printing answers: plain text, YAML as the reference writes it, or JSON.

use std::io::Write;

use anyhow::Result;
use audmodel::{Header, Value};
use serde_json::{Map, Value as Json};

/// Whether answers are JSON.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Output {
    pub(crate) json: bool,
}

impl Output {
    /// A text answer: the line as is, or a JSON string.
    pub(crate) fn text(self, text: &str) -> Result<()> {
        if self.json {
            self.json_value(&Json::String(text.to_owned()))
        } else {
            write_out(&format!("{text}\n"))
        }
    }

    /// A list: one item a line, or a JSON array of strings.
    pub(crate) fn lines(self, items: &[String]) -> Result<()> {
        if self.json {
            self.json_value(&Json::from(items.to_vec()))
        } else {
            write_out(&items.iter().map(|i| format!("{i}\n")).collect::<String>())
        }
    }

    /// A value: YAML as PyYAML writes it (`{}` for an empty mapping), or JSON.
    pub(crate) fn value(self, value: &Value) -> Result<()> {
        if self.json {
            self.json_value(&to_json(value))
        } else {
            write_out(&audmodel::yaml::to_string(value))
        }
    }

    /// A header: byte for byte the header file the reference writes, or JSON.
    pub(crate) fn header(self, header: &Header) -> Result<()> {
        self.value(&header.to_value())
    }

    /// A JSON answer, pretty-printed.
    pub(crate) fn json_value(self, json: &Json) -> Result<()> {
        write_out(&format!("{}\n", serde_json::to_string_pretty(json)?))
    }
}

/// Writes to standard output; a closed pipe (`| head`) ends quietly.
pub(crate) fn write_out(text: &str) -> Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => Ok(other?),
    }
}

/// Rows of cells as columns padded to their widest cell.
pub(crate) fn table<const N: usize>(rows: &[[String; N]]) -> String {
    let widths: Vec<usize> = (0..N)
        .map(|c| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0))
        .collect();
    rows.iter()
        .map(|row| {
            let cells: Vec<String> = row
                .iter()
                .zip(&widths)
                .map(|(cell, w)| format!("{cell:<w$}"))
                .collect();
            format!("{}\n", cells.join("  ").trim_end())
        })
        .collect()
}

/// A Python value as JSON. Dates become `"YYYY-MM-DD"`; integers beyond the
/// 64-bit range and the floats JSON cannot hold (`inf`, `-inf`, `nan`)
/// become strings of their Python repr; non-string keys become their JSON
/// text as Python's `json.dumps` writes them (`1`, `true`, `null`).
pub(crate) fn to_json(value: &Value) -> Json {
    match value {
        Value::Null => Json::Null,
        Value::Bool(b) => Json::Bool(*b),
        Value::Int(i) => i64::try_from(*i)
            .map(Json::from)
            .or_else(|_| u64::try_from(*i).map(Json::from))
            .unwrap_or_else(|_| Json::String(i.to_string())),
        Value::Float(f) => serde_json::Number::from_f64(*f)
            .map_or_else(|| Json::String(audmodel::py_repr(value)), Json::Number),
        Value::Str(s) => Json::String(s.clone()),
        Value::Date(d) => Json::String(d.format("%Y-%m-%d").to_string()),
        Value::List(items) => Json::Array(items.iter().map(to_json).collect()),
        Value::Map(map) => Json::Object(
            map.iter()
                .map(|(k, v)| (json_key(k), to_json(v)))
                .collect::<Map<_, _>>(),
        ),
    }
}

fn json_key(key: &Value) -> String {
    match key {
        Value::Str(s) => s.clone(),
        Value::Null => "null".to_owned(),
        Value::Bool(b) => b.to_string(),
        other => match to_json(other) {
            Json::String(s) => s,
            json => json.to_string(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_keeps_python_types_and_writes_unrepresentable_floats_as_strings() {
        let value = audmodel::yaml::from_str(
            "{i: 16000, f: 0.5, inf: .inf, nan: .nan, d: 2024-01-02, b: true, n: null, 1: x, big: 18446744073709551615}",
        )
        .expect("yaml");
        let json = to_json(&value);
        assert_eq!(json["i"], serde_json::json!(16000));
        assert_eq!(json["f"], serde_json::json!(0.5));
        assert_eq!(json["inf"], serde_json::json!("inf"));
        assert_eq!(json["nan"], serde_json::json!("nan"));
        assert_eq!(json["d"], serde_json::json!("2024-01-02"));
        assert_eq!(json["b"], serde_json::json!(true));
        assert_eq!(json["n"], serde_json::Value::Null);
        assert_eq!(json["1"], serde_json::json!("x"));
        assert_eq!(json["big"], serde_json::json!(u64::MAX));
        assert_eq!(
            to_json(&Value::Int(i128::MAX)),
            serde_json::json!(i128::MAX.to_string())
        );
    }
}
