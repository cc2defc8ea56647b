//! The `gcs` backend: a repository is the bucket `name` of Google Cloud
//! Storage at `host` (`storage.googleapis.com`, or an emulator).
//!
//! Credentials are read as object_store's builder reads them: the
//! entry's `service_account` (the path of a service account's JSON key),
//! then the standard environment variables (`GOOGLE_SERVICE_ACCOUNT`,
//! `GOOGLE_SERVICE_ACCOUNT_KEY`, `GOOGLE_APPLICATION_CREDENTIALS`:
//! `GoogleCloudStorageBuilder::from_env`), then the machine's
//! application default credentials. What GCS does its own way here: the
//! copy that replaces metadata (the XML API's copy with
//! `x-goog-metadata-directive: REPLACE`) and its error codes.

use std::sync::Arc;

use http::Method;
use object_store::gcp::{GoogleCloudStorage, GoogleCloudStorageBuilder};

use super::{Common, Flavor, ObjectBackend, Parts, common_builder_methods, endpoint_url};
use crate::{BackendPath, Error};
use audmodel_uid::user_name;

/// The host of Google Cloud Storage's XML API.
pub const GCS_HOST: &str = "storage.googleapis.com";

/// Options of a [`Gcs`] backend; start with [`Gcs::builder`].
#[derive(Debug, Clone)]
pub struct GcsBuilder {
    host: String,
    bucket: String,
    service_account: Option<String>,
    anonymous: bool,
    common: Common,
}

impl GcsBuilder {
    common_builder_methods!();

    /// Uses the service account whose JSON key is in this file instead of
    /// the environment.
    pub fn service_account(mut self, path: &str) -> Self {
        self.service_account = Some(path.to_owned());
        self
    }

    /// Sends unsigned (anonymous) requests: public buckets, emulators.
    pub fn anonymous(mut self) -> Self {
        self.anonymous = true;
        self
    }

    /// Creates the client and its runtime; contacts no server.
    pub fn build(self) -> Result<Gcs, Error> {
        let url = endpoint_url(&self.host);
        let secure = url.starts_with("https://");
        let client = self.common.client_options(secure);
        let http = self.common.http(&client, &self.host)?;
        let mut builder = GoogleCloudStorageBuilder::from_env()
            .with_bucket_name(&self.bucket)
            .with_base_url(&url)
            .with_client_options(client)
            .with_retry(self.common.retry());
        if let Some(path) = &self.service_account {
            builder = builder.with_service_account_path(path);
        }
        if self.anonymous {
            builder = builder.with_skip_signature(true);
        }
        if let Some(watching) = self.common.watching() {
            builder = builder.with_http_connector(watching);
        }
        let store =
            Arc::new(builder.build().map_err(|e| {
                Error::other(format!("cannot configure GCS host '{}'", self.host), e)
            })?);
        let flavor = GcsStore {
            gcs: Arc::clone(&store),
            bucket_url: format!("{url}/{}", self.bucket),
            anonymous: self.anonymous,
        };
        let parts = Parts {
            store,
            http,
            signed: !self.anonymous,
            unsigned_reason: "the client was built without credentials".to_owned(),
            host: self.host,
            bucket: self.bucket,
        };
        self.common.finish(parts, flavor)
    }
}

/// A repository in a bucket of Google Cloud Storage: the [`ObjectBackend`]
/// of [`GcsStore`]. GCS enforces create-only (`ifGenerationMatch=0`) and
/// compare-and-swap (generation match) writes, so repositories get the
/// create-only publish protocol.
///
/// ```no_run
/// use audmodel_backend::{BackendExt, BackendPath, Gcs};
/// let gcs = Gcs::builder("storage.googleapis.com", "models").build().unwrap();
/// let exists = gcs.exists(&BackendPath::new("/_uid/d4e9c65b/1.0.0/d4e9c65b-1.0.0.header.yaml").unwrap());
/// ```
pub type Gcs = ObjectBackend<GcsStore>;

impl Gcs {
    /// Options for the bucket `bucket` on `host`: `storage.googleapis.com`
    /// (HTTPS), an emulator's `host:port` (plain HTTP on a loopback
    /// address), or a URL with its scheme. Credentials come from the
    /// environment as object_store reads them unless given.
    pub fn builder(host: &str, bucket: &str) -> GcsBuilder {
        GcsBuilder {
            host: host.to_owned(),
            bucket: bucket.to_owned(),
            service_account: None,
            anonymous: false,
            common: Common::default(),
        }
    }
}

/// What GCS does its own way: the copy that replaces metadata.
#[derive(Debug, Clone)]
pub struct GcsStore {
    /// The same store as the backend's, for its credentials.
    gcs: Arc<GoogleCloudStorage>,
    /// The URL of the bucket (XML API, path-style), to which keys are appended.
    bucket_url: String,
    anonymous: bool,
}

impl super::sealed::Sealed for GcsStore {}

impl Flavor for GcsStore {
    const CONTAINER: &'static str = "bucket";
    const MISSING_CONTAINER: &'static [&'static str] = &["NoSuchBucket"];
    const REFUSED: &'static [&'static str] = &["AccessDenied", "InvalidSecurity"];

    /// The XML API's copy with `x-goog-metadata-directive: REPLACE` and
    /// the metadata as `x-goog-meta-*` headers.
    fn copy_with_checksum(
        backend: &Gcs,
        src: &BackendPath,
        dst: &BackendPath,
        _size: u64,
        checksum: &str,
    ) -> Result<(), Error> {
        let flavor = &backend.flavor;
        let url = format!("{}/{}", flavor.bucket_url, dst.key());
        let source = format!("{}/{}", backend.bucket, src.key());
        let owner = user_name();
        backend
            .runtime
            .block_on(backend.send_request(dst, "copy to", || async {
                let mut request = http::Request::builder()
                    .method(Method::PUT)
                    .uri(&url)
                    .header("x-goog-copy-source", source.as_str())
                    .header("x-goog-metadata-directive", "REPLACE")
                    .header("x-goog-meta-checksum", checksum)
                    .header("x-goog-meta-owner", owner.as_str())
                    .header("content-length", "0");
                if !flavor.anonymous {
                    let credential = flavor
                        .gcs
                        .credentials()
                        .get_credential()
                        .await
                        .map_err(|e| backend.error(e, dst.as_str(), "copy to"))?;
                    if !credential.bearer.is_empty() {
                        request = request
                            .header("authorization", format!("Bearer {}", credential.bearer));
                    }
                }
                request
                    .body(object_store::client::HttpRequestBody::from(String::new()))
                    .map_err(|e| Error::other(format!("cannot copy to '{}'", dst.as_str()), e))
            }))?;
        Ok(())
    }
}
