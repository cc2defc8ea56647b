//! Progress bars (indicatif) for the core's long work.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use audmodel::{ProgressReporter, Stage};
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle};

/// One bar per running stage, drawn on standard error.
pub(crate) struct Bars {
    multi: MultiProgress,
    bars: Mutex<HashMap<Stage, ProgressBar>>,
}

impl Bars {
    pub(crate) fn new() -> Self {
        Self::with_target(ProgressDrawTarget::stderr())
    }

    fn with_target(target: ProgressDrawTarget) -> Self {
        Self {
            multi: MultiProgress::with_draw_target(target),
            bars: Mutex::new(HashMap::new()),
        }
    }

    /// Prints `line` on standard error above the bars.
    pub(crate) fn println(&self, line: &str) {
        self.multi.suspend(|| eprintln!("{line}"));
    }

    fn with_bar(&self, stage: Stage, f: impl FnOnce(&ProgressBar)) {
        // A poisoned lock only means another thread panicked while drawing.
        let bars = self.bars.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(bar) = bars.get(&stage) {
            f(bar);
        }
    }
}

fn label(stage: Stage) -> &'static str {
    match stage {
        Stage::Pack => "packing",
        Stage::Upload => "uploading",
        Stage::Download => "downloading",
        Stage::Unpack => "unpacking",
    }
}

/// The time left at the average rate so far, once there is one worth
/// trusting (2 s and 1 % in): indicatif's own estimate starts from the
/// first moments, when packing has barely begun, and says days.
fn remaining(elapsed: Duration, done: u64, total: u64) -> Option<Duration> {
    if elapsed < Duration::from_secs(2) || done == 0 || done.saturating_mul(100) < total {
        return None;
    }
    let left = total.saturating_sub(done) as f64 / done as f64;
    Some(elapsed.mul_f64(left))
}

impl ProgressReporter for Bars {
    fn start(&self, stage: Stage, total_bytes: u64) {
        let bar = if total_bytes > 0 {
            let bar = ProgressBar::new(total_bytes);
            bar.set_style(
                ProgressStyle::with_template(
                    "{prefix:>12} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} {eta}",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .with_key(
                    "eta",
                    |state: &ProgressState, w: &mut dyn std::fmt::Write| {
                        let left =
                            remaining(state.elapsed(), state.pos(), state.len().unwrap_or(0));
                        if let Some(left) = left {
                            let _ = write!(w, "{:#}", indicatif::HumanDuration(left));
                        }
                    },
                )
                .progress_chars("=> "),
            );
            bar
        } else {
            let bar = ProgressBar::new_spinner();
            bar.set_style(
                ProgressStyle::with_template("{prefix:>12} {spinner} {bytes} {bytes_per_sec}")
                    .unwrap_or_else(|_| ProgressStyle::default_spinner()),
            );
            bar
        };
        bar.set_prefix(label(stage));
        let bar = self.multi.add(bar);
        let mut bars = self.bars.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(old) = bars.insert(stage, bar) {
            old.finish_and_clear();
        }
    }

    fn advance(&self, stage: Stage, bytes: u64) {
        self.with_bar(stage, |bar| bar.inc(bytes));
    }

    fn finish(&self, stage: Stage) {
        // Cleared rather than left standing, so the answer on standard
        // output starts on a line of its own.
        self.with_bar(stage, ProgressBar::finish_and_clear);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_time_left_waits_for_a_rate_worth_trusting() {
        let s = Duration::from_secs;
        // The first moments of packing: no estimate rather than days.
        assert_eq!(remaining(Duration::from_millis(500), 1, 1 << 30), None);
        assert_eq!(remaining(s(3), 0, 100), None);
        assert_eq!(remaining(s(3), 1, 1000), None);
        assert_eq!(remaining(s(4), 50, 100), Some(s(4)));
        assert_eq!(remaining(s(2), 100, 100), Some(s(0)));
    }

    #[test]
    fn bars_count_bytes_per_stage_from_many_threads() {
        let bars = Bars::with_target(ProgressDrawTarget::hidden());
        bars.start(Stage::Pack, 4000);
        bars.start(Stage::Upload, 0);
        std::thread::scope(|scope| {
            for _ in 0..4 {
                scope.spawn(|| {
                    for _ in 0..10 {
                        bars.advance(Stage::Pack, 100);
                        bars.advance(Stage::Upload, 1);
                    }
                });
            }
        });
        // A stage never started is ignored.
        bars.advance(Stage::Download, 5);
        let position =
            |stage| bars.bars.lock().unwrap_or_else(|e| e.into_inner())[&stage].position();
        assert_eq!(position(Stage::Pack), 4000);
        assert_eq!(position(Stage::Upload), 40);
        bars.finish(Stage::Pack);
        assert!(bars.bars.lock().unwrap_or_else(|e| e.into_inner())[&Stage::Pack].is_finished());
    }
}
