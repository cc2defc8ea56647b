//! The file-system backend: the conformance suite and its own promises.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use audmodel_backend::{
    Backend, BackendExt, BackendPath, ErrorKind, FileSystem, LocalStore, PutMode, Registry,
    Repository, conformance, no_progress,
};

fn repo() -> (tempfile::TempDir, Arc<dyn Backend>) {
    let host = tempfile::tempdir().unwrap();
    std::fs::create_dir(host.path().join("repo")).unwrap();
    let fs = FileSystem::new(host.path().to_str().unwrap(), "repo").unwrap();
    (host, Arc::new(fs))
}

/// The file-system powers of a store that has them.
fn powers(fs: &Arc<dyn Backend>) -> &dyn LocalStore {
    fs.local().expect("a file system has local powers")
}

#[test]
fn conformance_suite() {
    let (_host, fs) = repo();
    conformance::run_all(&fs, 3 << 20);
}

#[test]
fn concurrent_create_only_has_one_winner() {
    let (_host, fs) = repo();
    for _ in 0..5 {
        conformance::concurrent_create_only(&fs, 8);
    }
}

#[test]
fn files_land_at_host_name_path() {
    let (host, fs) = repo();
    fs.put_bytes(
        b"abc",
        &BackendPath::new("/a/b.txt").unwrap(),
        PutMode::Overwrite,
    )
    .unwrap();
    assert_eq!(
        std::fs::read(host.path().join("repo/a/b.txt")).unwrap(),
        b"abc"
    );
    // No temporary files are left next to it.
    let names: Vec<_> = std::fs::read_dir(host.path().join("repo/a"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, ["b.txt"]);
}

#[cfg(unix)]
#[test]
fn written_files_are_readable_by_others_as_umask_allows() {
    use std::os::unix::fs::PermissionsExt;
    let (host, fs) = repo();
    fs.put_bytes(b"abc", &BackendPath::new("/x").unwrap(), PutMode::Overwrite)
        .unwrap();
    let mode = std::fs::metadata(host.path().join("repo/x"))
        .unwrap()
        .permissions()
        .mode();
    assert_ne!(
        mode & 0o044,
        0,
        "mode {mode:o}: the 0600 of a temporary file leaked"
    );
}

#[test]
fn url_is_what_the_reference_prints() {
    let (host, fs) = repo();
    let url = fs.url(&BackendPath::new("/_uid/x/1.0.0/x-1.0.0.header.yaml").unwrap());
    assert_eq!(
        url,
        format!(
            "{}/repo///_uid/x/1.0.0/x-1.0.0.header.yaml",
            host.path().display()
        )
    );
}

#[test]
fn missing_root_is_named_on_write() {
    let host = tempfile::tempdir().unwrap();
    let fs = FileSystem::new(host.path().to_str().unwrap(), "absent").unwrap();
    let err = fs
        .put_bytes(b"x", &BackendPath::new("/a").unwrap(), PutMode::Overwrite)
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unavailable);
    assert!(err.to_string().contains("absent' does not exist"), "{err}");
    assert!(
        !host.path().join("absent").exists(),
        "the root must not be created"
    );
    assert_eq!(fs.check_root().unwrap_err().kind(), ErrorKind::Unavailable);
    fs.create_root().unwrap();
    fs.check_root().unwrap();
}

#[test]
fn a_host_that_is_a_file_is_said_in_words() {
    let dir = tempfile::tempdir().unwrap();
    let host = dir.path().join("host");
    std::fs::write(&host, b"not a folder").unwrap();
    let fs = FileSystem::new(host.to_str().unwrap(), "models").unwrap();
    let err = fs.check_root().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unavailable);
    assert_eq!(
        err.to_string(),
        format!("its host '{}' is a file, not a folder", host.display())
    );
    let err = fs
        .put_bytes(b"x", &BackendPath::new("/a").unwrap(), PutMode::Create)
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unavailable, "{err}");
    // The repository's folder itself a file.
    let fs = FileSystem::new(dir.path().to_str().unwrap(), "host").unwrap();
    let err = fs.check_root().unwrap_err();
    assert!(
        err.to_string().ends_with("is a file, not a folder"),
        "{err}"
    );
}

