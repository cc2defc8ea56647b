//! Installing and running the tools the tasks need.

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

/// Installs Garage (the S3 server of the tests) unless the tests would find
/// it already (the test support crate looks on PATH and in cargo's bin
/// folder). A cold build takes about 11 minutes, so it is skipped whenever
/// possible.
pub(crate) fn ensure_garage() -> Result<()> {
    if audmodel_tests::garage::binary().is_ok() {
        return Ok(());
    }
    eprintln!(
        "garage is missing: installing it with `cargo install garage --locked` (takes a while)"
    );
    run(Command::new(cargo()).args(["install", "garage", "--locked"]))?;
    if let Err(reason) = audmodel_tests::garage::binary() {
        bail!("garage was installed but cannot be found: {reason}");
    }
    Ok(())
}

/// Formatting, then lints, before anything is built for the tests: each
/// fails the run at once, saying what to do.
pub(crate) fn check_tidy() -> Result<()> {
    run(Command::new(cargo()).args(["fmt", "--all", "--check"]))
        .context("`cargo fmt --all --check` found unformatted code: run `cargo fmt --all`")?;
    run(Command::new(cargo()).args([
        "clippy",
        "--workspace",
        "--all-targets",
        "--",
        "-D",
        "warnings",
    ]))
    .context(
        "`cargo clippy --workspace --all-targets -- -D warnings` failed: fix the warnings above",
    )?;
    Ok(())
}
