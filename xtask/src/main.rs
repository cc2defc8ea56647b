//! Project tasks: `cargo xtask test`, `cargo xtask demo`, `cargo xtask e2e`, `cargo xtask bench`.

mod bench;
mod demo;
mod e2e;
mod harness;
mod setup;

use anyhow::{Result, bail};
use std::process::Command;

const USAGE: &str = "usage: cargo xtask <test|demo|e2e|bench>

  test   install what the tests need when missing (Garage), then run every test and the e2e scenarios
  e2e    run the scenarios between the Python reference and the audmodel binary
         (--reference-only: both sides Python, to check the scenarios themselves)
  bench  time publish and load against the Python reference (--mib N, --runs N)
  demo   publish the example model to the embedded default repository and load it";

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("test") => test(&args[1..]),
        Some("e2e") => e2e::command(&args[1..]),
        Some("bench") => bench::command(&args[1..]),
        Some("demo") => demo::command(),
        _ => bail!("{USAGE}"),
    }
}

/// The README's test command: the whole suite, Garage and the Python reference included.
/// The end-to-end scenarios run even when a unit test failed, so one run shows both.
fn test(extra: &[String]) -> Result<()> {
    setup::ensure_garage()?;
    let tests = setup::run(
        Command::new(setup::cargo())
            .args(["test", "--workspace", "--no-fail-fast"])
            .args(extra),
    );
    let scenarios = e2e::command(&[]);
    tests.and(scenarios)
}
