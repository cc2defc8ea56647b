//! One backend for every object store `object_store` speaks: S3 (`s3/`),
//! Azure Blob Storage (`azure.rs`) and Google Cloud Storage (`gcs.rs`).
//!
//! [`ObjectBackend`] holds what is the same for all of them, over an
//! `Arc<dyn ObjectStore>` on a small runtime it owns: retries and
//! downloads resumed from the byte they reached (`resume.rs`), the streamed
//! multipart writer (`writer.rs`), listing, create-only and
//! compare-and-swap writes, the conditional-write probe, and the watching
//! of retries (`watch.rs`). What a store does its own way is its
//! [`Flavor`]: how its error answers name a missing container or a refusal,
//! the copy that gives the copy a new `checksum` (object_store's copies
//! keep the source's metadata), and what else it holds for `gc`.

use std::io::{Read, Seek, Write};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use bytes::Bytes;
use futures::{StreamExt, TryStreamExt};
use object_store::client::{HttpClient, HttpConnector, ReqwestConnector};
use object_store::path::Path as Key;
use object_store::{
    Attribute, Attributes, BackoffConfig, ClientOptions, GetOptions, ObjectStore, ObjectStoreExt,
    PutPayload, RetryConfig,
};

pub(crate) mod azure;
pub(crate) mod gcs;
mod resume;
pub(crate) mod s3;
mod watch;
mod writer;

use crate::{
    Backend, BackendExt, BackendPath, Capabilities, ConditionalWrites, Error, ObjectMeta, Progress,
    PutMode, PutOptions, PutWriter, StoreEntry, StoreEntryKind, TransferObserver, TransferSettings,
    UpdateVersion,
};
use audmodel_uid::{error_chain, md5_hex, md5_reader, user_name};
use resume::{FetchError, fetch};
use watch::WatchingConnector;

const DEFAULT_PART_SIZE: usize = 8 << 20;
const DEFAULT_PARALLEL: usize = 4;
/// A whole request may be long (a large part on a slow link); silence is
/// bounded by the stall timeout.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(600);
/// A retry starts at most the longest pause (5 s) after the retry bound
/// in time; a failure older than that will not be repeated.
const FORGET_MARGIN: Duration = Duration::from_secs(10);

mod sealed {
    /// Only this crate's stores are flavors: the trait's methods reach
    /// into the backend's insides.
    pub trait Sealed {}
}

/// What one kind of object store does its own way; implemented by this
/// crate's stores only ([`S3`](crate::S3), [`Azure`](crate::Azure),
/// [`Gcs`](crate::Gcs)).
pub trait Flavor: sealed::Sealed + Send + Sync + std::fmt::Debug + 'static {
    /// What the store calls the repository's container (`bucket`, `container`).
    const CONTAINER: &'static str;
    /// Error codes of answers (`<Code>…</Code>`) that say the container is missing.
    const MISSING_CONTAINER: &'static [&'static str];
    /// Error codes of answers that refuse the request for its credentials.
    const REFUSED: &'static [&'static str];

    /// Copies `src` (of `size` bytes) to `dst` with the user metadata
    /// `checksum` and `owner`, replacing the source's, on the server.
    #[doc(hidden)]
    fn copy_with_checksum(
        backend: &ObjectBackend<Self>,
        src: &BackendPath,
        dst: &BackendPath,
        size: u64,
        checksum: &str,
    ) -> Result<(), Error>
    where
        Self: Sized;

    /// A server-side copy keeping the metadata.
    #[doc(hidden)]
    fn copy(
        backend: &ObjectBackend<Self>,
        src: &BackendPath,
        dst: &BackendPath,
    ) -> Result<(), Error>
    where
        Self: Sized,
    {
        let (from, to) = (key(src)?, key(dst)?);
        backend
            .again(|| backend.runtime.block_on(backend.store.copy(&from, &to)))
            .map_err(|e| backend.error(e, src.as_str(), "copy"))
    }

    /// What the store holds below `prefix` for `gc`; the objects, by default.
    #[doc(hidden)]
    fn inventory(
        backend: &ObjectBackend<Self>,
        prefix: &BackendPath,
    ) -> Result<Vec<StoreEntry>, Error>
    where
        Self: Sized,
    {
        backend.objects_below(prefix)
    }

    /// Removes what [`Flavor::inventory`] found; objects, by default.
    #[doc(hidden)]
    fn discard(backend: &ObjectBackend<Self>, entry: &StoreEntry) -> Result<(), Error>
    where
        Self: Sized,
    {
        match &entry.kind {
            StoreEntryKind::File => Backend::delete(backend, &entry.path),
            other => Err(Error::Unsupported {
                what: format!("removing {other} '{}'", entry.path.as_str()),
            }),
        }
    }
}

