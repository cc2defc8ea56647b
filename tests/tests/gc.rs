//! `audmodel gc`: what killed or interrupted publishers leave in a
//! repository is listed and removed, and nothing a published model or a
//! live publisher uses.
//!
//! Publishers are killed with SIGKILL at stages watched from outside (a
//! half-packed archive, an archive or metadata stored, an alias written,
//! an upload with parts, a staged upload, a claim), one Ctrl+C is sent to
//! another, and on S3 one publish loses its server mid-upload (a fault
//! proxy that refuses its parts and its abort). Then: `gc` with its default
//! age keeps every fresh leftover, `gc --dry-run` lists them and removes
//! nothing, and `gc` removes them until the repository holds only the files
//! of published models (checked file by file, key by key, and for
//! unfinished uploads by the reference's own S3 client), which both the CLI
//! and the Python reference load whole.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant, SystemTime};

use audmodel_backend::{Backend, BackendPath, StoreEntry, StoreEntryKind};
use audmodel_tests::fault_proxy::{Fault, FaultProxy, Rule, When};
use audmodel_tests::garage::garage;
use audmodel_tests::model_files::{same_files, write_random};
use audmodel_tests::python;
use audmodel_tests::s3_server::S3Server;
use audmodel_tests::sandbox::{Sandbox, describe};
use audmodel_tests::seaweed::seaweed;

/// Several 8 MiB parts on S3; packing takes long enough to be caught.
const WEIGHTS: u64 = 40 << 20;

const NAME: &str = "big";

fn model(root: &Path, seed: u64) {
    write_random(&root.join("weights.bin"), WEIGHTS, seed);
    std::fs::write(root.join("seed.txt"), format!("{seed}\n")).unwrap();
}

fn publish_args<'a>(root: &'a str, version: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec![
        "publish",
        root,
        "--name",
        NAME,
        "--version",
        version,
        "--compression",
        "0",
    ];
    args.extend_from_slice(extra);
    args
}

