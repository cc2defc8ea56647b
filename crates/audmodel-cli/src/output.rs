//! Printing answers: plain text, YAML as the reference writes it, or JSON.

use std::io::Write;

use anyhow::Result;
use audmodel::{Header, Value};
use serde_json::Value as Json;

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
            self.json_value(&audmodel::json::value(value))
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

/// Rows of cells (all of one width) as columns padded to their widest cell.
pub(crate) fn table<R: AsRef<[String]>>(rows: &[R]) -> String {
    let width = rows.first().map_or(0, |r| r.as_ref().len());
    let widths: Vec<usize> = (0..width)
        .map(|c| {
            rows.iter()
                .map(|r| r.as_ref()[c].chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    rows.iter()
        .map(|row| {
            let cells: Vec<String> = row
                .as_ref()
                .iter()
                .zip(&widths)
                .map(|(cell, w)| format!("{cell:<w$}"))
                .collect();
            format!("{}\n", cells.join("  ").trim_end())
        })
        .collect()
}

/// A table under a header row; nothing at all when there is no row.
pub(crate) fn table_with_header<const N: usize>(
    header: [&str; N],
    rows: impl IntoIterator<Item = [String; N]>,
) -> String {
    let rows: Vec<[String; N]> = std::iter::once(header.map(str::to_owned))
        .chain(rows)
        .collect();
    match rows.len() {
        1 => String::new(),
        _ => table(&rows),
    }
}
