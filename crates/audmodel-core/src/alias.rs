//! Aliases (SPEC 3): `/_alias/{alias}.alias.yaml` maps an alias to a UID,
//! `/_uid/{sid}.aliases.yaml` lists the aliases of a model.

use audmodel_backend::Versioned;
use audmodel_uid::{Mapping, Value};

use crate::lookup::Located;
use crate::swap::read_modify_write;
use crate::{Audmodel, Error, paths};

/// An alias, the model it names, and where its file lies.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct AliasEntry {
    /// The alias.
    pub alias: String,
    /// The UID it points to.
    pub uid: String,
    /// The repository holding the alias file.
    pub repository: String,
}

/// The alias file's content: `uid: {uid}`.
pub(crate) fn alias_yaml(uid: &str) -> String {
    let mut map = Mapping::new();
    map.insert("uid", uid);
    audmodel_uid::yaml::to_string(&Value::Map(map))
}

/// The aliases file's content: `aliases:` and the sorted list.
pub(crate) fn aliases_yaml(aliases: &[String]) -> String {
    let mut sorted = aliases.to_vec();
    sorted.sort();
    let mut map = Mapping::new();
    map.insert(
        "aliases",
        Value::List(sorted.into_iter().map(Value::Str).collect()),
    );
    audmodel_uid::yaml::to_string(&Value::Map(map))
}

impl Audmodel {
    /// The UID an alias points to (the first repository holding the alias
    /// file wins).
    pub fn resolve_alias(&self, alias: &str) -> Result<String, Error> {
        if self.is_offline() {
            return self.cached_alias(alias);
        }
        let uid = self.find_alias(alias)?.1;
        self.remember_alias(alias, &uid);
        Ok(uid)
    }

    /// The repository index holding the alias file, and its UID.
    fn find_alias(&self, alias: &str) -> Result<(usize, String), Error> {
        let not_found = || Error::AliasNotFound {
            alias: alias.to_owned(),
        };
        let Ok(path) = paths::alias(alias) else {
            return Err(not_found());
        };
        let found = self.repos.first(|index, versioned| {
            if !versioned.exists(&path, paths::ALIAS_VERSION)? {
                return Ok(None);
            }
            Ok(Some((
                index,
                versioned.get_bytes(&path, paths::ALIAS_VERSION)?,
            )))
        })?;
        let (index, bytes) = found.ok_or_else(not_found)?;
        Ok((index, parse_alias(&bytes, alias)?))
    }

    /// The aliases of the model (empty when it has none).
    pub fn aliases(&self, id: &str) -> Result<Vec<String>, Error> {
        if self.is_offline() {
            return Err(self.cannot_tell(id, "aliases", "keeps no list of a model's aliases"));
        }
        let model = self.resolve(id)?;
        read_aliases(&self.locate(&model)?)
    }

    /// Every alias of every repository with the UID it names and the
    /// repository holding its file, sorted by alias; an alias in two
    /// repositories counts in the first, as [`resolve_alias`](Self::resolve_alias)
    /// finds it. One listing a repository and one read an alias.
    pub fn all_aliases(&self) -> Result<Vec<AliasEntry>, Error> {
        let folder = paths::alias_folder()?;
        let mut found: Vec<AliasEntry> = Vec::new();
        for index in 0..self.repos.len() {
            let repository = &self.repos.repository(index).name;
            let versioned = self.repos.open(index)?;
            let listed = versioned
                .list(&folder)
                .map_err(Error::backend(repository))?;
            for (path, version) in listed {
                let (_, name) = path.split();
                let Some(alias) = name.strip_suffix(".alias.yaml") else {
                    continue;
                };
                if version != paths::ALIAS_VERSION || found.iter().any(|a| a.alias == alias) {
                    continue;
                }
                let bytes = versioned
                    .get_bytes(&path, &version)
                    .map_err(Error::backend(repository))?;
                found.push(AliasEntry {
                    alias: alias.to_owned(),
                    uid: parse_alias(&bytes, alias)?,
                    repository: repository.clone(),
                });
            }
        }
        found.sort_by(|a, b| a.alias.cmp(&b.alias));
        Ok(found)
    }

