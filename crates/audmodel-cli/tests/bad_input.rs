//! Each bad input of CLI.md: a message naming the problem, a non-zero
//! status, and repositories and cache left exactly as they were.
#![allow(clippy::unwrap_used)]

use crate::support;

use support::Sandbox;

/// A sandbox with one published and loaded model.
fn published() -> Sandbox {
    let s = Sandbox::new();
    s.publish("1.0.0", "{sampling_rate: 16000}", &["--alias", "known"]);
    s.ok(&["load", "known"]);
    s
}

/// Runs `args`, expects `status` and every part in the message, and no change on disk.
fn refused(s: &Sandbox, args: &[&str], status: i32, parts: &[&str]) {
    let before = s.snapshot();
    let out = s.cmd(args).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(status), "{args:?}: {stderr}");
    assert!(
        out.stdout.is_empty(),
        "{args:?} printed {:?}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(stderr.starts_with("error: "), "{stderr}");
    assert!(
        !stderr.contains("panicked") && !stderr.contains("RUST_BACKTRACE"),
        "{stderr}"
    );
    for part in parts {
        assert!(stderr.contains(part), "{args:?}: '{part}' not in: {stderr}");
    }
    let after = s.snapshot();
    let changed: Vec<_> = before
        .keys()
        .chain(after.keys())
        .filter(|k| before.get(*k) != after.get(*k))
        .collect();
    assert!(
        changed.is_empty(),
        "{args:?} changed the repository or cache: {changed:?}"
    );
}

/// `publish MODEL --name torch --version 2.0.0` followed by `extra`.
fn publish_args(s: &Sandbox, extra: &[&str]) -> Vec<String> {
    let mut args: Vec<String> = [
        "publish",
        s.model().to_str().unwrap(),
        "--name",
        "torch",
        "--version",
        "2.0.0",
    ]
    .map(str::to_owned)
    .to_vec();
    args.extend(extra.iter().map(|a| (*a).to_owned()));
    args
}

fn refused_publish(s: &Sandbox, extra: &[&str], status: i32, parts: &[&str]) {
    let args = publish_args(s, extra);
    refused(
        s,
        &args.iter().map(String::as_str).collect::<Vec<_>>(),
        status,
        parts,
    );
}

#[test]
fn unknown_id() {
    let s = published();
    for command in ["load", "header", "meta", "url", "aliases", "author"] {
        refused(&s, &[command, "d4e9c65b-9.9.9"], 3, &["d4e9c65b-9.9.9"]);
    }
    refused(
        &s,
        &["alias", "resolve", "unknown-alias"],
        3,
        &["unknown-alias"],
    );
    refused(
        &s,
        &["alias", "set", "new", "d4e9c65b-9.9.9"],
        3,
        &["d4e9c65b-9.9.9"],
    );
}

#[test]
fn malformed_id() {
    let s = published();
    refused(&s, &["header", "not/an:id"], 5, &["not/an:id"]);
    refused(&s, &["load", "../../etc"], 5, &["../../etc"]);
}

#[test]
fn params_file_missing_not_a_mapping_or_broken() {
    let s = published();
    let missing = s.path("missing.yaml");
    refused_publish(
        &s,
        &["--params-file", missing.to_str().unwrap()],
        3,
        &[missing.to_str().unwrap()],
    );
    let list = s.path("list.yaml");
    std::fs::write(&list, "- a\n- b\n").unwrap();
    refused_publish(
        &s,
        &["--params-file", list.to_str().unwrap()],
        5,
        &[list.to_str().unwrap(), "list"],
    );
    let broken = s.path("broken.yaml");
    std::fs::write(&broken, "a: [1, 2\n").unwrap();
    refused_publish(
        &s,
        &["--params-file", broken.to_str().unwrap()],
        5,
        &[broken.to_str().unwrap(), "YAML"],
    );
    refused_publish(&s, &["--params", "a: ["], 5, &["a: [", "YAML"]);
    refused_publish(&s, &["--meta", "[1, 2]"], 5, &["[1, 2]", "list"]);
    refused(
        &s,
        &["update-meta", "known", "--meta", "{a: "],
        5,
        &["{a: "],
    );
}

