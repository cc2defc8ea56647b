//! Every command end to end on file-system repositories, through the built binary.
#![allow(clippy::unwrap_used)]

use crate::support;

use serde_json::json;
use support::Sandbox;

const PARAMS: &str = "{model: cnn10, data: emodb, feature: melspec, sampling_rate: 16000}";

#[test]
fn uid_prints_short_id_uid_and_legacy_uid() {
    let s = Sandbox::new();
    let file = s.path("params.yaml");
    std::fs::write(
        &file,
        "model: cnn10\ndata: emodb\nfeature: melspec\nsampling_rate: 16000\n",
    )
    .unwrap();
    let file = file.to_str().unwrap();
    let base = [
        "uid",
        "--name",
        "torch",
        "--subgroup",
        "audmodel.dummy.cnn",
        "--params-file",
        file,
    ];
    assert_eq!(
        s.ok(&[&base[..], &["--version", "3.0.0"]].concat()),
        "d4e9c65b-3.0.0"
    );
    assert_eq!(s.ok(&base), "d4e9c65b");
    // Inline YAML keeps Python types: 16000 is an int, '16000' a str.
    let inline = ["uid", "--name", "torch", "--subgroup", "audmodel.dummy.cnn"];
    assert_eq!(
        s.ok(&[&inline[..], &["--params", PARAMS]].concat()),
        "d4e9c65b"
    );
    let as_str = "{model: cnn10, data: emodb, feature: melspec, sampling_rate: '16000'}";
    assert_ne!(
        s.ok(&[&inline[..], &["--params", as_str]].concat()),
        "d4e9c65b"
    );
    let legacy = [
        "uid",
        "--name",
        "test",
        "--subgroup",
        "audmodel.dummy.cnn",
        "--params",
        PARAMS,
        "--version",
        "1.0.0",
        "--legacy",
    ];
    assert_eq!(s.ok(&legacy), "65206614-dbb7-d61a-b00c-153db7b525c0");
    assert_eq!(s.json(&base), json!("d4e9c65b"));
}

