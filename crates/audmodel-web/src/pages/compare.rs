//! Page 4, *Compare*: two or more versions side by side, with a
//! "differences only" switch and every numeric metadata key plotted.

use audmodel_core::{Comparison, ModelId, compare_versions};
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};

use crate::ask::ask;
use crate::error::Failure;
use crate::{layout, plot, values};

/// The UIDs (`uid=`, repeated), the switch (`diff=1`) and a key (`key=`).
struct Asked {
    ids: Vec<String>,
    differences_only: bool,
    key: Option<String>,
}

fn asked(pairs: &[(String, String)]) -> Result<Asked, Failure> {
    let mut asked = Asked {
        ids: Vec::new(),
        differences_only: false,
        key: None,
    };
    for (key, value) in pairs {
        match key.as_str() {
            "uid" => {
                super::valid_id(value)?;
                if !asked.ids.contains(value) {
                    asked.ids.push(value.clone());
                }
            }
            "diff" => asked.differences_only = value == "1" || value == "on",
            "key" => asked.key = Some(value.clone()),
            _ => {}
        }
    }
    if asked.ids.len() < 2 {
        return Err(Failure::bad_request(
            "pick two or more models to compare (uid=…&uid=…)",
        ));
    }
    Ok(asked)
}

async fn find(
    state: &crate::State,
    pairs: &[(String, String)],
) -> Result<(Asked, Comparison), Failure> {
    let asked = asked(pairs)?;
    let ids = asked.ids.clone();
    let comparison = ask(state, move |client| {
        // Versions left to right, as a metric is read across them, whatever
        // order the boxes were ticked in.
        let mut uids = ids
            .iter()
            .map(|id| client.uid_of(id))
            .collect::<Result<Vec<_>, _>>()?;
        uids.sort_by(|a, b| match (ModelId::parse(a), ModelId::parse(b)) {
            (
                Ok(ModelId::Uid {
                    short_id: x,
                    version: v,
                }),
                Ok(ModelId::Uid {
                    short_id: y,
                    version: w,
                }),
            ) => x.cmp(&y).then_with(|| compare_versions(&v, &w)),
            _ => a.cmp(b),
        });
        let uids: Vec<&str> = uids.iter().map(String::as_str).collect();
        client.compare(&uids)
    })
    .await?;
    Ok((asked, comparison))
}

/// `GET /compare?uid=…&uid=…[&diff=1]`
pub(crate) async fn page(
    State(state): State<crate::State>,
    Query(pairs): Query<Vec<(String, String)>>,
) -> Response {
    super::html(
        find(&state, &pairs)
            .await
            .map(|(asked, c)| view(&asked, &c)),
    )
}

/// `GET /api/compare?uid=…&uid=…`: as `audmodel diff --json`.
pub(crate) async fn api(
    State(state): State<crate::State>,
    Query(pairs): Query<Vec<(String, String)>>,
) -> Response {
    super::json(
        find(&state, &pairs)
            .await
            .map(|(_, c)| audmodel_core::json::comparison(&c)),
    )
}

/// `GET /compare/plot.svg?uid=…&uid=…&key=meta.…`: one metric's plot alone.
pub(crate) async fn plot(
    State(state): State<crate::State>,
    Query(pairs): Query<Vec<(String, String)>>,
) -> Response {
    let (asked, comparison) = match find(&state, &pairs).await {
        Ok(found) => found,
        Err(failure) => return failure.page(),
    };
    let key = asked.key.unwrap_or_default();
    let row = comparison.rows.iter().find(|row| row.key == key);
    match row.and_then(|row| row.numbers()) {
        Some(numbers) => (
            [(header::CONTENT_TYPE, "image/svg+xml")],
            plot::svg(&key, &labels(&comparison), &numbers).into_string(),
        )
            .into_response(),
        None => Failure::not_found(format!("no numeric key '{key}' in these models")).page(),
    }
}

/// A column's label: the version, or the UID where versions repeat.
fn labels(comparison: &Comparison) -> Vec<String> {
    let versions: Vec<String> = comparison
        .rows
        .iter()
        .find(|row| row.key == "header.version")
        .map(|row| {
            row.values
                .iter()
                .map(|v| v.as_ref().map(values::text).unwrap_or_default())
                .collect()
        })
        .unwrap_or_default();
    let mut unique = versions.clone();
    unique.sort();
    unique.dedup();
    match unique.len() == comparison.uids.len() {
        true => versions,
        false => comparison.uids.clone(),
    }
}

fn view(asked: &Asked, comparison: &Comparison) -> Markup {
    let labels = labels(comparison);
    let differing = comparison.rows.iter().filter(|r| r.differs()).count();
    let plots: Vec<_> = comparison
        .rows
        .iter()
        .filter(|row| row.key.starts_with("meta."))
        .filter_map(|row| row.numbers().map(|numbers| (row.key.as_str(), numbers)))
        .collect();
    let body = html! {
        h1 { "Compare " (comparison.uids.len()) " models" }
        form.switch method="get" action="/compare" {
            @for id in &asked.ids { input type="hidden" name="uid" value=(id); }
            label {
                input #differences-only type="checkbox" name="diff" value="1" checked[asked.differences_only];
                " Differences only (" (differing) " of " (comparison.rows.len()) " keys differ)"
            }
            noscript { " " button type="submit" { "Apply" } }
        }
        table.compare #compare .hide-same[asked.differences_only] {
            thead { tr {
                th { "key" }
                @for (uid, label) in comparison.uids.iter().zip(&labels) {
                    th { a href=(layout::version_href(uid)) title=(uid) { (label) } }
                }
            } }
            tbody {
                @for row in &comparison.rows {
                    tr.same[!row.differs()] .differs[row.differs()] {
                        th { (row.key) }
                        @for value in &row.values {
                            td {
                                @match value {
                                    Some(value) => (values::text(value)),
                                    None => span.missing { "—" },
                                }
                            }
                        }
                    }
                }
            }
        }
        @if !plots.is_empty() {
            section.plots #plots {
                h2 { "Metrics" }
                @for (key, numbers) in &plots { (plot::svg(key, &labels, numbers)) }
            }
        }
    };
    layout::page("Compare", body)
}