    /// Points `alias` at the model: removes it from the aliases of the model
    /// it pointed to, adds it to the new model's, and writes the alias file
    /// into the new model's repository.
    ///
    /// Unlike the reference (which writes the old model's shortened list
    /// into the new model's repository and leaves an alias file of the same
    /// name in an earlier repository in place), the old list is written where
    /// the old model lives, and alias files of the same name in other
    /// repositories are removed, so the alias resolves to the new model.
    ///
    /// Concurrent moves of one alias: the alias file is changed in one
    /// read-modify-write (under its turn on stores with locks, by
    /// compare-and-swap on stores with it), which orders the movers; then
    /// each mover brings the aliases file of every model it saw named by
    /// the alias in line with what the alias file names (again each by a
    /// read-modify-write), and repeats until the alias file stayed the same
    /// while it did. When the movers are done the alias file names one
    /// model, whose aliases file lists the alias, and no other model's that
    /// a mover saw does. On stores with neither, movers can lose each
    /// other's changes to an aliases file.
    pub fn set_alias(&self, alias: &str, id: &str) -> Result<(), Error> {
        audmodel_uid::validate_alias(alias)?;
        let model = self.resolve(id)?;
        let at = self.locate(&model)?;
        // Caches the header, as the reference does.
        self.header_at(&at)?;
        let uid = model.uid();
        // On stores with locks the swap below takes the alias file's turn,
        // the one publishers asking for the alias take too.
        let path = paths::alias(alias)?;

        // The models whose aliases file may name the alias.
        let mut seen = vec![uid.clone()];
        match self.find_alias(alias) {
            Ok((_, old_uid)) => seen.push(old_uid),
            Err(Error::AliasNotFound { .. }) => {}
            Err(e) => return Err(e),
        }
        let text = alias_yaml(&uid);
        read_modify_write(
            &at.versioned,
            &at.repo,
            &path,
            paths::ALIAS_VERSION,
            |current| {
                if let Some(bytes) = current {
                    let old = parse_alias(bytes, alias)?;
                    if !seen.contains(&old) {
                        seen.push(old);
                    }
                }
                Ok((current != Some(text.as_bytes())).then(|| text.clone().into_bytes()))
            },
        )?;
        for other in (0..self.repos.len()).filter(|&i| i != at.index) {
            let Ok(v) = self.repos.open(other) else {
                continue;
            };
            if v.exists(&path, paths::ALIAS_VERSION).unwrap_or(false) {
                v.delete(&path, paths::ALIAS_VERSION)
                    .map_err(Error::backend(&self.repos.repository(other).name))?;
            }
        }
        self.settle_aliases(&at.versioned, &at.repo, alias, &mut seen)
    }

    /// Points `alias` at `uid`, a model being published to `versioned`
    /// (the repository `repo`), before its header is written: one
    /// read-modify-write of the alias file (by compare-and-swap where the
    /// store has it), refused with [`Error::AliasTaken`] when the file
    /// names another registered model by then, so a mover that came first
    /// keeps the alias. Returns the models the alias named, for
    /// [`settle_aliases`](Self::settle_aliases) once the model is
    /// registered: a mover that moved the alias away meanwhile could not
    /// yet take it off this model's aliases file.
    pub(crate) fn take_alias_for_publish(
        &self,
        versioned: &Versioned,
        repo: &str,
        alias: &str,
        uid: &str,
    ) -> Result<Vec<String>, Error> {
        let path = paths::alias(alias)?;
        let text = alias_yaml(uid);
        let mut seen = vec![uid.to_owned()];
        read_modify_write(versioned, repo, &path, paths::ALIAS_VERSION, |current| {
            if let Some(bytes) = current {
                let old = parse_alias(bytes, alias)?;
                if old != uid && self.exists(&old)? {
                    return Err(Error::AliasTaken {
                        alias: alias.to_owned(),
                        uid: old,
                    });
                }
                if !seen.contains(&old) {
                    seen.push(old);
                }
            }
            Ok((current != Some(text.as_bytes())).then(|| text.clone().into_bytes()))
        })?;
        Ok(seen)
    }

