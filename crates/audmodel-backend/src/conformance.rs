//! One set of behaviours every [`Backend`] must show (cargo feature
//! `conformance`). Each function panics with a message on a violation, so
//! call them from `#[test]`s:
//!
//! ```
//! use std::sync::Arc;
//! use audmodel_backend::{Backend, FileSystem, conformance};
//! let host = tempfile::tempdir().unwrap();
//! std::fs::create_dir(host.path().join("repo")).unwrap();
//! let fs: Arc<dyn Backend> = Arc::new(FileSystem::new(host.path().to_str().unwrap(), "repo").unwrap());
//! conformance::run_all(&fs, 3 << 20);
//! ```
//!
//! Every function works below a fresh folder, so one backend (one bucket)
//! can serve them all.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use audmodel_uid::md5_hex;

use crate::{
    Backend, BackendExt, BackendPath, ErrorKind, PutMode, PutOptions, Versioned, no_progress,
};

const CREATE: PutOptions<'static> = PutOptions {
    mode: PutMode::Create,
    md5: None,
};

/// Runs every behaviour below, [`concurrent_create_only`] where the store
/// says create-only writes are atomic and [`concurrent_compare_and_swap`]
/// where it says compare-and-swap writes are; `large_file_bytes` should
/// exceed the backend's part size to exercise multipart transfers.
pub fn run_all(backend: &Arc<dyn Backend>, large_file_bytes: usize) {
    capabilities(backend);
    cancellation(backend, large_file_bytes);
    if backend.capabilities().create_only {
        concurrent_create_only(backend, 8);
    }
    compare_and_swap(backend);
    if backend.capabilities().compare_and_swap {
        concurrent_compare_and_swap(backend, 8);
    }
    round_trip(backend);
    overwrite(backend);
    create_only(backend);
    listing(backend);
    missing_paths(backend);
    checksum_and_size(backend);
    remove(backend);
    copy(backend);
    publish_path(backend);
    versioned_layout(backend);
    large_file(backend, large_file_bytes);
}

/// A copy inside the store has the source's content and checksum and
/// replaces what was there; copying a missing file is `NotFound`.
pub fn copy(backend: &Arc<dyn Backend>) {
    let dir = fresh();
    let (src, dst) = (path(&dir, "a/src.zip"), path(&dir, "b/.dst.zip"));
    backend
        .put_bytes(b"old", &dst, PutMode::Overwrite)
        .expect("put old");
    let data: Vec<u8> = (0..100_000u32).map(|i| (i % 241) as u8).collect();
    backend
        .put_bytes(&data, &src, PutMode::Overwrite)
        .expect("put source");
    backend.copy(&src, &dst).expect("copy");
    assert!(
        backend.get_bytes(&dst).expect("read copy") == data,
        "copy differs"
    );
    assert_eq!(backend.checksum(&dst).expect("checksum"), md5_hex(&data));
    assert!(backend.exists(&src).expect("exists"), "the source stays");
    let missing = path(&dir, "missing.zip");
    let err = backend
        .copy(&missing, &dst)
        .expect_err("copy of a missing file");
    assert_eq!(err.kind(), ErrorKind::NotFound, "{err}");
    assert!(
        backend.get_bytes(&dst).expect("read copy") == data,
        "a failed copy changed the target"
    );
}