#[test]
fn publish_load_and_every_lookup() {
    let s = Sandbox::new();
    let uid = s.publish(
        "1.0.0",
        PARAMS,
        &[
            "--alias",
            "my-cnn",
            "--author",
            "ada",
            "--date",
            "2024-03-01",
            "--meta",
            "{acc: 0.5, tags: [a, b]}",
        ],
    );
    assert_eq!(uid, "d4e9c65b-1.0.0");
    let second = s.publish(
        "2.0.0",
        PARAMS,
        &["--repository", "second", "--compression", "0"],
    );
    assert_eq!(second, "d4e9c65b-2.0.0");

    // load by alias and by short ID (the latest version).
    let folder = s.ok(&["load", "my-cnn"]);
    assert!(folder.starts_with(s.cache().to_str().unwrap()), "{folder}");
    assert_eq!(
        std::fs::read(format!("{folder}/weights.bin")).unwrap(),
        b"0123456789"
    );
    assert_eq!(
        std::fs::read(format!("{folder}/sub/config.json")).unwrap(),
        b"{}"
    );
    assert_eq!(
        s.json(&["load", "d4e9c65b"]),
        json!(s.ok(&["load", &second]))
    );

    // header: YAML byte for byte the stored header file; JSON with the date as a string.
    let header_file = s.ok(&["url", &uid, "--type", "header"]);
    let yaml = s.cmd(&["header", &uid]).output().unwrap().stdout;
    assert_eq!(yaml, std::fs::read(&header_file).unwrap());
    assert_eq!(
        s.json(&["header", "my-cnn"]),
        json!({
            "author": "ada", "date": "2024-03-01", "name": "torch",
            "parameters": {"model": "cnn10", "data": "emodb", "feature": "melspec", "sampling_rate": 16000},
            "subgroup": "audmodel.dummy.cnn", "version": "1.0.0",
        })
    );
    assert_eq!(s.ok(&["author", &uid]), "ada");
    assert_eq!(s.ok(&["date", &uid]), "2024-03-01");
    assert_eq!(s.ok(&["name", &uid]), "torch");
    assert_eq!(s.ok(&["subgroup", &uid]), "audmodel.dummy.cnn");
    assert_eq!(s.ok(&["version", "d4e9c65b"]), "2.0.0");
    assert_eq!(s.json(&["parameters", &uid])["sampling_rate"], json!(16000));
    assert!(s.ok(&["parameters", &uid]).contains("sampling_rate: 16000"));

    // meta and update-meta.
    assert_eq!(
        s.json(&["meta", &uid]),
        json!({"acc": 0.5, "tags": ["a", "b"]})
    );
    assert_eq!(s.json(&["meta", &second]), json!({}));
    assert_eq!(s.ok(&["meta", &second]), "{}");
    let merged = s.json(&["update-meta", &uid, "--meta", "{acc: 0.7, n: 3}"]);
    assert_eq!(merged, json!({"acc": 0.7, "tags": ["a", "b"], "n": 3}));
    let meta_file = s.path("meta.yaml");
    std::fs::write(&meta_file, "only: true\n").unwrap();
    let replaced = s.json(&[
        "update-meta",
        &uid,
        "--meta-file",
        meta_file.to_str().unwrap(),
        "--replace",
    ]);
    assert_eq!(replaced, json!({"only": true}));
    assert_eq!(s.json(&["meta", &uid]), json!({"only": true}));

    // versions over both repositories, latest, repository, url.
    assert_eq!(s.ok(&["versions", "d4e9c65b"]), "1.0.0\n2.0.0");
    assert_eq!(s.json(&["versions", "d4e9c65b"]), json!(["1.0.0", "2.0.0"]));
    assert_eq!(s.ok(&["latest-version", "d4e9c65b"]), "2.0.0");
    assert_eq!(s.ok(&["repository", &uid]), "first");
    assert_eq!(s.json(&["repository", &second]), json!("second"));
    let archive = s.ok(&["url", &uid]);
    assert!(
        archive.ends_with(".zip") && std::path::Path::new(&archive).is_file(),
        "{archive}"
    );
    assert!(std::path::Path::new(&s.ok(&["url", &uid, "--type", "meta"])).is_file());

    // aliases.
    assert_eq!(s.ok(&["alias", "resolve", "my-cnn"]), uid);
    assert_eq!(s.ok(&["alias", "set", "best", &second]), "");
    assert_eq!(s.json(&["alias", "resolve", "best"]), json!(second));
    assert_eq!(s.json(&["aliases", &uid]), json!(["my-cnn"]));
    s.ok(&["alias", "set", "my-cnn", &second]);
    assert_eq!(s.ok(&["aliases", &uid]), "");
    assert_eq!(s.ok(&["aliases", &second]), "best\nmy-cnn");
}

#[test]
fn exists_answers_with_status_and_text() {
    let s = Sandbox::new();
    let uid = s.publish("1.0.0", PARAMS, &[]);
    s.cmd(&["exists", &uid]).assert().code(0).stdout("true\n");
    s.cmd(&["exists", "d4e9c65b"])
        .assert()
        .code(0)
        .stdout("true\n");
    s.cmd(&["exists", "d4e9c65b-9.0.0"])
        .assert()
        .code(1)
        .stdout("false\n")
        .stderr("");
    s.cmd(&["--json", "exists", "d4e9c65b-9.0.0"])
        .assert()
        .code(1)
        .stdout("false\n");
    s.cmd(&["exists", &uid, "--json"])
        .assert()
        .code(0)
        .stdout("true\n");
}

