//! Ctrl+C during `publish`: exit status 130, a one-line message, and no
//! file of the model left in the repository.
#![allow(clippy::unwrap_used)]

mod support;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use support::Sandbox;

#[test]
fn ctrl_c_during_publish_removes_what_was_put() {
    let s = Sandbox::new();
    // Random bytes at compression 9: packing takes long enough to interrupt.
    let mut file = std::fs::File::create(s.model().join("big.bin")).unwrap();
    let mut state = 0x9e37_79b9_7f4a_7c15_u64;
    let mut chunk = vec![0u8; 1 << 20];
    for _ in 0..48 {
        for b in chunk.iter_mut() {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            *b = state as u8;
        }
        file.write_all(&chunk).unwrap();
    }
    drop(file);
    let model = s.model();
    let mut cmd = s.std_cmd(&[
        "publish",
        model.to_str().unwrap(),
        "--name",
        "big",
        "--version",
        "1.0.0",
        "--compression",
        "9",
    ]);
    let mut child = cmd
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // The signal goes only once packing has begun: by then the handler is
    // installed (before the archive is created) and the publish has seconds
    // of packing ahead, so the signal lands in the middle of it.
    let deadline = Instant::now() + Duration::from_secs(60);
    let archive = loop {
        if let Some(archive) = archive_being_packed(s.dir.path(), &model) {
            break archive;
        }
        if let Some(status) = child.try_wait().unwrap() {
            let out = child.wait_with_output().unwrap();
            panic!(
                "publish ended ({status}) before it began packing:\n{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        if Instant::now() > deadline {
            // Our own child, by its handle.
            let _ = child.kill();
            let _ = child.wait();
            panic!("publish did not begin packing within 60 s: no archive appeared");
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let killed = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success(),
        "publish finished although interrupted while packing {}: {stderr}",
        archive.display()
    );
    assert_eq!(out.status.code(), Some(130), "{stderr}");
    assert!(
        stderr.starts_with("error: interrupted") && stderr.lines().count() == 1,
        "{stderr}"
    );
    let left: Vec<_> = s.snapshot().into_keys().collect();
    assert!(left.is_empty(), "left in the repository or cache: {left:?}");
}

/// A non-empty `.zip` file anywhere in the sandbox but in the model folder:
/// the archive a publish is packing (in its scratch folder below `TMPDIR`,
/// which is the sandbox).
fn archive_being_packed(dir: &Path, model: &Path) -> Option<PathBuf> {
    for entry in std::fs::read_dir(dir).ok()?.flatten() {
        let path = entry.path();
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        if kind.is_dir() && path != model {
            if let Some(found) = archive_being_packed(&path, model) {
                return Some(found);
            }
        } else if kind.is_file()
            && path.extension().is_some_and(|e| e == "zip")
            && entry.metadata().is_ok_and(|m| m.len() > 0)
        {
            return Some(path);
        }
    }
    None
}
