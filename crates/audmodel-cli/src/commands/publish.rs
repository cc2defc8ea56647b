//! `publish`.

use anyhow::Result;
use audmodel::{Audmodel, ErrorKind, PublishOptions};

use crate::cli::PublishArgs;
use crate::exit::CliError;
use crate::output::Output;

/// Publishes the folder; prints the UID.
pub(super) fn publish(client: &Audmodel, args: &PublishArgs, out: Output) -> Result<()> {
    // The core's message for a missing folder is the operating system's
    // ("entity not found"); say which folder in words.
    if !args.root.exists() {
        return Err(CliError::new(
            ErrorKind::NotFound,
            format!("the model folder '{}' does not exist", args.root.display()),
        )
        .into());
    }
    let params = crate::input::params(&args.params)?;
    let options = PublishOptions {
        subgroup: args.subgroup.clone(),
        alias: args.alias.clone(),
        author: args.author.clone(),
        date: args.date,
        meta: crate::input::meta(&args.meta)?,
        repository: args.repository.clone(),
        compression: args.compression,
        min_saving_percent: args.min_saving,
        tmp_root: args.tmp_root.clone(),
        cancel: crate::interrupt::on_signals()?,
        stale_claim_after: args
            .stale_claim_after
            .unwrap_or(audmodel::DEFAULT_STALE_CLAIM_AFTER),
    };
    let uid = client.publish(&args.root, &args.name, &params, &args.version, &options)?;
    out.text(&uid)
}
