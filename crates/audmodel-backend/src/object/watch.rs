//! Watches every HTTP attempt of the S3 client, to tell a caller's
//! [`TransferObserver`] of retried requests and resumed downloads.
//!
//! `object_store` retries requests and resumes broken response bodies
//! itself, and says so only to a global logger; a library may not own
//! one. Its connector is the documented hook: this one wraps the usual
//! client, changes nothing in what is sent or answered, and reports.
//!
//! When an attempt fails nobody here knows whether it will be repeated
//! (the bounds may be spent, `retries: 0`, a create-only write is never
//! resent), so a failure is only noted, and reported once the same
//! request is sent again, or a download asks again from the byte where it
//! broke: a failure that is not repeated is no retry.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use object_store::ClientOptions;
use object_store::client::{
    HttpClient, HttpConnector, HttpError, HttpErrorKind, HttpRequest, HttpResponse,
    HttpResponseBody, HttpService, ReqwestConnector,
};

use crate::{TransferEvent, TransferObserver};

/// Connects as `object_store` does, and reports to `observer`.
#[derive(Debug)]
pub(crate) struct WatchingConnector {
    pub(crate) observer: TransferObserver,
    /// How long a failed attempt may wait for its repeat: longer than
    /// any retry starts after it (the retry bound in time and a pause).
    pub(crate) forget_after: Duration,
}

impl HttpConnector for WatchingConnector {
    fn connect(&self, options: &ClientOptions) -> object_store::Result<HttpClient> {
        let inner = ReqwestConnector::default().connect(options)?;
        Ok(HttpClient::new(Watching {
            inner,
            observer: self.observer.clone(),
            pending: Arc::new(Pending {
                waiting: Mutex::new(HashMap::new()),
                forget_after: self.forget_after,
            }),
        }))
    }
}

#[derive(Debug)]
struct Watching {
    inner: HttpClient,
    observer: TransferObserver,
    pending: Arc<Pending>,
}

/// Failures not yet repeated: the event each becomes when it is, by the
/// key of the request that repeats it.
#[derive(Debug)]
struct Pending {
    waiting: Mutex<HashMap<String, (Instant, TransferEvent)>>,
    forget_after: Duration,
}

impl Pending {
    fn fail(&self, key: String, event: TransferEvent) {
        let mut waiting = self.waiting.lock().unwrap_or_else(PoisonError::into_inner);
        // Failures never repeated would pile up in a long-lived client.
        waiting.retain(|_, (since, _)| since.elapsed() < self.forget_after);
        waiting.insert(key, (Instant::now(), event));
    }

    /// The event of the first of `keys` that failed before, taken.
    fn repeated(&self, keys: &[&str]) -> Option<TransferEvent> {
        let mut waiting = self.waiting.lock().unwrap_or_else(PoisonError::into_inner);
        keys.iter()
            .find_map(|key| waiting.remove(*key))
            .map(|(_, event)| event)
    }
}

/// The key of a request's attempts: object_store resends a request as
/// it was (the query names a part of an upload, the range a piece).
fn attempt_key(request: &HttpRequest) -> String {
    let range = request
        .headers()
        .get("range")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    format!("{} {} {range}", request.method(), request.uri())
}

/// The key of a download that goes on from byte `offset` of its object.
fn resume_key(path: &str, offset: u64) -> String {
    format!("GET {path} from {offset}")
}

/// The failures `object_store` retries (its `RetryConfig` documentation):
/// every kind but a decoding error and an unknown one.
fn retried_kind(kind: HttpErrorKind) -> bool {
    matches!(
        kind,
        HttpErrorKind::Connect
            | HttpErrorKind::Request
            | HttpErrorKind::Timeout
            | HttpErrorKind::Interrupted
    )
}

/// The first byte a request asks for (`Range: bytes=S-E`), 0 without one.
fn range_start(request: &HttpRequest) -> u64 {
    request
        .headers()
        .get("range")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("bytes="))
        .and_then(|v| v.split('-').next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

impl HttpService for Watching {
    // The trait is declared with `async_trait`; this is its expansion,
    // written out to need no macro crate.
    fn call<'life0, 'async_trait>(
        &'life0 self,
        req: HttpRequest,
    ) -> Pin<Box<dyn Future<Output = Result<HttpResponse, HttpError>> + Send + 'async_trait>>
    where
        'life0: 'async_trait,
        Self: 'async_trait,
    {
        Box::pin(async move {
            let request = format!("{} {}", req.method(), req.uri().path());
            let start = range_start(&req);
            let key = attempt_key(&req);
            let resumes = match req.method() == http::Method::GET {
                true => resume_key(req.uri().path(), start),
                false => String::new(),
            };
            if let Some(event) = self.pending.repeated(&[&key, &resumes]) {
                self.observer.notify(&event);
            }
            let failed = |error: String| {
                let event = TransferEvent::Retry {
                    request: request.clone(),
                    error,
                };
                self.pending.fail(key.clone(), event);
            };
            match self.inner.execute(req).await {
                Err(e) => {
                    if retried_kind(e.kind()) {
                        failed(audmodel_uid::error_chain(&e));
                    }
                    Err(e)
                }
                Ok(response) => {
                    let status = response.status();
                    if status.is_server_error() || matches!(status.as_u16(), 408 | 429) {
                        failed(status.to_string());
                    }
                    let (parts, body) = response.into_parts();
                    let body = HttpResponseBody::new(WatchedBody {
                        inner: body,
                        pending: Arc::clone(&self.pending),
                        request: request.clone(),
                        key: key.clone(),
                        offset: start,
                    });
                    Ok(HttpResponse::from_parts(parts, body))
                }
            }
        })
    }
}

/// A response body that notes where it broke.
struct WatchedBody {
    inner: HttpResponseBody,
    pending: Arc<Pending>,
    request: String,
    /// The [`attempt_key`] of its request.
    key: String,
    /// The position in the object of the next byte.
    offset: u64,
}

impl http_body::Body for WatchedBody {
    type Data = bytes::Bytes;
    type Error = HttpError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Self::Data>, Self::Error>>> {
        let polled = Pin::new(&mut self.inner).poll_frame(cx);
        match &polled {
            Poll::Ready(Some(Ok(frame))) => {
                if let Some(data) = frame.data_ref() {
                    self.offset += data.len() as u64;
                }
            }
            // A download goes on from there; any other answer is asked again.
            Poll::Ready(Some(Err(_))) if self.request.starts_with("GET ") => {
                let path = self.request.trim_start_matches("GET ");
                let event = TransferEvent::Resume {
                    request: self.request.clone(),
                    offset: self.offset,
                };
                self.pending.fail(resume_key(path, self.offset), event);
            }
            Poll::Ready(Some(Err(e))) => {
                let event = TransferEvent::Retry {
                    request: self.request.clone(),
                    error: audmodel_uid::error_chain(e),
                };
                self.pending.fail(self.key.clone(), event);
            }
            _ => {}
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}
