//! What the end-to-end scenarios and the benchmarks share: a sandboxed user
//! (temporary HOME with a configuration, a cache), the two implementations
//! behind one API, generated model folders and the servers.

pub(crate) mod api;
pub(crate) mod build;
pub(crate) mod data;
pub(crate) mod process;
pub(crate) mod sandbox;
pub(crate) mod servers;

use anyhow::Result;

/// The binary under test (built now) and the reference's interpreter (its
/// virtualenv made when missing).
pub(crate) fn tools(release: bool) -> Result<api::Tools> {
    Ok(api::Tools {
        cli: build::build_cli(release)?,
        python: servers::reference_python()?,
    })
}
