//! A publisher killed with SIGKILL at any moment leaves its model either not
//! registered or completely published, as the `audmodel` binary and the
//! Python reference both see it.
//!
//! A ~100 MiB model (stored, compression 0, so the test stays fast) is
//! published again and again as new versions, each killed at another point.
//! The points are not guessed delays (a publish takes 0.3 s on a quiet
//! machine and twice that on a busy one) but stages watched on disk while
//! the publisher runs: as soon as the local archive, the repository copy,
//! meta or header got that far, the publisher is killed. After each kill:
//! absent means `exists` is false for both tools and a new publish of the
//! same UID (from another folder) succeeds at once and is what loads; whole
//! means both tools load exactly the published files.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use audmodel_tests::model_files::{bytes_below, same_files, write_random};
use audmodel_tests::python;
use audmodel_tests::sandbox::{Sandbox, describe};

/// Size of the model's weights.
const WEIGHTS: u64 = 100 << 20;

/// Where the publisher is killed, on the scale of [`Watch::progress`]:
/// packing is `0..W`, copying into the repository `W..2W`, then meta, then
/// header.
const KILL_AT: [(&str, u64); 11] = [
    ("at start", 0),
    ("packed 1/4", WEIGHTS / 4),
    ("packed 1/2", WEIGHTS / 2),
    ("packed 3/4", WEIGHTS / 4 * 3),
    ("packed", WEIGHTS),
    ("copied 1/4", WEIGHTS + WEIGHTS / 4),
    ("copied 1/2", WEIGHTS + WEIGHTS / 2),
    ("copied 3/4", WEIGHTS + WEIGHTS / 4 * 3),
    ("archive stored", 2 * WEIGHTS),
    ("meta stored", 2 * WEIGHTS + 1),
    ("header stored", 2 * WEIGHTS + 2),
];

fn model(root: &Path, seed: u64) {
    write_random(&root.join("weights.bin"), WEIGHTS, seed);
    std::fs::create_dir_all(root.join("conf")).unwrap();
    std::fs::write(root.join("conf/model.yaml"), format!("seed: {seed}\n")).unwrap();
}

fn publish_args<'a>(root: &'a str, version: &'a str) -> Vec<&'a str> {
    vec![
        "publish",
        root,
        "--name",
        "big",
        "--version",
        version,
        "--compression",
        "0",
    ]
}

/// The files of one model version's publish, watched from outside.
struct Watch {
    tmp: PathBuf,
    archive_dir: PathBuf,
    archive: PathBuf,
    meta: PathBuf,
    header: PathBuf,
}

impl Watch {
    fn new(sandbox: &Sandbox, sid: &str, version: &str) -> Watch {
        let repo = sandbox.repository();
        let archive_dir = repo.join(format!("big/{sid}/{version}"));
        let uid_dir = repo.join(format!("_uid/{sid}/{version}"));
        Watch {
            tmp: sandbox.tmp(),
            archive: archive_dir.join(format!("{sid}-{version}.zip")),
            archive_dir,
            meta: uid_dir.join(format!("{sid}-{version}.meta.yaml")),
            header: uid_dir.join(format!("{sid}-{version}.header.yaml")),
        }
    }

    /// How far the publish got: bytes of the local archive (capped at the
    /// weights' size), plus bytes of the repository copy, plus one for the
    /// meta file and one for the header. Never decreases while it runs.
    fn progress(&self) -> u64 {
        let sum = |dir: &Path| bytes_below(dir, &|_| true);
        let packed = if self.archive.exists() {
            WEIGHTS
        } else {
            sum(&self.tmp).min(WEIGHTS)
        };
        let copied = if self.archive.exists() {
            WEIGHTS
        } else {
            sum(&self.archive_dir).min(WEIGHTS - 1)
        };
        packed + copied + u64::from(self.meta.exists()) + u64::from(self.header.exists())
    }
}

/// Whether the CLI says the model exists (output and exit status agree).
fn cli_exists(sandbox: &Sandbox, uid: &str) -> bool {
    let out = sandbox.cli(&["exists", uid]);
    let said = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    match (said.as_str(), out.status.code()) {
        ("true", Some(0)) => true,
        ("false", Some(1)) => false,
        _ => panic!("exists {uid}: {}", describe(&out)),
    }
}

/// The reference's `exists` and, when it exists, the folder it loads.
fn python_view(sandbox: &Sandbox, uid: &str) -> (bool, Option<String>) {
    let out = sandbox.python_ok(
        "import sys, audmodel\n\
         uid = sys.argv[1]\n\
         e = audmodel.exists(uid)\n\
         print(e)\n\
         if e:\n    print(audmodel.load(uid))",
        &[uid],
    );
    let mut lines = out.lines();
    let exists = lines.next() == Some("True");
    (exists, lines.next().map(str::to_owned))
}

/// Removes what killed publishers left in the temporary folder (they are
/// dead), so the next watch sees only its own archive.
fn empty(dir: &Path) {
    std::fs::remove_dir_all(dir).unwrap();
    std::fs::create_dir_all(dir).unwrap();
}

