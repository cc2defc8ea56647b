//! What every long transfer of the workspace shares: a progress callback
//! that can stop it, and the caller's cancellation token behind that.
//!
//! Packing, uploads, downloads and unpacking report their bytes through one
//! [`Progress`] type, and the callback's answer is how a caller stops them
//! in the middle of a file: a library never installs signal handlers, so a
//! program (the CLI on Ctrl+C, a Python binding on `KeyboardInterrupt`)
//! cancels a [`CancelToken`] and the next report returns [`Cancelled`].

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// A transfer stopped early because its [`CancelToken`] was cancelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[error("cancelled")]
pub struct Cancelled;

/// A progress callback: called with the number of bytes just processed
/// (increments, not totals), possibly from several threads. Returning
/// [`Cancelled`] stops the transfer, which then fails.
pub type Progress<'a> = &'a (dyn Fn(u64) -> Result<(), Cancelled> + Send + Sync);

/// A [`Progress`] that ignores every report and never cancels.
pub fn no_progress(_: u64) -> Result<(), Cancelled> {
    Ok(())
}

/// A flag that the caller sets to stop an operation; clones share it.
///
/// ```
/// use audmodel_util::{CancelToken, Cancelled};
/// let token = CancelToken::new();
/// let handler = token.clone(); // say, in a signal handler's thread
/// assert_eq!(token.check(), Ok(()));
/// handler.cancel();
/// assert_eq!(token.check(), Err(Cancelled));
/// ```
#[derive(Debug, Clone, Default)]
pub struct CancelToken(Arc<AtomicBool>);

impl CancelToken {
    /// A token that is not cancelled.
    pub fn new() -> Self {
        Self::default()
    }

    /// The shared flag, for code that sets it from a signal handler
    /// (`signal_hook::flag::register` takes an `Arc<AtomicBool>`).
    pub fn flag(&self) -> &Arc<AtomicBool> {
        &self.0
    }

    /// Asks every operation holding a clone to stop.
    pub fn cancel(&self) {
        self.0.store(true, Ordering::SeqCst);
    }

    /// Whether [`cancel`](Self::cancel) was called.
    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }

    /// [`Cancelled`] once cancelled.
    pub fn check(&self) -> Result<(), Cancelled> {
        match self.is_cancelled() {
            true => Err(Cancelled),
            false => Ok(()),
        }
    }
}
