//! Comparing models side by side (`audmodel diff`, the compare page): their
//! header fields, parameters and metadata flattened to dotted keys.

use audmodel_uid::{Mapping, Value};

use crate::{Audmodel, Error, Header};

/// Two or more models side by side, from [`Audmodel::compare`].
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Comparison {
    /// The UIDs compared, in the order asked for.
    pub uids: Vec<String>,
    /// One row a key: `header.*` first, then `parameters.*`, then `meta.*`,
    /// each in the order the keys first appear.
    pub rows: Vec<ComparedRow>,
}

/// One key of a [`Comparison`] and its value in each model.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct ComparedRow {
    /// The dotted key (`meta.results.accuracy`).
    pub key: String,
    /// The value in each model, in the order of [`Comparison::uids`];
    /// `None` where a model lacks the key.
    pub values: Vec<Option<Value>>,
}

impl ComparedRow {
    /// Whether the models differ in this key (a missing key differs from
    /// any value).
    pub fn differs(&self) -> bool {
        self.values.windows(2).any(|pair| pair[0] != pair[1])
    }

    /// The values as numbers, when every present value is an integer or a
    /// float (not a boolean) and at least one is present: a metric to plot.
    pub fn numbers(&self) -> Option<Vec<Option<f64>>> {
        let numbers: Option<Vec<Option<f64>>> = self
            .values
            .iter()
            .map(|value| match value {
                None => Some(None),
                #[allow(clippy::cast_precision_loss)] // a plot needs no more
                Some(Value::Int(i)) => Some(Some(*i as f64)),
                Some(Value::Float(f)) if f.is_finite() => Some(Some(*f)),
                Some(_) => None,
            })
            .collect();
        numbers.filter(|n| n.iter().any(Option::is_some))
    }
}

impl Audmodel {
    /// The header fields, parameters and metadata of the models, flattened
    /// to dotted keys side by side. Each ID in any form; the metadata is
    /// read fresh.
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
    /// let publish = |version, accuracy| {
    ///     let options = PublishOptions::default().meta([("accuracy", accuracy)]);
    ///     client.publish(&model, "torch", &Mapping::new(), version, &options).unwrap()
    /// };
    /// let (a, b) = (publish("1.0.0", 0.5), publish("2.0.0", 0.75));
    /// let comparison = client.compare(&[&a, &b]).unwrap();
    /// let accuracy = comparison.rows.iter().find(|r| r.key == "meta.accuracy").unwrap();
    /// assert!(accuracy.differs());
    /// assert_eq!(accuracy.numbers(), Some(vec![Some(0.5), Some(0.75)]));
    /// ```
    pub fn compare(&self, ids: &[&str]) -> Result<Comparison, Error> {
        if ids.len() < 2 {
            return Err(Error::invalid(format!(
                "a comparison needs two or more models, got {}",
                ids.len()
            )));
        }
        let mut uids = Vec::new();
        let mut flat: Vec<Vec<(String, Value)>> = Vec::new();
        for id in ids {
            let uid = self.uid_of(id)?;
            let mut pairs = Vec::new();
            flatten_header(&self.header(&uid)?, &mut pairs);
            flatten("meta", &self.meta(&uid)?, &mut pairs);
            uids.push(uid);
            flat.push(pairs);
        }
        let mut keys: Vec<&str> = Vec::new();
        for (key, _) in flat.iter().flatten() {
            if !keys.contains(&key.as_str()) {
                keys.push(key);
            }
        }
        // Header fields, then parameters, then metadata, whatever the order
        // of first appearance among them.
        let section = |key: &str| match key.split('.').next() {
            Some("header") => 0,
            Some("parameters") => 1,
            _ => 2,
        };
        keys.sort_by_key(|key| section(key));
        let rows = keys
            .into_iter()
            .map(|key| ComparedRow {
                key: key.to_owned(),
                values: flat
                    .iter()
                    .map(|pairs| pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone()))
                    .collect(),
            })
            .collect();
        Ok(Comparison { uids, rows })
    }
}

fn flatten_header(header: &Header, out: &mut Vec<(String, Value)>) {
    out.push(("header.author".into(), header.author.as_str().into()));
    out.push(("header.date".into(), Value::Date(header.date)));
    out.push(("header.name".into(), header.name.as_str().into()));
    let subgroup = header.subgroup.as_deref().unwrap_or("");
    out.push(("header.subgroup".into(), subgroup.into()));
    out.push(("header.version".into(), header.version.as_str().into()));
    flatten("parameters", &header.parameters, out);
}

/// Nested mappings become dotted keys; other values (lists among them) stay whole.
fn flatten(prefix: &str, map: &Mapping, out: &mut Vec<(String, Value)>) {
    for (key, value) in map.iter() {
        let key = match key {
            Value::Str(s) => format!("{prefix}.{s}"),
            other => format!("{prefix}.{}", audmodel_uid::py_repr(other)),
        };
        match value {
            Value::Map(inner) if !inner.is_empty() => flatten(&key, inner, out),
            other => out.push((key, other.clone())),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn row(values: Vec<Option<Value>>) -> ComparedRow {
        ComparedRow {
            key: "k".into(),
            values,
        }
    }

    #[test]
    fn nested_metadata_becomes_dotted_keys() {
        let meta = audmodel_uid::yaml::from_str("{a: {b: 1, c: [1, 2]}, d: {}, 3: x}").unwrap();
        let mut out = Vec::new();
        flatten("meta", meta.as_map().unwrap(), &mut out);
        let keys: Vec<&str> = out.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, ["meta.a.b", "meta.a.c", "meta.d", "meta.3"]);
    }

    #[test]
    fn a_missing_key_differs_and_equal_values_do_not() {
        assert!(!row(vec![Some(1i64.into()), Some(1i64.into())]).differs());
        assert!(row(vec![Some(1i64.into()), None]).differs());
        assert!(row(vec![Some(1i64.into()), Some(2i64.into())]).differs());
    }

    #[test]
    fn only_numbers_are_plotted() {
        assert_eq!(
            row(vec![Some(1i64.into()), None, Some(Value::Float(0.5))]).numbers(),
            Some(vec![Some(1.0), None, Some(0.5)])
        );
        assert_eq!(row(vec![Some(Value::Bool(true))]).numbers(), None);
        assert_eq!(row(vec![Some("1".into())]).numbers(), None);
        assert_eq!(row(vec![None, None]).numbers(), None);
        assert_eq!(row(vec![Some(Value::Float(f64::NAN))]).numbers(), None);
    }
}
