//! The Garage S3 server and the Python reference, both from the test
//! support crate, so the tests and the tasks install and start them one way.

use anyhow::{Result, anyhow};
use audmodel_tests::garage::{Garage, garage};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::PathBuf;

/// The Garage server of this process on 127.0.0.1. The support crate runs it
/// under a watchdog that stops it (and removes its data) once this process
/// has ended, however it ended.
pub(crate) struct S3Server {
    garage: &'static Garage,
}

impl S3Server {
    /// Starts the server (once per process).
    pub(crate) fn start() -> Result<Self> {
        // The support crate panics, as tests want; a task wants an error.
        let garage = quietly(garage)?;
        Ok(S3Server { garage })
    }

    /// `127.0.0.1:PORT`, as a repository's `host`.
    pub(crate) fn host(&self) -> &str {
        &self.garage.endpoint
    }

    /// The key that may read and write every bucket made here.
    pub(crate) fn access_key(&self) -> &str {
        &self.garage.access_key
    }

    /// The secret of that key.
    pub(crate) fn secret_key(&self) -> &str {
        &self.garage.secret_key
    }

    /// Creates an empty bucket the key may use.
    pub(crate) fn create_bucket(&self, name: &str) -> Result<()> {
        quietly(|| self.garage.create_bucket(name))
    }
}

/// Runs `f`, turning its panic into an error without the panic message
/// printed on the way.
fn quietly<T>(f: impl FnOnce() -> T) -> Result<T> {
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let result = catch_unwind(AssertUnwindSafe(f));
    std::panic::set_hook(hook);
    result.map_err(|payload| {
        let message = payload
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| payload.downcast_ref::<&str>().map(|s| (*s).to_owned()))
            .unwrap_or_else(|| "unknown failure".to_owned());
        anyhow!(message)
    })
}

/// The interpreter of the virtualenv holding the reference (made under the
/// target folder when missing, as the tests do).
pub(crate) fn reference_python() -> Result<PathBuf> {
    quietly(audmodel_tests::python::reference)?
        .map(PathBuf::from)
        .map_err(|reason| anyhow!("no Python reference: {reason}"))
}