/// A repository in a container of an object store, the same for every
/// store: see [`S3`](crate::S3), [`Azure`](crate::Azure) and
/// [`Gcs`](crate::Gcs) for how each is built and what each does its own way.
///
/// The backend owns a small tokio runtime and exposes the blocking
/// [`Backend`] trait: do not call it from inside an async runtime's worker
/// thread. Every object gets the user metadata `checksum` (MD5 hex of the
/// content) and `owner` (the user name), as the reference writes and reads
/// them on S3. Every request has a connect and a stall timeout and is
/// retried within the bounds of its [`TransferSettings`] when that is safe
/// (a part of an upload alone, a broken download from the byte it
/// reached), so a host that is down gives [`Error::Unreachable`] within
/// seconds (by default).
///
/// **Create-only writes.** [`PutMode::Create`] first checks that the
/// object is missing ([`Error::AlreadyExists`] otherwise) and then writes
/// with the store's condition (`If-None-Match: *`, `ifGenerationMatch=0`).
/// Stores that honour it make this atomic. Stores that ignore it and
/// multipart uploads (which cannot carry the condition here) leave a race
/// between the check and the write in which a concurrent writer's object
/// is **overwritten**; callers that need create-only on such stores must
/// detect the race after the fact.
///
/// **Compare-and-swap writes.** [`Backend::get_for_update`] reads an object
/// with its version (`ETag`, generation), and [`PutMode::Update`] writes it
/// back on that condition: the store refuses the write when the object
/// changed meanwhile ([`Error::Precondition`]). Both are refused as
/// [`Error::Unsupported`] where the store is not known to enforce
/// conditional writes ([`ObjectBackend::enforces_conditional_writes`]),
/// since a store that ignores the condition would overwrite.
#[derive(Debug, Clone)]
pub struct ObjectBackend<F> {
    pub(crate) store: Arc<dyn ObjectStore>,
    pub(crate) runtime: Arc<tokio::runtime::Runtime>,
    /// For the requests `store` has no call for (copies that replace metadata).
    pub(crate) http: HttpClient,
    /// Whether requests are signed (not anonymous).
    pub(crate) signed: bool,
    /// Why they are not, when they are not: see [`Error::NoCredentials`].
    pub(crate) unsigned_reason: String,
    pub(crate) host: String,
    pub(crate) bucket: String,
    pub(crate) part_size: usize,
    pub(crate) parallel: usize,
    pub(crate) transfer: TransferSettings,
    /// Whether the container was seen to exist, so a missing object is
    /// reported as such and a missing container as the container.
    bucket_checked: Arc<AtomicBool>,
    /// Whether the store enforces conditional writes, once configured or
    /// probed; or why the probe could not tell, kept so that it is not
    /// repeated.
    conditional: Arc<OnceLock<Result<bool, ProbeFailure>>>,
    /// What this kind of store does its own way.
    pub(crate) flavor: F,
}

