//! The state of the models page in its URL (search, filters, sort, page),
//! so a link shows the same list.

use audmodel_core::{ListFilter, Value};

use crate::error::Failure;

/// Rows on one page of the models list.
pub(crate) const PAGE_SIZE: usize = 50;

/// A column the models list can be sorted by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Column {
    Name,
    Subgroup,
    Version,
    Versions,
    Author,
    Date,
    Repository,
}

impl Column {
    pub(crate) const ALL: [Column; 7] = [
        Column::Name,
        Column::Subgroup,
        Column::Version,
        Column::Versions,
        Column::Author,
        Column::Date,
        Column::Repository,
    ];

    /// Its name in the URL and its heading.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Column::Name => "name",
            Column::Subgroup => "subgroup",
            Column::Version => "version",
            Column::Versions => "versions",
            Column::Author => "author",
            Column::Date => "date",
            Column::Repository => "repository",
        }
    }

    fn parse(text: &str) -> Option<Column> {
        Column::ALL.into_iter().find(|c| c.name() == text)
    }
}

/// What the models list shows, read from and written to its URL.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ModelsQuery {
    /// Text searched in names, subgroups and parameter values.
    pub(crate) search: String,
    /// A subgroup; models below it match too.
    pub(crate) subgroup: String,
    /// `key=value` parameter filters, as typed.
    pub(crate) params: Vec<String>,
    pub(crate) sort: Column,
    pub(crate) descending: bool,
    /// From 1.
    pub(crate) page: usize,
}

impl Default for ModelsQuery {
    fn default() -> Self {
        ModelsQuery {
            search: String::new(),
            subgroup: String::new(),
            params: Vec::new(),
            sort: Column::Name,
            descending: false,
            page: 1,
        }
    }
}

impl ModelsQuery {
    /// Reads the URL's query pairs; unknown keys are ignored, bad values
    /// named.
    pub(crate) fn parse(pairs: &[(String, String)]) -> Result<ModelsQuery, Failure> {
        let mut query = ModelsQuery::default();
        for (key, value) in pairs {
            let value = value.trim();
            match key.as_str() {
                "q" => query.search = value.to_owned(),
                "subgroup" => query.subgroup = value.to_owned(),
                "param" if !value.is_empty() => query.params.push(value.to_owned()),
                "sort" => {
                    query.sort = Column::parse(value)
                        .ok_or_else(|| Failure::bad_request(format!("cannot sort by '{value}'")))?;
                }
                "order" => query.descending = value == "desc",
                "page" => {
                    query.page = value.parse().ok().filter(|page| *page > 0).ok_or_else(|| {
                        Failure::bad_request(format!("'{value}' is no page number"))
                    })?;
                }
                _ => {}
            }
        }
        Ok(query)
    }

    /// The library's filter of these search and filters.
    pub(crate) fn filter(&self) -> Result<ListFilter, Failure> {
        let params = self
            .params
            .iter()
            .map(|pair| parse_param(pair))
            .collect::<Result<_, _>>()?;
        let mut filter = ListFilter::default();
        filter.subgroup = Some(self.subgroup.clone()).filter(|s| !s.is_empty());
        filter.params = params;
        filter.search = Some(self.search.clone()).filter(|s| !s.is_empty());
        Ok(filter)
    }

    /// This state as a query string (`?q=…`), with `change` applied.
    pub(crate) fn href(&self, change: impl FnOnce(&mut ModelsQuery)) -> String {
        let mut next = self.clone();
        change(&mut next);
        let defaults = ModelsQuery::default();
        let mut pairs: Vec<(&str, String)> = Vec::new();
        if !next.search.is_empty() {
            pairs.push(("q", next.search.clone()));
        }
        if !next.subgroup.is_empty() {
            pairs.push(("subgroup", next.subgroup.clone()));
        }
        pairs.extend(next.params.iter().map(|p| ("param", p.clone())));
        if next.sort != defaults.sort {
            pairs.push(("sort", next.sort.name().to_owned()));
        }
        if next.descending {
            pairs.push(("order", "desc".to_owned()));
        }
        if next.page != 1 {
            pairs.push(("page", next.page.to_string()));
        }
        let encoded: Vec<String> = pairs
            .iter()
            .map(|(k, v)| format!("{k}={}", encode(v)))
            .collect();
        format!("/?{}", encoded.join("&"))
    }
}

/// `key=value`, the value read as YAML 1.1, as `audmodel ls --param`.
fn parse_param(pair: &str) -> Result<(String, Value), Failure> {
    let bad = || Failure::bad_request(format!("the parameter filter '{pair}' is not KEY=VALUE"));
    let (key, value) = pair.split_once('=').ok_or_else(bad)?;
    let key = key.trim();
    if key.is_empty() {
        return Err(bad());
    }
    let value = audmodel_core::yaml::from_str(value.trim()).map_err(|e| {
        Failure::bad_request(format!(
            "the value of parameter filter '{pair}' is not YAML: {e}"
        ))
    })?;
    Ok((key.to_owned(), value))
}

/// Percent-encodes a query value (everything but unreserved characters).
pub(crate) fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn the_state_round_trips_through_its_url() {
        let query = ModelsQuery::parse(&pairs(&[
            ("q", "cnn & <b>"),
            ("subgroup", "audmodel.dummy"),
            ("param", "sampling_rate=16000"),
            ("sort", "date"),
            ("order", "desc"),
            ("page", "2"),
        ]))
        .unwrap();
        let href = query.href(|_| {});
        assert_eq!(
            href,
            "/?q=cnn%20%26%20%3Cb%3E&subgroup=audmodel.dummy&param=sampling_rate%3D16000&sort=date&order=desc&page=2"
        );
        let filter = query.filter().unwrap();
        assert_eq!(
            filter.params,
            [("sampling_rate".to_owned(), Value::Int(16000))]
        );
        assert_eq!(ModelsQuery::default().href(|_| {}), "/?");
    }

    #[test]
    fn bad_values_are_named() {
        for (key, value) in [("sort", "size"), ("page", "0"), ("page", "x")] {
            let failure = ModelsQuery::parse(&pairs(&[(key, value)])).unwrap_err();
            assert!(failure.message.contains(value), "{}", failure.message);
        }
        let query = ModelsQuery::parse(&pairs(&[("param", "novalue")])).unwrap();
        assert!(query.filter().unwrap_err().message.contains("novalue"));
    }
}
