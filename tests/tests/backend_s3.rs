//! The S3 backend against a real Garage server: the conformance suite,
//! metadata the reference reads, and bad input (missing bucket, wrong
//! credentials, a server that is down).
#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::time::Duration;

use audmodel_backend::{
    Backend, BackendExt, BackendPath, ErrorKind, PutMode, PutOptions, S3, conformance,
};
use audmodel_tests::garage::garage;
use audmodel_tests::s3_server::S3Server;
use audmodel_tests::seaweed::seaweed;

/// A part size small enough to exercise multipart transfers with little data
/// (Garage, like S3, needs 5 MiB for every part but the last).
const PART: usize = 5 << 20;

fn s3(bucket: &str) -> S3 {
    s3_on(garage(), bucket)
}

fn s3_on(g: &S3Server, bucket: &str) -> S3 {
    S3::builder(&g.endpoint, bucket)
        .secure(false)
        .credentials(&g.access_key, &g.secret_key)
        .part_size(PART)
        .parallel(3)
        .build()
        .unwrap()
}

#[test]
fn conformance_suite() {
    let bucket = garage().new_bucket("conformance");
    let backend: Arc<dyn Backend> = Arc::new(s3(&bucket));
    conformance::run_all(&backend, 2 * PART + 12_345);
}

/// The same suite on SeaweedFS, a store that honours conditional writes.
#[test]
fn conformance_suite_on_seaweedfs() {
    let Some(server) = seaweed() else { return };
    let bucket = server.new_bucket("conformance");
    let backend: Arc<dyn Backend> = Arc::new(s3_on(server, &bucket));
    conformance::run_all(&backend, 2 * PART + 12_345);
}

/// The user name as Python's `getpass.getuser()` finds it: the first of
/// `LOGNAME`, `USER`, `LNAME`, `USERNAME` that is set, else the password
/// database (`id -un`).
fn getuser() -> String {
    ["LOGNAME", "USER", "LNAME", "USERNAME"]
        .iter()
        .find_map(|name| std::env::var(name).ok().filter(|v| !v.is_empty()))
        .unwrap_or_else(|| {
            let out = std::process::Command::new("id")
                .arg("-un")
                .output()
                .unwrap();
            assert!(out.status.success(), "id -un failed");
            String::from_utf8(out.stdout).unwrap().trim().to_owned()
        })
}

/// The reference's audbackend writes and reads `checksum` and `owner` as S3
/// user metadata (SPEC 3); both must be on the server, whichever way the
/// object was written (one PUT, a multipart upload, a file).
#[test]
fn objects_carry_checksum_and_owner_metadata() {
    let g = garage();
    let bucket = g.new_bucket("metadata");
    let backend = s3(&bucket);
    let small = BackendPath::new("/a/b.txt").unwrap();
    backend
        .put_bytes(b"abc", &small, PutMode::Overwrite)
        .unwrap();
    assert_eq!(
        backend.checksum(&small).unwrap(),
        "900150983cd24fb0d6963f7d28e17f72"
    );
    assert_eq!(backend.url(&small), "/a/b.txt");

    // Two and a bit parts: a multipart upload, whose metadata is given when it starts.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("large.bin");
    let large_content: Vec<u8> = (0..2 * PART + 7).map(|i| (i % 251) as u8).collect();
    std::fs::write(&file, &large_content).unwrap();
    let large = BackendPath::new("/c/large.bin").unwrap();
    backend
        .put_file(
            &file,
            &large,
            PutOptions::default(),
            &audmodel_backend::no_progress,
        )
        .unwrap();

    let owner = getuser();
    assert!(!owner.is_empty(), "no user name to compare with");
    for (path, md5) in [
        (&small, audmodel_uid::md5_hex(b"abc")),
        (&large, audmodel_uid::md5_hex(&large_content)),
    ] {
        let stored = g.user_metadata(&bucket, path.key());
        assert_eq!(
            stored,
            [
                ("checksum".to_owned(), md5),
                ("owner".to_owned(), owner.clone()),
            ],
            "user metadata of {path:?}"
        );
    }
}

