//! Publishing (SPEC 3): validate and plan everything, then commit archive,
//! metadata, alias files and, last, the header that registers the model.
//! The archive is packed straight into the store (see [`pack`]), so there
//! is no temporary archive. How the commit keeps racing publishers apart
//! depends on the store: see [`commit`].

mod commit;
pub(crate) mod create_only;
mod locked;
mod pack;
mod plan;
mod staged;
mod staged_archive;

use std::path::{Path, PathBuf};
use std::time::Duration;

use audmodel_uid::{CancelToken, Mapping};
use chrono::NaiveDate;

use crate::space::Room;
use crate::{Audmodel, Error, ErrorKind, Operation};

use pack::Source;
use plan::Plan;

/// The default of [`PublishOptions::stale_claim_after`].
pub const DEFAULT_STALE_CLAIM_AFTER: Duration = Duration::from_secs(3600);

/// Options of [`Audmodel::publish`]: those of the reference, and the
/// caller's cancellation token. Start from [`PublishOptions::default`] and
/// chain the methods named as the fields, or set the fields of a default:
///
/// ```
/// use audmodel_core::{Mapping, PublishOptions};
/// let options = PublishOptions::default()
///     .subgroup("audmodel.dummy.cnn")
///     .alias("my-cnn")
///     .meta([("epochs", 30)]);
/// assert_eq!(options.meta, Some(Mapping::from([("epochs", 30)])));
///
/// let mut options = PublishOptions::default();
/// options.compression = 0;
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct PublishOptions {
    /// Subgroup; `.` become folders in the repository.
    pub subgroup: Option<String>,
    /// An alias to point at the model.
    pub alias: Option<String>,
    /// Author; the user name when `None`.
    pub author: Option<String>,
    /// Date; today when `None`.
    pub date: Option<NaiveDate>,
    /// Metadata, editable later; none is written as the reference's `null`
    /// and reads back as an empty mapping.
    pub meta: Option<Mapping>,
    /// Repository name; the first configured when `None`.
    pub repository: Option<String>,
    /// Deflate level 0 (stored) to 9; default 1.
    pub compression: u32,
    /// At levels 1-9, a file whose first 64 KiB deflate by less than this
    /// many percent is stored instead (default 10: trained weights shrink
    /// by about 7 % for most of the packing time, so storing them makes the
    /// archive about 7 % larger and packing several times faster); 0
    /// deflates every file, as the reference does.
    pub min_saving_percent: u8,
    /// The reference's folder for its temporary archive: accepted and
    /// unused, since the archive is packed straight into the repository
    /// (file system) or streamed to the store (S3).
    pub tmp_root: Option<PathBuf>,
    /// Cancelled by the caller (say, on Ctrl+C) to stop the publish within
    /// moments: what was put is removed and the error is
    /// [`Error::Interrupted`].
    pub cancel: CancelToken,
    /// On stores whose create-only writes decide publishers: a claim on
    /// the model version older than this (by the clock of the publisher
    /// that wrote it) whose model was never registered is a killed
    /// winner's, and is taken over (by compare-and-swap, so by one
    /// publisher). Default 1 h: a live winner slower than this between its
    /// claim and its header could have its files replaced.
    pub stale_claim_after: Duration,
}

impl Default for PublishOptions {
    fn default() -> Self {
        PublishOptions {
            subgroup: None,
            alias: None,
            author: None,
            date: None,
            meta: None,
            repository: None,
            compression: 1,
            min_saving_percent: 10,
            tmp_root: None,
            cancel: CancelToken::new(),
            stale_claim_after: DEFAULT_STALE_CLAIM_AFTER,
        }
    }
}

impl PublishOptions {
    /// The same options with this subgroup (`.` become folders).
    pub fn subgroup(mut self, subgroup: impl Into<String>) -> Self {
        self.subgroup = Some(subgroup.into());
        self
    }

    /// The same options with an alias to point at the model.
    pub fn alias(mut self, alias: impl Into<String>) -> Self {
        self.alias = Some(alias.into());
        self
    }

    /// The same options with this author instead of the user name.
    pub fn author(mut self, author: impl Into<String>) -> Self {
        self.author = Some(author.into());
        self
    }

