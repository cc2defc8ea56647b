//! SIGKILL of `audmodel` publishing to and loading from an S3 bucket
//! (Garage). Objects cannot be watched growing from outside, and timings
//! vary several-fold on a busy machine, so the kills come at shares of the
//! bytes the process read and wrote (`/proc/PID/io`) in a measured whole
//! run: packing, hashing, upload, download and unpacking all move it. After each killed
//! publish the model is absent for both tools (and a republish succeeds at
//! once) or whole; after each killed load there is no model folder or a
//! whole one, and a later load is whole and removes what the killed one
//! left in the cache. What the kills leave behind on the server is printed
//! (see `docs/guarantees.md`).
#![allow(clippy::unwrap_used)]

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use audmodel_tests::garage::garage;
use audmodel_tests::model_files::{bytes_below, same_files, write_random};
use audmodel_tests::python;
use audmodel_tests::sandbox::{Sandbox, describe};

/// Bigger than a few 8 MiB parts, so the archive goes up in a multipart upload.
const WEIGHTS: u64 = 40 << 20;

/// Kills at `k / KILLS` of the bytes a whole run reads and writes, for `k`
/// in `0..=KILLS` (the last one at the very end).
const KILLS: u64 = 8;

fn model(root: &Path, seed: u64) {
    write_random(&root.join("weights.bin"), WEIGHTS, seed);
    std::fs::write(root.join("seed.txt"), format!("{seed}\n")).unwrap();
}

fn publish_args<'a>(root: &'a str, version: &'a str) -> Vec<&'a str> {
    vec![
        "publish",
        root,
        "--name",
        "remote",
        "--version",
        version,
        "--compression",
        "0",
    ]
}

/// Bytes the process `pid` read and wrote so far (`rchar` + `wchar`).
fn io_bytes(pid: u32) -> Option<u64> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/io")).ok()?;
    let field = |name: &str| -> Option<u64> {
        text.lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().parse().ok())
    };
    Some(field("rchar:")? + field("wchar:")?)
}

/// Runs `audmodel ARGS` until it has read and written `at` bytes (then
/// kills it) or ends; returns whether it ended by itself and the most bytes
/// seen.
fn run_until(sandbox: &Sandbox, args: &[&str], at: u64) -> (bool, u64) {
    let mut child = sandbox
        .cli_command(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut seen = 0;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            assert!(status.success(), "audmodel {args:?}: {status}");
            return (true, seen);
        }
        seen = seen.max(io_bytes(child.id()).unwrap_or(0));
        if seen >= at {
            break;
        }
        std::thread::sleep(Duration::from_micros(500));
    }
    let finished = child.try_wait().unwrap().is_some();
    let _ = child.kill();
    child.wait().unwrap();
    (finished, seen)
}

fn cli_exists(sandbox: &Sandbox, uid: &str) -> bool {
    let out = sandbox.cli(&["exists", uid]);
    match out.status.code() {
        Some(0) => true,
        Some(1) => false,
        _ => panic!("exists {uid}: {}", describe(&out)),
    }
}

/// Objects in the bucket and unfinished multipart uploads, by the
/// reference's S3 client.
fn bucket_state(sandbox: &Sandbox) -> (usize, usize) {
    let g = garage();
    let out = sandbox.python_ok(
        "import sys, minio\n\
         endpoint, access, secret, bucket = sys.argv[1:5]\n\
         c = minio.Minio(endpoint, access, secret, secure=False, region='us-east-1')\n\
         objects = list(c.list_objects(bucket, recursive=True))\n\
         uploads = c._list_multipart_uploads(bucket).uploads\n\
         print(len(objects), len(uploads))",
        &[
            &g.endpoint,
            &g.access_key,
            &g.secret_key,
            sandbox.repository().to_str().unwrap(),
        ],
    );
    let mut parts = out.split_whitespace().map(|n| n.parse().unwrap());
    (parts.next().unwrap(), parts.next().unwrap())
}

