//! Ctrl+C during `publish`: exit status 130, a one-line message, and no
//! file of the model left in the repository.
#![allow(clippy::unwrap_used)]

mod support;

use std::io::Write;
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
    let child = cmd
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Long enough for the process to start and install its handler, well
    // short of the seconds packing takes.
    let start = Instant::now();
    std::thread::sleep(Duration::from_millis(300));
    let killed = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    if out.status.success() {
        eprintln!(
            "publish finished in {:?}, before the signal: nothing to check",
            start.elapsed()
        );
        return;
    }
    assert_eq!(out.status.code(), Some(130), "{stderr}");
    assert!(
        stderr.starts_with("error: interrupted") && stderr.lines().count() == 1,
        "{stderr}"
    );
    let left: Vec<_> = s.snapshot().into_keys().collect();
    assert!(left.is_empty(), "left in the repository or cache: {left:?}");
}
