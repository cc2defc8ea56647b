//! A user's world in a temporary folder, for tests (and the xtask scenarios
//! and benchmarks) that run the `audmodel` binary and the Python reference as
//! separate processes: a home folder with `~/.config/audmodel.yaml` naming
//! the repositories, a cache, and a private temporary folder, all handed to
//! every child through its environment so both tools see the same
//! configuration and nothing of this machine's.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use crate::s3_server::S3Server;
use crate::{cli, python};

/// Environment variables of this machine that would change what a child sees.
const CLEARED: &[&str] = &[
    "AUDMODEL_CACHE_ROOT",
    "XDG_CONFIG_HOME",
    "MINIO_ACCESS_KEY",
    "MINIO_SECRET_KEY",
    "MINIO_CONFIG_FILE",
    "AZURE_STORAGE_ACCOUNT_NAME",
    "AZURE_STORAGE_ACCOUNT_KEY",
    "GOOGLE_SERVICE_ACCOUNT",
    "GOOGLE_APPLICATION_CREDENTIALS",
];

/// Where a sandbox keeps its repositories.
#[derive(Debug, Clone, Copy)]
pub enum Store<'a> {
    /// Folders inside the sandbox.
    FileSystem,
    /// Fresh buckets on an S3 test server (Garage, SeaweedFS).
    S3(&'a S3Server),
}

impl Store<'_> {
    /// Short label for test and scenario names: `fs`, `garage` or `seaweedfs`.
    pub fn label(&self) -> &'static str {
        match self {
            Store::FileSystem => "fs",
            Store::S3(server) => server.label,
        }
    }
}

