//! A Garage S3 server on 127.0.0.1 for tests, stopped when the test process ends.
//!
//! One server per test process, started on first use of [`garage()`] on free
//! ports in a temporary folder (SPEC 7). Rust never drops statics, so the
//! server runs under a small `sh` watchdog that stops it and removes its
//! folder once the test process is gone, however it ended.

use std::io::Read;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// A running single-node Garage server with one read/write key.
#[derive(Debug)]
pub struct Garage {
    /// The S3 endpoint, `127.0.0.1:PORT` (plain HTTP).
    pub endpoint: String,
    /// Access key ID of the test key.
    pub access_key: String,
    /// Secret of the test key.
    pub secret_key: String,
    binary: PathBuf,
    config: PathBuf,
    ini: PathBuf,
}

const KEY_NAME: &str = "audmodel-tests";

/// The server of this test process, started on first call.
///
/// Panics with a message when the `garage` binary is missing or the server
/// does not come up. Unlike the Python reference (see [`crate::require`]),
/// a missing Garage fails a test everywhere, not only under CI: the S3 tests
/// have nothing to check without it, and `cargo xtask test` installs it.
pub fn garage() -> &'static Garage {
    static GARAGE: OnceLock<Garage> = OnceLock::new();
    GARAGE.get_or_init(|| {
        Garage::start().unwrap_or_else(|e| panic!("cannot start the Garage test server: {e}"))
    })
}

