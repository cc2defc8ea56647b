//! `cargo xtask test`: the README's test command, which CI runs.

use anyhow::Result;
use audmodel_tests::require::REQUIRE_ALL_ENV;
use std::process::Command;

use crate::{e2e, python_binding, setup};

/// The README's test command (what CI runs): formatting and lints first, then
/// the whole suite, Garage and the Python reference included, none of it
/// allowed to skip. The end-to-end scenarios run even when a unit test
/// failed, so one run shows both.
pub(crate) fn command(args: &[String]) -> Result<()> {
    setup::check_tidy()?;
    setup::ensure_garage()?;
    setup::ensure_seaweedfs()?;
    setup::ensure_azurite()?;
    setup::ensure_fake_gcs()?;
    setup::ensure_chromium()?;
    // Some cargo tests run audmodel_rs beside the reference (public
    // buckets read by every tool), so it is installed before them.
    let workspace = crate::build::workspace_root();
    let installed = python_binding::install(&workspace);
    let tests = setup::run(&mut cargo_test(args));
    let without_s3 = without_s3();
    let scenarios = e2e::command(&[]);
    let binding = installed.and_then(|python| python_binding::test(&workspace, python));
    tests.and(without_s3).and(scenarios).and(binding)
}

/// The build a library user on a file system gets (no `s3` feature): the
/// registry's and the core's tests of the missing feature, and the CLI
/// builds without it.
fn without_s3() -> Result<()> {
    let steps: [&[&str]; 3] = [
        &[
            "test",
            "-p",
            "audmodel-backend",
            "--no-default-features",
            "--lib",
        ],
        &[
            "test",
            "-p",
            "audmodel-core",
            "--no-default-features",
            "--test",
            "without_s3",
        ],
        &["build", "-p", "audmodel-cli", "--no-default-features"],
    ];
    for step in steps {
        let mut command = Command::new(setup::cargo());
        command.args(step).env(REQUIRE_ALL_ENV, "1");
        setup::run(&mut command)?;
    }
    Ok(())
}

/// `cargo test --workspace --no-fail-fast` with the task's arguments:
/// `--large` becomes the test binaries' `--include-ignored`, the rest goes
/// to cargo (after `--`: to the test binaries).
/// The test support crate's features, each what some tests need from the
/// machine (servers, the reference, root, a browser): all of them here.
pub(crate) const TEST_FEATURES: &str =
    "audmodel-tests/servers,audmodel-tests/reference,audmodel-tests/root,audmodel-tests/browser";

fn cargo_test(args: &[String]) -> Command {
    let large = args.iter().any(|arg| arg == "--large");
    let args: Vec<&String> = args.iter().filter(|arg| *arg != "--large").collect();
    let (cargo_args, binary_args) = match args.iter().position(|arg| *arg == "--") {
        Some(dash) => (&args[..dash], &args[dash + 1..]),
        None => (&args[..], &[][..]),
    };
    let mut command = Command::new(setup::cargo());
    command
        .args([
            "test",
            "--workspace",
            "--no-fail-fast",
            "--features",
            TEST_FEATURES,
        ])
        .args(cargo_args)
        .env(REQUIRE_ALL_ENV, "1");
    if large || !binary_args.is_empty() {
        command.arg("--").args(binary_args);
        if large {
            command.arg("--include-ignored");
        }
    }
    command
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cargo_test_args(args: &[&str]) -> Vec<String> {
        let args: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
        let command = cargo_test(&args);
        assert!(
            command
                .get_envs()
                .any(|(k, v)| k == REQUIRE_ALL_ENV && v == Some("1".as_ref())),
            "the tests may not skip"
        );
        command
            .get_args()
            .map(|a| a.to_string_lossy().into_owned())
            .collect()
    }

    #[test]
    fn large_includes_the_ignored_tests() {
        let base = [
            "test",
            "--workspace",
            "--no-fail-fast",
            "--features",
            TEST_FEATURES,
        ];
        assert_eq!(cargo_test_args(&[]), base);
        assert_eq!(
            cargo_test_args(&["--large"]),
            [&base[..], &["--", "--include-ignored"]].concat()
        );
        assert_eq!(
            cargo_test_args(&["-p", "audmodel-tests", "--large", "--", "--nocapture"]),
            [
                &base[..],
                &[
                    "-p",
                    "audmodel-tests",
                    "--",
                    "--nocapture",
                    "--include-ignored"
                ]
            ]
            .concat()
        );
        assert_eq!(
            cargo_test_args(&["--", "--nocapture"]),
            [&base[..], &["--", "--nocapture"]].concat()
        );
    }
}
