//! The workspace's `audmodel` binary, for tests that run it as a user would.
//!
//! A test binary of this crate cannot name another package's binary
//! (`CARGO_BIN_EXE_*` only covers its own), so the first call builds
//! `audmodel-cli` with the cargo that runs the tests, in the same profile
//! and target folder, and returns the binary next to the test executable's
//! `deps/` folder. Building every test run (a no-op when nothing changed)
//! means a test never runs a stale binary. `AUDMODEL_TEST_BIN` names another
//! binary to test instead (an installed one, say).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// Environment variable naming a binary to test instead of building one.
pub const BIN_ENV: &str = "AUDMODEL_TEST_BIN";

/// The profile folder of the running test executable:
/// `{target}/{profile}/deps/{test}` gives `{target}/{profile}`.
fn profile_dir() -> Result<PathBuf, String> {
    let exe = std::env::current_exe().map_err(|e| format!("no test executable path: {e}"))?;
    exe.parent()
        .filter(|deps| deps.file_name().is_some_and(|n| n == "deps"))
        .and_then(Path::parent)
        .map(Path::to_path_buf)
        .ok_or_else(|| format!("'{}' does not lie in a deps folder", exe.display()))
}

fn build() -> Result<PathBuf, String> {
    if let Some(bin) = std::env::var_os(BIN_ENV) {
        return Ok(PathBuf::from(bin));
    }
    let profile_dir = profile_dir()?;
    let target = profile_dir
        .parent()
        .ok_or("the profile folder has no parent")?;
    let profile = profile_dir
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or("the profile folder has no name")?;
    // `debug` is the folder of the `dev` profile; every other folder is named
    // as its profile.
    let profile = if profile == "debug" { "dev" } else { profile };
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR")).join("../Cargo.toml");
    let output = Command::new(&cargo)
        .args([
            "build",
            "--quiet",
            "-p",
            "audmodel-cli",
            "--bin",
            "audmodel",
        ])
        .arg("--profile")
        .arg(profile)
        .arg("--manifest-path")
        .arg(&manifest)
        .env("CARGO_TARGET_DIR", target)
        .output()
        .map_err(|e| format!("cannot run {}: {e}", Path::new(&cargo).display()))?;
    if !output.status.success() {
        return Err(format!(
            "building audmodel-cli failed ({}):\n{}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    let bin = profile_dir.join(format!("audmodel{}", std::env::consts::EXE_SUFFIX));
    if bin.is_file() {
        Ok(bin)
    } else {
        Err(format!("cargo built no '{}'", bin.display()))
    }
}

/// The `audmodel` binary, built on the first call of this test process.
///
/// # Panics
/// When the binary cannot be built (the test fails with cargo's errors).
///
/// ```no_run
/// let out = std::process::Command::new(audmodel_tests::cli::audmodel())
///     .arg("--help")
///     .output()
///     .unwrap();
/// assert!(out.status.success());
/// ```
pub fn audmodel() -> &'static Path {
    static BIN: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    match BIN.get_or_init(build) {
        Ok(bin) => bin,
        Err(e) => panic!("no audmodel binary: {e}"),
    }
}
