//! `cargo xtask demo`: the README's quick start in one go.
//!
//! It runs the `audmodel` binary as a user would, on whatever configuration
//! that user has: on a fresh machine the embedded default, a file-system
//! repository in `~/audmodel-repository` and a cache in `~/audmodel`. The
//! example model's UID is fixed, so a second run finds it published and
//! skips `publish` instead of failing. The binary it builds,
//! `target/debug/audmodel`, is the one the README's quick start runs.

use std::path::Path;
use std::process::{Command, ExitStatus};

use anyhow::{Context, Result, bail};

use crate::build;

const NAME: &str = "torch";
const SUBGROUP: &str = "audmodel.dummy.cnn";
const VERSION: &str = "1.0.0";
const ALIAS: &str = "quickstart-cnn";
/// What the first build costs, as measured (README, "Quick start").
const COLD_BUILD: &str = "the first time about 8 minutes on a cold 2-core machine";

/// Publishes the example model unless it exists, loads it, shows its header and metadata.
pub(crate) fn command() -> Result<()> {
    // A cold build takes minutes: say so before cargo starts, and let its
    // progress through.
    println!(
        "# building the audmodel CLI (cargo build -p audmodel-cli): {COLD_BUILD}, seconds once built"
    );
    let cli = build::build_cli_showing_progress()?;
    let cli = std::fs::canonicalize(&cli).unwrap_or(cli);
    println!("# built {}", cli.display());
    let examples = build::workspace_root().join("examples");
    let params = examples.join("params.yaml");
    let params = path_str(&params)?;

    run(&cli, &["config"])?;
    let uid = capture(
        &cli,
        &[
            "uid",
            "--name",
            NAME,
            "--subgroup",
            SUBGROUP,
            "--params-file",
            params,
            "--version",
            VERSION,
        ],
    )?;
    let exists = status(&cli, &["exists", &uid])?;
    match exists.code() {
        Some(0) => println!("# {uid} is published already (an earlier run): skipping publish"),
        Some(1) => {
            let model = examples.join("model");
            let meta = examples.join("meta.yaml");
            let published = capture(
                &cli,
                &[
                    "publish",
                    path_str(&model)?,
                    "--name",
                    NAME,
                    "--subgroup",
                    SUBGROUP,
                    "--params-file",
                    params,
                    "--version",
                    VERSION,
                    "--meta-file",
                    path_str(&meta)?,
                    "--alias",
                    ALIAS,
                ],
            )?;
            if published != uid {
                bail!("publish gave {published}, `audmodel uid` said {uid}");
            }
        }
        _ => bail!("`audmodel exists {uid}` failed with {exists}"),
    }
    run(&cli, &["load", &uid])?;
    run(&cli, &["header", &uid])?;
    run(&cli, &["meta", ALIAS])?;
    run(&cli, &["versions", &uid[..8]])?;
    let folder = cli.parent().unwrap_or(&cli).display();
    println!("# to run it as `audmodel` (no second build): export PATH=\"{folder}:$PATH\"");
    Ok(())
}

fn path_str(path: &Path) -> Result<&str> {
    path.to_str()
        .with_context(|| format!("'{}' is not UTF-8", path.display()))
}

fn announce(args: &[&str]) {
    println!("$ audmodel {}", args.join(" "));
}

/// Runs and lets the output through.
fn run(cli: &Path, args: &[&str]) -> Result<()> {
    let status = status(cli, args)?;
    if !status.success() {
        bail!("`audmodel {}` failed with {status}", args.join(" "));
    }
    Ok(())
}

fn status(cli: &Path, args: &[&str]) -> Result<ExitStatus> {
    announce(args);
    Command::new(cli)
        .args(args)
        .status()
        .with_context(|| format!("cannot run {}", cli.display()))
}

/// Runs, shows and returns standard output (trimmed).
fn capture(cli: &Path, args: &[&str]) -> Result<String> {
    announce(args);
    let out = Command::new(cli)
        .args(args)
        .output()
        .with_context(|| format!("cannot run {}", cli.display()))?;
    eprint!("{}", String::from_utf8_lossy(&out.stderr));
    if !out.status.success() {
        bail!("`audmodel {}` failed with {}", args.join(" "), out.status);
    }
    let text = String::from_utf8_lossy(&out.stdout).trim_end().to_owned();
    println!("{text}");
    Ok(text)
}
