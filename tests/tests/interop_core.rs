//! The core and the Python reference on one file-system repository and one
//! cache: each reads what the other publishes, sees the other's metadata
//! updates and alias moves, and both load one model into one cache at once.
#![allow(clippy::unwrap_used)]

use crate::core_scenarios;

use std::path::{Path, PathBuf};

use audmodel::{Audmodel, Config, Mapping, MetaUpdate, PublishOptions, Repository, Value};
use audmodel_tests::python;
use core_scenarios::{map, mapping, model_folder, options, params};

/// Runs a Python snippet with `repo` (the repository), `cache` (the cache
/// root) and `arg` (`sys.argv[4:]`) defined; returns its stdout.
fn py(setup: &Setup, script: &str, args: &[&str]) -> String {
    let preamble = "\
import sys, datetime, audmodel
host, name, cache = sys.argv[1:4]
arg = sys.argv[4:]
repo = audmodel.Repository(name, host, 'file-system')
audmodel.config.REPOSITORIES = [repo]
";
    let host = setup.host.to_str().unwrap();
    let cache = setup.cache.to_str().unwrap();
    let home = setup.dir.path().join("home");
    std::fs::create_dir_all(&home).unwrap();
    let mut all = vec![host, "models", cache];
    all.extend_from_slice(args);
    python::run(
        &format!("{preamble}{script}"),
        &all,
        // No user configuration of this machine is read.
        &[("HOME", home.to_str().unwrap())],
    )
}

struct Setup {
    dir: tempfile::TempDir,
    host: PathBuf,
    cache: PathBuf,
    client: Audmodel,
}

impl Setup {
    fn new() -> Setup {
        let dir = tempfile::tempdir().unwrap();
        let host = dir.path().join("host");
        let cache = dir.path().join("cache");
        std::fs::create_dir_all(host.join("models")).unwrap();
        let client = Audmodel::new(Config::new(
            &cache,
            vec![Repository::new(
                "models",
                host.to_str().unwrap(),
                "file-system",
            )],
        ));
        Setup {
            dir,
            host,
            cache,
            client,
        }
    }

    fn repo_file(&self, path: &str) -> Vec<u8> {
        std::fs::read(self.host.join("models").join(path)).unwrap()
    }
}

/// The Python literal of the test parameters and metadata.
const PY_PARAMS: &str =
    "{'model': 'cnn10', 'data': 'emodb', 'feature': 'melspec', 'sampling_rate': 16000}";
const PY_META: &str =
    "{'model': {'cnn10': {'layers': 10, 'lr': 1e-05}}, 'data': {'emodb': {'version': '1.2.0'}}}";

fn meta() -> Mapping {
    mapping(&[
        (
            "model",
            map(&[(
                "cnn10",
                map(&[("layers", Value::Int(10)), ("lr", Value::Float(1e-05))]),
            )]),
        ),
        (
            "data",
            map(&[("emodb", map(&[("version", "1.2.0".into())]))]),
        ),
    ])
}

fn python_publishes(setup: &Setup, root: &Path, version: &str, alias: &str) -> String {
    py(
        setup,
        &format!(
            "print(audmodel.publish(arg[0], 'torch', {PY_PARAMS}, arg[1], repository=repo, \
             subgroup='audmodel.dummy.cnn', author='Calvin and Hobbes', \
             date=datetime.date(1985, 11, 18), meta={PY_META}, alias=arg[2]))"
        ),
        &[root.to_str().unwrap(), version, alias],
    )
    .trim()
    .to_owned()
}

