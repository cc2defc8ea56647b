//! Concurrent `audmodel update-meta` merges of one model's metadata, as
//! separate processes: each adds its own key, so after all of them every
//! key must be there (a read-modify-write without a turn per model, or a
//! compare-and-swap, loses updates). On a file system they take turns
//! under a lock; on SeaweedFS (which enforces `If-Match`) each merge is a
//! compare-and-swap. On Garage (which ignores it) merges can be lost;
//! what is promised there is checked, and the losses are printed.
#![allow(clippy::unwrap_used)]

use audmodel_tests::garage::garage;
use audmodel_tests::python;
use audmodel_tests::sandbox::{Sandbox, describe};
use audmodel_tests::seaweed::seaweed;

const WRITERS: usize = 8;
const ROUNDS: usize = 10;

#[test]
fn concurrent_metadata_merges_keep_every_key() {
    let sandbox = Sandbox::file_system();
    let (uid, lost) = merge_rounds(&sandbox, ROUNDS);
    assert_eq!(lost, 0, "keys lost on a file system");
    reference_sees_every_key(&sandbox, &uid);
}

#[test]
fn concurrent_metadata_merges_on_seaweedfs_keep_every_key() {
    let Some(server) = seaweed() else { return };
    let sandbox = Sandbox::s3(server, "meta-race");
    let (uid, lost) = merge_rounds(&sandbox, ROUNDS);
    assert_eq!(lost, 0, "keys lost on SeaweedFS");
    reference_sees_every_key(&sandbox, &uid);
}

/// Azure (Azurite) enforces `If-Match`: merges are compare-and-swaps, as
/// on SeaweedFS, and keep every key.
#[test]
fn concurrent_metadata_merges_on_azurite_keep_every_key() {
    let Some(server) = audmodel_tests::azurite::azurite() else {
        return;
    };
    let sandbox = Sandbox::azure(server, "meta-race");
    let (_, lost) = merge_rounds(&sandbox, ROUNDS);
    assert_eq!(lost, 0, "keys lost on Azurite");
}

/// Garage promises less: every merge succeeds, the metadata stays one whole
/// mapping holding the published key and the keys of at least one merge of
/// each round, but concurrent merges can lose each other's keys.
#[test]
fn concurrent_metadata_merges_on_garage_keep_a_whole_mapping() {
    let sandbox = Sandbox::s3(garage(), "meta-race");
    let (_, lost) = merge_rounds(&sandbox, ROUNDS);
    println!(
        "Garage: {lost} of {} merged keys lost over {ROUNDS} rounds of {WRITERS} writers",
        ROUNDS * WRITERS
    );
}

/// `rounds` rounds of `WRITERS` concurrent merges into one model, each
/// adding its own key; returns the model's UID and how many keys were lost
/// in all. Panics when
/// a merge fails, the metadata is not a mapping with the published key, or
/// a round kept none of its keys.
fn merge_rounds(sandbox: &Sandbox, rounds: usize) -> (String, usize) {
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
    let mut lost = 0;
    // Several rounds: one lucky ordering must not hide lost updates.
    for round in 0..rounds {
        let merges: Vec<Vec<String>> = (0..WRITERS)
            .map(|i| {
                let meta = format!("r{round}w{i}: {i}");
                ["update-meta", &uid, "--meta", &meta]
                    .map(str::to_owned)
                    .to_vec()
            })
            .collect();
        for out in sandbox.cli_together(&merges) {
            assert!(out.status.success(), "{}", describe(&out));
        }
        let meta = sandbox.cli_ok(&["meta", &uid]);
        assert!(meta.lines().any(|l| l == "base: 0"), "{meta}");
        let kept = (0..WRITERS)
            .filter(|i| meta.lines().any(|l| l == format!("r{round}w{i}: {i}")))
            .count();
        assert!(kept > 0, "round {round} kept none of its keys:\n{meta}");
        lost += WRITERS - kept;
        // Keys of earlier rounds are only lost where this round's are.
        if lost == 0 {
            for r in 0..round {
                for i in 0..WRITERS {
                    assert!(
                        meta.lines().any(|l| l == format!("r{r}w{i}: {i}")),
                        "round {round}: key r{r}w{i} of an earlier round lost:\n{meta}"
                    );
                }
            }
        }
    }
    (uid, lost)
}

/// The reference reads the merged metadata as the CLI wrote it.
fn reference_sees_every_key(sandbox: &Sandbox, uid: &str) {
    if !sandbox.reference_reads() || python::require().is_none() {
        return;
    }
    let keys = sandbox.python_ok(
        "import sys, audmodel\nprint(len(audmodel.meta(sys.argv[1])))",
        &[uid],
    );
    assert_eq!(keys.trim(), (1 + ROUNDS * WRITERS).to_string());
}
