//! Hostile YAML planted in a repository's metadata and header files: a
//! "billion laughs" of nested aliases (nine lists of nine references, nine
//! levels deep: 9^9 strings once expanded, a few hundred bytes on disk),
//! deep nesting and Python object tags. PyYAML shares aliased objects, so
//! the reference reads the bomb in an instant; `audmodel` must refuse each
//! file with an error instead of exhausting memory or aborting.
#![allow(clippy::unwrap_used)]

use std::process::Command;

use audmodel_tests::sandbox::{Sandbox, describe};

/// Address space allowed to the CLI (KiB): a parser that expands aliases
/// runs out of it in a second instead of taking the machine's memory.
const MEMORY_LIMIT_KIB: u64 = 2 << 20;

fn billion_laughs() -> String {
    let names = ["a", "b", "c", "d", "e", "f", "g", "h", "i"];
    let mut text = format!("{}: &{} [{}]\n", names[0], names[0], ["lol"; 9].join(", "));
    for pair in names.windows(2) {
        let refs = vec![format!("*{}", pair[0]); 9].join(", ");
        text.push_str(&format!("{}: &{} [{refs}]\n", pair[1], pair[1]));
    }
    text
}

/// `audmodel ARGS` under the memory limit (through the shell's `ulimit`).
fn limited(sandbox: &Sandbox, args: &[&str]) -> std::process::Output {
    let bin = sandbox.cli_command(&[]).get_program().to_owned();
    let mut command = Command::new("sh");
    command
        .arg("-c")
        .arg(format!("ulimit -v {MEMORY_LIMIT_KIB}; exec \"$0\" \"$@\""))
        .arg(bin)
        .args(args);
    for (key, value) in sandbox.env() {
        command.env(key, value);
    }
    command.output().unwrap()
}

#[test]
fn hostile_yaml_in_metadata_and_headers_is_refused_without_exhausting_memory() {
    let sandbox = Sandbox::file_system();
    let root = sandbox.path().join("model");
    std::fs::create_dir_all(&root).unwrap();
    std::fs::write(root.join("weights.bin"), b"0123").unwrap();
    let deep = format!("a: {}{}\n", "[".repeat(100_000), "]".repeat(100_000));
    let cases = [
        ("billion laughs", billion_laughs()),
        ("deep nesting", deep),
        (
            "Python object tag",
            "a: !!python/object/apply:os.system ['echo owned']\n".to_owned(),
        ),
    ];
    for (k, (what, text)) in cases.iter().enumerate() {
        let version = format!("1.0.{k}");
        let uid = sandbox.cli_ok(&[
            "publish",
            root.to_str().unwrap(),
            "--name",
            "yaml",
            "--version",
            &version,
        ]);
        let sid = &uid[..8];
        let dir = sandbox.repository().join(format!("_uid/{sid}/{version}"));
        for (file, command) in [("meta", "meta"), ("header", "header")] {
            let path = dir.join(format!("{sid}-{version}.{file}.yaml"));
            let original = std::fs::read(&path).unwrap();
            std::fs::write(&path, text).unwrap();
            // A fresh cache: the header copy would hide the planted header.
            let _ = std::fs::remove_dir_all(sandbox.cache().join(sid));
            let out = limited(&sandbox, &[command, &uid]);
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert!(
                // An error exit (not a signal, not a panic's 101).
                out.status.code().is_some_and(|c| c != 0 && c != 101),
                "{what} in the {file}: {}",
                describe(&out)
            );
            assert!(
                stderr.contains("YAML") && !stderr.contains("panicked"),
                "{what} in the {file}: {}",
                describe(&out)
            );
            println!("{what} in the {file}: {}", stderr.trim());
            std::fs::write(&path, original).unwrap();
        }
    }
}
