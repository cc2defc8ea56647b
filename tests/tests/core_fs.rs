//! The core against file-system repositories in temporary folders.
#![allow(clippy::unwrap_used)]

use crate::core_scenarios;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use audmodel::backend::{
    Backend, BackendExt, BackendPath, Capabilities, LocalStore, ObjectMeta,
    Progress as BytesProgress, PutMode, PutOptions, Versioned, WriteLock,
};
use audmodel::{Audmodel, Config, ErrorKind, Mapping, PublishOptions, Registry, Repository, Value};
use core_scenarios::{map, mapping, model_folder, options, params};

/// A configured repository, its folder created (publish creates none).
fn fs_repo(host: &Path, name: &str) -> Repository {
    std::fs::create_dir_all(host.join(name)).unwrap();
    Repository::new(name, host.to_str().unwrap(), "file-system")
}

/// Every file below `dir`, relative, sorted.
fn listing(dir: &Path) -> Vec<PathBuf> {
    fn walk(dir: &Path, base: &Path, out: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, base, out);
            } else {
                out.push(path.strip_prefix(base).unwrap().to_path_buf());
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

struct Setup {
    dir: tempfile::TempDir,
    client: Audmodel,
}

impl Setup {
    fn new() -> Setup {
        let dir = tempfile::tempdir().unwrap();
        let client = Audmodel::new(Config::new(
            dir.path().join("cache"),
            vec![fs_repo(&dir.path().join("host"), "models")],
        ));
        Setup { dir, client }
    }

    fn repo_root(&self) -> PathBuf {
        self.dir.path().join("host/models")
    }

    fn publish(&self, version: &str, opts: PublishOptions) -> Result<String, audmodel::Error> {
        let root = model_folder(self.dir.path(), version);
        self.client
            .publish(&root, "torch", &params(), version, &opts)
    }
}

#[test]
fn every_function_on_two_folders() {
    let dir = tempfile::tempdir().unwrap();
    let host = dir.path().join("host");
    core_scenarios::every_function(
        Registry::default(),
        [fs_repo(&host, "repo1"), fs_repo(&host, "repo2")],
        &dir.path().join("cache"),
        dir.path(),
    );
}

#[test]
fn published_files_are_laid_out_as_the_reference() {
    let s = Setup::new();
    let meta = mapping(&[(
        "data",
        map(&[("emodb", map(&[("version", "1.2.0".into())]))]),
    )]);
    let uid = s
        .publish("1.0.0", options().meta(meta).alias("cnn"))
        .unwrap();
    assert_eq!(uid, "d4e9c65b-1.0.0");
    let files: Vec<String> = listing(&s.repo_root())
        .iter()
        .map(|p| p.display().to_string())
        .collect();
    assert_eq!(
        files,
        [
            // Publishers of one model, or of one alias, take turns under
            // these locks; listings skip them.
            "_alias/cnn/1.0.0/.cnn-1.0.0.alias.yaml.lock",
            "_alias/cnn/1.0.0/cnn-1.0.0.alias.yaml",
            "_uid/d4e9c65b/1.0.0/.d4e9c65b-1.0.0.header.yaml.lock",
            "_uid/d4e9c65b/1.0.0/d4e9c65b-1.0.0.header.yaml",
            "_uid/d4e9c65b/1.0.0/d4e9c65b-1.0.0.meta.yaml",
            "_uid/d4e9c65b.aliases/1.0.0/d4e9c65b.aliases-1.0.0.yaml",
            "audmodel/dummy/cnn/torch/d4e9c65b/1.0.0/d4e9c65b-1.0.0.zip",
        ]
    );
    let read = |p: &str| std::fs::read_to_string(s.repo_root().join(p)).unwrap();
    assert_eq!(
        read("_uid/d4e9c65b/1.0.0/d4e9c65b-1.0.0.header.yaml"),
        "author: Calvin and Hobbes\ndate: 1985-11-18\nname: torch\nparameters:\n  model: cnn10\n  data: emodb\n  feature: melspec\n  sampling_rate: 16000\nsubgroup: audmodel.dummy.cnn\nversion: 1.0.0\n"
    );
    assert_eq!(
        read("_uid/d4e9c65b/1.0.0/d4e9c65b-1.0.0.meta.yaml"),
        "data:\n  emodb:\n    version: 1.2.0\n"
    );
    assert_eq!(
        read("_uid/d4e9c65b.aliases/1.0.0/d4e9c65b.aliases-1.0.0.yaml"),
        "aliases:\n- cnn\n"
    );
    assert_eq!(
        read("_alias/cnn/1.0.0/cnn-1.0.0.alias.yaml"),
        "uid: d4e9c65b-1.0.0\n"
    );
    // Without subgroup and meta: no subgroup folder, `subgroup: ''`, meta `null`.
    let uid = s
        .client
        .publish(
            model_folder(s.dir.path(), "x"),
            "onnx",
            &Mapping::new(),
            "1.0.0",
            &PublishOptions::default(),
        )
        .unwrap();
    let sid = &uid[..8];
    let header = read(&format!("_uid/{sid}/1.0.0/{sid}-1.0.0.header.yaml"));
    assert!(
        header.contains("parameters: {}\nsubgroup: ''\n"),
        "{header}"
    );
    assert!(
        s.repo_root()
            .join(format!("onnx/{sid}/1.0.0/{sid}-1.0.0.zip"))
            .is_file()
    );
    assert_eq!(
        read(&format!("_uid/{sid}/1.0.0/{sid}-1.0.0.meta.yaml")),
        "null\n...\n"
    );
    assert_eq!(s.client.meta(&uid).unwrap(), Mapping::new());
    assert_eq!(s.client.subgroup(&uid).unwrap(), None);
}

#[test]
fn publish_refuses_bad_input_and_writes_nothing() {
    let s = Setup::new();
    s.publish("1.0.0", options().alias("taken")).unwrap();
    let before = listing(&s.repo_root());
    let good = model_folder(s.dir.path(), "good");
    let file = s.dir.path().join("a-file");
    std::fs::write(&file, "x").unwrap();
    let mut mixed = Mapping::new();
    mixed.insert(Value::Int(1), "a");
    mixed.insert("b", "c");

    type Case = (
        &'static str,
        PathBuf,
        &'static str,
        Mapping,
        &'static str,
        PublishOptions,
        ErrorKind,
    );
    let cases: Vec<Case> = vec![
        (
            "subgroup _uid",
            good.clone(),
            "torch",
            params(),
            "2.0.0",
            options().subgroup("_uid"),
            ErrorKind::InvalidInput,
        ),
        (
            "subgroup _alias",
            good.clone(),
            "torch",
            params(),
            "2.0.0",
            options().subgroup("_alias"),
            ErrorKind::InvalidInput,
        ),
        (
            "alias like a short ID",
            good.clone(),
            "torch",
            params(),
            "2.0.0",
            options().alias("d4e9c65b"),
            ErrorKind::InvalidInput,
        ),
        (
            "alias like a UID",
            good.clone(),
            "torch",
            params(),
            "2.0.0",
            options().alias("d4e9c65b-2.0.0"),
            ErrorKind::InvalidInput,
        ),
        (
            "alias with a space",
            good.clone(),
            "torch",
            params(),
            "2.0.0",
            options().alias("my alias"),
            ErrorKind::InvalidInput,
        ),
        (
            "alias of another model",
            good.clone(),
            "torch",
            params(),
            "2.0.0",
            options().alias("taken"),
            ErrorKind::AlreadyExists,
        ),
        (
            "compression 10",
            good.clone(),
            "torch",
            params(),
            "2.0.0",
            options().compression(10),
            ErrorKind::InvalidInput,
        ),
        (
            "version not semantic",
            good.clone(),
            "torch",
            params(),
            "1.0",
            options(),
            ErrorKind::InvalidInput,
        ),
        (
            "version with a v",
            good.clone(),
            "torch",
            params(),
            "v2.0.0",
            options(),
            ErrorKind::InvalidInput,
        ),
        (
            "version with a slash",
            good.clone(),
            "torch",
            params(),
            "2.0.0/x",
            options(),
            ErrorKind::InvalidInput,
        ),
        (
            "root missing",
            s.dir.path().join("missing"),
            "torch",
            params(),
            "2.0.0",
            options(),
            ErrorKind::NotFound,
        ),
        (
            "root is a file",
            file.clone(),
            "torch",
            params(),
            "2.0.0",
            options(),
            ErrorKind::InvalidInput,
        ),
        (
            "UID exists",
            good.clone(),
            "torch",
            params(),
            "1.0.0",
            options(),
            ErrorKind::AlreadyExists,
        ),
        (
            "keys of mixed types",
            good.clone(),
            "torch",
            mixed,
            "2.0.0",
            options(),
            ErrorKind::InvalidInput,
        ),
        (
            "name not a path",
            good.clone(),
            "to rch",
            params(),
            "2.0.0",
            options(),
            ErrorKind::InvalidInput,
        ),
        (
            "subgroup not a path",
            good.clone(),
            "torch",
            params(),
            "2.0.0",
            options().subgroup("a b"),
            ErrorKind::InvalidInput,
        ),
        (
            "unknown repository",
            good.clone(),
            "torch",
            params(),
            "2.0.0",
            options().repository("nope"),
            ErrorKind::InvalidInput,
        ),
    ];
    for (what, root, name, params, version, opts, kind) in cases {
        let err = s
            .client
            .publish(&root, name, &params, version, &opts)
            .unwrap_err();
        assert_eq!(err.kind(), kind, "{what}: {err}");
        assert!(!err.to_string().is_empty());
        assert_eq!(
            listing(&s.repo_root()),
            before,
            "{what} wrote into the repository"
        );
    }

    // No repository configured (the reference's `repository=None`).
    let none = Audmodel::new(Config::new(s.dir.path().join("cache"), vec![]));
    let err = none
        .publish(&good, "torch", &params(), "2.0.0", &options())
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput, "{err}");
}

