//! A home folder with `.config/audmodel.yaml` naming two file-system
//! repositories, a cache, and a model folder, all in one temporary folder.
#![allow(clippy::unwrap_used, unreachable_pub, dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use assert_cmd::Command;

pub struct Sandbox {
    pub dir: tempfile::TempDir,
}

impl Sandbox {
    /// Repositories `first` and `second` below `host/`, cache in `cache/`.
    pub fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("home/.config");
        std::fs::create_dir_all(&config).unwrap();
        let host = dir.path().join("host");
        for name in ["first", "second"] {
            std::fs::create_dir_all(host.join(name)).unwrap();
        }
        std::fs::write(
            config.join("audmodel.yaml"),
            format!(
                "cache_root: {0}/unused-cache\nrepositories:\n  - name: first\n    host: {1}\n    backend: file-system\n  - name: second\n    host: {1}\n    backend: file-system\n",
                dir.path().display(),
                host.display()
            ),
        )
        .unwrap();
        let model = dir.path().join("model");
        std::fs::create_dir_all(model.join("sub")).unwrap();
        std::fs::write(model.join("weights.bin"), b"0123456789").unwrap();
        std::fs::write(model.join("sub/config.json"), b"{}").unwrap();
        Self { dir }
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    pub fn model(&self) -> PathBuf {
        self.path("model")
    }

    pub fn cache(&self) -> PathBuf {
        self.path("cache")
    }

    /// `audmodel ARGS` in this sandbox (never the real home).
    pub fn cmd(&self, args: &[&str]) -> Command {
        Command::from_std(self.std_cmd(args))
    }

    /// The same as a `std::process::Command`, for children a test signals.
    pub fn std_cmd(&self, args: &[&str]) -> std::process::Command {
        let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("audmodel"));
        cmd.args(args)
            .env("HOME", self.path("home"))
            .env("AUDMODEL_CACHE_ROOT", self.cache())
            .env("USER", "tester")
            .env("TMPDIR", self.dir.path())
            .env_remove("MINIO_ACCESS_KEY")
            .env_remove("MINIO_SECRET_KEY")
            .env_remove("MINIO_CONFIG_FILE");
        cmd
    }

    /// Runs and expects success; standard output trimmed.
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.cmd(args).output().unwrap();
        assert!(
            out.status.success(),
            "audmodel {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap().trim_end().to_owned()
    }

    /// Runs with `--json` and parses the answer.
    pub fn json(&self, args: &[&str]) -> serde_json::Value {
        let mut args = args.to_vec();
        args.push("--json");
        serde_json::from_str(&self.ok(&args)).unwrap()
    }

    /// Publishes the model folder as `torch` with the given version and params.
    pub fn publish(&self, version: &str, params: &str, extra: &[&str]) -> String {
        let model = self.model();
        let mut args = vec![
            "publish",
            model.to_str().unwrap(),
            "--name",
            "torch",
            "--subgroup",
            "audmodel.dummy.cnn",
            "--params",
            params,
            "--version",
            version,
        ];
        args.extend(extra);
        self.ok(&args)
    }

    /// Every file below the repositories and the cache with its bytes, lock
    /// files aside: the core leaves empty lock files in the cache (as the
    /// reference's filelock does), even in a new folder for a model that is
    /// not found; folders count only by the files in them.
    pub fn snapshot(&self) -> BTreeMap<PathBuf, Vec<u8>> {
        let mut files = BTreeMap::new();
        for root in [self.path("host"), self.cache()] {
            walk(&root, &mut files);
        }
        files
    }
}

fn walk(dir: &Path, files: &mut BTreeMap<PathBuf, Vec<u8>>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "lock") {
            continue;
        }
        if path.is_dir() {
            walk(&path, files);
        } else {
            files.insert(path.clone(), std::fs::read(&path).unwrap());
        }
    }
}
