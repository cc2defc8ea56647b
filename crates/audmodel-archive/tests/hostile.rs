//! Archives crafted to escape the target, smuggle links or special files, or
//! lie about their data: each is refused with an error naming the problem,
//! and nothing is left behind.
#![allow(clippy::unwrap_used, missing_docs)]

use crate::streamed;
use crate::support;

use crate::hostile_zip;

use audmodel_archive::{Error, PackOptions, no_progress, pack, unpack};
use hostile_zip::{Raw, build, deflated, stored};
use std::fs;
use std::path::Path;

/// Unpacks `bytes` into a fresh folder and checks the refusal left nothing:
/// only the archive remains beside where the target would have been.
fn refused(bytes: &[u8]) -> Error {
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("hostile.zip");
    fs::write(&archive, bytes).unwrap();
    let target = dir.path().join("cache/model");
    fs::create_dir(dir.path().join("cache")).unwrap();
    let err = unpack(&archive, &target, &no_progress).unwrap_err();
    assert_only(dir.path(), &["cache", "hostile.zip"]);
    assert_only(&dir.path().join("cache"), &[]);
    // The stream path refuses it alike, for the same entry.
    let streamed = streamed::unpack_streamed(&archive, &target).unwrap_err();
    assert_only(dir.path(), &["cache", "hostile.zip"]);
    assert_only(&dir.path().join("cache"), &[]);
    match (&err, &streamed) {
        (Error::Unsafe { entry: a, .. }, Error::Unsafe { entry: b, .. }) => assert_eq!(a, b),
        (Error::Corrupt { entry: a, .. }, Error::Corrupt { entry: b, .. }) => assert_eq!(a, b),
        _ => panic!("file: {err}, stream: {streamed}"),
    }
    err
}

fn assert_only(dir: &Path, expected: &[&str]) {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(names, expected, "left behind in {}", dir.display());
}

fn assert_unsafe(err: &Error, entry: &str, why: &str) {
    match err {
        Error::Unsafe { entry: e, reason } => {
            assert_eq!(e, entry);
            assert!(reason.contains(why), "{reason:?} lacks {why:?}");
        }
        other => panic!("expected Unsafe for {entry:?}, got {other}"),
    }
    assert!(err.to_string().contains(&format!("{entry:?}")), "{err}");
}

fn assert_corrupt(err: &Error, entry: Option<&str>, why: &str) {
    match err {
        Error::Corrupt { entry: e, reason } => {
            assert_eq!(e.as_deref(), entry);
            assert!(reason.contains(why), "{reason:?} lacks {why:?}");
        }
        other => panic!("expected Corrupt for {entry:?}, got {other}"),
    }
}

#[test]
fn the_builder_makes_valid_archives() {
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("ok.zip");
    let entries = [
        stored("a/b.txt", b"hello"),
        deflated("c.txt", &[5; 1000]),
        stored("ü.txt", b""),
    ];
    fs::write(&archive, build(&entries)).unwrap();
    let target = dir.path().join("out");
    unpack(&archive, &target, &no_progress).unwrap();
    assert_eq!(fs::read(target.join("a/b.txt")).unwrap(), b"hello");
    assert_eq!(fs::read(target.join("c.txt")).unwrap(), [5; 1000]);
    assert_eq!(fs::read(target.join("ü.txt")).unwrap(), b"");
}

#[test]
fn escaping_names_are_refused() {
    let cases = [
        ("../evil", "relative"),
        ("a/../../evil", "relative"),
        ("/abs", "absolute"),
        ("C:\\x", "drive letter"),
        ("C:x", "drive letter"),
        ("a\\..\\..\\evil", "backslash"),
        ("a//b", "empty"),
    ];
    for (name, why) in cases {
        // A harmless entry first: it must not survive the refusal either.
        let err = refused(&build(&[stored("good.txt", b"x"), stored(name, b"evil")]));
        assert_unsafe(&err, name, why);
    }
}

