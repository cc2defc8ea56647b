//! The JSON forms of answers, one for the CLI's `--json` and the web
//! server's `/api/` routes, so scripts and pages read one API.
//!
//! Python values keep their types: dates become `"YYYY-MM-DD"`; integers
//! beyond the 64-bit range and the floats JSON cannot hold (`inf`, `-inf`,
//! `nan`) become strings of their Python repr; objects keep the order of
//! the mapping (it is part of a legacy UID).

use audmodel_uid::Value;
use serde_json::{Map, Value as Json, json};

use crate::{AliasEntry, ArchiveFile, Comparison, Header, ModelSummary};

/// A Python value as JSON. Non-string keys become their JSON text as
/// Python's `json.dumps` writes them (`1`, `true`, `null`).
pub fn value(value: &Value) -> Json {
    match value {
        Value::Null => Json::Null,
        Value::Bool(b) => Json::Bool(*b),
        Value::Int(i) => i64::try_from(*i)
            .map(Json::from)
            .or_else(|_| u64::try_from(*i).map(Json::from))
            .unwrap_or_else(|_| Json::String(i.to_string())),
        Value::Float(f) => serde_json::Number::from_f64(*f)
            .map_or_else(|| Json::String(audmodel_uid::py_repr(value)), Json::Number),
        Value::Str(s) => Json::String(s.clone()),
        Value::Date(d) => Json::String(d.format("%Y-%m-%d").to_string()),
        Value::List(items) => Json::Array(items.iter().map(self::value).collect()),
        Value::Map(map) => Json::Object(
            map.iter()
                .map(|(k, v)| (key(k), self::value(v)))
                .collect::<Map<_, _>>(),
        ),
    }
}

fn key(key: &Value) -> String {
    match key {
        Value::Str(s) => s.clone(),
        Value::Null => "null".to_owned(),
        Value::Bool(b) => b.to_string(),
        other => match value(other) {
            Json::String(s) => s,
            json => json.to_string(),
        },
    }
}

/// A header: an object of its six fields in the file's order.
pub fn header(header: &Header) -> Json {
    value(&header.to_value())
}

/// One model of a listing (`audmodel ls --json`).
pub fn summary(model: &ModelSummary) -> Json {
    json!({
        "uid": model.uid,
        "name": model.header.name,
        "subgroup": model.header.subgroup.as_deref().unwrap_or(""),
        "version": model.header.version,
        "date": model.header.date.format("%Y-%m-%d").to_string(),
        "author": model.header.author,
        "parameters": value(&Value::Map(model.header.parameters.clone())),
        "aliases": model.aliases,
        "repository": model.repository,
    })
}

/// A comparison (`audmodel diff --json`): the UIDs, and one row a key with
/// its values in their order (`null` where a model lacks the key) and
/// whether they differ.
pub fn comparison(comparison: &Comparison) -> Json {
    let rows: Vec<Json> = comparison
        .rows
        .iter()
        .map(|row| {
            json!({
                "key": row.key,
                "values": row.values.iter()
                    .map(|v| v.as_ref().map_or(Json::Null, value))
                    .collect::<Vec<_>>(),
                "differs": row.differs(),
            })
        })
        .collect();
    json!({ "uids": comparison.uids, "rows": rows })
}

/// The files of an archive (`audmodel files --json`).
pub fn files(files: &[ArchiveFile]) -> Json {
    files
        .iter()
        .map(|f| json!({ "name": f.name, "size": f.size }))
        .collect()
}

/// Every alias with its model (`audmodel alias ls --json`).
pub fn aliases(aliases: &[AliasEntry]) -> Json {
    aliases
        .iter()
        .map(|a| json!({ "alias": a.alias, "uid": a.uid, "repository": a.repository }))
        .collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn json_keeps_python_types_and_writes_unrepresentable_floats_as_strings() {
        let parsed = audmodel_uid::yaml::from_str(
            "{i: 16000, f: 0.5, inf: .inf, nan: .nan, d: 2024-01-02, b: true, n: null, 1: x, big: 18446744073709551615}",
        )
        .unwrap();
        let json = value(&parsed);
        assert_eq!(json["i"], json!(16000));
        assert_eq!(json["f"], json!(0.5));
        assert_eq!(json["inf"], json!("inf"));
        assert_eq!(json["nan"], json!("nan"));
        assert_eq!(json["d"], json!("2024-01-02"));
        assert_eq!(json["b"], json!(true));
        assert_eq!(json["n"], Json::Null);
        assert_eq!(json["1"], json!("x"));
        assert_eq!(json["big"], json!(u64::MAX));
        assert_eq!(value(&Value::Int(i128::MAX)), json!(i128::MAX.to_string()));
    }
}
