//! Scenarios shared by `core_fs.rs`, `core_s3.rs` and the other core
//! tests: every function of the core against two repositories searched in
//! order.
#![allow(dead_code, clippy::unwrap_used)]

use std::path::{Path, PathBuf};

use audmodel::{
    Audmodel, Config, ErrorKind, ListFilter, Mapping, MetaUpdate, NaiveDate, PublishOptions,
    Registry, Repository, UrlKind, Value,
};

/// Params of the SPEC's example model (short ID `d4e9c65b` with name
/// `torch` and subgroup `audmodel.dummy.cnn`).
pub(crate) fn params() -> Mapping {
    let mut p = Mapping::new();
    p.insert("model", "cnn10");
    p.insert("data", "emodb");
    p.insert("feature", "melspec");
    p.insert("sampling_rate", 16000i64);
    p
}

/// A model folder with a nested file.
pub(crate) fn model_folder(dir: &Path, tag: &str) -> PathBuf {
    let root = dir.join(format!("model-{tag}"));
    std::fs::create_dir_all(root.join("sub")).unwrap();
    std::fs::write(root.join("weights.bin"), format!("weights {tag}")).unwrap();
    std::fs::write(root.join("sub/config.yaml"), "layers: 10\n").unwrap();
    root
}

/// `{key: value}` as a Value.
pub(crate) fn map(pairs: &[(&str, Value)]) -> Value {
    Value::Map(mapping(pairs))
}

/// `{key: value}` as a Mapping.
pub(crate) fn mapping(pairs: &[(&str, Value)]) -> Mapping {
    pairs.iter().map(|(k, v)| (*k, v.clone())).collect()
}

/// Options with a fixed author and date, so files compare byte for byte.
pub(crate) fn options() -> PublishOptions {
    PublishOptions::default()
        .subgroup("audmodel.dummy.cnn")
        .author("Calvin and Hobbes")
        .date(NaiveDate::from_ymd_opt(1985, 11, 18).unwrap())
}

