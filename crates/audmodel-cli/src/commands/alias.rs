//! `alias set`, `alias ls` and `alias resolve`.

use anyhow::Result;
use audmodel::Audmodel;

use crate::cli::AliasCommand;
use crate::output::{Output, write_out};

/// Sets (prints nothing), lists or resolves (prints the UID) aliases.
pub(super) fn alias(client: &Audmodel, command: &AliasCommand, out: Output) -> Result<()> {
    match command {
        AliasCommand::Set { alias, id } => Ok(client.set_alias(alias, id)?),
        AliasCommand::Resolve { alias } => out.text(&client.resolve_alias(alias)?),
        AliasCommand::Ls => {
            let aliases = client.all_aliases()?;
            if out.json {
                return out.json_value(&audmodel::json::aliases(&aliases));
            }
            let rows: Vec<[String; 3]> = aliases
                .into_iter()
                .map(|a| [a.alias, a.uid, a.repository])
                .collect();
            write_out(&crate::output::table_with_header(
                ["ALIAS", "UID", "REPOSITORY"],
                rows,
            ))
        }
    }
}
