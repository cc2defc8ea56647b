//! Publish, load and look up models in audmodel repositories and a shared
//! cache, compatible with the Python reference `audmodel` 1.5.3.
//!
//! [`Audmodel`] is the entry point: a [`Config`] (cache root and
//! repositories searched in order) with opened repositories. The data flow
//! of each operation lives in its own module: `publish`, `load`, `lookup`
//! (ID resolution across repositories), `cache`, `lock`, `meta`, `alias`,
//! `list`, `protocol` (which write protocol a repository gets), and looking after the cache: `cache_list`, `cache_verify`,
//! `cache_remove` (and prune), `last_loaded`.

mod alias;
mod archive;
mod cache;
mod client;
mod compare;
mod config;
mod error;
mod gc;
mod header;
pub mod json;
mod list;
mod load;
mod lock;
mod lookup;
mod meta;
mod meta_update;
mod offline;
mod paths;
mod pipe;
mod progress;
mod protocol;
mod publish;
mod repos;
mod space;
mod suggest;
mod swap;
mod turn;
mod verify;

pub use alias::AliasEntry;
pub use archive::{Archive, ArchiveFile};
pub use cache::list::{CacheState, CachedModel};
pub use cache::remove::{PruneOptions, Removed};
pub use cache::verify::{CacheCheck, FileProblem};
pub use client::{Audmodel, DEFAULT_LOCK_TIMEOUT, UrlKind};
pub use compare::{ComparedRow, Comparison};
pub use config::{
    CACHE_ROOT_ENV, CONNECT_TIMEOUT_ENV, Config, ConfigSource, ConfigSources, DEFAULT_CONFIG,
    RETRIES_ENV, RETRY_TIMEOUT_ENV, STALL_TIMEOUT_ENV, USER_CONFIG_FILE, default_cache_root,
};
pub use error::{Error, ErrorKind, Operation};
pub use gc::{DEFAULT_LEFTOVER_AGE, GcOptions, Leftover, LeftoverKind};
pub use header::Header;
pub use list::{ListFilter, ListProblem, Listing, ModelSummary};
pub use load::LoadOptions;
pub use meta_update::MetaUpdate;
pub use offline::{OFFLINE_ENV, offline_from_env};
pub use progress::{ProgressReporter, Stage};
pub use protocol::WriteProtocol;
pub use publish::{DEFAULT_STALE_CLAIM_AFTER, PublishOptions};
pub use verify::RepositoryCheck;

pub use audmodel_backend::{Registry, Repository, TransferEvent, TransferSettings};
/// What an invalid ID, version, alias or value is ([`Error::Uid`]).
pub use audmodel_uid::Error as IdError;
pub use audmodel_uid::yaml;
pub use audmodel_uid::{
    CancelToken, Mapping, ModelId, NaiveDate, Value, compare_versions, error_chain, error_texts,
    from_mapping, from_value, legacy_uid, py_repr, short_id, sort_versions, to_mapping, to_value,
    uid, unique_string, validate_alias, validate_version,
};