#[test]
fn missing_bucket_is_named() {
    let backend = s3("no-such-bucket-audmodel");
    let path = BackendPath::new("/a/b.txt").unwrap();
    for err in [
        backend.get_bytes(&path).unwrap_err(),
        backend.exists(&path).unwrap_err(),
        backend.list(&BackendPath::root()).unwrap_err(),
        backend
            .put_bytes(b"x", &path, PutMode::Overwrite)
            .unwrap_err(),
    ] {
        assert_eq!(err.kind(), ErrorKind::NotFound, "{err}");
        assert!(err.to_string().contains("no-such-bucket-audmodel"), "{err}");
    }
}

#[test]
fn wrong_credentials_are_refused() {
    let g = garage();
    let bucket = g.new_bucket("creds");
    let backend = S3::builder(&g.endpoint, &bucket)
        .secure(false)
        .credentials(
            &g.access_key,
            "0000000000000000000000000000000000000000000000000000000000000000",
        )
        .build()
        .unwrap();
    let path = BackendPath::new("/a").unwrap();
    for err in [
        backend
            .put_bytes(b"x", &path, PutMode::Overwrite)
            .unwrap_err(),
        backend.get_bytes(&path).unwrap_err(),
    ] {
        assert_eq!(err.kind(), ErrorKind::Permission, "{err}");
        assert!(err.to_string().contains(&g.endpoint), "{err}");
    }
    let anonymous = S3::builder(&g.endpoint, &bucket)
        .secure(false)
        .anonymous()
        .build()
        .unwrap();
    let err = anonymous.list(&BackendPath::root()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Permission, "{err}");
}

#[test]
fn a_server_that_is_down_is_unreachable() {
    // A port that was just free: nothing listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let host = format!("127.0.0.1:{port}");
    let backend = S3::builder(&host, "bucket")
        .secure(false)
        .anonymous()
        .connect_timeout(Duration::from_secs(1))
        .build()
        .unwrap();
    let path = BackendPath::new("/a").unwrap();
    for err in [
        backend.get_bytes(&path).unwrap_err(),
        backend.exists(&path).unwrap_err(),
        backend
            .put_bytes(b"x", &path, PutMode::Overwrite)
            .unwrap_err(),
    ] {
        assert_eq!(err.kind(), ErrorKind::Unreachable, "{err}");
        assert!(err.to_string().contains(&host), "{err}");
    }
}

