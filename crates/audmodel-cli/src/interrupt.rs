//! Ctrl+C and SIGTERM: the process owns its signals, so the CLI turns them
//! into the library's cancellation token. The publish or load then stops
//! within moments, removes what it put or unpacked, and the CLI exits with
//! status 130; a second signal ends the process at once.

use std::sync::Arc;

use anyhow::{Context, Result};
use audmodel::CancelToken;
use signal_hook::consts::{SIGINT, SIGTERM};

/// Exit status after a second signal (the operation did not get to clean up).
const SECOND_SIGNAL_EXIT: i32 = crate::exit::Status::Interrupted.code() as i32;

/// A token cancelled by the first SIGINT or SIGTERM for the rest of the
/// process.
pub(crate) fn on_signals() -> Result<CancelToken> {
    let token = CancelToken::new();
    for signal in [SIGINT, SIGTERM] {
        // Registered first, so it sees the flag the first signal set.
        signal_hook::flag::register_conditional_shutdown(
            signal,
            SECOND_SIGNAL_EXIT,
            Arc::clone(token.flag()),
        )
        .context("cannot install a signal handler")?;
        signal_hook::flag::register(signal, Arc::clone(token.flag()))
            .context("cannot install a signal handler")?;
    }
    Ok(token)
}
