//! Running commands: the cargo of this task, and a command that must succeed.

use anyhow::{Context, Result, bail};
use std::process::Command;

/// The cargo that runs this task, so a pinned toolchain is honoured.
pub(crate) fn cargo() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned())
}

/// Runs a command, failing with its name when it fails.
pub(crate) fn run(command: &mut Command) -> Result<()> {
    let status = command
        .status()
        .with_context(|| format!("cannot start {command:?}"))?;
    if !status.success() {
        bail!("{command:?} failed with {status}");
    }
    Ok(())
}
