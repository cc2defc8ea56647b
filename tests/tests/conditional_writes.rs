//! Knowing whether an S3 store enforces conditional writes: the probe of
//! `conditional_writes: auto` (yes on SeaweedFS, no on Garage), `yes` and
//! `no` overriding it, `audmodel config` naming the write protocol each
//! repository gets, and the reference reading a configuration file that
//! holds the key.
#![allow(clippy::unwrap_used)]

use audmodel_backend::{Backend, BackendPath, ConditionalWrites, ErrorKind, PutMode, S3};
use audmodel_tests::garage::garage;
use audmodel_tests::python;
use audmodel_tests::s3_server::S3Server;
use audmodel_tests::sandbox::Sandbox;
use audmodel_tests::seaweed::seaweed;
use serde_json::Value;

fn s3(server: &S3Server, bucket: &str, conditional: ConditionalWrites) -> S3 {
    S3::builder(&server.endpoint, bucket)
        .secure(false)
        .credentials(&server.access_key, &server.secret_key)
        .conditional_writes(conditional)
        .build()
        .unwrap()
}

/// What the probe leaves: nothing (it removes its hidden key).
fn keys(server: &S3Server, bucket: &str) -> Vec<String> {
    server.keys(bucket)
}

#[test]
fn the_probe_says_yes_on_seaweedfs_and_no_on_garage() {
    let Some(weed) = seaweed() else { return };
    let bucket = weed.new_bucket("probe");
    let auto = s3(weed, &bucket, ConditionalWrites::Auto);
    assert!(auto.enforces_conditional_writes());
    let can = auto.capabilities();
    assert!(
        can.create_only && can.compare_and_swap && !can.locks,
        "{can:?}"
    );
    assert_eq!(
        keys(weed, &bucket),
        Vec::<String>::new(),
        "the probe left a key"
    );

    let g = garage();
    let bucket = g.new_bucket("probe");
    let auto = s3(g, &bucket, ConditionalWrites::Auto);
    assert!(!auto.enforces_conditional_writes());
    let can = auto.capabilities();
    assert!(!can.create_only && !can.compare_and_swap, "{can:?}");
    assert_eq!(
        keys(g, &bucket),
        Vec::<String>::new(),
        "the probe left a key"
    );
}

#[test]
fn yes_and_no_override_the_probe() {
    let Some(weed) = seaweed() else { return };
    let g = garage();
    let (weed_bucket, garage_bucket) = (weed.new_bucket("override"), g.new_bucket("override"));
    let no = s3(weed, &weed_bucket, ConditionalWrites::No);
    assert!(!no.enforces_conditional_writes());
    assert!(!no.capabilities().compare_and_swap);
    // A store said not to enforce `If-Match` is never asked to.
    let file = BackendPath::new("/a/x.yaml").unwrap();
    no.put_bytes(b"x", &file, PutMode::Overwrite).unwrap();
    let err = no.get_for_update(&file).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unsupported, "{err}");

    let yes = s3(g, &garage_bucket, ConditionalWrites::Yes);
    assert!(yes.enforces_conditional_writes());
    let can = yes.capabilities();
    assert!(can.create_only && can.compare_and_swap, "{can:?}");
    // Told so, nothing is probed: no key was ever written.
    assert_eq!(keys(g, &garage_bucket), Vec::<String>::new());
}

/// Sets `conditional_writes: value` on every repository entry of the
/// sandbox's configuration file.
fn set_conditional_writes(sandbox: &Sandbox, value: &str) {
    let file = sandbox.path().join("home/.config/audmodel.yaml");
    let text = std::fs::read_to_string(&file).unwrap();
    let mut changed = String::new();
    for line in text.lines() {
        if line.trim_start().starts_with("conditional_writes: ") {
            continue;
        }
        changed.push_str(line);
        changed.push('\n');
        if line.trim_start().starts_with("backend: ") {
            changed.push_str(&format!("    conditional_writes: {value}\n"));
        }
    }
    assert!(changed.contains("conditional_writes"), "{text}");
    std::fs::write(&file, changed).unwrap();
}

fn protocol(sandbox: &Sandbox) -> String {
    let config: Value = serde_json::from_str(&sandbox.cli_ok(&["config", "--json"])).unwrap();
    let repository = &config["repositories"]["value"][0];
    repository["protocol"]["name"]
        .as_str()
        .unwrap_or_else(|| panic!("no protocol: {config}"))
        .to_owned()
}

#[test]
fn config_names_the_protocol_each_store_gets() {
    let Some(weed) = seaweed() else { return };
    let on_weed = Sandbox::s3(weed, "config");
    assert_eq!(protocol(&on_weed), "create-only+compare-and-swap");
    let text = on_weed.cli_ok(&["config"]);
    assert!(
        text.contains("create-only publish, compare-and-swap updates (the store decides races)"),
        "{text}"
    );
    set_conditional_writes(&on_weed, "no");
    assert_eq!(protocol(&on_weed), "staged");

    let on_garage = Sandbox::s3(garage(), "config");
    assert_eq!(protocol(&on_garage), "staged");
    let text = on_garage.cli_ok(&["config"]);
    assert!(
        text.contains("staged publish checked after the fact"),
        "{text}"
    );
    set_conditional_writes(&on_garage, "yes");
    assert_eq!(protocol(&on_garage), "create-only+compare-and-swap");
    set_conditional_writes(&on_garage, "maybe");
    let out = on_garage.cli(&["config"]);
    assert_eq!(out.status.code(), Some(5), "a bad value is invalid input");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("must be auto, yes or no"), "{stderr}");
}

