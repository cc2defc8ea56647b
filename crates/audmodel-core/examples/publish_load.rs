//! Publishes a model folder into a file-system repository and loads it into
//! a fresh cache, printing the time of each step.
//!
//! `cargo run --release -p audmodel-core --example publish_load -- MODEL_DIR WORK_DIR`
#![allow(clippy::unwrap_used, clippy::print_stdout)]

use std::path::PathBuf;
use std::time::Instant;

use audmodel_core::{Audmodel, Config, Mapping, PublishOptions, Repository};

fn main() {
    let args: Vec<PathBuf> = std::env::args_os().skip(1).map(PathBuf::from).collect();
    let [model, work] = &args[..] else {
        eprintln!("usage: publish_load MODEL_DIR WORK_DIR");
        std::process::exit(2);
    };
    let repo = Repository::new("models", work.join("host").to_str().unwrap(), "file-system");
    let client = Audmodel::new(Config::new(work.join("cache"), vec![repo]));
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
    println!("publish {:.2} s", start.elapsed().as_secs_f64());
    let start = Instant::now();
    client.load(&uid).unwrap();
    println!("load {:.2} s", start.elapsed().as_secs_f64());
}
