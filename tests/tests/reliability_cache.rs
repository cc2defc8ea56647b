//! The shared cache under concurrency, crashes and damaged archives, with
//! real processes: the `audmodel` binary and the Python reference loading
//! into one cache at once, loaders killed with SIGKILL half way, and
//! archives in the repository damaged by hand.
#![allow(clippy::unwrap_used)]

use std::collections::{BTreeMap, BTreeSet};
use std::os::unix::fs::DirEntryExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use audmodel_tests::garage::garage;
use audmodel_tests::model_files::{bytes_below, same_files, write_random};
use audmodel_tests::python;
use audmodel_tests::sandbox::{Sandbox, describe};

/// Size of the model's weights: big enough that a download and unpack take
/// a while, so loaders overlap and kills land half way.
const WEIGHTS: u64 = 64 << 20;

/// Publishes a model folder (weights and a small config) under `version`
/// and returns (folder, UID).
fn publish(sandbox: &Sandbox, version: &str, seed: u64) -> (PathBuf, String) {
    let root = sandbox.path().join(format!("src-{version}"));
    write_random(&root.join("weights.bin"), WEIGHTS, seed);
    std::fs::create_dir_all(root.join("conf")).unwrap();
    std::fs::write(root.join("conf/model.yaml"), format!("seed: {seed}\n")).unwrap();
    let uid = sandbox.cli_ok(&[
        "publish",
        root.to_str().unwrap(),
        "--name",
        "cached",
        "--version",
        version,
        "--compression",
        "0",
    ]);
    (root, uid)
}

fn sid_of(uid: &str) -> &str {
    &uid[..8]
}

/// What appeared below `{cache}/{sid}` while loaders ran, seen by polling.
#[derive(Debug, Default)]
struct Seen {
    /// Every `weights.bin` by inode, with the first path it was seen at.
    /// Whatever folders a tool unpacks into (the reference `{V}~`, ours a
    /// hidden work folder), each unpack writes a new one: one inode, the
    /// model folder's, means one download and unpack.
    weights: BTreeMap<u64, PathBuf>,
    /// Inodes of the model folder `{V}`.
    model: BTreeSet<u64>,
}

/// Collects `weights.bin` files below `dir`, three levels deep.
fn find_weights(dir: &Path, depth: u32, seen: &mut BTreeMap<u64, PathBuf>) {
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if entry.file_name() == "weights.bin" {
            seen.entry(entry.ino()).or_insert(path);
        } else if depth > 0 && entry.file_type().is_ok_and(|t| t.is_dir()) {
            find_weights(&path, depth - 1, seen);
        }
    }
}

/// Polls `{cache}/{sid}` until `stop` is set.
fn watch(dir: PathBuf, version: String, stop: Arc<AtomicBool>) -> JoinHandle<Seen> {
    std::thread::spawn(move || {
        let mut seen = Seen::default();
        while !stop.load(Ordering::Relaxed) {
            find_weights(&dir, 3, &mut seen.weights);
            for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
                if entry.file_name().to_string_lossy() == version {
                    seen.model.insert(entry.ino());
                }
            }
            std::thread::sleep(Duration::from_micros(200));
        }
        seen
    })
}

/// A Python loader that imports the reference, says it is ready by creating
/// `ready`, and loads the model once `go` exists (so the slow import does
/// not decide who comes first).
const PY_LOADER: &str = "\
import os, sys, time, audmodel
uid, ready, go = sys.argv[1:4]
open(ready, 'w').close()
while not os.path.exists(go):
    time.sleep(0.001)
print(audmodel.load(uid))
";

