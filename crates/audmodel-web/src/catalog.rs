//! Models as the pages show them: the versions of one short ID grouped
//! under their latest.

use std::cmp::Ordering;
use std::collections::BTreeMap;

use audmodel_core::{ModelSummary, compare_versions};

use crate::filter::Column;

/// One model (short ID) with all its listed versions.
#[derive(Debug, Clone)]
pub(crate) struct ModelRow {
    /// Every version, oldest first.
    pub(crate) versions: Vec<ModelSummary>,
    /// The aliases of every version, sorted.
    pub(crate) aliases: Vec<String>,
}

impl ModelRow {
    /// The latest version.
    pub(crate) fn latest(&self) -> &ModelSummary {
        // A row is made from at least one version.
        &self.versions[self.versions.len() - 1]
    }

    /// The row as JSON: the latest version in the form of `ls --json`, with
    /// the number of versions and the aliases of all of them.
    pub(crate) fn json(&self) -> serde_json::Value {
        let mut json = audmodel_core::json::summary(self.latest());
        json["short_id"] = self.latest().short_id.clone().into();
        json["versions"] = self.versions.len().into();
        json["aliases"] = self.aliases.clone().into();
        json
    }
}

/// Groups models by short ID, each row's versions in version order.
pub(crate) fn group(models: Vec<ModelSummary>) -> Vec<ModelRow> {
    let mut by_sid: BTreeMap<String, Vec<ModelSummary>> = BTreeMap::new();
    for model in models {
        by_sid
            .entry(model.short_id.clone())
            .or_default()
            .push(model);
    }
    by_sid
        .into_values()
        .map(|mut versions| {
            versions.sort_by(|a, b| compare_versions(&a.header.version, &b.header.version));
            let mut aliases: Vec<String> =
                versions.iter().flat_map(|v| v.aliases.clone()).collect();
            aliases.sort();
            aliases.dedup();
            ModelRow { versions, aliases }
        })
        .collect()
}

/// Sorts rows by a column, ties by short ID so the order is stable.
pub(crate) fn sort(rows: &mut [ModelRow], column: Column, descending: bool) {
    rows.sort_by(|a, b| {
        let (x, y) = (a.latest(), b.latest());
        let order = match column {
            Column::Name => x.header.name.cmp(&y.header.name),
            Column::Subgroup => x.header.subgroup.cmp(&y.header.subgroup),
            Column::Version => compare_versions(&x.header.version, &y.header.version),
            Column::Versions => a.versions.len().cmp(&b.versions.len()),
            Column::Author => x.header.author.cmp(&y.header.author),
            Column::Date => x.header.date.cmp(&y.header.date),
            Column::Repository => x.repository.cmp(&y.repository),
        };
        let order = if descending { order.reverse() } else { order };
        match order {
            Ordering::Equal => x.short_id.cmp(&y.short_id),
            other => other,
        }
    });
}
