//! What the end-to-end scenarios and the benchmarks share: a sandboxed user
//! (the test support crate's temporary HOME with a configuration, a cache),
//! the two implementations behind one API, generated model folders and the
//! servers.

pub(crate) mod api;
pub(crate) mod data;
pub(crate) mod process;
pub(crate) mod servers;

use crate::build;
use anyhow::{Result, anyhow};
use audmodel_tests::sandbox::{Sandbox, Store};
use std::panic::{AssertUnwindSafe, catch_unwind};

/// The binary under test (built now) and the reference's interpreter (its
/// virtualenv made when missing).
pub(crate) fn tools(release: bool) -> Result<api::Tools> {
    Ok(api::Tools {
        cli: build::build_cli(release)?,
        python: servers::reference_python()?,
    })
}

/// A fresh user with `repositories` empty repositories in `store`, named
/// after `prefix` (unique across the run on the shared S3 server).
pub(crate) fn sandbox(store: Store<'_>, prefix: &str, repositories: usize) -> Result<Sandbox> {
    quietly(|| Sandbox::new(store, prefix, repositories))
}

/// Runs `f`, turning its panic into an error without the panic message
/// printed on the way: the test support crate panics, as tests want; a task
/// wants an error it can report and go on from.
pub(crate) fn quietly<T>(f: impl FnOnce() -> T) -> Result<T> {
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