    /// The same options with this date instead of today.
    pub fn date(mut self, date: NaiveDate) -> Self {
        self.date = Some(date);
        self
    }

    /// The same options with this metadata.
    pub fn meta(mut self, meta: impl Into<Mapping>) -> Self {
        self.meta = Some(meta.into());
        self
    }

    /// The same options publishing to the repository of this name.
    pub fn repository(mut self, name: impl Into<String>) -> Self {
        self.repository = Some(name.into());
        self
    }

    /// The same options with this deflate level (0-9).
    pub fn compression(mut self, level: u32) -> Self {
        self.compression = level;
        self
    }

    /// The same options with this threshold for storing instead of deflating.
    pub fn min_saving_percent(mut self, percent: u8) -> Self {
        self.min_saving_percent = percent;
        self
    }

    /// The same options packing the archive below this folder.
    pub fn tmp_root(mut self, folder: impl Into<PathBuf>) -> Self {
        self.tmp_root = Some(folder.into());
        self
    }

    /// The same options, stopped when `cancel` is cancelled.
    pub fn cancel(mut self, cancel: CancelToken) -> Self {
        self.cancel = cancel;
        self
    }

    /// The same options taking over a stale claim older than this (see the
    /// field of the same name).
    pub fn stale_claim_after(mut self, age: Duration) -> Self {
        self.stale_claim_after = age;
        self
    }
}

impl Audmodel {
    /// Zips the folder `root` and publishes it as a new model; returns its UID.
    ///
    /// Everything is checked before anything is written: the subgroup is not
    /// `_uid` or `_alias`, the alias is valid and free, the compression level
    /// is 0-9, the version is semantic, `root` is a folder, the parameters'
    /// keys can be sorted, name and subgroup give valid repository paths, and
    /// the UID is in no repository yet. Unlike the reference, an alias that
    /// already points to another published model is refused (the reference
    /// silently re-points it and, when the publish fails, deletes it); use
    /// [`set_alias`](Self::set_alias) to move it.
    ///
    /// On a store with locks (a file system) publishers of one model take
    /// turns, so exactly one of racing publishers succeeds and the others
    /// get [`Error::ModelExists`]. On a store without (S3) the archive is
    /// staged under a hidden key and racers are detected after the fact:
    /// see [`Error::PublishedInTheMeantime`].
    ///
    /// Cancelling `options.cancel` stops the publish, even inside a long
    /// copy: it removes what it put and returns [`Error::Interrupted`].
    ///
    /// To a file-system repository whose disk cannot hold the model's
    /// files, a publish at compression 0 is refused before anything is
    /// written; at other levels the archive may be smaller than the files,
    /// so it is packed, and if the disk fills up what was written is
    /// removed. Both are [`Error::NoSpace`].
    pub fn publish(
        &self,
        root: impl AsRef<Path>,
        name: &str,
        params: &Mapping,
        version: &str,
        options: &PublishOptions,
    ) -> Result<String, Error> {
        let root = root.as_ref();
        let plan = Plan::new(self, root, name, params, version, options)?;
        let uid = plan.model.uid();
        let source = Source::new(root, options)?;
        let room = plan
            .folder
            .clone()
            .map(|folder| Room::new(Operation::Publish, uid.clone(), source.total(), folder));
        // Stored, the archive is the files and their headers: certain not to
        // fit when the files do not. Deflated it could be any smaller, which
        // only packing tells.
        if let Some(room) = &room
            && options.compression == 0
        {
            room.check()?;
        }
        match commit::commit(self, &plan, &source) {
            Ok(()) => Ok(uid),
            // Wherever the cancel struck (packing, an upload), one error.
            Err(e) if e.kind() == ErrorKind::Interrupted || options.cancel.is_cancelled() => {
                Err(Error::Interrupted {
                    what: Operation::Publish,
                    uid,
                })
            }
            // What was written is removed by now, so the free space the
            // error names is what is left without it.
            Err(e) => Err(match &room {
                Some(room) => room.ran_out(e),
                None => e,
            }),
        }
    }
}
