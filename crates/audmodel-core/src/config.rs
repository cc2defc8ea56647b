//! Configuration (SPEC 6): cache root and ordered repositories.

use std::path::{Path, PathBuf};

use std::time::Duration;

use audmodel_backend::{ConditionalWrites, Repository, TransferSettings};
use audmodel_uid::Value;

use crate::Error;

/// The environment variable that overrides the cache root.
pub const CACHE_ROOT_ENV: &str = "AUDMODEL_CACHE_ROOT";

/// Environment variables that override every repository's transfer
/// settings: retries, and the retry, connect and stall timeouts in seconds.
pub const RETRIES_ENV: &str = "AUDMODEL_RETRIES";
/// See [`RETRIES_ENV`].
pub const RETRY_TIMEOUT_ENV: &str = "AUDMODEL_RETRY_TIMEOUT";
/// See [`RETRIES_ENV`].
pub const CONNECT_TIMEOUT_ENV: &str = "AUDMODEL_CONNECT_TIMEOUT";
/// See [`RETRIES_ENV`].
pub const STALL_TIMEOUT_ENV: &str = "AUDMODEL_STALL_TIMEOUT";

/// The user configuration file, relative to the home folder.
pub const USER_CONFIG_FILE: &str = ".config/audmodel.yaml";

/// The built-in configuration, used where no configuration file says otherwise.
///
/// It differs from the Python reference on purpose: the reference's default
/// is the public S3 bucket `audmodel-public`, which needs network access and
/// cannot be published to without credentials. Here a fresh machine gets a
/// file-system repository named `models` in the folder
/// `~/audmodel-repository`, so `publish` and `load` work without any server.
/// Users who share models with Python set the same repositories in
/// `~/.config/audmodel.yaml`, which both tools read.
pub const DEFAULT_CONFIG: &str = "\
cache_root: ~/audmodel
repositories:
  - name: models
    host: ~/audmodel-repository
    backend: file-system
";

/// Where a configured value came from (for `audmodel config`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigSource {
    /// The built-in [`DEFAULT_CONFIG`].
    Default,
    /// A configuration file.
    File(PathBuf),
    /// An environment variable (its name).
    Env(String),
    /// Set by the program.
    Program,
}

/// Where each value of a [`Config`] came from.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ConfigSources {
    /// Source of [`Config::cache_root`].
    pub cache_root: ConfigSource,
    /// Source of [`Config::repositories`].
    pub repositories: ConfigSource,
}

/// Cache root and repositories, searched in order.
///
/// ```
/// use audmodel_core::{Config, Repository};
/// let config = Config::new("/tmp/cache", vec![Repository::new("models", "/tmp/repo", "file-system")]);
/// assert_eq!(config.repositories[0].name, "models");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Config {
    /// The cache folder (absolute, `~` expanded).
    pub cache_root: PathBuf,
    /// Repositories in lookup order; publishing defaults to the first.
    pub repositories: Vec<Repository>,
    /// Where the values came from.
    pub sources: ConfigSources,
    /// What in the files read looked wrong but did not stop them being
    /// used (an unknown key, at the top level or in a repository entry,
    /// naming it and the file), for the program to show.
    pub warnings: Vec<String>,
}

impl Config {
    /// A configuration set by the program (no file, no environment).
    pub fn new(cache_root: impl Into<PathBuf>, repositories: Vec<Repository>) -> Config {
        Config {
            cache_root: expand_home(&cache_root.into()),
            repositories,
            sources: ConfigSources {
                cache_root: ConfigSource::Program,
                repositories: ConfigSource::Program,
            },
            warnings: Vec::new(),
        }
    }

    /// `~/.config/audmodel.yaml` over the built-in [`DEFAULT_CONFIG`], then
    /// `AUDMODEL_CACHE_ROOT` (when set and not empty) over the cache root
    /// and the transfer variables ([`RETRIES_ENV`]) over every repository's
    /// settings.
    pub fn load() -> Result<Config, Error> {
        let mut config = Self::default_config()?;
        if let Some(home) = home_dir() {
            let file = home.join(USER_CONFIG_FILE);
            if file.exists() {
                config.apply_file(&file)?;
            }
        }
        config.apply_env();
        config.apply_transfer_env()?;
        Ok(config)
    }

