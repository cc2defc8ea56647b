//! Concurrent `audmodel update-meta` merges of one model's metadata, as
//! separate processes on a file-system repository: each adds its own key,
//! so after all of them every key must be there (a read-modify-write
//! without a turn per model loses updates).
#![allow(clippy::unwrap_used)]

use std::process::Stdio;

use audmodel_tests::sandbox::{Sandbox, describe};

const WRITERS: usize = 8;

#[test]
fn concurrent_metadata_merges_keep_every_key() {
    let sandbox = Sandbox::file_system();
    let root = sandbox.path().join("model");
    std::fs::create_dir_all(&root).unwrap();
    std::fs::write(root.join("weights.bin"), b"0123").unwrap();
    let uid = sandbox.cli_ok(&[
        "publish",
        root.to_str().unwrap(),
        "--name",
        "meta",
        "--version",
        "1.0.0",
        "--meta",
        "base: 0",
    ]);
    // Several rounds: one lucky ordering must not hide lost updates.
    for round in 0..10 {
        let children: Vec<_> = (0..WRITERS)
            .map(|i| {
                sandbox
                    .cli_command(&["update-meta", &uid, "--meta", &format!("r{round}w{i}: {i}")])
                    .stdout(Stdio::null())
                    .stderr(Stdio::piped())
                    .spawn()
                    .unwrap()
            })
            .collect();
        for child in children {
            let out = child.wait_with_output().unwrap();
            assert!(out.status.success(), "{}", describe(&out));
        }
        let meta = sandbox.cli_ok(&["meta", &uid]);
        for r in 0..=round {
            for i in 0..WRITERS {
                assert!(
                    meta.lines().any(|l| l == format!("r{r}w{i}: {i}")),
                    "round {round}: key r{r}w{i} lost:\n{meta}"
                );
            }
        }
        assert!(meta.lines().any(|l| l == "base: 0"), "{meta}");
    }
}
