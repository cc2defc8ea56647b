//! Azurite, Microsoft's Azure Blob Storage emulator, on 127.0.0.1 for
//! tests, stopped when the test process ends: `azurite-blob` on a free
//! port with its data in a temporary folder, under the watchdog of
//! [`crate::s3_server`]. It serves the well-known development account
//! `devstoreaccount1` with its published key.
//!
//! `azurite-blob` comes with the npm package `azurite` (`npm install -g
//! azurite`, which `cargo xtask test` runs when it is missing).

use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use crate::require::Missing;
use crate::s3_server::{
    find_binary, free_port, kill, path_dirs, server_dir, spawn_watched, started_once,
    wait_for_endpoint,
};

/// The development account every Azurite serves.
pub const ACCOUNT: &str = "devstoreaccount1";
/// Its published key (Azurite's documentation; no secret).
pub const ACCOUNT_KEY: &str =
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

/// A running Azurite with the development account.
#[derive(Debug)]
pub struct AzureServer {
    /// The blob endpoint, `127.0.0.1:PORT` (plain HTTP).
    pub endpoint: String,
}

impl AzureServer {
    /// Creates a container with a fresh name starting with `prefix` and
    /// returns the name.
    pub fn new_container(&self, prefix: &str) -> String {
        use std::sync::atomic::{AtomicUsize, Ordering};
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let name = format!(
            "{prefix}-{}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        );
        if let Err(e) = self.create_container(&name) {
            panic!("cannot create container '{name}' on Azurite: {e}");
        }
        name
    }

    /// `PUT /{account}/{name}?restype=container`, signed with the account key.
    fn create_container(&self, name: &str) -> Result<(), String> {
        use object_store::azure::{AzureAccessKey, AzureAuthorizer, AzureCredential};
        use object_store::client::{HttpConnector, HttpRequestBody, ReqwestConnector};
        let key = AzureAccessKey::try_new(ACCOUNT_KEY).map_err(|e| e.to_string())?;
        let credential = AzureCredential::AccessKey(key);
        let url = format!(
            "http://{}/{ACCOUNT}/{name}?restype=container",
            self.endpoint
        );
        let mut request = http::Request::builder()
            .method(http::Method::PUT)
            .uri(url)
            .header("content-length", "0")
            .body(HttpRequestBody::from(String::new()))
            .map_err(|e| e.to_string())?;
        AzureAuthorizer::new(&credential, ACCOUNT)
            .try_authorize(&mut request)
            .map_err(|e| e.to_string())?;
        let options = object_store::ClientOptions::new().with_allow_http(true);
        let client = ReqwestConnector::default()
            .connect(&options)
            .map_err(|e| e.to_string())?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| e.to_string())?;
        let status = runtime
            .block_on(client.execute(request))
            .map_err(|e| e.to_string())?
            .status();
        match status.is_success() {
            true => Ok(()),
            false => Err(format!("Azurite answered {status}")),
        }
    }

    /// The Azure backend of this project on `container`, with the account key.
    pub fn backend(&self, container: &str) -> audmodel_backend::Azure {
        audmodel_backend::Azure::builder(&self.endpoint, container)
            .credentials(ACCOUNT, ACCOUNT_KEY)
            .build()
            .unwrap_or_else(|e| panic!("cannot open container '{container}': {e}"))
    }

    /// Environment for child processes (the CLI, Python): the account and
    /// its key in the standard variables object_store reads.
    pub fn env(&self) -> Vec<(String, String)> {
        vec![
            ("AZURE_STORAGE_ACCOUNT_NAME".to_owned(), ACCOUNT.to_owned()),
            (
                "AZURE_STORAGE_ACCOUNT_KEY".to_owned(),
                ACCOUNT_KEY.to_owned(),
            ),
        ]
    }
}

/// The Azurite of this test process, started on first call; `None` when
/// `azurite-blob` is missing and the test may skip ([`crate::require::missing`]
/// has said so; under CI it panicked instead).
///
/// Panics when the server does not come up.
pub fn azurite() -> Option<&'static AzureServer> {
    static AZURITE: OnceLock<Result<AzureServer, Missing>> = OnceLock::new();
    started_once(&AZURITE, "Azurite", binary, |binary| start(&binary))
}

/// `azurite-blob` on `PATH`, or what to do when it is not there.
pub fn binary() -> Result<PathBuf, Missing> {
    find_binary("azurite-blob", path_dirs()).ok_or_else(|| {
        Missing::new(
            "Azurite's `azurite-blob`",
            "install it with `npm install -g azurite` (cargo xtask test does)",
        )
    })
}

fn start(binary: &std::path::Path) -> Result<AzureServer, String> {
    let dir = server_dir("audmodel-azurite-")?;
    let port = free_port()?;
    let args: Vec<String> = [
        "--blobHost",
        "127.0.0.1",
        "--blobPort",
        &port.to_string(),
        "--location",
        &dir.join("data").display().to_string(),
        "--skipApiVersionCheck",
        "--loose",
        "--silent",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    let pid = spawn_watched(binary, &args, &dir)?;
    let endpoint = format!("127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(60);
    if let Err(e) = wait_for_endpoint(&endpoint, pid, &dir.join("server.log"), deadline) {
        kill(pid);
        return Err(e);
    }
    Ok(AzureServer { endpoint })
}