/// What a publish asks of a store: a streamed writer stores its bytes under
/// its path when finished, and returns their number; a writer dropped
/// unfinished leaves nothing a read or a listing shows; a copy into place
/// with a checksum gives the copy that checksum and the same bytes.
pub fn publish_path(backend: &Arc<dyn Backend>) {
    use std::io::Write;
    let folder = fresh();
    let staged = path(&folder, "staged.zip");
    let data: Vec<u8> = (0..100_000u32).map(|i| (i % 251) as u8).collect();
    let mut writer = backend.put_writer(&staged).expect("open a writer");
    for chunk in data.chunks(7_000) {
        writer.write_all(chunk).expect("write to the writer");
    }
    let size = writer.finish().expect("finish the writer");
    assert_eq!(size, data.len() as u64, "finish returns the size written");
    assert_eq!(
        backend.get_bytes(&staged).expect("read the finished file"),
        data
    );

    let dropped = path(&folder, "dropped.zip");
    {
        let mut writer = backend.put_writer(&dropped).expect("open a writer");
        writer.write_all(&data).expect("write to the writer");
    }
    assert!(
        !backend.exists(&dropped).expect("exists"),
        "a writer dropped unfinished stored its file"
    );
    let listed = backend.list(&folder).expect("list");
    assert_eq!(
        listed,
        std::slice::from_ref(&staged),
        "a dropped writer shows in the listing"
    );

    let target = path(&folder, "model.zip");
    let md5 = md5_hex(&data);
    backend
        .copy_with_checksum(&staged, &target, &md5)
        .expect("copy into place with a checksum");
    assert_eq!(backend.checksum(&target).expect("checksum"), md5);
    assert_eq!(backend.get_bytes(&target).expect("read the copy"), data);
}

/// What the store says it can do, it does: locks that make a second
/// writer wait, files on this machine; and what it cannot is refused as
/// such, never silently skipped.
pub fn capabilities(backend: &Arc<dyn Backend>) {
    let can = backend.capabilities();
    let folder = fresh();
    let versioned = Versioned::new(Arc::clone(backend));
    let logical = path(&folder, "model/x.zip");
    let file = Versioned::path(&logical, "1.0.0").expect("versioned path");
    backend
        .put_bytes(b"x", &file, PutMode::Overwrite)
        .expect("put");
    let local = backend.local();
    assert!(
        local.is_some() || !(can.locks || can.local_files),
        "locks or local files promised by a store without local powers (`Backend::local`)"
    );
    match versioned.local_file(&logical, "1.0.0").expect("local file") {
        Some(local) => {
            assert!(can.local_files, "a local file from a store without them");
            assert_eq!(std::fs::read(local).expect("read the local file"), b"x");
        }
        None => assert!(!can.local_files, "no local file from a store with them"),
    }
    if !can.locks {
        let err = versioned
            .lock(&logical, "1.0.0")
            .expect_err("a lock from a store without");
        assert_eq!(err.kind(), ErrorKind::Unsupported, "{err}");
        return;
    }
    let backend = local.expect("a store with locks has local powers");
    let held = backend.lock(&file).expect("lock");
    let (taken, waited) = std::sync::mpsc::channel();
    std::thread::scope(|scope| {
        scope.spawn(|| {
            let second = backend.lock(&file).expect("second lock");
            let _ = taken.send(());
            drop(second);
        });
        let early = waited.recv_timeout(std::time::Duration::from_millis(200));
        assert!(
            early.is_err(),
            "a second lock was granted while the first was held"
        );
        drop(held);
        waited
            .recv_timeout(std::time::Duration::from_secs(10))
            .expect("the second lock once the first is released");
    });
    assert_eq!(
        versioned.list(&folder).expect("list"),
        [(logical, "1.0.0".to_owned())],
        "lock files appear in versioned listings"
    );
}

/// A progress callback that cancels stops uploads and downloads of a
/// large file with `Cancelled`, and a cancelled upload stores nothing.
pub fn cancellation(backend: &Arc<dyn Backend>, bytes: usize) {
    let tmp = tempfile::tempdir().expect("temp dir");
    let data = vec![7u8; bytes];
    let src = local_file(tmp.path(), "large", &data);
    let file = path(&fresh(), "cancelled.zip");
    let cancel = |_| Err(crate::Cancelled);
    let err = backend
        .put_file(&src, &file, PutOptions::default(), &cancel)
        .expect_err("a cancelled upload");
    assert_eq!(err.kind(), ErrorKind::Cancelled, "{err}");
    assert!(
        !backend.exists(&file).expect("exists"),
        "a cancelled upload stored a file"
    );
    backend
        .put_file(&src, &file, PutOptions::default(), &no_progress)
        .expect("put");
    let mut out = Vec::new();
    let err = backend
        .read_to(&file, &mut out, &cancel)
        .expect_err("a cancelled download");
    assert_eq!(err.kind(), ErrorKind::Cancelled, "{err}");
}

