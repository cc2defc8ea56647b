//! The cross-crate tests in one binary: each file of this folder is a
//! module of it. What a module needs from the machine beyond cargo and
//! python3 is a cargo feature of this crate, which `cargo xtask test`
//! turns on (all of them), so that a plain `cargo test` builds only what
//! this machine can run and nothing skips at run time:
//!
//! - `servers`: Garage, SeaweedFS and the other object stores, started on
//!   127.0.0.1 by the tests;
//! - `reference`: the Python reference in a virtualenv (and `audmodel_rs`);
//! - `root`: a tmpfs mount and other user IDs (`setpriv`);
//! - `browser`: Debian's Chromium and its WebDriver.
//!
//! `tidy` checks that every file of this folder is listed here.

/// What the core tests share: every function of the core against two
/// repositories searched in order.
mod core_scenarios;

mod adding_a_store;
mod core_cancel;
mod core_config;
mod core_fs;
mod core_memory;
mod offline;
mod reliability_hostile_yaml;
mod repository_verify;
mod tidy;

#[cfg(feature = "browser")]
mod browser_smoke;

#[cfg(feature = "reference")]
mod cache_care;
#[cfg(feature = "reference")]
mod interop_core;
#[cfg(feature = "reference")]
mod reliability_publish_kill;
#[cfg(feature = "reference")]
mod uid_interop;
#[cfg(feature = "reference")]
mod yaml_interop;

#[cfg(feature = "servers")]
mod backend_s3;
#[cfg(feature = "servers")]
mod cli_s3;
#[cfg(feature = "servers")]
mod core_s3;
#[cfg(feature = "servers")]
mod large_s3_staged;
#[cfg(feature = "servers")]
mod lost_answers;
#[cfg(feature = "servers")]
mod reliability_hostile;

#[cfg(all(feature = "browser", feature = "servers"))]
mod web_browser;

#[cfg(all(feature = "reference", feature = "root"))]
mod shared_cache;

#[cfg(all(feature = "reference", feature = "servers"))]
mod backend_interop;
#[cfg(all(feature = "reference", feature = "servers"))]
mod conditional_writes;
#[cfg(all(feature = "reference", feature = "servers"))]
mod garage_cluster;
#[cfg(all(feature = "reference", feature = "servers"))]
mod gc;
#[cfg(all(feature = "reference", feature = "servers"))]
mod network_faults;
#[cfg(all(feature = "reference", feature = "servers"))]
mod public_buckets;
#[cfg(all(feature = "reference", feature = "servers"))]
mod reliability_alias_race;
#[cfg(all(feature = "reference", feature = "servers"))]
mod reliability_cache;
#[cfg(all(feature = "reference", feature = "servers"))]
mod reliability_claim_takeover;
#[cfg(all(feature = "reference", feature = "servers"))]
mod reliability_meta_race;
#[cfg(all(feature = "reference", feature = "servers"))]
mod reliability_publish_race;
#[cfg(all(feature = "reference", feature = "servers"))]
mod reliability_s3_kill;

#[cfg(all(feature = "reference", feature = "root", feature = "servers"))]
mod full_disks;
