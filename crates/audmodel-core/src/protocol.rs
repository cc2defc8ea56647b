//! Which write protocol a repository gets, from what its store can do
//! (never from the backend's name), so `audmodel config` can say it.

use audmodel_backend::Capabilities;

use crate::{Audmodel, Error};

/// How publishing and read-modify-write updates (metadata merges, alias
/// moves) are kept safe from concurrent writers on one repository. See
/// `docs/guarantees.md` for what each promises.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum WriteProtocol {
    /// Writers take turns under the store's locks (a file system).
    Locked,
    /// Publishers claim the model create-only and the store decides;
    /// updates are compare-and-swap writes, retried when lost (S3 that
    /// enforces conditional writes, the in-memory store).
    CreateOnlyAndCompareAndSwap,
    /// Create-only claims decide publishers; updates overwrite (a store
    /// that enforces `If-None-Match` but not `If-Match`).
    CreateOnly,
    /// The archive is staged and races are detected after the fact;
    /// updates overwrite, so concurrent ones can be lost (Garage).
    Staged,
}

impl WriteProtocol {
    /// The protocol a store with `capabilities` gets (archives over 5 GiB
    /// are always staged).
    pub fn of(capabilities: Capabilities) -> Self {
        match capabilities {
            Capabilities { locks: true, .. } => WriteProtocol::Locked,
            Capabilities {
                create_only: true,
                compare_and_swap: true,
                ..
            } => WriteProtocol::CreateOnlyAndCompareAndSwap,
            Capabilities {
                create_only: true, ..
            } => WriteProtocol::CreateOnly,
            _ => WriteProtocol::Staged,
        }
    }

    /// A short name, for JSON: `locked`, `create-only+compare-and-swap`,
    /// `create-only` or `staged`.
    pub fn name(self) -> &'static str {
        match self {
            WriteProtocol::Locked => "locked",
            WriteProtocol::CreateOnlyAndCompareAndSwap => "create-only+compare-and-swap",
            WriteProtocol::CreateOnly => "create-only",
            WriteProtocol::Staged => "staged",
        }
    }
}

impl std::fmt::Display for WriteProtocol {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            WriteProtocol::Locked => "locked turns (publish and updates take turns under locks)",
            WriteProtocol::CreateOnlyAndCompareAndSwap => {
                "create-only publish, compare-and-swap updates (the store decides races)"
            }
            WriteProtocol::CreateOnly => {
                "create-only publish (the store decides races), updates overwrite"
            }
            WriteProtocol::Staged => {
                "staged publish checked after the fact, updates overwrite \
                 (the store ignores conditional writes)"
            }
        })
    }
}

impl Audmodel {
    /// The write protocol of the configured repository `name`, from its
    /// store's capabilities: opens it, and on S3 with
    /// `conditional_writes: auto` asks the store once (a probe that writes
    /// and removes a hidden key). A probe that could not be made (refused
    /// without credentials, a store that is down) is an error, not the
    /// protocol a publish would fall back to: it says nothing of the store.
    pub fn write_protocol(&self, name: &str) -> Result<WriteProtocol, Error> {
        let index = self.repos.index_of(name)?;
        let versioned = self.repos.open(index)?;
        let capabilities = versioned
            .known_capabilities()
            .map_err(Error::backend(name))?;
        Ok(WriteProtocol::of(capabilities))
    }
}
