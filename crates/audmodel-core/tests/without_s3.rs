//! A build without the `s3` feature: a configuration naming an S3
//! repository fails with a clear error, and file-system repositories work.
//! Run by `cargo test -p audmodel-core --no-default-features --test
//! without_s3` (a step of `cargo xtask test`); with the feature it holds no
//! test.
#![cfg(not(feature = "s3"))]
#![allow(clippy::unwrap_used)]

use audmodel_core::{Audmodel, Config, ErrorKind, Mapping, PublishOptions, Repository};

#[test]
fn an_s3_repository_is_refused_naming_the_missing_feature() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("model");
    std::fs::create_dir(&model).unwrap();
    std::fs::write(model.join("weights.bin"), b"0123").unwrap();
    std::fs::create_dir(dir.path().join("local")).unwrap();
    let local = Repository::new("local", dir.path().to_str().unwrap(), "file-system");
    let bucket = Repository::new("bucket", "127.0.0.1:3900", "s3");
    let cache = dir.path().join("cache");

    let file_system_only = Audmodel::new(Config::new(&cache, vec![local.clone()]));
    let uid = file_system_only
        .publish(
            &model,
            "torch",
            &Mapping::new(),
            "1.0.0",
            &PublishOptions::default(),
        )
        .unwrap();
    assert!(
        file_system_only
            .load(&uid)
            .unwrap()
            .join("weights.bin")
            .is_file()
    );

    // A publish searches every repository for the UID first, as the reference.
    let with_bucket = Audmodel::new(Config::new(&cache, vec![local, bucket]));
    let err = with_bucket
        .publish(
            &model,
            "torch",
            &Mapping::new(),
            "2.0.0",
            &PublishOptions::default(),
        )
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput, "{err}");
    let text = audmodel_uid::error_chain(&err);
    assert!(text.contains("bucket"), "{text}");
    assert!(text.contains("S3 support was not built in"), "{text}");
}