    /// Overrides every repository's transfer settings with those of
    /// [`RETRIES_ENV`], [`RETRY_TIMEOUT_ENV`], [`CONNECT_TIMEOUT_ENV`] and
    /// [`STALL_TIMEOUT_ENV`] that are set and not empty; an error naming
    /// the variable when one is not a number.
    pub fn apply_transfer_env(&mut self) -> Result<(), Error> {
        let read = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        let bad = |name: &str, message: String| Error::Config {
            path: None,
            message: format!("{name}: {message}"),
        };
        for repo in &mut self.repositories {
            let mut transfer = repo.transfer;
            if let Some(text) = read(RETRIES_ENV) {
                transfer.retries = retries(&text).map_err(|m| bad(RETRIES_ENV, m))?;
            }
            for (name, field) in [
                (RETRY_TIMEOUT_ENV, &mut transfer.retry_timeout),
                (CONNECT_TIMEOUT_ENV, &mut transfer.connect_timeout),
                (STALL_TIMEOUT_ENV, &mut transfer.stall_timeout),
            ] {
                if let Some(text) = read(name) {
                    *field = seconds(&text).map_err(|m| bad(name, m))?;
                }
            }
            repo.transfer = transfer;
        }
        Ok(())
    }

    /// `path` over the built-in [`DEFAULT_CONFIG`] (no environment).
    pub fn from_yaml_file(path: impl AsRef<Path>) -> Result<Config, Error> {
        let mut config = Self::default_config()?;
        config.apply_file(path.as_ref())?;
        Ok(config)
    }

    /// The built-in configuration alone.
    pub fn default_config() -> Result<Config, Error> {
        let (cache_root, repositories) = parse(DEFAULT_CONFIG, None)?;
        Ok(Config {
            cache_root: expand_home(&cache_root.unwrap_or_else(|| PathBuf::from("~/audmodel"))),
            repositories: repositories.unwrap_or_default(),
            sources: ConfigSources {
                cache_root: ConfigSource::Default,
                repositories: ConfigSource::Default,
            },
            warnings: Vec::new(),
        })
    }

    /// Overrides the cache root with `AUDMODEL_CACHE_ROOT` when it is set and
    /// not empty, as the reference's `default_cache_root()` does.
    pub fn apply_env(&mut self) {
        if let Some(root) = std::env::var_os(CACHE_ROOT_ENV).filter(|v| !v.is_empty()) {
            self.cache_root = expand_home(Path::new(&root));
            self.sources.cache_root = ConfigSource::Env(CACHE_ROOT_ENV.to_owned());
        }
    }

    /// Top-level keys of the file replace those already set (as the
    /// reference's `dict.update`).
    fn apply_file(&mut self, path: &Path) -> Result<(), Error> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::Config {
            path: Some(path.to_path_buf()),
            message: format!("cannot read the file: {e}"),
        })?;
        let (cache_root, repositories) = parse(&text, Some(path))?;
        if let Ok(Value::Map(map)) = audmodel_uid::yaml::from_str(&text) {
            for key in unknown_keys(&map, &KNOWN_KEYS) {
                self.warnings.push(format!(
                    "unknown key '{key}' in '{}' is ignored (known: {})",
                    path.display(),
                    KNOWN_KEYS.join(", ")
                ));
            }
            // A misspelt optional key of an entry (`retry:`) would
            // otherwise leave its default in force without a word.
            let entries = match map.get("repositories") {
                Some(Value::List(list)) => list.as_slice(),
                _ => &[],
            };
            for entry in entries {
                let Value::Map(entry) = entry else { continue };
                let name = entry.get("name").and_then(scalar).unwrap_or_default();
                for key in unknown_keys(entry, &ENTRY_KEYS) {
                    self.warnings.push(format!(
                        "unknown key '{key}' of repository '{name}' in '{}' is ignored (known: {})",
                        path.display(),
                        ENTRY_KEYS.join(", ")
                    ));
                }
            }
        }
        if let Some(root) = cache_root {
            self.cache_root = expand_home(&root);
            self.sources.cache_root = ConfigSource::File(path.to_path_buf());
        }
        if let Some(repositories) = repositories {
            self.repositories = repositories;
            self.sources.repositories = ConfigSource::File(path.to_path_buf());
        }
        Ok(())
    }
}

/// The cache root: `AUDMODEL_CACHE_ROOT` when set, else the configured one,
/// as the reference's `default_cache_root()`.
pub fn default_cache_root() -> Result<PathBuf, Error> {
    Ok(Config::load()?.cache_root)
}

