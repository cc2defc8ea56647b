//! A bucket anyone may read, read by users without any credentials (no
//! `MINIO_*` variable, no key in an INI file): every reading command of the
//! CLI, the library, the Python module `audmodel_rs` and the reference
//! answer alike, on SeaweedFS with an anonymous read-only identity. A write
//! without credentials fails with one line saying none were found for the
//! host and where they are read from, and leaves the bucket as it was; a
//! refused conditional-write probe is no answer of the store's.
#![allow(clippy::unwrap_used)]

use std::path::Path;
use std::sync::Arc;

use audmodel::backend::{Backend, S3};
use audmodel::{Audmodel, Config, ListFilter, Mapping, PublishOptions, Registry, Repository};
use audmodel_tests::model_files::same_files;
use audmodel_tests::python;
use audmodel_tests::s3_server::S3Server;
use audmodel_tests::sandbox::{Sandbox, describe};
use audmodel_tests::seaweed::{PUBLIC_PREFIX, seaweed};
use serde_json::{Value, json};

const SID: &str = "d4e9c65b";
const UID: &str = "d4e9c65b-1.0.0";
const ALIAS: &str = "public-cnn";
const PARAMS: &str = "{model: cnn10, data: emodb, feature: melspec, sampling_rate: 16000}";

/// A sandbox on a new public bucket holding two versions of one model
/// (the first with an alias and metadata), published with the key; then
/// the sandbox's user loses the key.
fn published(weed: &S3Server, prefix: &str) -> (Sandbox, std::path::PathBuf) {
    let mut s = Sandbox::s3(weed, &format!("{PUBLIC_PREFIX}{prefix}"));
    let root = s.scratch("model");
    std::fs::create_dir_all(root.join("sub")).unwrap();
    std::fs::write(root.join("weights.bin"), b"public weights").unwrap();
    std::fs::write(root.join("sub/config.json"), b"{}").unwrap();
    let folder = root.to_str().unwrap();
    let base = [
        "publish",
        folder,
        "--name",
        "torch",
        "--subgroup",
        "audmodel.dummy.cnn",
        "--params",
        PARAMS,
        "--date",
        "2024-03-01",
        "--author",
        "ada",
    ];
    for extra in [
        &[
            "--version",
            "1.0.0",
            "--alias",
            ALIAS,
            "--meta",
            "{acc: 0.5}",
        ][..],
        &["--version", "2.0.0"][..],
    ] {
        let out = s
            .cli_command(&[&base[..], extra].concat())
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", describe(&out));
    }
    s.without_credentials(weed);
    (s, root)
}

/// What every reader must answer for the published bucket.
fn expected(root: &Path) -> Value {
    json!({
        "header": {
            "author": "ada", "date": "2024-03-01", "name": "torch",
            "parameters": {"model": "cnn10", "data": "emodb", "feature": "melspec", "sampling_rate": 16000},
            "subgroup": "audmodel.dummy.cnn", "version": "1.0.0",
        },
        "meta": {"acc": 0.5},
        "versions": ["1.0.0", "2.0.0"],
        "latest_version": "2.0.0",
        "exists": true,
        "missing": false,
        "aliases": [ALIAS],
        "resolve_alias": UID,
        "model": root.display().to_string(),
    })
}

/// The CLI's answers, without credentials.
fn cli_answers(s: &Sandbox, root: &Path) -> Value {
    let json_of = |args: &[&str]| -> Value {
        serde_json::from_str(&s.cli_ok(&[args, &["--json"]].concat())).unwrap()
    };
    let missing = s.cli(&["exists", &format!("{SID}-9.9.9")]);
    assert_eq!(missing.status.code(), Some(1), "{}", describe(&missing));
    s.clear_cache();
    let folder = s.cli_ok(&["load", ALIAS]);
    same_files(root, Path::new(&folder)).unwrap();
    json!({
        "header": json_of(&["header", UID]),
        "meta": json_of(&["meta", UID]),
        "versions": json_of(&["versions", SID]),
        "latest_version": s.cli_ok(&["latest-version", SID]),
        "exists": s.cli_ok(&["exists", UID]) == "true",
        "missing": String::from_utf8_lossy(&missing.stdout).trim() == "true",
        "aliases": json_of(&["aliases", UID]),
        "resolve_alias": s.cli_ok(&["alias", "resolve", ALIAS]),
        "model": root.display().to_string(),
    })
}

