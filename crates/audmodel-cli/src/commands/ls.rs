//! `ls`: the published models of every configured repository.

use anyhow::Result;
use audmodel::{Audmodel, ListFilter, ModelSummary};

use crate::cli::LsArgs;
use crate::output::{Output, table_with_header, write_out};

/// Prints the models passing the filters as an aligned table or JSON; when
/// none does, says so on standard error (unless `quiet`), as an empty
/// table alone cannot tell a person "nothing matched" from "nothing ran".
pub(super) fn ls(client: &Audmodel, args: &LsArgs, out: Output, quiet: bool) -> Result<()> {
    let filtered = args.name.is_some()
        || args.subgroup.is_some()
        || !args.params.is_empty()
        || args.search.is_some();
    let mut filter = ListFilter::default();
    filter.name.clone_from(&args.name);
    filter.subgroup.clone_from(&args.subgroup);
    filter.params.clone_from(&args.params);
    filter.search.clone_from(&args.search);
    let models = client.list(&filter)?;
    if models.is_empty() && !quiet {
        eprintln!(
            "{}",
            if filtered {
                "no model matches"
            } else {
                "no model is published in the configured repositories"
            }
        );
    }
    if out.json {
        out.json_value(&models.iter().map(audmodel::json::summary).collect())
    } else {
        write_out(&table(&models))
    }
}

/// Columns padded to their widest cell; no table at all when nothing matched.
fn table(models: &[ModelSummary]) -> String {
    let rows = models.iter().map(|m| {
        [
            m.uid.clone(),
            m.header.name.clone(),
            m.header.subgroup.clone().unwrap_or_default(),
            m.header.version.clone(),
            m.header.date.format("%Y-%m-%d").to_string(),
            m.aliases.join(","),
            m.repository.clone(),
        ]
    });
    let header = [
        "UID",
        "NAME",
        "SUBGROUP",
        "VERSION",
        "DATE",
        "ALIASES",
        "REPOSITORY",
    ];
    table_with_header(header, rows)
}
