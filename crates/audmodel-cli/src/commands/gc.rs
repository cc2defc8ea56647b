//! `gc`: what killed or interrupted publishers left in the repositories,
//! removed (or, with `--dry-run`, listed); also the leftovers `verify
//! --all` names.

use std::time::Duration;

use anyhow::Result;
use audmodel::{Audmodel, GcOptions, Leftover};
use serde_json::json;

use crate::cli::GcArgs;
use crate::output::{Output, table, write_out};
use crate::units::human_size;

/// Removes (or lists) the leftovers: one line each, then a total.
pub(super) fn gc(client: &Audmodel, args: &GcArgs, out: Output) -> Result<()> {
    let mut options = GcOptions::default().dry_run(args.dry_run);
    if let Some(repository) = &args.repository {
        options = options.repository(repository);
    }
    if let Some(age) = args.older_than {
        options = options.older_than(age);
    }
    let found = client.gc(&options)?;
    if out.json {
        let list: Vec<serde_json::Value> = found
            .iter()
            .map(|l| leftover_json(l, !args.dry_run))
            .collect();
        return out.json_value(&serde_json::Value::Array(list));
    }
    let verb = if args.dry_run {
        "would remove"
    } else {
        "removed"
    };
    let rows: Vec<[String; 6]> = found
        .iter()
        .map(|l| {
            [
                verb.to_owned(),
                l.repository.clone(),
                l.path.clone(),
                age_text(l.age),
                human_size(l.bytes),
                what(l),
            ]
        })
        .collect();
    let mut text = table(&rows);
    let bytes: u64 = found.iter().map(|l| l.bytes).sum();
    text.push_str(&match (found.len(), args.dry_run) {
        (0, _) => "no leftovers\n".to_owned(),
        (n, dry_run) => format!(
            "{} {n} leftover{}, {}\n",
            if dry_run { "would remove" } else { "removed" },
            if n == 1 { "" } else { "s" },
            human_size(bytes)
        ),
    });
    write_out(&text)
}

/// A leftover as `--json` gives it.
pub(super) fn leftover_json(l: &Leftover, removed: bool) -> serde_json::Value {
    json!({
        "repository": l.repository,
        "path": l.path,
        "kind": l.kind.as_str(),
        "owner": l.owner,
        "age_seconds": l.age.map(|a| a.as_secs()),
        "bytes": l.bytes,
        "removed": removed,
    })
}

/// What a leftover is and whose: `cut write of d4e9c65b-1.0.0`.
pub(super) fn what(l: &Leftover) -> String {
    match &l.owner {
        Some(owner) => format!("{} of {owner}", l.kind),
        None => l.kind.to_string(),
    }
}

/// An age in its two largest units, one word: `2h13m`, `45s`, `3d4h`;
/// `-` when unknown.
pub(super) fn age_text(age: Option<Duration>) -> String {
    let Some(age) = age else {
        return "-".to_owned();
    };
    let secs = age.as_secs();
    let units = [(86_400, "d"), (3600, "h"), (60, "m"), (1, "s")];
    let Some(first) = units.iter().position(|(size, _)| secs >= *size) else {
        return "0s".to_owned();
    };
    let (size, unit) = units[first];
    let mut text = format!("{}{unit}", secs / size);
    if let Some((next, next_unit)) = units.get(first + 1)
        && secs % size / next > 0
    {
        text.push_str(&format!("{}{next_unit}", secs % size / next));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_in_two_units() {
        let age = |secs: u64| age_text(Some(Duration::from_secs(secs)));
        assert_eq!(age(0), "0s");
        assert_eq!(age(45), "45s");
        assert_eq!(age(3600), "1h");
        assert_eq!(age(2 * 3600 + 13 * 60 + 5), "2h13m");
        assert_eq!(age(3 * 86_400 + 4 * 3600), "3d4h");
        assert_eq!(age_text(None), "-");
    }
}
