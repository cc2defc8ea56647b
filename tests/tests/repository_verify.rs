//! `audmodel verify` on a file-system repository with models damaged by
//! hand: a changed byte in an archive, a truncated archive, metadata that
//! is no YAML; sound models pass, and nothing is cached.
#![allow(clippy::unwrap_used)]

use std::path::PathBuf;

use audmodel_tests::model_files::write_random;
use audmodel_tests::sandbox::{Sandbox, describe};

fn publish(sandbox: &Sandbox, version: &str) -> String {
    let root = sandbox.scratch(&format!("src-{version}"));
    write_random(&root.join("weights.bin"), 200_000, 3);
    std::fs::write(root.join("conf.yaml"), b"layers: 4\n").unwrap();
    sandbox.cli_ok(&[
        "publish",
        root.to_str().unwrap(),
        "--name",
        "checked",
        "--version",
        version,
        "--compression",
        "0",
    ])
}

fn damaged(text: &str) -> Vec<String> {
    text.lines()
        .filter_map(|l| l.strip_prefix("damaged "))
        .map(|l| l.split(' ').next().unwrap().to_owned())
        .collect()
}

#[test]
fn verify_finds_exactly_the_damaged_models_of_a_repository() {
    let sandbox = Sandbox::file_system();
    let uids: Vec<String> = ["1.0.0", "2.0.0", "3.0.0", "4.0.0"]
        .iter()
        .map(|v| publish(&sandbox, v))
        .collect();
    let archive = |uid: &str| PathBuf::from(sandbox.cli_ok(&["url", uid]));
    // 1: a changed byte in the middle of an entry's data.
    let mut bytes = std::fs::read(archive(&uids[1])).unwrap();
    bytes[100_000] ^= 0x55;
    std::fs::write(archive(&uids[1]), bytes).unwrap();
    // 2: cut short, so its central directory is gone.
    let bytes = std::fs::read(archive(&uids[2])).unwrap();
    std::fs::write(archive(&uids[2]), &bytes[..bytes.len() / 2]).unwrap();
    // 3: metadata that does not parse.
    let meta = PathBuf::from(sandbox.cli_ok(&["url", &uids[3], "--type", "meta"]));
    std::fs::write(meta, b"accuracy: [0.9\n").unwrap();

    let out = sandbox.cli(&["verify", "--all"]);
    assert_eq!(out.status.code(), Some(8), "{}", describe(&out));
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(damaged(&text), uids[1..], "{text}");
    assert!(text.ends_with("4 checked, 3 damaged\n"), "{text}");
    assert!(
        text.contains("weights.bin"),
        "the CRC names the entry: {text}"
    );
    assert!(text.contains("metadata"), "{text}");

    let out = sandbox.cli(&["verify", &uids[0]]);
    assert!(out.status.success(), "{}", describe(&out));
    let out = sandbox.cli(&["verify", &uids[1], "--json"]);
    assert_eq!(out.status.code(), Some(8), "{}", describe(&out));
    let answer: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(answer["damaged"], 1);
    let out = sandbox.cli(&["verify", "--all", "--repository", "nowhere"]);
    assert_eq!(out.status.code(), Some(5), "{}", describe(&out));
    // Verifying caches nothing and leaves no scratch folder.
    let cache: Vec<String> = std::fs::read_dir(sandbox.cache())
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".audmodel-verify"))
        .collect();
    assert!(cache.is_empty(), "{cache:?}");
    let listed = sandbox.cli_ok(&["cache", "ls"]);
    assert!(!listed.contains("complete"), "{listed}");
}
