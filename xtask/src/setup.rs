//! Installing and running the tools the tasks need.

use anyhow::{Context, Result, bail};
use std::path::PathBuf;
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

/// Where a binary lies on PATH, if anywhere.
pub(crate) fn which(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.is_file())
}

/// Installs Garage (the S3 server of the tests) unless it is already on PATH.
/// A cold build takes about 11 minutes, so it is skipped whenever possible.
pub(crate) fn ensure_garage() -> Result<()> {
    if which("garage").is_some() {
        return Ok(());
    }
    eprintln!(
        "garage is not on PATH: installing it with `cargo install garage --locked` (takes a while)"
    );
    run(Command::new(cargo()).args(["install", "garage", "--locked"]))?;
    if which("garage").is_none() {
        bail!("garage was installed but is not on PATH: add cargo's bin folder to PATH");
    }
    Ok(())
}
