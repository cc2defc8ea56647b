//! Whether a test may skip when something it needs from the machine is
//! missing: the Python reference, `python3`, a package index to install the
//! reference from, a system tool.
//!
//! A developer without them may run the rest of the suite: such a test
//! prints `skipped: …` and passes. Under CI it must not pass having checked
//! nothing, so there the same test fails. CI is recognised by `CI=true` (as
//! GitHub Actions, GitLab CI and most others set it) or by
//! `AUDMODEL_REQUIRE_ALL=1`, which `cargo xtask test` sets for the tests it
//! runs.
//!
//! This file is std-only because the archive crate's tests include it by
//! path (depending on this crate would build the S3 backend for them).

/// Set to `1` (or `true`) to make every missing requirement a failure.
pub const REQUIRE_ALL_ENV: &str = "AUDMODEL_REQUIRE_ALL";

fn is_set(name: &str) -> bool {
    std::env::var(name).is_ok_and(|v| {
        let v = v.trim();
        v == "1" || v.eq_ignore_ascii_case("true")
    })
}

/// Whether every requirement must be met: `CI=true` or `AUDMODEL_REQUIRE_ALL=1`.
pub fn all_required() -> bool {
    is_set("CI") || is_set(REQUIRE_ALL_ENV)
}

/// Something a test needs that this machine lacks, and how to get it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Missing {
    /// What is missing (`python3`, `the garage binary`).
    pub what: String,
    /// How to install it or make it reachable.
    pub install: String,
}

impl Missing {
    /// `what` is missing; `install` says how to get it.
    pub fn new(what: impl Into<String>, install: impl Into<String>) -> Missing {
        Missing {
            what: what.into(),
            install: install.into(),
        }
    }
}

impl std::fmt::Display for Missing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} is missing: {}", self.what, self.install)
    }
}

/// The one decision for a test that lacks something: under CI it panics
/// naming what is missing and how to install it, so the test fails;
/// otherwise it prints `skipped: …` and returns, and the caller returns.
///
/// ```no_run
/// use audmodel_tests::require::{Missing, missing};
/// if std::process::Command::new("mkfifo").arg("--version").output().is_err() {
///     missing(&Missing::new("mkfifo", "install coreutils"));
///     return;
/// }
/// ```
///
/// # Panics
/// When every requirement must be met ([`all_required`]).
pub fn missing(missing: &Missing) {
    if all_required() {
        panic!(
            "{missing}; under CI (CI=true or {REQUIRE_ALL_ENV}=1) a test may not skip for want of it"
        );
    }
    println!("skipped: {missing} (with CI=true or {REQUIRE_ALL_ENV}=1 this is a failure)");
}