#[test]
fn bad_version_alias_and_date() {
    let s = published();
    let args = [
        "publish",
        s.model().to_str().unwrap(),
        "--name",
        "torch",
        "--version",
        "1.x",
    ]
    .map(str::to_owned);
    refused(&s, &args.each_ref().map(String::as_str), 5, &["1.x"]);
    refused_publish(&s, &["--alias", "a/b"], 5, &["a/b"]);
    refused_publish(&s, &["--alias", "d4e9c65b-1.0.0"], 5, &["d4e9c65b-1.0.0"]);
    refused_publish(&s, &["--date", "2024-13-01"], 2, &["2024-13-01"]);
    refused_publish(&s, &["--repository", "nowhere"], 5, &["nowhere"]);
}

#[test]
fn existing_uid() {
    let s = published();
    let model = s.model();
    let args = [
        "publish",
        model.to_str().unwrap(),
        "--name",
        "torch",
        "--subgroup",
        "audmodel.dummy.cnn",
        "--params",
        "{sampling_rate: 16000}",
        "--version",
        "1.0.0",
    ];
    let uid = s.ok(&["alias", "resolve", "known"]);
    refused(&s, &args, 4, &[&uid, "exists"]);
}

#[test]
fn missing_root_or_root_is_a_file() {
    let s = published();
    let missing = s.path("no-such-folder");
    let args = [
        "publish",
        missing.to_str().unwrap(),
        "--name",
        "torch",
        "--version",
        "2.0.0",
    ];
    refused(&s, &args, 3, &[missing.to_str().unwrap()]);
    let file = s.model().join("weights.bin");
    let args = [
        "publish",
        file.to_str().unwrap(),
        "--name",
        "torch",
        "--version",
        "2.0.0",
    ];
    refused(&s, &args, 5, &[file.to_str().unwrap()]);
}

#[test]
fn usage_errors_exit_with_2() {
    let s = published();
    refused_publish(&s, &["--compression", "10"], 2, &["10"]);
    refused_publish(
        &s,
        &["--params", "a: 1", "--params-file", "p.yaml"],
        2,
        &["--params", "--params-file"],
    );
    refused_publish(
        &s,
        &["--meta", "a: 1", "--meta-file", "m.yaml"],
        2,
        &["--meta"],
    );
    refused(&s, &["update-meta", "known"], 2, &["--meta"]);
    refused(
        &s,
        &["uid", "--name", "torch", "--legacy"],
        2,
        &["--version"],
    );
    refused(&s, &["url", "known", "--type", "zip"], 2, &["zip"]);
    refused(
        &s,
        &["load", "known", "--lock-timeout", "soon"],
        2,
        &["soon"],
    );
    refused(&s, &["load", "known", "--lock-timeout", "-1"], 2, &["-1"]);
}

#[test]
fn broken_configuration_is_named() {
    let s = published();
    let config = s.path("home/.config/audmodel.yaml");
    std::fs::write(&config, "repositories: []\n").unwrap();
    refused(
        &s,
        &["load", "known"],
        5,
        &[config.to_str().unwrap(), "repositories"],
    );
}

/// A fractional `--lock-timeout` bounds the wait for a load held by
/// another process: the load gives up with status 7 naming the lock.
#[test]
fn a_fractional_lock_timeout_bounds_the_wait() {
    let s = published();
    // Not loaded yet: a load must take the lock.
    let uid = s.publish("2.0.0", "{sampling_rate: 16000}", &[]);
    let uid = uid.trim();
    let (sid, version) = uid.split_once('-').unwrap();
    let dir = s.cache().join(sid);
    std::fs::create_dir_all(&dir).unwrap();
    let held = std::fs::File::create(dir.join(format!(".{version}.lock"))).unwrap();
    held.lock().unwrap();
    let out = s
        .cmd(&["load", uid, "--lock-timeout", "0.5"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(7), "{stderr}");
    assert!(stderr.contains(&format!(".{version}.lock")), "{stderr}");
    held.unlock().unwrap();
    assert!(s.ok(&["load", uid, "--lock-timeout", "0.5"]).contains(sid));
}
