//! A model folder for benchmarks: float32 weights drawn from a normal
//! distribution (like trained weights, they barely compress) and 200 small
//! JSON files. Shared by the benchmark and the `pack` example.
#![allow(dead_code)]

use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::Path;

/// The folder size in MiB from `AUDMODEL_BENCH_MIB` (default 48).
pub(crate) fn size_mib() -> u64 {
    std::env::var("AUDMODEL_BENCH_MIB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(48)
}

/// xorshift64* with Box-Muller: no crate needed for normal noise.
struct Normal(u64);

impl Normal {
    fn uniform(&mut self) -> f64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        let x = self.0.wrapping_mul(0x2545_f491_4f6c_dd1d);
        ((x >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }

    fn pair(&mut self) -> (f32, f32) {
        let (u, v) = (self.uniform(), self.uniform());
        let r = (-2.0 * u.ln()).sqrt();
        let t = std::f64::consts::TAU * v;
        ((r * t.cos()) as f32, (r * t.sin()) as f32)
    }
}

fn weights(path: &Path, bytes: u64, seed: u64) -> io::Result<()> {
    let mut out = BufWriter::with_capacity(1 << 20, File::create(path)?);
    let mut normal = Normal(seed | 1);
    for _ in 0..bytes / 8 {
        let (a, b) = normal.pair();
        out.write_all(&a.to_le_bytes())?;
        out.write_all(&b.to_le_bytes())?;
    }
    out.flush()
}

/// Writes the model below `root` (created): one weight file of 3/4 of
/// `mib`, four layers sharing the rest, and 200 JSON files.
pub(crate) fn generate(root: &Path, mib: u64) -> io::Result<()> {
    let total = mib << 20;
    fs::create_dir_all(root.join("layers"))?;
    fs::create_dir_all(root.join("config"))?;
    weights(&root.join("model.bin"), total / 4 * 3, 1)?;
    for i in 0..4 {
        weights(&root.join(format!("layers/{i}.bin")), total / 16, 10 + i)?;
    }
    for i in 0..200 {
        let json = format!(
            "{{\"layer\": {i}, \"name\": \"block-{i}\", \"shape\": [{}, 256], \"activation\": \"gelu\"}}\n",
            i * 8
        );
        fs::write(root.join(format!("config/{i:03}.json")), json)?;
    }
    Ok(())
}
