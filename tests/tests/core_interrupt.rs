//! Ctrl+C and SIGTERM during a publish remove what was put. A test binary
//! of its own: the signal goes to the whole test process.
#![allow(clippy::unwrap_used)]

mod core_scenarios;

use std::path::Path;
use std::sync::Arc;

use audmodel::{Audmodel, Config, ErrorKind, Progress, Repository, Stage};
use core_scenarios::{model_folder, options, params};

/// Sends `signal` to this process when `at` starts, as a user pressing
/// Ctrl+C (or a scheduler sending SIGTERM) in the middle of a publish.
struct SignalAt {
    at: Stage,
    signal: &'static str,
}

impl Progress for SignalAt {
    fn start(&self, stage: Stage, _: u64) {
        if stage == self.at {
            let status = std::process::Command::new("kill")
                .args([self.signal, &std::process::id().to_string()])
                .status()
                .unwrap();
            assert!(status.success());
            // Delivery is asynchronous; give the handler a moment.
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
    }
    fn advance(&self, _: Stage, _: u64) {}
    fn finish(&self, _: Stage) {}
}

fn files(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p.display().to_string());
            }
        }
    }
    out
}

#[test]
fn signals_during_publish_remove_what_was_put() {
    let dir = tempfile::tempdir().unwrap();
    let host = dir.path().join("host");
    let config = Config::new(
        dir.path().join("cache"),
        vec![Repository::new(
            "models",
            host.to_str().unwrap(),
            "file-system",
        )],
    );
    let root = model_folder(dir.path(), "1");
    let opts = audmodel::PublishOptions {
        alias: Some("sig".into()),
        ..options()
    };
    for (at, signal) in [(Stage::Upload, "-TERM"), (Stage::Pack, "-INT")] {
        let client = Audmodel::new(config.clone()).with_progress(Arc::new(SignalAt { at, signal }));
        let err = client
            .publish(&root, "torch", &params(), "1.0.0", &opts)
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Interrupted, "{at:?}: {err}");
        // Only the publishers' lock files may stay: they hold no model data.
        let left: Vec<String> = files(&host)
            .into_iter()
            .filter(|f| !f.ends_with(".yaml.lock"))
            .collect();
        assert!(left.is_empty(), "{at:?}: {left:?}");
        assert!(!client.exists("d4e9c65b-1.0.0").unwrap());
    }
    // Nothing of the interrupted publishes is in the way of the next one.
    let uid = Audmodel::new(config)
        .publish(&root, "torch", &params(), "1.0.0", &opts)
        .unwrap();
    assert_eq!(uid, "d4e9c65b-1.0.0");
}
