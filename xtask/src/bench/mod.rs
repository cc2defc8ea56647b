//! `cargo xtask bench`: publish and load of a large model folder by the Python
//! reference and by the `audmodel` binary (release build) in the same run, on
//! a file-system repository, on Garage and on SeaweedFS, at compression 0 (both store),
//! 1 (the default: Rust stores what barely deflates) and 1 with
//! `--min-saving 0` (both deflate every file), with a floor of what the
//! store itself needs for the same bytes (`cp -r` on a file system; one curl
//! upload and download on S3, and on S3 that upload again with `md5sum`
//! hashing the bytes beside it) and the archive sizes. Prints a Markdown
//! table of medians.

mod registry;
mod table;

use crate::build::target_dir;
use crate::harness::api::{Publish, Side, Tools};
use crate::harness::data::{ModelShape, same_files, write_model};
use crate::harness::process::{Measured, measure};
use crate::harness::{quietly, servers};
use crate::{harness, setup};
use anyhow::{Context, Result, bail};
use audmodel_tests::sandbox::Store;
use serde_json::json;
use std::path::{Path, PathBuf};
use std::process::Command;
use table::{Case, Row, Samples, Step};

/// The publish settings measured: equal work both ways, and the default.
const CASES: [Case; 3] = [
    Case {
        compression: 0,
        min_saving: None,
    },
    Case {
        compression: 1,
        min_saving: None,
    },
    Case {
        compression: 1,
        min_saving: Some(0),
    },
];

const USAGE: &str = "usage: cargo xtask bench [--mib N] [--runs N]
       cargo xtask bench registry [--models N] [--runs N]

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
    if args.first().map(String::as_str) == Some("registry") {
        return registry::command(&args[1..]);
    }
    let options = parse(args)?;
    setup::ensure_garage()?;
    let tools = harness::tools(true)?;
    crate::python_binding::install(&crate::build::workspace_root())?;
    let model = model_folder(options.mib)?;
    setup::ensure_seaweedfs()?;
    let garage = servers::s3_server().context("cannot start Garage")?;
    let seaweed = servers::seaweed_server().context("cannot start SeaweedFS")?;
    for server in [garage, seaweed] {
        servers::create_bucket(server, FLOOR_BUCKET)?;
    }
    let uid = {
        let sandbox = harness::sandbox(Store::FileSystem, "bench", 1)?;
        let args = publish_args(&model, "unused", CASES[0]);
        tools.client(Side::Python, &sandbox).uid(
            args.name,
            args.subgroup,
            &args.params,
            args.version,
        )?
    };

    let (binding_startup, cli_startup) = startups(&tools)?;

    let mut rows = Vec::new();
    // Archives are the same bytes whatever the store: measured on the file
    // system, shown for both.
    let mut archives = std::collections::HashMap::new();
    for store in [Store::FileSystem, Store::S3(garage), Store::S3(seaweed)] {
        for case in CASES {
            let mut publish = Samples::default();
            let mut load = Samples::default();
            // Beside the runs it bounds, so a busy machine slows both alike.
            let (mut publish_floor, mut load_floor) = (Vec::new(), Vec::new());
            let mut hashed_floor = Vec::new();
            for run in 1..=options.runs {
                let floor = measure_floor(store, &model)?;
                publish_floor.push(floor.publish);
                load_floor.push(floor.load);
                hashed_floor.extend(floor.publish_hashed);
                for side in [Side::Python, Side::Rust, Side::Binding] {
                    eprintln!(
                        "bench: {} {} run {run}/{} {}",
                        store.label(),
                        case.label(),
                        options.runs,
                        side.label()
                    );
                    let check = run == 1;
                    let (p, l, archive) =
                        publish_and_load(&tools, store, side, &model, case, &uid, check)?;
                    if let Some(bytes) = archive {
                        archives.insert((case.label(), side.label()), bytes);
                    }
                    publish.push(side, p);
                    load.push(side, l);
                }
            }
            for (step, samples, floor, floor_hashed) in [
                (
                    Step::Publish,
                    publish,
                    table::median(&mut publish_floor),
                    table::median(&mut hashed_floor),
                ),
                (Step::Load, load, table::median(&mut load_floor), None),
            ] {
                let floor = floor.context("no runs")?;
                let archive = |side: Side| archives.get(&(case.label(), side.label())).copied();
                rows.push(Row {
                    store: store.label(),
                    case,
                    step,
                    floor,
                    floor_hashed,
                    samples,
                    archive: [archive(Side::Python), archive(Side::Rust)],
                });
            }
        }
    }
    println!(
        "\n{} MiB of float32 weights + 200 JSON files, {} cores, commit {}, medians of {} runs, whole processes (Python start-up included), each after a sync, loads into an empty cache; archive sizes from the file system (the same bytes on S3).\n",
        options.mib,
        std::thread::available_parallelism().map_or(1, usize::from),
        commit(),
        options.runs
    );
    print!("{}", table::markdown(&rows));
    println!(
        "\nStart-up alone (median of {STARTUPS}): audmodel_rs {binding_startup:.3} s (interpreter, import, configuration), the CLI {cli_startup:.3} s."
    );
    Ok(())
}

const STARTUPS: usize = 5;

