//! The Garage S3 server and the Python reference, both from the test
//! support crate, so the tests and the tasks install and start them one way.

use anyhow::{Result, bail};
use std::path::PathBuf;

/// A Garage server on 127.0.0.1, stopped on drop.
pub(crate) struct S3Server {
    host: String,
    access_key: String,
    secret_key: String,
}

impl S3Server {
    /// Starts a fresh single-node server.
    pub(crate) fn start() -> Result<Self> {
        bail!("the Garage support of the test crate is not written yet")
    }

    /// `127.0.0.1:PORT`, as a repository's `host`.
    pub(crate) fn host(&self) -> &str {
        &self.host
    }

    /// The key that may read and write every bucket made here.
    pub(crate) fn access_key(&self) -> &str {
        &self.access_key
    }

    /// The secret of that key.
    pub(crate) fn secret_key(&self) -> &str {
        &self.secret_key
    }

    /// Creates an empty bucket the key may use.
    pub(crate) fn create_bucket(&self, name: &str) -> Result<()> {
        bail!("cannot create bucket {name}: not written yet")
    }
}

/// The interpreter of the virtualenv holding `audmodel==1.5.3`, made when missing.
pub(crate) fn reference_python() -> Result<PathBuf> {
    bail!("the Python support of the test crate is not written yet")
}
