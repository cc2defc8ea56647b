//! Test helpers shared by the unit tests (included by path) and the
//! integration tests: folder trees and checks by the system's Python.
#![allow(dead_code, unreachable_pub, clippy::unwrap_used, missing_docs)]

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;
use std::process::Command;

// Whether a test may skip for want of python3 or mkfifo: the test support
// crate's one decision (fail under CI), shared by path, because depending on
// `audmodel-tests` would build the S3 backend for this crate's tests.
#[path = "../../../../tests/src/require.rs"]
pub mod require;

/// Writes `files` (relative name, content) below `root`.
pub fn write_tree(root: &Path, files: &[(&str, Vec<u8>)]) {
    for (name, content) in files {
        let path = root.join(name);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, content).unwrap();
    }
}

/// Every file and folder below `root`: relative name to content (`None` for folders).
pub fn read_tree(root: &Path) -> BTreeMap<String, Option<Vec<u8>>> {
    fn visit(dir: &Path, prefix: &str, out: &mut BTreeMap<String, Option<Vec<u8>>>) {
        for entry in fs::read_dir(dir).unwrap() {
            let entry = entry.unwrap();
            let name = format!("{prefix}{}", entry.file_name().to_str().unwrap());
            if entry.file_type().unwrap().is_dir() {
                out.insert(format!("{name}/"), None);
                visit(&entry.path(), &format!("{name}/"), out);
            } else {
                out.insert(name, Some(fs::read(entry.path()).unwrap()));
            }
        }
    }
    let mut out = BTreeMap::new();
    visit(root, "", &mut out);
    out
}

/// Bytes that deflate cannot shrink (xorshift).
pub fn noise(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

/// `python3`, or `None` after printing why the test skips its Python part.
///
/// # Panics
/// Under CI when there is no `python3` (see [`require`]).
pub fn python() -> Option<Command> {
    match Command::new("python3").arg("--version").output() {
        Ok(out) if out.status.success() => Some(Command::new("python3")),
        _ => {
            require::missing(&require::Missing::new(
                "python3 (for the check by Python's zipfile)",
                "install Python 3 so that `python3` is on PATH",
            ));
            None
        }
    }
}

/// Runs a Python script with arguments; panics with its output on failure.
pub fn run_python(script: &str, args: &[&Path]) -> Option<String> {
    let mut cmd = python()?;
    let out = cmd.arg("-c").arg(script).args(args).output().unwrap();
    assert!(
        out.status.success(),
        "python failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    Some(String::from_utf8(out.stdout).unwrap())
}

/// Python's `zipfile` reads `archive` without complaint and finds exactly
/// the files below `root`, in sorted order, with their contents.
pub fn python_reads_like_folder(archive: &Path, root: &Path) {
    const SCRIPT: &str = r#"
import os, sys, zipfile
archive, root = sys.argv[1], sys.argv[2]
files = sorted(
    os.path.relpath(os.path.join(d, f), root).replace(os.sep, "/")
    for d, _, fs in os.walk(root) for f in fs
)
with zipfile.ZipFile(archive) as z:
    assert z.testzip() is None, z.testzip()
    names = z.namelist()
    assert names == files, (names, files)
    for name in names:
        with open(os.path.join(root, name), "rb") as f:
            assert z.read(name) == f.read(), name
print("ok", len(names))
"#;
    if let Some(out) = run_python(SCRIPT, &[archive, root]) {
        assert!(out.starts_with("ok"), "{out}");
    }
}