#[test]
fn sigkill_at_any_moment_of_a_publish_leaves_the_model_absent_or_whole() {
    let have_python = python::require().is_some();
    let sandbox = Sandbox::file_system();
    let (a, b) = (sandbox.path().join("a"), sandbox.path().join("b"));
    model(&a, 1);
    model(&b, 2);
    let (a_str, b_str) = (a.to_str().unwrap(), b.to_str().unwrap());

    let start = Instant::now();
    let first = sandbox.cli_ok(&publish_args(a_str, "0.0.1"));
    let publish_time = start.elapsed();
    let sid = first.trim_end_matches("-0.0.1").to_owned();
    // Archives depend on content only: every publish of `a` stores these bytes.
    let whole_archive = std::fs::read(Watch::new(&sandbox, &sid, "0.0.1").archive).unwrap();
    let whole_meta = std::fs::read(Watch::new(&sandbox, &sid, "0.0.1").meta).unwrap();

    let mut report = Vec::new();
    let mut repo_leftovers = 0;
    let mut scratch_removed = 0;
    for (k, (stage, at)) in KILL_AT.iter().enumerate() {
        let version = format!("1.0.{k}");
        let uid = format!("{sid}-{version}");
        empty(&sandbox.tmp());
        let watch = Watch::new(&sandbox, &sid, &version);
        let mut child = sandbox
            .cli_command(&publish_args(a_str, &version))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut reached = watch.progress();
        while reached < *at && child.try_wait().unwrap().is_none() {
            std::thread::sleep(Duration::from_millis(1));
            reached = watch.progress();
        }
        let finished = child.try_wait().unwrap().is_some();
        let _ = child.kill();
        child.wait().unwrap();
        let context = format!("kill {k} ({stage}, reached {reached})");

        let exists = cli_exists(&sandbox, &uid);
        let (py_exists, py_folder) = if have_python {
            python_view(&sandbox, &uid)
        } else {
            (exists, None)
        };
        assert_eq!(exists, py_exists, "{context}: the tools disagree");
        assert_eq!(
            exists,
            watch.header.exists(),
            "{context}: registered means the header is there"
        );
        // Whatever a killed publisher left under its final name is whole.
        for (file, whole) in [(&watch.archive, &whole_archive), (&watch.meta, &whole_meta)] {
            if file.exists() {
                assert!(
                    std::fs::read(file).unwrap() == *whole,
                    "{context}: '{}' is not whole",
                    file.display()
                );
            }
        }
        let expected = if exists {
            &a
        } else {
            repo_leftovers += bytes_below(&watch.archive_dir, &hidden);
            let killed_scratch = scratch_folders(&sandbox.tmp());
            // Leftovers of the killed publish are in the way of nothing.
            let out = sandbox.cli(&publish_args(b_str, &version));
            assert!(
                out.status.success(),
                "{context}: republish failed: {}",
                describe(&out)
            );
            // ... and the republish removed the killed one's half copy and
            // archive folder.
            assert_eq!(
                bytes_below(&watch.archive_dir, &hidden),
                0,
                "{context}: hidden files left beside the archive"
            );
            assert_eq!(
                scratch_folders(&sandbox.tmp()),
                Vec::<String>::new(),
                "{context}: left in the temporary folder"
            );
            scratch_removed += killed_scratch.len();
            assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), uid);
            &b
        };
        let folder = sandbox.cli_ok(&["load", &uid]);
        same_files(expected, Path::new(&folder)).unwrap_or_else(|e| panic!("{context}: {e}"));
        if have_python {
            let folder = match py_folder {
                Some(folder) => folder,
                None => python_view(&sandbox, &uid).1.unwrap(),
            };
            same_files(expected, Path::new(&folder))
                .unwrap_or_else(|e| panic!("{context}, Python: {e}"));
        }
        let outcome = match (finished, exists) {
            (true, _) => "finished before the kill",
            (false, false) => "absent",
            (false, true) => "whole",
        };
        report.push(format!("{stage}: {outcome}"));
    }
    println!(
        "a publish of {} MiB took {publish_time:?}; after each kill: {report:#?}",
        WEIGHTS >> 20
    );
    println!(
        "killed publishes left {repo_leftovers} bytes of hidden temporary files in the repository"
    );
    // The archive is packed in place, into a hidden file beside its final
    // name: that is what a kill leaves and a republish removes (checked
    // above). A temporary folder left by a killed publish (none is made
    // now) would be removed as well.
    assert!(
        repo_leftovers > 0 || scratch_removed > 0,
        "no kill left a half-written archive for a republish to remove"
    );
    let absent = report.iter().filter(|r| r.ends_with("absent")).count();
    assert!(
        absent >= KILL_AT.len() / 2,
        "most kills should hit a publish in flight: {report:#?}"
    );
}

/// Hidden files: the temporary file of a copy that was killed, beside lock files.
fn hidden(name: &str) -> bool {
    name.starts_with('.')
}

/// The publish folders (`audmodel-*`) in the temporary folder `tmp`.
fn scratch_folders(tmp: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(tmp)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|name| name.starts_with("audmodel-"))
        .collect();
    names.sort();
    names
}