/// A fresh folder for one behaviour.
fn fresh() -> BackendPath {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or_default();
    BackendPath::new(&format!("/conformance-{}-{nanos}-{n}", std::process::id()))
        .expect("valid path")
}

fn path(folder: &BackendPath, name: &str) -> BackendPath {
    folder.join(name).expect("valid path")
}

fn local_file(dir: &Path, name: &str, data: &[u8]) -> std::path::PathBuf {
    let file = dir.join(name);
    std::fs::write(&file, data).expect("write local file");
    file
}

/// Content put by file and bytes reads back the same by file and bytes.
pub fn round_trip(backend: &Arc<dyn Backend>) {
    let folder = fresh();
    let tmp = tempfile::tempdir().expect("temp dir");
    let src = local_file(tmp.path(), "src.bin", b"hello file");
    let by_file = path(&folder, "sub/a.bin");
    backend
        .put_file(&src, &by_file, PutOptions::default(), &no_progress)
        .expect("put_file");
    assert_eq!(
        backend.get_bytes(&by_file).expect("get_bytes"),
        b"hello file"
    );

    let by_bytes = path(&folder, "b.yaml");
    backend
        .put_bytes(b"x: 1\n", &by_bytes, PutMode::Overwrite)
        .expect("put_bytes");
    let dst = tmp.path().join("got.yaml");
    backend
        .get_file(&by_bytes, &dst, &no_progress)
        .expect("get_file");
    assert_eq!(std::fs::read(&dst).expect("read"), b"x: 1\n");

    let empty = path(&folder, "empty");
    backend
        .put_bytes(b"", &empty, PutMode::Overwrite)
        .expect("put empty");
    assert!(backend.exists(&empty).expect("exists"));
    assert_eq!(backend.size(&empty).expect("size"), 0);
    assert_eq!(backend.get_bytes(&empty).expect("get empty"), b"");

    let leftovers: Vec<_> = std::fs::read_dir(tmp.path())
        .expect("read_dir")
        .filter_map(|e| e.ok().map(|e| e.file_name()))
        .collect();
    assert_eq!(
        leftovers.len(),
        2,
        "get_file left temporary files: {leftovers:?}"
    );
}

/// `put_file` and `put_bytes` replace content; `checksum` follows.
pub fn overwrite(backend: &Arc<dyn Backend>) {
    let file = path(&fresh(), "x.txt");
    backend
        .put_bytes(b"first", &file, PutMode::Overwrite)
        .expect("put");
    backend
        .put_bytes(b"second, longer", &file, PutMode::Overwrite)
        .expect("overwrite");
    assert_eq!(backend.get_bytes(&file).expect("get"), b"second, longer");
    assert_eq!(
        backend.checksum(&file).expect("checksum"),
        md5_hex(b"second, longer")
    );
    let tmp = tempfile::tempdir().expect("temp dir");
    let src = local_file(tmp.path(), "third", b"3");
    backend
        .put_file(&src, &file, PutOptions::default(), &no_progress)
        .expect("put_file overwrite");
    assert_eq!(backend.get_bytes(&file).expect("get"), b"3");
}

/// A create-only write creates, then refuses with `AlreadyExists` and
/// keeps the first content, for files and bytes.
pub fn create_only(backend: &Arc<dyn Backend>) {
    let file = path(&fresh(), "new/x.zip");
    let tmp = tempfile::tempdir().expect("temp dir");
    let first = local_file(tmp.path(), "first", b"first");
    let second = local_file(tmp.path(), "second", b"second");
    backend
        .put_file(&first, &file, CREATE, &no_progress)
        .expect("create");
    let err = backend
        .put_file(&second, &file, CREATE, &no_progress)
        .expect_err("second create must fail");
    assert_eq!(err.kind(), ErrorKind::AlreadyExists, "{err}");
    assert!(
        err.to_string().contains(file.as_str()),
        "error names the path: {err}"
    );
    assert_eq!(backend.get_bytes(&file).expect("get"), b"first");
    let err = backend
        .put_bytes(b"bytes", &file, PutMode::Create)
        .expect_err("create of bytes over a file must fail");
    assert_eq!(err.kind(), ErrorKind::AlreadyExists, "{err}");
    assert_eq!(backend.get_bytes(&file).expect("get"), b"first");
    let missing = tmp.path().join("missing");
    let err = backend
        .put_file(&missing, &path(&fresh(), "y"), CREATE, &no_progress)
        .expect_err("missing source");
    assert_eq!(err.kind(), ErrorKind::NotFound, "{err}");
}

