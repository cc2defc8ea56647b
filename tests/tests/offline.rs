//! `--offline` and `AUDMODEL_OFFLINE=1`: answers from the cache alone with
//! the only repository unreachable (S3 on a closed port of 127.0.0.1), and
//! a clear error, at once, where the cache cannot answer.
#![allow(clippy::unwrap_used)]

use std::path::Path;

use audmodel_tests::model_files::write_random;
use audmodel_tests::sandbox::{Sandbox, describe};

fn publish(sandbox: &Sandbox, version: &str, alias: Option<&str>) -> String {
    let root = sandbox.scratch(&format!("src-{version}"));
    write_random(&root.join("weights.bin"), 10_000, 5);
    let mut args = vec![
        "publish",
        root.to_str().unwrap(),
        "--name",
        "away",
        "--version",
        version,
        "--meta",
        "{accuracy: 0.9}",
    ];
    if let Some(alias) = alias {
        args.extend(["--alias", alias]);
    }
    sandbox.cli_ok(&args)
}

/// A port nothing listens on: bound, then closed again.
fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

#[test]
fn offline_answers_from_the_cache_alone() {
    let sandbox = Sandbox::file_system();
    let v1 = publish(&sandbox, "1.0.0", Some("away-cnn"));
    let v2 = publish(&sandbox, "2.0.0", None);
    let sid = &v1[..8];
    let folder = sandbox.cli_ok(&["load", &v1]);
    sandbox.cli_ok(&["meta", &v1]);
    assert_eq!(sandbox.cli_ok(&["alias", "resolve", "away-cnn"]), v1);
    // v2 was only looked up: its header copy is cached, not its model.
    let header2 = sandbox.cli_ok(&["header", &v2]);

    let config = sandbox.path().join("home/.config/audmodel.yaml");
    std::fs::write(
        &config,
        format!(
            "cache_root: {}\nrepositories:\n  - name: gone\n    host: 127.0.0.1:{}\n    backend: s3\n",
            sandbox.cache().display(),
            closed_port()
        ),
    )
    .unwrap();

    assert_eq!(sandbox.cli_ok(&["--offline", "load", &v1]), folder);
    assert_eq!(sandbox.cli_ok(&["load", "away-cnn", "--offline"]), folder);
    assert!(Path::new(&folder).join("weights.bin").is_file());
    assert_eq!(sandbox.cli_ok(&["header", &v2, "--offline"]), header2);
    assert_eq!(sandbox.cli_ok(&["meta", &v1, "--offline"]), "accuracy: 0.9");
    assert_eq!(
        sandbox.cli_ok(&["alias", "resolve", "away-cnn", "--offline"]),
        v1
    );
    let out = sandbox.cli(&["versions", sid, "--offline"]);
    assert!(out.status.success(), "{}", describe(&out));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "1.0.0\n2.0.0\n");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("only the versions in the cache"),
        "{}",
        describe(&out)
    );
    assert_eq!(
        sandbox.cli_ok(&["latest-version", sid, "--offline"]),
        "2.0.0"
    );
    // The environment variable does the same.
    let out = sandbox
        .cli_command(&["load", &v1])
        .env("AUDMODEL_OFFLINE", "1")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", describe(&out));
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), folder);

    // What the cache cannot answer fails with status 9 and says why; a
    // short ID is the latest cached version (2.0.0, of which only the
    // header is cached), as `latest-version` says.
    for args in [
        vec!["load", v2.as_str()],
        vec!["load", sid],
        vec!["meta", v2.as_str()],
        vec!["alias", "resolve", "never-seen"],
        vec!["exists", v1.as_str()],
        vec!["ls"],
    ] {
        let mut with = args.clone();
        with.push("--offline");
        let out = sandbox.cli(&with);
        assert_eq!(out.status.code(), Some(9), "{with:?}: {}", describe(&out));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.starts_with("error: offline: "), "{with:?}: {err}");
    }
    // Nothing was loaded offline, and the repository really is unreachable.
    assert!(!sandbox.cache().join(sid).join("2.0.0").exists());
    let out = sandbox.cli(&["load", &v2, "--lock-timeout", "5"]);
    assert_eq!(out.status.code(), Some(6), "{}", describe(&out));
}
