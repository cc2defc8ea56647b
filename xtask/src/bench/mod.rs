//! `cargo xtask bench`: publish and load of a large model folder by the Python
//! reference and by the `audmodel` binary (release build) in the same run, on
//! a file-system repository and on Garage, at compression 0 and 1, with a
//! floor of what the store itself needs for the same bytes (`cp -r` on a file
//! system; one curl upload and download on Garage). Prints a Markdown table of
//! medians.

mod table;

use crate::harness::api::{Publish, Side, Tools};
use crate::harness::build::target_dir;
use crate::harness::data::{ModelShape, same_files, write_model};
use crate::harness::process::{Measured, measure};
use crate::harness::{quietly, servers};
use crate::{harness, setup};
use anyhow::{Context, Result, bail};
use audmodel_tests::sandbox::Store;
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
    crate::python_binding::install(&harness::build::workspace_root())?;
    let model = model_folder(options.mib)?;
    let server = servers::s3_server().context("cannot start Garage")?;
    servers::create_bucket(server, FLOOR_BUCKET)?;
    let uid = {
        let sandbox = harness::sandbox(Store::FileSystem, "bench", 1)?;
        let args = publish_args(&model, "unused", 0);
        tools.client(Side::Python, &sandbox).uid(
            args.name,
            args.subgroup,
            &args.params,
            args.version,
        )?
    };

    let mut rows = Vec::new();
    for store in [Store::FileSystem, Store::S3(server)] {
        for compression in [0, 1] {
            let mut publish = Samples::default();
            let mut load = Samples::default();
            // Beside the runs it bounds, so a busy machine slows both alike.
            let (mut publish_floor, mut load_floor) = (Vec::new(), Vec::new());
            for run in 1..=options.runs {
                let floor = measure_floor(store, &model)?;
                publish_floor.push(floor.publish);
                load_floor.push(floor.load);
                for side in [Side::Python, Side::Rust, Side::Binding] {
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
            for (step, samples, floor) in [
                (Step::Publish, publish, table::median(&mut publish_floor)),
                (Step::Load, load, table::median(&mut load_floor)),
            ] {
                let floor = floor.context("no runs")?;
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
    let sandbox = harness::sandbox(store, "bench", 1)?;
    let client = tools.client(side, &sandbox);
    let args = publish_args(model, &sandbox.repositories()[0], compression);
    let publish = measure(&client.publish_command(&args))
        .with_context(|| format!("{} publish", side.label()))?;
    quietly(|| sandbox.clear_cache())?;
    let load =
        measure(&client.load_command(uid)).with_context(|| format!("{} load", side.label()))?;
    if check {
        let (short_id, version) = uid.split_once('-').context("a UID has a dash")?;
        let loaded = sandbox.cache().join(short_id).join(version);
        same_files(model, &loaded).with_context(|| format!("{} load", side.label()))?;
    }
    Ok((publish, load))
}

/// Seconds the store itself needs to take in and give back the model's
/// bytes, without either program: the floor of publish and load.
struct Floor {
    publish: f64,
    load: f64,
}

/// On a file system a plain `cp -r` of the folder (both steps); on S3 one
/// upload and one download of the same bytes as a single object by curl.
fn measure_floor(store: Store<'_>, model: &Path) -> Result<Floor> {
    let dir = tempfile::tempdir().context("cannot create a temporary folder")?;
    match store {
        Store::FileSystem => {
            let mut copy = Command::new("cp");
            copy.arg("-r").arg(model).arg(dir.path().join("copy"));
            let seconds = measure(&copy)?.seconds;
            Ok(Floor {
                publish: seconds,
                load: seconds,
            })
        }
        Store::S3(server) => {
            let blob = dir.path().join("model.bin");
            let mut joined = std::fs::File::create(&blob).context("cannot create the blob")?;
            for file in crate::harness::data::files_below(model)? {
                let mut src = std::fs::File::open(&file)
                    .with_context(|| format!("cannot read {}", file.display()))?;
                std::io::copy(&mut src, &mut joined).context("cannot write the blob")?;
            }
            let url = format!("http://{}/{FLOOR_BUCKET}/model.bin", server.endpoint);
            let curl = |args: &[&std::ffi::OsStr]| {
                let mut curl = Command::new("curl");
                curl.args(["-sSf", "--aws-sigv4", "aws:amz:us-east-1:s3", "--user"])
                    .arg(format!("{}:{}", server.access_key, server.secret_key))
                    .args(["-H", "x-amz-content-sha256: UNSIGNED-PAYLOAD"])
                    .args(args)
                    .arg(&url);
                measure(&curl)
                    .map(|m| m.seconds)
                    .context("the Garage floor needs curl 7.75 or newer")
            };
            let publish = curl(&["-T".as_ref(), blob.as_os_str()])?;
            let load = curl(&["-o".as_ref(), dir.path().join("back.bin").as_os_str()])?;
            Ok(Floor { publish, load })
        }
    }
}

/// A bucket beside the benchmark's repositories for the floor's object,
/// made once per run.
const FLOOR_BUCKET: &str = "bench-floor";

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
