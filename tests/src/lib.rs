//! Support for the cross-crate integration tests: a Garage S3 server started on
//! 127.0.0.1, the Python reference in a virtualenv, sandboxed users, and
//! hand-made zip archives. [`require`] decides whether a test may skip for
//! want of something this machine lacks (never under CI).

pub mod cli;
pub mod garage;
pub mod hostile_zip;
pub mod model_files;
pub mod python;
pub mod require;
pub mod sandbox;