/// Every function of the client against repositories `repos` (two, searched
/// in order), with a cache in `cache`.
pub(crate) fn every_function(
    registry: Registry,
    repos: [Repository; 2],
    cache: &Path,
    work: &Path,
) {
    let [first, second] = repos;
    let client = Audmodel::with_registry(
        Config::new(cache, vec![first.clone(), second.clone()]),
        registry.clone(),
    );
    let name = "torch";
    let sid = "d4e9c65b";

    // Publish 1.0.0 to the first, 2.0.0 to the second repository.
    let meta = mapping(&[(
        "model",
        map(&[("cnn10", map(&[("layers", Value::Int(10))]))]),
    )]);
    let uid1 = client
        .publish(
            model_folder(work, "1"),
            name,
            &params(),
            "1.0.0",
            &options().meta(meta.clone()).alias("my-cnn"),
        )
        .unwrap();
    assert_eq!(uid1, format!("{sid}-1.0.0"));
    let uid2 = client
        .publish(
            model_folder(work, "2"),
            name,
            &params(),
            "2.0.0",
            &options().repository(second.name.clone()),
        )
        .unwrap();
    assert_eq!(uid2, format!("{sid}-2.0.0"));

    // Publishing again is refused, in either repository.
    for repo in [&first.name, &second.name] {
        let err = client
            .publish(
                model_folder(work, "1"),
                name,
                &params(),
                "1.0.0",
                &options().repository(repo.clone()),
            )
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::AlreadyExists, "{err}");
        assert!(err.to_string().contains(&uid1), "{err}");
    }

    // Lookup across repositories.
    assert_eq!(client.versions(sid).unwrap(), ["1.0.0", "2.0.0"]);
    assert_eq!(client.versions(&uid1).unwrap(), ["1.0.0", "2.0.0"]);
    assert_eq!(client.versions("my-cnn").unwrap(), ["1.0.0", "2.0.0"]);
    assert!(client.versions("ffffffff").unwrap().is_empty());
    assert!(client.versions("no-such-alias").unwrap().is_empty());
    assert_eq!(client.latest_version(sid).unwrap(), "2.0.0");
    assert_eq!(
        client.latest_version("ffffffff").unwrap_err().kind(),
        ErrorKind::NotFound
    );
    assert_eq!(client.uid_of(sid).unwrap(), uid2);
    assert_eq!(client.uid_of("my-cnn").unwrap(), uid1);
    assert_eq!(client.repository(&uid1).unwrap(), first);
    assert_eq!(client.repository(sid).unwrap(), second);
    assert!(client.exists(&uid1).unwrap());
    assert!(client.exists(&uid2).unwrap());
    assert!(client.exists("my-cnn").unwrap());
    assert!(!client.exists(&format!("{sid}-3.0.0")).unwrap());
    assert!(!client.exists("not-an-alias").unwrap());
    assert!(!client.exists("not an id").unwrap());

    // Header fields.
    let header = client.header(&uid1).unwrap();
    assert_eq!(header.author, "Calvin and Hobbes");
    assert_eq!(header.date, NaiveDate::from_ymd_opt(1985, 11, 18).unwrap());
    assert_eq!(header.name, name);
    assert_eq!(header.parameters, params());
    assert_eq!(header.subgroup.as_deref(), Some("audmodel.dummy.cnn"));
    assert_eq!(header.version, "1.0.0");
    assert_eq!(client.author("my-cnn").unwrap(), "Calvin and Hobbes");
    assert_eq!(client.date(sid).unwrap(), header.date);
    assert_eq!(client.name(sid).unwrap(), name);
    assert_eq!(client.parameters(sid).unwrap(), params());
    assert_eq!(
        client.subgroup(sid).unwrap().as_deref(),
        Some("audmodel.dummy.cnn")
    );
    assert_eq!(client.version(sid).unwrap(), "2.0.0");
    assert_eq!(client.version("my-cnn").unwrap(), "1.0.0");
    assert!(cache.join(sid).join("1.0.0.header.yaml").is_file());
    assert_eq!(
        client.header("ffffffff-1.0.0").unwrap_err().kind(),
        ErrorKind::NotFound
    );
    let missing = client.header("no-such-alias").unwrap_err();
    assert_eq!(missing.kind(), ErrorKind::NotFound);
    assert!(missing.to_string().contains("no-such-alias"), "{missing}");

    // Meta: as published, `{}` when none, merged and replaced.
    assert_eq!(client.meta(&uid1).unwrap(), meta);
    assert_eq!(client.meta(&uid2).unwrap(), Mapping::new());
    let merged = client
        .update_meta(
            &uid1,
            &mapping(&[
                (
                    "model",
                    map(&[("cnn10", map(&[("dropout", Value::Float(0.5))]))]),
                ),
                ("data", "emodb".into()),
            ]),
            MetaUpdate::Merge,
        )
        .unwrap();
    let expected = mapping(&[
        (
            "model",
            map(&[(
                "cnn10",
                map(&[("layers", Value::Int(10)), ("dropout", Value::Float(0.5))]),
            )]),
        ),
        ("data", "emodb".into()),
    ]);
    assert_eq!(merged, expected);
    assert_eq!(client.meta(&uid1).unwrap(), expected);
    // A second client with its own cache sees the update, and a stale cache
    // copy is refreshed.
    let cache2 = work.join("cache2");
    let other = Audmodel::with_registry(
        Config::new(&cache2, vec![first.clone(), second.clone()]),
        registry.clone(),
    );
    assert_eq!(other.meta(&uid1).unwrap(), expected);
    let replaced = client
        .update_meta(&uid1, &Mapping::from([("new", true)]), MetaUpdate::Replace)
        .unwrap();
    assert_eq!(replaced, Mapping::from([("new", true)]));
    assert_eq!(other.meta(&uid1).unwrap(), replaced);

    // Aliases: set, moved between models (across repositories), resolved.
    assert_eq!(client.aliases(&uid1).unwrap(), ["my-cnn"]);
    assert!(client.aliases(&uid2).unwrap().is_empty());
    assert_eq!(client.resolve_alias("my-cnn").unwrap(), uid1);
    client.set_alias("b-alias", &uid1).unwrap();
    assert_eq!(client.aliases(&uid1).unwrap(), ["b-alias", "my-cnn"]);
    client.set_alias("my-cnn", &uid2).unwrap();
    assert_eq!(client.aliases(&uid1).unwrap(), ["b-alias"]);
    assert_eq!(client.aliases(&uid2).unwrap(), ["my-cnn"]);
    assert_eq!(client.resolve_alias("my-cnn").unwrap(), uid2);
    assert_eq!(other.uid_of("my-cnn").unwrap(), uid2);
    client.set_alias("my-cnn", &uid2).unwrap();
    assert_eq!(client.aliases(&uid2).unwrap(), ["my-cnn"]);
    assert_eq!(
        client.resolve_alias("nothing").unwrap_err().kind(),
        ErrorKind::NotFound
    );
    for bad in ["d4e9c65b", "d4e9c65b-1.0.0", "a b", ""] {
        assert_eq!(
            client.set_alias(bad, &uid1).unwrap_err().kind(),
            ErrorKind::InvalidInput,
            "{bad:?}"
        );
    }
    assert_eq!(
        client
            .set_alias("x-alias", "ffffffff-1.0.0")
            .unwrap_err()
            .kind(),
        ErrorKind::NotFound
    );

    // URLs name the three files.
    let model_url = client.url(&uid1, UrlKind::Model).unwrap();
    assert!(
        model_url.ends_with("/audmodel/dummy/cnn/torch/d4e9c65b/1.0.0/d4e9c65b-1.0.0.zip"),
        "{model_url}"
    );
    let header_url = client.url(&uid2, UrlKind::Header).unwrap();
    assert!(
        header_url.ends_with("/_uid/d4e9c65b/2.0.0/d4e9c65b-2.0.0.header.yaml"),
        "{header_url}"
    );
    let meta_url = client.url("b-alias", UrlKind::Meta).unwrap();
    assert!(
        meta_url.ends_with("/_uid/d4e9c65b/1.0.0/d4e9c65b-1.0.0.meta.yaml"),
        "{meta_url}"
    );

    // Load into the cache; the cached copy is returned without the repository.
    let path = client.load(&uid1).unwrap();
    assert_eq!(path, cache.join(sid).join("1.0.0"));
    assert_eq!(
        std::fs::read_to_string(path.join("weights.bin")).unwrap(),
        "weights 1"
    );
    assert_eq!(
        std::fs::read_to_string(path.join("sub/config.yaml")).unwrap(),
        "layers: 10\n"
    );
    assert!(cache.join(sid).join(".1.0.0.lock").is_file());
    let latest = client.load(sid).unwrap();
    assert_eq!(
        std::fs::read_to_string(latest.join("weights.bin")).unwrap(),
        "weights 2"
    );
    assert_eq!(client.load("b-alias").unwrap(), path);

    // List: every model of both repositories, filtered.
    let all = client.list(&ListFilter::default()).unwrap();
    let uids: Vec<&str> = all.iter().map(|m| m.uid.as_str()).collect();
    assert_eq!(uids, [uid1.as_str(), uid2.as_str()]);
    assert_eq!(all[0].repository, first.name);
    assert_eq!(all[1].repository, second.name);
    assert_eq!(all[1].header.version, "2.0.0");
    let filtered = |filter: ListFilter| client.list(&filter).unwrap().len();
    assert_eq!(filtered(ListFilter::default().name("torch")), 2);
    assert_eq!(filtered(ListFilter::default().name("onnx")), 0);
    assert_eq!(
        filtered(ListFilter::default().subgroup("audmodel.dummy")),
        2
    );
    assert_eq!(filtered(ListFilter::default().subgroup("audmodel.dum")), 0);
    assert_eq!(
        filtered(ListFilter::default().param("sampling_rate", Value::Int(16000))),
        2
    );
    assert_eq!(
        filtered(ListFilter::default().param("sampling_rate", Value::Int(8000))),
        0
    );
}