/// The median time to start the binding and the CLI without work, which
/// their publish and load times include: the part of audmodel_rs / Rust
/// that is the interpreter's.
fn startups(tools: &Tools) -> Result<(f64, f64)> {
    let sandbox = harness::sandbox(Store::FileSystem, "bench", 1)?;
    let median_of = |side: Side| -> Result<f64> {
        let client = tools.client(side, &sandbox);
        let mut times = (0..STARTUPS)
            .map(|_| measure(&client.startup_command()).map(|m| m.seconds))
            .collect::<Result<Vec<_>>>()?;
        table::median(&mut times).context("no start-up runs")
    };
    Ok((median_of(Side::Binding)?, median_of(Side::Rust)?))
}

/// The commit measured, for the record.
fn commit() -> String {
    crate::harness::process::capture(Command::new("git").args(["rev-parse", "--short", "HEAD"]))
        .map(|hash| hash.trim().to_owned())
        .unwrap_or_else(|_| "unknown".to_owned())
}

/// The same model and values for both sides.
fn publish_args<'a>(root: &'a Path, repository: &'a str, case: Case) -> Publish<'a> {
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
        compression: case.compression,
        min_saving: case.min_saving,
    }
}

/// One publish into a fresh repository, then one load of it into an empty
/// cache; `check` compares the loaded files with the originals and, on a
/// file system, gives the archive's size (neither timed).
fn publish_and_load(
    tools: &Tools,
    store: Store<'_>,
    side: Side,
    model: &Path,
    case: Case,
    uid: &str,
    check: bool,
) -> Result<(Measured, Measured, Option<u64>)> {
    let sandbox = harness::sandbox(store, "bench", 1)?;
    let client = tools.client(side, &sandbox);
    let args = publish_args(model, &sandbox.repositories()[0], case);
    let publish = measure_synced(&client.publish_command(&args))
        .with_context(|| format!("{} publish", side.label()))?;
    let archive = match (check, store) {
        (true, Store::FileSystem) => Some(archive_bytes(sandbox.repository())?),
        _ => None,
    };
    quietly(|| sandbox.clear_cache())?;
    let load = measure_synced(&client.load_command(uid))
        .with_context(|| format!("{} load", side.label()))?;
    if check {
        let (short_id, version) = uid.split_once('-').context("a UID has a dash")?;
        let loaded = sandbox.cache().join(short_id).join(version);
        same_files(model, &loaded).with_context(|| format!("{} load", side.label()))?;
    }
    Ok((publish, load, archive))
}

/// [`measure`] after a `sync`: the dirty pages an earlier step left (a
/// 480 MiB archive, say) are then not written back during this one, which
/// varied the file-system steps by half their time.
fn measure_synced(command: &Command) -> Result<Measured> {
    // Without `sync` the measurement is only noisier.
    let _ = Command::new("sync").status();
    measure(command)
}

/// Bytes of the zip archives in a file-system repository (one after a publish).
fn archive_bytes(repository: &Path) -> Result<u64> {
    let mut bytes = 0;
    for file in crate::harness::data::files_below(repository)? {
        if file.extension().is_some_and(|e| e == "zip") {
            bytes += std::fs::metadata(&file)
                .with_context(|| format!("cannot stat {}", file.display()))?
                .len();
        }
    }
    Ok(bytes)
}

/// Seconds the store itself needs to take in and give back the model's
/// bytes, without either program: the floor of publish and load.
struct Floor {
    publish: f64,
    /// On S3, the upload again while `md5sum` hashes the same bytes beside
    /// it: what a publisher that stores the archive's MD5 as its `checksum`
    /// (SPEC 3) needs at least, on a machine whose cores the server shares.
    publish_hashed: Option<f64>,
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
            let seconds = measure_synced(&copy)?.seconds;
            Ok(Floor {
                publish: seconds,
                publish_hashed: None,
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
                curl
            };
            let seconds = |command: &Command| {
                measure_synced(command)
                    .map(|m| m.seconds)
                    .context("the S3 floor needs curl 7.75 or newer and md5sum")
            };
            let upload = curl(&["-T".as_ref(), blob.as_os_str()]);
            let publish = seconds(&upload)?;
            let publish_hashed = seconds(&beside_md5sum(&blob, &upload))?;
            let load = seconds(&curl(&[
                "-o".as_ref(),
                dir.path().join("back.bin").as_os_str(),
            ]))?;
            Ok(Floor {
                publish,
                publish_hashed: Some(publish_hashed),
                load,
            })
        }
    }
}

/// `command` while `md5sum` hashes `file` at the same time; fails when
/// either fails.
fn beside_md5sum(file: &Path, command: &Command) -> Command {
    let mut both = Command::new("sh");
    both.arg("-c")
        .arg(r#"md5sum "$1" >/dev/null & hashing=$!; shift; "$@" || exit 1; wait "$hashing""#)
        .arg("floor-with-md5")
        .arg(file)
        .arg(command.get_program())
        .args(command.get_args());
    both
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn the_floor_with_md5_fails_when_the_upload_or_the_hash_fails() {
        let dir = tempfile::tempdir().unwrap();
        let blob = dir.path().join("blob");
        std::fs::write(&blob, b"bytes").unwrap();
        let succeeds = |file: &Path, program: &str| {
            beside_md5sum(file, &Command::new(program))
                .stderr(std::process::Stdio::null())
                .status()
                .unwrap()
                .success()
        };
        assert!(succeeds(&blob, "true"));
        assert!(!succeeds(&blob, "false"), "a failed upload passed");
        assert!(
            !succeeds(&dir.path().join("missing"), "true"),
            "a failed hash passed"
        );
    }
}
