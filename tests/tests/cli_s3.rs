//! The `audmodel` binary against a bucket on the Garage test server: every
//! command that talks to a repository, with JSON answers parsed, and bad
//! inputs refused without touching the bucket.
#![allow(clippy::unwrap_used)]

use audmodel_tests::garage::garage;
use audmodel_tests::sandbox::{Sandbox, describe};
use serde_json::{Value, json};

const PARAMS: &str = "{model: cnn10, data: emodb, feature: melspec, sampling_rate: 16000}";

fn json_of(sandbox: &Sandbox, args: &[&str]) -> Value {
    let mut args = args.to_vec();
    args.push("--json");
    serde_json::from_str(&sandbox.cli_ok(&args)).unwrap()
}

/// A model folder of two small files in the sandbox.
fn model(sandbox: &Sandbox) -> String {
    let root = sandbox.path().join("model");
    std::fs::create_dir_all(root.join("sub")).unwrap();
    std::fs::write(root.join("weights.bin"), b"0123456789").unwrap();
    std::fs::write(root.join("sub/config.json"), b"{}").unwrap();
    root.to_str().unwrap().to_owned()
}

#[test]
fn every_command_on_a_bucket() {
    every_command(&Sandbox::s3(garage(), "cli"));
}

/// The same commands on an Azure container (Azurite).
#[test]
fn every_command_on_an_azure_container() {
    let Some(server) = audmodel_tests::azurite::azurite() else {
        return;
    };
    every_command(&Sandbox::azure(server, "cli"));
}

/// `publish` of the model folder `root` as the example model, without a
/// version.
fn publish_args(root: &str) -> [&str; 8] {
    [
        "publish",
        root,
        "--name",
        "torch",
        "--subgroup",
        "audmodel.dummy.cnn",
        "--params",
        PARAMS,
    ]
}

/// Every command that talks to the sandbox's one repository.
fn every_command(s: &Sandbox) {
    let root = model(s);
    let base = publish_args(&root);
    let uid = s.cli_ok(
        &[
            &base[..],
            &[
                "--version",
                "1.0.0",
                "--alias",
                "s3-cnn",
                "--meta",
                "{acc: 0.5}",
                "--date",
                "2024-03-01",
                "--author",
                "ada",
            ],
        ]
        .concat(),
    );
    assert_eq!(uid, "d4e9c65b-1.0.0");
    assert_eq!(
        s.cli_ok(&[&base[..], &["--version", "2.0.0", "--compression", "0"]].concat()),
        "d4e9c65b-2.0.0"
    );

    let folder = s.cli_ok(&["load", "s3-cnn"]);
    assert_eq!(
        std::fs::read(format!("{folder}/weights.bin")).unwrap(),
        b"0123456789"
    );
    assert_eq!(
        json_of(s, &["header", &uid]),
        json!({
            "author": "ada", "date": "2024-03-01", "name": "torch",
            "parameters": {"model": "cnn10", "data": "emodb", "feature": "melspec", "sampling_rate": 16000},
            "subgroup": "audmodel.dummy.cnn", "version": "1.0.0",
        })
    );
    assert_eq!(json_of(s, &["meta", "s3-cnn"]), json!({"acc": 0.5}));
    assert_eq!(
        json_of(s, &["update-meta", &uid, "--meta", "{n: 1}"]),
        json!({"acc": 0.5, "n": 1})
    );
    assert_eq!(
        json_of(s, &["versions", "d4e9c65b"]),
        json!(["1.0.0", "2.0.0"])
    );
    assert_eq!(s.cli_ok(&["latest-version", "d4e9c65b"]), "2.0.0");
    assert_eq!(s.cli_ok(&["exists", &uid]), "true");
    let missing = s.cli(&["exists", "d4e9c65b-9.0.0"]);
    assert_eq!(missing.status.code(), Some(1), "{}", describe(&missing));
    let bucket = s.repository().to_str().unwrap().to_owned();
    assert_eq!(s.cli_ok(&["repository", &uid]), bucket);
    let url = s.cli_ok(&["url", &uid, "--type", "header"]);
    // The path inside the bucket, as the reference prints it for S3.
    assert_eq!(url, "/_uid/d4e9c65b/1.0.0/d4e9c65b-1.0.0.header.yaml");
    s.cli_ok(&["alias", "set", "s3-latest", "d4e9c65b-2.0.0"]);
    assert_eq!(
        s.cli_ok(&["alias", "resolve", "s3-latest"]),
        "d4e9c65b-2.0.0"
    );
    assert_eq!(json_of(s, &["aliases", &uid]), json!(["s3-cnn"]));
    assert_eq!(s.cli_ok(&["author", &uid]), "ada");
    let listed = json_of(s, &["ls", "--param", "sampling_rate=16000"]);
    assert_eq!(listed.as_array().unwrap().len(), 2, "{listed}");
    assert_eq!(listed[0]["repository"], json!(bucket));
}

