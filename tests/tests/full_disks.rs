//! Full disks: a load into a cache whose file system cannot hold the model
//! is refused from the archive's table of contents, before any data is
//! fetched or unpacked; a publish to a file-system repository that cannot
//! hold the model is refused before packing when that is certain
//! (compression 0), and one that runs out of space while packing says the
//! repository's disk is full and leaves nothing behind; so does a load
//! that fills the cache's disk although its unpacked size fit. Each test mounts a
//! small tmpfs (root only; CI runs as root) and unmounts it at its end.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use audmodel_tests::fault_proxy::FaultProxy;
use audmodel_tests::garage::garage;
use audmodel_tests::model_files::{tree, write_random};
use audmodel_tests::python;
use audmodel_tests::require::{Missing, missing};
use audmodel_tests::sandbox::{Sandbox, describe};

const MIB: u64 = 1 << 20;
/// The tmpfs: smaller than the big model, larger than the small one.
const TMPFS_SIZE: &str = "8m";
/// The big model's weights: 12 MiB of random bytes, so the archive is as
/// large as the files whatever the compression.
const BIG: u64 = 12 * MIB;
/// The exit status of a failure that is not a missing or invalid thing.
const FAILURE: i32 = 6;

/// A tmpfs mounted on a folder, unmounted when dropped.
struct Tmpfs(PathBuf);

impl Tmpfs {
    /// Mounts a tmpfs of [`TMPFS_SIZE`] on `dir`; `None` (after
    /// [`missing`], which fails under CI) when this user may not mount.
    fn mount(dir: &Path) -> Option<Tmpfs> {
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={TMPFS_SIZE}"), "tmpfs"])
            .arg(dir)
            .output();
        match out {
            Ok(out) if out.status.success() => Some(Tmpfs(dir.to_path_buf())),
            Ok(out) => {
                missing(&Missing::new(
                    "a small tmpfs",
                    format!(
                        "run the test as root (CI does); mount said: {}",
                        String::from_utf8_lossy(&out.stderr).trim()
                    ),
                ));
                None
            }
            Err(e) => {
                missing(&Missing::new(
                    "the mount command",
                    format!("install util-linux and run the test as root ({e})"),
                ));
                None
            }
        }
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let unmounted = Command::new("umount")
            .arg(&self.0)
            .status()
            .is_ok_and(|s| s.success());
        // A child still inside keeps it busy: detach it, so the sandbox
        // can still be removed.
        if !unmounted {
            let _ = Command::new("umount").arg("-l").arg(&self.0).status();
        }
    }
}

/// A model folder `name` in the sandbox with `weights` random bytes and a
/// small configuration file.
fn model(s: &Sandbox, name: &str, weights: u64, seed: u64) -> PathBuf {
    let root = s.scratch(name);
    write_random(&root.join("weights.bin"), weights, seed);
    std::fs::write(root.join("model.yaml"), "layers: 3\n").unwrap();
    root
}

fn publish(s: &Sandbox, root: &Path, name: &str, extra: &[&str]) -> Output {
    let mut args = vec![
        "publish",
        root.to_str().unwrap(),
        "--name",
        name,
        "--version",
        "1.0.0",
    ];
    args.extend_from_slice(extra);
    s.cli(&args)
}

/// Files in the cache's model folders `1.0.0` and their staging folders
/// `1.0.0~`. (A load caches the header beside them before it unpacks, and
/// leaves its lock file, which records when the model was last loaded.)
fn cached(s: &Sandbox) -> Vec<String> {
    tree(&s.cache())
        .into_keys()
        .filter(|path| path.contains("/1.0.0/") || path.contains("/1.0.0~/"))
        .collect()
}

/// Asserts a load was refused for want of space, naming both sizes, and
/// that no model folder (`1.0.0`, nor its staging `1.0.0~`) is cached.
fn assert_refused_load(s: &Sandbox, out: &Output) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(FAILURE), "{}", describe(out));
    assert!(
        stderr.contains("needs 12.0 MiB unpacked but the cache's file system has ")
            && stderr.contains(" MiB free ("),
        "{}",
        describe(out)
    );
    assert_eq!(cached(s), Vec::<String>::new(), "{}", describe(out));
}

#[test]
fn a_load_from_s3_that_the_cache_cannot_hold_fetches_no_archive_data() {
    let g = garage();
    let s = Sandbox::s3(g, "full-disk");
    let uid = {
        let out = publish(&s, &model(&s, "big", BIG, 1), "big", &[]);
        assert!(out.status.success(), "{}", describe(&out));
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    };
    let Some(_tmpfs) = Tmpfs::mount(&s.cache()) else {
        return;
    };
    // The load goes through a proxy that counts what the store sends.
    let proxy = FaultProxy::start(&g.endpoint, Vec::new(), 5);
    let bucket = &s.repositories()[0];
    let host = proxy.host();
    std::fs::write(
        s.path().join("home/.config/audmodel.yaml"),
        format!(
            "cache_root: {}\nrepositories:\n  - name: {bucket}\n    host: {host}\n    backend: s3\n",
            s.cache().display()
        ),
    )
    .unwrap();
    let ini = s.path().join("proxy.cfg");
    std::fs::write(&ini, format!("[{host}]\nsecure =\n")).unwrap();

    let out = s
        .cli_command(&["load", &uid])
        .env("MINIO_CONFIG_FILE", &ini)
        .output()
        .unwrap();
    assert_refused_load(&s, &out);
    // The header, and the table of contents by one range read of the
    // archive's last 256 KiB: nowhere near the 12 MiB archive.
    let (down, log) = (proxy.bytes_down(), proxy.log());
    let archive_reads = log
        .iter()
        .filter(|line| line.starts_with("GET ") && line.contains(".zip "))
        .count();
    assert!(
        down < 512 * 1024 && archive_reads == 1,
        "{down} bytes came down for a refused load: {log:#?}"
    );
}

