//! `verbose=True`: each stage of a publish or load on standard error, as
//! the reference prints its steps.

use std::sync::atomic::{AtomicU64, Ordering};

use audmodel::{ProgressReporter, Stage};

/// Prints a line when a stage starts and one with its bytes when it ends.
#[derive(Debug, Default)]
pub(crate) struct Stderr {
    done: AtomicU64,
}

impl ProgressReporter for Stderr {
    fn start(&self, stage: Stage, total_bytes: u64) {
        self.done.store(0, Ordering::Relaxed);
        eprintln!("{stage:?} ({} MiB)", total_bytes >> 20);
    }

    fn advance(&self, _: Stage, bytes: u64) {
        self.done.fetch_add(bytes, Ordering::Relaxed);
    }

    fn finish(&self, stage: Stage) {
        let done = self.done.load(Ordering::Relaxed);
        eprintln!("{stage:?} done ({} MiB)", done >> 20);
    }
}