#[test]
fn ls_lists_and_filters_models() {
    let s = Sandbox::new();
    s.publish("1.0.0", PARAMS, &[]);
    s.publish(
        "1.0.0",
        "{sampling_rate: 8000}",
        &["--repository", "second"],
    );
    let model = s.model();
    s.ok(&[
        "publish",
        model.to_str().unwrap(),
        "--name",
        "other",
        "--version",
        "1.0.0",
    ]);
    let all = s.json(&["ls"]);
    assert_eq!(all.as_array().unwrap().len(), 3);
    let rate = s.json(&["ls", "--param", "sampling_rate=16000"]);
    assert_eq!(rate.as_array().unwrap().len(), 1);
    assert_eq!(rate[0]["uid"], json!("d4e9c65b-1.0.0"));
    assert_eq!(rate[0]["repository"], json!("first"));
    assert_eq!(rate[0]["parameters"]["sampling_rate"], json!(16000));
    // The value is YAML: '16000' (a string) matches nothing.
    assert_eq!(
        s.json(&["ls", "--param", "sampling_rate='16000'"]),
        json!([])
    );
    assert_eq!(
        s.json(&["ls", "--name", "other"]).as_array().unwrap().len(),
        1
    );
    let sub = s.json(&["ls", "--subgroup", "audmodel.dummy"]);
    assert_eq!(sub.as_array().unwrap().len(), 2);
    let table = s.ok(&["ls", "--subgroup", "audmodel.dummy"]);
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(lines.len(), 3, "{table}");
    assert!(lines[0].starts_with("UID") && lines[0].contains("REPOSITORY"));
    // Aligned: every column starts at the same offset.
    let col = lines[0].find("VERSION").unwrap();
    assert!(
        lines[1..].iter().all(|l| &l[col..col + 5] == "1.0.0"),
        "{table}"
    );
    assert_eq!(s.ok(&["ls", "--name", "nothing"]), "");
}

#[test]
fn config_names_values_and_sources() {
    let s = Sandbox::new();
    let config = s.json(&["config"]);
    assert_eq!(
        config["cache_root"]["value"],
        json!(s.cache().to_str().unwrap())
    );
    assert_eq!(
        config["cache_root"]["source"],
        json!({"kind": "env", "variable": "AUDMODEL_CACHE_ROOT"})
    );
    assert_eq!(config["repositories"]["value"][1]["name"], json!("second"));
    assert_eq!(config["repositories"]["source"]["kind"], json!("file"));
    // Without a file: the built-in default, a local file-system repository.
    let bare = tempfile::tempdir().unwrap();
    let out = s
        .cmd(&["config", "--json"])
        .env("HOME", bare.path())
        .env_remove("AUDMODEL_CACHE_ROOT")
        .output()
        .unwrap();
    let config: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(config["repositories"]["source"], json!({"kind": "default"}));
    assert_eq!(
        config["repositories"]["value"][0]["backend"],
        json!("file-system")
    );
    assert_eq!(config["cache_root"]["source"], json!({"kind": "default"}));
    assert!(
        s.ok(&["config"])
            .contains("environment variable AUDMODEL_CACHE_ROOT")
    );
}

/// A fresh machine (no configuration, no repository folder), as `cargo
/// xtask demo` meets it: the embedded default reads as an empty repository
/// without making its folder, and the first publish makes it.
#[test]
fn a_fresh_machine_reads_the_embedded_default_as_empty_until_the_first_publish() {
    let s = Sandbox::new();
    let home = tempfile::tempdir().unwrap();
    let root = home.path().join("audmodel-repository/models");
    let run = |args: &[&str]| {
        s.cmd(args)
            .env("HOME", home.path())
            .env_remove("AUDMODEL_CACHE_ROOT")
            .output()
            .unwrap()
    };
    let text = |out: &std::process::Output| String::from_utf8_lossy(&out.stdout).trim().to_owned();
    let exists = run(&["exists", "d4e9c65b-1.0.0"]);
    assert_eq!(exists.status.code(), Some(1), "{exists:?}");
    let ls = run(&["ls"]);
    assert!(ls.status.success() && text(&ls).is_empty(), "{ls:?}");
    let config = run(&["config"]);
    assert!(text(&config).contains("models: locked"), "{config:?}");
    assert!(!root.exists(), "a read made the folder");
    let model = s.model();
    let published = run(&[
        "publish",
        model.to_str().unwrap(),
        "--name",
        "torch",
        "--version",
        "1.0.0",
    ]);
    assert!(published.status.success(), "{published:?}");
    assert!(root.is_dir());
    let exists = run(&["exists", &text(&published)]);
    assert_eq!(exists.status.code(), Some(0), "{exists:?}");
}

