//! Page 5, *Aliases*: every alias and the model it names.

use audmodel_core::AliasEntry;
use axum::extract::State;
use axum::response::Response;
use maud::{Markup, html};

use crate::ask::ask;
use crate::error::Failure;
use crate::layout;

async fn find(state: &crate::State) -> Result<Vec<AliasEntry>, Failure> {
    ask(state, |client| client.all_aliases()).await
}

/// `GET /aliases`
pub(crate) async fn page(State(state): State<crate::State>) -> Response {
    super::html(find(&state).await.map(|aliases| view(&aliases)))
}

/// `GET /api/aliases`: `[{alias, uid, repository}]`.
pub(crate) async fn api(State(state): State<crate::State>) -> Response {
    super::json(find(&state).await.map(|a| audmodel_core::json::aliases(&a)))
}

fn view(aliases: &[AliasEntry]) -> Markup {
    let body = html! {
        h1 { "Aliases" }
        @if aliases.is_empty() {
            p.empty { "No alias is set." }
        } @else {
            table #aliases {
                thead { tr { th { "Alias" } th { "Model" } th { "Repository" } } }
                tbody {
                    @for entry in aliases {
                        tr {
                            td { (entry.alias) }
                            td { a href=(layout::version_href(&entry.uid)) { (entry.uid) } }
                            td { (entry.repository) }
                        }
                    }
                }
            }
        }
    };
    layout::page("Aliases", body)
}
