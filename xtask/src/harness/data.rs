//! Model folders to publish: float32 weights drawn from a normal distribution
//! with a fixed seed, plus small JSON files; and a check that two folders hold
//! the same files.

use super::quietly;
use anyhow::{Context, Error, Result};
use std::io::Write;
use std::path::{Path, PathBuf};

/// What a generated model folder holds.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ModelShape {
    /// Total size of the weight files in bytes (rounded down to whole floats).
    pub(crate) weight_bytes: u64,
    /// Largest size of one weight file.
    pub(crate) weight_file_bytes: u64,
    /// How many small JSON files lie beside the weights.
    pub(crate) json_files: usize,
    /// Seed of the random weights: same seed, same bytes.
    pub(crate) seed: u64,
}

/// Writes a model folder of `shape` under `root` (created when missing).
pub(crate) fn write_model(root: &Path, shape: &ModelShape) -> Result<()> {
    let weights = root.join("weights");
    let config = root.join("config");
    for dir in [&weights, &config] {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    let mut normal = Normal::new(shape.seed);
    let floats_per_file = (shape.weight_file_bytes / 4).max(1);
    let mut left = shape.weight_bytes / 4;
    let mut part = 0;
    while left > 0 {
        let count = left.min(floats_per_file);
        let path = weights.join(format!("part-{part:03}.bin"));
        write_floats(&path, count, &mut normal)?;
        left -= count;
        part += 1;
    }
    for i in 0..shape.json_files {
        let path = config.join(format!("{i:03}.json"));
        let text = format!(
            "{{\n  \"layer\": {i},\n  \"scale\": {:.6},\n  \"activation\": \"relu\",\n  \"shape\": [{}, 64]\n}}\n",
            normal.next_f32(),
            16 + i % 48
        );
        std::fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))?;
    }
    Ok(())
}

fn write_floats(path: &Path, count: u64, normal: &mut Normal) -> Result<()> {
    const CHUNK: u64 = 1 << 18;
    let mut file =
        std::fs::File::create(path).with_context(|| format!("cannot create {}", path.display()))?;
    let mut buffer = Vec::with_capacity(CHUNK as usize * 4);
    let mut left = count;
    while left > 0 {
        let n = left.min(CHUNK);
        buffer.clear();
        for _ in 0..n {
            buffer.extend_from_slice(&normal.next_f32().to_le_bytes());
        }
        file.write_all(&buffer)
            .with_context(|| format!("cannot write {}", path.display()))?;
        left -= n;
    }
    Ok(())
}

/// Standard normal values from SplitMix64 through Box-Muller: no dependency,
/// and the same bytes on every machine.
struct Normal {
    state: u64,
    spare: Option<f32>,
}

impl Normal {
    fn new(seed: u64) -> Self {
        Normal {
            state: seed,
            spare: None,
        }
    }

    fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in (0, 1], so the logarithm below stays finite.
    fn next_unit(&mut self) -> f64 {
        ((self.next_u64() >> 11) + 1) as f64 / (1u64 << 53) as f64
    }

    fn next_f32(&mut self) -> f32 {
        if let Some(value) = self.spare.take() {
            return value;
        }
        let radius = (-2.0 * self.next_unit().ln()).sqrt();
        let angle = std::f64::consts::TAU * self.next_unit();
        self.spare = Some((radius * angle.sin()) as f32);
        (radius * angle.cos()) as f32
    }
}

/// Fails, naming the first difference, unless both folders hold the same
/// relative file paths with the same bytes (the test support crate's check).
pub(crate) fn same_files(expected: &Path, actual: &Path) -> Result<()> {
    quietly(|| audmodel_tests::model_files::same_files(expected, actual))?.map_err(Error::msg)
}

/// Every file under `root`, in the order of their relative paths.
pub(crate) fn files_below(root: &Path) -> Result<Vec<PathBuf>> {
    let tree = quietly(|| audmodel_tests::model_files::tree(root))?;
    Ok(tree.into_keys().map(|name| root.join(name)).collect())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn small() -> ModelShape {
        ModelShape {
            weight_bytes: 10_000,
            weight_file_bytes: 4_096,
            json_files: 3,
            seed: 7,
        }
    }

    #[test]
    fn same_seed_same_folder_and_a_changed_byte_is_found() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (dir.path().join("a"), dir.path().join("b"));
        write_model(&a, &small()).unwrap();
        write_model(&b, &small()).unwrap();
        same_files(&a, &b).unwrap();
        assert_eq!(
            std::fs::metadata(a.join("weights/part-002.bin"))
                .unwrap()
                .len(),
            1_808
        );
        assert!(a.join("config/002.json").is_file());

        std::fs::write(b.join("weights/part-001.bin"), b"x").unwrap();
        assert!(same_files(&a, &b).is_err());
        std::fs::remove_file(b.join("config/000.json")).unwrap();
        assert!(same_files(&a, &b).is_err());
    }

    #[test]
    fn weights_look_standard_normal() {
        let mut normal = Normal::new(1);
        let values: Vec<f64> = (0..100_000).map(|_| f64::from(normal.next_f32())).collect();
        let mean = values.iter().sum::<f64>() / values.len() as f64;
        let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / values.len() as f64;
        assert!(mean.abs() < 0.02, "mean {mean}");
        assert!((var - 1.0).abs() < 0.02, "variance {var}");
    }
}