#[test]
fn rust_reads_what_python_publishes() {
    if python::require().is_none() {
        return;
    }
    let s = Setup::new();
    let uid = python_publishes(&s, &model_folder(s.dir.path(), "py"), "1.0.0", "py-model");
    assert_eq!(uid, "d4e9c65b-1.0.0");

    let path = s.client.load(&uid).unwrap();
    assert_eq!(path, s.cache.join("d4e9c65b/1.0.0"));
    assert_eq!(
        std::fs::read_to_string(path.join("weights.bin")).unwrap(),
        "weights py"
    );
    assert_eq!(
        std::fs::read_to_string(path.join("sub/config.yaml")).unwrap(),
        "layers: 10\n"
    );
    let header = s.client.header("py-model").unwrap();
    assert_eq!(header.parameters, params());
    assert_eq!(header.author, "Calvin and Hobbes");
    // Our header bytes are the reference's.
    assert_eq!(
        header.to_yaml().as_bytes(),
        &s.repo_file("_uid/d4e9c65b/1.0.0/d4e9c65b-1.0.0.header.yaml")[..]
    );
    assert_eq!(s.client.meta(&uid).unwrap(), meta());
    assert_eq!(s.client.versions("d4e9c65b").unwrap(), ["1.0.0"]);
    assert_eq!(s.client.aliases(&uid).unwrap(), ["py-model"]);
    assert_eq!(s.client.resolve_alias("py-model").unwrap(), uid);
    let py_urls = py(
        &s,
        "for t in ('model', 'header', 'meta'): print(audmodel.url(arg[0], type=t, cache_root=cache))",
        &[&uid],
    );
    let rs_urls: Vec<String> = [
        audmodel::UrlKind::Model,
        audmodel::UrlKind::Header,
        audmodel::UrlKind::Meta,
    ]
    .into_iter()
    .map(|k| s.client.url(&uid, k).unwrap())
    .collect();
    assert_eq!(py_urls.lines().collect::<Vec<_>>(), rs_urls);
}

#[test]
fn python_reads_what_rust_publishes_and_the_files_are_identical() {
    if python::require().is_none() {
        return;
    }
    let s = Setup::new();
    let uid = s
        .client
        .publish(
            model_folder(s.dir.path(), "rs"),
            "torch",
            &params(),
            "1.0.0",
            &options().meta(meta()).alias("rs-model"),
        )
        .unwrap();
    let out = py(
        &s,
        "import os
p = audmodel.load('rs-model', cache_root=cache)
print(p)
print(open(os.path.join(p, 'weights.bin')).read())
print(repr(audmodel.header(arg[0], cache_root=cache)))
print(repr(audmodel.meta(arg[0], cache_root=cache)))
print(audmodel.versions('d4e9c65b', cache_root=cache))
print(audmodel.aliases(arg[0], cache_root=cache))
print(audmodel.resolve_alias('rs-model', cache_root=cache))
print(audmodel.exists(arg[0]))",
        &[&uid],
    );
    let lines: Vec<&str> = out.lines().collect();
    let header = s.client.header(&uid).unwrap();
    assert_eq!(
        lines,
        [
            s.cache.join("d4e9c65b/1.0.0").to_str().unwrap(),
            "weights rs",
            &header.to_value().to_string(),
            &meta().to_string(),
            "['1.0.0']",
            "['rs-model']",
            &uid,
            "True",
        ]
    );

    // The same model published by Python into a second repository: every
    // file but the archive is byte-identical.
    let s2 = Setup::new();
    python_publishes(&s2, &model_folder(s2.dir.path(), "rs"), "1.0.0", "rs-model");
    for file in [
        "_uid/d4e9c65b/1.0.0/d4e9c65b-1.0.0.header.yaml",
        "_uid/d4e9c65b/1.0.0/d4e9c65b-1.0.0.meta.yaml",
        "_uid/d4e9c65b.aliases/1.0.0/d4e9c65b.aliases-1.0.0.yaml",
        "_alias/rs-model/1.0.0/rs-model-1.0.0.alias.yaml",
    ] {
        assert_eq!(
            String::from_utf8(s.repo_file(file)).unwrap(),
            String::from_utf8(s2.repo_file(file)).unwrap(),
            "{file}"
        );
    }
    // Without metadata: the reference writes `null`.
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
    let out = py(
        &s,
        "print(repr(audmodel.meta(arg[0], cache_root=cache)), audmodel.subgroup(arg[0], cache_root=cache) == '')",
        &[&uid],
    );
    assert_eq!(out.trim(), "{} True");
}

