//! Storage backends for audmodel repositories and the Maven-style versioned
//! layout (SPEC 3, 6).
//!
//! A [`Backend`] stores files at [`BackendPath`]s: [`FileSystem`] in a local
//! folder, `S3`, `Azure` and `Gcs` in a bucket or container of an object
//! store (one `ObjectBackend` over object_store; cargo feature `s3`, on by
//! default), [`Memory`]
//! in this process (for tests). [`Versioned`] lays files out as the
//! reference does (`/dir/base.ext` at `V` -> `/dir/base/V/base-V.ext`). A
//! [`Registry`] opens the backend of a configured [`Repository`] by backend
//! name; without the `s3` feature the names `s3`, `minio`, `azure` and
//! `gcs` fail with
//! [`Error::NotBuiltIn`].
//!
//! ```
//! use std::sync::Arc;
//! use audmodel_backend::{BackendPath, PutMode, Registry, Repository, Versioned};
//! let host = tempfile::tempdir().unwrap();
//! std::fs::create_dir(host.path().join("models")).unwrap();
//! let repo = Repository::new("models", host.path().to_str().unwrap(), "file-system");
//! let versioned = Versioned::new(Registry::default().open(&repo).unwrap());
//! let header = BackendPath::new("/_uid/d4e9c65b.header.yaml").unwrap();
//! versioned.put_bytes(b"name: torch\n", &header, "1.0.0", PutMode::Create).unwrap();
//! assert_eq!(versioned.versions(&header).unwrap(), ["1.0.0"]);
//! ```

mod backend;
mod error;
mod filesystem;
mod local;
mod memory;
#[cfg(feature = "s3")]
mod object;
mod path;
mod registry;
mod spool;
mod transfer;
mod versioned;

#[cfg(feature = "conformance")]
pub mod conformance;

pub use audmodel_uid::{CancelToken, Cancelled, Progress, no_progress};
pub use backend::{
    Backend, BackendExt, Capabilities, LocalStore, ObjectMeta, PutMode, PutOptions, PutWriter,
    StoreEntry, StoreEntryKind, UpdateVersion, WriteLock,
};
pub use error::{Error, ErrorKind, ErrorSource};
pub use filesystem::FileSystem;
pub use memory::Memory;
#[cfg(feature = "s3")]
pub use object::azure::{Azure, AzureBuilder, AzureStore};
#[cfg(feature = "s3")]
pub use object::gcs::{GCS_HOST, Gcs, GcsBuilder, GcsStore};
#[cfg(feature = "s3")]
pub use object::s3::{S3, S3Builder, S3Store};
#[cfg(feature = "s3")]
pub use object::{Flavor, ObjectBackend};
pub use path::BackendPath;
pub use registry::{ConditionalWrites, Registry, Repository, credential_source};
pub use transfer::{
    DEFAULT_CONNECT_TIMEOUT, DEFAULT_RETRIES, DEFAULT_RETRY_TIMEOUT, DEFAULT_STALL_TIMEOUT,
    TransferEvent, TransferObserver, TransferSettings,
};
pub use versioned::Versioned;
