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
    S3Server, find_binary, free_port, path_dirs, random_hex, server_dir, server_log, spawn_watched,
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
fn cli(binary: &Path, config: &Path, args: &[&str]) -> Result<String, String> {
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

fn start() -> Result<Garage, String> {
    let binary = binary()?;
    let dir = server_dir("audmodel-garage-")?;
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
    let args = [
        "-c".to_owned(),
        config.display().to_string(),
        "server".to_owned(),
    ];
    spawn_watched(&binary, &args, &dir)?;

    let key = (format!("GK{}", random_hex(12)?), random_hex(32)?);
    configure(&binary, &config, &dir, &key)?;
    let (binary, config) = (Arc::new(binary), Arc::new(config));
    let make_bucket = Box::new(move |name: &str| {
        cli(&binary, &config, &["bucket", "create", name])?;
        cli(
            &binary,
            &config,
            &[
                "bucket", "allow", "--read", "--write", "--owner", name, "--key", KEY_NAME,
            ],
        )
        .map(drop)
    });
    let garage = S3Server::new("garage", endpoint, key, &dir, make_bucket)?;
    garage.wait_for_port(Instant::now() + Duration::from_secs(30))?;
    Ok(garage)
}

/// Layout and key, once the server answers.
fn configure(
    binary: &Path,
    config: &Path,
    dir: &Path,
    (access_key, secret_key): &(String, String),
) -> Result<(), String> {
    let deadline = Instant::now() + Duration::from_secs(30);
    // `node id` may answer from the key file before the server listens,
    // so the first command that needs the server is retried too.
    let retry = |args: &[&str]| loop {
        match cli(binary, config, args) {
            Ok(out) => break Ok(out),
            Err(e) if Instant::now() > deadline => {
                break Err(format!("not ready after 30 s: {e}\n{}", server_log(dir)));
            }
            Err(_) => std::thread::sleep(Duration::from_millis(50)),
        }
    };
    let node = retry(&["node", "id", "-q"])?;
    let node = node.split('@').next().unwrap_or_default().trim().to_owned();
    retry(&["layout", "assign", "-z", "dc1", "-c", "1G", &node])?;
    cli(binary, config, &["layout", "apply", "--version", "1"])?;
    cli(
        binary,
        config,
        &[
            "key", "import", "--yes", "-n", KEY_NAME, access_key, secret_key,
        ],
    )
    .map(drop)
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
