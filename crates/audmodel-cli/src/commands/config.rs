//! `config`: the configuration in use and where each value came from, and
//! the write protocol each repository gets.

use std::io::Write;

use anyhow::Result;
use audmodel::{Audmodel, Config, ConfigSource};
use serde_json::json;

use crate::output::{Output, write_out};

/// Prints cache root and repositories with their sources, and for each
/// repository the write protocol its store's capabilities give (asking
/// S3 stores with `conditional_writes: auto` once). Offline, or when a
/// repository cannot be opened, says so instead of a protocol.
pub(super) fn config(client: &Audmodel, out: Output) -> Result<()> {
    let config = client.config();
    let protocols: Vec<Result<audmodel::WriteProtocol, String>> = config
        .repositories
        .iter()
        .map(|r| match client.is_offline() {
            true => Err("offline: no repository is opened".to_owned()),
            false => client.write_protocol(&r.name).map_err(|e| why_unknown(&e)),
        })
        .collect();
    if out.json {
        let repositories: Vec<_> = config
            .repositories
            .iter()
            .zip(&protocols)
            .map(|(r, protocol)| {
                let protocol = match protocol {
                    Ok(p) => json!({"name": p.name(), "description": p.to_string()}),
                    Err(e) => json!({"name": null, "error": e}),
                };
                let mut entry = json!({"name": r.name, "host": r.host, "backend": r.backend, "protocol": protocol});
                if matches!(r.backend.as_str(), "azure" | "gcs") {
                    entry["credentials"] = json!(audmodel::backend::credential_source(r));
                }
                entry
            })
            .collect();
        out.json_value(&json!({
            "cache_root": {
                "value": config.cache_root.to_string_lossy(),
                "source": source_json(&config.sources.cache_root),
            },
            "repositories": {
                "value": repositories,
                "source": source_json(&config.sources.repositories),
            },
        }))
    } else {
        let mut text = text(config);
        text.push_str("write protocols:\n");
        for (r, protocol) in config.repositories.iter().zip(&protocols) {
            match protocol {
                Ok(p) => text.push_str(&format!("  - {}: {p}\n", r.name)),
                Err(e) => text.push_str(&format!("  - {}: unknown ({e})\n", r.name)),
            }
        }
        // Where each Azure or GCS repository's credentials come from, by
        // name: a value is never shown.
        let sources: Vec<String> = config
            .repositories
            .iter()
            .filter(|r| matches!(r.backend.as_str(), "azure" | "gcs"))
            .filter_map(|r| {
                audmodel::backend::credential_source(r).map(|s| format!("  - {}: {s}\n", r.name))
            })
            .collect();
        if !sources.is_empty() {
            text.push_str("credentials:\n");
            text.extend(sources);
        }
        write_out(&text)
    }
}

/// Why a repository's protocol is unknown (a refused probe says nothing of
/// the store); its line names the repository already.
fn why_unknown(err: &audmodel::Error) -> String {
    match err {
        audmodel::Error::Backend { source, .. } => source.to_string(),
        other => other.to_string(),
    }
}

/// The same text on standard error, for `--verbose`.
pub(super) fn note(config: &Config) {
    // Nothing to do when standard error is gone.
    let _ = std::io::stderr().lock().write_all(text(config).as_bytes());
}

fn text(config: &Config) -> String {
    let mut text = format!(
        "cache_root: {} ({})\nrepositories ({}):\n",
        config.cache_root.display(),
        source_text(&config.sources.cache_root),
        source_text(&config.sources.repositories),
    );
    for r in &config.repositories {
        text.push_str(&format!("  - {} ({}: {})\n", r.name, r.backend, r.host));
    }
    text
}

fn source_text(source: &ConfigSource) -> String {
    match source {
        ConfigSource::Default => "built-in default".to_owned(),
        ConfigSource::File(path) => format!("file {}", path.display()),
        ConfigSource::Env(var) => format!("environment variable {var}"),
        ConfigSource::Program => "set by the program".to_owned(),
    }
}

fn source_json(source: &ConfigSource) -> serde_json::Value {
    match source {
        ConfigSource::Default => json!({"kind": "default"}),
        ConfigSource::File(path) => json!({"kind": "file", "path": path.to_string_lossy()}),
        ConfigSource::Env(var) => json!({"kind": "env", "variable": var}),
        ConfigSource::Program => json!({"kind": "program"}),
    }
}
