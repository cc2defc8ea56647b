//! Completing model IDs and aliases as the shell asks (`COMPLETE=bash
//! audmodel`, clap's dynamic completion): candidates come from the cache's
//! folders at once and from the repositories' listing within a deadline.
//! A completion must never break the shell: every error means fewer
//! candidates, nothing printed but them.

use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::sync::mpsc;
use std::time::Duration;

use audmodel::{Audmodel, Config};
use clap_complete::engine::CompletionCandidate;

/// How long the shell waits for the repositories' listing before it gets
/// the cache's candidates alone: a person pressing Tab waits no longer
/// than this for a slow or unreachable store.
const DEADLINE: Duration = Duration::from_secs(2);

/// Candidates for an argument that takes an ID in any form.
pub(crate) fn model_ids(current: &OsStr) -> Vec<CompletionCandidate> {
    candidates(current, true)
}

/// Candidates for an argument that takes an alias.
pub(crate) fn aliases(current: &OsStr) -> Vec<CompletionCandidate> {
    candidates(current, false)
}

/// The IDs (when `ids`) and aliases starting with `current`, each once,
/// the cache's first; an alias shows the UID it names as its help.
fn candidates(current: &OsStr, ids: bool) -> Vec<CompletionCandidate> {
    let Some(prefix) = current.to_str() else {
        return Vec::new();
    };
    // Warnings of the configuration are not printed: the shell would show
    // them in the middle of the line being typed.
    let Ok(mut config) = Config::load() else {
        return Vec::new();
    };
    for repo in &mut config.repositories {
        // One attempt, quickly given up: the deadline bounds the rest.
        repo.transfer.retries = 0;
        repo.transfer.connect_timeout = repo.transfer.connect_timeout.min(DEADLINE);
    }
    let offline = audmodel::offline_from_env() || std::env::args().any(|a| a == "--offline");
    let client = Audmodel::new(config).with_offline(offline);
    let (cached_ids, cached_aliases) = client.cached_ids(prefix);
    let mut found: Vec<(String, Option<String>)> = Vec::new();
    if ids {
        found.extend(cached_ids.into_iter().map(|id| (id, None)));
    }
    found.extend(
        cached_aliases
            .into_iter()
            .map(|(alias, uid)| (alias, Some(uid))),
    );
    if !offline {
        found.extend(published(client, prefix, ids));
    }
    // Each value once, sorted, with the help any source gave it.
    let mut merged: BTreeMap<String, Option<String>> = BTreeMap::new();
    for (value, help) in found {
        let entry = merged.entry(value).or_default();
        if entry.is_none() {
            *entry = help;
        }
    }
    merged
        .into_iter()
        .map(|(value, help)| CompletionCandidate::new(value).help(help.map(Into::into)))
        .collect()
}

/// The published IDs (when `ids`: short IDs, UIDs with the model's name as
/// help) and aliases (with their UID) of every repository starting with
/// `prefix`, or none when the listing takes longer than [`DEADLINE`].
fn published(client: Audmodel, prefix: &str, ids: bool) -> Vec<(String, Option<String>)> {
    let (send, receive) = mpsc::channel();
    let prefix = prefix.to_owned();
    // Left running when the deadline passes: the process exits after
    // printing the candidates, which ends it.
    std::thread::spawn(move || {
        let mut found = Vec::new();
        for model in client.listing().models {
            if ids {
                if model.short_id.starts_with(&prefix) {
                    found.push((model.short_id.clone(), None));
                }
                if model.uid.starts_with(&prefix) {
                    found.push((model.uid.clone(), Some(model.header.name.clone())));
                }
            }
            for alias in model.aliases.iter().filter(|a| a.starts_with(&prefix)) {
                found.push((alias.clone(), Some(model.uid.clone())));
            }
        }
        let _ = send.send(found);
    });
    receive.recv_timeout(DEADLINE).unwrap_or_default()
}
