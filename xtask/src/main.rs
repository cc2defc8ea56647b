//! Project tasks: `cargo xtask test`, `cargo xtask demo`, `cargo xtask e2e`, `cargo xtask bench`.

mod setup;

use anyhow::{Result, bail};
use std::process::Command;

const USAGE: &str = "usage: cargo xtask <test|demo>

  test   install what the tests need when missing (Garage), then run every test
  demo   publish the example model to the embedded default repository and load it";

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("test") => test(&args[1..]),
        Some("demo") => demo(),
        _ => bail!("{USAGE}"),
    }
}

/// The README's test command: the whole suite, Garage and the Python reference included.
fn test(extra: &[String]) -> Result<()> {
    setup::ensure_garage()?;
    setup::run(
        Command::new(setup::cargo())
            .args(["test", "--workspace", "--no-fail-fast"])
            .args(extra),
    )
}

/// The README's main job: the example model through publish and load, no server needed.
fn demo() -> Result<()> {
    bail!("the demo needs the audmodel CLI, which is not built yet")
}