#[test]
fn a_read_only_repository_is_named_not_its_lock_file() {
    let (host, _) = repo();
    let fs = FileSystem::new(host.path().to_str().unwrap(), "repo").unwrap();
    let root = fs.root().to_path_buf();
    let mode = |m| std::fs::set_permissions(&root, std::os::unix::fs::PermissionsExt::from_mode(m));
    mode(0o555).unwrap();
    // Root ignores file modes: nothing to refuse.
    if std::fs::write(root.join("probe"), b"x").is_ok() {
        mode(0o755).unwrap();
        eprintln!("skipped: file modes do not bind this user");
        return;
    }
    let lock = fs.lock(&BackendPath::new("/_uid/a/1.0.0/a-1.0.0.header.yaml").unwrap());
    let put = fs.put_bytes(b"x", &BackendPath::new("/b/c").unwrap(), PutMode::Overwrite);
    mode(0o755).unwrap();
    for err in [lock.unwrap_err(), put.unwrap_err()] {
        assert_eq!(err.kind(), ErrorKind::ReadOnly, "{err}");
        let text = err.to_string();
        assert!(
            text.starts_with(&format!("read-only: cannot write in '{}'", root.display())),
            "{text}"
        );
        assert!(!text.contains(".lock") && !text.contains("/b/c"), "{text}");
    }
    drop(host);
}

#[test]
fn relative_hosts_are_made_absolute_and_normalised() {
    let fs = FileSystem::new("some/../host", "repo").unwrap();
    assert!(fs.root().is_absolute());
    assert!(fs.root().ends_with("host/repo"));
    assert!(!fs.root().to_string_lossy().contains(".."));
    assert_eq!(
        FileSystem::new("/h", "a/b").unwrap_err().kind(),
        ErrorKind::InvalidPath
    );
}

#[test]
fn get_file_into_missing_folder_fails_cleanly() {
    let (_host, fs) = repo();
    let file = BackendPath::new("/f").unwrap();
    fs.put_bytes(b"x", &file, PutMode::Overwrite).unwrap();
    let dst = tempfile::tempdir().unwrap();
    let err = fs
        .get_file(&file, &dst.path().join("no/such/dir/f"), &no_progress)
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound, "{err}");
}

#[test]
fn registry_opens_builtins_and_user_backends() {
    let registry = Registry::default();
    assert_eq!(
        registry.names(),
        ["azure", "file-system", "gcs", "minio", "s3"]
    );
    let err = registry
        .open(&Repository::new("r", "/h", "ftp"))
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::UnknownBackend);
    assert!(
        err.to_string().contains(
            "'ftp' is not a registered backend (registered: azure, file-system, gcs, minio, s3)"
        ),
        "{err}"
    );

    let mut registry = Registry::new();
    let (host, _) = repo();
    registry.register("mine", |repo| {
        Ok(Arc::new(FileSystem::new(&repo.host, &repo.name)?) as Arc<dyn Backend>)
    });
    let backend = registry
        .open(&Repository::new(
            "repo",
            host.path().to_str().unwrap(),
            "mine",
        ))
        .unwrap();
    backend
        .put_bytes(b"x", &BackendPath::new("/y").unwrap(), PutMode::Overwrite)
        .unwrap();
    assert!(host.path().join("repo/y").is_file());
}

#[test]
fn local_file_is_the_stored_file_and_only_for_files() {
    let (host, fs) = repo();
    let path = BackendPath::new("/a/b.txt").unwrap();
    fs.put_bytes(b"abc", &path, PutMode::Overwrite).unwrap();
    let local = powers(&fs).local_file(&path).unwrap();
    assert_eq!(local, host.path().join("repo/a/b.txt"));
    assert_eq!(std::fs::read(&local).unwrap(), b"abc");
    // Missing files and folders have none.
    assert_eq!(
        powers(&fs).local_file(&BackendPath::new("/a/c.txt").unwrap()),
        None
    );
    assert_eq!(
        powers(&fs).local_file(&BackendPath::new("/a").unwrap()),
        None
    );
}

