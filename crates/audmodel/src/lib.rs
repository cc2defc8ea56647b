//! audmodel: a model registry compatible with the Python `audmodel` package.
//!
//! This crate only re-exports the public API of the workspace crates.

pub use audmodel_archive as archive;
pub use audmodel_backend as backend;
pub use audmodel_core as core;
pub use audmodel_uid as uid;
