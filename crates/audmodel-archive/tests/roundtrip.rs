//! Packing real folders and unpacking them again.
#![allow(clippy::unwrap_used, missing_docs)]

use crate::streamed;
use crate::support;

use audmodel_archive::{Error, PackOptions, no_progress, pack, pack_size, unpack, unpack_checked};
use std::fs;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use support::{noise, python_reads_like_folder, read_tree, write_tree};

fn model(root: &Path) {
    let mut files: Vec<(String, Vec<u8>)> = vec![
        ("weights/layer1.bin".into(), noise(300_000, 1)),
        ("weights/sub/deeper/layer2.bin".into(), vec![7; 50_000]),
        ("config.json".into(), br#"{"a": 1}"#.to_vec()),
        (".hidden".into(), b"secret".to_vec()),
        ("empty.txt".into(), Vec::new()),
        ("ünïcödé/名前.txt".into(), "ünïcödé".as_bytes().to_vec()),
        ("with space/x y.txt".into(), b"x".to_vec()),
    ];
    for i in 0..150 {
        files.push((
            format!("many/{i:03}.json"),
            format!("{{\"i\": {i}}}").into_bytes(),
        ));
    }
    let files: Vec<(&str, Vec<u8>)> = files.iter().map(|(n, c)| (n.as_str(), c.clone())).collect();
    write_tree(root, &files);
}

#[test]
fn round_trip_keeps_every_file_at_levels_0_1_9() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("model");
    model(&root);
    for level in [0, 1, 9] {
        let archive = dir.path().join(format!("{level}.zip"));
        let options = PackOptions {
            level,
            ..PackOptions::default()
        };
        let packed = pack(&root, &archive, &options, &no_progress).unwrap();
        assert_eq!(packed.files, 157);
        assert_eq!(packed.md5, audmodel_util::md5_file(&archive).unwrap());
        let target = dir.path().join(format!("out{level}"));
        let unpacked = unpack(&archive, &target, &no_progress).unwrap();
        assert_eq!(unpacked.files, 157);
        assert_eq!(unpacked.bytes, pack_size(&root).unwrap());
        assert_eq!(read_tree(&target), read_tree(&root));
        assert!(!dir.path().join(format!("out{level}~")).exists());
        let streamed = dir.path().join(format!("streamed{level}"));
        assert_eq!(
            streamed::unpack_streamed(&archive, &streamed).unwrap(),
            unpacked
        );
        assert_eq!(read_tree(&streamed), read_tree(&root));
        python_reads_like_folder(&archive, &root);
    }
}

#[test]
fn higher_levels_give_smaller_archives() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("model");
    model(&root);
    let size = |level| {
        let options = PackOptions {
            level,
            min_saving_percent: 0,
        };
        pack(&root, dir.path().join("a.zip"), &options, &no_progress)
            .unwrap()
            .size
    };
    let (stored, fast, best) = (size(0), size(1), size(9));
    assert!(stored > fast && fast >= best, "{stored} {fast} {best}");
}

#[test]
fn same_folder_gives_the_same_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("model");
    model(&root);
    let a = pack(
        &root,
        dir.path().join("a.zip"),
        &PackOptions::default(),
        &no_progress,
    )
    .unwrap();
    // Later modification times change nothing.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    fs::write(root.join("config.json"), br#"{"a": 1}"#).unwrap();
    let b = pack(
        &root,
        dir.path().join("b.zip"),
        &PackOptions::default(),
        &no_progress,
    )
    .unwrap();
    assert_eq!(a, b);
    assert_eq!(
        fs::read(dir.path().join("a.zip")).unwrap(),
        fs::read(dir.path().join("b.zip")).unwrap()
    );
}

#[test]
fn progress_adds_up_to_pack_size() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("model");
    model(&root);
    let total = pack_size(&root).unwrap();
    let on_disk: usize = read_tree(&root).values().flatten().map(Vec::len).sum();
    assert_eq!(total, on_disk as u64);
    let seen = AtomicU64::new(0);
    let count = |n| {
        seen.fetch_add(n, Ordering::Relaxed);
        Ok(())
    };
    let archive = dir.path().join("m.zip");
    pack(&root, &archive, &PackOptions::default(), &count).unwrap();
    assert_eq!(seen.swap(0, Ordering::Relaxed), total);
    unpack(&archive, dir.path().join("out"), &count).unwrap();
    assert_eq!(seen.load(Ordering::Relaxed), total);
}

#[test]
fn empty_folders_are_not_packed_like_the_reference() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("model");
    fs::create_dir_all(root.join("empty/inner")).unwrap();
    write_tree(&root, &[("a.txt", b"a".to_vec())]);
    let archive = dir.path().join("m.zip");
    assert_eq!(
        pack(&root, &archive, &PackOptions::default(), &no_progress)
            .unwrap()
            .files,
        1
    );
    let target = dir.path().join("out");
    unpack(&archive, &target, &no_progress).unwrap();
    assert_eq!(read_tree(&target).keys().collect::<Vec<_>>(), ["a.txt"]);
}

