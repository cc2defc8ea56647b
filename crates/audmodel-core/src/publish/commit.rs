//! Committing a packed model: one protocol per kind of store, chosen by
//! what the store can do, and the steps they share.
//!
//! - [`locked`](super::locked): stores with locks (a file system).
//!   Publishers of one model take turns; exactly one succeeds.
//! - [`create_only`](super::create_only): stores without locks whose
//!   create-only writes the store decides (S3 that honours
//!   `If-None-Match`, the in-memory store). A create-only claim decides
//!   the winner before anyone writes under a final key.
//! - [`staged`](super::staged): stores without locks that ignore
//!   create-only writes (Garage). The archive is staged under a hidden key
//!   and copied into place just before the header; races are detected
//!   after the fact and settled.
//!
//! Both lock-free protocols stage the archive at any size: the store
//! copies objects over 5 GiB in parts.
//!
//! All put the header last, create-only: it is what registers the model,
//! so a reader never finds a header whose files are missing.

use audmodel_backend::{BackendPath, ErrorKind, PutMode, Versioned};

use super::plan::Plan;
use super::staged_archive::StagedArchive;
use super::{Source, create_only, locked, staged};
use crate::alias::{alias_yaml, aliases_yaml};
use crate::{Audmodel, Error, paths};

/// Packs `source` and commits it as the model `plan` describes.
pub(super) fn commit(client: &Audmodel, plan: &Plan, source: &Source<'_>) -> Result<(), Error> {
    let can = plan.versioned.capabilities();
    if can.locks {
        locked::commit(client, plan, source)
    } else if can.create_only {
        create_only::commit(client, plan, source)
    } else {
        staged::commit(client, plan, source)
    }
}

/// Files put so far, removed again unless the publish is registered.
pub(super) struct Put<'a> {
    versioned: &'a Versioned,
    /// Path, version, and the content it is removed only while it holds
    /// (a file others may change meanwhile), if any.
    files: Vec<(BackendPath, String, Option<Vec<u8>>)>,
}

impl<'a> Put<'a> {
    pub(super) fn new(plan: &'a Plan) -> Self {
        Put {
            versioned: &plan.versioned,
            files: Vec::new(),
        }
    }

    /// Registers a file before it is written, so a half-written one is
    /// removed too.
    pub(super) fn will_write(&mut self, logical: &BackendPath, version: &str) {
        self.files.push((logical.clone(), version.to_owned(), None));
    }

    /// Registers a file that others may change once it is written (an
    /// alias file, which a mover may move): it is removed only while it
    /// still holds `content`.
    pub(super) fn will_write_shared(
        &mut self,
        logical: &BackendPath,
        version: &str,
        content: &[u8],
    ) {
        self.files
            .push((logical.clone(), version.to_owned(), Some(content.to_vec())));
    }

    /// The header is stored: from here on the files belong to the model.
    pub(super) fn keep(mut self) {
        self.files.clear();
    }
}

impl Drop for Put<'_> {
    fn drop(&mut self) {
        for (path, version, ours) in self.files.drain(..).rev() {
            if let Some(ours) = ours
                && !matches!(self.versioned.get_bytes(&path, &version), Ok(held) if held == ours)
            {
                continue;
            }
            // Best effort: the original error is what the caller needs.
            let _ = self.versioned.delete(&path, &version);
        }
    }
}

/// Packs the archive straight to its final key (a file system's writes
/// appear there only when whole).
pub(super) fn put_archive(
    client: &Audmodel,
    plan: &Plan,
    source: &Source<'_>,
    put: &mut Put<'_>,
) -> Result<(), Error> {
    let version = &plan.model.version;
    let stored = Versioned::path(&plan.paths.archive, version).map_err(plan.backend_err())?;
    put.will_write(&plan.paths.archive, version);
    source.pack_to(client, plan, &stored)
}

/// Packs the archive under a hidden key beside its final one (both
/// lock-free protocols), hashing it for the checksum its copy gets.
pub(super) fn stage_archive<'a>(
    client: &Audmodel,
    plan: &'a Plan,
    source: &Source<'_>,
) -> Result<StagedArchive<'a>, Error> {
    let stored =
        Versioned::path(&plan.paths.archive, &plan.model.version).map_err(plan.backend_err())?;
    let backend = &**plan.versioned.backend();
    let key = StagedArchive::key_beside(backend, &stored).map_err(plan.backend_err())?;
    let md5 = source.pack_hashed_to(client, plan, &key)?;
    Ok(StagedArchive::uploaded(backend, key, md5))
}

