//! The `s3` / `minio` backend: a repository is the bucket `name` on the S3
//! endpoint `host`, accessed with `object_store` on a runtime the backend owns.

use std::io::{Read, Seek, Write};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use bytes::Bytes;
use futures::{StreamExt, TryStreamExt};
use object_store::aws::{AmazonS3, AmazonS3Builder};
use object_store::client::{HttpClient, HttpConnector, ReqwestConnector};
use object_store::path::Path as Key;
use object_store::{
    Attribute, Attributes, BackoffConfig, ClientOptions, GetOptions, ObjectStore, ObjectStoreExt,
    PutPayload, RetryConfig,
};

mod copy;
mod uploads;
mod writer;

use crate::s3_config::{host_settings, missing_credentials};
use crate::s3_resume::{FetchError, fetch};
use crate::s3_watch::WatchingConnector;
use crate::{
    Backend, BackendExt, BackendPath, Capabilities, ConditionalWrites, Error, ObjectMeta, Progress,
    PutMode, PutOptions, PutWriter, StoreEntry, TransferObserver, TransferSettings, UpdateVersion,
};
use audmodel_uid::{error_chain, md5_hex, md5_reader, user_name};

const DEFAULT_PART_SIZE: usize = 8 << 20;
const DEFAULT_PARALLEL: usize = 4;
/// A whole request may be long (a large part on a slow link); silence is
/// bounded by the stall timeout.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(600);
/// A retry starts at most the longest pause (5 s) after the retry bound
/// in time; a failure older than that will not be repeated.
const FORGET_MARGIN: Duration = Duration::from_secs(10);

/// Options of an [`S3`] backend; start with [`S3::builder`].
#[derive(Debug, Clone)]
pub struct S3Builder {
    host: String,
    bucket: String,
    access_key: Option<String>,
    secret_key: Option<String>,
    secure: bool,
    region: Option<String>,
    part_size: usize,
    parallel: usize,
    transfer: TransferSettings,
    observer: Option<TransferObserver>,
    conditional_writes: ConditionalWrites,
    /// Why requests would go unsigned, for the error of a refused one.
    unsigned_reason: String,
}

impl S3Builder {
    /// Whether the store enforces conditional writes (default
    /// [`ConditionalWrites::Auto`]: asked once, on the first call of
    /// [`Backend::capabilities`]).
    pub fn conditional_writes(mut self, conditional_writes: ConditionalWrites) -> Self {
        self.conditional_writes = conditional_writes;
        self
    }

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

    /// Files larger than this are uploaded in parts of this size and
    /// downloaded in ranges of this size (default 8 MiB; S3 needs at least
    /// 5 MiB for every part but the last).
    pub fn part_size(mut self, bytes: usize) -> Self {
        self.part_size = bytes.max(1);
        self
    }

    /// Parts in flight at once (default 4): memory is bounded by
    /// `part_size * parallel`.
    pub fn parallel(mut self, parts: usize) -> Self {
        self.parallel = parts.max(1);
        self
    }