#[test]
fn an_empty_folder_packs_to_an_empty_archive() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("model");
    fs::create_dir(&root).unwrap();
    let archive = dir.path().join("m.zip");
    let packed = pack(&root, &archive, &PackOptions::default(), &no_progress).unwrap();
    assert_eq!((packed.files, packed.size), (0, 22));
    let target = dir.path().join("out");
    assert_eq!(unpack(&archive, &target, &no_progress).unwrap().files, 0);
    assert!(target.is_dir());
    python_reads_like_folder(&archive, &root);
}

#[test]
fn pack_refuses_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("m.zip");
    let missing = dir.path().join("missing");
    let err = pack(&missing, &archive, &PackOptions::default(), &no_progress).unwrap_err();
    assert!(
        matches!(err, Error::NotFound { ref path } if *path == missing),
        "{err}"
    );
    assert!(matches!(pack_size(&missing), Err(Error::NotFound { .. })));

    let file = dir.path().join("file");
    fs::write(&file, "x").unwrap();
    let err = pack(&file, &archive, &PackOptions::default(), &no_progress).unwrap_err();
    assert!(matches!(err, Error::InvalidInput { .. }), "{err}");

    let root = dir.path().join("model");
    model(&root);
    let options = PackOptions {
        level: 10,
        ..PackOptions::default()
    };
    let err = pack(&root, &archive, &options, &no_progress).unwrap_err();
    assert!(
        matches!(err, Error::InvalidInput { ref reason } if reason.contains("10")),
        "{err}"
    );

    let inside = root.join("sub/m.zip");
    let err = pack(&root, &inside, &PackOptions::default(), &no_progress).unwrap_err();
    assert!(matches!(err, Error::InvalidInput { .. }), "{err}");
    assert!(!inside.exists());
    assert!(!archive.exists());
}

#[test]
fn unpack_refuses_missing_archive_and_existing_target() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("model");
    model(&root);
    let archive = dir.path().join("m.zip");
    let err = unpack(&archive, dir.path().join("out"), &no_progress).unwrap_err();
    assert!(
        matches!(err, Error::NotFound { ref path } if *path == archive),
        "{err}"
    );

    pack(&root, &archive, &PackOptions::default(), &no_progress).unwrap();
    let err = unpack(&archive, &root, &no_progress).unwrap_err();
    assert!(matches!(err, Error::AlreadyExists { .. }), "{err}");
}

#[test]
fn a_failed_check_leaves_neither_target_nor_staging() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("model");
    model(&root);
    let archive = dir.path().join("m.zip");
    pack(&root, &archive, &PackOptions::default(), &no_progress).unwrap();
    let target = dir.path().join("out");
    let staging = dir.path().join("out~");
    let err = unpack_checked(&archive, &target, &no_progress, || {
        // Called once everything is written: the staging folder is whole.
        assert_eq!(read_tree(&staging), read_tree(&root));
        Err(Error::Corrupt {
            entry: None,
            reason: "MD5 differs".into(),
        })
    })
    .unwrap_err();
    assert!(matches!(err, Error::Corrupt { ref reason, .. } if reason == "MD5 differs"));
    assert!(!target.exists());
    assert!(!staging.exists());

    // A passing check moves the model into place.
    let unpacked = unpack_checked(&archive, &target, &no_progress, || Ok::<(), Error>(())).unwrap();
    assert_eq!(read_tree(&target), read_tree(&root));
    assert!(!staging.exists());
    assert_eq!(unpacked.files, 157);
}

#[test]
fn the_check_is_not_called_when_unpacking_fails() {
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("m.zip");
    fs::write(&archive, b"not a zip").unwrap();
    let target = dir.path().join("out");
    let called = std::cell::Cell::new(false);
    let err = unpack_checked(&archive, &target, &no_progress, || {
        called.set(true);
        Ok::<(), Error>(())
    })
    .unwrap_err();
    assert!(matches!(err, Error::Corrupt { .. }), "{err}");
    assert!(!called.get());
    assert!(!target.exists() && !dir.path().join("out~").exists());
}

#[test]
fn a_leftover_staging_folder_is_replaced() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("model");
    model(&root);
    let archive = dir.path().join("m.zip");
    pack(&root, &archive, &PackOptions::default(), &no_progress).unwrap();
    let target = dir.path().join("out");
    write_tree(&dir.path().join("out~"), &[("stale/half.bin", vec![1; 10])]);
    unpack(&archive, &target, &no_progress).unwrap();
    assert_eq!(read_tree(&target), read_tree(&root));
    assert!(!dir.path().join("out~").exists());
}

