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
//! The claim of a registered model stays, so later publishers are refused
//! at the claim. A publish that fails or is cancelled after claiming
//! removes what it put and then its claim. A publisher killed after
//! claiming leaves its claim (and perhaps some files under final keys, no
//! header): the model version stays unregistered and further publishes of
//! it fail with `exists` until the claim is removed by hand; no clock
//! decides that a claim is stale, since a live winner may be slow.

use audmodel_backend::{BackendExt, BackendPath, ErrorKind, PutMode, Versioned};

use super::Source;
use super::commit::{Put, put_meta_and_alias, stage_archive};
use super::plan::Plan;
use crate::{Audmodel, Error};

pub(super) fn commit(client: &Audmodel, plan: &Plan, source: &Source<'_>) -> Result<(), Error> {
    let uid = plan.model.uid();
    let version = &plan.model.version;
    let err = || plan.backend_err();
    let backend = &**plan.versioned.backend();
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
    put_meta_and_alias(plan, &mut put)?;
    plan.check_cancelled()?;
    let header = Versioned::path(&plan.paths.header, version).map_err(err())?;
    match backend.put_bytes(plan.header_yaml.as_bytes(), &header, PutMode::Create) {
        Ok(()) => {
            put.keep();
            claim.keep();
            Ok(())
        }
        // Only a publisher that took no claim (the reference) can have
        // written it; the files are shared then.
        Err(e) if e.kind() == ErrorKind::AlreadyExists => {
            put.keep();
            claim.keep();
            Err(Error::PublishedInTheMeantime { uid })
        }
        Err(e) => Err(err()(e)),
    }
}

/// The claim on a model version, removed when dropped unless kept.
struct Claim<'a> {
    plan: &'a Plan,
    key: Option<BackendPath>,
}

impl<'a> Claim<'a> {
    /// Writes the claim create-only; `None` when another publisher holds it.
    fn take(plan: &'a Plan) -> Result<Option<Self>, Error> {
        let header =
            Versioned::path(&plan.paths.header, &plan.model.version).map_err(plan.backend_err())?;
        let (folder, file) = header.split();
        let key = folder
            .join(&format!(".{file}.claim"))
            .map_err(plan.backend_err())?;
        let text = format!(
            "header: {}\n",
            audmodel_uid::md5_hex(plan.header_yaml.as_bytes())
        );
        match plan
            .versioned
            .backend()
            .put_bytes(text.as_bytes(), &key, PutMode::Create)
        {
            Ok(()) => Ok(Some(Claim {
                plan,
                key: Some(key),
            })),
            Err(e) if e.kind() == ErrorKind::AlreadyExists => Ok(None),
            Err(e) => Err(plan.backend_err()(e)),
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
