//! `ls`: the published models of every configured repository.

use anyhow::Result;
use audmodel::{Audmodel, ListFilter, ModelSummary};
use serde_json::json;

use crate::cli::LsArgs;
use crate::output::{Output, table as columns, to_json, write_out};

/// Prints the models passing the filters as an aligned table or JSON.
pub(super) fn ls(client: &Audmodel, args: &LsArgs, out: Output) -> Result<()> {
    let filter = ListFilter {
        name: args.name.clone(),
        subgroup: args.subgroup.clone(),
        params: args.params.clone(),
    };
    let models = client.list(&filter)?;
    if out.json {
        out.json_value(&models.iter().map(summary_json).collect())
    } else {
        write_out(&table(&models))
    }
}

fn summary_json(m: &ModelSummary) -> serde_json::Value {
    json!({
        "uid": m.uid,
        "name": m.header.name,
        "subgroup": m.header.subgroup.as_deref().unwrap_or(""),
        "version": m.header.version,
        "date": m.header.date.format("%Y-%m-%d").to_string(),
        "author": m.header.author,
        "parameters": to_json(&audmodel::Value::Map(m.header.parameters.clone())),
        "repository": m.repository,
    })
}

/// Columns padded to their widest cell; no table at all when nothing matched.
fn table(models: &[ModelSummary]) -> String {
    if models.is_empty() {
        return String::new();
    }
    let header = ["UID", "NAME", "SUBGROUP", "VERSION", "DATE", "REPOSITORY"].map(str::to_owned);
    let rows: Vec<[String; 6]> = std::iter::once(header)
        .chain(models.iter().map(|m| {
            [
                m.uid.clone(),
                m.header.name.clone(),
                m.header.subgroup.clone().unwrap_or_default(),
                m.header.version.clone(),
                m.header.date.format("%Y-%m-%d").to_string(),
                m.repository.clone(),
            ]
        }))
        .collect();
    columns(&rows)
}
