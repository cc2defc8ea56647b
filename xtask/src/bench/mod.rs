//! `cargo xtask bench`: publish and load of a large model folder by the Python
//! reference and by the `audmodel` binary (release build) in the same run, on
//! a file-system repository and on Garage, at compression 0 and 1, with a
//! plain `cp -r` as the floor. Prints a Markdown table of medians.

mod table;

use crate::harness::api::{Publish, Side, Tools};
use crate::harness::build::target_dir;
use crate::harness::data::{ModelShape, same_files, write_model};
use crate::harness::process::{Measured, measure};
use crate::harness::sandbox::{Sandbox, Store};
use crate::harness::servers::S3Server;
use crate::{harness, setup};
use anyhow::{Context, Result, bail};
use serde_json::json;
use std::path::{Path, PathBuf};
use std::process::Command;
use table::{Row, Samples, Step};

const USAGE: &str = "usage: cargo xtask bench [--mib N] [--runs N]

  --mib N    size of the float32 weights in MiB (default 480), beside 200 small JSON files
  --runs N   runs of each measurement; the table shows medians (default 3)";

/// Fixed, so every run and every machine measures the same bytes.
const SEED: u64 = 42;

struct Options {
    mib: u64,
    runs: usize,
}

fn parse(args: &[String]) -> Result<Options> {
    let mut options = Options { mib: 480, runs: 3 };
    let mut args = args.iter();
    while let Some(flag) = args.next() {
        let value = args.next().map(String::as_str);
        let number = |v: Option<&str>| -> Result<u64> {
            v.and_then(|v| v.parse().ok())
                .with_context(|| format!("{flag} needs a whole number\n\n{USAGE}"))
        };
        match flag.as_str() {
            "--mib" => options.mib = number(value)?,
            "--runs" => options.runs = usize::try_from(number(value)?.max(1))?,
            _ => bail!("unknown argument {flag}\n\n{USAGE}"),
        }
    }
    Ok(options)
}

/// Runs the benchmark and prints the table.
pub(crate) fn command(args: &[String]) -> Result<()> {
    let options = parse(args)?;
    setup::ensure_garage()?;
    let tools = harness::tools(true)?;
    let model = model_folder(options.mib)?;
    let server = S3Server::start().context("cannot start Garage")?;
    let uid = {
        let sandbox = Sandbox::new(Store::FileSystem, 1)?;
        let args = publish_args(&model, "unused", 0);
        tools.client(Side::Python, &sandbox).uid(
            args.name,
            args.subgroup,
            &args.params,
            args.version,
        )?
    };

    let mut rows = Vec::new();
    for store in [Store::FileSystem, Store::S3(&server)] {
        for compression in [0, 1] {
            let mut publish = Samples::default();
            let mut load = Samples::default();
            // Beside the runs it bounds, so a busy machine slows both alike.
            let mut floor = Vec::new();
            for run in 1..=options.runs {
                floor.push(measure_floor(&model)?);
                for side in [Side::Python, Side::Rust] {
                    eprintln!(
                        "bench: {} compression {compression} run {run}/{} {}",
                        store.label(),
                        options.runs,
                        side.label()
                    );
                    let check = run == 1;
                    let (p, l) =
                        publish_and_load(&tools, store, side, &model, compression, &uid, check)?;
                    publish.push(side, p);
                    load.push(side, l);
                }
            }
            let floor = table::median(&mut floor).context("no runs")?;
            for (step, samples) in [(Step::Publish, publish), (Step::Load, load)] {
                rows.push(Row {
                    store: store.label(),
                    compression,
                    step,
                    floor,
                    samples,
                });
            }
        }
    }
    println!(
        "\n{} MiB of float32 weights + 200 JSON files, {} cores, commit {}, medians of {} runs, whole processes (Python start-up included), loads into an empty cache.\n",
        options.mib,
        std::thread::available_parallelism().map_or(1, usize::from),
        commit(),
        options.runs
    );
    print!("{}", table::markdown(&rows));
    Ok(())
}

/// The commit measured, for the record.
fn commit() -> String {
    crate::harness::process::capture(Command::new("git").args(["rev-parse", "--short", "HEAD"]))
        .map(|hash| hash.trim().to_owned())
        .unwrap_or_else(|_| "unknown".to_owned())
}

/// The same model and values for both sides.
fn publish_args<'a>(root: &'a Path, repository: &'a str, compression: u8) -> Publish<'a> {
    Publish {
        root,
        name: "bench",
        version: "1.0.0",
        subgroup: Some("xtask.bench"),
        params: json!({"model": "cnn", "sampling_rate": 16000}),
        meta: Some(json!({"purpose": "benchmark"})),
        alias: None,
        author: "xtask",
        date: "2024-01-01",
        repository,
        compression,
    }
}

/// One publish into a fresh repository, then one load of it into an empty
/// cache; `check` compares the loaded files with the originals (not timed).
fn publish_and_load(
    tools: &Tools,
    store: Store<'_>,
    side: Side,
    model: &Path,
    compression: u8,
    uid: &str,
    check: bool,
) -> Result<(Measured, Measured)> {
    let sandbox = Sandbox::new(store, 1)?;
    let client = tools.client(side, &sandbox);
    let args = publish_args(model, &sandbox.repositories()[0], compression);
    let publish = measure(&client.publish_command(&args))
        .with_context(|| format!("{} publish", side.label()))?;
    sandbox.clear_cache()?;
    let load =
        measure(&client.load_command(uid)).with_context(|| format!("{} load", side.label()))?;
    if check {
        let (short_id, version) = uid.split_once('-').context("a UID has a dash")?;
        let loaded = sandbox.cache().join(short_id).join(version);
        same_files(model, &loaded).with_context(|| format!("{} load", side.label()))?;
    }
    Ok((publish, load))
}

/// Seconds of a plain recursive copy of the model folder: the floor.
fn measure_floor(model: &Path) -> Result<f64> {
    let dir = tempfile::tempdir().context("cannot create a temporary folder")?;
    let mut copy = Command::new("cp");
    copy.arg("-r").arg(model).arg(dir.path().join("copy"));
    Ok(measure(&copy)?.seconds)
}

/// The model folder of `mib` MiB, generated once and kept under the target folder.
fn model_folder(mib: u64) -> Result<PathBuf> {
    let dir = target_dir()
        .join("bench-data")
        .join(format!("model-{mib}mib-seed{SEED}"));
    if dir.is_dir() {
        return Ok(dir);
    }
    eprintln!("bench: writing {mib} MiB of weights to {}", dir.display());
    let partial = dir.with_extension("partial");
    if partial.exists() {
        std::fs::remove_dir_all(&partial)
            .with_context(|| format!("cannot remove {}", partial.display()))?;
    }
    write_model(
        &partial,
        &ModelShape {
            weight_bytes: mib << 20,
            weight_file_bytes: 32 << 20,
            json_files: 200,
            seed: SEED,
        },
    )?;
    std::fs::rename(&partial, &dir)
        .with_context(|| format!("cannot rename {}", partial.display()))?;
    Ok(dir)
}
