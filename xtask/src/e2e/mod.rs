//! `cargo xtask e2e`: scenarios run both ways between the Python reference
//! and the `audmodel` binary, on a file-system repository, on Garage (which
//! ignores conditional writes) and on SeaweedFS (which enforces them).
//!
//! Each scenario gets its own sandboxed user (temporary HOME, configuration,
//! cache, fresh repositories). The runner prints one line per scenario and a
//! closing `N passed, M failed` line.

mod aliases;
mod cache;
mod files;
mod meta;
mod publish_load;
mod versions;

use crate::harness::api::{Publish, Side, Tools};
use crate::harness::data::{ModelShape, write_model};
use crate::harness::{quietly, servers};
use anyhow::{Result, bail};
use audmodel_tests::s3_server::S3Server;
use audmodel_tests::sandbox::{Sandbox, Store};
use serde_json::{Value, json};
use std::fmt::Debug;
use std::path::PathBuf;

/// One scenario: `writer` makes the state, `reader` checks it (and may answer back).
type Scenario = fn(&Ctx<'_>, Side, Side) -> Result<()>;

/// How a scenario is run.
enum Directions {
    /// Python writes and Rust reads, then the other way round.
    Both,
    /// Once: the scenario compares the two sides itself.
    Once,
}

/// A named scenario of a group.
struct Case {
    name: &'static str,
    directions: Directions,
    run: Scenario,
}

/// What a scenario works with.
struct Ctx<'a> {
    tools: &'a Tools,
    store: Store<'a>,
}

impl Ctx<'_> {
    /// A fresh user with `repositories` empty repositories.
    fn sandbox(&self, repositories: usize) -> Result<Sandbox> {
        crate::harness::sandbox(self.store, "e2e", repositories)
    }
}

/// Runs every scenario on a file-system repository and on each S3 server
/// given; prints the results and returns (passed, failed).
/// `reference_only` plays both sides with the reference, which checks the
/// scenarios themselves.
fn run(tools: &Tools, servers: &[&S3Server], reference_only: bool) -> (usize, usize) {
    let cases: Vec<Case> = [
        publish_load::cases(),
        files::cases(),
        meta::cases(),
        versions::cases(),
        aliases::cases(),
        cache::cases(),
    ]
    .into_iter()
    .flatten()
    .collect();
    let mut stores = vec![Store::FileSystem];
    stores.extend(servers.iter().map(|server| Store::S3(server)));
    let (mut passed, mut failed) = (0, 0);
    for store in stores {
        let ctx = Ctx { tools, store };
        for case in &cases {
            let directions: &[(Side, Side)] = match (&case.directions, reference_only) {
                (_, true) => &[(Side::Python, Side::Python)],
                (Directions::Both, false) => &[
                    (Side::Python, Side::Rust),
                    (Side::Rust, Side::Python),
                    (Side::Python, Side::Binding),
                    (Side::Binding, Side::Python),
                ],
                (Directions::Once, false) => {
                    &[(Side::Python, Side::Rust), (Side::Python, Side::Binding)]
                }
            };
            for &(writer, reader) in directions {
                let mut name = format!("{} {}", case.name, store.label());
                if reference_only
                    || !matches!(case.directions, Directions::Once)
                    || reader == Side::Binding
                {
                    name = format!("{name} {}->{}", writer.label(), reader.label());
                }
                match (case.run)(&ctx, writer, reader) {
                    Ok(()) => {
                        passed += 1;
                        println!("ok   {name}");
                    }
                    Err(error) => {
                        failed += 1;
                        let reason = format!("{error:#}").replace('\n', " ");
                        println!("FAIL {name}: {reason}");
                    }
                }
            }
        }
    }
    (passed, failed)
}

/// A small model folder with nested files, written into the sandbox.
fn small_model(sandbox: &Sandbox, label: &str) -> Result<PathBuf> {
    let root = quietly(|| sandbox.scratch(label))?;
    write_model(
        &root,
        &ModelShape {
            weight_bytes: 96 * 1024,
            weight_file_bytes: 40 * 1024,
            json_files: 3,
            seed: 42,
        },
    )?;
    Ok(root)
}

/// The parameters of every scenario's model: nested values, a float, a list,
/// keys out of order (the ID sorts only the top level).
fn params() -> Value {
    json!({
        "model": "cnn10",
        "sampling_rate": 16000,
        "data": ["emodb", "agender"],
        "feature": {"type": "melspec", "hop": 0.01},
    })
}

/// Publish arguments with fixed author and date, so both sides write the same header.
fn publish_args<'a>(
    root: &'a std::path::Path,
    repository: &'a str,
    version: &'a str,
) -> Publish<'a> {
    Publish {
        root,
        name: "torch",
        version,
        subgroup: Some("audmodel.e2e.cnn"),
        params: params(),
        meta: Some(json!({"data": {"emodb": {"version": "1.4.1"}}, "epochs": 30})),
        alias: None,
        author: "Ada Lovelace",
        date: "2024-02-29",
        repository,
        compression: 1,
        min_saving: None,
    }
}

/// Fails naming both values unless they are equal.
fn expect_eq<T: PartialEq + Debug>(what: &str, expected: T, actual: T) -> Result<()> {
    if expected != actual {
        bail!("{what}: expected {expected:?}, got {actual:?}");
    }
    Ok(())
}

/// `cargo xtask e2e [--reference-only]`: builds the binary, makes the
/// reference's virtualenv and starts the S3 servers when needed, runs every
/// scenario, stops the servers. Fails when any scenario fails.
pub(crate) fn command(args: &[String]) -> Result<()> {
    let reference_only = match args {
        [] => false,
        [flag] if flag == "--reference-only" => true,
        _ => bail!("usage: cargo xtask e2e [--reference-only]"),
    };
    crate::setup::ensure_garage()?;
    crate::setup::ensure_seaweedfs()?;
    let tools = crate::harness::tools(false)?;
    // The Python module plays a side too.
    crate::python_binding::install(&crate::build::workspace_root())?;
    let mut servers = Vec::new();
    let mut unstarted = 0;
    for (label, server) in [
        ("garage", servers::s3_server()),
        ("seaweedfs", servers::seaweed_server()),
    ] {
        match server {
            Ok(server) => servers.push(server),
            Err(error) => {
                // The other stores' scenarios still say something useful.
                println!("FAIL {label}: cannot start the server: {error:#}");
                unstarted += 1;
            }
        }
    }
    let (passed, failed) = run(&tools, &servers, reference_only);
    let failed = failed + unstarted;
    println!("{passed} passed, {failed} failed");
    if failed > 0 {
        bail!("{failed} end-to-end scenario(s) failed");
    }
    Ok(())
}