/// What every store's builder takes: part sizes, retries, the observer,
/// whether conditional writes are enforced.
#[derive(Debug, Clone)]
pub(crate) struct Common {
    pub(crate) part_size: usize,
    pub(crate) parallel: usize,
    pub(crate) transfer: TransferSettings,
    pub(crate) observer: Option<TransferObserver>,
    pub(crate) conditional_writes: ConditionalWrites,
}

impl Default for Common {
    fn default() -> Self {
        Common {
            part_size: DEFAULT_PART_SIZE,
            parallel: DEFAULT_PARALLEL,
            transfer: TransferSettings::default(),
            observer: None,
            conditional_writes: ConditionalWrites::Auto,
        }
    }
}

impl Common {
    /// The HTTP options of every request: timeouts, plain HTTP or not.
    pub(crate) fn client_options(&self, secure: bool) -> ClientOptions {
        let transfer = self.transfer;
        ClientOptions::new()
            .with_allow_http(!secure)
            .with_connect_timeout(transfer.connect_timeout)
            .with_read_timeout(transfer.stall_timeout)
            .with_timeout(REQUEST_TIMEOUT.max(transfer.stall_timeout))
    }

    /// object_store retries each request (parts of an upload one by one,
    /// resuming a broken answer from its last byte); see `TransferSettings`.
    pub(crate) fn retry(&self) -> RetryConfig {
        RetryConfig {
            backoff: BackoffConfig {
                init_backoff: Duration::from_millis(100),
                max_backoff: Duration::from_secs(5),
                base: 2.0,
            },
            max_retries: self.transfer.retries as usize,
            retry_timeout: self.transfer.retry_timeout,
        }
    }

    /// The connector that tells the observer of retries, if there is one.
    pub(crate) fn watching(&self) -> Option<WatchingConnector> {
        self.observer.clone().map(|observer| WatchingConnector {
            observer,
            forget_after: self.transfer.retry_timeout + FORGET_MARGIN,
        })
    }

    /// The HTTP client of the requests object_store has no call for, with
    /// the same options as its own.
    pub(crate) fn http(&self, options: &ClientOptions, host: &str) -> Result<HttpClient, Error> {
        match self.watching() {
            Some(watching) => watching.connect(options),
            None => ReqwestConnector::default().connect(options),
        }
        .map_err(|e| Error::other(format!("cannot configure host '{host}'"), e))
    }

    /// The backend of `store`, with its runtime; contacts no server.
    pub(crate) fn finish<F: Flavor>(
        self,
        parts: Parts,
        flavor: F,
    ) -> Result<ObjectBackend<F>, Error> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("audmodel-object-store")
            .enable_all()
            .build()
            .map_err(|e| Error::other("cannot start the object store's runtime", e))?;
        Ok(ObjectBackend {
            store: parts.store,
            runtime: Arc::new(runtime),
            http: parts.http,
            signed: parts.signed,
            unsigned_reason: parts.unsigned_reason,
            host: parts.host,
            bucket: parts.bucket,
            part_size: self.part_size,
            parallel: self.parallel,
            transfer: self.transfer,
            bucket_checked: Arc::new(AtomicBool::new(false)),
            conditional: Arc::new(match self.conditional_writes {
                ConditionalWrites::Auto => OnceLock::new(),
                ConditionalWrites::Yes => OnceLock::from(Ok(true)),
                ConditionalWrites::No => OnceLock::from(Ok(false)),
            }),
            flavor,
        })
    }
}

/// What a store's builder made, for [`Common::finish`].
pub(crate) struct Parts {
    pub(crate) store: Arc<dyn ObjectStore>,
    pub(crate) http: HttpClient,
    pub(crate) signed: bool,
    pub(crate) unsigned_reason: String,
    pub(crate) host: String,
    pub(crate) bucket: String,
}