    /// Time to establish a connection (default 10 s, as the reference).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.transfer.connect_timeout = timeout;
        self
    }

    /// Retry bounds and timeouts (default [`TransferSettings::default`]).
    pub fn transfer(mut self, settings: TransferSettings) -> Self {
        self.transfer = settings;
        self
    }

    /// Tells `observer` of every failed attempt and resumed download.
    pub fn observer(mut self, observer: TransferObserver) -> Self {
        self.observer = Some(observer);
        self
    }

    /// Creates the client and its runtime; contacts no server.
    pub fn build(self) -> Result<S3, Error> {
        let scheme = if self.secure { "https" } else { "http" };
        let transfer = self.transfer;
        let client = ClientOptions::new()
            .with_allow_http(!self.secure)
            .with_connect_timeout(transfer.connect_timeout)
            .with_read_timeout(transfer.stall_timeout)
            .with_timeout(REQUEST_TIMEOUT.max(transfer.stall_timeout));
        // object_store retries each request (parts of an upload one by one,
        // resuming a broken answer from its last byte); see `TransferSettings`.
        // The few requests object_store has no call for (copies that
        // replace metadata) go through a client of the same options.
        let http = match self.observer.clone() {
            Some(observer) => WatchingConnector {
                observer,
                forget_after: transfer.retry_timeout + FORGET_MARGIN,
            }
            .connect(&client),
            None => ReqwestConnector::default().connect(&client),
        }
        .map_err(|e| Error::other(format!("cannot configure S3 host '{}'", self.host), e))?;
        let retry = RetryConfig {
            backoff: BackoffConfig {
                init_backoff: Duration::from_millis(100),
                max_backoff: Duration::from_secs(5),
                base: 2.0,
            },
            max_retries: transfer.retries as usize,
            retry_timeout: transfer.retry_timeout,
        };
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
            .with_retry(retry);
        if let Some(observer) = self.observer.clone() {
            builder = builder.with_http_connector(WatchingConnector {
                observer,
                forget_after: transfer.retry_timeout + FORGET_MARGIN,
            });
        }
        match (&self.access_key, &self.secret_key) {
            (Some(access), Some(secret)) => {
                builder = builder
                    .with_access_key_id(access)
                    .with_secret_access_key(secret);
            }
            _ => builder = builder.with_skip_signature(true),
        }
        let store = builder
            .build()
            .map_err(|e| Error::other(format!("cannot configure S3 host '{}'", self.host), e))?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("audmodel-s3")
            .enable_all()
            .build()
            .map_err(|e| Error::other("cannot start the S3 runtime", e))?;
        Ok(S3 {
            store: Arc::new(store),
            runtime: Arc::new(runtime),
            http,
            object_base,
            region,
            signed: self.access_key.is_some() && self.secret_key.is_some(),
            unsigned_reason: self.unsigned_reason,
            host: self.host,
            bucket: self.bucket,
            part_size: self.part_size,
            parallel: self.parallel,
            transfer,
            bucket_checked: Arc::new(AtomicBool::new(false)),
            conditional: Arc::new(match self.conditional_writes {
                ConditionalWrites::Auto => OnceLock::new(),
                ConditionalWrites::Yes => OnceLock::from(Ok(true)),
                ConditionalWrites::No => OnceLock::from(Ok(false)),
            }),
        })
    }
}

/// A repository in a bucket of an S3-compatible store (AWS, MinIO, Garage, Ceph).
///
/// Built on `object_store` rather than the AWS SDK: far fewer dependencies,
/// its own retry and timeout handling, multipart helpers and conditional
/// create (`PutMode::Create`). The backend owns a small tokio runtime and
/// exposes the blocking [`Backend`] trait: do not call it from inside an
/// async runtime's worker thread.
///
/// Every object gets the user metadata `checksum` (MD5 hex of the content)
/// and `owner` (the user name), as the reference writes and reads them.
/// Every request has a connect and a stall timeout and is retried within
/// the bounds of its [`TransferSettings`] when that is safe (a part of an
/// upload alone, a broken download from the byte it reached), so a host
/// that is down gives [`Error::Unreachable`] within seconds (by default).
///
/// **Create-only writes.** [`PutMode::Create`] first checks that the
/// object is missing ([`Error::AlreadyExists`] otherwise) and then uploads
/// with `If-None-Match: *`. Stores that honour it (AWS S3, MinIO) make this
/// atomic. Stores that ignore it (Garage 2.5) and multipart uploads (which
/// cannot carry the condition here) leave a race between the check and the
/// write in which a concurrent writer's object is **overwritten**; callers
/// that need create-only on such stores must detect the race after the fact,
/// e.g. by reading back the `checksum` after writing.
///
/// **Compare-and-swap writes.** [`Backend::get_for_update`] reads an object
/// with its `ETag`, and [`PutMode::Update`] writes it back with `If-Match:
/// <ETag>`: the store refuses the write when the object changed meanwhile
/// ([`Error::Precondition`]). Both are refused as [`Error::Unsupported`]
/// where the store is not known to enforce conditional writes
/// ([`S3::enforces_conditional_writes`]), since a store that ignores
/// `If-Match` would overwrite.
///
/// ```no_run
/// use audmodel_backend::{BackendExt, BackendPath, S3};
/// let s3 = S3::builder("127.0.0.1:3900", "models").secure(false).build().unwrap();
/// let exists = s3.exists(&BackendPath::new("/_uid/d4e9c65b/1.0.0/d4e9c65b-1.0.0.header.yaml").unwrap());
/// ```
#[derive(Debug, Clone)]
pub struct S3 {
    store: Arc<AmazonS3>,
    runtime: Arc<tokio::runtime::Runtime>,
    /// For the requests `store` has no call for (see `copy`).
    http: HttpClient,
    /// The URL of the bucket, to which keys are appended.
    object_base: String,
    region: String,
    /// Whether requests are signed (not anonymous).
    signed: bool,
    /// Why they are not, when they are not: see [`Error::NoCredentials`].
    unsigned_reason: String,
    host: String,
    bucket: String,
    part_size: usize,
    parallel: usize,
    transfer: TransferSettings,
    /// Whether the bucket was seen to exist, so a missing object is reported
    /// as such and a missing bucket as the bucket.
    bucket_checked: Arc<AtomicBool>,
    /// Whether the store enforces conditional writes, once configured or
    /// probed; or why the probe could not tell, kept so that it is not
    /// repeated.
    conditional: Arc<OnceLock<Result<bool, ProbeFailure>>>,
}

