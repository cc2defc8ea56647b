//! The `s3` / `minio` backend: a repository is the bucket `name` on the S3
//! endpoint `host`. What S3 does its own way: credentials and `secure`
//! from the environment and the INI file (`config.rs`, SPEC 6), the copy
//! that replaces metadata (`copy.rs`), its error codes, and the unfinished
//! multipart uploads `gc` finds (`uploads.rs`).

use std::sync::Arc;

use object_store::aws::{AmazonS3, AmazonS3Builder};

mod config;
mod copy;
mod uploads;

use super::{Common, Flavor, ObjectBackend, Parts, common_builder_methods};
use crate::{BackendPath, Error, StoreEntry};
use config::{host_settings, missing_credentials};

/// Options of an [`S3`] backend; start with [`S3::builder`].
#[derive(Debug, Clone)]
pub struct S3Builder {
    host: String,
    bucket: String,
    access_key: Option<String>,
    secret_key: Option<String>,
    secure: bool,
    region: Option<String>,
    common: Common,
    /// Why requests would go unsigned, for the error of a refused one.
    unsigned_reason: String,
}

impl S3Builder {
    common_builder_methods!();

    /// Uses these credentials instead of the environment and the INI file.
    pub fn credentials(mut self, access_key: &str, secret_key: &str) -> Self {
        self.access_key = Some(access_key.to_owned());
        self.secret_key = Some(secret_key.to_owned());
        self
    }

    /// Sends unsigned (anonymous) requests.
    pub fn anonymous(mut self) -> Self {
        self.access_key = None;
        self.secret_key = None;
        self.unsigned_reason = "the client was built without credentials".to_owned();
        self
    }

    /// HTTPS (`true`) or plain HTTP (`false`).
    pub fn secure(mut self, secure: bool) -> Self {
        self.secure = secure;
        self
    }

    /// Creates the client and its runtime; contacts no server.
    pub fn build(self) -> Result<S3, Error> {
        let scheme = if self.secure { "https" } else { "http" };
        let client = self.common.client_options(self.secure);
        let http = self.common.http(&client, &self.host)?;
        let aws = aws_region(&self.host);
        let region = self
            .region
            .clone()
            .or_else(|| aws.clone().flatten())
            .unwrap_or_else(|| "us-east-1".to_owned());
        // Like the reference's client: virtual-hosted requests on AWS (new
        // buckets refuse path-style), except for dotted bucket names over
        // HTTPS (their certificate would not match); path-style elsewhere.
        let virtual_hosted = aws.is_some() && !(self.secure && self.bucket.contains('.'));
        let endpoint = if virtual_hosted {
            format!("{scheme}://{}.{}", self.bucket, self.host)
        } else {
            format!("{scheme}://{}", self.host)
        };
        let object_base = match virtual_hosted {
            true => endpoint.clone(),
            false => format!("{endpoint}/{}", self.bucket),
        };
        let mut builder = AmazonS3Builder::new()
            .with_endpoint(endpoint)
            .with_bucket_name(&self.bucket)
            .with_region(&region)
            .with_virtual_hosted_style_request(virtual_hosted)
            // No SHA-256 pass over every body (measured: a quarter of the
            // upload time of a large file here); the content is covered by the
            // `checksum` metadata and, on HTTPS, by TLS, as with the reference's client.
            .with_unsigned_payload(true)
            .with_client_options(client)
            .with_retry(self.common.retry());
        if let Some(watching) = self.common.watching() {
            builder = builder.with_http_connector(watching);
        }
        match (&self.access_key, &self.secret_key) {
            (Some(access), Some(secret)) => {
                builder = builder
                    .with_access_key_id(access)
                    .with_secret_access_key(secret);
            }
            _ => builder = builder.with_skip_signature(true),
        }
        let store =
            Arc::new(builder.build().map_err(|e| {
                Error::other(format!("cannot configure S3 host '{}'", self.host), e)
            })?);
        let signed = self.access_key.is_some() && self.secret_key.is_some();
        let flavor = S3Store {
            aws: Arc::clone(&store),
            object_base,
            region,
        };
        let parts = Parts {
            store,
            http,
            signed,
            unsigned_reason: self.unsigned_reason,
            host: self.host,
            bucket: self.bucket,
        };
        self.common.finish(parts, flavor)
    }
}

/// A repository in a bucket of an S3-compatible store (AWS, MinIO, Garage,
/// Ceph, SeaweedFS): the [`ObjectBackend`] of [`S3Store`].
///
/// Built on `object_store` rather than the AWS SDK: far fewer dependencies,
/// its own retry and timeout handling, multipart helpers and conditional
/// create (`If-None-Match: *`) and update (`If-Match` with the `ETag`).
/// Garage 2.5 ignores both; see [`ObjectBackend`] for what that means.
///
/// ```no_run
/// use audmodel_backend::{BackendExt, BackendPath, S3};
/// let s3 = S3::builder("127.0.0.1:3900", "models").secure(false).build().unwrap();
/// let exists = s3.exists(&BackendPath::new("/_uid/d4e9c65b/1.0.0/d4e9c65b-1.0.0.header.yaml").unwrap());
/// ```
pub type S3 = ObjectBackend<S3Store>;

