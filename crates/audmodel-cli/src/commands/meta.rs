//! `update-meta`.

use anyhow::{Result, bail};
use audmodel::{Audmodel, ErrorKind, MetaUpdate, Value};

use crate::cli::UpdateMetaArgs;
use crate::exit::CliError;
use crate::output::Output;

/// Merges or replaces the metadata; prints the new metadata.
pub(super) fn update_meta(client: &Audmodel, args: &UpdateMetaArgs, out: Output) -> Result<()> {
    if args.replace && crate::input::is_empty_document(&args.meta)? {
        return Err(CliError::new(
            ErrorKind::InvalidInput,
            "update-meta --replace with an empty document would remove all metadata; \
             give --meta '{}' to do that",
        )
        .into());
    }
    let Some(meta) = crate::input::meta(&args.meta)? else {
        // clap requires one of the two flags.
        bail!("give the metadata with --meta or --meta-file");
    };
    let how = if args.replace {
        MetaUpdate::Replace
    } else {
        MetaUpdate::Merge
    };
    out.value(&Value::Map(client.update_meta(&args.id, &meta, how)?))
}
