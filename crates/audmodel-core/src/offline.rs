//! Working offline: answers from the cache alone (SPEC 5), without
//! touching any repository, and a clear error where the cache cannot
//! answer. Aliases resolved online are remembered in the hidden folder
//! `{cache}/.aliases/_{alias}` (the reference never looks there), so a cached
//! alias resolves offline too.

use crate::cache::list::CacheState;
use crate::cache::write_whole;
use crate::load::is_filled;
use crate::lookup::Model;
use crate::{Audmodel, Error};

/// The environment variable that, set to `1` (or `true`, `yes`), makes
/// [`Audmodel::from_env`] (and the CLI) work offline.
pub const OFFLINE_ENV: &str = "AUDMODEL_OFFLINE";

/// What the cache holds of a model, for offline errors.
enum Cached {
    /// Its folder (and so everything `load` gives).
    Model,
    /// Its header copy alone (it was looked up, never loaded).
    Header,
}

/// Whether [`OFFLINE_ENV`] asks for offline work.
pub fn offline_from_env() -> bool {
    std::env::var(OFFLINE_ENV)
        .is_ok_and(|v| matches!(v.trim().to_ascii_lowercase().as_str(), "1" | "true" | "yes"))
}

impl Audmodel {
    /// Works from the cache alone when `offline`: no repository is opened.
    /// `load` of a cached model, `header`, `meta` (the cached copy, not
    /// compared with the repository's), `versions` and `latest_version`
    /// (of the cached versions only) and `resolve_alias` of an alias
    /// resolved online before answer from the cache; everything else fails
    /// at once with [`Error::Offline`].
    ///
    /// ```
    /// use audmodel_core::{Audmodel, Config, ErrorKind, Mapping, PublishOptions, Repository};
    /// let dir = tempfile::tempdir().unwrap();
    /// let model = dir.path().join("model");
    /// std::fs::create_dir(&model).unwrap();
    /// std::fs::write(model.join("weights.bin"), b"0123").unwrap();
    /// std::fs::create_dir_all(dir.path().join("host/models")).unwrap();
    /// let repo = Repository::new("models", dir.path().join("host").to_str().unwrap(), "file-system");
    /// let config = Config::new(dir.path().join("cache"), vec![repo]);
    /// let online = Audmodel::new(config.clone());
    /// let uid = online
    ///     .publish(&model, "torch", &Mapping::new(), "1.0.0", &PublishOptions::default())
    ///     .unwrap();
    /// online.load(&uid).unwrap();
    /// let offline = Audmodel::new(config).with_offline(true);
    /// assert!(offline.load(&uid).is_ok());
    /// assert_eq!(offline.versions(&uid[..8]).unwrap(), ["1.0.0"]);
    /// let err = offline.load(&format!("{}-2.0.0", &uid[..8])).unwrap_err();
    /// assert_eq!(err.kind(), ErrorKind::Offline);
    /// ```
    pub fn with_offline(mut self, offline: bool) -> Self {
        self.repos.set_offline(offline);
        self
    }

    /// Whether this client works from the cache alone.
    pub fn is_offline(&self) -> bool {
        self.repos.is_offline()
    }

    /// The IDs the cache knows that start with `prefix`, sorted, for
    /// completing an ID as a person types it: the short ID and UIDs of
    /// each cached model (a model folder or a header copy), and each alias
    /// resolved online before with the UID it named then. Only folder
    /// names are read (and the alias copies), so it stays fast on a large
    /// cache; whatever cannot be read is left out.
    ///
    /// ```
    /// use audmodel_core::{Audmodel, Config, Mapping, PublishOptions, Repository};
    /// let dir = tempfile::tempdir().unwrap();
    /// let model = dir.path().join("model");
    /// std::fs::create_dir(&model).unwrap();
    /// std::fs::write(model.join("weights.bin"), b"0123").unwrap();
    /// std::fs::create_dir_all(dir.path().join("host/models")).unwrap();
    /// let repo = Repository::new("models", dir.path().join("host").to_str().unwrap(), "file-system");
    /// let client = Audmodel::new(Config::new(dir.path().join("cache"), vec![repo]));
    /// let options = PublishOptions::default().alias("my-net");
    /// let uid = client.publish(&model, "torch", &Mapping::new(), "1.0.0", &options).unwrap();
    /// client.load("my-net").unwrap();
    /// let (ids, aliases) = client.cached_ids(&uid[..2]);
    /// assert_eq!(ids, [uid[..8].to_owned(), uid.clone()]);
    /// assert!(aliases.is_empty());
    /// assert_eq!(client.cached_ids("my").1, [("my-net".to_owned(), uid)]);
    /// ```
    pub fn cached_ids(&self, prefix: &str) -> (Vec<String>, Vec<(String, String)>) {
        let root = &self.config.cache_root;
        let names = |dir: &std::path::Path| -> Vec<String> {
            std::fs::read_dir(dir)
                .into_iter()
                .flatten()
                .flatten()
                .filter_map(|e| e.file_name().into_string().ok())
                .filter(|name| !name.starts_with('.'))
                .collect()
        };
        let mut ids = Vec::new();
        for sid in names(root) {
            // Only a short ID's folder can hold a UID the prefix starts.
            if !(sid.starts_with(prefix) || prefix.starts_with(&sid)) {
                continue;
            }
            match audmodel_uid::ModelId::parse(&sid) {
                Ok(audmodel_uid::ModelId::ShortId(_)) => {}
                Ok(audmodel_uid::ModelId::Legacy(_)) => {
                    ids.push(sid);
                    continue;
                }
                _ => continue,
            }
            let mut versions: Vec<String> = names(&root.join(&sid))
                .into_iter()
                .filter_map(|name| match name.strip_suffix(".header.yaml") {
                    Some(version) => Some(version.to_owned()),
                    // A partial `{V}~` is no model; a copy is no folder.
                    None => (!name.ends_with('~') && !name.ends_with(".yaml")).then_some(name),
                })
                .collect();
            if versions.is_empty() {
                continue;
            }
            audmodel_uid::sort_versions(&mut versions);
            versions.dedup();
            ids.extend(versions.iter().map(|v| format!("{sid}-{v}")));
            ids.push(sid);
        }
        ids.retain(|id| id.starts_with(prefix));
        ids.sort();
        let mut aliases: Vec<(String, String)> = names(&root.join(".aliases"))
            .into_iter()
            .filter_map(|name| name.strip_prefix('_').map(str::to_owned))
            .filter(|alias| alias.starts_with(prefix))
            .filter_map(|alias| {
                let uid = self.cached_alias(&alias).ok()?;
                Some((alias, uid))
            })
            .collect();
        aliases.sort();
        (ids, aliases)
    }