/// The reference reads only `name`, `host` and `backend` of a repository
/// entry: with `conditional_writes` there it still publishes and loads,
/// and each tool reads what the other published.
#[test]
fn the_reference_reads_a_configuration_with_conditional_writes() {
    let Some(weed) = seaweed() else { return };
    if python::require().is_none() {
        return;
    }
    let sandbox = Sandbox::s3(weed, "config-ref");
    set_conditional_writes(&sandbox, "yes");
    let root = sandbox.path().join("model");
    std::fs::create_dir_all(&root).unwrap();
    std::fs::write(root.join("weights.bin"), b"from python").unwrap();
    let uid = sandbox.python_ok(
        "import sys, audmodel\n\
         repo = audmodel.config.REPOSITORIES[0]\n\
         print(audmodel.publish(sys.argv[1], 'py', {}, '1.0.0', repository=repo))",
        &[root.to_str().unwrap()],
    );
    let loaded = sandbox.cli_ok(&["load", &uid]);
    assert_eq!(
        std::fs::read(std::path::Path::new(&loaded).join("weights.bin")).unwrap(),
        b"from python"
    );
    std::fs::write(root.join("weights.bin"), b"from rust").unwrap();
    let uid = sandbox.cli_ok(&[
        "publish",
        root.to_str().unwrap(),
        "--name",
        "rs",
        "--version",
        "1.0.0",
    ]);
    let loaded = sandbox.python_ok(
        "import sys, audmodel\nprint(audmodel.load(sys.argv[1]))",
        &[&uid],
    );
    assert_eq!(
        std::fs::read(std::path::Path::new(&loaded).join("weights.bin")).unwrap(),
        b"from rust"
    );
}

/// An Azure repository (Azurite): the probe says yes, `audmodel config`
/// names the create-only protocol and where the credentials come from
/// (the environment, then the entry's keys), never the key itself; a
/// `gcs` entry is read and named as well, and a service account file that
/// is missing is said.
#[test]
fn config_names_the_protocol_and_the_credentials_of_azure_and_gcs() {
    use audmodel_tests::azurite::{ACCOUNT, ACCOUNT_KEY, azurite};
    let Some(server) = azurite() else { return };
    let sandbox = Sandbox::azure(server, "config");
    assert_eq!(protocol(&sandbox), "create-only+compare-and-swap");
    let text = sandbox.cli_ok(&["config"]);
    assert!(
        text.contains("(azure: 127.0.0.1:"),
        "the backend and host: {text}"
    );
    assert!(
        text.contains("environment variable AZURE_STORAGE_ACCOUNT_KEY"),
        "{text}"
    );
    assert!(!text.contains(ACCOUNT_KEY), "the key was shown: {text}");
    let config: Value = serde_json::from_str(&sandbox.cli_ok(&["config", "--json"])).unwrap();
    assert_eq!(
        config["repositories"]["value"][0]["credentials"],
        "environment variable AZURE_STORAGE_ACCOUNT_KEY"
    );

    // The keys in the entry instead of the environment, and a GCS entry.
    let file = sandbox.path().join("home/.config/audmodel.yaml");
    let yaml = std::fs::read_to_string(&file).unwrap().replace(
        "    backend: azure\n",
        &format!(
            "    backend: azure\n    account_name: {ACCOUNT}\n    account_key: {ACCOUNT_KEY}\n  \
             - name: gcs-models\n    host: storage.googleapis.com\n    backend: gcs\n    \
             service_account: /nowhere/key.json\n    conditional_writes: yes\n"
        ),
    );
    std::fs::write(&file, yaml).unwrap();
    let out = sandbox
        .cli_command(&["config"])
        .env_remove("AZURE_STORAGE_ACCOUNT_NAME")
        .env_remove("AZURE_STORAGE_ACCOUNT_KEY")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}", describe_output(&out));
    assert!(
        text.contains("account_key of the repository entry"),
        "{text}"
    );
    assert!(
        text.contains("gcs-models: service_account of the repository entry"),
        "{text}"
    );
    // The service account's file is read when the store is built: a
    // missing one is named on the repository's line.
    assert!(
        text.contains("gcs-models: unknown (cannot configure GCS host 'storage.googleapis.com'")
            && text.contains("/nowhere/key.json"),
        "{text}"
    );
    assert!(!text.contains(ACCOUNT_KEY), "the key was shown: {text}");
}

fn describe_output(out: &std::process::Output) -> String {
    audmodel_tests::sandbox::describe(out)
}
