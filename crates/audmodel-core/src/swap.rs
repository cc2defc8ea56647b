//! Read-modify-write of one small repository file (metadata, an aliases
//! file, an alias file) by the means the store has:
//!
//! - stores with compare-and-swap (S3 that enforces `If-Match`, the
//!   in-memory store): read with the version, write back only while the
//!   file is still that version (a missing file is created create-only);
//!   a lost swap reads again and retries, a bounded number of times with
//!   a small jittered backoff;
//! - stores with locks (a file system): read and write under the file's
//!   turn, so each writer starts from the previous result;
//! - stores with neither (Garage): read and overwrite, as the reference
//!   does; two writers at once can lose one of their changes.

use std::time::Duration;

use audmodel_backend::{BackendPath, ErrorKind, PutMode, Versioned};

use crate::Error;
use crate::turn::turn;

/// How often and how patiently a compare-and-swap is retried.
#[derive(Debug, Clone, Copy)]
struct Retry {
    /// Attempts before giving up.
    attempts: u32,
    /// The backoff after the first lost swap, doubled after each further
    /// one up to `max_backoff`; a random part of it is waited.
    first_backoff: Duration,
    max_backoff: Duration,
}

/// Enough for dozens of writers of one file at once (about 15 s of
/// waiting at most).
const RETRY: Retry = Retry {
    attempts: 40,
    first_backoff: Duration::from_millis(10),
    max_backoff: Duration::from_millis(400),
};

/// Changes the file `logical` at `version` of the repository `repo` (named
/// in errors): `change` gets its current content (`None` when there is
/// none) and returns the new content, or `None` to leave it as it is. On
/// stores with compare-and-swap `change` may be called again after a lost
/// swap, with the content then stored; its last call is the one that
/// counted.
pub(crate) fn read_modify_write(
    versioned: &Versioned,
    repo: &str,
    logical: &BackendPath,
    version: &str,
    change: impl FnMut(Option<&[u8]>) -> Result<Option<Vec<u8>>, Error>,
) -> Result<(), Error> {
    with_retry(RETRY, versioned, repo, logical, version, change)
}

fn with_retry(
    retry: Retry,
    versioned: &Versioned,
    repo: &str,
    logical: &BackendPath,
    version: &str,
    mut change: impl FnMut(Option<&[u8]>) -> Result<Option<Vec<u8>>, Error>,
) -> Result<(), Error> {
    let err = || Error::backend(repo);
    let stored = Versioned::path(logical, version).map_err(err())?;
    let missing = |e: &audmodel_backend::Error| matches!(e, audmodel_backend::Error::NotFound { path } if path == stored.as_str());
    if !versioned.capabilities().compare_and_swap {
        let _turn = turn(versioned, logical, version).map_err(err())?;
        let current = match versioned.get_bytes(logical, version) {
            Ok(bytes) => Some(bytes),
            Err(e) if missing(&e) => None,
            Err(e) => return Err(err()(e)),
        };
        if let Some(new) = change(current.as_deref())? {
            versioned
                .put_bytes(&new, logical, version, PutMode::Overwrite)
                .map_err(err())?;
        }
        return Ok(());
    }
    for attempt in 0..retry.attempts {
        let (current, mode) = match versioned.get_for_update(logical, version) {
            Ok((bytes, read)) => (Some(bytes), PutMode::Update(read)),
            Err(e) if missing(&e) => (None, PutMode::Create),
            Err(e) => return Err(err()(e)),
        };
        let Some(new) = change(current.as_deref())? else {
            return Ok(());
        };
        match versioned.put_bytes(&new, logical, version, mode) {
            Ok(()) => return Ok(()),
            // Another writer came first (or created the file): start again
            // from what it stored.
            Err(e) if matches!(e.kind(), ErrorKind::Precondition | ErrorKind::AlreadyExists) => {
                std::thread::sleep(backoff(retry, attempt));
            }
            Err(e) => return Err(err()(e)),
        }
    }
    Err(Error::Contention {
        repository: repo.to_owned(),
        path: stored.as_str().to_owned(),
        attempts: retry.attempts,
    })
}

/// A random wait below `first_backoff * 2^attempt` (at most
/// `max_backoff`), so writers that lost together do not meet again.
fn backoff(retry: Retry, attempt: u32) -> Duration {
    use std::hash::{BuildHasher, RandomState};
    let ceiling = retry
        .first_backoff
        .saturating_mul(1 << attempt.min(16))
        .min(retry.max_backoff);
    let random = RandomState::new().hash_one(attempt);
    let nanos = u64::try_from(ceiling.as_nanos()).unwrap_or(u64::MAX);
    Duration::from_nanos(random % nanos.max(1))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use std::sync::Arc;

    use audmodel_backend::{Backend, Memory};

    use super::*;

    fn counter_file() -> (Versioned, BackendPath) {
        let store: Arc<dyn Backend> = Arc::new(Memory::new());
        (
            Versioned::new(store),
            BackendPath::new("/_uid/x.meta.yaml").unwrap(),
        )
    }

    fn increment(current: Option<&[u8]>) -> Result<Option<Vec<u8>>, Error> {
        let n: u64 = current
            .map(|b| std::str::from_utf8(b).unwrap().parse().unwrap())
            .unwrap_or(0);
        Ok(Some((n + 1).to_string().into_bytes()))
    }

    #[test]
    fn concurrent_increments_on_a_compare_and_swap_store_all_count() {
        let (versioned, path) = counter_file();
        std::thread::scope(|scope| {
            for _ in 0..8 {
                scope.spawn(|| {
                    for _ in 0..5 {
                        read_modify_write(&versioned, "mem", &path, "1.0.0", increment).unwrap();
                    }
                });
            }
        });
        assert_eq!(versioned.get_bytes(&path, "1.0.0").unwrap(), b"40");
    }

    #[test]
    fn no_change_writes_nothing_and_a_missing_file_is_created() {
        let (versioned, path) = counter_file();
        read_modify_write(&versioned, "mem", &path, "1.0.0", |_| Ok(None)).unwrap();
        assert!(!versioned.exists(&path, "1.0.0").unwrap());
        read_modify_write(&versioned, "mem", &path, "1.0.0", increment).unwrap();
        assert_eq!(versioned.get_bytes(&path, "1.0.0").unwrap(), b"1");
    }

    #[test]
    fn a_writer_that_always_loses_gives_up_with_a_clear_error() {
        let (versioned, path) = counter_file();
        versioned
            .put_bytes(b"0", &path, "1.0.0", PutMode::Overwrite)
            .unwrap();
        // Another writer changes the file between every read and write.
        let quick = Retry {
            attempts: 5,
            first_backoff: Duration::from_millis(1),
            max_backoff: Duration::from_millis(2),
        };
        let mut calls = 0;
        let err = with_retry(quick, &versioned, "mem", &path, "1.0.0", |_| {
            calls += 1;
            versioned
                .put_bytes(b"other", &path, "1.0.0", PutMode::Overwrite)
                .unwrap();
            Ok(Some(b"mine".to_vec()))
        })
        .unwrap_err();
        assert!(
            matches!(err, Error::Contention { attempts: 5, .. }),
            "{err}"
        );
        assert_eq!(calls, 5);
        assert_eq!(versioned.get_bytes(&path, "1.0.0").unwrap(), b"other");
        assert!(err.to_string().contains("x-1.0.0.meta.yaml"), "{err}");
    }

    #[test]
    fn backoff_stays_below_its_ceiling() {
        for attempt in 0..50 {
            assert!(backoff(RETRY, attempt) < RETRY.max_backoff);
        }
    }
}
