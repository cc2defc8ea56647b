//! `verify`: published models checked in their repository.

use anyhow::Result;
use audmodel::{Audmodel, RepositoryCheck};
use serde_json::json;

use super::cache::Damaged;
use crate::cli::VerifyArgs;
use crate::output::{Output, write_out};

/// Prints each damaged model with what is wrong, then a summary; a damaged
/// model is [`Damaged`] (exit status 8).
pub(super) fn verify(client: &Audmodel, args: &VerifyArgs, out: Output) -> Result<()> {
    let checks = match &args.id {
        Some(id) => vec![client.verify(id)?],
        None => client.verify_all(args.repository.as_deref())?,
    };
    let damaged: Vec<&RepositoryCheck> = checks.iter().filter(|c| c.is_damaged()).collect();
    if out.json {
        out.json_value(&json!({
            "models": checks.iter().map(|c| json!({
                "uid": c.uid,
                "repository": c.repository,
                "damaged": c.is_damaged(),
                "problems": c.problems,
            })).collect::<Vec<_>>(),
            "checked": checks.len(),
            "damaged": damaged.len(),
        }))?;
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
        text.push_str(&format!(
            "{} checked, {} damaged\n",
            checks.len(),
            damaged.len()
        ));
        write_out(&text)?;
    }
    if damaged.is_empty() {
        Ok(())
    } else {
        Err(Damaged.into())
    }
}
