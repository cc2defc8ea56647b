//! Page 1, *Models*: every published model of every repository, searched,
//! filtered, sorted and paged by the state in the URL.

use axum::extract::{Query, State};
use axum::response::Response;
use maud::{Markup, html};
use serde_json::json;

use crate::ask::ask;
use crate::catalog::{self, ModelRow};
use crate::error::Failure;
use crate::filter::{Column, ModelsQuery, PAGE_SIZE};
use crate::layout;

/// What the models list found for one URL.
struct Found {
    query: ModelsQuery,
    /// The rows of the asked page.
    rows: Vec<ModelRow>,
    /// Rows passing the filters, on all pages.
    total: usize,
    /// Every subgroup and subgroup prefix, for the filter's suggestions.
    subgroups: Vec<String>,
    /// What could not be read: repository, UID, why.
    problems: Vec<(String, Option<String>, String)>,
}

async fn find(state: &crate::State, pairs: &[(String, String)]) -> Result<Found, Failure> {
    let query = ModelsQuery::parse(pairs)?;
    let filter = query.filter()?;
    let listing = ask(state, |client| Ok(client.listing())).await?;
    let problems = listing
        .problems
        .iter()
        .map(|p| {
            let why = audmodel_core::error_chain(&p.error);
            (p.repository.clone(), p.uid.clone(), why)
        })
        .collect();
    let mut subgroups: Vec<String> = listing
        .models
        .iter()
        .filter_map(|m| m.header.subgroup.as_deref())
        .flat_map(|subgroup| {
            let parts: Vec<&str> = subgroup.split('.').collect();
            (1..=parts.len())
                .map(|n| parts[..n].join("."))
                .collect::<Vec<_>>()
        })
        .collect();
    subgroups.sort();
    subgroups.dedup();
    let matching = listing
        .models
        .into_iter()
        .filter(|m| filter.matches(&m.header))
        .collect();
    let mut rows = catalog::group(matching);
    catalog::sort(&mut rows, query.sort, query.descending);
    let total = rows.len();
    let rows = rows
        .into_iter()
        .skip((query.page - 1) * PAGE_SIZE)
        .take(PAGE_SIZE)
        .collect();
    Ok(Found {
        query,
        rows,
        total,
        subgroups,
        problems,
    })
}

/// `GET /`
pub(crate) async fn page(
    State(state): State<crate::State>,
    Query(pairs): Query<Vec<(String, String)>>,
) -> Response {
    super::html(find(&state, &pairs).await.map(|found| view(&found)))
}

/// `GET /api/models`: the page's rows (with the same query) and what could
/// not be read.
pub(crate) async fn api(
    State(state): State<crate::State>,
    Query(pairs): Query<Vec<(String, String)>>,
) -> Response {
    super::json(find(&state, &pairs).await.map(|found| {
        json!({
            "total": found.total,
            "page": found.query.page,
            "page_size": PAGE_SIZE,
            "models": found.rows.iter().map(ModelRow::json).collect::<Vec<_>>(),
            "problems": found.problems.iter().map(|(repository, uid, error)| json!({
                "repository": repository, "uid": uid, "error": error,
            })).collect::<Vec<_>>(),
        })
    }))
}

fn view(found: &Found) -> Markup {
    let query = &found.query;
    let pages = found.total.div_ceil(PAGE_SIZE).max(1);
    let first = (query.page - 1) * PAGE_SIZE;
    let body = html! {
        h1 { "Models" }
        form.filters method="get" action="/" {
            input type="search" name="q" value=(query.search)
                placeholder="Search names, subgroups, parameter values" aria-label="Search";
            input type="text" name="subgroup" value=(query.subgroup) list="subgroups"
                placeholder="Subgroup" aria-label="Subgroup";
            datalist #subgroups { @for s in &found.subgroups { option value=(s) {} } }
            @for param in &query.params {
                input type="text" name="param" value=(param) aria-label="Parameter filter";
            }
            input type="text" name="param" placeholder="key=value" aria-label="Parameter filter";
            @if query.sort != Column::Name { input type="hidden" name="sort" value=(query.sort.name()); }
            @if query.descending { input type="hidden" name="order" value="desc"; }
            button type="submit" { "Filter" }
            a href="/" { "Clear" }
        }
        @for (repository, uid, why) in &found.problems {
            p.error {
                "Repository " (repository)
                @if let Some(uid) = uid { ", model " (uid) }
                ": " (why)
            }
        }
        form method="get" action="/compare" {
            p.summary {
                @if found.total == 0 {
                    "No model matches."
                } @else {
                    "Models " (first + 1) "–" (first + found.rows.len()) " of " (found.total)
                }
                " "
                button type="submit" { "Compare selected" }
            }
            table.models #models {
                thead { tr {
                    th { span.sr { "Select" } }
                    @for column in Column::ALL { th { (sort_link(query, column)) } }
                    th { "Aliases" }
                } }
                tbody {
                    @for row in &found.rows { (model_row(row)) }
                }
            }
        }
        nav.pages {
            @if query.page > 1 {
                a rel="prev" href=(query.href(|q| q.page -= 1)) { "← Previous" }
            }
            span { "Page " (query.page) " of " (pages) }
            @if query.page < pages {
                a rel="next" href=(query.href(|q| q.page += 1)) { "Next →" }
            }
        }
    };
    layout::page("Models", body)
}

fn sort_link(query: &ModelsQuery, column: Column) -> Markup {
    let active = query.sort == column;
    let href = query.href(|q| {
        q.descending = active && !q.descending;
        q.sort = column;
        q.page = 1;
    });
    let arrow = match (active, query.descending) {
        (false, _) => "",
        (true, false) => " ▲",
        (true, true) => " ▼",
    };
    html! { a.sort href=(href) data-column=(column.name()) { (column.name()) (arrow) } }
}

fn model_row(row: &ModelRow) -> Markup {
    let latest = row.latest();
    let header = &latest.header;
    html! {
        tr data-sid=(latest.short_id) {
            td { input type="checkbox" name="uid" value=(latest.uid) aria-label="Select for comparison"; }
            td { a href=(layout::model_href(&latest.short_id)) { (header.name) } }
            td { (header.subgroup.as_deref().unwrap_or("")) }
            td { a href=(layout::version_href(&latest.uid)) { (header.version) } }
            td.number { (row.versions.len()) }
            td { (header.author) }
            td { (header.date.format("%Y-%m-%d").to_string()) }
            td { (latest.repository) }
            td { @for alias in &row.aliases { a.alias href=(layout::version_href(alias)) { (alias) } " " } }
        }
    }
}
