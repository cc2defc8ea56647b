//! Python values (parameters, metadata) shown as text and nested tables:
//! every string escaped, none ever a link.

use audmodel_core::{Mapping, Value};
use maud::{Markup, html};

/// A value as one line of text, as Python's `repr` writes it, but strings
/// bare.
pub(crate) fn text(value: &Value) -> String {
    match value {
        Value::Str(s) => s.clone(),
        Value::Date(d) => d.format("%Y-%m-%d").to_string(),
        other => audmodel_core::py_repr(other),
    }
}

/// A mapping as a table of keys and values, nested mappings as tables
/// inside; an empty mapping says so.
pub(crate) fn table(map: &Mapping) -> Markup {
    if map.is_empty() {
        return html! { p.empty { "none" } };
    }
    html! {
        table.values {
            @for (key, value) in map.iter() {
                tr {
                    th { (text(key)) }
                    td { (cell(value)) }
                }
            }
        }
    }
}

fn cell(value: &Value) -> Markup {
    match value {
        Value::Map(inner) => table(inner),
        Value::List(items) if items.iter().any(|v| matches!(v, Value::Map(_))) => html! {
            ol { @for item in items { li { (cell(item)) } } }
        },
        other => html! { (text(other)) },
    }
}
