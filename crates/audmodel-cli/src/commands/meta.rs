//! `update-meta`.

use anyhow::{Result, bail};
use audmodel::{Audmodel, MetaUpdate, Value};

use crate::cli::UpdateMetaArgs;
use crate::output::Output;

/// Merges or replaces the metadata; prints the new metadata.
pub(super) fn update_meta(client: &Audmodel, args: &UpdateMetaArgs, out: Output) -> Result<()> {
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