#[test]
fn sigkill_during_an_s3_publish_leaves_the_model_absent_or_whole() {
    let Some(_) = python::require() else { return };
    let sandbox = Sandbox::s3(garage(), "kill-publish");
    let (a, b) = (sandbox.path().join("a"), sandbox.path().join("b"));
    model(&a, 1);
    model(&b, 2);
    let (a_str, b_str) = (a.to_str().unwrap(), b.to_str().unwrap());
    let (_, total) = run_until(&sandbox, &publish_args(a_str, "0.0.1"), u64::MAX);
    let sid = sandbox.cli_ok(&["uid", "--name", "remote"]);
    let mut report = Vec::new();
    for k in 0..=KILLS {
        let version = format!("1.0.{k}");
        let uid = format!("{sid}-{version}");
        let (finished, seen) =
            run_until(&sandbox, &publish_args(a_str, &version), total * k / KILLS);
        let context = format!("kill {k} after {seen} of {total} bytes");
        let exists = cli_exists(&sandbox, &uid);
        let py = sandbox.python_ok(
            "import sys, audmodel; print(audmodel.exists(sys.argv[1]))",
            &[&uid],
        );
        assert_eq!(py == "True", exists, "{context}: the tools disagree");
        // Killed before its commit: the archive was only ever uploaded under
        // a hidden key, so nothing of it lies under a name the tools read.
        if !exists && !finished {
            let bucket = sandbox.repository().to_str().unwrap();
            let visible: Vec<String> = garage()
                .keys(bucket)
                .into_iter()
                .filter(|key| key.contains(&format!("/{version}/")))
                .filter(|key| !key.rsplit('/').next().unwrap_or_default().starts_with('.'))
                .collect();
            assert_eq!(visible, Vec::<String>::new(), "{context}");
        }
        let expected = if exists {
            &a
        } else {
            let out = sandbox.cli(&publish_args(b_str, &version));
            assert!(
                out.status.success(),
                "{context}: republish failed: {}",
                describe(&out)
            );
            &b
        };
        let folder = sandbox.cli_ok(&["load", &uid]);
        same_files(expected, Path::new(&folder)).unwrap_or_else(|e| panic!("{context}: {e}"));
        report.push(match (finished, exists) {
            (true, _) => "finished",
            (false, false) => "absent",
            (false, true) => "whole",
        });
    }
    let (objects, uploads) = bucket_state(&sandbox);
    println!(
        "an S3 publish of {} MiB reads and writes {total} bytes; after each kill: {report:?}; \
         the bucket holds {objects} objects and {uploads} unfinished multipart uploads",
        WEIGHTS >> 20
    );
    assert!(
        report.contains(&"absent"),
        "no kill hit a publish: {report:?}"
    );
}

/// Entries of `{cache}/{sid}` other than the model folder `version`, its
/// header copy and lock files: what a load killed half way left.
fn leftovers(sid_dir: &Path, version: &str) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(sid_dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n != version && n != &format!("{version}.header.yaml") && !n.ends_with(".lock"))
        .collect();
    names.sort();
    names
}

#[test]
fn sigkill_during_an_s3_load_leaves_no_model_folder_or_a_whole_one() {
    let sandbox = Sandbox::s3(garage(), "kill-load");
    let root = sandbox.path().join("a");
    model(&root, 3);
    let uid = sandbox.cli_ok(&publish_args(root.to_str().unwrap(), "1.0.0"));
    let sid_dir = sandbox.cache().join(&uid[..8]);
    let folder = sid_dir.join("1.0.0");
    let (_, total) = run_until(&sandbox, &["load", &uid], u64::MAX);
    std::fs::remove_dir_all(&folder).unwrap();
    let mut report = Vec::new();
    for k in 0..=KILLS {
        let (finished, seen) = run_until(&sandbox, &["load", &uid], total * k / KILLS);
        let context = format!("kill {k} after {seen} of {total} bytes");
        report.push(if !folder.exists() {
            "no model folder"
        } else {
            same_files(&root, &folder).unwrap_or_else(|e| panic!("{context}: {e}"));
            if finished { "finished" } else { "whole" }
        });
        assert_eq!(
            sandbox.cli_ok(&["load", &uid]),
            folder.display().to_string()
        );
        same_files(&root, &folder).unwrap_or_else(|e| panic!("{context}, later load: {e}"));
        assert_eq!(
            leftovers(&sid_dir, "1.0.0"),
            Vec::<String>::new(),
            "{context}: the later load kept what the killed one left"
        );
        std::fs::remove_dir_all(&folder).unwrap();
    }
    let left = bytes_below(&sid_dir, &|_| true);
    println!(
        "an S3 load of {} MiB reads and writes {total} bytes; after each kill: {report:?}; \
         {left} bytes left in the cache besides the model",
        WEIGHTS >> 20
    );
    assert!(
        report.contains(&"no model folder"),
        "no kill hit a load: {report:?}"
    );
}