/// Garage ignores `If-None-Match: *`, so racing creates may all succeed;
/// what must hold is that the object is then one writer's whole file with
/// matching `checksum` metadata, so a writer can detect a lost race by
/// reading the checksum back.
#[test]
fn racing_creates_leave_one_whole_object_with_its_checksum() {
    let bucket = garage().new_bucket("race");
    let backend = s3(&bucket);
    let path = BackendPath::new("/race/x.zip").unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let sources: Vec<_> = (0..4)
        .map(|i| {
            let file = tmp.path().join(format!("src{i}"));
            std::fs::write(&file, format!("writer {i} ").repeat(10_000)).unwrap();
            file
        })
        .collect();
    let barrier = std::sync::Barrier::new(sources.len());
    let results: Vec<_> = std::thread::scope(|scope| {
        let handles: Vec<_> = sources
            .iter()
            .map(|src| {
                let (barrier, backend, path) = (&barrier, &backend, &path);
                scope.spawn(move || {
                    barrier.wait();
                    backend.put_file(
                        src,
                        path,
                        PutOptions {
                            mode: PutMode::Create,
                            ..PutOptions::default()
                        },
                        &audmodel_backend::no_progress,
                    )
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert!(results.iter().any(Result::is_ok), "{results:?}");
    for err in results.iter().filter_map(|r| r.as_ref().err()) {
        assert_eq!(err.kind(), ErrorKind::AlreadyExists, "{err}");
    }
    let stored = backend.get_bytes(&path).unwrap();
    let winner = sources
        .iter()
        .position(|s| std::fs::read(s).unwrap() == stored);
    assert!(winner.is_some(), "the object is no writer's whole file");
    let tmp_dst = tmp.path().join("check");
    std::fs::write(&tmp_dst, &stored).unwrap();
    let local = audmodel_backend::FileSystem::new(tmp.path().to_str().unwrap(), "repo").unwrap();
    std::fs::create_dir(tmp.path().join("repo")).unwrap();
    let check = BackendPath::new("/check").unwrap();
    local
        .put_file(
            &tmp_dst,
            &check,
            PutOptions::default(),
            &audmodel_backend::no_progress,
        )
        .unwrap();
    assert_eq!(
        backend.checksum(&path).unwrap(),
        local.checksum(&check).unwrap(),
        "metadata matches the content"
    );
}

/// The same suite on Azurite, through the Azure store of the one object
/// backend: Azure enforces `If-None-Match: *` and `If-Match`, and so does
/// Azurite, so the probe says yes and the racing parts of the suite run.
#[test]
fn conformance_suite_on_azurite() {
    let Some(server) = audmodel_tests::azurite::azurite() else {
        return;
    };
    let container = server.new_container("conformance");
    let azure = audmodel_backend::Azure::builder(&server.endpoint, &container)
        .credentials(
            audmodel_tests::azurite::ACCOUNT,
            audmodel_tests::azurite::ACCOUNT_KEY,
        )
        .part_size(PART)
        .parallel(3)
        .build()
        .unwrap();
    assert!(azure.enforces_conditional_writes(), "Azurite's probe");
    let backend: Arc<dyn Backend> = Arc::new(azure);
    conformance::run_all(&backend, 2 * PART + 12_345);
}

/// Azure keeps `checksum` and `owner` as blob metadata, however the blob
/// was written, and the copy that sets a new checksum replaces it.
#[test]
fn azure_blobs_carry_checksum_and_owner_metadata() {
    let Some(server) = audmodel_tests::azurite::azurite() else {
        return;
    };
    let container = server.new_container("metadata");
    let backend = server.backend(&container);
    let small = BackendPath::new("/a/b.txt").unwrap();
    backend
        .put_bytes(b"abc", &small, PutMode::Overwrite)
        .unwrap();
    assert_eq!(
        backend.checksum(&small).unwrap(),
        audmodel_uid::md5_hex(b"abc")
    );
    let copy = BackendPath::new("/a/c.txt").unwrap();
    backend
        .copy_with_checksum(&small, &copy, "0123456789abcdef0123456789abcdef")
        .unwrap();
    assert_eq!(
        backend.checksum(&copy).unwrap(),
        "0123456789abcdef0123456789abcdef"
    );
    assert_eq!(backend.get_bytes(&copy).unwrap(), b"abc");
}

/// fake-gcs-server serves the XML API's reads but not its uploads: objects
/// written through its JSON API with `checksum` metadata are read, listed,
/// ranged and checked through the GCS store; a write through the store is
/// refused by the emulator (real GCS takes it), which this test pins so
/// that a fixed emulator is noticed.
#[test]
fn gcs_reads_on_fake_gcs_server() {
    let Some(server) = audmodel_tests::fake_gcs::fake_gcs() else {
        return;
    };
    let bucket = server.new_bucket("reads");
    let content: Vec<u8> = (0..3 * PART + 11).map(|i| (i % 251) as u8).collect();
    let md5 = audmodel_uid::md5_hex(&content);
    server.upload(
        &bucket,
        "_uid/m/1.0.0/m-1.0.0.zip",
        &content,
        &[("checksum", &md5), ("owner", "tests")],
    );
    server.upload(
        &bucket,
        "_uid/m/1.0.0/m-1.0.0.header.yaml",
        b"name: m\n",
        &[],
    );
    let gcs = audmodel_backend::Gcs::builder(&server.endpoint, &bucket)
        .anonymous()
        .part_size(PART)
        .build()
        .unwrap();
    let archive = BackendPath::new("/_uid/m/1.0.0/m-1.0.0.zip").unwrap();
    assert_eq!(gcs.head(&archive).unwrap().size, content.len() as u64);
    assert_eq!(gcs.checksum(&archive).unwrap(), md5);
    assert_eq!(gcs.get_bytes(&archive).unwrap(), content);
    assert_eq!(
        gcs.read_range(&archive, 5..100).unwrap(),
        content[5..100].to_vec()
    );
    let listed = gcs.list(&BackendPath::new("/_uid").unwrap()).unwrap();
    assert_eq!(
        listed.iter().map(|p| p.as_str()).collect::<Vec<_>>(),
        [
            "/_uid/m/1.0.0/m-1.0.0.header.yaml",
            "/_uid/m/1.0.0/m-1.0.0.zip"
        ]
    );
    let missing = BackendPath::new("/_uid/n.yaml").unwrap();
    assert!(!gcs.exists(&missing).unwrap());
    let written = gcs.put_bytes(b"x", &missing, PutMode::Overwrite);
    assert!(
        written.is_err(),
        "fake-gcs-server took an XML upload: run the conformance suite on it"
    );
}
