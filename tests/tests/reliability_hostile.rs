//! Hostile archives planted by hand in a file-system repository and in a
//! Garage bucket (with the planted bytes' own MD5 as their checksum, so only
//! the content check can catch them) are refused by `audmodel load`:
//! nothing is written outside the cache, and no model folder appears in it.
//!
//! The zip bytes are written here field by field, so every entry can carry
//! what a well-behaved zip library would refuse to write: `..` parts,
//! absolute names, Unix modes of links, FIFOs and devices.
#![allow(clippy::unwrap_used)]

use std::path::Path;

use audmodel::backend::{Backend, BackendExt, PutMode};
use audmodel_tests::garage::garage;
use audmodel_tests::model_files::tree;
use audmodel_tests::sandbox::{Sandbox, describe};

/// Unix file types, as stored in the upper half of a zip entry's external
/// attributes.
const REGULAR: u32 = 0o100_644;
const SYMLINK: u32 = 0o120_777;
const FIFO: u32 = 0o010_644;
const CHAR_DEVICE: u32 = 0o020_644;
const BLOCK_DEVICE: u32 = 0o060_644;

/// An archive entry: name, Unix mode, data.
type Entry<'a> = (&'a str, u32, &'a [u8]);

/// CRC-32 (IEEE), bit by bit: the archives here are tiny.
fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &byte in data {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// A stored (uncompressed) zip of `(name, Unix mode, data)` entries, made by
/// "Unix" so readers honour the modes.
fn zip(entries: &[Entry<'_>]) -> Vec<u8> {
    let u16le = |out: &mut Vec<u8>, v: usize| {
        out.extend_from_slice(&u16::try_from(v).unwrap().to_le_bytes())
    };
    let u32le = |out: &mut Vec<u8>, v: u32| out.extend_from_slice(&v.to_le_bytes());
    let len32 = |v: usize| u32::try_from(v).unwrap();
    let mut out = Vec::new();
    let mut central = Vec::new();
    for (name, mode, data) in entries {
        let offset = len32(out.len());
        let crc = crc32(data);
        // Local header.
        u32le(&mut out, 0x0403_4b50);
        u16le(&mut out, 10); // version needed
        u16le(&mut out, 0); // flags
        u16le(&mut out, 0); // stored
        u16le(&mut out, 0); // time
        u16le(&mut out, 0x21); // date: 1980-01-01
        u32le(&mut out, crc);
        u32le(&mut out, len32(data.len()));
        u32le(&mut out, len32(data.len()));
        u16le(&mut out, name.len());
        u16le(&mut out, 0); // extra
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(data);
        // Its central directory record.
        u32le(&mut central, 0x0201_4b50);
        u16le(&mut central, (3 << 8) | 20); // made by Unix, zip 2.0
        u16le(&mut central, 10);
        u16le(&mut central, 0);
        u16le(&mut central, 0);
        u16le(&mut central, 0);
        u16le(&mut central, 0x21);
        u32le(&mut central, crc);
        u32le(&mut central, len32(data.len()));
        u32le(&mut central, len32(data.len()));
        u16le(&mut central, name.len());
        u16le(&mut central, 0); // extra
        u16le(&mut central, 0); // comment
        u16le(&mut central, 0); // disk
        u16le(&mut central, 0); // internal attributes
        u32le(&mut central, mode << 16);
        u32le(&mut central, offset);
        central.extend_from_slice(name.as_bytes());
    }
    let central_offset = len32(out.len());
    out.extend_from_slice(&central);
    u32le(&mut out, 0x0605_4b50);
    u16le(&mut out, 0);
    u16le(&mut out, 0);
    u16le(&mut out, entries.len());
    u16le(&mut out, entries.len());
    u32le(&mut out, len32(central.len()));
    u32le(&mut out, central_offset);
    u16le(&mut out, 0);
    out
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
