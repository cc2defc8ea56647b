//! The Python reference (`audmodel==1.5.3`) in a virtualenv made once per checkout.
//!
//! The virtualenv lives in the workspace's target folder (`python-ref/`),
//! is created on first use with `python3 -m venv` and `pip install
//! audmodel==1.5.3`, and is reused while it holds that version. A file lock
//! makes test binaries that start at the same time create it only once.
//!
//! Only a failure to reach the package index turns into a skip; any other
//! failure panics, so the test fails.

use fs4::FileExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

/// The reference version every interop test compares against.
pub const AUDMODEL_VERSION: &str = "1.5.3";

/// Messages pip prints when it cannot reach the package index.
const NETWORK_ERRORS: &[&str] = &[
    "NewConnectionError",
    "Failed to establish a new connection",
    "Temporary failure in name resolution",
    "Name or service not known",
    "Network is unreachable",
    "Max retries exceeded",
    "ConnectTimeoutError",
    "ReadTimeoutError",
    "ProxyError",
];

/// The workspace's target folder: `CARGO_TARGET_DIR` or `<workspace>/target`.
fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("..")
            .join("target"),
    }
}

/// The interpreter inside the virtualenv at `venv`.
fn venv_python(venv: &Path) -> PathBuf {
    venv.join("bin").join("python")
}

fn describe(output: &Output) -> String {
    format!(
        "status {}\n--- stdout\n{}\n--- stderr\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// Whether the virtualenv's Python imports audmodel at the reference version.
fn has_reference(python: &Path) -> bool {
    Command::new(python)
        .args([
            "-c",
            "import importlib.metadata as m, audmodel; print(m.version('audmodel'))",
        ])
        .output()
        .is_ok_and(|o| {
            o.status.success() && String::from_utf8_lossy(&o.stdout).trim() == AUDMODEL_VERSION
        })
}

/// The base interpreter: Python 3.11 (the Unicode version of the
/// `repr` tables) when there is one, else `python3`.
fn base_python() -> &'static str {
    let has_311 = Command::new("python3.11")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if has_311 { "python3.11" } else { "python3" }
}

fn create(venv: &Path) -> Result<PathBuf, String> {
    let python = venv_python(venv);
    if has_reference(&python) {
        return Ok(python);
    }
    if venv.exists() {
        std::fs::remove_dir_all(venv)
            .unwrap_or_else(|e| panic!("cannot remove stale {}: {e}", venv.display()));
    }
    let made = Command::new(base_python())
        .args(["-m", "venv"])
        .arg(venv)
        .output()
        .unwrap_or_else(|e| panic!("cannot run python3 -m venv: {e}"));
    assert!(
        made.status.success(),
        "python3 -m venv failed: {}",
        describe(&made)
    );
    let installed = Command::new(&python)
        .args([
            "-m",
            "pip",
            "install",
            "--quiet",
            &format!("audmodel=={AUDMODEL_VERSION}"),
        ])
        .output()
        .unwrap_or_else(|e| panic!("cannot run pip: {e}"));
    if !installed.status.success() {
        let stderr = String::from_utf8_lossy(&installed.stderr);
        // Leave no half-made virtualenv behind for the next run to trust.
        let _ = std::fs::remove_dir_all(venv);
        if NETWORK_ERRORS.iter().any(|marker| stderr.contains(marker)) {
            return Err(format!(
                "the package index cannot be reached to install audmodel=={AUDMODEL_VERSION}"
            ));
        }
        panic!(
            "pip install audmodel=={AUDMODEL_VERSION} failed: {}",
            describe(&installed)
        );
    }
    assert!(
        has_reference(&python),
        "audmodel {AUDMODEL_VERSION} is not importable after pip install"
    );
    Ok(python)
}

/// A Python interpreter with `audmodel==1.5.3` installed, or the reason there
/// is none (the package index cannot be reached).
///
/// # Panics
/// On any other failure to make the virtualenv (a test failure).
pub fn reference() -> Result<&'static Path, String> {
    static REFERENCE: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    REFERENCE
        .get_or_init(|| {
            let target = target_dir();
            std::fs::create_dir_all(&target)
                .unwrap_or_else(|e| panic!("cannot create {}: {e}", target.display()));
            let lock_path = target.join("python-ref.lock");
            let lock = std::fs::File::create(&lock_path)
                .unwrap_or_else(|e| panic!("cannot create {}: {e}", lock_path.display()));
            FileExt::lock(&lock)
                .unwrap_or_else(|e| panic!("cannot lock {}: {e}", lock_path.display()));
            let result = create(&target.join("python-ref"));
            let _ = FileExt::unlock(&lock);
            result
        })
        .as_ref()
        .map(PathBuf::as_path)
        .map_err(Clone::clone)
}

/// For a test that needs the reference: the interpreter, or `None` after
/// printing `skipped: <reason>` when the package index cannot be reached.
pub fn require() -> Option<&'static Path> {
    match reference() {
        Ok(python) => Some(python),
        Err(reason) => {
            println!("skipped: {reason}");
            None
        }
    }
}

/// Runs `python -c SCRIPT ARGS...` with the reference interpreter and extra
/// environment variables and returns its stdout (UTF-8).
///
/// # Panics
/// When the reference is missing or the script fails (with its stderr): this
/// is test support. Call [`require`] first to skip without a network.
pub fn run(script: &str, args: &[&str], env: &[(&str, &str)]) -> String {
    let python = reference().unwrap_or_else(|reason| panic!("no Python reference: {reason}"));
    let output = Command::new(python)
        .arg("-c")
        .arg(script)
        .args(args)
        .envs(env.iter().copied())
        .env("PYTHONIOENCODING", "utf-8")
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", python.display()));
    assert!(
        output.status.success(),
        "python script failed: {}\n--- script\n{script}",
        describe(&output)
    );
    String::from_utf8(output.stdout).unwrap_or_else(|e| panic!("python printed no UTF-8: {e}"))
}
