//! The commit on stores with locks (a file system).
//!
//! Guarantees, for publishers that take the locks (every Rust publisher):
//! publishers of one model take turns on a lock beside its header, and the
//! turn lasts until a failed publish has removed its files, so the next one
//! finds the winner's header before it writes anything: exactly one
//! succeeds, the others get [`Error::ModelExists`], and the stored files
//! are all the winner's. Publishers asking for one alias take turns on a
//! second lock, always taken after the header's. The header is written
//! create-only (an atomic no-replace rename), so a publisher that takes no
//! lock (the Python reference) cannot register the model twice either; if
//! one did so meanwhile, the error is [`Error::PublishedInTheMeantime`].
//!
//! The archive is packed in the turn, straight into a hidden file beside
//! its final name that is renamed into place when whole: a publisher
//! killed while packing leaves only that hidden file, which the next
//! publisher of the model removes (`remove_cut_writes`) before it packs.

use super::Source;
use super::commit::{Put, put_archive, put_header, put_meta_and_alias};
use super::plan::Plan;
use crate::{Audmodel, Error, paths};

pub(super) fn commit(client: &Audmodel, plan: &Plan, source: &Source<'_>) -> Result<(), Error> {
    let uid = plan.model.uid();
    let version = &plan.model.version;
    let _turn = plan
        .versioned
        .lock(&plan.paths.header, version)
        .map_err(plan.backend_err())?;
    if plan.registered()? {
        return Err(Error::ModelExists { uid });
    }
    // Only publishers of this model write beside its archive, and they
    // take turns: what lies half-written there is a killed one's.
    plan.versioned
        .remove_cut_writes(&plan.paths.archive, version)
        .map_err(plan.backend_err())?;
    let _alias_turn = match &plan.alias {
        Some(alias) => {
            let turn = plan
                .versioned
                .lock(&paths::alias(alias)?, paths::ALIAS_VERSION)
                .map_err(plan.backend_err())?;
            client.check_alias_free(alias, &uid)?;
            Some(turn)
        }
        None => None,
    };

    let mut put = Put::new(plan);
    put_archive(client, plan, source, &mut put)?;
    put_meta_and_alias(plan, &mut put)?;
    if !put_header(plan)? {
        // A publisher without locks won meanwhile; the files are shared.
        put.keep();
        return Err(Error::PublishedInTheMeantime { uid });
    }
    put.keep();
    Ok(())
}
