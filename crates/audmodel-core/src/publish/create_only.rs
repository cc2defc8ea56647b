//! The commit on stores without locks whose create-only writes are decided
//! by the store (S3 servers that honour `If-None-Match: *`: AWS S3, MinIO,
//! Ceph RGW, SeaweedFS; the in-memory store).
//!
//! The archive is uploaded under a hidden key first ([`StagedArchive`]).
//! Then each publisher writes a claim, create-only, under a hidden key
//! beside the header (`.{sid}-{V}.header.yaml.claim`): the store lets
//! exactly one of them create it, and only that one writes under final
//! keys (archive copied into place, metadata, alias files, the header last,
//! create-only too). The others remove their upload and fail with
//! [`Error::ModelExists`] having written nothing a tool reads. A reader
//! never sees a header whose files are missing: the header is written last.
//!
//! A claim names its writer (user, process, random bits), so a claim write
//! whose answer was lost (a timeout, a broken connection, a server error)
//! is decided by reading back what was stored: ours, and the publish goes
//! on; another's, and it fails with `exists`; none, and the claim is
//! written again.
//!
//! An alias is taken as `alias set` moves one: by one read-modify-write
//! of the alias file (compare-and-swap), refused with `AliasTaken` when it
//! names another registered model by then. Once the header is stored, the
//! aliases files of the models the alias named are brought in line with
//! the alias file, since a mover that moved the alias away before the
//! header was there could not take it off this model's list.
//!
//! The claim of a registered model stays, so later publishers are refused
//! at the claim. A publish that fails or is cancelled after claiming
//! removes what it put and then its claim. A publisher killed after
//! claiming leaves its claim (and perhaps some files under final keys, no
//! header): the model version stays unregistered, and publishes of it fail
//! with `exists` until the claim is older than
//! [`PublishOptions::stale_claim_after`](crate::PublishOptions) by the
//! time written in it (the claimant's clock; default 1 h). Then one
//! publisher takes it over by compare-and-swap (the others fail with
//! `exists`) and publishes, replacing what the killed one put under final
//! keys. A live winner slower than the bound between claim and header
//! could so have its files replaced; claims without a time (written by
//! earlier versions) are never taken over.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use audmodel_backend::{
    Backend, BackendExt, BackendPath, ErrorKind, PutMode, UpdateVersion, Versioned,
};

use super::Source;
use super::commit::{Put, answer_may_be_lost, put_header, put_meta, stage_archive};
use super::plan::Plan;
use crate::alias::alias_yaml;
use crate::{Audmodel, Error, paths};

pub(super) fn commit(client: &Audmodel, plan: &Plan, source: &Source<'_>) -> Result<(), Error> {
    let uid = plan.model.uid();
    let version = &plan.model.version;
    let err = || plan.backend_err();
    let stored_archive = Versioned::path(&plan.paths.archive, version).map_err(err())?;
    let staged = stage_archive(client, plan, source)?;
    plan.check_cancelled()?;
    if plan.registered()? {
        return Err(Error::ModelExists { uid });
    }
    if let Some(alias) = &plan.alias {
        client.check_alias_free(alias, &uid)?;
    }

    let claim = Claim::take(plan)?.ok_or_else(|| Error::ModelExists { uid: uid.clone() })?;
    let mut put = Put::new(plan);
    put.will_write(&plan.paths.archive, version);
    staged.copy_to(&stored_archive).map_err(err())?;
    put_meta(plan, &mut put)?;
    let mut named = match &plan.alias {
        Some(alias) => {
            plan.check_cancelled()?;
            let text = alias_yaml(&uid);
            put.will_write_shared(&paths::alias(alias)?, paths::ALIAS_VERSION, text.as_bytes());
            client.take_alias_for_publish(&plan.versioned, &plan.repo, alias, &uid)?
        }
        None => Vec::new(),
    };
    let stored = put_header(plan)?;
    put.keep();
    claim.keep();
    // Under our claim only a publisher that takes none (the reference)
    // writes the header, and the files are shared then; or the HTTP
    // client sent our write again after losing its answer, and the
    // header refusing the repeat is ours.
    if !stored
        && plan
            .versioned
            .get_bytes(&plan.paths.header, version)
            .map_err(err())?
            != plan.header_yaml.as_bytes()
    {
        return Err(Error::PublishedInTheMeantime { uid });
    }
    // A mover may have moved the alias away before the header was there,
    // when it could not yet take the alias off this model's list.
    if let Some(alias) = &plan.alias {
        client.settle_aliases(&plan.versioned, &plan.repo, alias, &mut named)?;
    }
    Ok(())
}