#[test]
fn bad_inputs_on_a_bucket_leave_it_unchanged() {
    let s = Sandbox::s3(garage(), "cli-bad");
    let root = model(&s);
    let uid = s.cli_ok(&["publish", &root, "--name", "torch", "--version", "1.0.0"]);
    let listing = || json_of(&s, &["ls"]);
    let before = listing();
    for (args, status, part) in [
        (vec!["load", "d0656de9-9.9.9"], 3, "d0656de9-9.9.9"),
        (
            vec!["publish", &root, "--name", "torch", "--version", "1.0.0"],
            4,
            uid.as_str(),
        ),
        (
            vec!["publish", &root, "--name", "torch", "--version", "1.x"],
            5,
            "1.x",
        ),
        (
            vec![
                "publish",
                &root,
                "--name",
                "torch",
                "--version",
                "2.0.0",
                "--alias",
                "a/b",
            ],
            5,
            "a/b",
        ),
        (vec!["alias", "resolve", "nothing-here"], 3, "nothing-here"),
    ] {
        let out = s.cli(&args);
        assert_eq!(
            out.status.code(),
            Some(status),
            "{args:?}: {}",
            describe(&out)
        );
        assert!(
            String::from_utf8_lossy(&out.stderr).contains(part),
            "{args:?}: {}",
            describe(&out)
        );
    }
    assert_eq!(listing(), before);
    assert_eq!(json_of(&s, &["versions", "d0656de9"]), json!(["1.0.0"]));
}

/// `audmodel ls` over 300 tiny models on a bucket; prints the time (a
/// measurement for the report, not a timed assertion). Run with
/// `cargo test -p audmodel-tests --features servers cli_s3 -- --ignored --nocapture`.
#[test]
#[ignore = "publishes 300 models, about a minute"]
fn ls_of_300_models_on_a_bucket() {
    let s = Sandbox::s3(garage(), "cli-ls");
    let root = model(&s);
    for i in 0..300 {
        let params = format!("{{i: {i}}}");
        s.cli_ok(&[
            "publish",
            &root,
            "--name",
            "tiny",
            "--params",
            &params,
            "--version",
            "1.0.0",
        ]);
    }
    for run in 0..3 {
        let start = std::time::Instant::now();
        let listed = json_of(&s, &["ls"]);
        println!(
            "ls of {} models, run {run}: {:?}",
            listed.as_array().unwrap().len(),
            start.elapsed()
        );
        assert_eq!(listed.as_array().unwrap().len(), 300);
    }
}

/// What the CLI publishes to an Azure container the library loads, and
/// what the library publishes the CLI loads (Azurite).
#[test]
fn the_cli_and_the_library_load_what_the_other_published_on_azure() {
    use audmodel::{Audmodel, Config, PublishOptions, Registry, Repository};
    use audmodel_tests::azurite::{ACCOUNT, ACCOUNT_KEY, azurite};
    let Some(server) = azurite() else {
        return;
    };
    let s = Sandbox::azure(server, "both-ways");
    let root = model(&s);
    let base = publish_args(&root);
    let uid = s.cli_ok(&[&base[..], &["--version", "1.0.0"]].concat());
    let container = s.repository().to_str().unwrap().to_owned();
    let repo = Repository::new(container, server.endpoint.clone(), "azure")
        .with_setting("account_name", ACCOUNT)
        .with_setting("account_key", ACCOUNT_KEY);
    let cache = s.path().join("library-cache");
    let client = Audmodel::with_registry(Config::new(cache, vec![repo]), Registry::default());
    let folder = client.load(&uid).unwrap();
    assert_eq!(
        std::fs::read(folder.join("weights.bin")).unwrap(),
        b"0123456789"
    );
    let params = audmodel_uid::yaml::from_str(PARAMS).unwrap();
    let audmodel_uid::Value::Map(params) = params else {
        panic!("parameters are a mapping");
    };
    let published = client
        .publish(
            std::path::Path::new(&root),
            "torch",
            &params,
            "2.0.0",
            &PublishOptions::default().subgroup("audmodel.dummy.cnn"),
        )
        .unwrap();
    assert_eq!(published, "d4e9c65b-2.0.0");
    let folder = s.cli_ok(&["load", &published]);
    assert_eq!(
        std::fs::read(format!("{folder}/sub/config.json")).unwrap(),
        b"{}"
    );
}