/// The top-level keys of a configuration file, as the reference's.
const KNOWN_KEYS: [&str; 2] = ["cache_root", "repositories"];

/// The keys of a repository entry: the reference's three, then ours.
const ENTRY_KEYS: [&str; 11] = [
    "name",
    "host",
    "backend",
    "conditional_writes",
    "retries",
    "retry_timeout",
    "connect_timeout",
    "stall_timeout",
    "account_name",
    "account_key",
    "service_account",
];

/// The keys of an entry that are a store's own (Azure, GCS credentials),
/// kept as written in [`Repository::settings`].
const STORE_KEYS: [&str; 3] = ["account_name", "account_key", "service_account"];

/// The keys of `map` not in `known`, as written (a key that is no string
/// as Python shows it).
fn unknown_keys<'a>(
    map: &'a audmodel_uid::Mapping,
    known: &'a [&str],
) -> impl Iterator<Item = String> + 'a {
    map.iter().filter_map(|(key, _)| match key {
        Value::Str(k) if known.contains(&k.as_str()) => None,
        Value::Str(k) => Some(k.clone()),
        other => Some(audmodel_uid::py_repr(other)),
    })
}

type Parsed = (Option<PathBuf>, Option<Vec<Repository>>);

fn parse(text: &str, path: Option<&Path>) -> Result<Parsed, Error> {
    let bad = |message: String| Error::Config {
        path: path.map(Path::to_path_buf),
        message,
    };
    let value = audmodel_uid::yaml::from_str(text).map_err(|e| bad(e.to_string()))?;
    let map = match value {
        Value::Null => return Ok((None, None)),
        Value::Map(map) => map,
        other => {
            return Err(bad(format!(
                "expected a mapping, found a {}",
                other.type_name()
            )));
        }
    };
    let cache_root = match map.get("cache_root") {
        None => None,
        Some(v) => {
            Some(PathBuf::from(scalar(v).ok_or_else(|| {
                bad("'cache_root' must be a folder name".to_owned())
            })?))
        }
    };
    let repositories = match map.get("repositories") {
        None => None,
        Some(Value::List(list)) if !list.is_empty() => {
            let mut repos: Vec<Repository> = Vec::new();
            for entry in list {
                let repo = repository(entry).map_err(&bad)?;
                // Lookups and `--repository NAME` could reach only the first.
                if repos.iter().any(|r| r.name == repo.name) {
                    return Err(bad(format!(
                        "two repositories are named '{}'; give each its own name",
                        repo.name
                    )));
                }
                repos.push(repo);
            }
            Some(repos)
        }
        Some(Value::List(_) | Value::Null) => {
            return Err(bad(
                "You cannot specify an empty 'repositories:' section.".to_owned()
            ));
        }
        Some(other) => {
            return Err(bad(format!(
                "'repositories' must be a list, found a {}",
                other.type_name()
            )));
        }
    };
    Ok((cache_root, repositories))
}

fn repository(entry: &Value) -> Result<Repository, String> {
    let shown = audmodel_uid::py_repr(entry);
    let Value::Map(map) = entry else {
        return Err(format!(
            "a repository must be a mapping with name, host and backend: '{shown}'"
        ));
    };
    let field = |key: &str| -> Result<String, String> {
        match map.get(key) {
            None => Err(format!(
                "Your repository is missing a '{key}' entry: '{shown}'."
            )),
            Some(v) => scalar(v).filter(|s| !s.is_empty()).ok_or_else(|| {
                format!("'{key}' of repository '{shown}' must be a non-empty string")
            }),
        }
    };
    let (name, host, backend) = (field("name")?, field("host")?, field("backend")?);
    // The built-in backends are the ones a configuration file may name.
    let known = audmodel_backend::Registry::default();
    if !known.names().contains(&backend.as_str()) {
        return Err(format!(
            "unknown backend '{backend}' of repository '{name}' (known: {})",
            known.names().join(", ")
        ));
    }
    let conditional = match map.get("conditional_writes") {
        None => ConditionalWrites::Auto,
        Some(Value::Bool(true)) => ConditionalWrites::Yes,
        Some(Value::Bool(false)) => ConditionalWrites::No,
        Some(v) => scalar(v)
            .as_deref()
            .and_then(ConditionalWrites::parse)
            .ok_or_else(|| {
                format!("'conditional_writes' of repository '{name}' must be auto, yes or no")
            })?,
    };
    let transfer = transfer_settings(map, &name)?;
    let mut repo = Repository::new(name, host, backend)
        .with_conditional_writes(conditional)
        .with_transfer(transfer);
    for key in STORE_KEYS {
        if let Some(value) = map.get(key) {
            let value = scalar(value).filter(|s| !s.is_empty()).ok_or_else(|| {
                format!(
                    "'{key}' of repository '{}' must be a non-empty string",
                    repo.name
                )
            })?;
            repo = repo.with_setting(key, value);
        }
    }
    Ok(repo)
}

