//! The shared cache under concurrency, crashes and damaged archives, with
//! real processes: the `audmodel` binary and the Python reference loading
//! into one cache at once, loaders killed with SIGKILL half way, and
//! archives in the repository damaged by hand.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;
use std::ffi::OsString;
use std::os::unix::fs::DirEntryExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use audmodel_tests::garage::garage;
use audmodel_tests::model_files::{same_files, write_random};
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

/// What appeared in `{cache}/{sid}` while loaders ran, seen by polling it.
#[derive(Debug, Default)]
struct Seen {
    /// Inodes of the staging folder `{V}~` (both tools unpack there).
    staging: BTreeSet<u64>,
    /// Inodes of the model folder `{V}`.
    model: BTreeSet<u64>,
    /// Names of the Rust loader's download folders `.{V}.download-*`.
    downloads: BTreeSet<OsString>,
}

/// Polls `{cache}/{sid}` until `stop` is set.
fn watch(dir: PathBuf, version: String, stop: Arc<AtomicBool>) -> JoinHandle<Seen> {
    std::thread::spawn(move || {
        let mut seen = Seen::default();
        let staging = format!("{version}~");
        let download = format!(".{version}.download-");
        while !stop.load(Ordering::Relaxed) {
            for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
                let name = entry.file_name();
                let text = name.to_string_lossy();
                if text == staging {
                    seen.staging.insert(entry.ino());
                } else if text == version {
                    seen.model.insert(entry.ino());
                } else if text.starts_with(&download) {
                    seen.downloads.insert(name.clone());
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
        std::thread::sleep(Duration::from_millis(20));
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
    let sandbox = Sandbox::file_system();
    for (version, rust_first) in [("1.0.0", true), ("2.0.0", false)] {
        let (root, uid) = publish(&sandbox, version, 7);
        let (folders, seen) = eight_loaders(&sandbox, &uid, version, rust_first);
        let expected = sandbox.cache().join(sid_of(&uid)).join(version);
        for folder in &folders {
            assert_eq!(Path::new(folder), expected, "{folders:?}");
        }
        same_files(&root, &expected).unwrap();
        let ino = std::os::unix::fs::MetadataExt::ino(&std::fs::metadata(&expected).unwrap());
        // Every download ends in one unpack into `{V}~`, renamed to `{V}`:
        // one staging folder, the very one that became the model folder,
        // means one download.
        assert_eq!(
            seen.staging.iter().copied().collect::<Vec<_>>(),
            [ino],
            "{version} (CLI first: {rust_first}): {seen:?}"
        );
        assert_eq!(seen.model.iter().copied().collect::<Vec<_>>(), [ino]);
        assert!(seen.downloads.len() <= 1, "{seen:?}");
        println!(
            "{version}: CLI first {rust_first}, downloaded by {}",
            if seen.downloads.is_empty() {
                "Python"
            } else {
                "the CLI"
            }
        );
    }
}

/// Where a load is killed, on the scale of [`load_progress`]: the download
/// (`0..W`), then the unpacked weights (`W..2W`), then the model folder.
const KILL_LOAD_AT: [(&str, u64); 8] = [
    ("at start", 0),
    ("downloaded 1/4", WEIGHTS / 4),
    ("downloaded 3/4", WEIGHTS / 4 * 3),
    ("downloaded", WEIGHTS),
    ("unpacked 1/4", WEIGHTS + WEIGHTS / 4),
    ("unpacked 3/4", WEIGHTS + WEIGHTS / 4 * 3),
    ("unpacked", 2 * WEIGHTS),
    ("renamed into place", 2 * WEIGHTS + 1),
];

/// Bytes below `dir`, tolerating files that vanish while it looks.
fn bytes_below(dir: &Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .flatten()
        .map(|e| match e.metadata() {
            Ok(m) if m.is_dir() => bytes_below(&e.path()),
            Ok(m) => m.len(),
            Err(_) => 0,
        })
        .sum()
}

/// How far a load got: bytes of the archive being downloaded (any download
/// folder, the reference's staging folder holds it too), bytes unpacked
/// into the staging folder, one more once the model folder is there.
fn load_progress(sid_dir: &Path, version: &str, before: u64) -> u64 {
    let model = sid_dir.join(version);
    if model.is_dir() {
        return 2 * WEIGHTS + 1;
    }
    let staging = bytes_below(&sid_dir.join(format!("{version}~")));
    let all = bytes_below(sid_dir).saturating_sub(before);
    // Downloaded bytes are all new bytes not in the staging folder, until
    // unpacking starts; then the download is whole.
    if staging > 0 {
        WEIGHTS + staging.min(WEIGHTS)
    } else {
        all.min(WEIGHTS)
    }
}

#[test]
fn a_loader_killed_half_way_leaves_nothing_taken_for_a_model() {
    let have_python = python::require().is_some();
    let sandbox = Sandbox::file_system();
    let (root, uid) = publish(&sandbox, "1.0.0", 11);
    let sid_dir = sandbox.cache().join(sid_of(&uid));
    let model = sid_dir.join("1.0.0");
    let mut report = Vec::new();
    for (k, (stage, at)) in KILL_LOAD_AT.iter().enumerate() {
        std::fs::create_dir_all(&sid_dir).unwrap();
        // Leftovers of earlier kills stay: they must not count as a model.
        let before = bytes_below(&sid_dir);
        let mut child = sandbox
            .cli_command(&["load", &uid])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut reached = 0;
        while reached < *at && child.try_wait().unwrap().is_none() {
            std::thread::sleep(Duration::from_micros(500));
            reached = load_progress(&sid_dir, "1.0.0", before);
        }
        let finished = child.try_wait().unwrap().is_some();
        let _ = child.kill();
        child.wait().unwrap();
        let context = format!("kill {k} ({stage}, reached {reached})");
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
        std::fs::remove_dir_all(&model).unwrap();
    }
    println!("after each killed load: {report:#?}");
    println!(
        "killed loads left {} bytes in the cache",
        bytes_below(&sid_dir)
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

#[test]
fn an_archive_whose_md5_differs_from_the_stored_checksum_is_refused() {
    if python::require().is_none() {
        return;
    }
    let garage = garage();
    let sandbox = Sandbox::s3(garage, "corrupt");
    let (_, uid) = publish(&sandbox, "1.0.0", 31);
    let (sid, version) = (sid_of(&uid), "1.0.0");
    // Replace the object by its first half, keeping the checksum and owner
    // metadata of the whole one: only the MD5 check can tell.
    let bucket = sandbox.repository().to_str().unwrap();
    let key = format!("cached/{sid}/{version}/{sid}-{version}.zip");
    sandbox.python_ok(
        "import io, sys, minio\n\
         endpoint, access, secret, bucket, key = sys.argv[1:6]\n\
         c = minio.Minio(endpoint, access, secret, secure=False, region='us-east-1')\n\
         meta = c.stat_object(bucket, key).metadata\n\
         data = c.get_object(bucket, key).read()\n\
         half = data[:len(data) // 2]\n\
         c.put_object(bucket, key, io.BytesIO(half), len(half), metadata={\n\
             'checksum': meta['x-amz-meta-checksum'], 'owner': meta['x-amz-meta-owner']})\n",
        &[
            &garage.endpoint,
            &garage.access_key,
            &garage.secret_key,
            bucket,
            &key,
        ],
    );
    let message = assert_refused(&sandbox, &uid, "MD5 mismatch");
    assert!(
        message.contains("MD5") || message.contains("checksum"),
        "the message names the checksum: {message}"
    );
    println!("MD5 mismatch: {message}");
}
