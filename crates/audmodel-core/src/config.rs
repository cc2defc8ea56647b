//! Configuration (SPEC 6): cache root and ordered repositories.

use std::path::{Path, PathBuf};

use audmodel_backend::{ConditionalWrites, Repository};
use audmodel_uid::Value;

use crate::Error;

/// The environment variable that overrides the cache root.
pub const CACHE_ROOT_ENV: &str = "AUDMODEL_CACHE_ROOT";

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
pub enum Source {
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
pub struct ConfigSources {
    /// Source of [`Config::cache_root`].
    pub cache_root: Source,
    /// Source of [`Config::repositories`].
    pub repositories: Source,
}

/// Cache root and repositories, searched in order.
///
/// ```
/// use audmodel_core::{Config, Repository};
/// let config = Config::new("/tmp/cache", vec![Repository::new("models", "/tmp/repo", "file-system")]);
/// assert_eq!(config.repositories[0].name, "models");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// The cache folder (absolute, `~` expanded).
    pub cache_root: PathBuf,
    /// Repositories in lookup order; publishing defaults to the first.
    pub repositories: Vec<Repository>,
    /// Where the values came from.
    pub sources: ConfigSources,
}

impl Config {
    /// A configuration set by the program (no file, no environment).
    pub fn new(cache_root: impl Into<PathBuf>, repositories: Vec<Repository>) -> Config {
        Config {
            cache_root: expand_home(&cache_root.into()),
            repositories,
            sources: ConfigSources {
                cache_root: Source::Program,
                repositories: Source::Program,
            },
        }
    }

    /// `~/.config/audmodel.yaml` over the built-in [`DEFAULT_CONFIG`], then
    /// `AUDMODEL_CACHE_ROOT` (when set and not empty) over the cache root.
    pub fn load() -> Result<Config, Error> {
        let mut config = Self::default_config()?;
        if let Some(home) = home_dir() {
            let file = home.join(USER_CONFIG_FILE);
            if file.exists() {
                config.apply_file(&file)?;
            }
        }
        config.apply_env();
        Ok(config)
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
                cache_root: Source::Default,
                repositories: Source::Default,
            },
        })
    }

    /// Overrides the cache root with `AUDMODEL_CACHE_ROOT` when it is set and
    /// not empty, as the reference's `default_cache_root()` does.
    pub fn apply_env(&mut self) {
        if let Some(root) = std::env::var_os(CACHE_ROOT_ENV).filter(|v| !v.is_empty()) {
            self.cache_root = expand_home(Path::new(&root));
            self.sources.cache_root = Source::Env(CACHE_ROOT_ENV.to_owned());
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
        if let Some(root) = cache_root {
            self.cache_root = expand_home(&root);
            self.sources.cache_root = Source::File(path.to_path_buf());
        }
        if let Some(repositories) = repositories {
            self.repositories = repositories;
            self.sources.repositories = Source::File(path.to_path_buf());
        }
        Ok(())
    }
}

/// The cache root: `AUDMODEL_CACHE_ROOT` when set, else the configured one,
/// as the reference's `default_cache_root()`.
pub fn default_cache_root() -> Result<PathBuf, Error> {
    Ok(Config::load()?.cache_root)
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
            let mut repos = Vec::new();
            for entry in list {
                repos.push(repository(entry).map_err(&bad)?);
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
    Ok(Repository::new(name, host, backend).with_conditional_writes(conditional))
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