/// The same questions asked of a Python module with the reference's API
/// (`audmodel` or `audmodel_rs`).
const PYTHON_READER: &str = "\
import json, sys
audmodel = __import__(sys.argv[1])
uid, sid, alias = sys.argv[2:5]
print(json.dumps({
    'header': audmodel.header(uid),
    'meta': audmodel.meta(uid),
    'versions': audmodel.versions(sid),
    'latest_version': audmodel.latest_version(sid),
    'exists': audmodel.exists(uid),
    'missing': audmodel.exists(sid + '-9.9.9'),
    'aliases': audmodel.aliases(uid),
    'resolve_alias': audmodel.resolve_alias(alias),
    'load': audmodel.load(alias),
}, default=str))";

fn python_answers(s: &Sandbox, module: &str, root: &Path) -> Value {
    s.clear_cache();
    let mut answers: Value =
        serde_json::from_str(&s.python_ok(PYTHON_READER, &[module, UID, SID, ALIAS])).unwrap();
    let folder = answers["load"].as_str().unwrap().to_owned();
    same_files(root, Path::new(&folder)).unwrap_or_else(|e| panic!("{module}: {e}"));
    let object = answers.as_object_mut().unwrap();
    object.remove("load");
    object.insert("model".into(), json!(root.display().to_string()));
    answers
}

#[test]
fn every_reader_reads_a_public_bucket_without_credentials() {
    let Some(weed) = seaweed() else { return };
    let (s, root) = published(weed, "read");
    let bucket = s.repositories()[0].clone();
    let keys = weed.keys(&bucket);
    let want = expected(&root);

    assert_eq!(cli_answers(&s, &root), want, "the CLI");
    let listed: Value = serde_json::from_str(&s.cli_ok(&["ls", "--json"])).unwrap();
    let uids: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["uid"].as_str().unwrap())
        .collect();
    assert_eq!(uids, [UID, "d4e9c65b-2.0.0"], "{listed}");
    assert_eq!(listed[0]["aliases"], json!([ALIAS]), "{listed}");

    if python::require().is_some() {
        assert_eq!(python_answers(&s, "audmodel", &root), want, "the reference");
        if python::require_binding().is_some() {
            assert_eq!(
                python_answers(&s, "audmodel_rs", &root),
                want,
                "audmodel_rs"
            );
        }
    }
    assert_eq!(weed.keys(&bucket), keys, "a reader wrote to the bucket");
}

/// A library client whose S3 backends send unsigned requests: the test
/// process's own environment may hold keys, which the registry's default
/// constructor would read.
fn anonymous_client(s: &Sandbox, weed: &S3Server) -> Audmodel {
    let mut registry = Registry::default();
    registry.register_observed("s3", |repo, _| {
        let s3 = S3::builder(&repo.host, &repo.name)
            .anonymous()
            .secure(false)
            .build()?;
        Ok(Arc::new(s3) as Arc<dyn Backend>)
    });
    let repo = Repository::new(&s.repositories()[0], &weed.endpoint, "s3");
    Audmodel::with_registry(Config::new(s.cache(), vec![repo]), registry)
}

#[test]
fn the_library_reads_a_public_bucket_and_may_not_write_to_it() {
    let Some(weed) = seaweed() else { return };
    let (s, root) = published(weed, "library");
    let bucket = s.repositories()[0].clone();
    let keys = weed.keys(&bucket);
    let client = anonymous_client(&s, weed);

    let header = client.header(UID).unwrap();
    assert_eq!(
        (
            header.name.as_str(),
            header.version.as_str(),
            header.author.as_str()
        ),
        ("torch", "1.0.0", "ada")
    );
    assert_eq!(client.meta(UID).unwrap().get("acc"), Some(&0.5f64.into()));
    assert_eq!(client.versions(SID).unwrap(), ["1.0.0", "2.0.0"]);
    assert_eq!(client.latest_version(SID).unwrap(), "2.0.0");
    assert!(client.exists(UID).unwrap());
    assert!(!client.exists(&format!("{SID}-9.9.9")).unwrap());
    assert_eq!(client.aliases(UID).unwrap(), [ALIAS]);
    assert_eq!(client.resolve_alias(ALIAS).unwrap(), UID);
    let listed = client.list(&ListFilter::default()).unwrap();
    assert_eq!(listed.len(), 2, "{listed:?}");
    same_files(&root, &client.load(ALIAS).unwrap()).unwrap();

    let err = client
        .publish(
            &root,
            "torch",
            &Mapping::new(),
            "3.0.0",
            &PublishOptions::default(),
        )
        .unwrap_err();
    let text = err.to_string();
    assert_eq!(err.kind(), audmodel::ErrorKind::Backend, "{text}");
    assert!(
        text.starts_with(&format!("repository '{bucket}': "))
            && text.contains("without credentials"),
        "{text}"
    );
    assert!(!text.contains('\n'), "{text}");
    assert_eq!(weed.keys(&bucket), keys, "a refused write left something");
}