#[test]
fn links_and_special_files_are_refused() {
    for (mode, what) in [
        (0o120_777, "symlink"),
        (0o010_644, "fifo"),
        (0o020_644, "char device"),
        (0o060_644, "block device"),
        (0o140_644, "socket"),
    ] {
        let entry = Raw {
            mode,
            ..stored("link", b"/etc/passwd")
        };
        let err = refused(&build(&[stored("good.txt", b"x"), entry]));
        assert_unsafe(&err, "link", "not a regular file");
        assert!(err.to_string().contains("link"), "{what}: {err}");
    }
}

#[test]
fn duplicate_names_are_refused() {
    let err = refused(&build(&[stored("a.txt", b"one"), stored("a.txt", b"two")]));
    assert_corrupt(&err, Some("a.txt"), "duplicate");
    let err = refused(&build(&[
        stored("x", b""),
        stored("ü/b", b"1"),
        stored("ü/b", b"2"),
    ]));
    assert_corrupt(&err, Some("ü/b"), "duplicate");
}

#[test]
fn encrypted_entries_are_refused() {
    let entry = Raw {
        flags: 1,
        ..stored("secret.bin", b"xxxxxxxxxxxxxxxx")
    };
    assert_unsafe(&refused(&build(&[entry])), "secret.bin", "encrypted");
}

#[test]
fn unknown_methods_are_refused() {
    let entry = Raw {
        method: 12,
        ..stored("b.bz2", b"BZh")
    };
    assert_unsafe(&refused(&build(&[entry])), "b.bz2", "compression method");
}

#[test]
fn a_wrong_crc_is_refused() {
    for entry in [stored("a.bin", b"data"), deflated("a.bin", &[1; 5000])] {
        let entry = Raw {
            crc: entry.crc ^ 1,
            ..entry
        };
        let err = refused(&build(&[stored("good.txt", b"x"), entry]));
        assert_corrupt(&err, Some("a.bin"), "CRC");
    }
}

#[test]
fn wrong_declared_sizes_are_refused() {
    let content = [3u8; 5000];
    let good = deflated("a.bin", &content);
    let cases = [
        (
            Raw {
                size: 4000,
                ..good.clone()
            },
            "more data than",
        ),
        (
            Raw {
                size: 6000,
                ..good.clone()
            },
            "declared",
        ),
        (
            Raw {
                compressed: good.compressed - 3,
                ..good.clone()
            },
            "data",
        ),
        (
            Raw {
                size: 9,
                ..stored("a.bin", b"12345678")
            },
            "differing sizes",
        ),
    ];
    for (entry, why) in cases {
        let err = refused(&build(&[entry]));
        assert_corrupt(&err, Some("a.bin"), why);
    }
    // Trailing bytes after the deflate stream: the compressed size lies.
    let mut padded = good.clone();
    padded.data.extend_from_slice(&[0; 7]);
    padded.compressed += 7;
    let err = refused(&build(&[padded]));
    assert_corrupt(&err, Some("a.bin"), "compressed size");
}

#[test]
fn truncated_archives_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("model");
    support::write_tree(
        &root,
        &[
            ("a.bin", support::noise(100_000, 5)),
            ("b.txt", vec![b'b'; 10_000]),
        ],
    );
    let archive = dir.path().join("m.zip");
    pack(&root, &archive, &PackOptions::default(), &no_progress).unwrap();
    let bytes = fs::read(&archive).unwrap();
    for keep in [0, 10, bytes.len() / 2, bytes.len() - 1] {
        let err = refused(&bytes[..keep]);
        assert!(matches!(err, Error::Corrupt { .. }), "cut at {keep}: {err}");
    }
}

#[test]
fn data_cut_out_of_the_middle_is_refused() {
    // The central directory is intact but points past the shortened data.
    let mut bytes = build(&[stored("a.bin", &[9; 3000])]);
    let cut = 30 + "a.bin".len() + 1000;
    bytes.drain(cut..cut + 500);
    assert!(matches!(refused(&bytes), Error::Corrupt { .. }));
}