/// Why the conditional-write probe could not tell (see [`Error::ProbeFailed`]).
#[derive(Debug, Clone)]
struct ProbeFailure {
    reason: String,
    kind: crate::ErrorKind,
}

/// The user metadata of an object: `checksum` when it is known when the
/// upload starts, and `owner`.
fn attributes(checksum: Option<&str>) -> Attributes {
    let mut attributes = Attributes::new();
    if let Some(checksum) = checksum {
        attributes.insert(
            Attribute::Metadata("checksum".into()),
            checksum.to_owned().into(),
        );
    }
    attributes.insert(Attribute::Metadata("owner".into()), user_name().into());
    attributes
}

fn key(path: &BackendPath) -> Result<Key, Error> {
    Key::parse(path.key()).map_err(|e| Error::invalid(path.as_str(), e.to_string()))
}

/// The S3 error code of an error answer (`<Code>NoSuchBucket</Code>`)
/// quoted in an error's text.
fn s3_code(text: &str) -> Option<&str> {
    let start = text.find("<Code>")? + "<Code>".len();
    let len = text[start..].find("</Code>")?;
    Some(&text[start..start + len])
}

/// Whether an error is a connection that broke or stalled, so that the
/// whole operation may be tried again: `object_store` retries requests,
/// but not the reading of an answer's body after its head (a listing, the
/// answer of a finished upload).
fn is_broken_transfer(err: &(dyn std::error::Error + 'static)) -> bool {
    use object_store::client::HttpErrorKind::{Interrupted, Request, Timeout};
    matches!(http_kind(err), Some(Request | Timeout | Interrupted))
}

fn is_connection_failure(err: &(dyn std::error::Error + 'static)) -> bool {
    use object_store::client::HttpErrorKind::{Connect, Request, Timeout};
    matches!(http_kind(err), Some(Connect | Timeout | Request))
}

/// The kind of the first HTTP error in `err`'s chain.
fn http_kind(
    err: &(dyn std::error::Error + 'static),
) -> Option<object_store::client::HttpErrorKind> {
    let mut current = Some(err);
    while let Some(e) = current {
        if let Some(http) = e.downcast_ref::<object_store::client::HttpError>() {
            return Some(http.kind());
        }
        current = e.source();
    }
    None
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
            part_size: DEFAULT_PART_SIZE,
            parallel: DEFAULT_PARALLEL,
            transfer: TransferSettings::default(),
            observer: None,
            conditional_writes: ConditionalWrites::Auto,
            unsigned_reason,
        }
    }

    /// The endpoint `host[:port]`.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The bucket.
    pub fn bucket(&self) -> &str {
        &self.bucket
    }

    /// Whether the store refuses a create-only write of a key that exists,
    /// as configured or, for [`ConditionalWrites::Auto`], as a probe finds
    /// once per backend: a create-only PUT of a hidden key no tool reads
    /// (`.audmodel-conditional-probe-…`), twice, without checking first;
    /// the second must be refused. The key is removed again. A probe that
    /// cannot write (no credentials, a read-only key, a store that is
    /// down) answers `false`, the safe guess: [`S3::conditional_writes`]
    /// tells it apart from the store's answer.
    pub fn enforces_conditional_writes(&self) -> bool {
        matches!(self.probed(), Ok(true))
    }

    /// [`S3::enforces_conditional_writes`], or [`Error::ProbeFailed`] when
    /// the probe could not be made: a refused probe is no answer of the
    /// store's. Asked once per backend, failures included, so an anonymous
    /// reader is not refused again at every call.
    pub fn conditional_writes(&self) -> Result<bool, Error> {
        self.probed().clone().map_err(|failure| Error::ProbeFailed {
            host: self.host.clone(),
            bucket: self.bucket.clone(),
            reason: failure.reason,
            kind: failure.kind,
        })
    }

    fn probed(&self) -> &Result<bool, ProbeFailure> {
        self.conditional
            .get_or_init(|| self.probe_conditional_writes())
    }

    fn probe_conditional_writes(&self) -> Result<bool, ProbeFailure> {
        use std::hash::{BuildHasher, RandomState};
        let random = RandomState::new().hash_one(std::process::id());
        let location = Key::from(format!(".audmodel-conditional-probe-{random:016x}"));
        let put = || {
            let options = object_store::PutOptions {
                mode: object_store::PutMode::Create,
                ..object_store::PutOptions::default()
            };
            self.runtime.block_on(self.store.put_opts(
                &location,
                PutPayload::from_static(b"probe"),
                options,
            ))
        };
        let enforced = match put() {
            Ok(_) => Ok(matches!(
                put(),
                Err(object_store::Error::AlreadyExists { .. }
                    | object_store::Error::Precondition { .. })
            )),
            Err(e) => Err(self.probe_failure(e, location.as_ref())),
        };
        let _ = self.runtime.block_on(self.store.delete(&location));
        enforced
    }

    fn probe_failure(&self, err: object_store::Error, key: &str) -> ProbeFailure {
        let err = self.error(err, key, "write");
        let reason = match &err {
            Error::NoCredentials { .. } => format!(
                "the probe was refused (no credentials were found for '{}')",
                self.host
            ),
            Error::Permission { message, .. } => format!(
                "the probe was refused ({})",
                s3_code(message).unwrap_or("permission denied")
            ),
            other => format!("the probe failed ({other})"),
        };
        ProbeFailure {
            reason,
            kind: err.kind(),
        }
    }

    /// Runs a whole operation that is safe to repeat (a listing, a copy, the
    /// start of an upload) again while it fails with a broken transfer,
    /// within the retry bounds.
    fn again<T>(
        &self,
        mut op: impl FnMut() -> Result<T, object_store::Error>,
    ) -> Result<T, object_store::Error> {
        let started = std::time::Instant::now();
        let mut attempt = 0;
        loop {
            match op() {
                Err(e)
                    if is_broken_transfer(&e)
                        && attempt < self.transfer.retries
                        && started.elapsed() < self.transfer.retry_timeout =>
                {
                    attempt += 1;
                    std::thread::sleep(Duration::from_millis(100 << attempt.min(5)));
                }
                other => return other,
            }
        }
    }

    /// Maps an `object_store` error about `path` to a typed error.
    fn error(&self, err: object_store::Error, path: &str, what: &str) -> Error {
        let text = error_chain(&err);
        // object_store types the status of GET and HEAD answers, but wraps
        // those of listings and uploads as `Generic` (its retry error is
        // private): there the S3 error code of the answer decides.
        let code = s3_code(&text);
        if code == Some("NoSuchBucket") {
            return Error::NotFound {
                path: format!("bucket '{}' on '{}'", self.bucket, self.host),
            };
        }
        match err {
            object_store::Error::NotFound { .. } => self.not_found(path),
            // object_store answers a refused `If-None-Match` as `AlreadyExists`
            // and a refused `If-Match` as `Precondition`.
            object_store::Error::AlreadyExists { .. } => Error::AlreadyExists {
                path: path.to_owned(),
            },
            object_store::Error::Precondition { .. } => Error::Precondition {
                path: path.to_owned(),
            },
            object_store::Error::PermissionDenied { .. }
            | object_store::Error::Unauthenticated { .. } => self.refused(text, what),
            _ if is_connection_failure(&err) => Error::Unreachable {
                host: self.host.clone(),
                source: Box::new(err),
            },
            _ if matches!(
                code,
                Some("AccessDenied" | "InvalidAccessKeyId" | "SignatureDoesNotMatch")
            ) =>
            {
                self.refused(text, what)
            }
            _ => Error::other(
                format!(
                    "cannot {what} '{path}' in bucket '{}' on '{}'",
                    self.bucket, self.host
                ),
                err,
            ),
        }
    }

    /// The server refused `what`: unsigned, the server's answer (lines of
    /// XML saying "Access Denied") would not tell a user that no
    /// credentials were found nor where they are read from.
    pub(crate) fn refused(&self, message: String, what: &str) -> Error {
        match self.signed {
            true => Error::Permission {
                host: self.host.clone(),
                message,
            },
            false => Error::NoCredentials {
                host: self.host.clone(),
                bucket: self.bucket.clone(),
                what: what.to_owned(),
                reason: self.unsigned_reason.clone(),
            },
        }
    }

    /// A missing object, or the bucket when that is what is missing (HEAD
    /// answers carry no body to tell them apart, so ask once per backend).
    fn not_found(&self, path: &str) -> Error {
        match self.check_bucket() {
            Ok(()) => Error::NotFound {
                path: path.to_owned(),
            },
            Err(e) => e,
        }
    }

    fn check_bucket(&self) -> Result<(), Error> {
        if self.bucket_checked.load(Ordering::Relaxed) {
            return Ok(());
        }
        let probe = Key::from("audmodel-bucket-probe");
        match self.again(|| {
            self.runtime
                .block_on(self.store.list_with_delimiter(Some(&probe)))
        }) {
            Ok(_) => {
                self.bucket_checked.store(true, Ordering::Relaxed);
                Ok(())
            }
            Err(object_store::Error::NotFound { .. }) => Err(Error::NotFound {
                path: format!("bucket '{}' on '{}'", self.bucket, self.host),
            }),
            Err(e) => Err(self.error(e, "/", "list")),
        }
    }

    /// HEAD with user metadata.
    fn head_object(&self, path: &BackendPath) -> Result<object_store::GetResult, Error> {
        let options = GetOptions {
            head: true,
            ..GetOptions::default()
        };
        self.runtime
            .block_on(self.store.get_opts(&key(path)?, options))
            .map_err(|e| self.error(e, path.as_str(), "read"))
    }

    /// Uploads a local file through an [`S3Writer`](writer::S3Writer) that
    /// knows the checksum before it starts (S3 takes metadata when an upload
    /// starts), so it needs a first pass over the file unless the caller
    /// knows it: `md5`. Progress is reported after each piece is buffered
    /// and before a part holding it is sent, so a cancel of a small file
    /// stores nothing.
    fn upload(
        &self,
        src: &Path,
        dst: &BackendPath,
        options: PutOptions<'_>,
        progress: Progress<'_>,
    ) -> Result<(), Error> {
        let mode = self.store_mode(dst, options.mode)?;
        let shown = src.display().to_string();
        let local_err = |e: std::io::Error| Error::io(e, &shown, "cannot read");
        let mut file = std::fs::File::open(src).map_err(local_err)?;
        let checksum = match options.md5 {
            Some(md5) => md5.to_owned(),
            None => {
                let checksum = md5_reader(&mut file).map_err(local_err)?;
                file.rewind().map_err(local_err)?;
                checksum
            }
        };
        let mut writer = writer::S3Writer::new(self, dst, Some(checksum), mode)?;
        let mut buf = vec![0u8; 1 << 20];
        loop {
            let n = match file.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(local_err(e)),
            };
            writer.write_bytes(&buf[..n])?;
            progress(n as u64)?;
        }
        Box::new(writer).finish().map(drop)
    }

    /// Downloads an object into `out`: ranges of `part_size`, `parallel` in
    /// flight, written in order (memory bounded by their product). Each
    /// range streams into its own queue as its bytes arrive, so the front
    /// one is written while the later ones fill. The first range is asked
    /// for before the size is known (its answer tells it), so a small file
    /// costs one request. A range that breaks goes on from the byte it
    /// reached ([`fetch`]), so `out` sees every byte once, in order.
    fn download(
        &self,
        src: &BackendPath,
        out: &mut dyn Write,
        progress: Progress<'_>,
    ) -> Result<(), Error> {
        let location = key(src)?;
        let part = self.part_size as u64;
        let resumes = self.transfer.retries;
        let write = |out: &mut dyn Write, piece: &[u8]| -> Result<(), Error> {
            out.write_all(piece)
                .map_err(|e| Error::io(e, src.as_str(), "cannot write the download of"))?;
            progress(piece.len() as u64)?;
            Ok(())
        };
        let first = self.runtime.block_on(fetch(
            &self.store,
            &location,
            0..part,
            None,
            resumes,
            |piece| write(out, &piece),
        ));
        let first = match first {
            Ok(first) => first,
            Err(FetchError::Sink(e)) => return Err(e),
            // An empty object has no first byte to ask for.
            Err(FetchError::Store { source, resumes: 0 })
                if !matches!(source, object_store::Error::NotFound { .. }) =>
            {
                return match self.head_object(src) {
                    Ok(head) if head.meta.size == 0 => Ok(()),
                    _ => Err(self.error(source, src.as_str(), "read")),
                };
            }
            Err(FetchError::Store { source, resumes }) => {
                return Err(self.fetch_error(source, resumes, src));
            }
        };
        let size = first.size;
        self.runtime.block_on(async {
            let ranges: Vec<(u64, u64)> = (1..size.div_ceil(part))
                .map(|i| (i * part, ((i + 1) * part).min(size)))
                .collect();
            let mut parts = futures::stream::iter(ranges)
                .map(|(start, end)| {
                    let (pieces, queue) = tokio::sync::mpsc::unbounded_channel::<Bytes>();
                    let location = location.clone();
                    let store = Arc::clone(&self.store);
                    let etag = first.etag.clone();
                    // On the runtime's workers, while this thread writes.
                    let fetch = tokio::spawn(async move {
                        let sent = fetch(&store, &location, start..end, etag, resumes, |piece| {
                            pieces.send(piece).map_err(drop)
                        });
                        match sent.await {
                            // The download was given up: nobody reads on.
                            Ok(_) | Err(FetchError::Sink(())) => Ok(()),
                            Err(FetchError::Store { source, resumes }) => Err((source, resumes)),
                        }
                    });
                    futures::future::ready((queue, fetch))
                })
                // Pulls (and so starts) a range only while fewer than
                // `parallel` wait to be written.
                .buffered(self.parallel);
            while let Some((mut queue, fetch)) = parts.next().await {
                while let Some(piece) = queue.recv().await {
                    write(out, &piece)?;
                }
                fetch
                    .await
                    .unwrap_or_else(|e| Err((object_store::Error::JoinError { source: e }, 0)))
                    .map_err(|(source, resumes)| self.fetch_error(source, resumes, src))?;
            }
            Ok(())
        })
    }

    /// The error of a download that failed; after resumes of ours it says
    /// how many, since the store's own error counts only its last request.
    fn fetch_error(&self, source: object_store::Error, resumes: u32, src: &BackendPath) -> Error {
        if resumes == 0 {
            return self.error(source, src.as_str(), "read");
        }
        Error::other(
            format!(
                "cannot read '{}' in bucket '{}' on '{}' (broke again after {resumes} resumed attempts)",
                src.as_str(),
                self.bucket,
                self.host
            ),
            source,
        )
    }

    /// The `object_store` mode of a write: create-only writes check first,
    /// since stores that ignore `If-None-Match` would overwrite; a
    /// compare-and-swap is refused where the store is not known to enforce
    /// `If-Match`, since it would overwrite too.
    fn store_mode(&self, dst: &BackendPath, mode: PutMode) -> Result<object_store::PutMode, Error> {
        match mode {
            PutMode::Overwrite => Ok(object_store::PutMode::Overwrite),
            PutMode::Create if self.exists(dst)? => Err(Error::AlreadyExists {
                path: dst.as_str().to_owned(),
            }),
            PutMode::Create => Ok(object_store::PutMode::Create),
            PutMode::Update(read) => {
                self.check_compare_and_swap(dst, "compare-and-swap writes")?;
                Ok(object_store::PutMode::Update(object_store::UpdateVersion {
                    e_tag: read.e_tag,
                    version: read.version,
                }))
            }
        }
    }

    /// [`Error::Unsupported`] unless the store enforces conditional writes.
    fn check_compare_and_swap(&self, path: &BackendPath, what: &str) -> Result<(), Error> {
        match self.enforces_conditional_writes() {
            true => Ok(()),
            false => Err(Error::Unsupported {
                what: format!(
                    "{what} of '{}' (bucket '{}' on '{}' does not enforce conditional writes)",
                    path.as_str(),
                    self.bucket,
                    self.host
                ),
            }),
        }
    }

    fn put_data(&self, data: Bytes, dst: &BackendPath, mode: PutMode) -> Result<(), Error> {
        let options = object_store::PutOptions {
            mode: self.store_mode(dst, mode)?,
            attributes: attributes(Some(&md5_hex(&data))),
            ..object_store::PutOptions::default()
        };
        self.runtime
            .block_on(
                self.store
                    .put_opts(&key(dst)?, PutPayload::from(data), options),
            )
            .map_err(|e| self.error(e, dst.as_str(), "write"))
            .map(drop)
    }
}

