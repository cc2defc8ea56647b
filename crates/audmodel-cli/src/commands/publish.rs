//! `publish`.

use anyhow::Result;
use audmodel::{Audmodel, PublishOptions};

use crate::cli::PublishArgs;
use crate::output::Output;

/// Publishes the folder; prints the UID.
pub(super) fn publish(client: &Audmodel, args: &PublishArgs, out: Output) -> Result<()> {
    let params = crate::input::params(&args.params)?;
    let options = PublishOptions {
        subgroup: args.subgroup.clone(),
        alias: args.alias.clone(),
        author: args.author.clone(),
        date: args.date,
        meta: crate::input::meta(&args.meta)?,
        repository: args.repository.clone(),
        compression: args.compression,
        ..PublishOptions::default()
    };
    let uid = client.publish(&args.root, &args.name, &params, &args.version, &options)?;
    out.text(&uid)
}
