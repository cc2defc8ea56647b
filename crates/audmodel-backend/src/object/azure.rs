//! The `azure` backend: a repository is the container `name` of an Azure
//! Blob Storage account at `host` (or of Azurite, Microsoft's emulator).
//!
//! Credentials are read as object_store's builder reads them: the
//! entry's `account_name` and `account_key`, then the standard
//! environment variables (`AZURE_STORAGE_ACCOUNT_NAME`,
//! `AZURE_STORAGE_ACCOUNT_KEY`, `AZURE_STORAGE_SAS_KEY`, the client
//! secret and managed identity ones: `MicrosoftAzureBuilder::from_env`).
//! What Azure does its own way here: the copy that replaces metadata
//! (Copy Blob with `x-ms-meta-*` headers, which object_store's copy does
//! not send) and its error codes. Blocks of an upload never committed
//! are no blob and expire after a week; they are not listed for `gc`.

use std::sync::Arc;

use http::Method;
use object_store::azure::{
    AzureAuthorizer, AzureCredential, MicrosoftAzure, MicrosoftAzureBuilder,
};

use super::{Common, Flavor, ObjectBackend, Parts, common_builder_methods, endpoint_url};
use crate::{BackendPath, Error};
use audmodel_uid::user_name;

/// Options of an [`Azure`] backend; start with [`Azure::builder`].
#[derive(Debug, Clone)]
pub struct AzureBuilder {
    host: String,
    container: String,
    account_name: Option<String>,
    account_key: Option<String>,
    common: Common,
}

impl AzureBuilder {
    common_builder_methods!();

    /// Uses this storage account and its key instead of the environment.
    pub fn credentials(mut self, account_name: &str, account_key: &str) -> Self {
        self.account_name = Some(account_name.to_owned());
        self.account_key = Some(account_key.to_owned());
        self
    }

    /// Uses this storage account (its key or token from the environment).
    pub fn account_name(mut self, account_name: &str) -> Self {
        self.account_name = Some(account_name.to_owned());
        self
    }

    /// Creates the client and its runtime; contacts no server.
    pub fn build(self) -> Result<Azure, Error> {
        let url = endpoint_url(&self.host);
        let secure = url.starts_with("https://");
        let client = self.common.client_options(secure);
        let http = self.common.http(&client, &self.host)?;
        let mut builder = MicrosoftAzureBuilder::from_env()
            .with_container_name(&self.container)
            .with_client_options(client)
            .with_retry(self.common.retry());
        if let Some(name) = &self.account_name {
            builder = builder.with_account(name);
        }
        if let Some(key) = &self.account_key {
            builder = builder.with_access_key(key);
        }
        let account = self
            .account_name
            .clone()
            .or_else(|| std::env::var("AZURE_STORAGE_ACCOUNT_NAME").ok())
            .or_else(|| std::env::var("AZURE_STORAGE_ACCOUNT").ok())
            .unwrap_or_default();
        // An account's own host names it (`ACCOUNT.blob.core.windows.net`);
        // an emulator on an address serves accounts as the first segment of
        // the path, as Azurite does.
        let account_url = match is_account_host(&self.host) {
            true => url.clone(),
            false => format!("{url}/{account}"),
        };
        builder = builder.with_endpoint(account_url.clone());
        if let Some(watching) = self.common.watching() {
            builder = builder.with_http_connector(watching);
        }
        let store = Arc::new(builder.build().map_err(|e| {
            Error::other(format!("cannot configure Azure host '{}'", self.host), e)
        })?);
        let flavor = AzureStore {
            azure: Arc::clone(&store),
            container_url: format!("{account_url}/{}", self.container),
            account,
        };
        let parts = Parts {
            store,
            http,
            signed: true,
            unsigned_reason: String::new(),
            host: self.host,
            bucket: self.container,
        };
        self.common.finish(parts, flavor)
    }
}

/// Whether `host` names an account by itself (`ACCOUNT.blob.core.windows.net`
/// and the like) rather than being an address (`127.0.0.1:10000`).
fn is_account_host(host: &str) -> bool {
    let bare = host
        .split_once("://")
        .map_or(host, |(_, rest)| rest)
        .split(['/', ':'])
        .next()
        .unwrap_or_default();
    bare.contains(".blob.")
}

/// A repository in a container of Azure Blob Storage: the
/// [`ObjectBackend`] of [`AzureStore`]. Azure enforces create-only
/// (`If-None-Match: *`) and compare-and-swap (`If-Match` with the `ETag`)
/// writes, so repositories get the create-only publish protocol.
///
/// ```no_run
/// use audmodel_backend::{Azure, BackendExt, BackendPath};
/// let azure = Azure::builder("127.0.0.1:10000", "models")
///     .credentials("devstoreaccount1", "a2V5")
///     .build()
///     .unwrap();
/// let exists = azure.exists(&BackendPath::new("/_uid/d4e9c65b/1.0.0/d4e9c65b-1.0.0.header.yaml").unwrap());
/// ```
pub type Azure = ObjectBackend<AzureStore>;

impl Azure {
    /// Options for the container `container` on `host`: an endpoint
    /// `host[:port]` (plain HTTP on a loopback address such as Azurite's
    /// `127.0.0.1:10000`, HTTPS elsewhere) or a URL with its scheme, such
    /// as `https://ACCOUNT.blob.core.windows.net`. Credentials come from
    /// the environment as object_store reads them unless given.
    pub fn builder(host: &str, container: &str) -> AzureBuilder {
        AzureBuilder {
            host: host.to_owned(),
            container: container.to_owned(),
            account_name: None,
            account_key: None,
            common: Common::default(),
        }
    }
}

