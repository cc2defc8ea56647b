//! The Python module `audmodel_rs`: built and installed with pip into the
//! reference's virtualenv (so both are importable side by side), then its
//! own tests and the reference's test suite run against it with pytest.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, anyhow};

use crate::setup::run;

/// The reference whose sdist holds the test suite run against the binding.
const REFERENCE: &str = "audmodel==1.5.3";

/// Builds the binding and installs it, with pytest, beside the reference;
/// returns the virtualenv's interpreter.
pub(crate) fn install(workspace: &Path) -> Result<&'static Path> {
    let python = audmodel_tests::python::reference()
        .map_err(|missing| anyhow!("the Python reference is needed: {missing}"))?;
    eprintln!("building and installing audmodel_rs (a release build of the workspace)");
    run(Command::new(python)
        .args(["-m", "pip", "install", "--quiet", "pytest"])
        .arg(workspace.join("crates/audmodel-py")))?;
    Ok(python)
}

/// Runs both test suites against the binding [`install`] put in `python`'s
/// virtualenv.
pub(crate) fn test(workspace: &Path, python: &Path) -> Result<()> {
    let tests = workspace.join("crates/audmodel-py/tests");
    let own = run(Command::new(python)
        .args(["-m", "pytest", "-q", "-p", "no:cacheprovider"])
        .arg(&tests));
    let suite = reference_tests(python, &workspace.join("target"))?;
    let reference = run(Command::new(python)
        .args([
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-p",
            "as_reference",
            // The sdist's own options need its coverage and doctest plugins.
            "-o",
            "addopts=",
        ])
        .arg(&suite)
        .env("PYTHONPATH", &tests)
        .current_dir(suite.parent().unwrap_or(&suite)));
    own.and(reference)
}

/// The `tests/` folder of the reference's sdist, downloaded and unpacked
/// under `target/` once.
fn reference_tests(python: &Path, target: &Path) -> Result<PathBuf> {
    let dir = target.join("audmodel-sdist");
    let tests = dir.join("audmodel-1.5.3/tests");
    if tests.is_dir() {
        return Ok(tests);
    }
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    run(Command::new(python)
        .args([
            "-m",
            "pip",
            "download",
            "--quiet",
            "--no-deps",
            "--no-binary",
            ":all:",
        ])
        .arg(REFERENCE)
        .arg("-d")
        .arg(&dir))?;
    run(Command::new("tar")
        .arg("xzf")
        .arg(dir.join("audmodel-1.5.3.tar.gz"))
        .arg("-C")
        .arg(&dir))?;
    Ok(tests)
}
