//! Page 3, *Version*: one UID (or alias): header, metadata, aliases, the
//! archive's size, checksum and files, where it lies, and its download.

use audmodel_core::{Archive, ArchiveFile, Header, Mapping, UrlKind};
use axum::extract::{Path, State};
use axum::response::Response;
use maud::{Markup, html};
use serde_json::json;

use crate::ask::ask;
use crate::error::Failure;
use crate::{layout, values};

/// Everything the page shows; parts that could not be read say why.
struct Found {
    uid: String,
    header: Header,
    meta: Result<Mapping, String>,
    aliases: Result<Vec<String>, String>,
    size: Result<u64, String>,
    checksum: Result<String, String>,
    files: Result<Vec<ArchiveFile>, String>,
    url: Result<String, String>,
}

async fn find(state: &crate::State, id: String) -> Result<Found, Failure> {
    super::valid_id(&id)?;
    ask(state, move |client| {
        let uid = client.uid_of(&id)?;
        let header = client.header(&uid)?;
        let why = |e: audmodel_core::Error| audmodel_core::error_chain(&e);
        let archive = client.archive(&uid).map_err(why);
        Ok(Found {
            meta: client.meta(&uid).map_err(why),
            aliases: client.aliases(&uid).map_err(why),
            size: of_archive(&archive, Archive::size),
            checksum: of_archive(&archive, Archive::checksum),
            files: of_archive(&archive, Archive::files),
            url: client.url(&uid, UrlKind::Model).map_err(why),
            uid,
            header,
        })
    })
    .await
}

/// What `ask` answers of the archive, or why the archive or the answer
/// could not be read.
fn of_archive<T>(
    archive: &Result<Archive, String>,
    ask: impl FnOnce(&Archive) -> Result<T, audmodel_core::Error>,
) -> Result<T, String> {
    let archive = archive.as_ref().map_err(Clone::clone)?;
    ask(archive).map_err(|e| audmodel_core::error_chain(&e))
}

/// `GET /versions/{id}`
pub(crate) async fn page(State(state): State<crate::State>, Path(id): Path<String>) -> Response {
    super::html(find(&state, id).await.map(|found| view(&found)))
}

/// `GET /api/versions/{id}`: the header and metadata in the forms of
/// `header --json` and `meta --json`, the aliases, and the archive's size,
/// checksum, files and URL (`null` where they could not be read).
pub(crate) async fn api(State(state): State<crate::State>, Path(id): Path<String>) -> Response {
    super::json(find(&state, id).await.map(|found| {
        let meta = found
            .meta
            .as_ref()
            .ok()
            .map(|m| audmodel_core::json::value(&audmodel_core::Value::Map(m.clone())));
        json!({
            "uid": found.uid,
            "header": audmodel_core::json::header(&found.header),
            "meta": meta,
            "aliases": found.aliases.as_ref().ok(),
            "archive_size": found.size.as_ref().ok(),
            "checksum": found.checksum.as_ref().ok(),
            "files": found.files.as_ref().ok().map(|f| audmodel_core::json::files(f)),
            "url": found.url.as_ref().ok(),
        })
    }))
}

fn view(found: &Found) -> Markup {
    let header = &found.header;
    let short_id = found
        .uid
        .strip_suffix(&format!("-{}", header.version))
        .unwrap_or(&found.uid);
    let body = html! {
        h1 { (header.name) " " (header.version) }
        p.muted {
            (layout::copyable(&found.uid)) " · "
            a href=(layout::model_href(short_id)) { "all versions" }
        }
        section {
            h2 { "Header" }
            table.values #header {
                tr { th { "author" } td { (header.author) } }
                tr { th { "date" } td { (header.date.format("%Y-%m-%d").to_string()) } }
                tr { th { "name" } td { (header.name) } }
                tr { th { "parameters" } td { (values::table(&header.parameters)) } }
                tr { th { "subgroup" } td { (header.subgroup.as_deref().unwrap_or("")) } }
                tr { th { "version" } td { (header.version) } }
            }
        }
        section {
            h2 { "Metadata" }
            div #meta {
                @match &found.meta {
                    Ok(meta) => (values::table(meta)),
                    Err(why) => p.error { (why) },
                }
            }
        }
        section {
            h2 { "Aliases" }
            @match &found.aliases {
                Ok(aliases) if aliases.is_empty() => p.empty { "none" },
                Ok(aliases) => ul { @for alias in aliases { li { (alias) } } },
                Err(why) => p.error { (why) },
            }
        }
        section {
            h2 { "Archive" }
            table.values #archive {
                tr { th { "size" } td { (result(&found.size, |s| layout::size(*s))) } }
                tr { th { "checksum (MD5)" } td { code { (result(&found.checksum, Clone::clone)) } } }
                tr { th { "url" } td { code { (result(&found.url, Clone::clone)) } } }
            }
            p { a.download href={ (layout::version_href(&found.uid)) "/archive" } download { "Download the archive" } }
            h3 { "Files" }
            @match &found.files {
                Ok(files) => table.files #files {
                    thead { tr { th { "File" } th { "Size" } } }
                    tbody { @for file in files {
                        tr { td { (file.name) } td.number { (layout::size(file.size)) } }
                    } }
                },
                Err(why) => p.error { (why) },
            }
        }
    };
    layout::page(&format!("{} {}", header.name, header.version), body)
}

/// A value, or why it could not be read, as text.
fn result<T>(value: &Result<T, String>, show: impl Fn(&T) -> String) -> String {
    match value {
        Ok(value) => show(value),
        Err(why) => format!("cannot be read: {why}"),
    }
}