#[cfg(unix)]
#[test]
fn symlinked_files_are_packed_as_their_content() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("model");
    write_tree(&root, &[("real.txt", b"content".to_vec())]);
    std::os::unix::fs::symlink(root.join("real.txt"), root.join("link.txt")).unwrap();
    let archive = dir.path().join("m.zip");
    pack(&root, &archive, &PackOptions::default(), &no_progress).unwrap();
    let target = dir.path().join("out");
    unpack(&archive, &target, &no_progress).unwrap();
    assert_eq!(fs::read(target.join("link.txt")).unwrap(), b"content");
    assert!(
        !fs::symlink_metadata(target.join("link.txt"))
            .unwrap()
            .is_symlink()
    );
}

#[cfg(unix)]
#[test]
fn a_dangling_symbolic_link_is_named_as_such() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("model");
    write_tree(&root, &[("a.txt", b"a".to_vec())]);
    std::os::unix::fs::symlink("gone.bin", root.join("weights.bin")).unwrap();
    let archive = dir.path().join("m.zip");
    let err = pack(&root, &archive, &PackOptions::default(), &no_progress).unwrap_err();
    assert!(matches!(err, Error::InvalidInput { .. }), "{err:?}");
    assert_eq!(
        err.to_string(),
        format!(
            "invalid input: '{}' is a dangling symbolic link: its target 'gone.bin' does not exist",
            root.join("weights.bin").display()
        )
    );
    assert!(!archive.exists());
}

#[cfg(unix)]
#[test]
fn special_files_in_the_folder_are_refused_before_writing() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("model");
    write_tree(&root, &[("a.txt", b"a".to_vec())]);
    let made = std::process::Command::new("mkfifo")
        .arg(root.join("pipe"))
        .status();
    if !made.is_ok_and(|s| s.success()) {
        support::require::missing(&support::require::Missing::new(
            "mkfifo",
            "install coreutils so that `mkfifo` is on PATH",
        ));
        return;
    }
    let archive = dir.path().join("m.zip");
    let err = pack(&root, &archive, &PackOptions::default(), &no_progress).unwrap_err();
    assert!(
        matches!(err, Error::InvalidInput { ref reason } if reason.contains("pipe")),
        "{err}"
    );
    assert!(!archive.exists());
}

#[test]
fn a_central_directory_larger_than_the_first_tail_is_fetched_in_a_second_round() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("model");
    // 3000 entries of ~110 bytes in the central directory: beyond 256 KiB.
    let files: Vec<(String, Vec<u8>)> = (0..3000)
        .map(|i| {
            (
                format!("{}/{i:05}.json", "long-folder-name".repeat(4)),
                vec![b'x'; 90],
            )
        })
        .collect();
    let refs: Vec<(&str, Vec<u8>)> = files.iter().map(|(n, d)| (n.as_str(), d.clone())).collect();
    write_tree(&root, &refs);
    let archive = dir.path().join("many.zip");
    pack(&root, &archive, &PackOptions::default(), &no_progress).unwrap();
    let bytes = std::fs::read(&archive).unwrap();
    let mut fetched = Vec::new();
    let directory = audmodel_archive::read_directory(bytes.len() as u64, |range| {
        fetched.push(range.clone());
        Ok::<_, Error>(bytes[range.start as usize..range.end as usize].to_vec())
    })
    .unwrap();
    assert_eq!(directory.files(), 3000);
    assert_eq!(fetched.len(), 2, "{fetched:?}");
    assert!(fetched[1].start < fetched[0].start);
    let target = dir.path().join("out");
    streamed::unpack_streamed(&archive, &target).unwrap();
    assert_eq!(read_tree(&target), read_tree(&root));
}

#[test]
fn a_stream_shorter_or_longer_than_the_archive_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("model");
    model(&root);
    let archive = dir.path().join("m.zip");
    pack(&root, &archive, &PackOptions::default(), &no_progress).unwrap();
    let bytes = std::fs::read(&archive).unwrap();
    let directory = streamed::directory_of(&bytes).unwrap();
    let mut longer = bytes.clone();
    longer.extend_from_slice(b"junk");
    for (stream, why) in [
        (&bytes[..bytes.len() - 10], "expected"),
        (&bytes[..bytes.len() / 2], "ends inside"),
        (&longer[..], "expected"),
    ] {
        let target = dir.path().join("out");
        let err = audmodel_archive::unpack_stream(
            &directory,
            &mut &stream[..],
            &target,
            &no_progress,
            || Ok::<(), Error>(()),
        )
        .unwrap_err();
        assert!(err.to_string().contains(why), "{err}");
        assert!(!target.exists() && !dir.path().join("out~").exists());
    }
}
