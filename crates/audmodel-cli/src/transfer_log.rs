//! `--verbose`: each retry and resume of a transfer on standard error,
//! numbered, so their counts show; progress goes on to the bars, if any.

use std::sync::atomic::{AtomicU64, Ordering};

use audmodel::{ProgressReporter, Stage, TransferEvent};

use crate::progress::Bars;

/// Prints transfer events; passes progress on to `bars`.
pub(crate) struct TransferLog {
    bars: Option<Bars>,
    retries: AtomicU64,
    resumes: AtomicU64,
}

impl TransferLog {
    pub(crate) fn new(bars: Option<Bars>) -> Self {
        TransferLog {
            bars,
            retries: AtomicU64::new(0),
            resumes: AtomicU64::new(0),
        }
    }

    /// The line for `event`, counting it.
    fn line(&self, event: &TransferEvent) -> Option<String> {
        match event {
            TransferEvent::Retry { request, error } => {
                let n = self.retries.fetch_add(1, Ordering::Relaxed) + 1;
                Some(format!("retry {n}: {request}: {error}"))
            }
            TransferEvent::Resume { request, offset } => {
                let n = self.resumes.fetch_add(1, Ordering::Relaxed) + 1;
                Some(format!("resume {n}: {request} from byte {offset}"))
            }
            _ => None,
        }
    }
}

impl ProgressReporter for TransferLog {
    fn start(&self, stage: Stage, total_bytes: u64) {
        if let Some(bars) = &self.bars {
            bars.start(stage, total_bytes);
        }
    }

    fn advance(&self, stage: Stage, bytes: u64) {
        if let Some(bars) = &self.bars {
            bars.advance(stage, bytes);
        }
    }

    fn finish(&self, stage: Stage) {
        if let Some(bars) = &self.bars {
            bars.finish(stage);
        }
    }

    fn transfer(&self, event: &TransferEvent) {
        let Some(line) = self.line(event) else {
            return;
        };
        match &self.bars {
            Some(bars) => bars.println(&line),
            None => eprintln!("{line}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_are_numbered_by_kind() {
        let log = TransferLog::new(None);
        let retry = TransferEvent::Retry {
            request: "GET /b/k".into(),
            error: "503 Service Unavailable".into(),
        };
        let resume = TransferEvent::Resume {
            request: "GET /b/k".into(),
            offset: 7,
        };
        assert_eq!(
            log.line(&retry).as_deref(),
            Some("retry 1: GET /b/k: 503 Service Unavailable")
        );
        assert_eq!(
            log.line(&resume).as_deref(),
            Some("resume 1: GET /b/k from byte 7")
        );
        assert_eq!(
            log.line(&retry).as_deref().map(|l| &l[..7]),
            Some("retry 2")
        );
    }
}
