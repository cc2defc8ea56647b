//! The commit on stores without locks (S3): optimistic, staged, settled.
//!
//! The archive is uploaded under a hidden key beside its final one
//! ([`StagedArchive`]) and copied into place server-side only after a last
//! check that the model is not registered, so racing publishers can replace
//! each other's files only in the moments before the header is written,
//! and a killed publisher leaves nothing under a final key. The header is
//! written create-only; stores that ignore `If-None-Match` (Garage)
//! overwrite, so it is read back, and a header that is not ours means
//! another publisher won ([`Error::PublishedInTheMeantime`], nothing
//! removed: the files are shared).
//!
//! The winner then settles: a racer that checked for the header just
//! before ours appeared may still put its archive or metadata, so the
//! winner puts its own back until header, archive checksum and metadata
//! read back as its own twice in a row. This is no lock: a racer stalled
//! for longer than the settling can still overwrite. Archives of any size
//! are staged (the store copies those over 5 GiB in parts).

use std::time::Duration;

use audmodel_backend::ErrorKind::NotFound;
use audmodel_backend::{PutMode, Versioned};

use super::Source;
use super::commit::{Put, put_header, put_meta_and_alias, stage_archive};
use super::plan::Plan;
use super::staged_archive::StagedArchive;
use crate::{Audmodel, Error};

/// How often the winner checks that the model's files are its own, and
/// how long it waits between checks (times the round).
const SETTLE_ROUNDS: u32 = 6;
const SETTLE_PAUSE: Duration = Duration::from_millis(100);

pub(super) fn commit(client: &Audmodel, plan: &Plan, source: &Source<'_>) -> Result<(), Error> {
    let uid = plan.model.uid();
    let stored_archive =
        Versioned::path(&plan.paths.archive, &plan.model.version).map_err(plan.backend_err())?;
    let staged = stage_archive(client, plan, source)?;
    plan.check_cancelled()?;
    if plan.registered()? {
        // Found before anything was put under a final key.
        return Err(Error::ModelExists { uid });
    }
    if let Some(alias) = &plan.alias {
        client.check_alias_free(alias, &uid)?;
    }

    let mut put = Put::new(plan);
    put.will_write(&plan.paths.archive, &plan.model.version);
    staged
        .copy_to(&stored_archive)
        .map_err(plan.backend_err())?;
    put_meta_and_alias(plan, &mut put)?;
    let raced = || Error::PublishedInTheMeantime { uid: uid.clone() };
    if plan.registered()? || !put_header(plan)? {
        put.keep();
        return Err(raced());
    }
    // Registered: from here on a failure must not remove the files the
    // header now points to.
    put.keep();
    match settle(plan, &staged)? {
        true => Ok(()),
        false => Err(raced()),
    }
}

/// Puts the winner's archive and metadata back until they, and the header,
/// read back as its own twice in a row; `false` when the header is not
/// ours.
fn settle(plan: &Plan, staged: &StagedArchive<'_>) -> Result<bool, Error> {
    let version = &plan.model.version;
    let versioned = &plan.versioned;
    let err = || plan.backend_err();
    let mut settled = 0;
    for round in 1..=SETTLE_ROUNDS {
        let header_ours = versioned
            .get_bytes(&plan.paths.header, version)
            .map_err(err())?
            == plan.header_yaml.as_bytes();
        // A file gone is not ours either: `audmodel gc` racing this
        // publish can remove the files a killed publisher of the version
        // left just after ours replaced them. Put back below.
        let archive_ours = match versioned.checksum(&plan.paths.archive, version) {
            Ok(checksum) => checksum == staged.md5(),
            Err(e) if e.kind() == NotFound => false,
            Err(e) => return Err(err()(e)),
        };
        let meta_ours = match versioned.get_bytes(&plan.paths.meta, version) {
            Ok(meta) => meta == plan.meta_yaml.as_bytes(),
            Err(e) if e.kind() == NotFound => false,
            Err(e) => return Err(err()(e)),
        };
        match (header_ours, archive_ours && meta_ours) {
            (false, _) => return Ok(false),
            (true, true) => settled += 1,
            (true, false) => {
                settled = 0;
                if !archive_ours {
                    let stored = Versioned::path(&plan.paths.archive, version).map_err(err())?;
                    staged.copy_to(&stored).map_err(err())?;
                }
                if !meta_ours {
                    versioned
                        .put_bytes(
                            plan.meta_yaml.as_bytes(),
                            &plan.paths.meta,
                            version,
                            PutMode::Overwrite,
                        )
                        .map_err(err())?;
                }
            }
        }
        if settled == 2 {
            return Ok(true);
        }
        std::thread::sleep(SETTLE_PAUSE * round);
    }
    Ok(false)
}
