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
use object_store::path::Path as Key;
use object_store::{
    Attribute, Attributes, BackoffConfig, ClientOptions, GetOptions, GetRange, ObjectStore,
    ObjectStoreExt, PutMultipartOptions, PutPayload, RetryConfig, WriteMultipart,
};

use crate::s3_config::host_settings;
use crate::{
    Backend, BackendExt, BackendPath, Capabilities, ConditionalWrites, Error, ObjectMeta, Progress,
    PutMode, PutOptions,
};
use audmodel_uid::{md5_hex, md5_reader, user_name};

const DEFAULT_PART_SIZE: usize = 16 << 20;
const DEFAULT_PARALLEL: usize = 4;
/// Longest silence while reading a response.
const READ_TIMEOUT: Duration = Duration::from_secs(30);
/// Retries of a failed request: few, so a host that is down is reported
/// within seconds.
const MAX_RETRIES: usize = 2;

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
    connect_timeout: Duration,
    conditional_writes: ConditionalWrites,
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
        self
    }

    /// HTTPS (`true`) or plain HTTP (`false`).
    pub fn secure(mut self, secure: bool) -> Self {
        self.secure = secure;
        self
    }

    /// Files larger than this are uploaded in parts of this size and
    /// downloaded in ranges of this size (default 16 MiB; S3 needs at least
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

    /// Time to establish a connection (default 5 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Creates the client and its runtime; contacts no server.
    pub fn build(self) -> Result<S3, Error> {
        crate::tls::ensure_crypto_provider();
        let scheme = if self.secure { "https" } else { "http" };
        let client = ClientOptions::new()
            .with_allow_http(!self.secure)
            .with_connect_timeout(self.connect_timeout)
            .with_read_timeout(READ_TIMEOUT)
            // Whole requests may be long (a large part on a slow link); silence is bounded above.
            .with_timeout(Duration::from_secs(600));
        let retry = RetryConfig {
            backoff: BackoffConfig {
                init_backoff: Duration::from_millis(100),
                max_backoff: Duration::from_secs(2),
                base: 2.0,
            },
            max_retries: MAX_RETRIES,
            retry_timeout: Duration::from_secs(30),
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
        let mut builder = AmazonS3Builder::new()
            .with_endpoint(endpoint)
            .with_bucket_name(&self.bucket)
            .with_region(region)
            .with_virtual_hosted_style_request(virtual_hosted)
            // No SHA-256 pass over every body (measured: a quarter of the
            // upload time of a large file here); the content is covered by the
            // `checksum` metadata and, on HTTPS, by TLS, as with the reference's client.
            .with_unsigned_payload(true)
            .with_client_options(client)
            .with_retry(retry);
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
            host: self.host,
            bucket: self.bucket,
            part_size: self.part_size,
            parallel: self.parallel,
            bucket_checked: Arc::new(AtomicBool::new(false)),
            conditional: Arc::new(match self.conditional_writes {
                ConditionalWrites::Auto => OnceLock::new(),
                ConditionalWrites::Yes => OnceLock::from(true),
                ConditionalWrites::No => OnceLock::from(false),
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
/// Every request has a connect and read timeout and few retries, so a host
/// that is down gives [`Error::Unreachable`] within seconds.
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
/// ```no_run
/// use audmodel_backend::{BackendExt, BackendPath, S3};
/// let s3 = S3::builder("127.0.0.1:3900", "models").secure(false).build().unwrap();
/// let exists = s3.exists(&BackendPath::new("/_uid/d4e9c65b/1.0.0/d4e9c65b-1.0.0.header.yaml").unwrap());
/// ```
#[derive(Debug, Clone)]
pub struct S3 {
    store: Arc<AmazonS3>,
    runtime: Arc<tokio::runtime::Runtime>,
    host: String,
    bucket: String,
    part_size: usize,
    parallel: usize,
    /// Whether the bucket was seen to exist, so a missing object is reported
    /// as such and a missing bucket as the bucket.
    bucket_checked: Arc<AtomicBool>,
    /// Whether the store enforces conditional writes, once known.
    conditional: Arc<OnceLock<bool>>,
}

fn attributes(checksum: &str) -> Attributes {
    let mut attributes = Attributes::new();
    attributes.insert(
        Attribute::Metadata("checksum".into()),
        checksum.to_owned().into(),
    );
    attributes.insert(Attribute::Metadata("owner".into()), user_name().into());
    attributes
}

fn key(path: &BackendPath) -> Result<Key, Error> {
    Key::parse(path.key()).map_err(|e| Error::invalid(path.as_str(), e.to_string()))
}

/// The whole chain of an error as text, to find what S3 said.
fn chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(inner) = source {
        text.push_str(": ");
        text.push_str(&inner.to_string());
        source = inner.source();
    }
    text
}

/// The S3 error code of an error answer (`<Code>NoSuchBucket</Code>`)
/// quoted in an error's text.
fn s3_code(text: &str) -> Option<&str> {
    let start = text.find("<Code>")? + "<Code>".len();
    let len = text[start..].find("</Code>")?;
    Some(&text[start..start + len])
}

fn is_connection_failure(err: &(dyn std::error::Error + 'static)) -> bool {
    use object_store::client::{HttpError, HttpErrorKind};
    let mut current = Some(err);
    while let Some(e) = current {
        if let Some(http) = e.downcast_ref::<HttpError>() {
            return matches!(
                http.kind(),
                HttpErrorKind::Connect | HttpErrorKind::Timeout | HttpErrorKind::Request
            );
        }
        current = e.source();
    }
    false
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
        S3Builder {
            host: host.to_owned(),
            bucket: bucket.to_owned(),
            access_key: settings.access_key,
            secret_key: settings.secret_key,
            secure: settings.secure,
            region: settings.region,
            part_size: DEFAULT_PART_SIZE,
            parallel: DEFAULT_PARALLEL,
            connect_timeout: Duration::from_secs(5),
            conditional_writes: ConditionalWrites::Auto,
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
    /// cannot write (a read-only key, a store that is down) answers `false`.
    pub fn enforces_conditional_writes(&self) -> bool {
        *self
            .conditional
            .get_or_init(|| self.probe_conditional_writes())
    }

    fn probe_conditional_writes(&self) -> bool {
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
            Ok(_) => matches!(
                put(),
                Err(object_store::Error::AlreadyExists { .. }
                    | object_store::Error::Precondition { .. })
            ),
            Err(_) => false,
        };
        let _ = self.runtime.block_on(self.store.delete(&location));
        enforced
    }

    /// Maps an `object_store` error about `path` to a typed error.
    fn error(&self, err: object_store::Error, path: &str, what: &str) -> Error {
        let text = chain(&err);
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
            object_store::Error::AlreadyExists { .. }
            | object_store::Error::Precondition { .. } => Error::AlreadyExists {
                path: path.to_owned(),
            },
            object_store::Error::PermissionDenied { .. }
            | object_store::Error::Unauthenticated { .. } => Error::Permission {
                host: self.host.clone(),
                message: text,
            },
            _ if is_connection_failure(&err) => Error::Unreachable {
                host: self.host.clone(),
                source: Box::new(err),
            },
            _ if matches!(
                code,
                Some("AccessDenied" | "InvalidAccessKeyId" | "SignatureDoesNotMatch")
            ) =>
            {
                Error::Permission {
                    host: self.host.clone(),
                    message: text,
                }
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
        match self
            .runtime
            .block_on(self.store.list_with_delimiter(Some(&probe)))
        {
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

    /// Uploads a local file: one PUT when it fits one part, else a parallel
    /// multipart upload (the checksum then needs a first pass over the file,
    /// because S3 takes metadata when the upload starts, unless the caller
    /// knows it: `md5`).
    fn upload(
        &self,
        src: &Path,
        dst: &BackendPath,
        options: PutOptions<'_>,
        progress: Progress<'_>,
    ) -> Result<(), Error> {
        let md5 = options.md5;
        let mode = self.store_mode(dst, options.mode)?;
        let shown = src.display().to_string();
        let local_err = |e: std::io::Error| Error::io(e, &shown, "cannot read");
        let mut file = std::fs::File::open(src).map_err(local_err)?;
        let size = file.metadata().map_err(local_err)?.len();
        let location = key(dst)?;
        if size <= self.part_size as u64 {
            let mut data = Vec::with_capacity(size as usize);
            file.read_to_end(&mut data).map_err(local_err)?;
            let checksum = md5.map_or_else(|| md5_hex(&data), str::to_owned);
            let options = object_store::PutOptions {
                mode,
                attributes: attributes(&checksum),
                ..object_store::PutOptions::default()
            };
            // Reported before the one request: a cancel then stores nothing.
            progress(size)?;
            self.runtime
                .block_on(
                    self.store
                        .put_opts(&location, PutPayload::from(data), options),
                )
                .map_err(|e| self.error(e, dst.as_str(), "write"))?;
            return Ok(());
        }
        let checksum = match md5 {
            Some(md5) => md5.to_owned(),
            None => {
                let checksum = md5_reader(&mut file).map_err(local_err)?;
                file.rewind().map_err(local_err)?;
                checksum
            }
        };
        let options = PutMultipartOptions {
            attributes: attributes(&checksum),
            ..PutMultipartOptions::default()
        };
        let result: Result<(), Error> = self.runtime.block_on(async {
            let upload = self
                .store
                .put_multipart_opts(&location, options)
                .await
                .map_err(|e| self.error(e, dst.as_str(), "write"))?;
            let mut writer = WriteMultipart::new_with_chunk_size(upload, self.part_size);
            let mut buf = vec![0u8; (1 << 20).min(self.part_size)];
            loop {
                let n = match file.read(&mut buf) {
                    Ok(0) => break,
                    Ok(n) => n,
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                    Err(e) => {
                        let _ = writer.abort().await;
                        return Err(local_err(e));
                    }
                };
                if let Err(e) = writer.wait_for_capacity(self.parallel).await {
                    let _ = writer.abort().await;
                    return Err(self.error(e, dst.as_str(), "write"));
                }
                writer.write(&buf[..n]);
                if let Err(cancelled) = progress(n as u64) {
                    let _ = writer.abort().await;
                    return Err(cancelled.into());
                }
            }
            writer
                .finish()
                .await
                .map_err(|e| self.error(e, dst.as_str(), "write"))
                .map(drop)
        });
        result
    }

    /// Downloads an object into `out`: ranges of `part_size`, `parallel` in
    /// flight, written in order (memory bounded by their product). Each
    /// range streams into its own queue as its bytes arrive, so the front
    /// one is written while the later ones fill. The first range is asked
    /// for before the size is known (its answer tells it), so a small file
    /// costs one request.
    fn download(
        &self,
        src: &BackendPath,
        out: &mut dyn Write,
        progress: Progress<'_>,
    ) -> Result<(), Error> {
        let location = key(src)?;
        let part = self.part_size as u64;
        let failed = |e| self.error(e, src.as_str(), "read");
        let write = |out: &mut dyn Write, piece: &[u8]| -> Result<(), Error> {
            out.write_all(piece)
                .map_err(|e| Error::io(e, src.as_str(), "cannot write the download of"))?;
            progress(piece.len() as u64)?;
            Ok(())
        };
        let first = GetOptions {
            range: Some(GetRange::Bounded(0..part)),
            ..GetOptions::default()
        };
        let first = match self.runtime.block_on(self.store.get_opts(&location, first)) {
            Ok(first) => first,
            // An empty object has no first byte to ask for.
            Err(e) if !matches!(e, object_store::Error::NotFound { .. }) => {
                return match self.head_object(src) {
                    Ok(head) if head.meta.size == 0 => Ok(()),
                    _ => Err(failed(e)),
                };
            }
            Err(e) => return Err(failed(e)),
        };
        self.runtime.block_on(async {
            let size = first.meta.size;
            let mut body = first.into_stream();
            while let Some(piece) = body.try_next().await.map_err(failed)? {
                write(out, &piece)?;
            }
            let ranges: Vec<(u64, u64)> = (1..size.div_ceil(part))
                .map(|i| (i * part, ((i + 1) * part).min(size)))
                .collect();
            let mut parts = futures::stream::iter(ranges)
                .map(|(start, end)| {
                    let (pieces, queue) = tokio::sync::mpsc::unbounded_channel::<Bytes>();
                    let location = location.clone();
                    let store = Arc::clone(&self.store);
                    // On the runtime's workers, while this thread writes.
                    let fetch = tokio::spawn(async move {
                        let options = GetOptions {
                            range: Some(GetRange::Bounded(start..end)),
                            ..GetOptions::default()
                        };
                        let mut body = store.get_opts(&location, options).await?.into_stream();
                        while let Some(piece) = body.try_next().await? {
                            if pieces.send(piece).is_err() {
                                break; // the download was given up
                            }
                        }
                        Ok::<(), object_store::Error>(())
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
                    .unwrap_or_else(|e| Err(object_store::Error::JoinError { source: e }))
                    .map_err(failed)?;
            }
            Ok(())
        })
    }

    /// The `object_store` mode of a write: create-only writes check first,
    /// since stores that ignore `If-None-Match` would overwrite.
    fn store_mode(&self, dst: &BackendPath, mode: PutMode) -> Result<object_store::PutMode, Error> {
        match mode {
            PutMode::Overwrite => Ok(object_store::PutMode::Overwrite),
            PutMode::Create if self.exists(dst)? => Err(Error::AlreadyExists {
                path: dst.as_str().to_owned(),
            }),
            PutMode::Create => Ok(object_store::PutMode::Create),
        }
    }

    fn put_data(&self, data: Bytes, dst: &BackendPath, mode: PutMode) -> Result<(), Error> {
        let options = object_store::PutOptions {
            mode: self.store_mode(dst, mode)?,
            attributes: attributes(&md5_hex(&data)),
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

    /// See the type's documentation on create-only writes.
    fn put_file(
        &self,
        src: &Path,
        dst: &BackendPath,
        options: PutOptions<'_>,
        progress: Progress<'_>,
    ) -> Result<(), Error> {
        self.upload(src, dst, options, progress)
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

    fn read_range(&self, src: &BackendPath, range: std::ops::Range<u64>) -> Result<Vec<u8>, Error> {
        let location = key(src)?;
        let wanted = range.end.saturating_sub(range.start);
        let options = GetOptions {
            range: Some(GetRange::Bounded(range)),
            ..GetOptions::default()
        };
        let bytes = self
            .runtime
            .block_on(async { self.store.get_opts(&location, options).await?.bytes().await })
            .map_err(|e| self.error(e, src.as_str(), "read"))?;
        // A server answers a range beyond the end with what it has.
        if bytes.len() as u64 != wanted {
            return Err(Error::io(
                std::io::ErrorKind::UnexpectedEof.into(),
                src.as_str(),
                "cannot read the asked range of",
            ));
        }
        Ok(bytes.to_vec())
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
            .runtime
            .block_on(self.store.list(folder.as_ref()).try_collect())
            .map_err(|e| self.error(e, prefix.as_str(), "list"))?;
        let mut found: Vec<BackendPath> = metas
            .iter()
            // Keys outside the backend alphabet cannot be addressed; skip them.
            .filter_map(|meta| BackendPath::new(&format!("/{}", meta.location)).ok())
            .collect();
        found.sort();
        Ok(found)
    }

    /// Checks that the object exists first: S3 deletes missing keys silently.
    fn copy(&self, src: &BackendPath, dst: &BackendPath) -> Result<(), Error> {
        let (from, to) = (key(src)?, key(dst)?);
        self.runtime
            .block_on(self.store.copy(&from, &to))
            .map_err(|e| self.error(e, src.as_str(), "copy"))
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