#[test]
fn a_load_removes_what_a_killed_load_left() {
    let sandbox = Sandbox::s3(garage(), "kill-leftovers");
    let root = sandbox.path().join("a");
    model(&root, 4);
    let uid = sandbox.cli_ok(&publish_args(root.to_str().unwrap(), "1.0.0"));
    let sid_dir = sandbox.cache().join(&uid[..8]);
    let (_, total) = run_until(&sandbox, &["load", &uid], u64::MAX);
    std::fs::remove_dir_all(sid_dir.join("1.0.0")).unwrap();
    // Killed while downloading (the first quarter of its reads and writes).
    let (finished, _) = run_until(&sandbox, &["load", &uid], total / 8);
    assert!(!finished);
    sandbox.cli_ok(&["load", &uid]);
    assert_eq!(leftovers(&sid_dir, "1.0.0"), Vec::<String>::new());
}

/// A hidden upload that a killed publisher left, beside a published version
/// and in the folder of a version never registered, changes nothing either
/// tool shows (`versions`, `ls`, `exists`, `header`, `url`, `load`), and a
/// young one is kept by the next publish of that version (its owner may be
/// alive).
#[test]
fn a_hidden_upload_left_behind_is_invisible_to_both_tools() {
    let Some(_) = python::require() else { return };
    let sandbox = Sandbox::s3(garage(), "kill-staged");
    let (a, b) = (sandbox.path().join("a"), sandbox.path().join("b"));
    for (root, seed) in [(&a, 5), (&b, 6)] {
        write_random(&root.join("weights.bin"), 1 << 20, seed);
    }
    let uid = sandbox.cli_ok(&publish_args(a.to_str().unwrap(), "1.0.0"));
    let sid = &uid[..8];
    let bucket = sandbox.repository().to_str().unwrap().to_owned();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let planted: Vec<String> = ["1.0.0", "2.0.0"]
        .iter()
        .map(|v| format!("remote/{sid}/{v}/.{sid}-{v}.zip.upload-{now}-0123456789abcdef"))
        .collect();
    let s3 = garage().backend(&bucket);
    for key in &planted {
        let path = audmodel::backend::BackendPath::new(&format!("/{key}")).unwrap();
        audmodel::backend::Backend::put_bytes(
            &s3,
            b"not a zip",
            &path,
            audmodel::backend::PutMode::Overwrite,
        )
        .unwrap();
    }

    assert_eq!(sandbox.cli_ok(&["versions", sid]), "1.0.0");
    assert!(!cli_exists(&sandbox, &format!("{sid}-2.0.0")));
    let listed = sandbox.cli_ok(&["ls", "--json"]);
    assert!(
        listed.contains(&uid) && !listed.contains("2.0.0"),
        "{listed}"
    );
    let folder = sandbox.cli_ok(&["load", &uid]);
    same_files(&a, Path::new(&folder)).unwrap();
    std::fs::remove_dir_all(&folder).unwrap();

    let py = sandbox.python_ok(
        "import sys, audmodel\n\
         sid = sys.argv[1]\n\
         uid = sid + '-1.0.0'\n\
         print(audmodel.versions(sid), audmodel.exists(sid + '-2.0.0'), \
               audmodel.header(uid)['version'], audmodel.url(uid))\n\
         print(audmodel.load(uid))",
        &[sid],
    );
    let mut lines = py.lines();
    assert_eq!(
        lines.next().unwrap(),
        format!("['1.0.0'] False 1.0.0 /remote/{sid}/1.0.0/{sid}-1.0.0.zip")
    );
    same_files(&a, Path::new(lines.next().unwrap())).unwrap();

    let uid2 = sandbox.cli_ok(&publish_args(b.to_str().unwrap(), "2.0.0"));
    let folder = sandbox.cli_ok(&["load", &uid2]);
    same_files(&b, Path::new(&folder)).unwrap();
    let hidden: Vec<String> = garage()
        .keys(&bucket)
        .into_iter()
        .filter(|key| key.contains(".upload-"))
        .collect();
    let mut expected = planted.clone();
    expected.sort();
    assert_eq!(
        hidden, expected,
        "young hidden uploads are kept, ours removed"
    );
}