    /// Brings the aliases files of the models in `seen` in line with the
    /// alias file in `versioned` (the repository `repo`): the alias listed
    /// by the model it names, by no other; until the alias file stayed the
    /// same meanwhile. A mover that read the alias file before another
    /// moved it repeats, so the last pass of every mover saw the alias
    /// file's final content.
    pub(crate) fn settle_aliases(
        &self,
        versioned: &Versioned,
        repo: &str,
        alias: &str,
        seen: &mut Vec<String>,
    ) -> Result<(), Error> {
        let path = paths::alias(alias)?;
        let target = || -> Result<Option<Vec<u8>>, Error> {
            match versioned.get_bytes(&path, paths::ALIAS_VERSION) {
                Ok(bytes) => Ok(Some(bytes)),
                Err(audmodel_backend::Error::NotFound { .. }) => Ok(None),
                Err(e) => Err(Error::backend(repo)(e)),
            }
        };
        for _ in 0..SETTLE_PASSES {
            let before = target()?;
            let named = match &before {
                Some(bytes) => Some(parse_alias(bytes, alias)?),
                None => None,
            };
            if let Some(named) = &named
                && !seen.contains(named)
            {
                seen.push(named.clone());
            }
            for uid in seen.iter() {
                let Ok(model) = self.resolve(uid) else {
                    continue; // not registered (a publish was killed): no list to keep
                };
                let Ok(model_at) = self.locate(&model) else {
                    continue;
                };
                list_alias(&model_at, alias, named.as_deref() == Some(uid.as_str()))?;
            }
            if target()? == before {
                return Ok(());
            }
        }
        Err(Error::Contention {
            repository: repo.to_owned(),
            path: format!("the aliases files of the models named by alias '{alias}'"),
            attempts: SETTLE_PASSES,
        })
    }
}

/// Passes of [`Audmodel::settle_aliases`] before giving up: each pass but
/// the last is repeated only because another mover moved the alias.
const SETTLE_PASSES: u32 = 40;

/// The UID an alias file names.
pub(crate) fn parse_alias(bytes: &[u8], alias: &str) -> Result<String, Error> {
    let what = format!("Failed to parse alias file of '{alias}'");
    let text = std::str::from_utf8(bytes).map_err(|e| Error::corrupt(what.clone(), e))?;
    let value = audmodel_uid::yaml::from_str(text).map_err(|e| Error::corrupt(what.clone(), e))?;
    match value.as_map().and_then(|m| m.get("uid")) {
        Some(Value::Str(uid)) => Ok(uid.clone()),
        _ => Err(Error::corrupt(what, "no 'uid' entry")),
    }
}

/// The aliases file of a located model; empty when there is none.
pub(crate) fn read_aliases(at: &Located) -> Result<Vec<String>, Error> {
    read_aliases_of(&at.versioned, &at.repo, &at.model.sid, &at.model.version)
}

/// The aliases file of the model `{sid}-{version}` in a repository; empty
/// when there is none. One request.
pub(crate) fn read_aliases_of(
    versioned: &Versioned,
    repository: &str,
    sid: &str,
    version: &str,
) -> Result<Vec<String>, Error> {
    let path = paths::aliases(sid)?;
    match versioned.get_bytes(&path, version) {
        Ok(bytes) => parse_aliases(&bytes, &format!("{sid}-{version}")),
        Err(audmodel_backend::Error::NotFound { .. }) => Ok(Vec::new()),
        Err(e) => Err(Error::backend(repository)(e)),
    }
}

/// The list in an aliases file of the model `uid`.
fn parse_aliases(bytes: &[u8], uid: &str) -> Result<Vec<String>, Error> {
    let what = format!("aliases file of '{uid}'");
    let text = std::str::from_utf8(bytes).map_err(|e| Error::corrupt(what.clone(), e))?;
    let value = audmodel_uid::yaml::from_str(text).map_err(|e| Error::corrupt(what.clone(), e))?;
    match value.as_map().and_then(|m| m.get("aliases")) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::List(items)) => Ok(items
            .iter()
            .map(|v| match v {
                Value::Str(s) => s.clone(),
                other => audmodel_uid::py_repr(other),
            })
            .collect()),
        Some(other) => Err(Error::corrupt(
            what,
            format!("'aliases' is a {}", other.type_name()),
        )),
    }
}

/// Adds `alias` to the aliases file of a located model (`listed`) or
/// removes it, by a read-modify-write of that file; writes nothing when it
/// is so already.
fn list_alias(at: &Located, alias: &str, listed: bool) -> Result<(), Error> {
    let uid = at.model.uid();
    read_modify_write(
        &at.versioned,
        &at.repo,
        &paths::aliases(&at.model.sid)?,
        &at.model.version,
        |current| {
            let mut aliases = match current {
                Some(bytes) => parse_aliases(bytes, &uid)?,
                None => Vec::new(),
            };
            if aliases.iter().any(|a| a == alias) == listed {
                return Ok(None);
            }
            match listed {
                true => aliases.push(alias.to_owned()),
                false => aliases.retain(|a| a != alias),
            }
            Ok(Some(aliases_yaml(&aliases).into_bytes()))
        },
    )
}
