//! Aliases (SPEC 3): `/_alias/{alias}.alias.yaml` maps an alias to a UID,
//! `/_uid/{sid}.aliases.yaml` lists the aliases of a model.

use audmodel_backend::PutMode;
use audmodel_uid::{Mapping, Value};

use crate::lookup::Located;
use crate::turn::turn;
use crate::{Audmodel, Error, paths};

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
        let what = format!("Failed to parse alias file of '{alias}'");
        let text = String::from_utf8(bytes).map_err(|e| Error::corrupt(what.clone(), e))?;
        let value =
            audmodel_uid::yaml::from_str(&text).map_err(|e| Error::corrupt(what.clone(), e))?;
        let corrupt = |why: String| Error::corrupt(what.clone(), why);
        match value.as_map().and_then(|m| m.get("uid")) {
            Some(Value::Str(uid)) => Ok((index, uid.clone())),
            _ => Err(corrupt("no 'uid' entry".to_owned())),
        }
    }

    /// The aliases of the model (empty when it has none).
    pub fn aliases(&self, id: &str) -> Result<Vec<String>, Error> {
        let model = self.resolve(id)?;
        read_aliases(&self.locate(&model)?)
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
    pub fn set_alias(&self, alias: &str, id: &str) -> Result<(), Error> {
        audmodel_uid::validate_alias(alias)?;
        let model = self.resolve(id)?;
        let at = self.locate(&model)?;
        // Caches the header, as the reference does.
        self.header_at(&at)?;
        // Movers of one alias, and publishers asking for it, take turns.
        let path = paths::alias(alias)?;
        let _turn = turn(&at.versioned, &path, paths::ALIAS_VERSION).map_err(at.backend_err())?;

        match self.find_alias(alias) {
            Ok((_, old_uid)) => {
                if let Ok(old) = self.resolve(&old_uid)
                    && let Ok(old_at) = self.locate(&old)
                {
                    let aliases = read_aliases(&old_at)?;
                    if aliases.iter().any(|a| a == alias) {
                        let kept: Vec<String> =
                            aliases.into_iter().filter(|a| a != alias).collect();
                        write_aliases(&old_at, &kept)?;
                    }
                }
            }
            Err(Error::AliasNotFound { .. }) => {}
            Err(e) => return Err(e),
        }

        let mut aliases = read_aliases(&at)?;
        if !aliases.iter().any(|a| a == alias) {
            aliases.push(alias.to_owned());
            write_aliases(&at, &aliases)?;
        }

        at.versioned
            .put_bytes(
                alias_yaml(&model.uid()).as_bytes(),
                &path,
                paths::ALIAS_VERSION,
                PutMode::Overwrite,
            )
            .map_err(at.backend_err())?;
        for other in (0..self.repos.len()).filter(|&i| i != at.index) {
            let Ok(v) = self.repos.open(other) else {
                continue;
            };
            if v.exists(&path, paths::ALIAS_VERSION).unwrap_or(false) {
                v.delete(&path, paths::ALIAS_VERSION)
                    .map_err(Error::backend(&self.repos.repository(other).name))?;
            }
        }
        Ok(())
    }
}

/// The aliases file of a located model; empty when there is none.
pub(crate) fn read_aliases(at: &Located) -> Result<Vec<String>, Error> {
    let model = &at.model;
    let path = paths::aliases(&model.sid)?;
    if !at
        .versioned
        .exists(&path, &model.version)
        .map_err(at.backend_err())?
    {
        return Ok(Vec::new());
    }
    let bytes = at
        .versioned
        .get_bytes(&path, &model.version)
        .map_err(at.backend_err())?;
    let what = format!("aliases file of '{}'", model.uid());
    let text = String::from_utf8(bytes).map_err(|e| Error::corrupt(what.clone(), e))?;
    let value = audmodel_uid::yaml::from_str(&text).map_err(|e| Error::corrupt(what.clone(), e))?;
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

fn write_aliases(at: &Located, aliases: &[String]) -> Result<(), Error> {
    at.versioned
        .put_bytes(
            aliases_yaml(aliases).as_bytes(),
            &paths::aliases(&at.model.sid)?,
            &at.model.version,
            PutMode::Overwrite,
        )
        .map_err(at.backend_err())
}