fn finish(child: Child, who: &str) -> String {
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{who}: {}", describe(&out));
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// Four CLI and four Python loaders of one model into one cache at once;
/// returns the folders they printed and what the watcher saw.
fn eight_loaders(
    sandbox: &Sandbox,
    uid: &str,
    version: &str,
    rust_first: bool,
) -> (Vec<String>, Seen) {
    let sid_dir = sandbox.cache().join(sid_of(uid));
    // Earlier rounds' files would confuse the watcher.
    let _ = std::fs::remove_dir_all(&sid_dir);
    std::fs::create_dir_all(&sid_dir).unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let watcher = watch(sid_dir, version.to_owned(), stop.clone());
    let signals = sandbox.path().join(format!("signals-{version}"));
    std::fs::create_dir_all(&signals).unwrap();
    let go = signals.join("go");
    let python: Vec<Child> = (0..4)
        .map(|i| {
            let ready = signals.join(format!("ready{i}"));
            sandbox
                .python_command(
                    PY_LOADER,
                    &[uid, ready.to_str().unwrap(), go.to_str().unwrap()],
                )
                .unwrap()
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    while (0..4).any(|i| !signals.join(format!("ready{i}")).exists()) {
        std::thread::sleep(Duration::from_millis(5));
    }
    if !rust_first {
        std::fs::write(&go, b"").unwrap();
    }
    let rust: Vec<Child> = (0..4)
        .map(|_| {
            sandbox
                .cli_command(&["load", uid])
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    if rust_first {
        // Long enough for a CLI loader to take the lock, not to finish.
        std::thread::sleep(Duration::from_millis(150));
        std::fs::write(&go, b"").unwrap();
    }
    let mut folders = Vec::new();
    for (i, child) in rust.into_iter().enumerate() {
        folders.push(finish(child, &format!("CLI loader {i}")));
    }
    for (i, child) in python.into_iter().enumerate() {
        folders.push(finish(child, &format!("Python loader {i}")));
    }
    stop.store(true, Ordering::Relaxed);
    (folders, watcher.join().unwrap())
}

#[test]
fn eight_rust_and_python_loaders_share_one_download() {
    if python::require().is_none() {
        return;
    }
    loaders_share_one_download(&Sandbox::file_system());
}

/// From S3 the CLI unpacks while it downloads; the reference downloads,
/// then unpacks. They still take turns on the one lock.
#[test]
fn eight_rust_and_python_loaders_share_one_download_from_s3() {
    if python::require().is_none() {
        return;
    }
    loaders_share_one_download(&Sandbox::s3(garage(), "eight"));
}

fn loaders_share_one_download(sandbox: &Sandbox) {
    for (version, rust_first) in [("1.0.0", true), ("2.0.0", false)] {
        let (root, uid) = publish(sandbox, version, 7);
        let (folders, seen) = eight_loaders(sandbox, &uid, version, rust_first);
        let expected = sandbox.cache().join(sid_of(&uid)).join(version);
        for folder in &folders {
            assert_eq!(Path::new(folder), expected, "{folders:?}");
        }
        same_files(&root, &expected).unwrap();
        let model_ino = std::os::unix::fs::MetadataExt::ino(&std::fs::metadata(&expected).unwrap());
        let weights_ino = std::os::unix::fs::MetadataExt::ino(
            &std::fs::metadata(expected.join("weights.bin")).unwrap(),
        );
        assert_eq!(
            seen.weights.keys().copied().collect::<Vec<_>>(),
            [weights_ino],
            "{version} (CLI first: {rust_first}): more than one unpack: {seen:?}"
        );
        assert_eq!(
            seen.model.iter().copied().collect::<Vec<_>>(),
            [model_ino],
            "{version}: the model folder was replaced: {seen:?}"
        );
        println!(
            "{version}: CLI started first: {rust_first}; unpacked once, at {}",
            seen.weights[&weights_ino].display()
        );
    }
}

/// Where a load is killed: after this share of the bytes a whole load
/// writes below `{cache}/{sid}` at its peak (a download, the unpacked files;
/// measured by a first load), and once the model folder is there. Shares,
/// not stages, so the test does not depend on how a loader lays out its work.
const KILL_LOAD_AT: [(&str, u64, u64); 9] = [
    ("at start", 0, 8),
    ("1/8 written", 1, 8),
    ("2/8 written", 2, 8),
    ("3/8 written", 3, 8),
    ("4/8 written", 4, 8),
    ("5/8 written", 5, 8),
    ("6/8 written", 6, 8),
    ("7/8 written", 7, 8),
    ("model folder there", u64::MAX, 1),
];

/// Runs `audmodel load` until `stop(bytes, model)` holds or it ends, where
/// `bytes` is what it added below `{cache}/{sid}` so far and `model` whether
/// the model folder is there. Returns whether it ended by itself and the
/// most bytes seen.
fn load_until(sandbox: &Sandbox, uid: &str, stop: impl Fn(u64, bool) -> bool) -> (bool, u64) {
    run_load_until(sandbox, sandbox.cli_command(&["load", uid]), uid, stop)
}

/// [`load_until`] with the reference's `load`.
fn python_load_until(
    sandbox: &Sandbox,
    uid: &str,
    stop: impl Fn(u64, bool) -> bool,
) -> (bool, u64) {
    let command = sandbox
        .python_command("import sys, audmodel; audmodel.load(sys.argv[1])", &[uid])
        .unwrap();
    run_load_until(sandbox, command, uid, stop)
}

fn run_load_until(
    sandbox: &Sandbox,
    mut command: std::process::Command,
    uid: &str,
    stop: impl Fn(u64, bool) -> bool,
) -> (bool, u64) {
    let sid_dir = sandbox.cache().join(sid_of(uid));
    let model = sid_dir.join(&uid[9..]);
    std::fs::create_dir_all(&sid_dir).unwrap();
    let before = bytes_below(&sid_dir, &|_| true);
    let mut child = command
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut peak = 0;
    loop {
        let there = model.is_dir();
        let bytes = bytes_below(&sid_dir, &|_| true).saturating_sub(before);
        peak = peak.max(bytes);
        if stop(bytes, there) {
            break;
        }
        if let Some(status) = child.try_wait().unwrap() {
            assert!(status.success(), "load {uid}: {status}");
            return (true, peak);
        }
        std::thread::sleep(Duration::from_micros(500));
    }
    let finished = child.try_wait().unwrap().is_some();
    let _ = child.kill();
    child.wait().unwrap();
    (finished, peak)
}

#[test]
fn a_loader_killed_half_way_leaves_nothing_taken_for_a_model() {
    let have_python = python::require().is_some();
    let sandbox = Sandbox::file_system();
    let (root, uid) = publish(&sandbox, "1.0.0", 11);
    let sid_dir = sandbox.cache().join(sid_of(&uid));
    let model = sid_dir.join("1.0.0");
    let (_, peak) = load_until(&sandbox, &uid, |_, _| false);
    same_files(&root, &model).unwrap();
    std::fs::remove_dir_all(&model).unwrap();
    let mut report = Vec::new();
    for (k, (stage, num, den)) in KILL_LOAD_AT.iter().enumerate() {
        // Leftovers of earlier kills stay: they must not count as a model.
        let at = peak.saturating_mul(*num) / den;
        let (finished, reached) = load_until(&sandbox, &uid, |bytes, there| there || bytes >= at);
        let context = format!("kill {k} ({stage}, {reached} of {peak} bytes)");
        let outcome = if model.exists() {
            same_files(&root, &model).unwrap_or_else(|e| panic!("{context}: {e}"));
            if finished {
                "finished before the kill"
            } else {
                "whole"
            }
        } else {
            "no model folder"
        };
        report.push(format!("{stage}: {outcome}"));
        // A later load, by either tool in turn, gives the whole model.
        let folder = if have_python && k % 2 == 1 {
            sandbox.python_ok(
                "import sys, audmodel; print(audmodel.load(sys.argv[1]))",
                &[&uid],
            )
        } else {
            sandbox.cli_ok(&["load", &uid])
        };
        assert_eq!(Path::new(&folder), model, "{context}");
        same_files(&root, &model).unwrap_or_else(|e| panic!("{context}, later load: {e}"));
        assert_eq!(
            model_leftovers(&sandbox, &uid),
            ["1.0.0"],
            "{context}: the later load kept what the killed one left"
        );
        std::fs::remove_dir_all(&model).unwrap();
    }
    println!("a load writes up to {peak} bytes; after each killed load: {report:#?}");
    println!(
        "killed loads left {} bytes in the cache",
        bytes_below(&sid_dir, &|_| true)
    );
    let cut = report
        .iter()
        .filter(|r| r.ends_with("no model folder"))
        .count();
    assert!(
        cut >= KILL_LOAD_AT.len() / 2,
        "most kills should hit a load in flight: {report:#?}"
    );
}

/// The reference's loader unpacks into `{V}~` too and may be killed half
/// way as well (with its archive and part of the files there): the CLI's
/// next load must not take that for a model nor trip over it.
#[test]
fn a_python_loader_killed_half_way_does_not_trouble_the_cli() {
    if python::require().is_none() {
        return;
    }
    let sandbox = Sandbox::file_system();
    let (root, uid) = publish(&sandbox, "1.0.0", 12);
    let model = sandbox.cache().join(sid_of(&uid)).join("1.0.0");
    let (_, peak) = python_load_until(&sandbox, &uid, |_, _| false);
    same_files(&root, &model).unwrap();
    std::fs::remove_dir_all(&model).unwrap();
    let mut report = Vec::new();
    for k in 0..6 {
        let at = peak * k / 6;
        let (finished, reached) =
            python_load_until(&sandbox, &uid, |bytes, there| there || bytes >= at);
        let context = format!("Python killed at {reached} of {peak} bytes");
        report.push(if !model.exists() {
            "no model folder"
        } else if finished {
            "finished"
        } else {
            "whole"
        });
        assert_eq!(
            sandbox.cli_ok(&["load", &uid]),
            model.display().to_string(),
            "{context}"
        );
        same_files(&root, &model).unwrap_or_else(|e| panic!("{context}: {e}"));
        assert_eq!(model_leftovers(&sandbox, &uid), ["1.0.0"], "{context}");
        std::fs::remove_dir_all(&model).unwrap();
    }
    println!("after each killed Python load: {report:?}");
    assert!(report.contains(&"no model folder"), "{report:?}");
}

/// The entries of `{cache}/{sid}` other than lock files and the header copy:
/// what a failed load must not leave.
fn model_leftovers(sandbox: &Sandbox, uid: &str) -> Vec<String> {
    let dir = sandbox.cache().join(sid_of(uid));
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| !n.ends_with(".lock") && !n.ends_with(".header.yaml"))
        .collect();
    names.sort();
    names
}

/// The archive of `uid` in a file-system repository.
fn archive_file(sandbox: &Sandbox, uid: &str) -> PathBuf {
    let (sid, version) = uid.split_at(8);
    let version = &version[1..];
    sandbox
        .repository()
        .join(format!("cached/{sid}/{version}/{sid}-{version}.zip"))
}

fn assert_refused(sandbox: &Sandbox, uid: &str, what: &str) -> String {
    let out = sandbox.cli(&["load", uid]);
    assert!(!out.status.success(), "{what}: loaded: {}", describe(&out));
    let stderr = String::from_utf8_lossy(&out.stderr).trim().to_owned();
    assert!(!stderr.is_empty(), "{what}: no message");
    assert!(!stderr.contains("panicked"), "{what}: {stderr}");
    assert_eq!(
        model_leftovers(sandbox, uid),
        Vec::<String>::new(),
        "{what}"
    );
    stderr
}

#[test]
fn damaged_archives_in_a_file_system_repository_are_refused_and_nothing_is_cached() {
    let sandbox = Sandbox::file_system();
    let (_, truncated) = publish(&sandbox, "1.0.0", 21);
    let (_, flipped) = publish(&sandbox, "2.0.0", 22);

    let file = archive_file(&sandbox, &truncated);
    let bytes = std::fs::read(&file).unwrap();
    std::fs::write(&file, &bytes[..bytes.len() / 2]).unwrap();
    let message = assert_refused(&sandbox, &truncated, "truncated");
    println!("truncated: {message}");

    // One byte in the middle of the weights: sizes and the zip directory
    // are intact, only the CRC can tell (on a file system the repository's
    // checksum is the MD5 of the damaged file itself).
    let file = archive_file(&sandbox, &flipped);
    let mut bytes = std::fs::read(&file).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x55;
    std::fs::write(&file, &bytes).unwrap();
    let message = assert_refused(&sandbox, &flipped, "flipped byte");
    println!("flipped byte: {message}");
}

/// Replaces the archive object of `uid` on Garage by `how` of it
/// (`truncate`: its first half; `retime`: one bit of the first entry's time
/// changed, a valid zip that unpacks) while keeping the checksum and owner
/// metadata of the original.
fn damage_object(sandbox: &Sandbox, uid: &str, how: &str) {
    let garage = garage();
    let (sid, version) = (sid_of(uid), &uid[9..]);
    let bucket = sandbox.repository().to_str().unwrap();
    let key = format!("cached/{sid}/{version}/{sid}-{version}.zip");
    sandbox.python_ok(
        "import io, sys, minio\n\
         endpoint, access, secret, bucket, key, how = sys.argv[1:7]\n\
         c = minio.Minio(endpoint, access, secret, secure=False, region='us-east-1')\n\
         meta = c.stat_object(bucket, key).metadata\n\
         data = bytearray(c.get_object(bucket, key).read())\n\
         assert data[:4] == b'PK\\x03\\x04'\n\
         if how == 'truncate':\n    data = data[:len(data) // 2]\n\
         else:\n    data[10] ^= 1\n\
         c.put_object(bucket, key, io.BytesIO(bytes(data)), len(data), metadata={\n\
             'checksum': meta['x-amz-meta-checksum'], 'owner': meta['x-amz-meta-owner']})\n",
        &[
            &garage.endpoint,
            &garage.access_key,
            &garage.secret_key,
            bucket,
            &key,
            how,
        ],
    );
}

#[test]
fn archives_on_s3_that_differ_from_their_checksum_are_refused() {
    if python::require().is_none() {
        return;
    }
    let sandbox = Sandbox::s3(garage(), "corrupt");
    let (_, truncated) = publish(&sandbox, "1.0.0", 31);
    let (_, retimed) = publish(&sandbox, "2.0.0", 32);
    damage_object(&sandbox, &truncated, "truncate");
    damage_object(&sandbox, &retimed, "retime");
    let message = assert_refused(&sandbox, &truncated, "truncated");
    println!("truncated: {message}");
    // Only the MD5 check can catch this one: every entry is intact.
    let message = assert_refused(&sandbox, &retimed, "MD5 mismatch");
    assert!(
        message.contains("MD5") && message.contains("checksum"),
        "the message names the MD5 check: {message}"
    );
    println!("MD5 mismatch: {message}");
}
