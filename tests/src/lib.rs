//! Support for the cross-crate integration tests: Garage and SeaweedFS S3 servers started on
//! 127.0.0.1, the Python reference in a virtualenv, sandboxed users,
//! hand-made zip archives, and headless Chromium for the tests of web pages.
//! [`require`] decides whether a test may skip for want of something this
//! machine lacks (never under CI).

pub mod azurite;
pub mod browser;
pub mod cli;
pub mod fake_gcs;
pub mod fault_proxy;
pub mod garage;
pub mod garage_cluster;
pub mod hostile_zip;
pub mod model_files;
pub mod python;
pub mod require;
pub mod s3_server;
pub mod sandbox;
pub mod seaweed;

/// The workspace's target folder, where the tests and the tasks keep what
/// outlives one run (the reference's virtualenv, benchmark data):
/// `CARGO_TARGET_DIR`, else `target/` in the workspace root.
pub fn target_dir() -> std::path::PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => std::path::PathBuf::from(dir),
        None => std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("..")
            .join("target"),
    }
}