/// What Azure does its own way: the copy that replaces metadata.
#[derive(Debug, Clone)]
pub struct AzureStore {
    /// The same store as the backend's, for its credentials.
    azure: Arc<MicrosoftAzure>,
    /// The URL of the container, to which keys are appended.
    container_url: String,
    account: String,
}

impl super::sealed::Sealed for AzureStore {}

impl Flavor for AzureStore {
    const CONTAINER: &'static str = "container";
    const MISSING_CONTAINER: &'static [&'static str] = &["ContainerNotFound"];
    const REFUSED: &'static [&'static str] = &[
        "AuthenticationFailed",
        "AuthorizationFailure",
        "AuthorizationPermissionMismatch",
        "InsufficientAccountPermissions",
    ];

    /// Copy Blob with the metadata as `x-ms-meta-*` headers, which replace
    /// the source's. Azure may answer before the copy is done (`pending`):
    /// then the blob's properties are asked until it is, as long as its
    /// progress moves within the stall timeout.
    fn copy_with_checksum(
        backend: &Azure,
        src: &BackendPath,
        dst: &BackendPath,
        _size: u64,
        checksum: &str,
    ) -> Result<(), Error> {
        let owner = user_name();
        let copy_headers = [
            ("x-ms-copy-source", backend.flavor.url_of(src)),
            ("x-ms-meta-checksum", checksum.to_owned()),
            ("x-ms-meta-owner", owner),
        ];
        let (headers, _) =
            backend
                .runtime
                .block_on(backend.send_request(dst, "copy to", || {
                    backend
                        .flavor
                        .signed(backend, Method::PUT, dst, &copy_headers)
                }))?;
        let mut status = copy_status(&headers);
        let mut progress = copy_progress(&headers);
        let mut moved = std::time::Instant::now();
        while status.as_deref() == Some("pending") {
            if moved.elapsed() > backend.transfer.stall_timeout {
                return Err(Error::other(
                    format!("cannot copy to '{}'", dst.as_str()),
                    format!(
                        "the copy made no progress ({}) in {:?}",
                        progress.unwrap_or_default(),
                        backend.transfer.stall_timeout
                    ),
                ));
            }
            std::thread::sleep(std::time::Duration::from_millis(200));
            let (headers, _) =
                backend
                    .runtime
                    .block_on(backend.send_request(dst, "copy to", || {
                        backend.flavor.signed(backend, Method::HEAD, dst, &[])
                    }))?;
            status = copy_status(&headers);
            let now = copy_progress(&headers);
            if now != progress {
                progress = now;
                moved = std::time::Instant::now();
            }
        }
        match status.as_deref() {
            None | Some("success") => Ok(()),
            Some(other) => Err(Error::other(
                format!("cannot copy to '{}'", dst.as_str()),
                format!("Azure says the copy is {other}"),
            )),
        }
    }
}

impl AzureStore {
    /// The URL of the blob `path`; keys are of the backend path alphabet
    /// (letters, digits, `/._-`), with nothing to percent-encode.
    fn url_of(&self, path: &BackendPath) -> String {
        format!("{}/{}", self.container_url, path.key())
    }

    /// A request of `method` to the blob `path` with `headers`, signed
    /// with the store's credential (a SAS token goes into the query, of
    /// a copy's source too).
    async fn signed(
        &self,
        backend: &Azure,
        method: Method,
        path: &BackendPath,
        headers: &[(&str, String)],
    ) -> Result<object_store::client::HttpRequest, Error> {
        let credential = self
            .azure
            .credentials()
            .get_credential()
            .await
            .map_err(|e| backend.error(e, path.as_str(), "copy to"))?;
        let mut url = self.url_of(path);
        let mut query = None;
        if let AzureCredential::SASToken(pairs) = credential.as_ref() {
            let pairs: Vec<String> = pairs.iter().map(|(k, v)| format!("{k}={v}")).collect();
            url = format!("{url}?{}", pairs.join("&"));
            query = Some(pairs.join("&"));
        }
        let mut request = http::Request::builder().method(method).uri(&url);
        for (name, value) in headers {
            let value = match (*name, &query) {
                ("x-ms-copy-source", Some(query)) => format!("{value}?{query}"),
                _ => value.clone(),
            };
            request = request.header(*name, value);
        }
        let mut request = request
            .header("content-length", "0")
            .body(object_store::client::HttpRequestBody::from(String::new()))
            .map_err(|e| Error::other(format!("cannot copy to '{}'", path.as_str()), e))?;
        AzureAuthorizer::new(&credential, &self.account)
            .try_authorize(&mut request)
            .map_err(|e| backend.error(e, path.as_str(), "copy to"))?;
        Ok(request)
    }
}

/// The `x-ms-copy-status` of an answer.
fn copy_status(headers: &http::HeaderMap) -> Option<String> {
    headers
        .get("x-ms-copy-status")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// The `x-ms-copy-progress` (`copied/total`) of an answer.
fn copy_progress(headers: &http::HeaderMap) -> Option<String> {
    headers
        .get("x-ms-copy-progress")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}
