//! How hard network transfers try: retry bounds and timeouts, and the
//! events a caller can watch (a failed attempt, a resumed download).

use std::sync::Arc;
use std::time::Duration;

/// Retries of a failed request by default.
pub const DEFAULT_RETRIES: u32 = 5;
/// Longest time spent retrying one request by default.
pub const DEFAULT_RETRY_TIMEOUT: Duration = Duration::from_secs(120);
/// Time to establish a connection by default, as the reference.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Longest silence of a connection by default before an attempt is given up.
pub const DEFAULT_STALL_TIMEOUT: Duration = Duration::from_secs(60);

/// Retry bounds and timeouts of a network store (S3); the configuration
/// entry's `retries`, `retry_timeout`, `connect_timeout`, `stall_timeout`.
///
/// A request that fails in a way that is safe to repeat (no connection, a
/// connection that broke, a stall, a 5xx or 429 answer) is tried again
/// after a growing pause, at most [`retries`](Self::retries) times and not
/// after [`retry_timeout`](Self::retry_timeout) from its first attempt. A
/// download that breaks continues from the byte it reached.
///
/// ```
/// use std::time::Duration;
/// use audmodel_backend::TransferSettings;
/// let settings = TransferSettings::default().with_retries(3).with_stall_timeout(Duration::from_secs(5));
/// assert_eq!(settings.retries, 3);
/// assert_eq!(settings.connect_timeout, Duration::from_secs(10));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct TransferSettings {
    /// Retries of a failed request (0: none).
    pub retries: u32,
    /// Longest time from the first attempt of a request to its last retry.
    pub retry_timeout: Duration,
    /// Time to establish a connection.
    pub connect_timeout: Duration,
    /// Longest time without a byte from the server before an attempt is
    /// given up (and retried). Until an answer starts it bounds the whole
    /// request, so an upload part must be sent within it.
    pub stall_timeout: Duration,
}

impl Default for TransferSettings {
    fn default() -> Self {
        TransferSettings {
            retries: DEFAULT_RETRIES,
            retry_timeout: DEFAULT_RETRY_TIMEOUT,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            stall_timeout: DEFAULT_STALL_TIMEOUT,
        }
    }
}

impl TransferSettings {
    /// These settings with `retries` retries.
    pub fn with_retries(mut self, retries: u32) -> Self {
        self.retries = retries;
        self
    }

    /// These settings with `timeout` as the retry bound in time.
    pub fn with_retry_timeout(mut self, timeout: Duration) -> Self {
        self.retry_timeout = timeout;
        self
    }

    /// These settings with `timeout` to connect.
    pub fn with_connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// These settings with `timeout` as the longest silence.
    pub fn with_stall_timeout(mut self, timeout: Duration) -> Self {
        self.stall_timeout = timeout;
        self
    }
}

/// What happened to a transfer, for a caller that shows or counts it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum TransferEvent {
    /// A request is sent again after an attempt failed with `error`.
    /// Told as the repeat starts: a failure that is not repeated (the
    /// bounds are spent, `retries: 0`) is not one, so the first event is
    /// the first repeat.
    Retry {
        /// Method and key (`GET models/x.zip`).
        request: String,
        /// What went wrong (`503 Service Unavailable`, a connection error).
        error: String,
    },
    /// A download that broke after some of its bytes continues from
    /// `offset` with a range request (told as that request starts).
    Resume {
        /// Method and key (`GET models/x.zip`).
        request: String,
        /// The first byte asked for again.
        offset: u64,
    },
}

/// Receives [`TransferEvent`]s, possibly from several threads at once.
#[derive(Clone)]
pub struct TransferObserver(Arc<dyn Fn(&TransferEvent) + Send + Sync>);

impl TransferObserver {
    /// An observer calling `f` with every event.
    pub fn new(f: impl Fn(&TransferEvent) + Send + Sync + 'static) -> Self {
        TransferObserver(Arc::new(f))
    }

    /// Passes `event` on.
    pub fn notify(&self, event: &TransferEvent) {
        (self.0)(event);
    }
}

impl std::fmt::Debug for TransferObserver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TransferObserver")
    }
}
