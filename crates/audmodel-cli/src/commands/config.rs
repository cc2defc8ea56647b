//! `config`: the configuration in use and where each value came from.

use std::io::Write;

use anyhow::Result;
use audmodel::{Config, Source};
use serde_json::json;

use crate::output::{Output, write_out};

/// Prints cache root and repositories with their sources.
pub(super) fn config(config: &Config, out: Output) -> Result<()> {
    if out.json {
        let repositories: Vec<_> = config
            .repositories
            .iter()
            .map(|r| json!({"name": r.name, "host": r.host, "backend": r.backend}))
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
        write_out(&text(config))
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

fn source_text(source: &Source) -> String {
    match source {
        Source::Default => "built-in default".to_owned(),
        Source::File(path) => format!("file {}", path.display()),
        Source::Env(var) => format!("environment variable {var}"),
        Source::Program => "set by the program".to_owned(),
    }
}

fn source_json(source: &Source) -> serde_json::Value {
    match source {
        Source::Default => json!({"kind": "default"}),
        Source::File(path) => json!({"kind": "file", "path": path.to_string_lossy()}),
        Source::Env(var) => json!({"kind": "env", "variable": var}),
        Source::Program => json!({"kind": "program"}),
    }
}
