//! A publisher killed after it claimed a model version on SeaweedFS (a
//! store that decides create-only writes) leaves its claim and no header:
//! publishes of that version then fail with `exists` until the claim is
//! older than `--stale-claim-after`; then of several publishers at once
//! exactly one takes the claim over (by compare-and-swap) and publishes,
//! and both tools load its files.
#![allow(clippy::unwrap_used)]

use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use audmodel_backend::{BackendExt, BackendPath};
use audmodel_tests::model_files::{same_files, write_random};
use audmodel_tests::python;
use audmodel_tests::sandbox::{Sandbox, describe};
use audmodel_tests::seaweed::seaweed;

/// Big enough that copying the staged archive into place takes a moment
/// after the claim, in which the publisher is killed.
const WEIGHTS: u64 = 96 << 20;
/// Publishers that find the stale claim at once.
const TAKERS: usize = 4;

fn publish_args<'a>(root: &'a str, version: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec![
        "publish",
        root,
        "--name",
        "claimed",
        "--version",
        version,
        "--compression",
        "0",
    ];
    args.extend_from_slice(extra);
    args
}

/// Publishes `version` from `root` and kills the publisher as soon as its
/// claim is stored; `true` when the kill came before the header (the
/// model is unregistered), `false` when the publisher was faster.
fn publish_killed_after_claiming(sandbox: &Sandbox, root: &Path, version: &str) -> bool {
    let uid = sandbox.cli_ok(&["uid", "--name", "claimed", "--version", version]);
    let (sid, _) = uid.split_once('-').unwrap();
    let claim = BackendPath::new(&format!(
        "/_uid/{sid}/{version}/.{sid}-{version}.header.yaml.claim"
    ))
    .unwrap();
    let header = BackendPath::new(&format!(
        "/_uid/{sid}/{version}/{sid}-{version}.header.yaml"
    ))
    .unwrap();
    let server = seaweed().unwrap();
    let bucket = server.backend(&sandbox.repositories()[0]);
    let mut child = sandbox
        .cli_command(&publish_args(root.to_str().unwrap(), version, &[]))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        if bucket.exists(&claim).unwrap() {
            child.kill().unwrap();
            child.wait().unwrap();
            break;
        }
        if child.try_wait().unwrap().is_some() || Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            return false;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    !bucket.exists(&header).unwrap()
}

#[test]
fn a_killed_winners_claim_is_taken_over_once_it_is_stale() {
    let Some(server) = seaweed() else { return };
    let sandbox = Sandbox::s3(server, "claim");
    let killed = sandbox.path().join("killed");
    write_random(&killed.join("weights.bin"), WEIGHTS, 1);
    // The kill must come between claim and header; a fast publisher may
    // beat the watcher, so a few versions are tried.
    let version = (1..=5)
        .map(|i| format!("{i}.0.0"))
        .find(|v| publish_killed_after_claiming(&sandbox, &killed, v))
        .expect("the publisher was never killed between its claim and its header");
    let claimed_at = Instant::now();
    let uid = sandbox.cli_ok(&["uid", "--name", "claimed", "--version", &version]);
    let exists = sandbox.cli(&["exists", &uid]);
    assert_eq!(String::from_utf8_lossy(&exists.stdout).trim(), "false");

    let roots: Vec<_> = (0..TAKERS)
        .map(|i| {
            let root = sandbox.path().join(format!("taker{i}"));
            write_random(&root.join("weights.bin"), 1 << 20, 10 + i as u64);
            root
        })
        .collect();
    let root_text: Vec<&str> = roots.iter().map(|r| r.to_str().unwrap()).collect();
    // A fresh claim is a live winner's as far as anyone can tell.
    let out = sandbox.cli(&publish_args(root_text[0], &version, &[]));
    assert!(!out.status.success(), "{}", describe(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("exists already"),
        "{}",
        describe(&out)
    );

    let bound = Duration::from_secs(1);
    std::thread::sleep((bound + Duration::from_millis(200)).saturating_sub(claimed_at.elapsed()));
    let commands: Vec<Vec<&str>> = root_text
        .iter()
        .map(|root| publish_args(root, &version, &["--stale-claim-after", "1s"]))
        .collect();
    let outputs = sandbox.cli_together(&commands);
    let won: Vec<usize> = (0..TAKERS)
        .filter(|&i| outputs[i].status.success())
        .collect();
    assert_eq!(
        won.len(),
        1,
        "{:#?}",
        outputs.iter().map(describe).collect::<Vec<_>>()
    );
    for (i, out) in outputs.iter().enumerate().filter(|(i, _)| *i != won[0]) {
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("exists already"),
            "taker {i}: {}",
            describe(out)
        );
    }
    let loaded = sandbox.cli_ok(&["load", &uid]);
    same_files(&roots[won[0]], Path::new(&loaded)).unwrap();
    if python::require().is_some() {
        sandbox.clear_cache();
        let loaded = sandbox.python_ok(
            "import sys, audmodel\nprint(audmodel.load(sys.argv[1]))",
            &[&uid],
        );
        same_files(&roots[won[0]], Path::new(&loaded)).unwrap();
    }
    println!(
        "killed after claiming {version}; taker {} of {TAKERS} took over",
        won[0]
    );
}