/// The claim on a model version, removed when dropped unless kept.
struct Claim<'a> {
    plan: &'a Plan,
    key: Option<BackendPath>,
}

/// Tries of the claim: a claim removed by its failed publish between our
/// tries is claimed anew, and a write that stored nothing is repeated; a
/// few are plenty.
const CLAIM_TRIES: usize = 3;

impl<'a> Claim<'a> {
    /// Writes the claim create-only, or takes over a stale one; `None`
    /// when another publisher holds it.
    ///
    /// A write whose answer was lost (a timeout, a broken connection, a
    /// server error after the store may have stored it) is decided by
    /// reading back what the store holds: the claim names its writer, so
    /// a claim of ours is held, another's refuses us as if the write had
    /// been refused, and none means nothing was stored and the write is
    /// tried again.
    fn take(plan: &'a Plan) -> Result<Option<Self>, Error> {
        let err = || plan.backend_err();
        let header = Versioned::path(&plan.paths.header, &plan.model.version).map_err(err())?;
        let key = claim_key(&header).map_err(err())?;
        let holder = audmodel_uid::md5_hex(plan.header_yaml.as_bytes());
        let writer = writer();
        let text = format!(
            "{}{WRITER}{writer}\n",
            claim_text(&holder, SystemTime::now())
        );
        let backend = &**plan.versioned.backend();
        let swaps = backend.capabilities().compare_and_swap;
        let mut unanswered = None;
        for _ in 0..CLAIM_TRIES {
            match backend.put_bytes(text.as_bytes(), &key, PutMode::Create) {
                Ok(()) => return Ok(Some(Claim::held(plan, key))),
                // Also when the HTTP client sent the write again after
                // losing its answer: our own claim refuses the repeat.
                Err(e) if e.kind() == ErrorKind::AlreadyExists => unanswered = None,
                Err(e) if answer_may_be_lost(&e) => unanswered = Some(e),
                Err(e) => return Err(err()(e)),
            }
            let (held, version) = match read_claim(backend, &key, swaps) {
                Ok(Some(read)) => read,
                // Nothing stored: our write never arrived, or the holder
                // failed and removed its claim.
                Ok(None) => continue,
                Err(e) => return Err(err()(unanswered.unwrap_or(e))),
            };
            if names_writer(&held, &writer) {
                return Ok(Some(Claim::held(plan, key)));
            }
            let Some(version) = version else {
                return Ok(None);
            };
            if !is_stale(&held, plan.stale_claim_after, SystemTime::now()) {
                return Ok(None);
            }
            // A killed winner's claim: of the publishers that find it
            // stale, the swap lets one take it over.
            match backend.put_bytes(text.as_bytes(), &key, PutMode::Update(version)) {
                Ok(()) => {}
                Err(e) if e.kind() == ErrorKind::Precondition => return Ok(None),
                Err(e) if answer_may_be_lost(&e) => match read_claim(backend, &key, false) {
                    Ok(Some((held, _))) if names_writer(&held, &writer) => {}
                    Ok(_) => return Ok(None),
                    Err(_) => return Err(err()(e)),
                },
                Err(e) => return Err(err()(e)),
            }
            // Its holder was alive after all and registered the model:
            // the claim stays, as a registered model's does.
            if plan.registered()? {
                return Err(Error::ModelExists {
                    uid: plan.model.uid(),
                });
            }
            return Ok(Some(Claim::held(plan, key)));
        }
        match unanswered {
            Some(e) => Err(err()(e)),
            None => Ok(None),
        }
    }

    fn held(plan: &'a Plan, key: BackendPath) -> Self {
        Claim {
            plan,
            key: Some(key),
        }
    }

    /// The model is registered: the claim stays and refuses later publishers.
    fn keep(mut self) {
        self.key = None;
    }
}

impl Drop for Claim<'_> {
    fn drop(&mut self) {
        if let Some(key) = self.key.take() {
            // Best effort, after the files were removed (dropped first).
            let backend = self.plan.versioned.backend();
            if backend.exists(&key).unwrap_or(false) {
                let _ = backend.delete(&key);
            }
        }
    }
}