/// `list` is recursive, sorted, scoped to the folder (not a text prefix),
/// and empty for a missing folder.
pub fn listing(backend: &Arc<dyn Backend>) {
    let folder = fresh();
    for name in ["b/2.txt", "a.txt", "b/1.txt", "b/c/3.txt", "bb/4.txt"] {
        backend
            .put_bytes(name.as_bytes(), &path(&folder, name), PutMode::Overwrite)
            .expect("put");
    }
    let listed: Vec<String> = backend
        .list(&folder)
        .expect("list")
        .iter()
        .map(|p| p.as_str()[folder.as_str().len()..].to_owned())
        .collect();
    assert_eq!(
        listed,
        ["/a.txt", "/b/1.txt", "/b/2.txt", "/b/c/3.txt", "/bb/4.txt"]
    );
    let below_b: Vec<_> = backend.list(&path(&folder, "b")).expect("list b");
    assert_eq!(below_b.len(), 3, "{below_b:?}");
    assert!(
        backend
            .list(&path(&folder, "nothing"))
            .expect("list missing")
            .is_empty()
    );
    let root = backend.list(&BackendPath::root()).expect("list root");
    assert!(
        root.contains(&path(&folder, "a.txt")),
        "root listing misses files"
    );
}

/// Reads of missing files fail with `NotFound` naming the path; `exists` is false.
pub fn missing_paths(backend: &Arc<dyn Backend>) {
    let folder = fresh();
    let missing = path(&folder, "missing.txt");
    assert!(!backend.exists(&missing).expect("exists"));
    let tmp = tempfile::tempdir().expect("temp dir");
    let dst = tmp.path().join("dst");
    let errors = [
        backend.get_bytes(&missing).map(drop),
        backend.get_file(&missing, &dst, &no_progress),
        backend.checksum(&missing).map(drop),
        backend.size(&missing).map(drop),
        backend.delete(&missing),
    ];
    for result in errors {
        let err = result.expect_err("missing path must fail");
        assert_eq!(err.kind(), ErrorKind::NotFound, "{err}");
        assert!(
            err.to_string().contains(missing.as_str()),
            "error names the path: {err}"
        );
    }
    assert!(!dst.exists(), "failed get_file left a file");
    // A folder is not a file.
    backend
        .put_bytes(b"x", &path(&folder, "dir/file"), PutMode::Overwrite)
        .expect("put");
    assert!(!backend.exists(&path(&folder, "dir")).expect("exists dir"));
}

/// `checksum` is the MD5 hex of the content; `size` its length.
pub fn checksum_and_size(backend: &Arc<dyn Backend>) {
    let file = path(&fresh(), "c.bin");
    let data: Vec<u8> = (0..10_000u32).map(|i| (i % 251) as u8).collect();
    backend
        .put_bytes(&data, &file, PutMode::Overwrite)
        .expect("put");
    assert_eq!(backend.checksum(&file).expect("checksum"), md5_hex(&data));
    assert_eq!(backend.size(&file).expect("size"), data.len() as u64);
}