impl Backend for S3 {
    /// Create-only and compare-and-swap writes as configured, or as the
    /// store answered the probe ([`S3::enforces_conditional_writes`]).
    fn capabilities(&self) -> Capabilities {
        let conditional = self.enforces_conditional_writes();
        Capabilities {
            locks: false,
            local_files: false,
            create_only: conditional,
            compare_and_swap: conditional,
        }
    }

    /// [`Error::ProbeFailed`] when the probe could not be made.
    fn known_capabilities(&self) -> Result<Capabilities, Error> {
        self.conditional_writes()?;
        Ok(self.capabilities())
    }

    /// See the type's documentation on create-only writes. A
    /// compare-and-swap ([`PutMode::Update`]) is for small files, with
    /// [`Backend::put_bytes`]: a multipart upload cannot carry `If-Match`.
    fn put_file(
        &self,
        src: &Path,
        dst: &BackendPath,
        options: PutOptions<'_>,
        progress: Progress<'_>,
    ) -> Result<(), Error> {
        if matches!(options.mode, PutMode::Update(_)) {
            return Err(Error::Unsupported {
                what: format!("compare-and-swap uploads of files to '{}'", dst.as_str()),
            });
        }
        self.upload(src, dst, options, progress)
    }

    /// Streams: see `s3/writer.rs`. The object gets no `checksum`.
    fn put_writer(&self, dst: &BackendPath) -> Result<Box<dyn PutWriter + '_>, Error> {
        Ok(Box::new(writer::S3Writer::new(
            self,
            dst,
            None,
            object_store::PutMode::Overwrite,
        )?))
    }

    fn put_bytes(&self, data: &[u8], dst: &BackendPath, mode: PutMode) -> Result<(), Error> {
        self.put_data(Bytes::copy_from_slice(data), dst, mode)
    }

    fn read_to(
        &self,
        src: &BackendPath,
        out: &mut dyn Write,
        progress: Progress<'_>,
    ) -> Result<(), Error> {
        self.download(src, out, progress)
    }

    /// One GET; its `ETag` is the version `If-Match` compares.
    fn get_for_update(&self, src: &BackendPath) -> Result<(Vec<u8>, UpdateVersion), Error> {
        self.check_compare_and_swap(src, "reading for a compare-and-swap")?;
        let location = key(src)?;
        let (meta, bytes) = self
            .runtime
            .block_on(async {
                let got = self.store.get(&location).await?;
                let meta = got.meta.clone();
                Ok::<_, object_store::Error>((meta, got.bytes().await?))
            })
            .map_err(|e| self.error(e, src.as_str(), "read"))?;
        if meta.e_tag.is_none() && meta.version.is_none() {
            return Err(Error::other(
                format!("cannot read '{}' for a compare-and-swap", src.as_str()),
                "the store answered without an ETag",
            ));
        }
        let version = UpdateVersion {
            e_tag: meta.e_tag,
            version: meta.version,
        };
        Ok((bytes.to_vec(), version))
    }

    fn read_range(&self, src: &BackendPath, range: std::ops::Range<u64>) -> Result<Vec<u8>, Error> {
        let location = key(src)?;
        let wanted = range.end.saturating_sub(range.start);
        let mut bytes = Vec::with_capacity(wanted.min(self.part_size as u64) as usize);
        let fetched = self.runtime.block_on(fetch(
            &self.store,
            &location,
            range,
            None,
            self.transfer.retries,
            |piece| {
                bytes.extend_from_slice(&piece);
                Ok::<(), std::convert::Infallible>(())
            },
        ));
        match fetched {
            Ok(_) => {}
            Err(FetchError::Store { source, resumes }) => {
                return Err(self.fetch_error(source, resumes, src));
            }
            Err(FetchError::Sink(never)) => match never {},
        }
        // A server answers a range beyond the end with what it has.
        if bytes.len() as u64 != wanted {
            return Err(Error::io(
                std::io::ErrorKind::UnexpectedEof.into(),
                src.as_str(),
                "cannot read the asked range of",
            ));
        }
        Ok(bytes)
    }

    fn head(&self, path: &BackendPath) -> Result<ObjectMeta, Error> {
        Ok(ObjectMeta::new(self.head_object(path)?.meta.size))
    }

    fn list(&self, prefix: &BackendPath) -> Result<Vec<BackendPath>, Error> {
        let folder = if prefix.key().is_empty() {
            None
        } else {
            Some(key(prefix)?)
        };
        let metas: Vec<_> = self
            .again(|| {
                self.runtime
                    .block_on(self.store.list(folder.as_ref()).try_collect())
            })
            .map_err(|e| self.error(e, prefix.as_str(), "list"))?;
        let mut found: Vec<BackendPath> = metas
            .iter()
            // Keys outside the backend alphabet cannot be addressed; skip them.
            .filter_map(|meta| BackendPath::new(&format!("/{}", meta.location)).ok())
            .collect();
        found.sort();
        Ok(found)
    }

    /// A server-side copy keeping the metadata; above 5 GiB a multipart
    /// copy that carries the source's `checksum` over.
    fn copy(&self, src: &BackendPath, dst: &BackendPath) -> Result<(), Error> {
        let size = self.head(src)?.size;
        if size > copy::MAX_COPY {
            return self.copy_replacing_metadata(src, dst, size, &self.checksum(src)?);
        }
        let (from, to) = (key(src)?, key(dst)?);
        self.again(|| self.runtime.block_on(self.store.copy(&from, &to)))
            .map_err(|e| self.error(e, src.as_str(), "copy"))
    }

    /// `CopyObject` with `x-amz-metadata-directive: REPLACE`, or a
    /// multipart copy above 5 GiB: see `s3/copy.rs`.
    fn copy_with_checksum(
        &self,
        src: &BackendPath,
        dst: &BackendPath,
        md5: &str,
    ) -> Result<(), Error> {
        let size = self.head(src)?.size;
        self.copy_replacing_metadata(src, dst, size, md5)
    }

    fn delete(&self, path: &BackendPath) -> Result<(), Error> {
        self.head_object(path)?;
        self.runtime
            .block_on(self.store.delete(&key(path)?))
            .map_err(|e| self.error(e, path.as_str(), "remove"))
    }

    /// The `checksum` user metadata; [`Error::Other`] when the object has
    /// none (written by another tool).
    fn checksum(&self, path: &BackendPath) -> Result<String, Error> {
        let head = self.head_object(path)?;
        match head.attributes.get(&Attribute::Metadata("checksum".into())) {
            Some(value) => Ok(value.as_ref().to_owned()),
            None => Err(Error::other(
                format!("cannot read the checksum of '{}'", path.as_str()),
                "the object has no 'checksum' metadata",
            )),
        }
    }

    /// The reference prints the versioned backend path itself for S3.
    fn url(&self, path: &BackendPath) -> String {
        path.as_str().to_owned()
    }

    /// The objects and the unfinished multipart uploads: see `s3/uploads.rs`.
    fn inventory(&self, prefix: &BackendPath) -> Result<Vec<StoreEntry>, Error> {
        self.inventory_of(prefix)
    }

    /// Removes an object or aborts an unfinished upload.
    fn discard(&self, entry: &StoreEntry) -> Result<(), Error> {
        self.discard_entry(entry)
    }
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
