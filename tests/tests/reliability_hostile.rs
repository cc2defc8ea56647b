//! Hostile archives planted by hand in a file-system repository and in a
//! Garage bucket (with the planted bytes' own MD5 as their checksum, so only
//! the content check can catch them) are refused by `audmodel load`:
//! nothing is written outside the cache, and no model folder appears in it.
//!
//! The zip bytes are written field by field (the support crate's
//! `hostile_zip`), so every entry can carry what a well-behaved zip library
//! would refuse to write: `..` parts, absolute names, Unix modes of links,
//! FIFOs and devices.
#![allow(clippy::unwrap_used)]

use std::path::Path;

use audmodel::backend::{Backend, BackendExt, PutMode};
use audmodel_tests::garage::garage;
use audmodel_tests::hostile_zip::mode::{BLOCK_DEVICE, CHAR_DEVICE, FIFO, REGULAR, SYMLINK};
use audmodel_tests::hostile_zip::{build, with_mode};
use audmodel_tests::model_files::tree;
use audmodel_tests::sandbox::{Sandbox, describe};

/// An archive entry: name, Unix mode, data.
type Entry<'a> = (&'a str, u32, &'a [u8]);

/// A stored zip of `(name, Unix mode, data)` entries.
fn zip(entries: &[Entry<'_>]) -> Vec<u8> {
    let raw: Vec<_> = entries
        .iter()
        .map(|(name, mode, data)| with_mode(name, *mode, data))
        .collect();
    build(&raw)
}

/// Publishes a harmless model as `version`, then replaces its archive in
/// the repository by `bytes` (on S3 with their true MD5 as the checksum, so
/// only the content check can stop them); returns the UID.
fn plant(sandbox: &Sandbox, version: &str, bytes: &[u8]) -> String {
    let root = sandbox.path().join("harmless");
    std::fs::create_dir_all(&root).unwrap();
    std::fs::write(root.join("ok.txt"), b"harmless\n").unwrap();
    let uid = sandbox.cli_ok(&[
        "publish",
        root.to_str().unwrap(),
        "--name",
        "hostile",
        "--version",
        version,
    ]);
    let sid = &uid[..8];
    let key = format!("hostile/{sid}/{version}/{sid}-{version}.zip");
    if sandbox.repository().is_dir() {
        let archive = sandbox.repository().join(key);
        assert!(archive.is_file(), "{}", archive.display());
        std::fs::write(&archive, bytes).unwrap();
    } else {
        let s3 = garage().backend(sandbox.repository().to_str().unwrap());
        let path = audmodel::backend::BackendPath::new(&format!("/{key}")).unwrap();
        assert!(s3.exists(&path).unwrap(), "{key}");
        s3.put_bytes(bytes, &path, PutMode::Overwrite).unwrap();
    }
    uid
}

/// Every file below the sandbox except the repository, the published
/// folder, the cache's lock files and header copies: what a refused load may
/// not change.
fn outside_files(sandbox: &Sandbox) -> Vec<String> {
    tree(sandbox.path())
        .into_keys()
        .filter(|name| !name.starts_with("host/") && !name.starts_with("harmless/"))
        .filter(|name| !name.ends_with(".lock") && !name.ends_with(".header.yaml"))
        .collect()
}

#[test]
fn hostile_archives_are_refused_and_nothing_is_written_anywhere() {
    refuses_hostile_archives(&Sandbox::file_system());
}

/// From S3 the archive is unpacked as it streams in: the same refusals,
/// before any data is fetched.
#[test]
fn hostile_archives_on_s3_are_refused_and_nothing_is_written_anywhere() {
    refuses_hostile_archives(&Sandbox::s3(garage(), "hostile"));
}

fn refuses_hostile_archives(sandbox: &Sandbox) {
    let top = sandbox.path().display().to_string();
    let absolute = format!("{top}/escaped-absolute.txt");
    let through_link = format!("{top}/escaped-through-link.txt");
    let cases: Vec<(&str, Vec<Entry<'_>>)> = vec![
        (
            "parent folder",
            vec![
                ("ok.txt", REGULAR, b"ok\n"),
                ("../../../escaped-dotdot.txt", REGULAR, b"evil\n"),
            ],
        ),
        (
            "parent folder inside a path",
            vec![
                ("ok.txt", REGULAR, b"ok\n"),
                ("a/../../../../escaped-inner.txt", REGULAR, b"evil\n"),
            ],
        ),
        (
            "absolute path",
            vec![
                ("ok.txt", REGULAR, b"ok\n"),
                (absolute.as_str(), REGULAR, b"evil\n"),
            ],
        ),
        (
            "symbolic link, then a file through it",
            vec![
                ("link", SYMLINK, top.as_bytes()),
                ("link/escaped-through-link.txt", REGULAR, b"evil\n"),
            ],
        ),
        (
            "symbolic link alone",
            vec![
                ("ok.txt", REGULAR, b"ok\n"),
                ("passwd", SYMLINK, b"/etc/passwd"),
            ],
        ),
        (
            "FIFO",
            vec![("ok.txt", REGULAR, b"ok\n"), ("pipe", FIFO, b"")],
        ),
        (
            "character device",
            vec![("ok.txt", REGULAR, b"ok\n"), ("tty", CHAR_DEVICE, b"")],
        ),
        (
            "block device",
            vec![("ok.txt", REGULAR, b"ok\n"), ("disk", BLOCK_DEVICE, b"")],
        ),
    ];
    let before = outside_files(sandbox);
    for (k, (what, entries)) in cases.iter().enumerate() {
        let version = format!("1.0.{k}");
        let uid = plant(sandbox, &version, &zip(entries));
        let out = sandbox.cli(&["load", &uid]);
        assert!(!out.status.success(), "{what}: loaded: {}", describe(&out));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            !stderr.trim().is_empty() && !stderr.contains("panicked"),
            "{what}: {}",
            describe(&out)
        );
        println!("{what}: {}", stderr.trim());
        let sid_dir = sandbox.cache().join(&uid[..8]);
        for folder in [version.clone(), format!("{version}~")] {
            assert!(
                !sid_dir.join(&folder).exists(),
                "{what}: '{folder}' is in the cache"
            );
        }
        assert_eq!(
            outside_files(sandbox),
            before,
            "{what}: files appeared or vanished"
        );
    }
    for escaped in ["escaped-dotdot.txt", "escaped-inner.txt"] {
        assert!(!sandbox.path().join(escaped).exists());
    }
    assert!(!Path::new(&absolute).exists());
    assert!(!Path::new(&through_link).exists());
}

/// The writer above makes archives the loader accepts when they are
/// harmless: a refusal in the test above is about the hostile entry, not a
/// broken zip.
#[test]
fn the_hand_made_zip_of_harmless_entries_loads() {
    let sandbox = Sandbox::file_system();
    let uid = plant(
        &sandbox,
        "1.0.0",
        &zip(&[
            ("ok.txt", REGULAR, b"ok\n"),
            ("sub/file.bin", REGULAR, &[0, 1, 2, 255]),
        ]),
    );
    let folder = sandbox.cli_ok(&["load", &uid]);
    let folder = Path::new(&folder);
    assert_eq!(std::fs::read(folder.join("ok.txt")).unwrap(), b"ok\n");
    assert_eq!(
        std::fs::read(folder.join("sub/file.bin")).unwrap(),
        [0, 1, 2, 255]
    );
}