/// `delete` removes one file and leaves its siblings.
pub fn remove(backend: &Arc<dyn Backend>) {
    let folder = fresh();
    let (a, b) = (path(&folder, "d/a"), path(&folder, "d/b"));
    backend
        .put_bytes(b"a", &a, PutMode::Overwrite)
        .expect("put");
    backend
        .put_bytes(b"b", &b, PutMode::Overwrite)
        .expect("put");
    backend.delete(&a).expect("remove");
    assert!(!backend.exists(&a).expect("exists"));
    assert!(backend.exists(&b).expect("exists"));
    assert_eq!(backend.list(&folder).expect("list"), [b]);
}

/// The Maven layout on this backend: paths, `versions`, `list`.
pub fn versioned_layout(backend: &Arc<dyn Backend>) {
    let folder = fresh();
    let versioned = Versioned::new(Arc::clone(backend));
    let header = path(&folder, "_uid/x.header.yaml");
    let aliases = path(&folder, "_uid/x.aliases.yaml");
    for version in ["1.0.0", "2.0.0", "10.0.0-rc"] {
        versioned
            .put_bytes(version.as_bytes(), &header, version, PutMode::Overwrite)
            .expect("put");
    }
    versioned
        .put_bytes(b"aliases: []\n", &aliases, "1.0.0", PutMode::Overwrite)
        .expect("put aliases");
    // Something that is not a version of the header: ignored.
    backend
        .put_bytes(
            b"x",
            &path(&folder, "_uid/x/3.0.0/other.txt"),
            PutMode::Overwrite,
        )
        .expect("put");
    // The version 1.0.0 of `{folder}/_uid.txt`, which lies outside `{folder}/_uid`.
    backend
        .put_bytes(
            b"x",
            &path(&folder, "_uid/1.0.0/_uid-1.0.0.txt"),
            PutMode::Overwrite,
        )
        .expect("put");
    let stored = path(&folder, "_uid/x/2.0.0/x-2.0.0.header.yaml");
    assert_eq!(backend.get_bytes(&stored).expect("stored path"), b"2.0.0");
    let mut versions = versioned.versions(&header).expect("versions");
    versions.sort();
    assert_eq!(versions, ["1.0.0", "10.0.0-rc", "2.0.0"]);
    assert!(
        versioned
            .versions(&path(&folder, "_uid/y.header.yaml"))
            .expect("none")
            .is_empty()
    );
    let listed = versioned.list(&path(&folder, "_uid")).expect("list");
    let listed: Vec<(String, &str)> = listed
        .iter()
        .map(|(p, v)| (p.as_str()[folder.as_str().len()..].to_owned(), v.as_str()))
        .collect();
    assert_eq!(
        listed,
        [
            ("/_uid/x.aliases.yaml".to_owned(), "1.0.0"),
            ("/_uid/x.header.yaml".to_owned(), "1.0.0"),
            ("/_uid/x.header.yaml".to_owned(), "10.0.0-rc"),
            ("/_uid/x.header.yaml".to_owned(), "2.0.0"),
        ]
    );
    assert!(versioned.exists(&header, "2.0.0").expect("exists"));
    assert_eq!(
        versioned.checksum(&header, "1.0.0").expect("checksum"),
        md5_hex(b"1.0.0")
    );
    versioned.delete(&header, "2.0.0").expect("remove");
    assert!(!versioned.exists(&header, "2.0.0").expect("exists"));
    assert_eq!(versioned.versions(&header).expect("versions").len(), 2);
}

