//! A user of its own for each scenario: a temporary HOME whose
//! `.config/audmodel.yaml` lists the scenario's repositories (the Python
//! reference reads the same file), and an empty cache named there.

use super::servers::S3Server;
use anyhow::{Context, Result};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use tempfile::TempDir;

/// Where a sandbox keeps its repositories.
#[derive(Clone, Copy)]
pub(crate) enum Store<'a> {
    /// Folders inside the sandbox.
    FileSystem,
    /// Buckets on an S3 server on 127.0.0.1.
    S3(&'a S3Server),
}

impl Store<'_> {
    /// Short label for scenario names and tables.
    pub(crate) fn label(&self) -> &'static str {
        match self {
            Store::FileSystem => "fs",
            Store::S3(_) => "garage",
        }
    }
}

/// A temporary HOME with configuration, cache and scratch room; removed on drop.
pub(crate) struct Sandbox {
    dir: TempDir,
    repositories: Vec<String>,
    s3: Option<(String, String, String)>,
}

/// Makes repository (and bucket) names unique across the sandboxes of one run,
/// since they share one S3 server.
static NEXT_REPOSITORY: AtomicUsize = AtomicUsize::new(0);

impl Sandbox {
    /// A sandbox with `count` fresh, empty repositories in `store`, listed in
    /// that order in the configuration.
    pub(crate) fn new(store: Store<'_>, count: usize) -> Result<Self> {
        let dir = tempfile::Builder::new()
            .prefix("audmodel-xtask-")
            .tempdir()
            .context("cannot create a temporary HOME")?;
        let sandbox_id = std::process::id();
        let repositories: Vec<String> = (0..count)
            .map(|_| {
                let n = NEXT_REPOSITORY.fetch_add(1, Ordering::Relaxed);
                format!("repo-{sandbox_id}-{n}")
            })
            .collect();
        let mut sandbox = Sandbox {
            dir,
            repositories,
            s3: None,
        };
        let host = match store {
            Store::FileSystem => {
                let host = sandbox.dir.path().join("repositories");
                for name in &sandbox.repositories {
                    create_dir(&host.join(name))?;
                }
                host.display().to_string()
            }
            Store::S3(server) => {
                for name in &sandbox.repositories {
                    server.create_bucket(name)?;
                }
                sandbox.s3 = Some((
                    server.host().to_owned(),
                    server.access_key().to_owned(),
                    server.secret_key().to_owned(),
                ));
                server.host().to_owned()
            }
        };
        sandbox.write_config(&host, store)?;
        create_dir(&sandbox.cache())?;
        Ok(sandbox)
    }

    fn write_config(&self, host: &str, store: Store<'_>) -> Result<()> {
        let backend = match store {
            Store::FileSystem => "file-system",
            Store::S3(_) => "s3",
        };
        let mut yaml = format!("cache_root: {}\nrepositories:\n", self.cache().display());
        for name in &self.repositories {
            // Writing to a String cannot fail.
            let _ = write!(
                yaml,
                "  - name: {name}\n    host: {host}\n    backend: {backend}\n"
            );
        }
        let config = self.home().join(".config");
        create_dir(&config)?;
        write(&config.join("audmodel.yaml"), &yaml)?;
        if let Some((host, _, _)) = &self.s3 {
            // Plain HTTP to the local server: the reference takes only an empty
            // `secure` as false. The keys travel in the environment instead.
            let audbackend = config.join("audbackend");
            create_dir(&audbackend)?;
            write(
                &audbackend.join("minio.cfg"),
                &format!("[{host}]\nsecure =\n"),
            )?;
        }
        Ok(())
    }

    /// The temporary HOME.
    pub(crate) fn home(&self) -> PathBuf {
        self.dir.path().join("home")
    }

    /// The cache folder named in the configuration.
    pub(crate) fn cache(&self) -> PathBuf {
        self.dir.path().join("cache")
    }

    /// Empties the cache, so the next load downloads again.
    pub(crate) fn clear_cache(&self) -> Result<()> {
        let cache = self.cache();
        std::fs::remove_dir_all(&cache)
            .with_context(|| format!("cannot remove {}", cache.display()))?;
        create_dir(&cache)
    }

    /// A fresh folder for inputs (model folders, files to compare).
    pub(crate) fn scratch(&self, name: &str) -> Result<PathBuf> {
        let path = self.dir.path().join("scratch").join(name);
        create_dir(&path)?;
        Ok(path)
    }

    /// The names of the repositories, in configured order.
    pub(crate) fn repositories(&self) -> &[String] {
        &self.repositories
    }

    /// A command that runs as this sandbox's user.
    pub(crate) fn command(&self, program: &Path) -> Command {
        let mut command = Command::new(program);
        command
            .env("HOME", self.home())
            .env_remove("AUDMODEL_CACHE_ROOT")
            .env_remove("XDG_CONFIG_HOME")
            .env_remove("MINIO_CONFIG_FILE")
            .env_remove("MINIO_ACCESS_KEY")
            .env_remove("MINIO_SECRET_KEY")
            .current_dir(self.dir.path());
        if let Some((_, access, secret)) = &self.s3 {
            command
                .env("MINIO_ACCESS_KEY", access)
                .env("MINIO_SECRET_KEY", secret);
        }
        command
    }
}

fn create_dir(path: &Path) -> Result<()> {
    std::fs::create_dir_all(path).with_context(|| format!("cannot create {}", path.display()))
}

fn write(path: &Path, text: &str) -> Result<()> {
    std::fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))
}