/// What S3 does its own way: the copy that replaces metadata, signed with
/// object_store's SigV4 signer, and the unfinished multipart uploads.
#[derive(Debug, Clone)]
pub struct S3Store {
    /// The same store as the backend's, for its credentials and multipart calls.
    aws: Arc<AmazonS3>,
    /// The URL of the bucket, to which keys are appended.
    object_base: String,
    region: String,
}

impl super::sealed::Sealed for S3Store {}

impl Flavor for S3Store {
    const CONTAINER: &'static str = "bucket";
    const MISSING_CONTAINER: &'static [&'static str] = &["NoSuchBucket"];
    const REFUSED: &'static [&'static str] = &[
        "AccessDenied",
        "InvalidAccessKeyId",
        "SignatureDoesNotMatch",
    ];

    fn copy_with_checksum(
        backend: &S3,
        src: &BackendPath,
        dst: &BackendPath,
        size: u64,
        checksum: &str,
    ) -> Result<(), Error> {
        backend.copy_replacing_metadata(src, dst, size, checksum)
    }

    /// Above 5 GiB a multipart copy that carries the source's `checksum` over.
    fn copy(backend: &S3, src: &BackendPath, dst: &BackendPath) -> Result<(), Error> {
        use crate::Backend;
        let size = backend.head(src)?.size;
        if size > copy::MAX_COPY {
            return backend.copy_replacing_metadata(src, dst, size, &backend.checksum(src)?);
        }
        let (from, to) = (super::key(src)?, super::key(dst)?);
        backend
            .again(|| {
                backend.runtime.block_on(object_store::ObjectStoreExt::copy(
                    &*backend.store,
                    &from,
                    &to,
                ))
            })
            .map_err(|e| backend.error(e, src.as_str(), "copy"))
    }

    fn inventory(backend: &S3, prefix: &BackendPath) -> Result<Vec<StoreEntry>, Error> {
        backend.inventory_of(prefix)
    }

    fn discard(backend: &S3, entry: &StoreEntry) -> Result<(), Error> {
        backend.discard_entry(entry)
    }
}

impl S3 {
    /// Options for the bucket `bucket` on `host` (`host[:port]`, no scheme),
    /// with credentials, `secure` and `region` as SPEC 6 finds them.
    pub fn builder(host: &str, bucket: &str) -> S3Builder {
        let settings = host_settings(host);
        let unsigned_reason = missing_credentials(host, &settings);
        S3Builder {
            host: host.to_owned(),
            bucket: bucket.to_owned(),
            access_key: settings.access_key,
            secret_key: settings.secret_key,
            secure: settings.secure,
            region: settings.region,
            common: Common::default(),
            unsigned_reason,
        }
    }
}

/// The S3 error code of an error answer quoted in an error's text.
fn s3_code(text: &str) -> Option<&str> {
    super::error_code(text)
}

/// For an AWS host (`*.amazonaws.com`), the region its name holds, if any
/// (`s3.dualstack.eu-north-1.amazonaws.com` -> `eu-north-1`,
/// `s3.amazonaws.com` -> none); `None` for other hosts.
fn aws_region(host: &str) -> Option<Option<String>> {
    let name = host.rsplit_once(':').map_or(host, |(name, _)| name);
    let rest = name.strip_suffix(".amazonaws.com")?;
    let rest = rest
        .strip_prefix("s3.")
        .or_else(|| rest.strip_prefix("s3-"))
        .unwrap_or(if rest == "s3" { "" } else { rest });
    let mut labels = rest.split('.').filter(|l| !l.is_empty()).peekable();
    if labels.peek() == Some(&"dualstack") {
        labels.next();
    }
    Some(labels.next().filter(|l| *l != "vpce").map(str::to_owned))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn region_from_aws_host_names() {
        let region = |host: &str| aws_region(host).map(|r| r.unwrap_or_default());
        assert_eq!(
            region("s3.dualstack.eu-north-1.amazonaws.com").as_deref(),
            Some("eu-north-1")
        );
        assert_eq!(
            region("s3.eu-west-2.amazonaws.com:443").as_deref(),
            Some("eu-west-2")
        );
        assert_eq!(
            region("s3-eu-west-1.amazonaws.com").as_deref(),
            Some("eu-west-1")
        );
        assert_eq!(region("s3.amazonaws.com").as_deref(), Some(""));
        assert_eq!(region("127.0.0.1:9000"), None);
        assert_eq!(region("minio.example.com"), None);
    }
}
