//! Ctrl+C during `publish` and `load`: exit status 130, a one-line
//! message, and nothing of the model left half way in the repository or
//! the cache.
#![allow(clippy::unwrap_used)]

use crate::support;

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

/// Ctrl+C while a load unpacks: status 130, one line, the `{V}~` folder it
/// was unpacking into removed; a second loader waiting on the lock is not
/// disturbed and loads the model whole.
#[test]
fn ctrl_c_during_load_removes_the_partial_folder_and_spares_a_waiting_loader() {
    let s = Sandbox::new();
    // Many small files: unpacking them takes a second or more, long enough
    // to interrupt, where one large file would be copied in a blink.
    for d in 0..40 {
        let dir = s.model().join(format!("d{d}"));
        std::fs::create_dir_all(&dir).unwrap();
        for i in 0..500 {
            std::fs::write(
                dir.join(format!("f{i}.txt")),
                format!("{d} {i}").repeat(100),
            )
            .unwrap();
        }
    }
    let uid = s.publish("1.0.0", "{}", &[]);
    let cached = s.cache().join(&uid[..8]);
    let partial = cached.join("1.0.0~");
    let spawn = || {
        s.std_cmd(&["load", &uid])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap()
    };
    let mut first = spawn();
    let deadline = Instant::now() + Duration::from_secs(60);
    while !partial.is_dir() {
        if first.try_wait().unwrap().is_some() || Instant::now() > deadline {
            let _ = first.kill();
            let out = first.wait_with_output().unwrap();
            panic!(
                "the load ended or stalled before it began unpacking: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    // Waits on the lock the first one holds.
    let second = spawn();
    std::thread::sleep(Duration::from_millis(100));
    let killed = std::process::Command::new("kill")
        .args(["-INT", &first.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let out = first.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{stderr}");
    assert_eq!(
        stderr,
        format!("error: interrupted: loading of '{uid}' was cancelled; nothing was cached\n")
    );
    let out = second.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "the waiting loader: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim_end(),
        cached.join("1.0.0").display().to_string()
    );
    assert!(!partial.exists(), "the partial folder stayed");
    assert_eq!(
        std::fs::read_to_string(cached.join("1.0.0/d39/f499.txt")).unwrap(),
        "39 499".repeat(100)
    );
}
