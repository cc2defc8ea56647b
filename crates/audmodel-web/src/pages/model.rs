//! Page 2, *Model*: one short ID's version history, parameters, the latest
//! version's metadata, and how to load it.

use audmodel_core::{Mapping, ModelId};
use axum::extract::{Path, State};
use axum::response::Response;
use maud::{Markup, html};
use serde_json::json;

use crate::ask::ask;
use crate::catalog::{self, ModelRow};
use crate::error::Failure;
use crate::{layout, values};

/// What the page shows of one model.
struct Found {
    row: ModelRow,
    /// The archive size of each version, or why it could not be read.
    sizes: Vec<Result<u64, String>>,
    /// The latest version's metadata, or why it could not be read.
    meta: Result<Mapping, String>,
}

async fn find(state: &crate::State, sid: String) -> Result<Found, Failure> {
    if !matches!(
        super::valid_id(&sid)?,
        ModelId::ShortId(_) | ModelId::Legacy(_)
    ) {
        return Err(Failure::bad_request(format!(
            "'{sid}' is no short ID (8 hex digits, as d4e9c65b)"
        )));
    }
    let wanted = sid.clone();
    let listing = ask(state, move |client| {
        let listing = client.model_listing(&wanted);
        match (
            listing.models.is_empty(),
            listing.problems.into_iter().next(),
        ) {
            // The model may be in the repository that could not be read.
            (true, Some(problem)) => Err(problem.error),
            _ => Ok(listing.models),
        }
    })
    .await?;
    let row = catalog::group(listing)
        .pop()
        .ok_or_else(|| Failure::not_found(format!("no model with short ID '{sid}'")))?;
    let uids: Vec<String> = row.versions.iter().map(|v| v.uid.clone()).collect();
    let latest = row.latest().uid.clone();
    let (sizes, meta) = ask(state, move |client| {
        let sizes = uids
            .iter()
            .map(|uid| {
                client
                    .archive(uid)
                    .and_then(|archive| archive.size())
                    .map_err(|e| audmodel_core::error_chain(&e))
            })
            .collect();
        let meta = client
            .meta(&latest)
            .map_err(|e| audmodel_core::error_chain(&e));
        Ok((sizes, meta))
    })
    .await?;
    Ok(Found { row, sizes, meta })
}

/// `GET /models/{sid}`
pub(crate) async fn page(State(state): State<crate::State>, Path(sid): Path<String>) -> Response {
    super::html(find(&state, sid).await.map(|found| view(&found)))
}

/// `GET /api/models/{sid}`: every version in the form of `ls --json` with
/// its archive size, and the latest version's metadata.
pub(crate) async fn api(State(state): State<crate::State>, Path(sid): Path<String>) -> Response {
    super::json(find(&state, sid).await.map(|found| {
        let versions: Vec<_> = found
            .row
            .versions
            .iter()
            .zip(&found.sizes)
            .map(|(version, size)| {
                let mut json = audmodel_core::json::summary(version);
                json["archive_size"] = match size {
                    Ok(size) => json!(size),
                    Err(_) => json!(null),
                };
                json
            })
            .collect();
        json!({
            "short_id": found.row.latest().short_id,
            "versions": versions,
            "meta": found.meta.as_ref().ok()
                .map(|m| audmodel_core::json::value(&audmodel_core::Value::Map(m.clone()))),
        })
    }))
}

fn view(found: &Found) -> Markup {
    let latest = found.row.latest();
    let header = &latest.header;
    let python = format!("audmodel.load(\"{}\")", latest.uid);
    let cli = format!("audmodel load {}", latest.uid);
    let body = html! {
        h1 { (header.name) " " span.muted { (latest.short_id) } }
        p.muted {
            @if let Some(subgroup) = &header.subgroup { "Subgroup " (subgroup) " · " }
            "repository " (latest.repository)
        }
        section {
            h2 { "Load the latest version" }
            p { "Python: " (layout::copyable(&python)) }
            p { "Command line: " (layout::copyable(&cli)) }
        }
        section {
            h2 { "Versions" }
            form method="get" action="/compare" {
                table.versions #versions {
                    thead { tr {
                        th { span.sr { "Select" } }
                        th { "Version" } th { "Date" } th { "Author" } th { "Aliases" } th { "Archive" }
                    } }
                    tbody {
                        @for (version, size) in found.row.versions.iter().zip(&found.sizes).rev() {
                            tr {
                                td { input type="checkbox" name="uid" value=(version.uid) aria-label="Select for comparison"; }
                                td { a href=(layout::version_href(&version.uid)) { (version.header.version) } }
                                td { (version.header.date.format("%Y-%m-%d").to_string()) }
                                td { (version.header.author) }
                                td { @for alias in &version.aliases { a.alias href=(layout::version_href(alias)) { (alias) } " " } }
                                td.number {
                                    @match size {
                                        Ok(size) => (layout::size(*size)),
                                        Err(why) => span.error { (why) },
                                    }
                                }
                            }
                        }
                    }
                }
                button type="submit" { "Compare selected" }
            }
        }
        section {
            h2 { "Parameters" }
            (values::table(&header.parameters))
        }
        section {
            h2 { "Metadata of " (header.version) }
            @match &found.meta {
                Ok(meta) => (values::table(meta)),
                Err(why) => p.error { (why) },
            }
        }
    };
    layout::page(&header.name, body)
}
