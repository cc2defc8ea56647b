//! audmodel: a model registry compatible with the Python `audmodel` package.
//!
//! The public API of [`audmodel_core`] at the root, and the workspace crates
//! as modules ([`backend`], [`archive`], [`uid`](mod@crate::uid), [`core`]). S3 repositories
//! need the cargo feature `s3` (on by default); without it no HTTP, TLS or
//! async stack is built and a configuration naming an S3 repository fails
//! with "S3 support was not built in".
//!
//! Publish, load, read the header and update the metadata (the README's
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
//! let options = PublishOptions { cancel, ..PublishOptions::default() };
//! let uid = client
//!     .publish(&model, "torch", &audmodel::to_mapping(&params).unwrap(), "1.0.0", &options)
//!     .unwrap();
//! let back: Params = audmodel::from_mapping(client.parameters(&uid).unwrap()).unwrap();
//! assert_eq!(back, params);
//! ```

pub use audmodel_core::*;

pub use audmodel_archive as archive;
pub use audmodel_backend as backend;
pub use audmodel_core as core;
pub use audmodel_uid as uid;