#[test]
fn cut_writes_are_removed_and_nothing_else() {
    let (host, fs) = repo();
    let folder = BackendPath::new("/m/abc/1.0.0").unwrap();
    fs.put_bytes(
        b"zip",
        &folder.join("abc-1.0.0.zip").unwrap(),
        PutMode::Overwrite,
    )
    .unwrap();
    let local = host.path().join("repo/m/abc/1.0.0");
    // What a copy killed half way leaves, and a lock file.
    std::fs::write(local.join(".audmodel-tmp-Xy12ab"), b"half").unwrap();
    std::fs::write(local.join(".abc-1.0.0.zip.lock"), b"").unwrap();
    assert_eq!(powers(&fs).remove_cut_writes(&folder).unwrap(), 1);
    let mut left: Vec<String> = std::fs::read_dir(&local)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    left.sort();
    assert_eq!(left, [".abc-1.0.0.zip.lock", "abc-1.0.0.zip"]);
    // A folder that does not exist has nothing to remove.
    let missing = BackendPath::new("/nothing/here").unwrap();
    assert_eq!(powers(&fs).remove_cut_writes(&missing).unwrap(), 0);
}

#[test]
fn the_inventory_shows_cut_writes_and_folders_and_discard_removes_them() {
    use audmodel_backend::{StoreEntry, StoreEntryKind};
    let (host, fs) = repo();
    let file = BackendPath::new("/m/abc/1.0.0/abc-1.0.0.zip").unwrap();
    fs.put_bytes(b"zip", &file, PutMode::Overwrite).unwrap();
    let mut cut = fs.put_writer(&file).unwrap();
    std::io::Write::write_all(&mut cut, b"half").unwrap();
    std::fs::create_dir_all(host.path().join("repo/empty/1.0.0")).unwrap();
    let found = fs.inventory(&BackendPath::root()).unwrap();
    let of = |kind: StoreEntryKind| -> Vec<&StoreEntry> {
        found.iter().filter(|e| e.kind == kind).collect()
    };
    assert_eq!(of(StoreEntryKind::File).len(), 1);
    assert_eq!(of(StoreEntryKind::File)[0].size, 3);
    assert!(of(StoreEntryKind::File)[0].modified.is_some());
    let cuts = of(StoreEntryKind::CutWrite);
    assert_eq!(cuts.len(), 1, "{found:#?}");
    assert_eq!(cuts[0].size, 4);
    let folders: Vec<&str> = of(StoreEntryKind::Folder)
        .iter()
        .map(|e| e.path.as_str())
        .collect();
    for folder in ["/m", "/m/abc", "/m/abc/1.0.0", "/empty", "/empty/1.0.0"] {
        assert!(folders.contains(&folder), "{folder} in {folders:?}");
    }

    let folder = |path: &str| {
        found
            .iter()
            .find(|e| e.path.as_str() == path)
            .unwrap()
            .clone()
    };
    let full = fs.discard(&folder("/m/abc/1.0.0")).unwrap_err();
    assert_eq!(full.kind(), ErrorKind::Precondition, "{full}");
    fs.discard(cuts[0]).unwrap();
    assert_eq!(fs.discard(cuts[0]).unwrap_err().kind(), ErrorKind::NotFound);
    fs.discard(&folder("/empty/1.0.0")).unwrap();
    fs.discard(&folder("/empty")).unwrap();
    assert!(!host.path().join("repo/empty").exists());
    assert_eq!(fs.get_bytes(&file).unwrap(), b"zip");
    drop(cut);
}

#[test]
fn a_lock_file_removed_under_the_lock_is_not_locked_twice() {
    let (host, fs) = repo();
    let path = BackendPath::new("/_uid/abc/1.0.0/abc-1.0.0.header.yaml").unwrap();
    let lock_file = host
        .path()
        .join("repo/_uid/abc/1.0.0/.abc-1.0.0.header.yaml.lock");
    let held = powers(&fs).try_lock(&path).unwrap().expect("a free lock");
    assert!(powers(&fs).try_lock(&path).unwrap().is_none(), "held twice");
    // A waiter opens the lock file and blocks on it ...
    let waiter = {
        let fs = Arc::clone(&fs);
        let path = path.clone();
        std::thread::spawn(move || powers(&fs).lock(&path).unwrap())
    };
    std::thread::sleep(std::time::Duration::from_millis(200));
    // ... while the holder removes the file with its folder (as gc does).
    std::fs::remove_file(&lock_file).unwrap();
    std::fs::remove_dir(lock_file.parent().unwrap()).unwrap();
    drop(held);
    let waited = waiter.join().unwrap();
    assert!(lock_file.exists(), "the waiter locks the file at the path");
    assert!(
        powers(&fs).try_lock(&path).unwrap().is_none(),
        "a newcomer must find the waiter's lock"
    );
    drop(waited);
    assert!(powers(&fs).try_lock(&path).unwrap().is_some());
}