/// A file of `bytes` bytes survives upload and download (multipart when it
/// exceeds the part size), with progress adding up to its size.
pub fn large_file(backend: &Arc<dyn Backend>, bytes: usize) {
    let tmp = tempfile::tempdir().expect("temp dir");
    // Not periodic with any power-of-two part size, so misplaced parts show.
    let data: Vec<u8> = (0..bytes as u64)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let src = local_file(tmp.path(), "large", &data);
    let file = path(&fresh(), "large.zip");
    let sent = AtomicU64::new(0);
    backend
        .put_file(&src, &file, PutOptions::default(), &|n| {
            sent.fetch_add(n, Ordering::Relaxed);
            Ok(())
        })
        .expect("put large");
    assert_eq!(
        sent.load(Ordering::Relaxed),
        bytes as u64,
        "upload progress"
    );
    assert_eq!(backend.size(&file).expect("size"), bytes as u64);
    assert_eq!(backend.checksum(&file).expect("checksum"), md5_hex(&data));
    let dst = tmp.path().join("back");
    let received = AtomicU64::new(0);
    backend
        .get_file(&file, &dst, &|n| {
            received.fetch_add(n, Ordering::Relaxed);
            Ok(())
        })
        .expect("get large");
    assert_eq!(
        received.load(Ordering::Relaxed),
        bytes as u64,
        "download progress"
    );
    assert!(
        std::fs::read(&dst).expect("read") == data,
        "downloaded content differs"
    );
    // An upload with its MD5 known stores the same file and checksum.
    let known = path(&fresh(), "known.zip");
    backend
        .put_file(
            &src,
            &known,
            PutOptions {
                md5: Some(&md5_hex(&data)),
                ..PutOptions::default()
            },
            &no_progress,
        )
        .expect("put large with MD5");
    assert_eq!(backend.checksum(&known).expect("checksum"), md5_hex(&data));
    assert_eq!(backend.size(&known).expect("size"), bytes as u64);
    // Streamed front to back into a writer, in order.
    let mut streamed = Vec::new();
    backend
        .read_to(&file, &mut streamed, &no_progress)
        .expect("read large into a writer");
    assert!(streamed == data, "streamed content differs");
    // Ranges: the end (where an archive's table of contents is), a middle
    // piece across part boundaries, and one beyond the end.
    let len = bytes as u64;
    let tail = backend
        .read_range(&file, len.saturating_sub(1000)..len)
        .expect("read the end");
    assert!(tail == data[bytes.saturating_sub(1000)..], "end differs");
    let middle = backend
        .read_range(&file, len / 3..len / 3 * 2)
        .expect("read a middle range");
    assert!(middle == data[bytes / 3..bytes / 3 * 2], "middle differs");
    assert!(
        backend.read_range(&file, len - 10..len + 10).is_err(),
        "a range beyond the end is an error"
    );
}

