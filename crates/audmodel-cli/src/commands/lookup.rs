//! `exists` and `url`.

use anyhow::Result;
use audmodel::{Audmodel, UrlKind};

use crate::cli::{UrlArgs, UrlType};
use crate::exit::Status;
use crate::output::Output;

/// Prints `true`/`false` (the same text in JSON); a no is [`Status::No`].
pub(super) fn exists(client: &Audmodel, id: &str, out: Output) -> Result<Status> {
    let found = client.exists(id)?;
    if out.json {
        out.json_value(&serde_json::Value::Bool(found))?;
    } else {
        crate::output::write_out(if found { "true\n" } else { "false\n" })?;
    }
    Ok(if found { Status::Success } else { Status::No })
}

/// Prints where a file of the model lies in its repository.
pub(super) fn url(client: &Audmodel, args: &UrlArgs, out: Output) -> Result<()> {
    let kind = match args.kind {
        UrlType::Model => UrlKind::Model,
        UrlType::Header => UrlKind::Header,
        UrlType::Meta => UrlKind::Meta,
    };
    out.text(&client.url(&args.id, kind)?)
}