impl Garage {
    /// Creates bucket `name` (3 or more characters, unique per test) and
    /// gives the test key read, write and owner rights on it.
    pub fn create_bucket(&self, name: &str) {
        if let Err(e) = self.cli(&["bucket", "create", name]).and_then(|_| {
            self.cli(&[
                "bucket", "allow", "--read", "--write", "--owner", name, "--key", KEY_NAME,
            ])
        }) {
            panic!("cannot create bucket '{name}': {e}");
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

    fn start() -> Result<Garage, String> {
        let binary = binary()?;
        // Kept on disk: the watchdog removes it when the test process is gone.
        let dir = tempfile::Builder::new()
            .prefix("audmodel-garage-")
            .tempdir()
            .map_err(|e| format!("temporary folder: {e}"))?
            .keep();
        let (s3_port, rpc_port) = (free_port()?, free_port()?);
        let endpoint = format!("127.0.0.1:{s3_port}");
        let config = dir.join("garage.toml");
        std::fs::write(
            &config,
            format!(
                "metadata_dir = \"{meta}\"\n\
                 data_dir = \"{data}\"\n\
                 db_engine = \"sqlite\"\n\
                 replication_factor = 1\n\
                 rpc_bind_addr = \"127.0.0.1:{rpc_port}\"\n\
                 rpc_public_addr = \"127.0.0.1:{rpc_port}\"\n\
                 rpc_secret = \"{secret}\"\n\
                 \n\
                 [s3_api]\n\
                 api_bind_addr = \"{endpoint}\"\n\
                 s3_region = \"us-east-1\"\n",
                meta = dir.join("meta").display(),
                data = dir.join("data").display(),
                secret = random_hex(32)?,
            ),
        )
        .map_err(|e| format!("config: {e}"))?;
        spawn_watched(&binary, &config, &dir)?;

        let garage = Garage {
            endpoint,
            access_key: format!("GK{}", random_hex(12)?),
            secret_key: random_hex(32)?,
            binary,
            ini: dir.join("minio.cfg"),
            config,
        };
        garage.configure(&dir)?;
        Ok(garage)
    }

    /// Layout, key and INI file; then waits until the S3 port answers.
    fn configure(&self, dir: &Path) -> Result<(), String> {
        let deadline = Instant::now() + Duration::from_secs(30);
        // `node id` may answer from the key file before the server listens,
        // so the first command that needs the server is retried too.
        let retry = |args: &[&str]| loop {
            match self.cli(args) {
                Ok(out) => break Ok(out),
                Err(e) if Instant::now() > deadline => {
                    let log = std::fs::read_to_string(dir.join("garage.log")).unwrap_or_default();
                    break Err(format!("not ready after 30 s: {e}\n{log}"));
                }
                Err(_) => std::thread::sleep(Duration::from_millis(50)),
            }
        };
        let node = retry(&["node", "id", "-q"])?;
        let node = node.split('@').next().unwrap_or_default().trim().to_owned();
        retry(&["layout", "assign", "-z", "dc1", "-c", "1G", &node])?;
        self.cli(&["layout", "apply", "--version", "1"])?;
        self.cli(&[
            "key",
            "import",
            "--yes",
            "-n",
            KEY_NAME,
            &self.access_key,
            &self.secret_key,
        ])?;
        // `secure` must be empty: the reference takes any non-empty text, even
        // `false`, as true (HTTPS).
        std::fs::write(
            &self.ini,
            format!(
                "[{}]\naccess_key = {}\nsecret_key = {}\nsecure =\n",
                self.endpoint, self.access_key, self.secret_key
            ),
        )
        .map_err(|e| format!("INI file: {e}"))?;
        while TcpStream::connect(&self.endpoint).is_err() {
            if Instant::now() > deadline {
                return Err(format!("S3 port {} does not answer", self.endpoint));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(())
    }

    /// Runs `garage -c CONFIG args...` and returns its standard output.
    fn cli(&self, args: &[&str]) -> Result<String, String> {
        let out = Command::new(&self.binary)
            .arg("-c")
            .arg(&self.config)
            .args(args)
            .env("RUST_LOG", "error")
            .stdin(Stdio::null())
            .output()
            .map_err(|e| format!("garage {}: {e}", args.join(" ")))?;
        if !out.status.success() {
            return Err(format!(
                "garage {}: {}",
                args.join(" "),
                String::from_utf8_lossy(&out.stderr).trim()
            ));
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }
}

/// `garage` on `PATH`, else in `$CARGO_HOME/bin` or `~/.cargo/bin` (where
/// `cargo install` puts it), or what to do when it is in none of them.
pub fn binary() -> Result<PathBuf, String> {
    let mut dirs: Vec<PathBuf> = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect())
        .unwrap_or_default();
    if let Some(home) = std::env::var_os("CARGO_HOME") {
        dirs.push(PathBuf::from(home).join("bin"));
    }
    if let Some(home) = std::env::var_os("HOME") {
        dirs.push(PathBuf::from(home).join(".cargo/bin"));
    }
    dirs.into_iter()
        .map(|d| d.join("garage"))
        .find(|p| p.is_file())
        .ok_or_else(|| {
            "the `garage` binary is missing (not on PATH, in $CARGO_HOME/bin or ~/.cargo/bin): \
             install it with `cargo install garage --locked` (about 11 minutes), or run the \
             tests with `cargo xtask test`, which does"
                .to_owned()
        })
}

/// Starts `garage server` under an `sh` watchdog that stops it and removes
/// `dir` once this process is gone.
fn spawn_watched(binary: &Path, config: &Path, dir: &Path) -> Result<(), String> {
    let script = r#"
        "$1" -c "$2" server >"$3/garage.log" 2>&1 &
        server=$!
        while kill -0 "$4" 2>/dev/null && kill -0 "$server" 2>/dev/null; do sleep 1; done
        kill "$server" 2>/dev/null
        wait "$server" 2>/dev/null
        rm -rf "$3"
    "#;
    Command::new("sh")
        .arg("-c")
        .arg(script)
        .arg("garage-watchdog")
        .arg(binary)
        .arg(config)
        .arg(dir)
        .arg(std::process::id().to_string())
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map(drop)
        .map_err(|e| format!("cannot spawn sh: {e}"))
}

fn free_port() -> Result<u16, String> {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| format!("no free port: {e}"))
}

fn random_hex(bytes: usize) -> Result<String, String> {
    let mut buf = vec![0u8; bytes];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut buf))
        .map_err(|e| format!("/dev/urandom: {e}"))?;
    Ok(buf.iter().map(|b| format!("{b:02x}")).collect())
}
