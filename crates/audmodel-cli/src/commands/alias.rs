//! `alias set` and `alias resolve`.

use anyhow::Result;
use audmodel::Audmodel;

use crate::cli::AliasCommand;
use crate::output::Output;

/// Sets (prints nothing) or resolves (prints the UID) an alias.
pub(super) fn alias(client: &Audmodel, command: &AliasCommand, out: Output) -> Result<()> {
    match command {
        AliasCommand::Set { alias, id } => Ok(client.set_alias(alias, id)?),
        AliasCommand::Resolve { alias } => out.text(&client.resolve_alias(alias)?),
    }
}
