//! A user's world in a temporary folder, for tests that run the `audmodel`
//! binary and the Python reference as separate processes: a home folder with
//! `~/.config/audmodel.yaml` naming one repository, a cache, and a private
//! temporary folder, all handed to every child through its environment so
//! both tools see the same configuration and nothing of this machine's.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::garage::Garage;
use crate::{cli, python};

/// Environment variables of this machine that would change what a child sees.
const CLEARED: &[&str] = &[
    "AUDMODEL_CACHE_ROOT",
    "MINIO_ACCESS_KEY",
    "MINIO_SECRET_KEY",
    "MINIO_CONFIG_FILE",
];

/// A temporary home, cache and repository shared by Rust and Python children.
#[derive(Debug)]
pub struct Sandbox {
    dir: tempfile::TempDir,
    repository: PathBuf,
    env: Vec<(String, String)>,
}

impl Sandbox {
    /// A sandbox whose one repository `models` is a folder in it.
    ///
    /// ```no_run
    /// let sandbox = audmodel_tests::sandbox::Sandbox::file_system();
    /// let out = sandbox.cli(&["exists", "d4e9c65b-1.0.0"]);
    /// assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "false");
    /// ```
    pub fn file_system() -> Sandbox {
        let dir = temp_dir();
        let host = dir.path().join("host");
        let repository = host.join("models");
        std::fs::create_dir_all(&repository)
            .unwrap_or_else(|e| panic!("cannot create {}: {e}", repository.display()));
        Sandbox::with_repository(
            dir,
            repository,
            &host.display().to_string(),
            "file-system",
            &[],
        )
    }

    /// A sandbox whose one repository is a new bucket on the Garage test
    /// server (named after `prefix`).
    pub fn s3(garage: &Garage, prefix: &str) -> Sandbox {
        let bucket = garage.new_bucket(prefix);
        let env = garage.env();
        Sandbox::with_repository(
            temp_dir(),
            PathBuf::from(&bucket),
            &garage.endpoint,
            "s3",
            &env,
        )
    }

    fn with_repository(
        dir: tempfile::TempDir,
        repository: PathBuf,
        host: &str,
        backend: &str,
        extra: &[(String, String)],
    ) -> Sandbox {
        let home = dir.path().join("home");
        let cache = dir.path().join("cache");
        let tmp = dir.path().join("tmp");
        let config = home.join(".config");
        for folder in [&config, &cache, &tmp] {
            std::fs::create_dir_all(folder)
                .unwrap_or_else(|e| panic!("cannot create {}: {e}", folder.display()));
        }
        let name = repository
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_else(|| panic!("no repository name in {}", repository.display()));
        let yaml = format!(
            "cache_root: {}\nrepositories:\n  - name: {name}\n    host: {host}\n    backend: {backend}\n",
            cache.display()
        );
        let file = config.join("audmodel.yaml");
        std::fs::write(&file, yaml)
            .unwrap_or_else(|e| panic!("cannot write {}: {e}", file.display()));
        let mut env: Vec<(String, String)> = vec![
            ("HOME".into(), home.display().to_string()),
            ("TMPDIR".into(), tmp.display().to_string()),
            ("PYTHONIOENCODING".into(), "utf-8".into()),
        ];
        env.extend_from_slice(extra);
        Sandbox {
            dir,
            repository,
            env,
        }
    }

    /// The sandbox folder; nothing a test runs should write outside it.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// The cache root.
    pub fn cache(&self) -> PathBuf {
        self.dir.path().join("cache")
    }

    /// The temporary folder of the children (`TMPDIR`).
    pub fn tmp(&self) -> PathBuf {
        self.dir.path().join("tmp")
    }

    /// The repository's root folder (file system) or bucket name (S3).
    pub fn repository(&self) -> &Path {
        &self.repository
    }

    /// The environment every child gets.
    pub fn env(&self) -> &[(String, String)] {
        &self.env
    }

    fn prepare(&self, mut command: Command) -> Command {
        for name in CLEARED {
            command.env_remove(name);
        }
        command.envs(self.env.iter().map(|(k, v)| (k, v)));
        command.current_dir(self.dir.path());
        command
    }

    /// An `audmodel` command with this sandbox's environment, not yet started.
    pub fn cli_command(&self, args: &[&str]) -> Command {
        let mut command = self.prepare(Command::new(cli::audmodel()));
        command.args(args);
        command
    }

    /// Runs `audmodel ARGS...` to its end.
    pub fn cli(&self, args: &[&str]) -> Output {
        let mut command = self.cli_command(args);
        command
            .output()
            .unwrap_or_else(|e| panic!("cannot run audmodel {args:?}: {e}"))
    }

    /// Runs `audmodel ARGS...` and returns its trimmed stdout.
    ///
    /// # Panics
    /// When it fails (with its stderr).
    pub fn cli_ok(&self, args: &[&str]) -> String {
        let out = self.cli(args);
        assert!(
            out.status.success(),
            "audmodel {args:?} failed: {}",
            describe(&out)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    }

    /// A `python -c SCRIPT ARGS...` command of the reference with this
    /// sandbox's environment, or `None` when the reference cannot be installed
    /// (no package index; the reason is printed).
    pub fn python_command(&self, script: &str, args: &[&str]) -> Option<Command> {
        let python = python::require()?;
        let mut command = self.prepare(Command::new(python));
        command.arg("-c").arg(script).args(args);
        Some(command)
    }

    /// Runs a reference script to its end and returns its trimmed stdout.
    ///
    /// # Panics
    /// When the reference is missing or the script fails (with its stderr).
    pub fn python_ok(&self, script: &str, args: &[&str]) -> String {
        let mut command = self
            .python_command(script, args)
            .unwrap_or_else(|| panic!("no Python reference"));
        let out = command
            .output()
            .unwrap_or_else(|e| panic!("cannot run the reference: {e}"));
        assert!(
            out.status.success(),
            "python failed: {}\n--- script\n{script}",
            describe(&out)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    }
}

/// Status, stdout and stderr of a finished child, for assertion messages.
pub fn describe(output: &Output) -> String {
    format!(
        "status {}\n--- stdout\n{}\n--- stderr\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

fn temp_dir() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("audmodel-reliability-")
        .tempdir()
        .unwrap_or_else(|e| panic!("cannot create a temporary folder: {e}"))
}