#[test]
fn the_embedded_default_repository_reads_as_empty_until_publish_creates_its_folder_and_tmp_root_stays_unused()
 {
    let dir = tempfile::tempdir().unwrap();
    let host = dir.path().join("host");
    // The embedded default, moved into the test's folder: its source stays
    // the default, the fresh-machine case.
    let mut config = Config::default_config().unwrap();
    config.cache_root = dir.path().join("cache");
    config.repositories[0].host = host.display().to_string();
    let root = host.join(&config.repositories[0].name);
    let client = Audmodel::new(config);
    // Before the first publish its folder is missing: an empty repository
    // (a fresh machine's `exists`, `ls`, `versions`), and reads make nothing.
    assert!(!client.exists("d4e9c65b-1.0.0").unwrap());
    assert!(client.list(&Default::default()).unwrap().is_empty());
    assert!(client.versions("d4e9c65b").unwrap().is_empty());
    assert!(!root.exists(), "a read created the folder");
    let tmp_root = dir.path().join("tmp/nested");
    let uid = client
        .publish(
            model_folder(dir.path(), "1.0.0"),
            "torch",
            &params(),
            "1.0.0",
            &options().tmp_root(tmp_root.clone()).compression(0),
        )
        .unwrap();
    assert!(root.is_dir());
    // The archive is packed in place in the repository: no temporary one.
    assert!(!tmp_root.exists(), "tmp_root was used");
    let loaded = client.load(&uid).unwrap();
    assert_eq!(
        std::fs::read_to_string(loaded.join("weights.bin")).unwrap(),
        "weights 1.0.0"
    );

    // A configured repository's folder is never created.
    let configured = host.join("configured");
    let client = Audmodel::new(Config::new(
        dir.path().join("cache"),
        vec![Repository::new(
            "configured",
            host.to_str().unwrap(),
            "file-system",
        )],
    ));
    let err = client
        .publish(
            model_folder(dir.path(), "2.0.0"),
            "torch",
            &params(),
            "2.0.0",
            &options(),
        )
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Backend, "{err}");
    assert!(
        matches!(&err, audmodel::Error::RepositoryUnavailable { repository, location, .. }
            if repository == "configured" && *location == configured.display().to_string()),
        "{err:?}"
    );
    assert!(!configured.exists(), "the folder was created");
}

