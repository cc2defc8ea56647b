//! `diff`, `files`, `alias ls`, `ls --search`, and `serve` as a process:
//! the address it prints answers, bad flags are named, Ctrl+C stops it.
#![allow(clippy::unwrap_used)]

use crate::support;

use std::io::{BufRead, BufReader, Read, Write};
use std::process::Stdio;
use std::time::{Duration, Instant};

use serde_json::json;
use support::Sandbox;

#[test]
fn diff_prints_the_keys_that_differ_and_json_every_key() {
    let s = Sandbox::new();
    let a = s.publish(
        "1.0.0",
        "{sampling_rate: 16000}",
        &["--meta", "{acc: 0.5, data: emodb}"],
    );
    let b = s.publish(
        "2.0.0",
        "{sampling_rate: 16000}",
        &["--meta", "{acc: 0.75, data: emodb, new: 1}"],
    );
    let text = s.ok(&["diff", &a, &b]);
    let lines: Vec<&str> = text.lines().collect();
    assert!(
        lines[0].starts_with("KEY") && lines[0].contains(&a) && lines[0].contains(&b),
        "{text}"
    );
    let keys: Vec<&str> = lines[1..]
        .iter()
        .map(|l| l.split_whitespace().next().unwrap())
        .collect();
    assert_eq!(keys, ["header.version", "meta.acc", "meta.new"], "{text}");
    assert_eq!(
        lines[3].split_whitespace().collect::<Vec<_>>(),
        ["meta.new", "-", "1"],
        "a missing key is '-': {text}"
    );
    assert!(s.ok(&["diff", &a, &b, "--all"]).contains("meta.data"));
    let json = s.json(&["diff", &a, &b]);
    assert_eq!(json["uids"], json!([a, b]));
    let acc = json["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["key"] == "meta.acc")
        .unwrap();
    assert_eq!(acc["values"], json!([0.5, 0.75]));
    assert_eq!(acc["differs"], json!(true));

    let out = s.cmd(&["diff", &a]).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "one ID is a usage error");
    let out = s.cmd(&["diff", &a, "ffffffff-1.0.0"]).output().unwrap();
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stderr).contains("ffffffff-1.0.0"));
}

#[test]
fn files_lists_the_archive_without_loading_it() {
    let s = Sandbox::new();
    let uid = s.publish("1.0.0", "{}", &[]);
    assert_eq!(
        s.ok(&["files", &uid]),
        "2   sub/config.json\n10  weights.bin"
    );
    assert_eq!(
        s.json(&["files", &uid]),
        json!([{"name": "sub/config.json", "size": 2}, {"name": "weights.bin", "size": 10}])
    );
    assert!(
        !s.cache().join(&uid[..8]).join("1.0.0").exists(),
        "nothing was loaded"
    );
}

#[test]
fn alias_ls_and_ls_search() {
    let s = Sandbox::new();
    let uid = s.publish("1.0.0", "{arch: CNN10}", &["--alias", "best"]);
    s.ok(&["alias", "set", "also", &uid]);
    assert_eq!(
        s.json(&["alias", "ls"]),
        json!([
            {"alias": "also", "uid": uid, "repository": "first"},
            {"alias": "best", "uid": uid, "repository": "first"},
        ])
    );
    assert!(s.ok(&["alias", "ls"]).starts_with("ALIAS"));
    let listed = s.json(&["ls", "--search", "cnn10"]);
    assert_eq!(listed[0]["aliases"], json!(["also", "best"]));
    assert_eq!(s.json(&["ls", "--search", "rnn"]), json!([]));
}

/// `GET path` over a plain connection; the status line and the body.
fn get(address: &str, path: &str) -> (String, String) {
    let mut stream = std::net::TcpStream::connect(address).unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    let (head, body) = answer.split_once("\r\n\r\n").unwrap();
    (head.lines().next().unwrap().to_owned(), body.to_owned())
}

#[test]
fn serve_prints_its_address_answers_and_stops_on_ctrl_c() {
    let s = Sandbox::new();
    let uid = s.publish("1.0.0", "{}", &[]);
    let mut child = s
        .std_cmd(&["serve", "--bind", "127.0.0.1:0", "--repository", "first"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let address = line
        .trim()
        .strip_prefix("http://")
        .unwrap()
        .trim_end_matches('/')
        .to_owned();
    let (status, body) = get(&address, "/api/models");
    assert!(status.contains("200"), "{status}");
    assert!(body.contains(&uid), "{body}");
    let (status, _) = get(&address, "/versions/not%20an%20id");
    assert!(status.contains("400"), "{status}");

    let pid = child.id().to_string();
    std::process::Command::new("kill")
        .args(["-INT", &pid])
        .status()
        .unwrap();
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "serve did not stop on SIGINT"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "{status:?}");
}

#[test]
fn serve_names_what_is_wrong_before_it_listens() {
    let s = Sandbox::new();
    let out = s.cmd(&["serve", "--repository", "nope"]).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("'nope'") && err.contains("first, second"),
        "{err}"
    );
    let empty = s.path("token");
    std::fs::write(&empty, "\n").unwrap();
    let out = s
        .cmd(&["serve", "--token-file", empty.to_str().unwrap()])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && err.contains("token is empty"),
        "{err}"
    );
    let out = s
        .cmd(&["serve", "--token-file", "/nonexistent/token"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("cannot read the token file"), "{err}");
    let out = s.cmd(&["serve", "--bind", "nonsense"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}
