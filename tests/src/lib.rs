//! Support for the cross-crate integration tests: a Garage S3 server started on
//! 127.0.0.1 and the Python reference in a virtualenv.

pub mod cli;
pub mod garage;
pub mod model_files;
pub mod python;
pub mod sandbox;
