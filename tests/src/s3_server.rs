//! What the S3 test servers (Garage, SeaweedFS) share: an endpoint on
//! 127.0.0.1 with one read/write key and an INI file for the tools, fresh
//! buckets, a look at what the server stored, and a server process that
//! ends with the test process.
//!
//! Rust never drops statics, so each server runs under a small `sh`
//! watchdog that stops it and removes its folder once the test process is
//! gone, however it ended.

use std::io::{BufRead, BufReader, Read};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use crate::require::Missing;

/// Creates a bucket on a particular server.
pub(crate) type MakeBucket = Box<dyn Fn(&str) -> Result<(), String> + Send + Sync>;

/// A running single-node S3 server with one read/write key.
pub struct S3Server {
    /// `garage` or `seaweedfs`, for test and scenario names.
    pub label: &'static str,
    /// The S3 endpoint, `127.0.0.1:PORT` (plain HTTP).
    pub endpoint: String,
    /// Access key ID of the test key.
    pub access_key: String,
    /// Secret of the test key.
    pub secret_key: String,
    ini: PathBuf,
    pub(crate) make_bucket: MakeBucket,
}

impl std::fmt::Debug for S3Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Server")
            .field("label", &self.label)
            .field("endpoint", &self.endpoint)
            .finish_non_exhaustive()
    }
}

impl S3Server {
    /// A server at `endpoint` with this key; writes the INI file
    /// (`MINIO_CONFIG_FILE`) into `dir`. `make_bucket` creates a bucket the
    /// key may read, write and own.
    pub(crate) fn new(
        label: &'static str,
        endpoint: String,
        (access_key, secret_key): (String, String),
        dir: &Path,
        make_bucket: MakeBucket,
    ) -> Result<S3Server, String> {
        let ini = dir.join("minio.cfg");
        // `secure` must be empty: the reference takes any non-empty text, even
        // `false`, as true (HTTPS).
        std::fs::write(
            &ini,
            format!(
                "[{endpoint}]\naccess_key = {access_key}\nsecret_key = {secret_key}\nsecure =\n"
            ),
        )
        .map_err(|e| format!("INI file: {e}"))?;
        Ok(S3Server {
            label,
            endpoint,
            access_key,
            secret_key,
            ini,
            make_bucket,
        })
    }

    /// Creates bucket `name` (3 or more characters, unique per test) and
    /// gives the test key read, write and owner rights on it.
    pub fn create_bucket(&self, name: &str) {
        if let Err(e) = (self.make_bucket)(name) {
            panic!("cannot create bucket '{name}' on {}: {e}", self.label);
        }
    }

