//! Packing and unpacking a model of float32 weights and small JSON files
//! (`AUDMODEL_BENCH_MIB`, default 48), against a plain `cp -r` of the folder.
#![allow(missing_docs, clippy::unwrap_used)]

#[path = "support/model_data.rs"]
mod model_data;

use audmodel_archive::{PackOptions, no_progress, pack, unpack};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

/// Times `run(target)` while removing the target between runs untimed.
fn timed(iters: u64, target: &Path, run: impl Fn(&Path)) -> Duration {
    let mut total = Duration::ZERO;
    for _ in 0..iters {
        let start = Instant::now();
        run(target);
        total += start.elapsed();
        std::fs::remove_dir_all(target).unwrap();
    }
    total
}

fn bench(c: &mut Criterion) {
    let mib = model_data::size_mib();
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("model");
    model_data::generate(&root, mib).unwrap();
    let archive = dir.path().join("model.zip");

    let mut group = c.benchmark_group(format!("{mib}MiB"));
    group
        .sample_size(10)
        .throughput(Throughput::Bytes(mib << 20));
    for (name, options) in [
        ("pack level 1", PackOptions::default()),
        (
            "pack level 1 deflate all",
            PackOptions {
                min_saving_percent: 0,
                ..PackOptions::default()
            },
        ),
        (
            "pack level 0",
            PackOptions {
                level: 0,
                ..PackOptions::default()
            },
        ),
    ] {
        group.bench_function(name, |b| {
            b.iter(|| pack(&root, &archive, &options, &no_progress).unwrap())
        });
    }

    let target = dir.path().join("out");
    for (name, options) in [
        ("unpack stored weights", PackOptions::default()),
        (
            "unpack all deflated",
            PackOptions {
                min_saving_percent: 0,
                ..PackOptions::default()
            },
        ),
    ] {
        pack(&root, &archive, &options, &no_progress).unwrap();
        group.bench_function(name, |b| {
            b.iter_custom(|iters| {
                timed(iters, &target, |t| {
                    unpack(&archive, t, &no_progress).unwrap();
                })
            })
        });
    }
    group.bench_function("baseline cp -r", |b| {
        b.iter_custom(|iters| {
            timed(iters, &target, |t| {
                let status = Command::new("cp")
                    .arg("-r")
                    .arg(&root)
                    .arg(t)
                    .status()
                    .unwrap();
                assert!(status.success());
            })
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
