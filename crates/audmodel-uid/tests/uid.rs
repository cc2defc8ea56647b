//! The ID crate's tests in one binary: each file of this folder is a module.

mod conversions;
mod errors;
mod properties;
#[path = "serde.rs"]
mod serde_forms;
mod vectors;
