//! The core against S3 repositories on the Garage test server.
#![allow(clippy::unwrap_used)]

use crate::core_scenarios;

use std::sync::Arc;

use audmodel::backend::{Backend, S3};
use audmodel::{Audmodel, Config, ErrorKind, Registry, Repository};
use audmodel_tests::garage::garage;
use core_scenarios::{model_folder, options, params};

/// The default registry with `s3` opened with the test key over plain HTTP,
/// so no process-wide environment is needed.
fn registry() -> Registry {
    let g = garage();
    let (access, secret) = (g.access_key.clone(), g.secret_key.clone());
    let mut registry = Registry::default();
    registry.register("s3", move |repo| {
        let s3 = S3::builder(&repo.host, &repo.name)
            .credentials(&access, &secret)
            .secure(false)
            .build()?;
        Ok(Arc::new(s3) as Arc<dyn Backend>)
    });
    registry
}

fn s3_repo(prefix: &str) -> Repository {
    let g = garage();
    Repository::new(g.new_bucket(prefix), g.endpoint.clone(), "s3")
}

#[test]
fn every_function_on_two_buckets() {
    let dir = tempfile::tempdir().unwrap();
    core_scenarios::every_function(
        registry(),
        [s3_repo("core-a"), s3_repo("core-b")],
        &dir.path().join("cache"),
        dir.path(),
    );
}

/// Every function of the library on two Azure containers (Azurite), the
/// credentials in the repository entries, through the default registry.
#[test]
fn every_function_on_two_azure_containers() {
    let Some(server) = audmodel_tests::azurite::azurite() else {
        return;
    };
    let repo = |prefix: &str| {
        Repository::new(
            server.new_container(prefix),
            server.endpoint.clone(),
            "azure",
        )
        .with_setting("account_name", audmodel_tests::azurite::ACCOUNT)
        .with_setting("account_key", audmodel_tests::azurite::ACCOUNT_KEY)
    };
    let dir = tempfile::tempdir().unwrap();
    core_scenarios::every_function(
        Registry::default(),
        [repo("core-a"), repo("core-b")],
        &dir.path().join("cache"),
        dir.path(),
    );
}

#[test]
fn a_file_system_and_a_bucket_searched_in_order() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("host/models")).unwrap();
    let fs = Repository::new(
        "models",
        dir.path().join("host").to_str().unwrap(),
        "file-system",
    );
    let s3 = s3_repo("core-mixed");
    let client = Audmodel::with_registry(
        Config::new(dir.path().join("cache"), vec![fs.clone(), s3.clone()]),
        registry(),
    );
    let uid = client
        .publish(
            model_folder(dir.path(), "s3"),
            "torch",
            &params(),
            "1.0.0",
            &options().repository(s3.name.clone()).alias("in-s3"),
        )
        .unwrap();
    assert_eq!(client.repository("in-s3").unwrap(), s3);
    let url = client.url(&uid, audmodel::UrlKind::Header).unwrap();
    // As the reference: the versioned path alone for S3.
    assert_eq!(url, "/_uid/d4e9c65b/1.0.0/d4e9c65b-1.0.0.header.yaml");
    let path = client.load(&uid).unwrap();
    assert_eq!(
        std::fs::read_to_string(path.join("weights.bin")).unwrap(),
        "weights s3"
    );
    // The same UID in the first repository wins from then on.
    client
        .publish(
            model_folder(dir.path(), "fs"),
            "torch",
            &params(),
            "2.0.0",
            &options(),
        )
        .unwrap();
    assert_eq!(client.versions(&uid).unwrap(), ["1.0.0", "2.0.0"]);
    assert_eq!(client.repository("d4e9c65b").unwrap(), fs);
}

#[test]
fn racing_publishers_on_a_store_without_conditional_writes() {
    // Garage ignores If-None-Match: racers are told apart by reading the
    // header back. Different authors make the headers differ.
    let dir = tempfile::tempdir().unwrap();
    let repo = s3_repo("core-race");
    let client = Audmodel::with_registry(
        Config::new(dir.path().join("cache"), vec![repo]),
        registry(),
    );
    let roots: Vec<_> = (0..3)
        .map(|i| model_folder(dir.path(), &format!("r{i}")))
        .collect();
    let results: Vec<_> = std::thread::scope(|scope| {
        let handles: Vec<_> = roots
            .iter()
            .enumerate()
            .map(|(i, root)| {
                let client = &client;
                scope.spawn(move || {
                    let opts = options().author(format!("author {i}"));
                    client.publish(root, "torch", &params(), "1.0.0", &opts)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let winners: Vec<_> = results.iter().filter(|r| r.is_ok()).collect();
    assert!(!winners.is_empty(), "{results:?}");
    for err in results.iter().filter_map(|r| r.as_ref().err()) {
        assert_eq!(err.kind(), ErrorKind::AlreadyExists, "{err}");
    }
    let author = client.author("d4e9c65b-1.0.0").unwrap();
    assert!(author.starts_with("author "), "{author}");
    assert!(
        client
            .load("d4e9c65b-1.0.0")
            .unwrap()
            .join("weights.bin")
            .is_file()
    );
}

#[test]
fn a_server_that_is_down_is_a_backend_error_not_a_missing_model() {
    let dir = tempfile::tempdir().unwrap();
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().to_string()
    };
    let client = Audmodel::with_registry(
        Config::new(
            dir.path().join("cache"),
            vec![Repository::new("down", closed.clone(), "s3")],
        ),
        registry(),
    );
    let err = client.header("d4e9c65b-1.0.0").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Backend, "{err}");
    assert!(err.to_string().contains(&closed), "{err}");
    let err = client
        .publish(
            model_folder(dir.path(), "x"),
            "torch",
            &params(),
            "1.0.0",
            &options(),
        )
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Backend, "{err}");
}
