//! audmodel: a model registry compatible with the Python `audmodel` package.
//!
//! The public API of [`audmodel_core`] at the root, each item named below,
//! and the stores and archives as modules ([`backend`], [`archive`]) for
//! those who write a store or pack without a registry. S3 repositories
//! need the cargo feature `s3` (on by default); without it no HTTP, TLS or
//! async stack is built and a configuration naming an S3 repository fails
//! with "S3 support was not built in".
//!
//! Publish, load, read the header and update the metadata (docs/library.md's
//! "Using the library", also `examples/library.rs` of this crate):
//!
//! ```
#![doc = include_str!("../examples/library.rs")]
//! ```
//!
//! Parameters and metadata can be any `serde::Serialize` type, and a
//! header's parameters read back into it; a long publish or load stops
//! when the caller cancels its [`CancelToken`] (the library installs no
//! signal handlers: a program decides what Ctrl+C does).
//!
//! ```
//! use audmodel::{Audmodel, CancelToken, Config, PublishOptions, Repository};
//!
//! #[derive(serde::Serialize, serde::Deserialize, Debug, PartialEq)]
//! struct Params {
//!     model: String,
//!     sampling_rate: u32,
//! }
//!
//! let dir = tempfile::tempdir().unwrap();
//! let model = dir.path().join("model");
//! std::fs::create_dir(&model).unwrap();
//! std::fs::write(model.join("weights.bin"), b"0123").unwrap();
//! std::fs::create_dir_all(dir.path().join("host/models")).unwrap();
//! let repo = Repository::new("models", dir.path().join("host").to_str().unwrap(), "file-system");
//! let client = Audmodel::new(Config::new(dir.path().join("cache"), vec![repo]));
//!
//! let params = Params { model: "cnn10".into(), sampling_rate: 16000 };
//! let cancel = CancelToken::new(); // cancel() it from another thread to stop
//! let options = PublishOptions::default().cancel(cancel);
//! let uid = client
//!     .publish(&model, "torch", &audmodel::to_mapping(&params).unwrap(), "1.0.0", &options)
//!     .unwrap();
//! let back: Params = audmodel::from_mapping(client.parameters(&uid).unwrap()).unwrap();
//! assert_eq!(back, params);
//! ```

// Every item by name, so that what the facade promises is read here and no
// item of a lower crate arrives unnoticed.

// The client and what it is configured with.
pub use audmodel_core::{
    Audmodel, CACHE_ROOT_ENV, CONNECT_TIMEOUT_ENV, Config, ConfigSource, ConfigSources,
    DEFAULT_CONFIG, DEFAULT_LOCK_TIMEOUT, OFFLINE_ENV, RETRIES_ENV, RETRY_TIMEOUT_ENV, Registry,
    Repository, STALL_TIMEOUT_ENV, TransferSettings, USER_CONFIG_FILE, default_cache_root,
    offline_from_env,
};
// Publishing, loading, metadata.
pub use audmodel_core::{
    CancelToken, DEFAULT_STALE_CLAIM_AFTER, LoadOptions, MetaUpdate, ProgressReporter,
    PublishOptions, Stage, TransferEvent, UrlKind, WriteProtocol,
};
// What the client answers.
pub use audmodel_core::{
    AliasEntry, Archive, ArchiveFile, CacheCheck, CacheState, CachedModel, ComparedRow, Comparison,
    FileProblem, Header, ListFilter, ListProblem, Listing, ModelSummary, PruneOptions, Removed,
    RepositoryCheck,
};
// Repository upkeep.
pub use audmodel_core::{DEFAULT_LEFTOVER_AGE, GcOptions, Leftover, LeftoverKind};
// Errors.
pub use audmodel_core::{Error, ErrorKind, IdError, Operation, error_chain, error_texts};
// IDs, versions and Python values.
pub use audmodel_core::{
    Mapping, ModelId, NaiveDate, Value, compare_versions, from_mapping, from_value, legacy_uid,
    py_repr, short_id, sort_versions, to_mapping, to_value, uid, unique_string, validate_alias,
    validate_version,
};
// YAML as PyYAML reads and writes it, and the JSON forms of answers.
pub use audmodel_core::{json, yaml};

pub use audmodel_archive as archive;
pub use audmodel_backend as backend;
