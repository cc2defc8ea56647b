//! Metadata: reading through the cache and updating (SPEC 3, 5).

use audmodel_uid::{Mapping, Value};

use crate::cache::write_whole;
use crate::lookup::{Located, Model};
use crate::swap::read_modify_write;
use crate::{Audmodel, Error, MetaUpdate, lock, paths};

impl Audmodel {
    /// The metadata, with the cache copy refreshed when its MD5 differs from
    /// the repository's checksum (as the reference's `get_meta`).
    pub(crate) fn meta_of(&self, model: &Model) -> Result<Mapping, Error> {
        if self.is_offline() {
            let local = self.cache_file(model, "meta.yaml");
            let _lock = lock::lock(&local, lock::SHORT_TIMEOUT)?;
            return match std::fs::read(&local) {
                Ok(bytes) => parse_meta(&bytes, &local.display().to_string()),
                Err(_) => Err(Error::Offline {
                    what: format!(
                        "the metadata of model '{}' is not in the cache",
                        model.uid()
                    ),
                }),
            };
        }
        self.meta_at(&self.locate(model)?)
    }

    /// [`meta_of`](Self::meta_of) a model already located.
    fn meta_at(&self, at: &Located) -> Result<Mapping, Error> {
        self.header_at(at)?;
        let model = &at.model;
        let remote = paths::meta(&model.sid)?;
        let local = self.cache_file(model, "meta.yaml");
        let _lock = lock::lock(&local, lock::SHORT_TIMEOUT)?;
        let cached = match std::fs::read(&local) {
            Ok(bytes) => {
                let checksum = at
                    .versioned
                    .checksum(&remote, &model.version)
                    .map_err(at.backend_err())?;
                (audmodel_uid::md5_reader(&bytes[..]).map_err(Error::io(&local))? == checksum)
                    .then_some(bytes)
            }
            Err(_) => None,
        };
        let bytes = match cached {
            Some(bytes) => bytes,
            None => {
                let bytes = at
                    .versioned
                    .get_bytes(&remote, &model.version)
                    .map_err(at.backend_err())?;
                write_whole(&local, &bytes)?;
                bytes
            }
        };
        parse_meta(&bytes, &local.display().to_string())
    }

    /// Merges `meta` into the model's metadata (recursively, as the
    /// reference's `update_dict`) or replaces it, as `how` says, writes it
    /// to the repository and the cache, and returns the new metadata.
    ///
    /// Concurrent merges of one model each start from the other's result
    /// on stores with locks (turns) or compare-and-swap (a lost swap merges
    /// again into what the winner stored); on other stores one can be lost.
    ///
    /// ```
    /// use audmodel_core::{Audmodel, Config, Mapping, MetaUpdate, PublishOptions, Repository};
    /// let dir = tempfile::tempdir().unwrap();
    /// let model = dir.path().join("model");
    /// std::fs::create_dir(&model).unwrap();
    /// std::fs::write(model.join("weights.bin"), b"0123").unwrap();
    /// std::fs::create_dir_all(dir.path().join("host/models")).unwrap();
    /// let repo = Repository::new("models", dir.path().join("host").to_str().unwrap(), "file-system");
    /// let client = Audmodel::new(Config::new(dir.path().join("cache"), vec![repo]));
    /// let options = PublishOptions::default().meta([("epochs", 30)]);
    /// let uid = client.publish(&model, "torch", &Mapping::new(), "1.0.0", &options).unwrap();
    /// let merged = client.update_meta(&uid, &Mapping::from([("data", "emodb")]), MetaUpdate::Merge).unwrap();
    /// assert_eq!(merged.to_string(), "{'epochs': 30, 'data': 'emodb'}");
    /// let replaced = client.update_meta(&uid, &Mapping::new(), MetaUpdate::Replace).unwrap();
    /// assert_eq!(client.meta(&uid).unwrap(), replaced);
    /// assert!(replaced.is_empty());
    /// ```
    pub fn update_meta(&self, id: &str, meta: &Mapping, how: MetaUpdate) -> Result<Mapping, Error> {
        let model = self.resolve(id)?;
        let at = self.locate(&model)?;
        // Caches the header, as reading the metadata does.
        self.header_at(&at)?;
        let meta_path = paths::meta(&model.sid)?;
        let what = format!("of model '{}'", model.uid());
        let mut new = None;
        read_modify_write(
            &at.versioned,
            &at.repo,
            &meta_path,
            &model.version,
            |current| {
                let current = match current {
                    Some(bytes) => parse_meta(bytes, &what)?,
                    None => Mapping::new(),
                };
                let next = updated(current, meta, how);
                let text = audmodel_uid::yaml::to_string(&Value::Map(next.clone()));
                new = Some((next, text.clone()));
                Ok(Some(text.into_bytes()))
            },
        )?;
        let (new, text) = new.ok_or_else(|| Error::invalid("the metadata was not changed"))?;
        let local = self.cache_file(&model, "meta.yaml");
        let _lock = lock::lock(&local, lock::SHORT_TIMEOUT)?;
        // The reference writes a broken cache copy here and relies on the
        // checksum check to replace it; the real content is written instead.
        write_whole(&local, text.as_bytes())?;
        Ok(new)
    }
}

