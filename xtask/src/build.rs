//! Building the `audmodel` binary the scenarios and benchmarks run.

use crate::cmd;
use anyhow::{Result, bail};
use std::path::PathBuf;
use std::process::Command;

/// Where cargo puts what it builds: `CARGO_TARGET_DIR`, else the
/// workspace's `target` (as the test support crate finds it).
pub(crate) fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("target"))
}

/// The workspace root: xtask lies one level below it.
pub(crate) fn workspace_root() -> PathBuf {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().map(PathBuf::from).unwrap_or(manifest)
}

/// Builds the `audmodel` binary (release for benchmarks, debug otherwise,
/// which the test run has mostly built already) and returns its path.
#[cfg(feature = "servers")]
pub(crate) fn build_cli(release: bool) -> Result<PathBuf> {
    build(release, true)
}

/// [`build_cli`] (debug) with cargo's progress on standard error, for a
/// person waiting on a cold build.
pub(crate) fn build_cli_showing_progress() -> Result<PathBuf> {
    build(false, false)
}

fn build(release: bool, quiet: bool) -> Result<PathBuf> {
    let mut command = Command::new(cmd::cargo());
    command.args(["build", "-p", "audmodel-cli"]);
    if quiet {
        command.arg("--quiet");
    }
    if release {
        command.arg("--release");
    }
    cmd::run(&mut command)?;
    let binary = target_dir()
        .join(if release { "release" } else { "debug" })
        .join("audmodel");
    if !binary.is_file() {
        bail!("the build made no {}", binary.display());
    }
    Ok(binary)
}
