//! The Python reference (`audmodel==1.5.3`) in a virtualenv made once per checkout.
//!
//! The virtualenv lives in the workspace's target folder (`python-ref/`),
//! is created on first use with `python3 -m venv` and `pip install
//! audmodel==1.5.3`, and is reused while it holds that version. A file lock
//! makes test binaries that start at the same time create it only once.
//!
//! A missing `python3` (or its `venv` module) and a package index that
//! cannot be reached are [`Missing`] requirements: a skip for a developer, a
//! failure under CI (see [`crate::require`]). Any other failure panics, so
//! the test fails.

use crate::require::{self, Missing};
use crate::sandbox::describe;
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

/// The interpreter inside the virtualenv at `venv`.
fn venv_python(venv: &Path) -> PathBuf {
    venv.join("bin").join("python")
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

/// How to get the interpreter the reference runs on.
const INSTALL_PYTHON: &str = "install Python 3.11 with its venv module \
    (`apt-get install python3.11 python3.11-venv`, or from python.org) so that \
    `python3.11` or `python3` is on PATH";

/// The base interpreter: Python 3.11 (the Unicode version of the
/// `repr` tables) when there is one, else `python3`, else none.
fn base_python() -> Result<&'static str, Missing> {
    ["python3.11", "python3"]
        .into_iter()
        .find(|python| {
            Command::new(python)
                .arg("--version")
                .output()
                .is_ok_and(|o| o.status.success())
        })
        .ok_or_else(|| Missing::new("python3", INSTALL_PYTHON))
}

/// Output of `python -m venv` when the interpreter has no (working) venv
/// module, as Debian's python3 without python3-venv.
fn lacks_venv(output: &Output) -> bool {
    let stderr = String::from_utf8_lossy(&output.stderr);
    stderr.contains("ensurepip") || stderr.contains("No module named venv")
}

/// Makes the virtualenv `venv` with `package` installed by pip, unless
/// `ready` says its interpreter has it already; a stale one is made anew.
fn create(venv: &Path, package: &str, ready: fn(&Path) -> bool) -> Result<PathBuf, Missing> {
    let python = venv_python(venv);
    if ready(&python) {
        return Ok(python);
    }
    if venv.exists() {
        std::fs::remove_dir_all(venv)
            .unwrap_or_else(|e| panic!("cannot remove stale {}: {e}", venv.display()));
    }
    let base = base_python()?;
    let made = Command::new(base)
        .args(["-m", "venv"])
        .arg(venv)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {base} -m venv: {e}"));
    if !made.status.success() && lacks_venv(&made) {
        let _ = std::fs::remove_dir_all(venv);
        return Err(Missing::new(
            format!("the venv module of {base}"),
            INSTALL_PYTHON,
        ));
    }
    assert!(
        made.status.success(),
        "{base} -m venv failed: {}",
        describe(&made)
    );
    let installed = Command::new(&python)
        .args(["-m", "pip", "install", "--quiet", package])
        .output()
        .unwrap_or_else(|e| panic!("cannot run pip: {e}"));
    if !installed.status.success() {
        let stderr = String::from_utf8_lossy(&installed.stderr);
        // Leave no half-made virtualenv behind for the next run to trust.
        let _ = std::fs::remove_dir_all(venv);
        if NETWORK_ERRORS.iter().any(|marker| stderr.contains(marker)) {
            return Err(Missing::new(
                format!("a reachable package index (pip cannot install {package})"),
                "allow this machine to reach PyPI, or set PIP_INDEX_URL to a mirror that can be reached",
            ));
        }
        panic!("pip install {package} failed: {}", describe(&installed));
    }
    assert!(
        ready(&python),
        "{package} is not importable after pip install"
    );
    Ok(python)
}

/// The virtualenv `name` in the workspace's target folder with `package`
/// installed (see [`create`]), made under the file lock `name.lock` so that
/// test binaries starting at the same time make it only once. Returns its
/// interpreter, or what is missing to make it.
///
/// # Panics
/// On any other failure to make the virtualenv (a test failure).
pub(crate) fn venv_once(
    name: &str,
    package: &str,
    ready: fn(&Path) -> bool,
) -> Result<PathBuf, Missing> {
    let target = crate::target_dir();
    std::fs::create_dir_all(&target)
        .unwrap_or_else(|e| panic!("cannot create {}: {e}", target.display()));
    let lock_path = target.join(format!("{name}.lock"));
    let lock = std::fs::File::create(&lock_path)
        .unwrap_or_else(|e| panic!("cannot create {}: {e}", lock_path.display()));
    lock.lock()
        .unwrap_or_else(|e| panic!("cannot lock {}: {e}", lock_path.display()));
    let result = create(&target.join(name), package, ready);
    let _ = lock.unlock();
    result
}

/// A Python interpreter with `audmodel==1.5.3` installed, or what is missing
/// to make one (`python3`, its venv module, a reachable package index).
///
/// # Panics
/// On any other failure to make the virtualenv (a test failure).
pub fn reference() -> Result<&'static Path, &'static Missing> {
    static REFERENCE: OnceLock<Result<PathBuf, Missing>> = OnceLock::new();
    REFERENCE
        .get_or_init(|| {
            venv_once(
                "python-ref",
                &format!("audmodel=={AUDMODEL_VERSION}"),
                has_reference,
            )
        })
        .as_ref()
        .map(PathBuf::as_path)
}

/// For a test that needs the reference: the interpreter, or `None` after
/// printing `skipped: …` when something to make it is missing.
///
/// # Panics
/// Under CI ([`require::all_required`]) when something is missing: there the
/// test fails instead of skipping.
pub fn require() -> Option<&'static Path> {
    match reference() {
        Ok(python) => Some(python),
        Err(missing) => {
            require::missing(missing);
            None
        }
    }
}

/// For a test that runs `audmodel_rs` beside the reference: the reference's
/// interpreter when its virtualenv holds `audmodel_rs` (`cargo xtask test`
/// installs it before the tests), or `None` after [`require::missing`]
/// said what is missing.
pub fn require_binding() -> Option<&'static Path> {
    let python = require()?;
    let imported = Command::new(python)
        .args(["-c", "import audmodel_rs"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !imported {
        require::missing(&Missing::new(
            "the Python module audmodel_rs in the reference's virtualenv",
            "`cargo xtask test` builds and installs it before the tests; by hand, run \
             `pip install crates/audmodel-py` with that virtualenv's Python",
        ));
        return None;
    }
    Some(python)
}

/// Runs `python -c SCRIPT ARGS...` with the reference interpreter and extra
/// environment variables and returns its stdout (UTF-8).
///
/// # Panics
/// When the reference is missing or the script fails (with its stderr): this
/// is test support. Call [`require`](fn@require) first to skip without a network.
pub fn run(script: &str, args: &[&str], env: &[(&str, &str)]) -> String {
    let python = reference().unwrap_or_else(|missing| panic!("no Python reference: {missing}"));
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