/// Writes the metadata, and the aliases and alias file when the publish
/// names an alias, checking for cancellation between them.
pub(super) fn put_meta_and_alias(plan: &Plan, put: &mut Put<'_>) -> Result<(), Error> {
    put_meta(plan, put)?;
    match &plan.alias {
        Some(alias) => put_files(
            plan,
            put,
            vec![(
                paths::alias(alias)?,
                paths::ALIAS_VERSION.to_owned(),
                alias_yaml(&plan.model.uid()),
            )],
        ),
        None => Ok(()),
    }
}

/// Writes the metadata, and the model's aliases file when the publish
/// names an alias; not the alias file.
pub(super) fn put_meta(plan: &Plan, put: &mut Put<'_>) -> Result<(), Error> {
    let version = &plan.model.version;
    let mut files = vec![(
        plan.paths.meta.clone(),
        version.clone(),
        plan.meta_yaml.clone(),
    )];
    if let Some(alias) = &plan.alias {
        files.push((
            plan.paths.aliases.clone(),
            version.clone(),
            aliases_yaml(std::slice::from_ref(alias)),
        ));
    }
    put_files(plan, put, files)
}

/// Overwrites each file, checking for cancellation before each.
fn put_files(
    plan: &Plan,
    put: &mut Put<'_>,
    files: Vec<(BackendPath, String, String)>,
) -> Result<(), Error> {
    for (path, version, yaml) in files {
        plan.check_cancelled()?;
        put.will_write(&path, &version);
        plan.versioned
            .put_bytes(yaml.as_bytes(), &path, &version, PutMode::Overwrite)
            .map_err(plan.backend_err())?;
    }
    Ok(())
}

/// Writes the header create-only; `false` when one is there already
/// (another publisher's).
///
/// A write whose answer was lost is decided by reading the header back:
/// ours was stored, another's is `false`, none is written again. Only
/// when that read fails too is the write's error returned (the header may
/// be stored then).
pub(super) fn put_header(plan: &Plan) -> Result<bool, Error> {
    plan.check_cancelled()?;
    let (header, version) = (&plan.paths.header, &plan.model.version);
    let ours = plan.header_yaml.as_bytes();
    let mut tries = 0;
    loop {
        tries += 1;
        let lost = match plan
            .versioned
            .put_bytes(ours, header, version, PutMode::Create)
        {
            Ok(()) => return Ok(true),
            Err(e) if e.kind() == ErrorKind::AlreadyExists => return Ok(false),
            Err(e) if answer_may_be_lost(&e) => e,
            Err(e) => return Err(plan.backend_err()(e)),
        };
        match plan.versioned.get_bytes(header, version) {
            Ok(stored) => return Ok(stored == ours),
            Err(e) if e.kind() == ErrorKind::NotFound && tries < HEADER_TRIES => {}
            Err(_) => return Err(plan.backend_err()(lost)),
        }
    }
}

/// Writes of the header whose answers were lost and that stored nothing,
/// before the publish gives up.
const HEADER_TRIES: u32 = 3;

/// Whether a failed write may have been stored all the same: its answer
/// never came (a timeout, a broken connection) or was an error of the
/// server's, not a refusal.
pub(super) fn answer_may_be_lost(err: &audmodel_backend::Error) -> bool {
    matches!(err.kind(), ErrorKind::Unreachable | ErrorKind::Other)
}

impl Audmodel {
    /// Refuses an alias that points to another published model. An alias
    /// file of a model that was never registered (its publish was killed)
    /// may be taken over.
    pub(crate) fn check_alias_free(&self, alias: &str, uid: &str) -> Result<(), Error> {
        let other = match self.resolve_alias(alias) {
            Ok(other) => other,
            Err(Error::AliasNotFound { .. }) => return Ok(()),
            Err(e) => return Err(e),
        };
        if other != uid && self.exists(&other)? {
            return Err(Error::AliasTaken {
                alias: alias.to_owned(),
                uid: other,
            });
        }
        Ok(())
    }
}
