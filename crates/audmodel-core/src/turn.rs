//! Writers of one repository file take turns where the store has locks;
//! where it has none (S3) each protocol says what it guarantees instead.

use audmodel_backend::{BackendPath, Error, Versioned, WriteLock};

/// Waits for the turn to write `logical` at `version`, held until the
/// guard is dropped; `None` on a store without locks.
pub(crate) fn turn(
    versioned: &Versioned,
    logical: &BackendPath,
    version: &str,
) -> Result<Option<WriteLock>, Error> {
    match versioned.capabilities().locks {
        true => versioned.lock(logical, version).map(Some),
        false => Ok(None),
    }
}