fn spawn(sandbox: &Sandbox, args: &[&str]) -> Child {
    sandbox
        .cli_command(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

/// Runs `audmodel ARGS` until `reached` says so (then kills it with
/// SIGKILL) or it ends; whether it was killed before it ended.
fn kill_when(sandbox: &Sandbox, args: &[&str], reached: &dyn Fn() -> bool) -> bool {
    let mut child = spawn(sandbox, args);
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        if child.try_wait().unwrap().is_some() {
            return false;
        }
        if reached() || Instant::now() > deadline {
            break;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    let ended = child.try_wait().unwrap().is_some();
    let _ = child.kill();
    child.wait().unwrap();
    !ended
}

/// Sends a signal (`-INT`, `-STOP`, `-CONT`) with `kill`.
fn signal(child: &Child, name: &str) {
    let status = std::process::Command::new("kill")
        .args([name, &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success(), "kill {name}");
}

/// The published models among `uids`, by the CLI's `exists`, checked
/// against the reference's.
fn published(sandbox: &Sandbox, uids: &[String]) -> Vec<String> {
    let found: Vec<String> = uids
        .iter()
        .filter(|uid| {
            let out = sandbox.cli(&["exists", uid]);
            match out.status.code() {
                Some(0) => true,
                Some(1) => false,
                _ => panic!("exists {uid}: {}", describe(&out)),
            }
        })
        .cloned()
        .collect();
    if python::require().is_some() {
        let said = sandbox.python_ok(
            "import sys, audmodel\nprint(' '.join(u for u in sys.argv[1:] if audmodel.exists(u)))",
            &uids.iter().map(String::as_str).collect::<Vec<_>>(),
        );
        assert_eq!(said, found.join(" "), "the tools disagree on what exists");
    }
    found
}

/// Loads every published model from the repository (an empty cache) with
/// the CLI and the reference; each must hold the files it was published from.
fn both_tools_load(sandbox: &Sandbox, models: &[(String, PathBuf)]) {
    sandbox.clear_cache();
    for (uid, root) in models {
        let folder = sandbox.cli_ok(&["load", uid]);
        same_files(root, Path::new(&folder)).unwrap_or_else(|e| panic!("{uid}: {e}"));
    }
    if python::require().is_none() {
        return;
    }
    sandbox.clear_cache();
    for (uid, root) in models {
        let folder = sandbox.python_ok(
            "import sys, audmodel\nprint(audmodel.load(sys.argv[1]))",
            &[uid],
        );
        same_files(root, Path::new(&folder)).unwrap_or_else(|e| panic!("{uid}, Python: {e}"));
    }
}

/// Whether `path` (below the repository) lies in the folders of one of the
/// `published` model versions or is an alias file (or its lock) naming
/// one; `aliases` maps the aliases published with a model to its UID.
fn of_published(path: &str, published: &[String], aliases: &[(&str, &str)]) -> bool {
    let path = path.trim_start_matches('/');
    published.iter().any(|uid| {
        let (sid, version) = uid.split_once('-').unwrap();
        path.starts_with(&format!("_uid/{sid}/{version}/"))
            || path.starts_with(&format!("_uid/{sid}.aliases/{version}/"))
            || path.starts_with(&format!("{NAME}/{sid}/{version}/"))
    }) || aliases.iter().any(|(alias, uid)| {
        published.iter().any(|p| p == uid) && path.starts_with(&format!("_alias/{alias}/1.0.0/"))
    })
}

/// Every file below `dir` (hidden ones too) by path relative to it, and
/// every folder that is empty.
fn files_and_empty_folders(dir: &Path) -> (BTreeSet<String>, Vec<String>) {
    fn walk(dir: &Path, rel: &str, files: &mut BTreeSet<String>, empty: &mut Vec<String>) {
        let mut any = false;
        for entry in std::fs::read_dir(dir).unwrap().flatten() {
            any = true;
            let name = format!("{rel}/{}", entry.file_name().to_string_lossy());
            if entry.file_type().unwrap().is_dir() {
                walk(&entry.path(), &name, files, empty);
            } else {
                files.insert(name);
            }
        }
        if !any && !rel.is_empty() {
            empty.push(rel.to_owned());
        }
    }
    let (mut files, mut empty) = (BTreeSet::new(), Vec::new());
    walk(dir, "", &mut files, &mut empty);
    (files, empty)
}

/// The name of the last part of a path.
fn file_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// Sets the modification time of everything below `dir` (and `dir`) back
/// by `by`, as if it had been there that long.
fn age_everything(dir: &Path, by: Duration) {
    let at = SystemTime::now() - by;
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        if entry.file_type().unwrap().is_dir() {
            age_everything(&entry.path(), by);
        } else {
            let file = std::fs::OpenOptions::new()
                .write(true)
                .open(entry.path())
                .unwrap();
            file.set_modified(at).unwrap();
        }
    }
    std::fs::File::open(dir).unwrap().set_modified(at).unwrap();
}

/// The leftovers a `gc --json` printed: (path, kind).
fn json_leftovers(out: &str) -> Vec<(String, String)> {
    let list: serde_json::Value = serde_json::from_str(out).unwrap();
    list.as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["path"].as_str().unwrap().to_owned(),
                l["kind"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// A hidden temporary file of at least 1 MiB in `dir`: a packing in progress.
fn packing_into(dir: &Path) -> bool {
    std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .any(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with(".audmodel-tmp-")
                && e.metadata().is_ok_and(|m| m.len() >= 1 << 20)
        })
}

/// `count` different model folders in the sandbox's scratch space.
fn models(sandbox: &Sandbox, count: u64) -> Vec<PathBuf> {
    (0..count)
        .map(|i| {
            let root = sandbox.scratch(&format!("model-{i}"));
            model(&root, i);
            root
        })
        .collect()
}

#[test]
fn on_a_file_system_only_published_models_remain() {
    let sandbox = Sandbox::file_system();
    let repo = sandbox.repository().to_path_buf();
    let roots = models(&sandbox, 3);
    let root = |i: usize| roots[i].to_str().unwrap();
    let sid = sandbox.cli_ok(&["uid", "--name", NAME]);
    let archive_dir = |v: &str| repo.join(format!("{NAME}/{sid}/{v}"));
    let uid_dir = |v: &str| repo.join(format!("_uid/{sid}/{v}"));
    let first = sandbox.cli_ok(&publish_args(root(0), "1.0.0", &["--alias", "kept"]));

    // Every publish and where it came from; those that are published at
    // the end must load whole.
    let mut sources = vec![(first.clone(), roots[0].clone())];
    let mut report = Vec::new();
    // Killed while packing into the hidden file beside the archive.
    let v = "2.0.0";
    sources.push((format!("{sid}-{v}"), roots[1].clone()));
    let killed = kill_when(&sandbox, &publish_args(root(1), v, &[]), &|| {
        packing_into(&archive_dir(v))
    });
    assert!(killed, "the publish of {v} ended before it was killed");
    // Killed once the archive, or the alias file, is stored, which leaves
    // the version unregistered when the kill comes before the header. A
    // large metadata file keeps the publisher a moment between archive and
    // header; the kill is tried on a few versions.
    let meta_file = sandbox.scratch("meta").join("meta.yaml");
    std::fs::write(&meta_file, format!("notes: {}\n", "x".repeat(32 << 20))).unwrap();
    let meta_file = meta_file.to_str().unwrap();
    let mut aliases = vec![("kept".to_owned(), first.clone())];
    for (stage, minor) in [("archive stored", 1), ("alias stored", 2)] {
        let mut unregistered = false;
        for attempt in 0..5 {
            let v = format!("2.{minor}.{attempt}");
            let uid = format!("{sid}-{v}");
            sources.push((uid.clone(), roots[1].clone()));
            let archive = archive_dir(&v).join(format!("{uid}.zip"));
            let header = uid_dir(&v).join(format!("{uid}.header.yaml"));
            // A new alias each time: one that names a published model
            // would refuse the next publish.
            let alias = format!("ghost-{attempt}");
            let alias_file = repo.join(format!("_alias/{alias}/1.0.0/{alias}-1.0.0.alias.yaml"));
            aliases.push((alias.clone(), uid.clone()));
            let extra = match stage {
                "archive stored" => vec!["--meta-file", meta_file],
                _ => vec!["--alias", &alias],
            };
            let reached = || match stage {
                "archive stored" => archive.exists(),
                _ => alias_file.exists(),
            };
            kill_when(&sandbox, &publish_args(root(1), &v, &extra), &reached);
            if !header.exists() {
                unregistered = true;
                break;
            }
        }
        report.push(format!("{stage}: unregistered {unregistered}"));
        if stage == "archive stored" {
            assert!(unregistered, "no kill came between archive and header");
        }
    }
    // Ctrl+C while packing: the publish removes what it put, and leaves
    // its lock file and folders.
    let v = "2.3.0";
    sources.push((format!("{sid}-{v}"), roots[1].clone()));
    let mut interrupted = spawn(&sandbox, &publish_args(root(1), v, &[]));
    while !packing_into(&archive_dir(v)) && interrupted.try_wait().unwrap().is_none() {
        std::thread::sleep(Duration::from_millis(1));
    }
    signal(&interrupted, "-INT");
    let status = interrupted.wait().unwrap();
    println!("{report:?}; Ctrl+C: {status}");
    let last = sandbox.cli_ok(&publish_args(root(2), "3.0.0", &[]));
    sources.push((last, roots[2].clone()));
    let mut uids: Vec<String> = sources.iter().map(|(uid, _)| uid.clone()).collect();

    let (before, _) = files_and_empty_folders(&repo);
    let cut_writes = before
        .iter()
        .filter(|f| file_name(f).starts_with(".audmodel-tmp-"))
        .count();
    assert!(
        cut_writes > 0,
        "no kill left a half-packed archive: {before:#?}"
    );
    let published_now = published(&sandbox, &uids);
    let aliases: Vec<(&str, &str)> = aliases
        .iter()
        .map(|(a, u)| (a.as_str(), u.as_str()))
        .collect();
    assert!(
        before
            .iter()
            .any(|f| !of_published(f, &published_now, &aliases)),
        "nothing was left behind: {before:#?}"
    );

    // Fresh leftovers may be live publishers' work: the default age keeps them.
    let out = sandbox.cli_ok(&["gc"]);
    assert_eq!(out, "no leftovers");
    let out = sandbox.cli_ok(&["gc", "--dry-run", "--older-than", "0s"]);
    assert!(out.contains("would remove"), "{out}");
    assert!(out.contains("cut write of"), "{out}");
    assert_eq!(
        files_and_empty_folders(&repo).0,
        before,
        "--dry-run removed"
    );

    // An hour and more later, with a new publish killed meanwhile.
    age_everything(&repo, Duration::from_secs(2 * 3600));
    let v = "4.0.0";
    let fresh = kill_when(&sandbox, &publish_args(root(1), v, &[]), &|| {
        packing_into(&archive_dir(v))
    });
    assert!(fresh, "the publish of {v} ended before it was killed");
    uids.push(format!("{sid}-{v}"));
    sources.push((format!("{sid}-{v}"), roots[1].clone()));
    let fresh_file = files_and_empty_folders(&archive_dir(v))
        .0
        .into_iter()
        .next()
        .unwrap();

    let out = sandbox.cli(&["verify", "--all"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "leftovers are no damage: {}",
        describe(&out)
    );
    assert!(
        text.contains("leftover in repository 'models': /big/"),
        "{text}"
    );
    assert!(
        text.contains("not damage (`audmodel gc` removes them)"),
        "{text}"
    );
    assert!(
        !text.contains(&format!("/{v}/")),
        "a fresh one named: {text}"
    );

    let out = sandbox.cli_ok(&["gc", "--json"]);
    let removed = json_leftovers(&out);
    let kinds: BTreeSet<&str> = removed.iter().map(|(_, k)| k.as_str()).collect();
    for kind in ["cut write", "unregistered file", "lock", "empty folder"] {
        assert!(kinds.contains(kind), "no {kind} removed: {removed:#?}");
    }
    assert!(
        archive_dir(v).join(&fresh_file[1..]).exists(),
        "a fresh leftover went"
    );
    assert!(
        removed
            .iter()
            .all(|(path, _)| !path.contains(&format!("/{v}/"))),
        "{removed:#?}"
    );
    let out = sandbox.cli_ok(&["gc", "--older-than", "0s"]);
    assert!(out.contains(&format!("/{v}/")), "{out}");

    let published_now = published(&sandbox, &uids);
    let (after, empty) = files_and_empty_folders(&repo);
    let stray: Vec<&String> = after
        .iter()
        .filter(|f| !of_published(f, &published_now, &aliases))
        .collect();
    assert_eq!(stray, Vec::<&String>::new(), "left after gc");
    let hidden: Vec<&String> = after
        .iter()
        .filter(|f| file_name(f).starts_with('.') && !file_name(f).ends_with(".lock"))
        .collect();
    assert_eq!(hidden, Vec::<&String>::new(), "hidden files left after gc");
    assert_eq!(empty, Vec::<String>::new(), "empty folders left after gc");
    assert_eq!(sandbox.cli_ok(&["alias", "resolve", "kept"]), first);
    let models: Vec<(String, PathBuf)> = sources
        .into_iter()
        .filter(|(uid, _)| published_now.contains(uid))
        .collect();
    assert!(models.len() >= 2, "{published_now:?}");
    both_tools_load(&sandbox, &models);
    assert_eq!(
        sandbox.cli_ok(&["gc", "--older-than", "0s"]),
        "no leftovers"
    );
    println!("gc removed {} leftovers: {kinds:?}", removed.len());
}

/// A publisher that holds its turn (stopped with SIGSTOP while packing)
/// keeps its half-packed archive through `gc --older-than 0s`, and
/// publishes when it goes on.
#[test]
fn on_a_file_system_gc_leaves_what_a_publisher_holds_the_lock_of() {
    let sandbox = Sandbox::file_system();
    let root = sandbox.scratch("model");
    model(&root, 9);
    let sid = sandbox.cli_ok(&["uid", "--name", NAME]);
    let archive_dir = sandbox.repository().join(format!("{NAME}/{sid}/1.0.0"));
    let mut child = spawn(
        &sandbox,
        &publish_args(root.to_str().unwrap(), "1.0.0", &[]),
    );
    while !packing_into(&archive_dir) {
        assert!(child.try_wait().unwrap().is_none(), "ended before packing");
        std::thread::sleep(Duration::from_millis(1));
    }
    signal(&child, "-STOP");
    let (before, _) = files_and_empty_folders(&archive_dir);
    let out = sandbox.cli_ok(&["gc", "--older-than", "0s"]);
    let (after, _) = files_and_empty_folders(&archive_dir);
    signal(&child, "-CONT");
    let status = child.wait().unwrap();
    assert_eq!(out, "no leftovers");
    assert_eq!(after, before, "gc took a live publisher's file");
    assert!(status.success(), "the publisher failed: {status}");
    both_tools_load(&sandbox, &[(format!("{sid}-1.0.0"), root)]);
}

/// Unfinished multipart uploads, by the reference's S3 client (minio).
fn unfinished_uploads_by_the_reference(server: &S3Server, bucket: &str) -> usize {
    let out = python::run(
        "import sys, minio\n\
         endpoint, access, secret, bucket = sys.argv[1:5]\n\
         c = minio.Minio(endpoint, access, secret, secure=False, region='us-east-1')\n\
         print(len(c._list_multipart_uploads(bucket).uploads))",
        &[
            &server.endpoint,
            &server.access_key,
            &server.secret_key,
            bucket,
        ],
        &[],
    );
    out.trim().parse().unwrap()
}

/// A publish of `version` from `root` whose S3 server is lost after it
/// started its upload: through a proxy that refuses every part after the
/// first and the abort, so the publish fails and the upload stays.
fn publish_losing_the_server(sandbox: &Sandbox, server: &S3Server, root: &str, version: &str) {
    let rules = vec![
        Rule::new(When::Always, vec![Fault::Status(500)]).only("partNumber=2"),
        Rule::new(When::Always, vec![Fault::Status(500)]).only("partNumber=3"),
        Rule::new(When::Always, vec![Fault::Status(500)]).only("DELETE"),
    ];
    let proxy = FaultProxy::start(&server.endpoint, rules, 5);
    let host = proxy.host();
    let home = sandbox.scratch("home-through-proxy");
    let config = home.join(".config");
    std::fs::create_dir_all(&config).unwrap();
    std::fs::write(
        config.join("audmodel.yaml"),
        format!(
            "cache_root: {}\nrepositories:\n  - name: {}\n    host: {host}\n    backend: s3\n    retries: 1\n    retry_timeout: 5\n",
            sandbox.cache().display(),
            sandbox.repositories()[0],
        ),
    )
    .unwrap();
    let ini = home.join("minio.cfg");
    std::fs::write(&ini, format!("[{host}]\nsecure =\n")).unwrap();
    let out = sandbox
        .cli_command(&publish_args(root, version, &[]))
        .env("HOME", &home)
        .env("MINIO_CONFIG_FILE", &ini)
        .output()
        .unwrap();
    assert!(!out.status.success(), "{}", describe(&out));
    assert!(proxy.faults() > 0, "the proxy refused nothing");
}

/// Whether an entry of the bucket shows that a publish got somewhere.
type Reached = dyn Fn(&StoreEntry) -> bool;

fn on_s3_only_published_models_remain(server: &S3Server) {
    let label = server.label;
    let sandbox = Sandbox::s3(server, &format!("gc-{label}"));
    let bucket = sandbox.repositories()[0].clone();
    let store = server.backend(&bucket);
    let roots = models(&sandbox, 3);
    let root = |i: usize| roots[i].to_str().unwrap();
    let sid = sandbox.cli_ok(&["uid", "--name", NAME]);
    let mut uids = Vec::new();
    let mut sources = Vec::new();
    let uid = sandbox.cli_ok(&publish_args(root(0), "1.0.0", &[]));
    sources.push((uid.clone(), roots[0].clone()));
    uids.push(uid);

    let inventory = || store.inventory(&BackendPath::root()).unwrap();
    let in_version = |v: &str, what: &Reached| {
        let folder = format!("/{v}/");
        inventory()
            .iter()
            .any(|e| e.path.as_str().contains(&folder) && what(e))
    };
    let mut report = Vec::new();
    // Killed with parts of its upload sent, with its upload staged, and
    // (where claims decide) once it claimed the version.
    let stages: [(&str, &Reached); 3] = [
        ("parts sent", &|e| {
            matches!(e.kind, StoreEntryKind::Upload { .. }) && e.size > 0
        }),
        ("upload staged", &|e| {
            e.kind == StoreEntryKind::File && e.path.as_str().contains(".zip.upload-")
        }),
        ("claimed", &|e| e.path.as_str().ends_with(".claim")),
    ];
    for (i, (stage, reached)) in stages.iter().enumerate() {
        let mut caught = false;
        for attempt in 0..3 {
            let v = format!("2.{i}.{attempt}");
            uids.push(format!("{sid}-{v}"));
            sources.push((format!("{sid}-{v}"), roots[1].clone()));
            if kill_when(&sandbox, &publish_args(root(1), &v, &[]), &|| {
                in_version(&v, reached)
            }) {
                caught = true;
                break;
            }
        }
        report.push(format!("{stage}: {caught}"));
        if *stage != "claimed" {
            assert!(caught, "{label}: never killed at '{stage}'");
        }
    }
    // The server lost mid-upload, then the version published again: the
    // unfinished upload stays beside the published model.
    publish_losing_the_server(&sandbox, server, root(1), "3.0.0");
    let uid = sandbox.cli_ok(&publish_args(root(2), "3.0.0", &[]));
    sources.push((uid.clone(), roots[2].clone()));
    uids.push(uid);
    assert!(
        in_version("3.0.0", &|e| matches!(
            e.kind,
            StoreEntryKind::Upload { .. }
        )),
        "{label}: the lost server's upload is not there"
    );
    let uploads_before = unfinished_uploads_by_the_reference(server, &bucket);
    assert!(
        uploads_before >= 2,
        "{label}: {uploads_before} unfinished uploads"
    );

    let snapshot = || -> BTreeSet<String> {
        inventory()
            .iter()
            .map(|e| format!("{} {:?} {}", e.path.as_str(), e.kind, e.size))
            .collect()
    };
    let before = snapshot();
    assert_eq!(
        sandbox.cli_ok(&["gc"]),
        "no leftovers",
        "{label}: fresh ones went"
    );
    let out = sandbox.cli_ok(&["gc", "--dry-run", "--older-than", "0s"]);
    assert!(out.contains("unfinished upload of"), "{label}: {out}");
    assert!(out.contains("staged upload of"), "{label}: {out}");
    assert_eq!(snapshot(), before, "{label}: --dry-run removed");

    let out = sandbox.cli_ok(&["gc", "--older-than", "0s", "--json"]);
    let removed = json_leftovers(&out);
    let published_now = published(&sandbox, &uids);
    let stray: Vec<String> = inventory()
        .into_iter()
        .filter(|e| {
            !matches!(e.kind, StoreEntryKind::File)
                || !of_published(e.path.as_str(), &published_now, &[])
        })
        .map(|e| format!("{} ({:?})", e.path.as_str(), e.kind))
        .collect();
    assert_eq!(stray, Vec::<String>::new(), "{label}: left after gc");
    let hidden: Vec<String> = server
        .keys(&bucket)
        .into_iter()
        .filter(|k| file_name(k).starts_with('.') && !file_name(k).ends_with(".claim"))
        .collect();
    assert_eq!(hidden, Vec::<String>::new(), "{label}: hidden keys left");
    assert_eq!(unfinished_uploads_by_the_reference(server, &bucket), 0);
    let models: Vec<(String, PathBuf)> = sources
        .into_iter()
        .filter(|(uid, _)| published_now.contains(uid))
        .collect();
    assert!(models.len() >= 2, "{label}: {published_now:?}");
    both_tools_load(&sandbox, &models);
    assert_eq!(
        sandbox.cli_ok(&["gc", "--older-than", "0s"]),
        "no leftovers"
    );
    let kinds: BTreeSet<&str> = removed.iter().map(|(_, k)| k.as_str()).collect();
    println!(
        "{label}: kills {report:?}; {uploads_before} unfinished uploads; gc removed {} leftovers: {kinds:?}",
        removed.len()
    );
}

#[test]
fn on_garage_only_published_models_remain() {
    if python::require().is_none() {
        return;
    }
    on_s3_only_published_models_remain(garage());
}

#[test]
fn on_seaweedfs_only_published_models_remain() {
    let Some(server) = seaweed() else { return };
    if python::require().is_none() {
        return;
    }
    on_s3_only_published_models_remain(server);
}

/// Starts a multipart upload of `key` in `bucket`, sends one part of
/// `bytes` and leaves it unfinished, as a writer killed mid-upload does.
fn leave_an_unfinished_upload(server: &S3Server, bucket: &str, key: &str, bytes: usize) {
    use object_store::{ObjectStoreExt, PutPayload};
    let store = object_store::aws::AmazonS3Builder::new()
        .with_endpoint(format!("http://{}", server.endpoint))
        .with_bucket_name(bucket)
        .with_region("us-east-1")
        .with_access_key_id(&server.access_key)
        .with_secret_access_key(&server.secret_key)
        .with_allow_http(true)
        .build()
        .unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let mut upload = store
            .put_multipart(&object_store::path::Path::from(key))
            .await
            .unwrap();
        upload
            .put_part(PutPayload::from(vec![7u8; bytes]))
            .await
            .unwrap();
        // Dropped without complete or abort.
    });
}

fn unfinished_uploads_are_listed_and_aborted(server: &S3Server) {
    let sandbox = Sandbox::s3(server, "gc-uploads");
    let bucket = &sandbox.repositories()[0];
    let key = "m/abcdef12/1.0.0/.abcdef12-1.0.0.zip.upload-1-2";
    leave_an_unfinished_upload(server, bucket, key, 5 << 20);
    let backend = server.backend(bucket);
    let found = backend.inventory(&BackendPath::root()).unwrap();
    let uploads: Vec<_> = found
        .iter()
        .filter(|e| matches!(e.kind, StoreEntryKind::Upload { .. }))
        .collect();
    assert_eq!(uploads.len(), 1, "{}: {found:#?}", server.label);
    assert_eq!(uploads[0].path.key(), key);
    assert_eq!(uploads[0].size, 5 << 20, "{}", server.label);
    let age = uploads[0]
        .modified
        .and_then(|t| t.elapsed().ok())
        .expect("a time");
    assert!(age < Duration::from_secs(120), "{age:?}");
    backend.discard(uploads[0]).unwrap();
    let after = backend.inventory(&BackendPath::root()).unwrap();
    assert!(
        after
            .iter()
            .all(|e| !matches!(e.kind, StoreEntryKind::Upload { .. })),
        "{after:#?}"
    );
}

#[test]
fn unfinished_uploads_are_listed_and_aborted_on_garage() {
    unfinished_uploads_are_listed_and_aborted(garage());
}

#[test]
fn unfinished_uploads_are_listed_and_aborted_on_seaweedfs() {
    let Some(server) = seaweed() else { return };
    unfinished_uploads_are_listed_and_aborted(server);
}
