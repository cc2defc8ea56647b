//! Ctrl+C and SIGTERM during a publish: a flag checked between steps, so
//! the publish removes what it put and returns
//! [`Error::Interrupted`](crate::Error::Interrupted).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use signal_hook::SigId;
use signal_hook::consts::{SIGINT, SIGTERM};

/// Signal handlers installed for the life of the guard; the previous
/// behaviour returns when it is dropped.
#[derive(Debug)]
pub(crate) struct Interrupt {
    flag: Arc<AtomicBool>,
    ids: Vec<SigId>,
}

/// Exit status after a second signal (the publish did not get to clean up).
const SECOND_SIGNAL_EXIT: i32 = 130;

impl Interrupt {
    /// Installs the handlers. When they cannot be installed, signals keep
    /// their default action (as the reference outside the main thread).
    pub(crate) fn install() -> Interrupt {
        let flag = Arc::new(AtomicBool::new(false));
        let mut ids = Vec::new();
        for signal in [SIGINT, SIGTERM] {
            // A second signal while cleaning up ends the process at once.
            if let Ok(id) = signal_hook::flag::register_conditional_shutdown(
                signal,
                SECOND_SIGNAL_EXIT,
                Arc::clone(&flag),
            ) {
                ids.push(id);
            }
            if let Ok(id) = signal_hook::flag::register(signal, Arc::clone(&flag)) {
                ids.push(id);
            }
        }
        Interrupt { flag, ids }
    }

    /// Whether a signal arrived.
    pub(crate) fn raised(&self) -> bool {
        self.flag.load(Ordering::SeqCst)
    }
}

impl Drop for Interrupt {
    fn drop(&mut self) {
        for id in self.ids.drain(..) {
            signal_hook::low_level::unregister(id);
        }
    }
}