/// A temporary home, cache and repositories shared by Rust and Python children.
#[derive(Debug)]
pub struct Sandbox {
    dir: tempfile::TempDir,
    repository: PathBuf,
    repositories: Vec<String>,
    env: Vec<(String, String)>,
    /// Whether the Python reference can read the repositories (it has no
    /// Azure or GCS backend).
    reference_reads: bool,
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
        Sandbox::new(Store::FileSystem, "models", 1)
    }

    /// A sandbox whose one repository is a new bucket on an S3 test
    /// server (named after `prefix`).
    pub fn s3(server: &S3Server, prefix: &str) -> Sandbox {
        Sandbox::new(Store::S3(server), prefix, 1)
    }

    /// A sandbox with `count` (one or more) empty repositories in `store`,
    /// configured in that order: folders `prefix`, `prefix-2`, … below the
    /// sandbox's `host/`, or fresh buckets whose names start with `prefix`.
    pub fn new(store: Store<'_>, prefix: &str, count: usize) -> Sandbox {
        assert!(count > 0, "a sandbox needs a repository");
        let dir = temp_dir();
        let (host, backend, repositories, extra) = match store {
            Store::FileSystem => {
                let host = dir.path().join("host");
                let names: Vec<String> = (1..=count)
                    .map(|i| match i {
                        1 => prefix.to_owned(),
                        _ => format!("{prefix}-{i}"),
                    })
                    .collect();
                for name in &names {
                    let folder = host.join(name);
                    std::fs::create_dir_all(&folder)
                        .unwrap_or_else(|e| panic!("cannot create {}: {e}", folder.display()));
                }
                (host.display().to_string(), "file-system", names, Vec::new())
            }
            Store::S3(garage) => {
                let names = (0..count).map(|_| garage.new_bucket(prefix)).collect();
                (garage.endpoint.clone(), "s3", names, garage.env())
            }
        };
        let repository = match store {
            Store::FileSystem => Path::new(&host).join(&repositories[0]),
            Store::S3(_) => PathBuf::from(&repositories[0]),
        };
        Sandbox::assemble(dir, &host, backend, repositories, repository, extra)
    }

    /// A sandbox whose one repository is a fresh container on Azurite,
    /// whose name starts with `prefix`; its account and key are in the
    /// standard environment variables of every child.
    pub fn azure(server: &crate::azurite::AzureServer, prefix: &str) -> Sandbox {
        let name = server.new_container(prefix);
        let repository = PathBuf::from(&name);
        Sandbox::assemble(
            temp_dir(),
            &server.endpoint,
            "azure",
            vec![name],
            repository,
            server.env(),
        )
    }

    /// The sandbox's folders and configuration file, naming `repositories`
    /// on `host` with `backend`.
    fn assemble(
        dir: tempfile::TempDir,
        host: &str,
        backend: &str,
        repositories: Vec<String>,
        repository: PathBuf,
        extra: Vec<(String, String)>,
    ) -> Sandbox {
        let home = dir.path().join("home");
        let cache = dir.path().join("cache");
        let tmp = dir.path().join("tmp");
        let config = home.join(".config");
        for folder in [&config, &cache, &tmp] {
            std::fs::create_dir_all(folder)
                .unwrap_or_else(|e| panic!("cannot create {}: {e}", folder.display()));
        }
        let mut yaml = format!("cache_root: {}\nrepositories:\n", cache.display());
        for name in &repositories {
            yaml.push_str(&format!(
                "  - name: {name}\n    host: {host}\n    backend: {backend}\n"
            ));
        }
        let file = config.join("audmodel.yaml");
        std::fs::write(&file, yaml)
            .unwrap_or_else(|e| panic!("cannot write {}: {e}", file.display()));
        let mut env: Vec<(String, String)> = vec![
            ("HOME".into(), home.display().to_string()),
            ("TMPDIR".into(), tmp.display().to_string()),
            ("PYTHONIOENCODING".into(), "utf-8".into()),
        ];
        env.extend(extra);
        Sandbox {
            dir,
            repository,
            repositories,
            env,
            reference_reads: matches!(backend, "file-system" | "s3" | "minio"),
        }
    }

    /// Takes the S3 credentials away from every child, as from a reader of
    /// a public bucket: no `MINIO_*` variable, and the default INI file
    /// (`~/.config/audbackend/minio.cfg` in the sandbox's home) says only
    /// that `server` speaks plain HTTP. A command that must write still
    /// can, given `server.env()`.
    pub fn without_credentials(&mut self, server: &S3Server) {
        self.env.retain(|(name, _)| !name.starts_with("MINIO_"));
        let folder = self.dir.path().join("home/.config/audbackend");
        let ini = folder.join("minio.cfg");
        std::fs::create_dir_all(&folder)
            .and_then(|()| std::fs::write(&ini, format!("[{}]\nsecure =\n", server.endpoint)))
            .unwrap_or_else(|e| panic!("cannot write {}: {e}", ini.display()));
    }

    /// Whether the Python reference can read the sandbox's repositories:
    /// not Azure or GCS ones, for which it has no backend.
    pub fn reference_reads(&self) -> bool {
        self.reference_reads
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

    /// The first repository's root folder (file system) or bucket name (S3).
    pub fn repository(&self) -> &Path {
        &self.repository
    }

    /// The names of the repositories, in configured order.
    pub fn repositories(&self) -> &[String] {
        &self.repositories
    }

    /// Empties the cache, so the next load downloads again.
    pub fn clear_cache(&self) {
        let cache = self.cache();
        std::fs::remove_dir_all(&cache)
            .and_then(|()| std::fs::create_dir(&cache))
            .unwrap_or_else(|e| panic!("cannot empty {}: {e}", cache.display()));
    }

    /// A fresh folder `name` for inputs (model folders, files to compare).
    pub fn scratch(&self, name: &str) -> PathBuf {
        let path = self.dir.path().join("scratch").join(name);
        std::fs::create_dir_all(&path)
            .unwrap_or_else(|e| panic!("cannot create {}: {e}", path.display()));
        path
    }

    /// The environment every child gets.
    pub fn env(&self) -> &[(String, String)] {
        &self.env
    }

    /// `program` as this sandbox's user (its environment, run in the
    /// sandbox), not yet started.
    pub fn command(&self, program: &Path) -> Command {
        let mut command = Command::new(program);
        for name in CLEARED {
            command.env_remove(name);
        }
        command.envs(self.env.iter().map(|(k, v)| (k, v)));
        command.current_dir(self.dir.path());
        command
    }

    /// An `audmodel` command with this sandbox's environment, not yet started.
    pub fn cli_command(&self, args: &[&str]) -> Command {
        let mut command = self.command(cli::audmodel());
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

    /// Runs one `audmodel` child per argument list, all started before any
    /// is waited for, so they race; returns their outputs in order.
    pub fn cli_together<S: AsRef<str>>(&self, commands: &[Vec<S>]) -> Vec<Output> {
        let children: Vec<_> = commands
            .iter()
            .map(|args| {
                let args: Vec<&str> = args.iter().map(AsRef::as_ref).collect();
                self.cli_command(&args)
                    .stdout(Stdio::piped())
                    .stderr(Stdio::piped())
                    .spawn()
                    .unwrap_or_else(|e| panic!("cannot run audmodel {args:?}: {e}"))
            })
            .collect();
        children
            .into_iter()
            .map(|child| child.wait_with_output().expect("a racer's output"))
            .collect()
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
        let mut command = self.command(python);
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
        .prefix("audmodel-sandbox-")
        .tempdir()
        .unwrap_or_else(|e| panic!("cannot create a temporary folder: {e}"))
}