/// Every command that needs the repository, with its folder moved away:
/// a repository error naming it and its folder, as the reference raises
/// `BackendError`; only a load of a cached UID, which asks no repository
/// in the reference either, still answers.
#[test]
fn a_missing_repository_folder_is_a_repository_error() {
    let s = Setup::new();
    let uid = s.publish("1.0.0", options()).unwrap();
    s.client.set_alias("mynet", &uid).unwrap();
    let path = s.client.load(&uid).unwrap();
    s.client.header(&uid).unwrap();
    let moved = s.dir.path().join("moved");
    std::fs::rename(s.repo_root(), &moved).unwrap();
    assert_eq!(s.client.load(&uid).unwrap(), path);
    let folder = s.repo_root().display().to_string();
    let check = |what: &str, err: audmodel::Error| {
        assert_eq!(err.kind(), ErrorKind::Backend, "{what}: {err}");
        assert!(
            matches!(&err, audmodel::Error::RepositoryUnavailable { repository, location, .. }
                if repository == "models" && *location == folder),
            "{what}: {err:?}"
        );
        assert_eq!(
            err.to_string(),
            format!("repository 'models' cannot be opened: its folder '{folder}' does not exist"),
            "{what}"
        );
    };
    check("header", s.client.header(&uid).unwrap_err());
    check("meta", s.client.meta(&uid).unwrap_err());
    check("exists", s.client.exists(&uid).unwrap_err());
    check("versions", s.client.versions("d4e9c65b").unwrap_err());
    check("load", s.client.load("d4e9c65b-2.0.0").unwrap_err());
    check("alias", s.client.resolve_alias("mynet").unwrap_err());
    check("ls", s.client.list(&Default::default()).unwrap_err());
    check("publish", s.publish("2.0.0", options()).unwrap_err());
    assert!(!s.repo_root().exists(), "publish recreated the folder");
    std::fs::rename(&moved, s.repo_root()).unwrap();
    assert_eq!(s.client.versions("d4e9c65b").unwrap(), ["1.0.0"]);

    // A host that is a file: the same kind, said of the host.
    let file = s.dir.path().join("file");
    std::fs::write(&file, b"x").unwrap();
    let client = Audmodel::new(Config::new(
        s.dir.path().join("cache"),
        vec![Repository::new(
            "models",
            file.to_str().unwrap(),
            "file-system",
        )],
    ));
    let err = client.exists(&uid).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Backend, "{err}");
    assert_eq!(
        err.to_string(),
        format!(
            "repository 'models' cannot be opened: its host '{}' is a file, not a folder",
            file.display()
        )
    );
}

