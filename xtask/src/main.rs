//! Project tasks: `cargo xtask test`, `cargo xtask demo`, `cargo xtask e2e`, `cargo xtask bench`.
//!
//! `demo` needs no server, so the runner is built without them: the tasks
//! that start servers (cargo feature `servers`: the test support crate,
//! the S3 stack) run in a second build of this runner, which `cargo xtask`
//! starts for them.

mod build;
mod cmd;
mod demo;

#[cfg(feature = "servers")]
mod bench;
#[cfg(feature = "servers")]
mod e2e;
#[cfg(feature = "servers")]
mod harness;
#[cfg(feature = "servers")]
mod python_binding;
#[cfg(feature = "servers")]
mod setup;
#[cfg(feature = "servers")]
mod test;

use anyhow::{Result, bail};

const USAGE: &str = "usage: cargo xtask <test|demo|e2e|bench>

  test   check formatting (cargo fmt --check) and lints (clippy -D warnings), install what
         the tests need when missing (Garage, SeaweedFS, Chromium and chromedriver with
         apt-get), then run every test, the tests of a build without the `s3` feature,
         the e2e scenarios, and
         the Python module audmodel_rs's tests and the reference's own suite against it;
         no test may skip for want of Garage, SeaweedFS, Chromium, Python or a package index
         (AUDMODEL_REQUIRE_ALL=1)
         (--large: the ignored tests too, which take minutes and gigabytes;
         other arguments go to `cargo test`, those after `--` to the test binaries)
  e2e    run the scenarios between the Python reference and the audmodel binary
         (--reference-only: both sides Python, to check the scenarios themselves)
  bench  time publish and load against the Python reference (--mib N, --runs N)
  demo   publish the example model to the embedded default repository and load it";

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("demo") => demo::command(),
        Some("test" | "e2e" | "bench") => with_servers(&args),
        _ => bail!("{USAGE}"),
    }
}

#[cfg(feature = "servers")]
fn with_servers(args: &[String]) -> Result<()> {
    match args[0].as_str() {
        "test" => test::command(&args[1..]),
        "e2e" => e2e::command(&args[1..]),
        _ => bench::command(&args[1..]),
    }
}

/// Runs the task in the runner built with the feature `servers`, and ends
/// with its status.
#[cfg(not(feature = "servers"))]
fn with_servers(args: &[String]) -> Result<()> {
    use anyhow::Context;
    let status = std::process::Command::new(cmd::cargo())
        .args(["run", "--package", "xtask", "--features", "servers", "--"])
        .args(args)
        .status()
        .context("cannot start cargo")?;
    std::process::exit(status.code().unwrap_or(1))
}