/// The metadata `current` after an update: `meta` itself when replacing,
/// else `meta` merged into it.
fn updated(current: Mapping, meta: &Mapping, how: MetaUpdate) -> Mapping {
    match how {
        MetaUpdate::Replace => meta.clone(),
        MetaUpdate::Merge => {
            let mut merged = current;
            merge(&mut merged, meta);
            merged
        }
    }
}

/// Metadata bytes to a mapping; `null` (no metadata) reads as `{}`, and
/// anything else that is not a mapping is a damaged file.
pub(crate) fn parse_meta(bytes: &[u8], what: &str) -> Result<Mapping, Error> {
    let what = format!("metadata '{what}'");
    let text = std::str::from_utf8(bytes).map_err(|e| Error::corrupt(what.clone(), e))?;
    match audmodel_uid::yaml::from_str(text) {
        Ok(Value::Null) => Ok(Mapping::new()),
        Ok(Value::Map(m)) => Ok(m),
        Ok(other) => Err(Error::corrupt(
            what,
            format!("a {} where a mapping belongs", other.type_name()),
        )),
        Err(e) => Err(Error::corrupt(what, e)),
    }
}

/// The reference's `update_dict`: nested mappings present on both sides are
/// merged, everything else in `src` replaces what `dst` holds.
pub(crate) fn merge(dst: &mut Mapping, src: &Mapping) {
    for (key, value) in src.iter() {
        let merged = match (dst.get_value(key), value) {
            (Some(Value::Map(old)), Value::Map(new)) => {
                let mut old = old.clone();
                merge(&mut old, new);
                Value::Map(old)
            }
            _ => value.clone(),
        };
        // `insert` replaces in place, keeping the key's position as a dict does.
        dst.insert(key.clone(), merged);
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn yaml(text: &str) -> Mapping {
        match audmodel_uid::yaml::from_str(text).unwrap() {
            Value::Map(m) => m,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn merge_is_the_references_update_dict() {
        let mut dst = yaml("a: {x: 1, y: 2}\nb: 1\nc: {z: 1}\n");
        merge(
            &mut dst,
            &yaml("a: {y: 3, w: 4}\nb: {n: 1}\nc: 5\nd: new\n"),
        );
        // Nested mappings merge in place; anything else replaces; new keys go last.
        assert_eq!(
            dst,
            yaml("a: {x: 1, y: 3, w: 4}\nb: {n: 1}\nc: 5\nd: new\n")
        );
    }

    #[test]
    fn no_metadata_reads_as_an_empty_mapping() {
        assert_eq!(parse_meta(b"null\n...\n", "m").unwrap(), Mapping::new());
        assert!(matches!(
            parse_meta(b"- a\n", "m"),
            Err(Error::Corrupt { .. })
        ));
        assert!(matches!(
            parse_meta(b"a: [", "m"),
            Err(Error::Corrupt { .. })
        ));
    }
}