    /// The cached versions of a short ID (a model folder or a header copy),
    /// ascending.
    pub(crate) fn cached_version_list(&self, sid: &str) -> Result<Vec<String>, Error> {
        let mut versions: Vec<String> = self
            .cached_versions(sid)?
            .into_iter()
            .filter(|m| m.state == CacheState::Complete || m.name.is_some())
            .map(|m| m.version)
            .collect();
        audmodel_uid::sort_versions(&mut versions);
        Ok(versions)
    }

    /// The error of a call that asks the repositories about a model,
    /// offline: `call` names it, `lacks` says (after "the cache") what the
    /// cache does not know of a model it holds. The reference's answer
    /// comes from the repositories even for a cached model, so a cached
    /// model is no answer here either; the error says what is cached and
    /// what is missing, not that the model is absent.
    pub(crate) fn cannot_tell(&self, id: &str, call: &str, lacks: &str) -> Error {
        let state = match self.resolve(id) {
            Ok(model) => {
                let uid = model.uid();
                match self.cached_part(&model) {
                    Some(Cached::Model) => {
                        format!("the model '{uid}' is cached, but the cache {lacks}")
                    }
                    Some(Cached::Header) => {
                        format!("the header of model '{uid}' is cached, but the cache {lacks}")
                    }
                    None => format!("the model '{uid}' is not in the cache"),
                }
            }
            Err(Error::ModelNotFound { .. }) => format!("the model '{id}' is not in the cache"),
            Err(e) => return e,
        };
        Error::Offline {
            what: format!("`{call}` asks the repositories and the cache cannot tell ({state})"),
        }
    }

    /// The error of a call that needs the repository holding `model`,
    /// offline.
    pub(crate) fn needs_repository(&self, model: &Model) -> Error {
        let uid = model.uid();
        let what = match self.cached_part(model) {
            Some(Cached::Model) => {
                format!("the model '{uid}' is cached, but this asks its repository")
            }
            Some(Cached::Header) => format!("only the header of model '{uid}' is in the cache"),
            None => format!("model '{uid}' is not in the cache"),
        };
        Error::Offline { what }
    }

    /// What of the model the cache holds.
    fn cached_part(&self, model: &Model) -> Option<Cached> {
        if is_filled(&self.cache_dir(&model.sid).join(&model.version)) {
            Some(Cached::Model)
        } else if self.cache_file(model, "header.yaml").is_file() {
            Some(Cached::Header)
        } else {
            None
        }
    }

    /// `{cache}/.aliases/_{alias}`, holding the UID the alias pointed to
    /// when it was last resolved online.
    fn alias_copy(&self, alias: &str) -> std::path::PathBuf {
        // `.` and `..` are valid aliases; a leading `_` keeps every alias
        // a plain file name.
        self.config
            .cache_root
            .join(".aliases")
            .join(format!("_{alias}"))
    }

    /// Remembers what an alias resolved to online; a cache that cannot be
    /// written only costs the offline answer.
    pub(crate) fn remember_alias(&self, alias: &str, uid: &str) {
        if audmodel_uid::validate_alias(alias).is_err() {
            return;
        }
        let _ = write_whole(&self.alias_copy(alias), format!("{uid}\n").as_bytes());
    }

    /// The UID an alias resolved to when last resolved online.
    pub(crate) fn cached_alias(&self, alias: &str) -> Result<String, Error> {
        // An alias names a file of the cache here: never a path.
        audmodel_uid::validate_alias(alias)?;
        let path = self.alias_copy(alias);
        match std::fs::read_to_string(&path) {
            Ok(text) if !text.trim().is_empty() => Ok(text.trim().to_owned()),
            _ => Err(Error::Offline {
                what: format!("alias '{alias}' was never resolved online"),
            }),
        }
    }
}