/// The builder methods every store has, over its `common` field.
macro_rules! common_builder_methods {
    () => {
        /// Whether the store enforces conditional writes (default
        /// [`ConditionalWrites::Auto`](crate::ConditionalWrites::Auto):
        /// asked once, on the first call of
        /// [`Backend::capabilities`](crate::Backend::capabilities)).
        pub fn conditional_writes(mut self, conditional_writes: crate::ConditionalWrites) -> Self {
            self.common.conditional_writes = conditional_writes;
            self
        }

        /// Files larger than this are uploaded in parts of this size and
        /// downloaded in ranges of this size (default 8 MiB; S3 needs at
        /// least 5 MiB for every part but the last).
        pub fn part_size(mut self, bytes: usize) -> Self {
            self.common.part_size = bytes.max(1);
            self
        }

        /// Parts in flight at once (default 4): memory is bounded by
        /// `part_size * parallel`.
        pub fn parallel(mut self, parts: usize) -> Self {
            self.common.parallel = parts.max(1);
            self
        }

        /// Time to establish a connection (default 10 s, as the reference).
        pub fn connect_timeout(mut self, timeout: std::time::Duration) -> Self {
            self.common.transfer.connect_timeout = timeout;
            self
        }

        /// Retry bounds and timeouts (default
        /// [`TransferSettings::default`](crate::TransferSettings::default)).
        pub fn transfer(mut self, settings: crate::TransferSettings) -> Self {
            self.common.transfer = settings;
            self
        }

        /// Tells `observer` of every failed attempt and resumed download.
        pub fn observer(mut self, observer: crate::TransferObserver) -> Self {
            self.common.observer = Some(observer);
            self
        }
    };
}
pub(crate) use common_builder_methods;

/// Why the conditional-write probe could not tell (see [`Error::ProbeFailed`]).
#[derive(Debug, Clone)]
pub(crate) struct ProbeFailure {
    reason: String,
    kind: crate::ErrorKind,
}