#[test]
fn loading_an_unknown_model_leaves_nothing_in_the_cache() {
    let s = Setup::new();
    s.publish("1.0.0", options()).unwrap();
    for id in ["d4e9c65b-2.0.0", "00000000-1.0.0"] {
        let err = s.client.load(id).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotFound, "{err}");
        assert!(err.to_string().contains(id), "{err}");
    }
    assert!(!s.dir.path().join("cache/00000000").exists());
    assert!(!s.dir.path().join("cache/d4e9c65b").exists());
}

#[test]
fn concurrent_loads_unpack_once() {
    let s = Setup::new();
    let uid = s.publish("1.0.0", options()).unwrap();
    let paths: Vec<PathBuf> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..4)
            .map(|_| scope.spawn(|| s.client.load(&uid).unwrap()))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert!(paths.iter().all(|p| *p == paths[0]));
    assert_eq!(
        std::fs::read_to_string(paths[0].join("weights.bin")).unwrap(),
        "weights 1.0.0"
    );
    let sid_dir = paths[0].parent().unwrap();
    let mut names: Vec<String> = std::fs::read_dir(sid_dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            ".1.0.0.header.yaml.lock",
            ".1.0.0.lock",
            "1.0.0",
            "1.0.0.header.yaml"
        ]
    );
}

