//! Progress hooks: bytes packed, sent, received and unpacked, per stage.
//! The byte callbacks of the lower crates ([`audmodel_uid::Progress`])
//! feed them, and carry the caller's cancellation back down.

use audmodel_backend::TransferEvent;
use audmodel_uid::CancelToken;

/// A stage of long work that reports progress.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Stage {
    /// Zipping the model folder (bytes of files read).
    Pack,
    /// Uploading the archive (bytes sent).
    Upload,
    /// Downloading the archive (bytes received).
    Download,
    /// Unpacking the archive into the cache (bytes written).
    Unpack,
}

/// Receives progress of long work; the CLI turns it into progress bars.
///
/// Calls may come from several threads at once.
pub trait ProgressReporter: Send + Sync {
    /// A stage starts; `total_bytes` is 0 when unknown.
    fn start(&self, stage: Stage, total_bytes: u64);
    /// `bytes` more bytes of the stage are done (an increment).
    fn advance(&self, stage: Stage, bytes: u64);
    /// The stage is done.
    fn finish(&self, stage: Stage);
    /// A request to a repository failed and is retried, or a download
    /// broke and resumes (counted across the stages; ignored by default).
    /// The bytes of a resumed download are reported once: the progress of
    /// its stage goes on from where it was.
    fn transfer(&self, event: &TransferEvent) {
        let _ = event;
    }
}

/// The silent default.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Silent;

impl ProgressReporter for Silent {
    fn start(&self, _: Stage, _: u64) {}
    fn advance(&self, _: Stage, _: u64) {}
    fn finish(&self, _: Stage) {}
}

/// Runs `work` as `stage`, handing it a byte callback that feeds `progress`
/// and stops the work once `cancel` is cancelled.
pub(crate) fn run_stage<T>(
    progress: &dyn ProgressReporter,
    stage: Stage,
    total: u64,
    cancel: &CancelToken,
    work: impl FnOnce(audmodel_uid::Progress<'_>) -> T,
) -> T {
    progress.start(stage, total);
    let out = work(&|bytes| {
        progress.advance(stage, bytes);
        cancel.check()
    });
    progress.finish(stage);
    out
}
