//! The archive of a version, streamed from its repository as it arrives.

use std::io::Write;

use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use tokio::sync::mpsc;

use crate::ask::ask;

/// Chunks in flight between the repository's reader and the client.
const CHUNKS_IN_FLIGHT: usize = 8;

/// `GET /versions/{id}/archive`: the archive as stored (`{uid}.zip`).
pub(crate) async fn archive(State(state): State<crate::State>, Path(id): Path<String>) -> Response {
    if let Err(failure) = super::valid_id(&id) {
        return failure.page();
    }
    // The UID and size first, so a missing model is a 404 page, not a
    // response cut short.
    let found = ask(&state, move |client| {
        let archive = client.archive(&id)?;
        let size = archive.size()?;
        Ok((archive, size))
    })
    .await;
    let (archive, size) = match found {
        Ok(found) => found,
        Err(failure) => return failure.page(),
    };
    let uid = archive.uid();
    let (sender, mut receiver) = mpsc::channel::<std::io::Result<Bytes>>(CHUNKS_IN_FLIGHT);
    tokio::task::spawn_blocking(move || {
        let mut out = ChannelWriter(sender);
        if let Err(e) = archive.download(&mut out) {
            // The client sees the body end early, so it never takes a cut
            // archive for a whole one.
            let error = std::io::Error::other(audmodel_core::error_chain(&e));
            let _ = out.send(Err(error));
        }
    });
    let stream = futures::stream::poll_fn(move |cx| receiver.poll_recv(cx));
    (
        [
            (header::CONTENT_TYPE, "application/zip".to_owned()),
            (header::CONTENT_LENGTH, size.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{uid}.zip\""),
            ),
        ],
        Body::from_stream(stream),
    )
        .into_response()
}

/// Sends what the repository writes to the response, a chunk at a time;
/// a client that went away stops the read.
struct ChannelWriter(mpsc::Sender<std::io::Result<Bytes>>);

impl ChannelWriter {
    /// Waits for room in the channel. Not tokio's `blocking_send`: an S3
    /// store calls the writer from inside its own runtime, where tokio
    /// refuses to block.
    fn send(&self, item: std::io::Result<Bytes>) -> Result<(), ()> {
        futures::executor::block_on(self.0.send(item)).map_err(|_| ())
    }
}

impl Write for ChannelWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.send(Ok(Bytes::copy_from_slice(buf))).map_err(|_| {
            std::io::Error::new(std::io::ErrorKind::BrokenPipe, "the client went away")
        })?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
