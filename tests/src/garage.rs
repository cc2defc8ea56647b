//! A Garage S3 server on 127.0.0.1 for tests, stopped when the test process ends.
//!
//! One server per test process, started on first use of [`garage()`] on free
//! ports in a temporary folder (SPEC 7), under the watchdog of
//! [`crate::s3_server`]. Garage 2.5 ignores conditional writes
//! (`If-None-Match`, `If-Match`).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use crate::s3_server::{
    MakeBucket, S3Server, find_binary, free_port, path_dirs, random_hex, server_dir, server_log,
    spawn_watched,
};

/// The Garage test server: an [`S3Server`].
pub type Garage = S3Server;

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
        start().unwrap_or_else(|e| panic!("cannot start the Garage test server: {e}"))
    })
}

/// Runs `garage -c CONFIG args...` and returns its standard output.
pub(crate) fn cli(binary: &Path, config: &Path, args: &[&str]) -> Result<String, String> {
    let out = Command::new(binary)
        .arg("-c")
        .arg(config)
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

/// Where a Garage node keeps its data and listens.
pub(crate) struct NodeConfig<'a> {
    /// Its folder: configuration, metadata, data and log.
    pub(crate) dir: &'a Path,
    pub(crate) rpc_port: u16,
    /// The S3 endpoint, `127.0.0.1:PORT`.
    pub(crate) endpoint: &'a str,
    /// The admin API's port, for its health check.
    pub(crate) admin_port: Option<u16>,
    /// Copies of every object: 1 for a single node, 3 for a cluster.
    pub(crate) replication: u8,
    /// Shared by the nodes of a cluster.
    pub(crate) rpc_secret: &'a str,
}

impl NodeConfig<'_> {
    /// Writes `garage.toml` into the node's folder; returns its path.
    pub(crate) fn write(&self) -> Result<PathBuf, String> {
        let config = self.dir.join("garage.toml");
        let mut text = format!(
            "metadata_dir = \"{meta}\"\n\
             data_dir = \"{data}\"\n\
             db_engine = \"sqlite\"\n\
             replication_factor = {replication}\n\
             rpc_bind_addr = \"127.0.0.1:{rpc}\"\n\
             rpc_public_addr = \"127.0.0.1:{rpc}\"\n\
             rpc_secret = \"{secret}\"\n\
             \n\
             [s3_api]\n\
             api_bind_addr = \"{endpoint}\"\n\
             s3_region = \"us-east-1\"\n",
            meta = self.dir.join("meta").display(),
            data = self.dir.join("data").display(),
            replication = self.replication,
            rpc = self.rpc_port,
            secret = self.rpc_secret,
            endpoint = self.endpoint,
        );
        if let Some(port) = self.admin_port {
            text.push_str(&format!(
                "\n[admin]\napi_bind_addr = \"127.0.0.1:{port}\"\n"
            ));
        }
        std::fs::write(&config, text).map_err(|e| format!("config: {e}"))?;
        Ok(config)
    }

    /// The arguments that start the node.
    pub(crate) fn server_args(config: &Path) -> [String; 3] {
        [
            "-c".to_owned(),
            config.display().to_string(),
            "server".to_owned(),
        ]
    }
}

fn start() -> Result<Garage, String> {
    let binary = binary()?;
    let dir = server_dir("audmodel-garage-")?;
    let (s3_port, rpc_port) = (free_port()?, free_port()?);
    let endpoint = format!("127.0.0.1:{s3_port}");
    let config = NodeConfig {
        dir: &dir,
        rpc_port,
        endpoint: &endpoint,
        admin_port: None,
        replication: 1,
        rpc_secret: &random_hex(32)?,
    }
    .write()?;
    let pid = spawn_watched(&binary, &NodeConfig::server_args(&config), &dir)?;

    let key = (format!("GK{}", random_hex(12)?), random_hex(32)?);
    let node = node_id(&binary, &config, &dir)?;
    apply_layout(&binary, &config, &[(node, "dc1".to_owned())])?;
    import_key(&binary, &config, &key)?;
    let make_bucket = bucket_maker(binary, config);
    let garage = S3Server::new("garage", endpoint, key, &dir, make_bucket)?;
    garage.wait_for_port(
        pid,
        &dir.join("server.log"),
        Instant::now() + Duration::from_secs(30),
    )?;
    Ok(garage)
}

/// The node's ID (without its address), once it answers.
pub(crate) fn node_id(binary: &Path, config: &Path, dir: &Path) -> Result<String, String> {
    let node = retried(|| cli(binary, config, &["node", "id", "-q"]), dir)?;
    Ok(node.split('@').next().unwrap_or_default().trim().to_owned())
}

/// `f` until it succeeds, for up to 30 s: a node answers some commands
/// before it listens (`node id` from its key file), so the first command
/// that needs the server is retried too.
pub(crate) fn retried<T>(
    mut f: impl FnMut() -> Result<T, String>,
    dir: &Path,
) -> Result<T, String> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        match f() {
            Ok(out) => break Ok(out),
            Err(e) if Instant::now() > deadline => {
                break Err(format!("not ready after 30 s: {e}\n{}", server_log(dir)));
            }
            Err(_) => std::thread::sleep(Duration::from_millis(50)),
        }
    }
}

/// Gives each node (ID, zone) 1 GB and applies the first layout.
pub(crate) fn apply_layout(
    binary: &Path,
    config: &Path,
    nodes: &[(String, String)],
) -> Result<(), String> {
    for (node, zone) in nodes {
        let dir = config.parent().unwrap_or(Path::new("."));
        retried(
            || {
                cli(
                    binary,
                    config,
                    &["layout", "assign", "-z", zone, "-c", "1G", node],
                )
            },
            dir,
        )?;
    }
    cli(binary, config, &["layout", "apply", "--version", "1"]).map(drop)
}

/// Imports the test key.
pub(crate) fn import_key(
    binary: &Path,
    config: &Path,
    (access_key, secret_key): &(String, String),
) -> Result<(), String> {
    cli(
        binary,
        config,
        &[
            "key", "import", "--yes", "-n", KEY_NAME, access_key, secret_key,
        ],
    )
    .map(drop)
}

/// Creates buckets through the node of `config`, with every right for the
/// test key.
pub(crate) fn bucket_maker(binary: PathBuf, config: PathBuf) -> MakeBucket {
    let (binary, config) = (Arc::new(binary), Arc::new(config));
    Box::new(move |name: &str| {
        cli(&binary, &config, &["bucket", "create", name])?;
        cli(
            &binary,
            &config,
            &[
                "bucket", "allow", "--read", "--write", "--owner", name, "--key", KEY_NAME,
            ],
        )
        .map(drop)
    })
}

/// `garage` on `PATH`, else in `$CARGO_HOME/bin` or `~/.cargo/bin` (where
/// `cargo install` puts it), or what to do when it is in none of them.
pub fn binary() -> Result<PathBuf, String> {
    let mut dirs = path_dirs();
    if let Some(home) = std::env::var_os("CARGO_HOME") {
        dirs.push(PathBuf::from(home).join("bin"));
    }
    if let Some(home) = std::env::var_os("HOME") {
        dirs.push(PathBuf::from(home).join(".cargo/bin"));
    }
    find_binary("garage", dirs).ok_or_else(|| {
        "the `garage` binary is missing (not on PATH, in $CARGO_HOME/bin or ~/.cargo/bin): \
         install it with `cargo install garage --locked` (about 11 minutes), or run the \
         tests with `cargo xtask test`, which does"
            .to_owned()
    })
}