#[test]
fn a_load_from_a_file_system_that_the_cache_cannot_hold_is_refused() {
    let s = Sandbox::file_system();
    let publish_ok = |name: &str, weights: u64| {
        let out = publish(&s, &model(&s, name, weights, 2), name, &[]);
        assert!(out.status.success(), "{}", describe(&out));
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    };
    let big = publish_ok("big", BIG);
    let small = publish_ok("small", 2 * MIB);
    let Some(_tmpfs) = Tmpfs::mount(&s.cache()) else {
        return;
    };

    let out = s.cli(&["load", &big]);
    assert_refused_load(&s, &out);
    // audmodel_rs raises the OSError a full disk raises in Python.
    if python::require_binding().is_some() {
        let raised = s.python_ok(
            "import sys, audmodel_rs\n\
             try:\n    audmodel_rs.load(sys.argv[1])\n\
             except OSError as e:\n    print(type(e).__name__, e.errno, e.strerror)",
            &[&big],
        );
        assert!(
            raised.starts_with("OSError 28 ") && raised.contains("free"),
            "{raised}"
        );
        assert!(cached(&s).is_empty(), "{:?}", cached(&s));
    }
    // A model that fits still loads.
    let folder = s.cli_ok(&["load", &small]);
    assert_eq!(
        std::fs::metadata(Path::new(&folder).join("weights.bin"))
            .unwrap()
            .len(),
        2 * MIB
    );
}

#[test]
fn a_load_that_fills_the_cache_on_its_way_says_so_and_caches_nothing() {
    for s in [Sandbox::file_system(), Sandbox::s3(garage(), "full-disk")] {
        // 2,500 one-byte files: a few KiB unpacked, so the check lets the
        // load start, but each takes a 4 KiB page of the tmpfs.
        let root = s.scratch("tiny");
        for i in 0..2500 {
            std::fs::write(root.join(format!("{i:04}.txt")), "x").unwrap();
        }
        let out = publish(&s, &root, "tiny", &[]);
        assert!(out.status.success(), "{}", describe(&out));
        let uid = String::from_utf8_lossy(&out.stdout).trim().to_owned();
        let Some(_tmpfs) = Tmpfs::mount(&s.cache()) else {
            return;
        };

        let out = s.cli(&["load", &uid]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(FAILURE), "{}", describe(&out));
        assert!(
            stderr.contains("the cache's file system is full (")
                && stderr.contains(&format!(
                    "the model '{uid}' (2.4 KiB unpacked, more on disk"
                ))
                && stderr.contains("nothing was cached"),
            "{}",
            describe(&out)
        );
        assert_eq!(cached(&s), Vec::<String>::new(), "{}", describe(&out));
    }
}

/// What the repository holds, lock files aside: a publish takes its turn
/// on a lock file beside the header, and leaves it, as every publish does.
fn stored(s: &Sandbox) -> Vec<String> {
    tree(s.repository())
        .into_keys()
        .filter(|path| !path.ends_with(".lock"))
        .collect()
}

#[test]
fn a_publish_stored_uncompressed_that_the_repository_cannot_hold_is_refused_before_packing() {
    let s = Sandbox::file_system();
    let root = model(&s, "big", BIG, 3);
    let Some(_tmpfs) = Tmpfs::mount(s.repository()) else {
        return;
    };

    let out = publish(&s, &root, "big", &["--compression", "0"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(FAILURE), "{}", describe(&out));
    assert!(
        stderr.contains("needs at least 12.0 MiB in the repository")
            && stderr.contains("but the repository's file system has ")
            && stderr.contains("nothing was written"),
        "{}",
        describe(&out)
    );
    // Refused before the publish took its turn: not even a lock file.
    assert_eq!(
        tree(s.repository()).into_keys().collect::<Vec<_>>(),
        Vec::<String>::new()
    );
}

#[test]
fn a_publish_that_fills_the_repository_says_so_and_leaves_nothing() {
    let s = Sandbox::file_system();
    let root = model(&s, "big", BIG, 4);
    let Some(_tmpfs) = Tmpfs::mount(s.repository()) else {
        return;
    };

    // Deflated, the archive could be smaller than the files, so the publish
    // tries; random weights are stored and do not fit.
    let out = publish(&s, &root, "big", &[]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(FAILURE), "{}", describe(&out));
    assert!(
        stderr.contains("the repository's file system is full (")
            && stderr.contains("did not fit")
            && stderr.contains("nothing was left in the repository"),
        "{}",
        describe(&out)
    );
    // No archive, hidden or whole, no metadata, no header.
    assert_eq!(stored(&s), Vec::<String>::new());
    let uid = s.cli_ok(&["uid", "--name", "big", "--version", "1.0.0"]);
    let out = s.cli(&["exists", &uid]);
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "false");
}
