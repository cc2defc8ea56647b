//! A caller's cancellation token stops publish and load at every stage,
//! even inside a long copy, and leaves nothing behind: what a publish put
//! is removed, and a load caches nothing.
#![allow(clippy::unwrap_used)]

use crate::core_scenarios;

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use audmodel::{
    Audmodel, CancelToken, Config, ErrorKind, LoadOptions, ProgressReporter, Repository, Stage,
};
use audmodel_tests::model_files::{tree, write_random};
use core_scenarios::{options, params};

/// Cancels `token` after `after` bytes of the stage `at`, as a user
/// pressing Ctrl+C in the middle of it; counts the bytes of `at` reported.
struct CancelAt {
    at: Stage,
    after: u64,
    token: CancelToken,
    seen: AtomicU64,
}

impl ProgressReporter for CancelAt {
    fn start(&self, stage: Stage, _: u64) {
        if stage == self.at && self.after == 0 {
            self.token.cancel();
        }
    }
    fn advance(&self, stage: Stage, bytes: u64) {
        if stage == self.at && self.seen.fetch_add(bytes, Ordering::SeqCst) + bytes >= self.after {
            self.token.cancel();
        }
    }
    fn finish(&self, _: Stage) {}
}

fn cancel_at(at: Stage, after: u64) -> Arc<CancelAt> {
    Arc::new(CancelAt {
        at,
        after,
        token: CancelToken::new(),
        seen: AtomicU64::new(0),
    })
}

/// A model of four 8 MiB files that do not deflate well (stored), so a
/// copy has many progress reports to be stopped at.
fn large_model(dir: &Path) -> std::path::PathBuf {
    let root = dir.join("model");
    std::fs::create_dir_all(&root).unwrap();
    for i in 0..4u64 {
        write_random(&root.join(format!("w{i}.bin")), 8 << 20, i);
    }
    root
}

fn config(dir: &Path) -> Config {
    let host = dir.join("host");
    std::fs::create_dir_all(host.join("models")).unwrap();
    Config::new(
        dir.join("cache"),
        vec![Repository::new(
            "models",
            host.to_str().unwrap(),
            "file-system",
        )],
    )
}

#[test]
fn a_cancelled_publish_removes_what_it_put() {
    let dir = tempfile::tempdir().unwrap();
    let root = large_model(dir.path());
    let host = dir.path().join("host");
    for (at, after) in [
        (Stage::Pack, 0),
        (Stage::Pack, 1 << 20),
        (Stage::Upload, 0),
        (Stage::Upload, 9 << 20),
    ] {
        let cancel = cancel_at(at, after);
        let client = Audmodel::new(config(dir.path())).with_progress(cancel.clone());
        let opts = options().alias("cancelled").cancel(cancel.token.clone());
        let err = client
            .publish(&root, "torch", &params(), "1.0.0", &opts)
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Interrupted, "{at:?} {after}: {err}");
        assert!(err.to_string().contains("d4e9c65b-1.0.0"), "{err}");
        if after > 0 {
            let seen = cancel.seen.load(Ordering::SeqCst);
            assert!(
                seen < 32 << 20,
                "{at:?}: the copy ran to its end ({seen} bytes)"
            );
        }
        // Only the publishers' lock files may stay: they hold no model data.
        let left: Vec<String> = tree(&host)
            .into_keys()
            .filter(|f| !f.ends_with(".lock"))
            .collect();
        assert!(left.is_empty(), "{at:?} {after}: {left:?}");
        assert!(!client.exists("d4e9c65b-1.0.0").unwrap());
    }
    let uid = Audmodel::new(config(dir.path()))
        .publish(&root, "torch", &params(), "1.0.0", &options())
        .unwrap();
    assert_eq!(uid, "d4e9c65b-1.0.0");
}

#[test]
fn a_cancelled_load_caches_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let root = large_model(dir.path());
    let uid = Audmodel::new(config(dir.path()))
        .publish(&root, "torch", &params(), "1.0.0", &options())
        .unwrap();
    let model_dir = dir.path().join("cache/d4e9c65b");
    // A file-system repository's archive is read in place: no download
    // stage, only unpacking.
    for (at, after) in [(Stage::Unpack, 0), (Stage::Unpack, 9 << 20)] {
        let cancel = cancel_at(at, after);
        let client = Audmodel::new(config(dir.path())).with_progress(cancel.clone());
        let err = client
            .load_with(&uid, &LoadOptions::cancelled_by(cancel.token.clone()))
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Interrupted, "{at:?} {after}: {err}");
        let left: Vec<String> = std::fs::read_dir(&model_dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| !n.ends_with(".lock") && !n.ends_with(".header.yaml"))
            .collect();
        assert!(left.is_empty(), "{at:?} {after}: {left:?}");
    }
    let loaded = Audmodel::new(config(dir.path())).load(&uid).unwrap();
    assert_eq!(
        std::fs::read(loaded.join("w3.bin")).unwrap(),
        std::fs::read(root.join("w3.bin")).unwrap()
    );
}
