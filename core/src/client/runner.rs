//! The background sync loop.
//!
//! # Design
//! One task runs passes ([`super::engine::sync_once`]); a second keeps an SSE
//! connection open and turns each poke into a wake-up of the first. A pass also
//! runs when the app changes something locally (`kick`), when the platform says
//! the network is back, and every few minutes regardless. After a failure the
//! loop waits with capped exponential backoff and full jitter, never less than
//! the server's `Retry-After`. `401` that a refresh cannot cure, and `426`, park
//! the loop until something changes (login, update): retrying cannot help.
//!
//! [`SyncHandle`] owns both tasks: dropping it (or `cancel()`) stops them.

use super::http::NetError;
use crate::listeners::Registry;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::Notify;
use tokio::task::JoinHandle;

/// Where sync stands, for the app's status line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum SyncState {
    /// Not started, or stopped.
    Idle,
    Syncing,
    /// Everything is sent and the server has nothing newer.
    UpToDate,
    /// No connection or the server is busy; retrying.
    Offline,
    /// Log in again.
    LoggedOut,
    /// Update the app.
    UpdateRequired,
}

#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct SyncStatus {
    pub state: SyncState,
    /// Entries not yet acknowledged by the server.
    pub pending: u64,
    /// Milliseconds until the next attempt, while waiting after a failure.
    pub retry_in_ms: Option<u64>,
    /// The last error, for the user.
    pub message: Option<String>,
    /// Device time (ms) of the last pass that finished cleanly.
    pub last_synced_at: Option<i64>,
}

impl Default for SyncStatus {
    fn default() -> Self {
        SyncStatus {
            state: SyncState::Idle,
            pending: 0,
            retry_in_ms: None,
            message: None,
            last_synced_at: None,
        }
    }
}

#[uniffi::export(with_foreign)]
pub trait SyncListener: Send + Sync {
    fn on_sync_status(&self, status: SyncStatus);
}

/// The current status and its listeners (replayed on subscribe).
#[derive(Default)]
pub struct StatusBoard {
    pub current: Arc<Mutex<SyncStatus>>,
    pub listeners: Registry<dyn SyncListener>,
}

impl StatusBoard {
    pub fn get(&self) -> SyncStatus {
        self.current
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    pub fn set(&self, f: impl FnOnce(&mut SyncStatus)) {
        let status = {
            let mut s = self.current.lock().unwrap_or_else(|p| p.into_inner());
            f(&mut s);
            s.clone()
        };
        for l in self.listeners.current() {
            l.on_sync_status(status.clone());
        }
    }
}

/// Capped exponential backoff with full jitter.
#[derive(Debug, Clone)]
pub struct Backoff {
    pub base: Duration,
    pub cap: Duration,
    failures: u32,
}

impl Backoff {
    pub fn new(base: Duration, cap: Duration) -> Self {
        Backoff {
            base,
            cap,
            failures: 0,
        }
    }

    pub fn reset(&mut self) {
        self.failures = 0;
    }

    /// The wait before the next attempt: uniform in `[0, min(cap, base·2ⁿ)]`,
    /// but never less than the server's `retry_after`.
    pub fn next(&mut self, retry_after: Option<Duration>) -> Duration {
        let exp = self
            .base
            .saturating_mul(1u32 << self.failures.min(20))
            .min(self.cap);
        self.failures = self.failures.saturating_add(1);
        let jittered = exp.mul_f64(fastrand::f64());
        jittered.max(retry_after.unwrap_or(Duration::ZERO))
    }
}

/// Wake-ups for the loop.
#[derive(Default)]
pub struct Wake {
    pub notify: Notify,
}

impl Wake {
    pub fn kick(&self) {
        self.notify.notify_one();
    }
}

/// Runs the loop while alive.
#[derive(uniffi::Object)]
pub struct SyncHandle {
    tasks: Mutex<Vec<JoinHandle<()>>>,
}

impl SyncHandle {
    pub fn new(tasks: Vec<JoinHandle<()>>) -> Self {
        SyncHandle {
            tasks: Mutex::new(tasks),
        }
    }
}

#[uniffi::export]
impl SyncHandle {
    /// Stop syncing (also happens when the handle is dropped).
    pub fn cancel(&self) {
        for t in self
            .tasks
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .drain(..)
        {
            t.abort();
        }
    }
}

impl Drop for SyncHandle {
    fn drop(&mut self) {
        self.cancel();
    }
}

/// How the loop reacts to an error: the status to show and whether to park.
pub fn classify(e: &NetError) -> (SyncState, Option<Duration>) {
    match e {
        // Without a server or a session, retrying cannot help: wait for setup.
        NetError::Unauthorized | NetError::NoServer => (SyncState::LoggedOut, None),
        NetError::TooOld => (SyncState::UpdateRequired, None),
        NetError::Unavailable { retry_after } => (SyncState::Offline, *retry_after),
        _ => (SyncState::Offline, None),
    }
}

/// Read SSE from `resp` and kick `wake` on every `poke` event. Returns when
/// the stream ends or goes silent for longer than `idle` (the server sends a
/// keep-alive comment every 15 s).
pub async fn pump_pokes(mut resp: reqwest::Response, wake: &Wake, idle: Duration) {
    let mut buf = String::new();
    loop {
        let chunk = match tokio::time::timeout(idle, resp.chunk()).await {
            Ok(Ok(Some(c))) => c,
            _ => return,
        };
        buf.push_str(&String::from_utf8_lossy(&chunk));
        while let Some(end) = buf.find("\n\n") {
            let event: String = buf.drain(..end + 2).collect();
            if event.lines().any(|l| l.trim() == "event: poke") {
                wake.kick();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_caps_and_honours_retry_after() {
        let mut b = Backoff::new(Duration::from_millis(100), Duration::from_secs(5));
        let mut max_seen = Duration::ZERO;
        for i in 0..40 {
            let d = b.next(None);
            let bound = Duration::from_millis(100)
                .saturating_mul(1u32 << i.min(20))
                .min(Duration::from_secs(5));
            assert!(d <= bound, "attempt {i}: {d:?} > {bound:?}");
            max_seen = max_seen.max(d);
        }
        assert!(max_seen <= Duration::from_secs(5));
        assert!(max_seen > Duration::from_millis(400), "jitter never grew");
        // Retry-After is a floor, even right after a reset.
        b.reset();
        assert!(b.next(Some(Duration::from_secs(7))) >= Duration::from_secs(7));
    }
}