/// One line on standard error saying no credentials were found for the
/// host and where they are read from; exit status 6.
fn assert_refused_for_want_of_credentials(s: &Sandbox, weed: &S3Server, args: &[&str]) {
    let out = s.cli(args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(6), "{args:?}: {}", describe(&out));
    assert_eq!(stderr.lines().count(), 1, "{args:?}: {stderr}");
    let ini = s.path().join("home/.config/audbackend/minio.cfg");
    let host = &weed.endpoint;
    let suffix: String = host
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    for part in [
        format!("error: repository '{}': ", s.repositories()[0]),
        format!("no credentials were found for '{host}'"),
        format!("MINIO_ACCESS_KEY_{suffix} and MINIO_SECRET_KEY_{suffix}"),
        "MINIO_ACCESS_KEY and MINIO_SECRET_KEY".to_owned(),
        format!("the section [{host}] of {}", ini.display()),
        "MINIO_CONFIG_FILE".to_owned(),
    ] {
        assert!(stderr.contains(&part), "{args:?}: no {part:?} in {stderr}");
    }
}

#[test]
fn a_write_without_credentials_says_so_in_one_line_and_leaves_the_bucket_as_it_was() {
    let Some(weed) = seaweed() else { return };
    let (s, root) = published(weed, "write");
    let bucket = s.repositories()[0].clone();
    let keys = weed.keys(&bucket);
    let folder = root.to_str().unwrap();
    for args in [
        &["publish", folder, "--name", "torch", "--version", "3.0.0"][..],
        &[
            "publish",
            folder,
            "--name",
            "other",
            "--version",
            "1.0.0",
            "--alias",
            "other",
        ][..],
        &["update-meta", UID, "--meta", "{acc: 0.9}"][..],
        &["alias", "set", "newer", "d4e9c65b-2.0.0"][..],
        &["alias", "set", ALIAS, "d4e9c65b-2.0.0"][..],
    ] {
        assert_refused_for_want_of_credentials(&s, weed, args);
        assert_eq!(weed.keys(&bucket), keys, "{args:?} left something");
    }
    assert_eq!(s.cli_ok(&["alias", "resolve", ALIAS]), UID);
}

#[test]
fn a_private_bucket_read_without_credentials_names_what_is_missing() {
    let Some(weed) = seaweed() else { return };
    let mut s = Sandbox::s3(weed, "private");
    s.without_credentials(weed);
    for args in [&["ls"][..], &["exists", UID][..], &["load", UID][..]] {
        assert_refused_for_want_of_credentials(&s, weed, args);
    }
}

/// `audmodel config` of a repository whose probe was refused: no protocol,
/// and why.
#[test]
fn config_says_a_refused_probe_tells_nothing_of_the_store() {
    let Some(weed) = seaweed() else { return };
    let (s, _) = published(weed, "config");
    let bucket = s.repositories()[0].clone();
    let keys = weed.keys(&bucket);
    let text = s.cli_ok(&["config"]);
    let line = text
        .lines()
        .find(|l| l.starts_with(&format!("  - {bucket}: ")) && l.contains("unknown"))
        .unwrap_or_else(|| panic!("no protocol line: {text}"));
    assert!(
        line.contains("the probe was refused (no credentials were found for"),
        "{line}"
    );
    assert!(!text.contains("ignores conditional writes"), "{text}");
    let config: Value = serde_json::from_str(&s.cli_ok(&["config", "--json"])).unwrap();
    let protocol = &config["repositories"]["value"][0]["protocol"];
    assert_eq!(protocol["name"], Value::Null, "{config}");
    assert!(
        protocol["error"]
            .as_str()
            .is_some_and(|e| e.contains("the probe was refused")),
        "{config}"
    );
    // With the key the store answers the probe.
    let out = s
        .cli_command(&["config", "--json"])
        .envs(weed.env())
        .output()
        .unwrap();
    let config: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        config["repositories"]["value"][0]["protocol"]["name"],
        json!("create-only+compare-and-swap"),
        "{config}"
    );
    assert_eq!(weed.keys(&bucket), keys, "a probe left a key");
}