/// The line of a claim that says when it was written.
const CLAIMED: &str = "claimed_unix_ms: ";

/// The line of a publisher's claim that names its writer.
const WRITER: &str = "writer: ";

/// A name for this publish, unique among publishers: the user, the
/// process and 128 random bits.
fn writer() -> String {
    use std::hash::{BuildHasher, RandomState};
    let now = SystemTime::now();
    let high = RandomState::new().hash_one((std::process::id(), now));
    let low = RandomState::new().hash_one((high, std::thread::current().id()));
    format!(
        "{} {} {high:016x}{low:016x}",
        audmodel_uid::user_name(),
        std::process::id()
    )
}

/// Whether a claim's text names `writer` as its writer.
fn names_writer(claim: &[u8], writer: &str) -> bool {
    std::str::from_utf8(claim).is_ok_and(|text| {
        text.lines()
            .any(|line| line.strip_prefix(WRITER) == Some(writer))
    })
}

/// A claim's text, and its version for a swap where the store swaps.
type HeldClaim = (Vec<u8>, Option<UpdateVersion>);

/// The claim stored at `key`; `None` when there is none.
fn read_claim(
    backend: &dyn Backend,
    key: &BackendPath,
    swaps: bool,
) -> Result<Option<HeldClaim>, audmodel_backend::Error> {
    let read = match swaps {
        true => backend
            .get_for_update(key)
            .map(|(held, version)| (held, Some(version))),
        false => backend.get_bytes(key).map(|held| (held, None)),
    };
    match read {
        Ok(read) => Ok(Some(read)),
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

/// The claim on the model version whose stored header is `header`:
/// `.{file}.claim` beside it.
pub(crate) fn claim_key(header: &BackendPath) -> Result<BackendPath, audmodel_backend::Error> {
    let (folder, file) = header.split();
    folder.join(&format!(".{file}.claim"))
}

/// A claim's text: who holds it (a publisher: its header's MD5) and when
/// it was written, which decides when it is stale.
pub(crate) fn claim_text(holder: &str, now: SystemTime) -> String {
    format!("header: {holder}\n{CLAIMED}{}\n", unix_ms(now))
}

fn unix_ms(time: SystemTime) -> u128 {
    time.duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or_default()
}

/// Whether a claim's text says it was written more than `bound` before
/// `now`; a claim without a readable time, or from the future (another
/// machine's clock), is not stale.
fn is_stale(claim: &[u8], bound: Duration, now: SystemTime) -> bool {
    let written = std::str::from_utf8(claim)
        .ok()
        .and_then(|text| text.lines().find_map(|l| l.strip_prefix(CLAIMED)))
        .and_then(|ms| ms.trim().parse::<u128>().ok());
    match written {
        Some(written) => unix_ms(now).saturating_sub(written) > bound.as_millis(),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_claim_is_stale_only_when_its_time_is_older_than_the_bound() {
        let now = UNIX_EPOCH + Duration::from_secs(10_000);
        let claim = |ms: u128| format!("header: abc\n{CLAIMED}{ms}\n").into_bytes();
        let bound = Duration::from_secs(60);
        assert!(is_stale(&claim(10_000_000 - 60_001), bound, now));
        assert!(!is_stale(&claim(10_000_000 - 60_000), bound, now));
        assert!(
            !is_stale(&claim(10_000_000 + 5_000), bound, now),
            "from the future"
        );
        assert!(
            !is_stale(b"header: abc\n", bound, now),
            "no time: an earlier version's"
        );
        assert!(!is_stale(b"\xff", bound, now));
    }

    #[test]
    fn a_claim_names_its_writer_and_no_other() {
        let (ours, theirs) = (writer(), writer());
        assert_ne!(ours, theirs);
        let text = format!("{}{WRITER}{ours}\n", claim_text("abc", SystemTime::now()));
        assert!(names_writer(text.as_bytes(), &ours));
        assert!(!names_writer(text.as_bytes(), &theirs));
        assert!(
            !names_writer(claim_text("abc", SystemTime::now()).as_bytes(), &ours),
            "an earlier version's claim, or gc's, names no writer"
        );
        assert!(!names_writer(b"\xff", &ours));
    }
}
