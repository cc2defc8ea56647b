//! Real-browser tests of web pages: headless Chromium driven by Python's
//! selenium.
//!
//! The browser is Debian's `chromium` with its `chromium-driver`
//! ([`CHROMIUM`], [`CHROMEDRIVER`]; `cargo xtask test` installs them when
//! missing). Selenium lives in a virtualenv of its own in the workspace's
//! target folder (`python-browser/`, apart from the reference's
//! `python-ref/`), made once per checkout under a file lock like the
//! reference's (see [`crate::python`]) and reused while it holds
//! [`SELENIUM_VERSION`].
//!
//! A page test is a Python script that imports `driver` (the module
//! `tests/browser/driver.py`: `browser()` gives a configured headless
//! Chromium, `screenshot()` saves a full page) and is run by
//! [`run_browser_script`]. Selenium never looks for a driver or a browser
//! itself (its Selenium Manager would download them): `driver.py` passes
//! both paths explicitly.
//!
//! Missing binaries, a missing `python3` and a package index that cannot be
//! reached are [`Missing`] requirements: a skip for a developer, a failure
//! under CI (see [`crate::require`]).

use crate::require::{self, Missing};
use crate::sandbox::describe;
use std::io::Read;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// Debian's Chromium.
pub const CHROMIUM: &str = "/usr/bin/chromium";

/// Debian's ChromeDriver for that Chromium.
pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// The selenium release the virtualenv holds.
pub const SELENIUM_VERSION: &str = "4.51.0";

/// How long one browser script may run before it and its browser are killed.
pub const SCRIPT_TIMEOUT: Duration = Duration::from_secs(300);

/// How to get the browser and its driver.
const INSTALL_CHROMIUM: &str = "install Debian's Chromium and its WebDriver \
    (`apt-get install chromium chromium-driver`; `cargo xtask test` does it when they are missing)";

fn is_executable(path: &Path) -> bool {
    path.metadata()
        .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// Whether [`CHROMIUM`] and [`CHROMEDRIVER`] are there, or which is missing.
pub fn binaries() -> Result<(), Missing> {
    for binary in [CHROMIUM, CHROMEDRIVER] {
        if !is_executable(Path::new(binary)) {
            return Err(Missing::new(binary, INSTALL_CHROMIUM));
        }
    }
    Ok(())
}

/// Whether the virtualenv's Python imports selenium at [`SELENIUM_VERSION`].
fn has_selenium(python: &Path) -> bool {
    Command::new(python)
        .args([
            "-c",
            "import importlib.metadata as m, selenium.webdriver; print(m.version('selenium'))",
        ])
        .output()
        .is_ok_and(|o| {
            o.status.success() && String::from_utf8_lossy(&o.stdout).trim() == SELENIUM_VERSION
        })
}

/// A Python interpreter with selenium installed, once Chromium and its
/// driver are there, or what is missing (the binaries, `python3`, its venv
/// module, a reachable package index).
///
/// # Panics
/// On any other failure to make the virtualenv (a test failure).
pub fn selenium() -> Result<&'static Path, Missing> {
    binaries()?;
    static SELENIUM: OnceLock<Result<PathBuf, Missing>> = OnceLock::new();
    SELENIUM
        .get_or_init(|| {
            crate::python::venv_once(
                "python-browser",
                &format!("selenium=={SELENIUM_VERSION}"),
                has_selenium,
            )
        })
        .as_ref()
        .map(PathBuf::as_path)
        .map_err(Missing::clone)
}

/// For a browser test: selenium's interpreter, or `None` after printing
/// `skipped: …` when something is missing.
///
/// # Panics
/// Under CI ([`require::all_required`]) when something is missing: there the
/// test fails instead of skipping.
pub fn require() -> Option<&'static Path> {
    match selenium() {
        Ok(python) => Some(python),
        Err(missing) => {
            require::missing(&missing);
            None
        }
    }
}

/// The folder of `driver.py` and the browser scripts (`tests/browser/`).
pub fn scripts_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("browser")
}

/// Runs the Python file `script` with `args` on selenium's interpreter and
/// returns its output, the script's failure included (assert on
/// `status.success()`, and show [`describe`] of it).
///
/// Its environment has `AUDMODEL_CHROMIUM` and `AUDMODEL_CHROMEDRIVER` (the
/// paths `driver.py` starts), the scripts' folder on `PYTHONPATH` (so a
/// script elsewhere can `import driver` too), unbuffered UTF-8 output, and
/// `env`. `TMPDIR` is a fresh folder removed afterwards, so the browser's
/// profile and temporary files go even when the script is killed. The
/// script runs in a process group of its own, which is killed when it
/// exits, so a browser it left behind goes too.
///
/// # Panics
/// When selenium is missing (call [`require`](fn@require) first to skip),
/// when the script cannot be started, or when it runs longer than
/// [`SCRIPT_TIMEOUT`] (with what it printed).
pub fn run_browser_script(script: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let python = selenium().unwrap_or_else(|missing| panic!("no selenium: {missing}"));
    let mut python_path = std::ffi::OsString::from(scripts_dir());
    if let Some(outer) = std::env::var_os("PYTHONPATH") {
        python_path.push(":");
        python_path.push(outer);
    }
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("cannot make a TMPDIR: {e}"));
    let mut child = Command::new(python)
        .arg(script)
        .args(args)
        .env("AUDMODEL_CHROMIUM", CHROMIUM)
        .env("AUDMODEL_CHROMEDRIVER", CHROMEDRIVER)
        .env("PYTHONPATH", python_path)
        .env("PYTHONIOENCODING", "utf-8")
        .env("PYTHONUNBUFFERED", "1")
        .env("TMPDIR", tmp.path())
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {} {}: {e}", python.display(), script.display()));
    let pipe = |mut reader: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            let _ = reader.read_to_end(&mut bytes);
            bytes
        })
    };
    let stdout = pipe(Box::new(child.stdout.take().expect("stdout is piped")));
    let stderr = pipe(Box::new(child.stderr.take().expect("stderr is piped")));
    let deadline = Instant::now() + SCRIPT_TIMEOUT;
    let mut timed_out = false;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if Instant::now() > deadline => {
                timed_out = true;
                kill_group(child.id());
                break child.wait().expect("the killed script can be waited for");
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(50)),
            Err(e) => panic!("cannot wait for {}: {e}", script.display()),
        }
    };
    // What the script started and left running (a browser after a failure)
    // would otherwise hold its output open.
    kill_group(child.id());
    let output = Output {
        status,
        stdout: stdout.join().unwrap_or_default(),
        stderr: stderr.join().unwrap_or_default(),
    };
    assert!(
        !timed_out,
        "{} ran longer than {SCRIPT_TIMEOUT:?} and was killed: {}",
        script.display(),
        describe(&output)
    );
    output
}

/// Kills the process group `id` (a script and what it started), if any is
/// left.
fn kill_group(id: u32) {
    let _ = Command::new("kill")
        .args(["-KILL", "--", &format!("-{id}")])
        .stderr(Stdio::null())
        .status();
}
