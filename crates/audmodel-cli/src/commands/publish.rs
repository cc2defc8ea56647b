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
    let mut options = PublishOptions::default()
        .compression(args.compression)
        .min_saving_percent(args.min_saving)
        .cancel(crate::interrupt::on_signals()?);
    options.subgroup.clone_from(&args.subgroup);
    options.alias.clone_from(&args.alias);
    options.author.clone_from(&args.author);
    options.date = args.date;
    options.meta = crate::input::meta(&args.meta)?;
    options.repository.clone_from(&args.repository);
    options.tmp_root.clone_from(&args.tmp_root);
    if let Some(age) = args.stale_claim_after {
        options.stale_claim_after = age;
    }
    let uid = client.publish(&args.root, &args.name, &params, &args.version, &options)?;
    out.text(&uid)
}