/// The user metadata of an object: `checksum` when it is known when the
/// upload starts, and `owner`.
pub(crate) fn attributes(checksum: Option<&str>) -> Attributes {
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

pub(crate) fn key(path: &BackendPath) -> Result<Key, Error> {
    Key::parse(path.key()).map_err(|e| Error::invalid(path.as_str(), e.to_string()))
}

/// Whether an error is a connection that broke or stalled, so that the
/// whole operation may be tried again: `object_store` retries requests,
/// but not the reading of an answer's body after its head (a listing, the
/// answer of a finished upload).
pub(crate) fn is_broken_transfer(err: &(dyn std::error::Error + 'static)) -> bool {
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

/// The error code of an error answer (`<Code>NoSuchBucket</Code>`) quoted
/// in an error's text (S3, Azure and GCS's XML API answer so).
pub(crate) fn error_code(text: &str) -> Option<&str> {
    let start = text.find("<Code>")? + "<Code>".len();
    let len = text[start..].find("</Code>")?;
    Some(&text[start..start + len])
}

/// The URL of an endpoint: `host` as given when it has a scheme; plain
/// HTTP for a loopback address (an emulator on this machine), HTTPS for
/// any other host.
pub(crate) fn endpoint_url(host: &str) -> String {
    if host.contains("://") {
        return host.trim_end_matches('/').to_owned();
    }
    let name = host.rsplit_once(':').map_or(host, |(name, _)| name);
    let loopback = name == "localhost"
        || name == "[::1]"
        || name
            .parse::<std::net::Ipv4Addr>()
            .is_ok_and(|ip| ip.is_loopback());
    match loopback {
        true => format!("http://{host}"),
        false => format!("https://{host}"),
    }
}

impl<F: Flavor> ObjectBackend<F> {
    /// The endpoint `host[:port]`.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The container (bucket) the repository is.
    pub fn bucket(&self) -> &str {
        &self.bucket
    }

    /// Sends a request object_store has no call for, built (and signed)
    /// anew by `make` for each attempt, again while the connection breaks
    /// or stalls or the server answers 5xx, within the retry bounds; the
    /// answer's headers and body, or the error it holds, saying it could
    /// not `what` `dst`.
    pub(crate) async fn send_request<Fut>(
        &self,
        dst: &BackendPath,
        what: &str,
        make: impl Fn() -> Fut,
    ) -> Result<(http::HeaderMap, String), Error>
    where
        Fut: std::future::Future<Output = Result<object_store::client::HttpRequest, Error>>,
    {
        let started = std::time::Instant::now();
        let mut attempt = 0;
        loop {
            let (failure, again) = match self.http.execute(make().await?).await {
                Err(e) => {
                    let err = object_store::Error::Generic {
                        store: "object store",
                        source: Box::new(e),
                    };
                    (self.error(err, dst.as_str(), what), true)
                }
                Ok(response) => {
                    let status = response.status();
                    let headers = response.headers().clone();
                    let body = response.into_body().bytes().await;
                    let text = body
                        .map(|b| String::from_utf8_lossy(&b).into_owned())
                        .unwrap_or_default();
                    if status.is_success() && !text.contains("<Error>") {
                        return Ok((headers, text));
                    }
                    let code = error_code(&text);
                    let err = if code.is_some_and(|c| F::MISSING_CONTAINER.contains(&c)) {
                        self.missing_container()
                    } else if status == http::StatusCode::NOT_FOUND {
                        self.not_found(dst.as_str())
                    } else if code.is_some_and(|c| F::REFUSED.contains(&c))
                        || matches!(status.as_u16(), 401 | 403)
                    {
                        self.refused(text, what)
                    } else {
                        Error::other(
                            format!("cannot {what} '{}'", dst.as_str()),
                            format!("the server answered {status}: {text}"),
                        )
                    };
                    (err, status.is_server_error())
                }
            };
            if !again
                || attempt >= self.transfer.retries
                || started.elapsed() >= self.transfer.retry_timeout
            {
                return Err(failure);
            }
            attempt += 1;
            tokio::time::sleep(Duration::from_millis(100 << attempt.min(5))).await;
        }
    }

    /// The container itself is missing.
    fn missing_container(&self) -> Error {
        Error::NotFound {
            path: format!("{} '{}' on '{}'", F::CONTAINER, self.bucket, self.host),
        }
    }

    /// The objects below `prefix` with size and time, for `gc`.
    pub(crate) fn objects_below(&self, prefix: &BackendPath) -> Result<Vec<StoreEntry>, Error> {
        let folder = match prefix.key().is_empty() {
            true => None,
            false => Some(key(prefix)?),
        };
        let metas: Vec<_> = self
            .again(|| {
                self.runtime
                    .block_on(self.store.list(folder.as_ref()).try_collect())
            })
            .map_err(|e| self.error(e, prefix.as_str(), "list"))?;
        Ok(metas
            .into_iter()
            .filter_map(|meta| {
                // Keys outside the backend alphabet cannot be addressed; skip them.
                let path = BackendPath::new(&format!("/{}", meta.location)).ok()?;
                let modified = std::time::SystemTime::from(meta.last_modified);
                Some(StoreEntry::new(
                    path,
                    StoreEntryKind::File,
                    meta.size,
                    Some(modified),
                ))
            })
            .collect())
    }

    /// Whether the store refuses a create-only write of a key that exists,
    /// as configured or, for [`ConditionalWrites::Auto`], as a probe finds
    /// once per backend: a create-only PUT of a hidden key no tool reads
    /// (`.audmodel-conditional-probe-…`), twice, without checking first;
    /// the second must be refused. The key is removed again. A probe that
    /// cannot write (no credentials, a read-only key, a store that is
    /// down) answers `false`, the safe guess: [`ObjectBackend::conditional_writes`]
    /// tells it apart from the store's answer.
    pub fn enforces_conditional_writes(&self) -> bool {
        matches!(self.probed(), Ok(true))
    }

    /// [`ObjectBackend::enforces_conditional_writes`], or [`Error::ProbeFailed`] when
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
                error_code(message).unwrap_or("permission denied")
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
    pub(crate) fn again<T>(
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
    pub(crate) fn error(&self, err: object_store::Error, path: &str, what: &str) -> Error {
        let text = error_chain(&err);
        // object_store types the status of GET and HEAD answers, but wraps
        // those of listings and uploads as `Generic` (its retry error is
        // private): there the error code of the answer decides.
        let code = error_code(&text);
        if code.is_some_and(|c| F::MISSING_CONTAINER.contains(&c)) {
            return self.missing_container();
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
            _ if code.is_some_and(|c| F::REFUSED.contains(&c)) => self.refused(text, what),
            _ => Error::other(
                format!(
                    "cannot {what} '{path}' in {} '{}' on '{}'",
                    F::CONTAINER,
                    self.bucket,
                    self.host
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
    pub(crate) fn not_found(&self, path: &str) -> Error {
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
            Err(object_store::Error::NotFound { .. }) => Err(self.missing_container()),
            Err(e) => Err(self.error(e, "/", "list")),
        }
    }

    /// HEAD with user metadata.
    pub(crate) fn head_object(&self, path: &BackendPath) -> Result<object_store::GetResult, Error> {
        let options = GetOptions {
            head: true,
            ..GetOptions::default()
        };
        self.runtime
            .block_on(self.store.get_opts(&key(path)?, options))
            .map_err(|e| self.error(e, path.as_str(), "read"))
    }

    /// Uploads a local file through an [`ObjectWriter`](writer::ObjectWriter) that
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
        let mut writer = writer::ObjectWriter::new(self, dst, Some(checksum), mode)?;
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
                "cannot read '{}' in {} '{}' on '{}' (broke again after {resumes} resumed attempts)",
                src.as_str(),
                F::CONTAINER,
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
                    "{what} of '{}' ({} '{}' on '{}' does not enforce conditional writes)",
                    path.as_str(),
                    F::CONTAINER,
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

impl<F: Flavor> Backend for ObjectBackend<F> {
    /// Create-only and compare-and-swap writes as configured, or as the
    /// store answered the probe ([`ObjectBackend::enforces_conditional_writes`]).
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

    /// Streams: see `object/writer.rs`. The object gets no `checksum`.
    fn put_writer(&self, dst: &BackendPath) -> Result<Box<dyn PutWriter + '_>, Error> {
        Ok(Box::new(writer::ObjectWriter::new(
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

    /// A server-side copy keeping the metadata (on S3 above 5 GiB a
    /// multipart copy that carries the source's `checksum` over).
    fn copy(&self, src: &BackendPath, dst: &BackendPath) -> Result<(), Error> {
        F::copy(self, src, dst)
    }

    /// A server-side copy that replaces the metadata, each store its own
    /// way: S3's `CopyObject` with `x-amz-metadata-directive: REPLACE` (a
    /// multipart copy above 5 GiB, `object/s3/copy.rs`), Azure's Copy Blob
    /// with `x-ms-meta-*`, GCS's copy with `x-goog-metadata-directive:
    /// REPLACE`.
    fn copy_with_checksum(
        &self,
        src: &BackendPath,
        dst: &BackendPath,
        md5: &str,
    ) -> Result<(), Error> {
        let size = self.head(src)?.size;
        F::copy_with_checksum(self, src, dst, size, md5)
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

    /// The reference prints the versioned backend path itself for S3;
    /// the other object stores do the same.
    fn url(&self, path: &BackendPath) -> String {
        path.as_str().to_owned()
    }

    /// The objects, and on S3 the unfinished multipart uploads
    /// (`object/s3/uploads.rs`).
    fn inventory(&self, prefix: &BackendPath) -> Result<Vec<StoreEntry>, Error> {
        F::inventory(self, prefix)
    }

    /// Removes an object or (S3) aborts an unfinished upload.
    fn discard(&self, entry: &StoreEntry) -> Result<(), Error> {
        F::discard(self, entry)
    }
}
