//! The archive crate's tests in one binary: each file of this folder is a
//! module. `streamed` and `support` are what they share.
#![allow(clippy::unwrap_used, missing_docs)]

mod streamed;
mod support;

// The one hand-made zip writer of the workspace's tests, shared by path:
// depending on the test support crate `audmodel-tests` would build the S3
// backend (object_store, tokio) for this low-level crate's tests.
#[allow(unreachable_pub, dead_code)]
#[path = "../../../tests/src/hostile_zip.rs"]
mod hostile_zip;

mod hostile;
mod python_interop;
mod roundtrip;
mod zip64_large;