#[test]
fn racing_publishers_of_one_uid_one_wins_and_keeps_its_files() {
    let s = Setup::new();
    let roots: Vec<PathBuf> = (0..4)
        .map(|i| model_folder(s.dir.path(), &format!("r{i}")))
        .collect();
    let results: Vec<Result<String, audmodel::Error>> = std::thread::scope(|scope| {
        let handles: Vec<_> = roots
            .iter()
            .enumerate()
            .map(|(i, root)| {
                let options = options().meta(Mapping::from([("racer", i)]));
                let client = &s.client;
                scope.spawn(move || client.publish(root, "torch", &params(), "1.0.0", &options))
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let winners: Vec<usize> = (0..results.len()).filter(|&i| results[i].is_ok()).collect();
    assert_eq!(winners.len(), 1, "{results:?}");
    for err in results.iter().filter_map(|r| r.as_ref().err()) {
        assert_eq!(err.kind(), ErrorKind::AlreadyExists, "{err}");
    }
    // Losers must not have replaced the winner's archive or meta.
    let w = winners[0];
    let uid = "d4e9c65b-1.0.0";
    assert_eq!(s.client.meta(uid).unwrap(), Mapping::from([("racer", w)]));
    let loaded = s.client.load(uid).unwrap();
    assert_eq!(
        std::fs::read_to_string(loaded.join("weights.bin")).unwrap(),
        format!("weights r{w}")
    );
}

#[test]
fn a_held_lock_times_out() {
    let s = Setup::new();
    let uid = s.publish("1.0.0", options()).unwrap();
    let sid_dir = s.dir.path().join("cache/d4e9c65b");
    std::fs::create_dir_all(&sid_dir).unwrap();
    let held = std::fs::File::create(sid_dir.join(".1.0.0.lock")).unwrap();
    held.lock().unwrap();
    let client =
        Audmodel::new(s.client.config().clone()).with_lock_timeout(Duration::from_millis(200));
    let err = client.load(&uid).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::LockTimeout, "{err}");
    assert!(err.to_string().contains(".1.0.0.lock"), "{err}");
    assert!(!sid_dir.join("1.0.0").exists());
    held.unlock().unwrap();
    assert!(client.load(&uid).unwrap().join("weights.bin").is_file());
}

/// What a [`Faulty`] backend gets wrong about archives.
#[derive(Debug, Clone, Copy)]
enum Fault {
    /// Reports a checksum that no archive has.
    WrongChecksum,
    /// Sends the first half of an archive, then fails as a lost
    /// connection does.
    DownloadBreaksHalfWay,
}

/// A file-system backend that gets one thing wrong about archives and, as
/// a remote store, holds no file on this machine (so loads download).
#[derive(Debug)]
struct Faulty(Arc<dyn Backend>, Fault);

impl Backend for Faulty {
    /// As a remote store: no local files, so loads download.
    fn capabilities(&self) -> Capabilities {
        let mut can = self.0.capabilities();
        can.local_files = false;
        can
    }
    fn put_file(
        &self,
        src: &Path,
        dst: &BackendPath,
        options: PutOptions<'_>,
        p: BytesProgress<'_>,
    ) -> Result<(), audmodel::backend::Error> {
        self.0.put_file(src, dst, options, p)
    }
    fn put_bytes(
        &self,
        data: &[u8],
        dst: &BackendPath,
        mode: PutMode,
    ) -> Result<(), audmodel::backend::Error> {
        self.0.put_bytes(data, dst, mode)
    }
    fn read_to(
        &self,
        src: &BackendPath,
        out: &mut dyn std::io::Write,
        p: BytesProgress<'_>,
    ) -> Result<(), audmodel::backend::Error> {
        match self.1 {
            Fault::DownloadBreaksHalfWay if src.as_str().ends_with(".zip") => {
                let bytes = self.0.get_bytes(src)?;
                let _ = out.write_all(&bytes[..bytes.len() / 2]);
                Err(audmodel::backend::Error::Unreachable {
                    host: "faulty".to_owned(),
                    source: "connection reset half way".into(),
                })
            }
            _ => self.0.read_to(src, out, p),
        }
    }
    fn read_range(
        &self,
        src: &BackendPath,
        range: std::ops::Range<u64>,
    ) -> Result<Vec<u8>, audmodel::backend::Error> {
        self.0.read_range(src, range)
    }
    fn head(&self, path: &BackendPath) -> Result<ObjectMeta, audmodel::backend::Error> {
        self.0.head(path)
    }
    fn checksum(&self, path: &BackendPath) -> Result<String, audmodel::backend::Error> {
        if matches!(self.1, Fault::WrongChecksum) && path.as_str().ends_with(".zip") {
            Ok("00000000000000000000000000000000".to_owned())
        } else {
            self.0.checksum(path)
        }
    }
    fn list(&self, prefix: &BackendPath) -> Result<Vec<BackendPath>, audmodel::backend::Error> {
        self.0.list(prefix)
    }
    fn copy(&self, src: &BackendPath, dst: &BackendPath) -> Result<(), audmodel::backend::Error> {
        self.0.copy(src, dst)
    }
    fn copy_with_checksum(
        &self,
        src: &BackendPath,
        dst: &BackendPath,
        md5: &str,
    ) -> Result<(), audmodel::backend::Error> {
        self.0.copy_with_checksum(src, dst, md5)
    }
    fn delete(&self, path: &BackendPath) -> Result<(), audmodel::backend::Error> {
        self.0.delete(path)
    }
    fn url(&self, path: &BackendPath) -> String {
        self.0.url(path)
    }
    fn local(&self) -> Option<&dyn LocalStore> {
        Some(self)
    }
}

/// The file system's locks and root, but no local files, so loads download.
impl LocalStore for Faulty {
    fn check_root(&self) -> Result<(), audmodel::backend::Error> {
        self.inner().check_root()
    }
    fn create_root(&self) -> Result<(), audmodel::backend::Error> {
        self.inner().create_root()
    }
    fn local_file(&self, _: &BackendPath) -> Option<PathBuf> {
        None
    }
    fn lock(&self, path: &BackendPath) -> Result<WriteLock, audmodel::backend::Error> {
        self.inner().lock(path)
    }
    fn try_lock(&self, path: &BackendPath) -> Result<Option<WriteLock>, audmodel::backend::Error> {
        self.inner().try_lock(path)
    }
    fn remove_cut_writes(&self, folder: &BackendPath) -> Result<usize, audmodel::backend::Error> {
        self.inner().remove_cut_writes(folder)
    }
}

impl Faulty {
    fn inner(&self) -> &dyn LocalStore {
        self.0.local().expect("a file system has local powers")
    }
}

/// Loads `uid` through a [`Faulty`] backend; returns the error and checks
/// that nothing but lock files and the header copy is left in the cache,
/// and that the honest repository then loads the model.
fn load_through(s: &Setup, uid: &str, fault: Fault) -> audmodel::Error {
    let mut registry = Registry::default();
    registry.register("file-system", move |repo| {
        let fs = audmodel::backend::FileSystem::new(&repo.host, &repo.name)?;
        Ok(Arc::new(Faulty(Arc::new(fs), fault)) as Arc<dyn Backend>)
    });
    let client = Audmodel::with_registry(s.client.config().clone(), registry);
    let err = client.load(uid).unwrap_err();
    let sid_dir = s.dir.path().join("cache/d4e9c65b");
    let left: Vec<String> = std::fs::read_dir(&sid_dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| !n.ends_with(".lock") && !n.ends_with(".header.yaml"))
        .collect();
    assert!(left.is_empty(), "{fault:?}: {left:?}");
    assert!(s.client.load(uid).unwrap().join("weights.bin").is_file());
    err
}

#[test]
fn an_archive_whose_md5_differs_is_not_cached() {
    let s = Setup::new();
    let uid = s.publish("1.0.0", options()).unwrap();
    let err = load_through(&s, &uid, Fault::WrongChecksum);
    assert_eq!(err.kind(), ErrorKind::Corrupt, "{err}");
    assert!(
        err.to_string().contains(&uid) && err.to_string().contains("MD5"),
        "{err}"
    );
}

/// The stream ends early because the download failed: the error is the
/// download's, not a truncated archive's, and nothing is cached.
#[test]
fn a_download_that_breaks_half_way_is_reported_as_such_and_not_cached() {
    let s = Setup::new();
    let uid = s.publish("1.0.0", options()).unwrap();
    let err = load_through(&s, &uid, Fault::DownloadBreaksHalfWay);
    assert_eq!(err.kind(), ErrorKind::Backend, "{err}");
    assert!(
        err.to_string().contains("connection reset half way"),
        "{err}"
    );
}

#[test]
fn legacy_uids_resolve_to_their_one_version() {
    let s = Setup::new();
    let uid = s.publish("1.0.0", options()).unwrap();
    // A legacy model: the header and archive under a 36-character ID.
    let legacy = audmodel::legacy_uid(
        "torch",
        &params(),
        "1.0.0",
        Some("audmodel.dummy.cnn"),
        false,
    )
    .unwrap();
    std::fs::create_dir_all(s.repo_root()).unwrap();
    let versioned = Versioned::new(Arc::new(
        audmodel::backend::FileSystem::new(s.dir.path().join("host").to_str().unwrap(), "models")
            .unwrap(),
    ));
    let header = versioned
        .get_bytes(
            &BackendPath::new("/_uid/d4e9c65b.header.yaml").unwrap(),
            "1.0.0",
        )
        .unwrap();
    versioned
        .put_bytes(
            &header,
            &BackendPath::new(&format!("/_uid/{legacy}.header.yaml")).unwrap(),
            "1.0.0",
            PutMode::Overwrite,
        )
        .unwrap();
    let zip = s.dir.path().join("legacy.zip");
    versioned
        .get_file(
            &BackendPath::new("/audmodel/dummy/cnn/torch/d4e9c65b.zip").unwrap(),
            "1.0.0",
            &zip,
            &audmodel::backend::no_progress,
        )
        .unwrap();
    versioned
        .put_file(
            &zip,
            &BackendPath::new(&format!("/audmodel/dummy/cnn/torch/{legacy}.zip")).unwrap(),
            "1.0.0",
            PutOptions::default(),
            &audmodel::backend::no_progress,
        )
        .unwrap();
    assert_eq!(s.client.versions(&legacy).unwrap(), ["1.0.0"]);
    assert_eq!(s.client.uid_of(&legacy).unwrap(), format!("{legacy}-1.0.0"));
    let path = s.client.load(&legacy).unwrap();
    assert_eq!(path, s.dir.path().join("cache").join(&legacy).join("1.0.0"));
    assert!(path.join("weights.bin").is_file());
    assert_ne!(s.client.load(&uid).unwrap(), path);
}

#[test]
fn progress_reports_every_stage() {
    use std::sync::Mutex;
    #[derive(Default)]
    struct Record(Mutex<Vec<(audmodel::Stage, &'static str, u64)>>);
    impl audmodel::ProgressReporter for Record {
        fn start(&self, stage: audmodel::Stage, total: u64) {
            self.0.lock().unwrap().push((stage, "start", total));
        }
        fn advance(&self, stage: audmodel::Stage, bytes: u64) {
            self.0.lock().unwrap().push((stage, "advance", bytes));
        }
        fn finish(&self, stage: audmodel::Stage) {
            self.0.lock().unwrap().push((stage, "finish", 0));
        }
    }
    let s = Setup::new();
    let record = Arc::new(Record::default());
    let client = Audmodel::new(s.client.config().clone()).with_progress(record.clone());
    let uid = client
        .publish(
            model_folder(s.dir.path(), "p"),
            "torch",
            &params(),
            "1.0.0",
            &options(),
        )
        .unwrap();
    client.load(&uid).unwrap();
    let events = record.0.lock().unwrap().clone();
    use audmodel::Stage::*;
    // The archive is read where it lies: no download to report (a bar of
    // it would claim a disk's speed), and unpacking has its total.
    assert!(events.iter().all(|e| e.0 != Download), "{events:?}");
    for stage in [Pack, Upload, Unpack] {
        let of: Vec<_> = events.iter().filter(|e| e.0 == stage).collect();
        assert_eq!(of.first().map(|e| e.1), Some("start"), "{stage:?}: {of:?}");
        assert_eq!(of.last().map(|e| e.1), Some("finish"), "{stage:?}: {of:?}");
        let advanced: u64 = of.iter().filter(|e| e.1 == "advance").map(|e| e.2).sum();
        assert!(advanced > 0, "{stage:?}: {of:?}");
        if stage == Pack || stage == Unpack {
            // "weights p" + "layers: 10\n"
            assert_eq!(of[0].2, 9 + 11, "{stage:?}");
            assert_eq!(advanced, 9 + 11, "{stage:?}");
        }
    }
}

#[test]
fn an_alias_left_by_a_killed_publish_is_taken_over() {
    let s = Setup::new();
    std::fs::create_dir_all(s.repo_root()).unwrap();
    let versioned = Versioned::new(Arc::new(
        audmodel::backend::FileSystem::new(s.dir.path().join("host").to_str().unwrap(), "models")
            .unwrap(),
    ));
    versioned
        .put_bytes(
            b"uid: d4e9c65b-9.9.9\n",
            &BackendPath::new("/_alias/stale.alias.yaml").unwrap(),
            "1.0.0",
            PutMode::Overwrite,
        )
        .unwrap();
    let uid = s.publish("1.0.0", options().alias("stale")).unwrap();
    assert_eq!(s.client.resolve_alias("stale").unwrap(), uid);
    assert_eq!(s.client.aliases(&uid).unwrap(), ["stale"]);
}
