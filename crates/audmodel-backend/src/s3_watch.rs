//! Watches every HTTP attempt of the S3 client, to tell a caller's
//! [`TransferObserver`] of failed attempts and broken downloads.
//!
//! `object_store` retries requests and resumes broken response bodies
//! itself, and says so only to a global logger; a library may not own
//! one. Its connector is the documented hook: this one wraps the usual
//! client, changes nothing in what is sent or answered, and reports.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

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
}

impl HttpConnector for WatchingConnector {
    fn connect(&self, options: &ClientOptions) -> object_store::Result<HttpClient> {
        let inner = ReqwestConnector::default().connect(options)?;
        Ok(HttpClient::new(Watching {
            inner,
            observer: self.observer.clone(),
        }))
    }
}

#[derive(Debug)]
struct Watching {
    inner: HttpClient,
    observer: TransferObserver,
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
            let retry = |error: String| {
                self.observer.notify(&TransferEvent::Retry {
                    request: request.clone(),
                    error,
                });
            };
            match self.inner.execute(req).await {
                Err(e) => {
                    if retried_kind(e.kind()) {
                        retry(audmodel_uid::error_chain(&e));
                    }
                    Err(e)
                }
                Ok(response) => {
                    let status = response.status();
                    if status.is_server_error() || matches!(status.as_u16(), 408 | 429) {
                        retry(status.to_string());
                    }
                    let (parts, body) = response.into_parts();
                    let body = HttpResponseBody::new(WatchedBody {
                        inner: body,
                        observer: self.observer.clone(),
                        request: request.clone(),
                        offset: start,
                    });
                    Ok(HttpResponse::from_parts(parts, body))
                }
            }
        })
    }
}

/// A response body that reports where it broke.
struct WatchedBody {
    inner: HttpResponseBody,
    observer: TransferObserver,
    request: String,
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
            Poll::Ready(Some(Err(e))) if self.request.starts_with("GET ") => {
                let _ = e;
                self.observer.notify(&TransferEvent::Resume {
                    request: self.request.clone(),
                    offset: self.offset,
                });
            }
            Poll::Ready(Some(Err(e))) => {
                let error = audmodel_uid::error_chain(e);
                self.observer.notify(&TransferEvent::Retry {
                    request: self.request.clone(),
                    error,
                });
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
