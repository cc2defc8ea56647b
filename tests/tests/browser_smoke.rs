//! The browser tests' own check: headless Chromium, driven by selenium from
//! Python, opens a page served from here on 127.0.0.1, clicks its button,
//! sees the page's script change the title, and saves a screenshot.
//!
//! Without Chromium, its driver or selenium this skips for a developer and
//! fails under CI (see `audmodel_tests::require`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use audmodel_tests::browser;
use audmodel_tests::sandbox::describe;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};

const PAGE: &str = r#"<!DOCTYPE html>
<html>
<head><meta charset="utf-8"><title>before</title></head>
<body>
<h1>audmodel browser smoke test</h1>
<button id="go" onclick="document.title = 'clicked'">Click</button>
</body>
</html>
"#;

/// Answers one request: the page for `/`, 404 for anything else.
fn answer(stream: TcpStream) {
    let mut reader = BufReader::new(&stream);
    let mut request_line = String::new();
    if reader.read_line(&mut request_line).is_err() {
        return;
    }
    // The headers, up to the empty line.
    let mut line = String::new();
    while reader.read_line(&mut line).is_ok_and(|n| n > 0) && line.trim_end() != "" {
        line.clear();
    }
    let path = request_line.split_whitespace().nth(1).unwrap_or("");
    let (status, body) = if path == "/" {
        ("200 OK", PAGE)
    } else {
        ("404 Not Found", "not found\n")
    };
    let mut stream = &stream;
    let _ = write!(
        stream,
        "HTTP/1.1 {status}\r\nContent-Type: text/html; charset=utf-8\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
}

/// Serves [`PAGE`] on 127.0.0.1 from a thread (one more per connection, as
/// a browser may open connections it sends nothing on) and returns its URL.
fn serve() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            std::thread::spawn(move || answer(stream));
        }
    });
    url
}

#[test]
fn chromium_clicks_a_button_and_saves_a_screenshot() {
    if browser::require().is_none() {
        return;
    }
    let url = serve();
    let dir = tempfile::tempdir().unwrap();
    let png = dir.path().join("smoke.png");
    let output = browser::run_browser_script(
        &browser::scripts_dir().join("smoke.py"),
        &[&url, png.to_str().unwrap()],
        &[],
    );
    assert!(
        output.status.success(),
        "smoke.py failed: {}",
        describe(&output)
    );
    print!("{}", String::from_utf8_lossy(&output.stdout));
    let bytes =
        std::fs::read(&png).unwrap_or_else(|e| panic!("no screenshot at {}: {e}", png.display()));
    assert!(
        bytes.starts_with(b"\x89PNG\r\n\x1a\n"),
        "the screenshot is no PNG: {:?}",
        &bytes[..bytes.len().min(16)]
    );
}