/// `threads` concurrent create-only `put_file` of different content to one path:
/// exactly one succeeds, the others get `AlreadyExists`, and the stored
/// content is the winner's. Only for stores with atomic create.
pub fn concurrent_create_only(backend: &Arc<dyn Backend>, threads: usize) {
    let file = path(&fresh(), "race/x.bin");
    let tmp = tempfile::tempdir().expect("temp dir");
    let sources: Vec<_> = (0..threads)
        .map(|i| {
            local_file(
                tmp.path(),
                &format!("src{i}"),
                format!("content {i}").repeat(1000).as_bytes(),
            )
        })
        .collect();
    let barrier = std::sync::Barrier::new(threads);
    let results: Vec<_> = std::thread::scope(|scope| {
        let handles: Vec<_> = sources
            .iter()
            .map(|src| {
                let (barrier, file) = (&barrier, &file);
                scope.spawn(move || {
                    barrier.wait();
                    backend.put_file(src, file, CREATE, &no_progress)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("thread"))
            .collect()
    });
    let winners: Vec<usize> = results
        .iter()
        .enumerate()
        .filter(|(_, r)| r.is_ok())
        .map(|(i, _)| i)
        .collect();
    assert_eq!(winners.len(), 1, "exactly one create wins: {results:?}");
    for result in &results {
        if let Err(err) = result {
            assert_eq!(err.kind(), ErrorKind::AlreadyExists, "{err}");
        }
    }
    let stored = backend.get_bytes(&file).expect("get");
    assert_eq!(
        stored,
        std::fs::read(&sources[winners[0]]).expect("read"),
        "stored content is the winner's"
    );
}

/// A compare-and-swap write ([`PutMode::Update`]) with the version just
/// read replaces the file; one with a stale version, or of a file that is
/// gone, is refused with `Precondition` and leaves what is stored. Stores
/// without [`Capabilities::compare_and_swap`](crate::Capabilities) refuse
/// both the read and the write as `Unsupported`, writing nothing.
pub fn compare_and_swap(backend: &Arc<dyn Backend>) {
    let dir = fresh();
    let file = path(&dir, "cas/x.yaml");
    backend
        .put_bytes(b"first", &file, PutMode::Overwrite)
        .expect("put");
    if !backend.capabilities().compare_and_swap {
        let err = backend
            .get_for_update(&file)
            .expect_err("a read for update from a store without compare-and-swap");
        assert_eq!(err.kind(), ErrorKind::Unsupported, "{err}");
        let version = crate::UpdateVersion {
            e_tag: Some("\"0\"".to_owned()),
            version: None,
        };
        let err = backend
            .put_bytes(b"second", &file, PutMode::Update(version))
            .expect_err("a compare-and-swap on a store without it");
        assert_eq!(err.kind(), ErrorKind::Unsupported, "{err}");
        assert_eq!(backend.get_bytes(&file).expect("get"), b"first");
        return;
    }
    let (data, first) = backend.get_for_update(&file).expect("read for update");
    assert_eq!(data, b"first");
    backend
        .put_bytes(b"second", &file, PutMode::Update(first.clone()))
        .expect("a swap with the version just read");
    assert_eq!(backend.get_bytes(&file).expect("get"), b"second");
    let (data, second) = backend.get_for_update(&file).expect("read for update");
    assert_eq!(data, b"second");
    assert_ne!(first, second, "a new write has a new version");
    let err = backend
        .put_bytes(b"stale", &file, PutMode::Update(first.clone()))
        .expect_err("a swap with a stale version");
    assert_eq!(err.kind(), ErrorKind::Precondition, "{err}");
    assert!(err.to_string().contains(file.as_str()), "{err}");
    assert_eq!(
        backend.get_bytes(&file).expect("get"),
        b"second",
        "a refused swap changed the file"
    );
    let missing = path(&dir, "cas/missing.yaml");
    let err = backend
        .get_for_update(&missing)
        .expect_err("a read for update of a missing file");
    assert_eq!(err.kind(), ErrorKind::NotFound, "{err}");
    let err = backend
        .put_bytes(b"new", &missing, PutMode::Update(second))
        .expect_err("a swap of a missing file");
    assert_eq!(err.kind(), ErrorKind::Precondition, "{err}");
    assert!(
        !backend.exists(&missing).expect("exists"),
        "a refused swap created the file"
    );
}

/// `threads` writers read one version of a file once, then swap it at
/// once with different content: exactly one succeeds, the others get
/// `Precondition`, and the stored content is the winner's. Only for stores
/// with compare-and-swap.
pub fn concurrent_compare_and_swap(backend: &Arc<dyn Backend>, threads: usize) {
    let file = path(&fresh(), "cas-race/x.yaml");
    backend
        .put_bytes(b"base", &file, PutMode::Overwrite)
        .expect("put");
    let (_, read) = backend.get_for_update(&file).expect("read for update");
    let barrier = std::sync::Barrier::new(threads);
    let contents: Vec<Vec<u8>> = (0..threads)
        .map(|i| format!("writer {i}\n").into_bytes())
        .collect();
    let results: Vec<_> = std::thread::scope(|scope| {
        let handles: Vec<_> = contents
            .iter()
            .map(|data| {
                let (barrier, file, read) = (&barrier, &file, &read);
                scope.spawn(move || {
                    barrier.wait();
                    backend.put_bytes(data, file, PutMode::Update(read.clone()))
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("thread"))
            .collect()
    });
    let winners: Vec<usize> = results
        .iter()
        .enumerate()
        .filter(|(_, r)| r.is_ok())
        .map(|(i, _)| i)
        .collect();
    assert_eq!(winners.len(), 1, "exactly one swap wins: {results:?}");
    for result in &results {
        if let Err(err) = result {
            assert_eq!(err.kind(), ErrorKind::Precondition, "{err}");
        }
    }
    assert_eq!(
        backend.get_bytes(&file).expect("get"),
        contents[winners[0]],
        "stored content is the winner's"
    );
}
