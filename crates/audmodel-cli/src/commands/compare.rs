//! `diff` and `files`: models side by side, and an archive's contents.

use anyhow::Result;
use audmodel::Audmodel;

use crate::cli::DiffArgs;
use crate::output::{Output, table, write_out};

/// Prints the keys in which the models differ (all with `--all`), a column
/// a model; JSON has every key with whether it differs.
pub(super) fn diff(client: &Audmodel, args: &DiffArgs, out: Output) -> Result<()> {
    let ids: Vec<&str> = args.ids.iter().map(String::as_str).collect();
    let comparison = client.compare(&ids)?;
    if out.json {
        return out.json_value(&audmodel::json::comparison(&comparison));
    }
    let mut rows: Vec<Vec<String>> = vec![
        std::iter::once("KEY".to_owned())
            .chain(comparison.uids.iter().cloned())
            .collect(),
    ];
    for row in comparison.rows.iter().filter(|r| args.all || r.differs()) {
        let cells = row.values.iter().map(|value| match value {
            Some(audmodel::Value::Str(s)) => s.clone(),
            Some(value) => audmodel::py_repr(value),
            None => "-".to_owned(),
        });
        rows.push(std::iter::once(row.key.clone()).chain(cells).collect());
    }
    if rows.len() == 1 {
        eprintln!("the models do not differ (--all prints every key)");
        return Ok(());
    }
    write_out(&table(&rows))
}

/// Prints each file of the archive and its size in bytes.
pub(super) fn files(client: &Audmodel, id: &str, out: Output) -> Result<()> {
    let files = client.archive(id)?.files()?;
    if out.json {
        return out.json_value(&audmodel::json::files(&files));
    }
    let rows: Vec<[String; 2]> = files
        .into_iter()
        .map(|f| [f.size.to_string(), f.name])
        .collect();
    write_out(&table(&rows))
}
