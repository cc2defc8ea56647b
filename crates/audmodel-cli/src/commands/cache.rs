//! `cache ls`, `cache verify`, `cache rm`, `cache prune`.

use std::time::SystemTime;

use anyhow::Result;
use audmodel::{Audmodel, CacheCheck, CachedModel, PruneOptions, Removed};
use serde_json::json;

use crate::cli::{CacheCommand, CacheSort};
use crate::exit::Status;
use crate::output::{Output, table, write_out};
use crate::units::human_size;

/// Runs a `cache` command.
pub(super) fn cache(client: &Audmodel, command: &CacheCommand, out: Output) -> Result<Status> {
    let answered = match command {
        CacheCommand::Ls { sort } => ls(client, *sort, out),
        CacheCommand::Verify { ids, repair } => return verify(client, ids, *repair, out),
        CacheCommand::Rm { ids } => {
            let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
            freed(&client.cache_remove_all(&ids)?, false, out)
        }
        CacheCommand::Prune {
            older_than,
            max_size,
            dry_run,
        } => {
            let mut options = PruneOptions::default().dry_run(*dry_run);
            if let Some(age) = older_than {
                options = options.older_than(*age);
            }
            if let Some(bytes) = max_size {
                options = options.max_size(*bytes);
            }
            freed(&client.cache_prune(&options)?, *dry_run, out)
        }
    };
    answered.map(|()| Status::Success)
}

fn ls(client: &Audmodel, sort: Option<CacheSort>, out: Output) -> Result<()> {
    let mut models = client.cache_list()?;
    match sort {
        Some(CacheSort::Size) => models.sort_by_key(|m| std::cmp::Reverse(m.size)),
        Some(CacheSort::Used) => models.sort_by_key(|m| m.last_loaded),
        Some(CacheSort::Name) => models.sort_by(|a, b| (&a.name, &a.uid).cmp(&(&b.name, &b.uid))),
        None => {}
    }
    let bytes: u64 = models.iter().map(|m| m.size).sum();
    if out.json {
        return out.json_value(&json!({
            "models": models.iter().map(model_json).collect::<Vec<_>>(),
            "total": {"models": models.len(), "bytes": bytes},
        }));
    }
    let header = [
        "UID",
        "NAME",
        "SUBGROUP",
        "SIZE",
        "FILES",
        "LAST LOADED",
        "STATE",
    ]
    .map(str::to_owned);
    let rows: Vec<[String; 7]> = std::iter::once(header)
        .chain(models.iter().map(|m| {
            [
                m.uid.clone(),
                m.name.clone().unwrap_or_else(|| "-".to_owned()),
                m.subgroup.clone().unwrap_or_default(),
                human_size(m.size),
                m.files.to_string(),
                m.last_loaded.map_or_else(|| "-".to_owned(), time_text),
                m.state.to_string(),
            ]
        }))
        .collect();
    let mut text = table(&rows);
    text.push_str(&format!(
        "total: {} model{}, {}\n",
        models.len(),
        if models.len() == 1 { "" } else { "s" },
        human_size(bytes)
    ));
    write_out(&text)
}

fn model_json(m: &CachedModel) -> serde_json::Value {
    json!({
        "uid": m.uid,
        "name": m.name,
        "subgroup": m.subgroup,
        "version": m.version,
        "bytes": m.size,
        "files": m.files,
        "last_loaded": m.last_loaded.map(time_text),
        "state": m.state.as_str(),
        "path": m.path.to_string_lossy(),
    })
}

/// Prints each damaged model and a summary; a damaged model not repaired
/// is [`Status::Damaged`].
fn verify(client: &Audmodel, ids: &[String], repair: bool, out: Output) -> Result<Status> {
    let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
    let checks = if repair {
        client.cache_repair(&ids)?
    } else {
        client.cache_verify(&ids)?
    };
    let damaged = checks.iter().filter(|c| c.is_damaged()).count();
    if out.json {
        out.json_value(&json!({
            "models": checks.iter().map(check_json).collect::<Vec<_>>(),
            "checked": checks.len(),
            "damaged": damaged,
            "repaired": if repair { damaged } else { 0 },
        }))?;
    } else {
        let mut text = String::new();
        for check in checks.iter().filter(|c| c.is_damaged()) {
            text.push_str(&format!(
                "damaged {} ({}){}\n",
                check.uid,
                check.path.display(),
                if repair { ", loaded again" } else { "" }
            ));
            for problem in &check.problems {
                text.push_str(&format!("  {problem}\n"));
            }
        }
        text.push_str(&format!(
            "{} checked, {damaged} damaged{}\n",
            checks.len(),
            if repair && damaged > 0 {
                format!(", {damaged} repaired")
            } else {
                String::new()
            }
        ));
        write_out(&text)?;
    }
    Ok(if damaged > 0 && !repair {
        Status::Damaged
    } else {
        Status::Success
    })
}

fn check_json(c: &CacheCheck) -> serde_json::Value {
    json!({
        "uid": c.uid,
        "path": c.path.to_string_lossy(),
        "files": c.files,
        "damaged": c.is_damaged(),
        "problems": c.problems.iter().map(ToString::to_string).collect::<Vec<_>>(),
    })
}

/// What `rm` and `prune` removed (or would), and the bytes freed.
fn freed(removed: &[Removed], dry_run: bool, out: Output) -> Result<()> {
    let bytes: u64 = removed.iter().map(|r| r.bytes).sum();
    if out.json {
        return out.json_value(&json!({
            "removed": removed.iter().map(|r| json!({
                "uid": r.uid,
                "path": r.path.to_string_lossy(),
                "bytes": r.bytes,
            })).collect::<Vec<_>>(),
            "bytes": bytes,
            "dry_run": dry_run,
        }));
    }
    let verb = if dry_run { "would remove" } else { "removed" };
    let mut text: String = removed
        .iter()
        .map(|r| format!("{verb} {} ({})\n", r.uid, human_size(r.bytes)))
        .collect();
    text.push_str(&format!(
        "{} {} in {} model{}\n",
        if dry_run { "would free" } else { "freed" },
        human_size(bytes),
        removed.len(),
        if removed.len() == 1 { "" } else { "s" }
    ));
    write_out(&text)
}

/// A time in UTC, to the second.
fn time_text(at: SystemTime) -> String {
    chrono::DateTime::<chrono::Utc>::from(at)
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}
