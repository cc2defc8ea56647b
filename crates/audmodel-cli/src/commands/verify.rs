//! `verify`: published models checked in their repository.

use anyhow::Result;
use audmodel::{Audmodel, GcOptions, Leftover, RepositoryCheck};
use serde_json::json;

use crate::cli::VerifyArgs;
use crate::exit::Status;
use crate::output::{Output, write_out};
use crate::units::human_size;

/// Prints each damaged model with what is wrong, then a summary; a damaged
/// model is [`Status::Damaged`].
pub(super) fn verify(client: &Audmodel, args: &VerifyArgs, out: Output) -> Result<Status> {
    let checks = match &args.id {
        Some(id) => vec![client.verify(id)?],
        None => client.verify_all(args.repository.as_deref())?,
    };
    let leftovers = match args.all {
        true => leftovers(client, args.repository.as_deref()),
        false => Vec::new(),
    };
    let damaged: Vec<&RepositoryCheck> = checks.iter().filter(|c| c.is_damaged()).collect();
    if out.json {
        let mut answer = json!({
            "models": checks.iter().map(|c| json!({
                "uid": c.uid,
                "repository": c.repository,
                "damaged": c.is_damaged(),
                "problems": c.problems,
            })).collect::<Vec<_>>(),
            "checked": checks.len(),
            "damaged": damaged.len(),
        });
        if args.all {
            answer["leftovers"] = leftovers
                .iter()
                .map(|l| super::gc::leftover_json(l, false))
                .collect();
        }
        out.json_value(&answer)?;
    } else {
        let mut text = String::new();
        for check in &damaged {
            text.push_str(&format!(
                "damaged {} in repository '{}'\n",
                check.uid, check.repository
            ));
            for problem in &check.problems {
                text.push_str(&format!("  {problem}\n"));
            }
        }
        for l in &leftovers {
            text.push_str(&format!(
                "leftover in repository '{}': {} ({}, {}, {})\n",
                l.repository,
                l.path,
                super::gc::what(l),
                super::gc::age_text(l.age),
                human_size(l.bytes)
            ));
        }
        text.push_str(&format!(
            "{} checked, {} damaged",
            checks.len(),
            damaged.len()
        ));
        if !leftovers.is_empty() {
            text.push_str(&format!(
                "; {} leftover{} of interrupted publishes, not damage (`audmodel gc` removes them)",
                leftovers.len(),
                if leftovers.len() == 1 { "" } else { "s" },
            ));
        }
        text.push('\n');
        write_out(&text)?;
    }
    Ok(if damaged.is_empty() {
        Status::Success
    } else {
        Status::Damaged
    })
}

/// What `audmodel gc` would remove with its defaults: named beside the
/// checks, not counted as damage. Looking is best effort (a store that
/// does not let this user list unfinished uploads, say): a failure is a
/// note on standard error.
fn leftovers(client: &Audmodel, repository: Option<&str>) -> Vec<Leftover> {
    let mut options = GcOptions::default().dry_run(true);
    if let Some(name) = repository {
        options = options.repository(name);
    }
    client.gc(&options).unwrap_or_else(|e| {
        eprintln!(
            "note: leftovers of interrupted publishes not looked for: {}",
            audmodel::error_chain(&e)
        );
        Vec::new()
    })
}