/// The entry's `retries`, `retry_timeout`, `connect_timeout` and
/// `stall_timeout` (seconds) over the defaults.
fn transfer_settings(map: &audmodel_uid::Mapping, name: &str) -> Result<TransferSettings, String> {
    let mut transfer = TransferSettings::default();
    let text = |key: &str| -> Option<String> {
        map.get(key).map(|v| match v {
            Value::Float(f) => f.to_string(),
            other => scalar(other).unwrap_or_default(),
        })
    };
    if let Some(value) = text("retries") {
        transfer.retries =
            retries(&value).map_err(|m| format!("'retries' of repository '{name}': {m}"))?;
    }
    for (key, field) in [
        ("retry_timeout", &mut transfer.retry_timeout),
        ("connect_timeout", &mut transfer.connect_timeout),
        ("stall_timeout", &mut transfer.stall_timeout),
    ] {
        if let Some(value) = text(key) {
            *field = seconds(&value).map_err(|m| format!("'{key}' of repository '{name}': {m}"))?;
        }
    }
    Ok(transfer)
}

/// A number of retries: a whole number from 0 to 100.
fn retries(text: &str) -> Result<u32, String> {
    match text.trim().parse::<u32>() {
        Ok(n) if n <= 100 => Ok(n),
        _ => Err(format!("'{text}' is not a number of retries from 0 to 100")),
    }
}

/// A timeout in seconds, fractions allowed: more than 0, at most a day.
fn seconds(text: &str) -> Result<Duration, String> {
    match text.trim().parse::<f64>() {
        Ok(s) if s > 0.0 && s <= 86_400.0 => Ok(Duration::from_secs_f64(s)),
        _ => Err(format!(
            "'{text}' is not a number of seconds above 0 and at most 86400"
        )),
    }
}

/// The reference reads its configuration with PyYAML's `BaseLoader`, where
/// every scalar is a string; numbers are accepted here as their text.
fn scalar(value: &Value) -> Option<String> {
    match value {
        Value::Str(s) => Some(s.clone()),
        Value::Int(i) => Some(i.to_string()),
        _ => None,
    }
}

pub(crate) fn home_dir() -> Option<PathBuf> {
    std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .map(PathBuf::from)
}

/// Expands a leading `~` and makes the path absolute, as `audeer.safe_path`.
pub(crate) fn expand_home(path: &Path) -> PathBuf {
    let expanded = match (path.strip_prefix("~"), home_dir()) {
        (Ok(rest), Some(home)) => home.join(rest),
        _ => path.to_path_buf(),
    };
    std::path::absolute(&expanded).unwrap_or(expanded)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn transfer_keys_of_an_entry_and_bad_values_named() {
        let yaml = "repositories:\n  - name: b\n    host: h:1\n    backend: s3\n    retries: 2\n    retry_timeout: 7.5\n    stall_timeout: 5\n";
        let (_, repos) = parse(yaml, None).unwrap();
        let transfer = repos.unwrap()[0].transfer;
        assert_eq!(transfer.retries, 2);
        assert_eq!(transfer.retry_timeout, Duration::from_millis(7500));
        assert_eq!(transfer.stall_timeout, Duration::from_secs(5));
        assert_eq!(transfer.connect_timeout, Duration::from_secs(10));
        let bad = parse(
            &yaml.replace("stall_timeout: 5", "stall_timeout: soon"),
            None,
        );
        let text = bad.unwrap_err().to_string();
        assert!(text.contains("'stall_timeout' of repository 'b'"), "{text}");
        assert!(text.contains("'soon' is not a number of seconds"), "{text}");
        assert!(retries("101").is_err() && seconds("0").is_err());
    }
}
