//! Library calls with the GIL released, so the host program's threads run
//! on; a long one is also stopped by Ctrl+C, which Python sees only on its
//! main thread: that thread waits for the work and checks for signals.

use std::time::Duration;

use audmodel::CancelToken;
use pyo3::prelude::*;

/// How often a waiting main thread looks for a pending KeyboardInterrupt.
const SIGNAL_POLL: Duration = Duration::from_millis(50);

/// Runs `work` without the GIL.
pub(crate) fn blocking<T: Send>(
    py: Python<'_>,
    work: impl FnOnce() -> Result<T, audmodel::Error> + Send,
) -> PyResult<T> {
    py.allow_threads(work).map_err(crate::errors::to_python)
}

/// Runs `work` on a thread of its own without the GIL; a signal handler
/// raising in the meantime (Ctrl+C) cancels `cancel`, waits for `work` to
/// clean up, and raises its exception.
pub(crate) fn cancellable<T: Send>(
    py: Python<'_>,
    cancel: &CancelToken,
    work: impl FnOnce() -> Result<T, audmodel::Error> + Send,
) -> PyResult<T> {
    let (done, mut outcome) = std::sync::mpsc::channel();
    std::thread::scope(|scope| {
        scope.spawn(move || {
            let _ = done.send(work());
        });
        loop {
            // A receiver cannot be shared with the GIL-free closure, only moved.
            let (back, waited) = py.allow_threads(move || {
                let waited = outcome.recv_timeout(SIGNAL_POLL);
                (outcome, waited)
            });
            outcome = back;
            match waited {
                Ok(result) => return result.map_err(crate::errors::to_python),
                Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {}
                Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
                    return Err(pyo3::exceptions::PyRuntimeError::new_err(
                        "the operation's thread ended without an answer",
                    ));
                }
            }
            if let Err(interrupt) = py.check_signals() {
                cancel.cancel();
                // Removes what it put before the exception reaches Python.
                let _ = py.allow_threads(move || outcome.recv());
                return Err(interrupt);
            }
        }
    })
}
