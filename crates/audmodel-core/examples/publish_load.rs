//! Publishes a model folder into a file-system repository and loads it into
//! a fresh cache, printing the time of each step.
//!
//! ```text
//! cargo run --release -p audmodel-core --example publish_load -- MODEL_DIR WORK_DIR
//! cargo run --release -p audmodel-core --example publish_load -- publish MODEL_DIR WORK_DIR
//! cargo run --release -p audmodel-core --example publish_load -- load WORK_DIR UID
//! ```
//!
//! The repository is `WORK_DIR/host/models`, the cache `WORK_DIR/cache`;
//! with `PUBLISH_LOAD_REPO=BACKEND,HOST,NAME` in the environment it is that
//! repository instead (say `s3,127.0.0.1:3900,bucket`, keys as for any S3
//! repository: `MINIO_ACCESS_KEY`, `MINIO_SECRET_KEY`, `MINIO_CONFIG_FILE`).
//! The `publish` and `load` forms run one step per process, so that a
//! harness can measure each step's peak memory on its own; `publish` prints
//! the UID that `load` takes. `PUBLISH_LOAD_STAGES=1` prints the times of
//! the stages (pack, upload, download, unpack) too.
#![allow(clippy::unwrap_used, clippy::print_stdout)]

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use audmodel_core::{
    Audmodel, Config, Mapping, ProgressReporter, PublishOptions, Repository, Stage,
};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    match args[..] {
        ["publish", model, work] => {
            publish(&client(Path::new(work)), Path::new(model));
        }
        ["load", work, uid] => load(&client(Path::new(work)), uid),
        [model, work] => {
            let client = client(Path::new(work));
            let uid = publish(&client, Path::new(model));
            load(&client, &uid);
        }
        _ => {
            eprintln!(
                "usage: publish_load MODEL_DIR WORK_DIR | publish MODEL_DIR WORK_DIR | load WORK_DIR UID"
            );
            std::process::exit(2);
        }
    }
}

fn client(work: &Path) -> Audmodel {
    let repo = match std::env::var("PUBLISH_LOAD_REPO") {
        Ok(spec) => {
            let [backend, host, name] = spec.splitn(3, ',').collect::<Vec<_>>()[..] else {
                panic!("PUBLISH_LOAD_REPO is BACKEND,HOST,NAME, not {spec:?}");
            };
            Repository::new(name, host, backend)
        }
        Err(_) => {
            let host: PathBuf = work.join("host");
            std::fs::create_dir_all(host.join("models")).unwrap();
            Repository::new("models", host.to_str().unwrap(), "file-system")
        }
    };
    let client = Audmodel::new(Config::new(work.join("cache"), vec![repo]));
    if std::env::var_os("PUBLISH_LOAD_STAGES").is_some() {
        client.with_progress(Arc::new(StageTimes(Instant::now())))
    } else {
        client
    }
}

/// With `PUBLISH_LOAD_STAGES` set, prints when each stage starts and ends
/// (seconds since the client was made) to standard error.
struct StageTimes(Instant);

impl ProgressReporter for StageTimes {
    fn start(&self, stage: Stage, total_bytes: u64) {
        let at = self.0.elapsed().as_secs_f64();
        eprintln!("{at:7.3} s start {stage:?} ({total_bytes} bytes)");
    }
    fn advance(&self, _: Stage, _: u64) {}
    fn finish(&self, stage: Stage) {
        let at = self.0.elapsed().as_secs_f64();
        eprintln!("{at:7.3} s end   {stage:?}");
    }
}

fn publish(client: &Audmodel, model: &Path) -> String {
    let start = Instant::now();
    let uid = client
        .publish(
            model,
            "bench",
            &Mapping::new(),
            "1.0.0",
            &PublishOptions::default(),
        )
        .unwrap();
    println!("publish {:.3} {uid}", start.elapsed().as_secs_f64());
    uid
}

fn load(client: &Audmodel, uid: &str) {
    let start = Instant::now();
    client.load(uid).unwrap();
    println!("load {:.3}", start.elapsed().as_secs_f64());
}