    /// Creates a bucket with a fresh name starting with `prefix` and returns the name.
    pub fn new_bucket(&self, prefix: &str) -> String {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let name = format!(
            "{prefix}-{}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        );
        self.create_bucket(&name);
        name
    }

    /// The S3 backend of this crate's project on `bucket`, for tests that
    /// look into a bucket or plant objects in it behind the tools' backs.
    pub fn backend(&self, bucket: &str) -> audmodel_backend::S3 {
        audmodel_backend::S3::builder(&self.endpoint, bucket)
            .credentials(&self.access_key, &self.secret_key)
            .secure(false)
            .build()
            .unwrap_or_else(|e| panic!("cannot open bucket '{bucket}': {e}"))
    }

    /// Every key in `bucket`, sorted.
    pub fn keys(&self, bucket: &str) -> Vec<String> {
        use audmodel_backend::{Backend, BackendPath};
        self.backend(bucket)
            .list(&BackendPath::root())
            .unwrap_or_else(|e| panic!("cannot list bucket '{bucket}': {e}"))
            .into_iter()
            .map(|path| path.key().to_owned())
            .collect()
    }

    /// The user metadata of object `key` in `bucket` (`x-amz-meta-NAME`
    /// headers as `NAME`, sorted), read by a HEAD request of a client of its
    /// own, so a test sees what the server stored rather than what the
    /// backend under test says it stored.
    pub fn user_metadata(&self, bucket: &str, key: &str) -> Vec<(String, String)> {
        use object_store::{Attribute, GetOptions, ObjectStore};
        let store = object_store::aws::AmazonS3Builder::new()
            .with_endpoint(format!("http://{}", self.endpoint))
            .with_bucket_name(bucket)
            .with_region("us-east-1")
            .with_access_key_id(&self.access_key)
            .with_secret_access_key(&self.secret_key)
            .with_allow_http(true)
            .build()
            .unwrap_or_else(|e| panic!("cannot configure a client for '{bucket}': {e}"));
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap_or_else(|e| panic!("cannot start a tokio runtime: {e}"));
        let location = object_store::path::Path::from(key);
        let options = GetOptions {
            head: true,
            ..GetOptions::default()
        };
        let head = runtime
            .block_on(store.get_opts(&location, options))
            .unwrap_or_else(|e| panic!("cannot HEAD '{key}' in '{bucket}': {e}"));
        let mut metadata: Vec<(String, String)> = head
            .attributes
            .iter()
            .filter_map(|(attribute, value)| match attribute {
                Attribute::Metadata(name) => Some((name.to_string(), value.as_ref().to_owned())),
                _ => None,
            })
            .collect();
        metadata.sort();
        metadata
    }

    /// Environment for child processes (the Rust CLI, the Python reference):
    /// `MINIO_ACCESS_KEY`, `MINIO_SECRET_KEY` and `MINIO_CONFIG_FILE`.
    pub fn env(&self) -> Vec<(String, String)> {
        vec![
            ("MINIO_ACCESS_KEY".to_owned(), self.access_key.clone()),
            ("MINIO_SECRET_KEY".to_owned(), self.secret_key.clone()),
            (
                "MINIO_CONFIG_FILE".to_owned(),
                self.ini.display().to_string(),
            ),
        ]
    }

    /// The INI file (`MINIO_CONFIG_FILE`) with the endpoint's section: keys
    /// and plain HTTP.
    pub fn config_file(&self) -> &Path {
        &self.ini
    }

    /// Waits until the S3 port answers, up to `deadline`, or until server
    /// process `pid` is gone; an error carries the server's `log`.
    pub(crate) fn wait_for_port(
        &self,
        pid: u32,
        log: &Path,
        deadline: Instant,
    ) -> Result<(), String> {
        wait_for_endpoint(&self.endpoint, pid, log, deadline)
    }
}

/// Waits until `endpoint` (`127.0.0.1:PORT`) answers, up to `deadline`, or
/// until server process `pid` is gone; an error carries the server's `log`.
pub(crate) fn wait_for_endpoint(
    endpoint: &str,
    pid: u32,
    log: &Path,
    deadline: Instant,
) -> Result<(), String> {
    while TcpStream::connect(endpoint).is_err() {
        let problem = if !Path::new(&format!("/proc/{pid}")).exists() {
            "the server ended"
        } else if Instant::now() > deadline {
            "no answer in time"
        } else {
            std::thread::sleep(Duration::from_millis(20));
            continue;
        };
        let log = std::fs::read_to_string(log).unwrap_or_default();
        return Err(format!(
            "port {endpoint} does not answer ({problem}); the server's log:\n{log}"
        ));
    }
    Ok(())
}

/// A temporary folder for a server, kept on disk: its watchdog removes it.
pub(crate) fn server_dir(prefix: &str) -> Result<PathBuf, String> {
    tempfile::Builder::new()
        .prefix(prefix)
        .tempdir()
        .map(tempfile::TempDir::keep)
        .map_err(|e| format!("temporary folder: {e}"))
}

/// Starts `binary args…` (output to `dir/server.log`) under an `sh` watchdog
/// that stops it and removes `dir` once this process is gone; returns the
/// server's process id.
pub(crate) fn spawn_watched(binary: &Path, args: &[String], dir: &Path) -> Result<u32, String> {
    spawn_server(binary, args, &dir.join("server.log"), Some(dir))
}

/// Starts `binary args…` (output appended to `log`) under an `sh` watchdog
/// that stops it once this process is gone (or it ended), and then removes
/// `remove` when given; returns the server's process id, so that a test
/// can kill it (the watchdog then ends too).
pub(crate) fn spawn_server(
    binary: &Path,
    args: &[String],
    log: &Path,
    remove: Option<&Path>,
) -> Result<u32, String> {
    let script = r#"
        binary=$1; log=$2; remove=$3; owner=$4; shift 4
        "$binary" "$@" >>"$log" 2>&1 &
        server=$!
        echo "$server"
        exec >/dev/null
        while kill -0 "$owner" 2>/dev/null && kill -0 "$server" 2>/dev/null; do sleep 1; done
        kill "$server" 2>/dev/null
        wait "$server" 2>/dev/null
        [ -z "$remove" ] || rm -rf "$remove"
    "#;
    let mut watchdog = Command::new("sh")
        .arg("-c")
        .arg(script)
        .arg("s3-server-watchdog")
        .arg(binary)
        .arg(log)
        .arg(remove.map(Path::as_os_str).unwrap_or_default())
        .arg(std::process::id().to_string())
        .args(args)
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot spawn sh: {e}"))?;
    let mut line = String::new();
    if let Some(out) = watchdog.stdout.take() {
        BufReader::new(out)
            .read_line(&mut line)
            .map_err(|e| format!("the watchdog's output: {e}"))?;
    }
    line.trim()
        .parse()
        .map_err(|_| format!("the watchdog named no server process: {line:?}"))
}

/// Removes `dir` once this process is gone, however it ended: for a
/// folder shared by servers that come and go (the nodes of a cluster).
pub(crate) fn remove_when_gone(dir: &Path) -> Result<(), String> {
    Command::new("sh")
        .arg("-c")
        .arg(r#"while kill -0 "$1" 2>/dev/null; do sleep 1; done; rm -rf "$2""#)
        .arg("folder-watchdog")
        .arg(std::process::id().to_string())
        .arg(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map(drop)
        .map_err(|e| format!("cannot spawn sh: {e}"))
}

/// The server's log so far, for an error message.
pub(crate) fn server_log(dir: &Path) -> String {
    std::fs::read_to_string(dir.join("server.log")).unwrap_or_default()
}

/// The first of `dirs` holding an executable file `name`.
pub(crate) fn find_binary(name: &str, dirs: Vec<PathBuf>) -> Option<PathBuf> {
    dirs.into_iter().map(|d| d.join(name)).find(|p| p.is_file())
}

/// The folders on `PATH`.
pub(crate) fn path_dirs() -> Vec<PathBuf> {
    std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect())
        .unwrap_or_default()
}

/// A free TCP port on 127.0.0.1, below the kernel's range of ephemeral
/// ports (32768 and up): a port from that range can be taken by any
/// outgoing connection of the busy test run between this check and the
/// server's bind, and the server then never listens.
pub(crate) fn free_port() -> Result<u16, String> {
    const FIRST: u16 = 10_000;
    const SPAN: u16 = 22_000;
    for _ in 0..1000 {
        let random = u16::from_str_radix(&random_hex(2)?, 16).map_err(|e| e.to_string())?;
        let port = FIRST + random % SPAN;
        if TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return Ok(port);
        }
    }
    Err(format!("no free port in {FIRST}..{}", FIRST + SPAN))
}

/// `bytes` random bytes as hex.
pub(crate) fn random_hex(bytes: usize) -> Result<String, String> {
    let mut buf = vec![0u8; bytes];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut buf))
        .map_err(|e| format!("/dev/urandom: {e}"))?;
    Ok(buf.iter().map(|b| format!("{b:02x}")).collect())
}

/// SIGKILL to a server process this test process started.
pub(crate) fn kill(pid: u32) {
    let _ = std::process::Command::new("kill")
        .args(["-KILL", &pid.to_string()])
        .status();
}

/// The server `cell` holds, started on the first call with `start` on the
/// binary `find` finds; `None` when the binary is missing and the test may
/// skip ([`crate::require::missing`] has said so; under CI it panicked).
///
/// # Panics
/// When the server does not come up, naming `what`.
pub(crate) fn started_once<T, B>(
    cell: &'static OnceLock<Result<T, Missing>>,
    what: &str,
    find: impl FnOnce() -> Result<B, Missing>,
    start: impl FnOnce(B) -> Result<T, String>,
) -> Option<&'static T> {
    let started = cell.get_or_init(|| {
        let binary = find()?;
        Ok(start(binary).unwrap_or_else(|e| panic!("cannot start {what}: {e}")))
    });
    match started {
        Ok(server) => Some(server),
        Err(missing) => {
            crate::require::missing(missing);
            None
        }
    }
}
