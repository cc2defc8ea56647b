//! `Audmodel::cache_list` (what `audmodel cache ls` prints) on a cache of
//! 10,000 models (`AUDMODEL_BENCH_MODELS`), each as a load leaves it: a
//! model folder of three files, the header copy and the lock file.
#![allow(missing_docs, clippy::unwrap_used)]

use audmodel_core::{Audmodel, Config};
use criterion::{Criterion, criterion_group, criterion_main};

fn models() -> usize {
    std::env::var("AUDMODEL_BENCH_MODELS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(10_000)
}

fn fill(cache: &std::path::Path, count: usize) {
    for i in 0..count {
        let sid = format!("{:08x}", i * 2_654_435_761 % (1 << 32));
        let version = format!("1.0.{}", i % 3);
        let dir = cache.join(&sid);
        let model = dir.join(&version);
        std::fs::create_dir_all(model.join("conf")).unwrap();
        std::fs::write(model.join("weights.bin"), vec![1u8; 8192]).unwrap();
        std::fs::write(model.join("labels.json"), b"[\"a\", \"b\"]").unwrap();
        std::fs::write(model.join("conf/model.yaml"), b"layers: 4\n").unwrap();
        std::fs::write(
            dir.join(format!("{version}.header.yaml")),
            format!(
                "author: bench\ndate: 2024-01-02\nname: model{i}\nparameters:\n  \
                 sampling_rate: 16000\nsubgroup: bench.models\nversion: {version}\n"
            ),
        )
        .unwrap();
        std::fs::write(dir.join(format!(".{version}.lock")), b"").unwrap();
    }
}

fn bench(c: &mut Criterion) {
    let count = models();
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache");
    fill(&cache, count);
    let client = Audmodel::new(Config::new(cache, Vec::new()));
    assert_eq!(client.cache_list().unwrap().len(), count);
    let mut group = c.benchmark_group("cache_ls");
    group.sample_size(10);
    group.bench_function(format!("{count} models"), |b| {
        b.iter(|| client.cache_list().unwrap())
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