#[test]
fn each_side_sees_the_others_meta_updates_and_alias_moves() {
    if python::require().is_none() {
        return;
    }
    let s = Setup::new();
    let uid1 = python_publishes(&s, &model_folder(s.dir.path(), "1"), "1.0.0", "shared");
    let uid2 = s
        .client
        .publish(
            model_folder(s.dir.path(), "2"),
            "torch",
            &params(),
            "2.0.0",
            &options(),
        )
        .unwrap();
    // Both caches are one: Rust caches meta first, then Python updates it.
    assert_eq!(s.client.meta(&uid1).unwrap(), meta());
    py(
        &s,
        "audmodel.update_meta(arg[0], {'model': {'cnn10': {'layers': 12}}, 'new': [1, 2]}, cache_root=cache)",
        &[&uid1],
    );
    let expected = mapping(&[
        (
            "model",
            map(&[(
                "cnn10",
                map(&[("layers", Value::Int(12)), ("lr", Value::Float(1e-05))]),
            )]),
        ),
        (
            "data",
            map(&[("emodb", map(&[("version", "1.2.0".into())]))]),
        ),
        ("new", Value::List(vec![Value::Int(1), Value::Int(2)])),
    ]);
    assert_eq!(s.client.meta(&uid1).unwrap(), expected);
    let rust_written = s
        .client
        .update_meta(
            &uid1,
            &Mapping::from([("data", "replaced")]),
            MetaUpdate::Merge,
        )
        .unwrap();
    let out = py(
        &s,
        "print(repr(audmodel.meta(arg[0], cache_root=cache)))",
        &[&uid1],
    );
    assert_eq!(out.trim(), rust_written.to_string());

    // Alias moves: Python moves it to the Rust model, Rust moves it back.
    py(
        &s,
        "audmodel.set_alias('shared', arg[0], cache_root=cache)",
        &[&uid2],
    );
    assert_eq!(s.client.resolve_alias("shared").unwrap(), uid2);
    assert_eq!(s.client.aliases(&uid2).unwrap(), ["shared"]);
    assert!(s.client.aliases(&uid1).unwrap().is_empty());
    s.client.set_alias("shared", &uid1).unwrap();
    s.client.set_alias("second", &uid1).unwrap();
    let out = py(
        &s,
        "print(audmodel.resolve_alias('shared', cache_root=cache))
print(audmodel.aliases(arg[0], cache_root=cache))
print(audmodel.aliases(arg[1], cache_root=cache))",
        &[&uid1, &uid2],
    );
    assert_eq!(
        out.lines().collect::<Vec<_>>(),
        [uid1.as_str(), "['second', 'shared']", "[]"]
    );
}

#[test]
fn python_and_rust_load_one_model_into_one_cache_at_once() {
    if python::require().is_none() {
        return;
    }
    let s = Setup::new();
    let root = model_folder(s.dir.path(), "big");
    // Large enough that the two loads overlap.
    std::fs::write(root.join("big.bin"), vec![7u8; 8 << 20]).unwrap();
    let uid = s
        .client
        .publish(&root, "torch", &params(), "1.0.0", &options())
        .unwrap();
    let (py_path, rs_paths) = std::thread::scope(|scope| {
        let python = scope.spawn(|| {
            py(
                &s,
                "print(audmodel.load(arg[0], cache_root=cache))",
                &[&uid],
            )
        });
        let rust: Vec<_> = (0..2)
            .map(|_| scope.spawn(|| s.client.load(&uid).unwrap()))
            .collect();
        (
            python.join().unwrap(),
            rust.into_iter()
                .map(|h| h.join().unwrap())
                .collect::<Vec<_>>(),
        )
    });
    let expected = s.cache.join("d4e9c65b/1.0.0");
    assert_eq!(py_path.trim(), expected.to_str().unwrap());
    assert!(rs_paths.iter().all(|p| *p == expected));
    assert_eq!(
        std::fs::read(expected.join("big.bin")).unwrap().len(),
        8 << 20
    );
    let mut names: Vec<String> = std::fs::read_dir(s.cache.join("d4e9c65b"))
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
