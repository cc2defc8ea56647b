//! Range downloads that carry on from the byte where they broke.
//!
//! `object_store` already resumes a broken answer from its last byte, but
//! only while the request's retry bounds last, and those count from the
//! request's start, the time spent receiving included. A slow range that
//! breaks late would then fail although it was making progress; here it
//! goes on from where it stopped, as long as each attempt brings bytes.

use std::ops::Range;

use bytes::Bytes;
use futures::TryStreamExt;
use object_store::path::Path as Key;
use object_store::{GetOptions, GetRange, ObjectStore};

/// What the first answer of a [`fetch`] said of the object.
#[derive(Debug, Clone)]
pub(crate) struct Fetched {
    /// The object's size.
    pub(crate) size: u64,
    /// Its entity tag, to ask later ranges of the same content.
    pub(crate) etag: Option<String>,
}

/// Why a [`fetch`] stopped.
#[derive(Debug)]
pub(crate) enum FetchError<E> {
    /// The store failed, after `resumes` resumed attempts of ours.
    Store {
        source: object_store::Error,
        resumes: u32,
    },
    /// The sink refused a piece.
    Sink(E),
}

/// Errors that another attempt cannot mend.
fn is_final(err: &object_store::Error) -> bool {
    matches!(
        err,
        object_store::Error::NotFound { .. }
            | object_store::Error::Precondition { .. }
            | object_store::Error::NotModified { .. }
            | object_store::Error::PermissionDenied { .. }
            | object_store::Error::Unauthenticated { .. }
    )
}

/// Streams the bytes `range` of `location` into `sink`, in order; the end
/// may lie beyond the object (the answer tells its size). `etag` pins the
/// content (a resumed attempt always asks for the first answer's). An
/// attempt that broke after bringing bytes is resumed from the next byte,
/// at most `resumes` times.
pub(crate) async fn fetch<E>(
    store: &dyn ObjectStore,
    location: &Key,
    range: Range<u64>,
    etag: Option<String>,
    resumes: u32,
    mut sink: impl FnMut(Bytes) -> Result<(), E>,
) -> Result<Fetched, FetchError<E>> {
    let mut state = State {
        next: range.start,
        end: range.end,
        seen: None,
    };
    let mut resumed = 0;
    loop {
        let from = state.next;
        let pinned = state.seen.as_ref().map_or(etag.clone(), |s| s.etag.clone());
        let failure = match attempt(store, location, pinned, &mut state, &mut sink).await {
            Ok(fetched) => return Ok(fetched),
            Err(FetchError::Sink(e)) => return Err(FetchError::Sink(e)),
            Err(FetchError::Store { source, .. }) => source,
        };
        if let Some(fetched) = state.seen.clone().filter(|_| state.next >= state.end) {
            // Broke after its last byte: nothing is missing.
            return Ok(fetched);
        }
        if state.next > from && resumed < resumes && !is_final(&failure) {
            resumed += 1;
            continue;
        }
        return Err(FetchError::Store {
            source: failure,
            resumes: resumed,
        });
    }
}

/// Where a [`fetch`] stands.
struct State {
    /// The next byte to ask for.
    next: u64,
    /// The end of the range, once known within the object.
    end: u64,
    seen: Option<Fetched>,
}

/// One ranged GET from `state.next`, its bytes into `sink`.
async fn attempt<E>(
    store: &dyn ObjectStore,
    location: &Key,
    etag: Option<String>,
    state: &mut State,
    sink: &mut impl FnMut(Bytes) -> Result<(), E>,
) -> Result<Fetched, FetchError<E>> {
    let store_err = |source| FetchError::Store { source, resumes: 0 };
    let options = GetOptions {
        range: Some(GetRange::Bounded(state.next..state.end)),
        if_match: etag,
        ..GetOptions::default()
    };
    let answer = store.get_opts(location, options).await.map_err(store_err)?;
    let fetched = state
        .seen
        .get_or_insert_with(|| Fetched {
            size: answer.meta.size,
            etag: answer.meta.e_tag.clone(),
        })
        .clone();
    state.end = state.end.min(fetched.size);
    let mut body = answer.into_stream();
    while let Some(piece) = body.try_next().await.map_err(store_err)? {
        state.next += piece.len() as u64;
        sink(piece).map_err(FetchError::Sink)?;
    }
    Ok(fetched)
}
