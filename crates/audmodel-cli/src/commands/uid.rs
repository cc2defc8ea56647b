//! `uid`: the model ID of a name, subgroup, parameters and version.

use anyhow::Result;

use crate::cli::UidArgs;
use crate::output::Output;

/// Prints the short ID, the UID (with `--version`) or the legacy UID.
pub(super) fn uid(args: &UidArgs, out: Output) -> Result<()> {
    let params = crate::input::params(&args.params)?;
    let subgroup = args.subgroup.as_deref();
    let id = match (&args.version, args.legacy) {
        (Some(version), true) => {
            audmodel::legacy_uid(&args.name, &params, version, subgroup, args.private)?
        }
        (Some(version), false) => audmodel::uid(&args.name, &params, version, subgroup)?,
        (None, _) => audmodel::short_id(&args.name, &params, subgroup)?,
    };
    out.text(&id)
}
