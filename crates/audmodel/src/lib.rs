//! audmodel: a model registry compatible with the Python `audmodel` package.
//!
//! The public API of [`audmodel_core`] at the root, and the workspace crates
//! as modules.

pub use audmodel_core::*;

pub use audmodel_archive as archive;
pub use audmodel_backend as backend;
pub use audmodel_core as core;
pub use audmodel_uid as uid;