/// Every file-system repository takes turns under locks, and `config`
/// says so; offline it says it cannot tell, without opening a repository.
#[test]
fn config_names_the_write_protocol_of_each_repository() {
    let s = Sandbox::new();
    let config = s.json(&["config"]);
    for repository in config["repositories"]["value"].as_array().unwrap() {
        assert_eq!(repository["protocol"]["name"], json!("locked"), "{config}");
    }
    let text = s.ok(&["config"]);
    assert!(text.contains("write protocols:\n"), "{text}");
    assert!(
        text.contains(": locked turns (publish and updates take turns under locks)"),
        "{text}"
    );
    let offline = s.ok(&["--offline", "config"]);
    assert!(
        offline.contains(": unknown (offline: no repository is opened)"),
        "{offline}"
    );
}

#[test]
fn quiet_on_standard_error_when_not_a_terminal() {
    let s = Sandbox::new();
    let model = s.model();
    s.cmd(&[
        "publish",
        model.to_str().unwrap(),
        "--name",
        "torch",
        "--version",
        "1.0.0",
    ])
    .assert()
    .success()
    .stderr("");
    s.cmd(&["load", "--verbose", "d0656de9"])
        .assert()
        .success()
        .stderr(predicates::str::contains("repositories"));
    s.cmd(&["load", "--quiet", "d0656de9"])
        .assert()
        .success()
        .stderr("");
}

#[test]
fn help_has_an_example_per_command_and_completions_work() {
    let s = Sandbox::new();
    let help = s.ok(&["--help"]);
    assert!(
        help.contains("Exit status") && help.contains("130"),
        "{help}"
    );
    for command in [
        "publish",
        "load",
        "header",
        "meta",
        "update-meta",
        "versions",
        "latest-version",
        "exists",
        "url",
        "uid",
        "aliases",
        "repository",
        "author",
        "date",
        "name",
        "parameters",
        "subgroup",
        "version",
        "ls",
        "config",
        "completions",
    ] {
        let text = s.ok(&[command, "--help"]);
        assert!(
            text.contains(&format!("audmodel {command}")),
            "{command}: {text}"
        );
    }
    for command in ["set", "resolve"] {
        assert!(s.ok(&["alias", command, "--help"]).contains("Example"));
    }
    for shell in ["bash", "zsh", "fish"] {
        assert!(
            s.ok(&["completions", shell]).contains("update-meta"),
            "{shell}"
        );
    }
}

#[test]
fn json_keeps_the_parameters_order_so_legacy_uids_round_trip() {
    let s = Sandbox::new();
    let params = "{z: 1, a: [x, y], m: 0.5}";
    let uid = s.publish("1.0.0", params, &[]);
    let text = s.ok(&["parameters", &uid, "--json"]);
    let keys: Vec<usize> = ["\"z\"", "\"a\"", "\"m\""]
        .iter()
        .map(|k| text.find(k).unwrap())
        .collect();
    assert!(keys.is_sorted(), "{text}");
    let legacy = |params: &str| {
        s.ok(&[
            "uid",
            "--name",
            "torch",
            "--subgroup",
            "audmodel.dummy.cnn",
            "--params",
            params,
            "--version",
            "1.0.0",
            "--legacy",
        ])
    };
    assert_eq!(legacy(&text), legacy(params));
    assert_ne!(legacy("{a: [x, y], m: 0.5, z: 1}"), legacy(params));
}
