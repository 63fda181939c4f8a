//! The background sync loop.
//!
//! # Design
//! One task runs passes ([`super::engine::sync_once`]); a second keeps an SSE
//! connection open and turns each poke into a wake-up of the first. A pass
//! runs when there is something to do: the app queued something to send (a
//! submit, an action, a retry — not a draft edit, which stays on the device),
//! the server poked, the user logged in, the platform says the network is
//! back, and every few minutes regardless.
//!
//! After a failure the loop waits with capped exponential backoff and full
//! jitter, never less than the server's `Retry-After`, and **a wake-up does
//! not cut that wait short**: it is remembered and served by the pass that
//! ends the wait (a server that asks a thousand phones to wait must not hear
//! from them at the next poke or keystroke). Only the network coming back ends
//! a backoff early, and never a `Retry-After`, which holds back every request
//! of the engine ([`super::http::RetryGate`]). `401` that a refresh cannot
//! cure, and `426`, park the loop until something changes (login, update):
//! retrying cannot help, so there any wake-up resumes it.
//!
//! [`SyncHandle`] owns both tasks: dropping it (or `cancel()`) stops them.

use super::http::NetError;
use crate::listeners::Registry;
use std::sync::atomic::{AtomicBool, Ordering};
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

/// Wake-ups for the loop. A wake-up is a flag, not a count: any number of
/// them while the loop is busy or waiting make one pass.
#[derive(Default)]
pub struct Wake {
    pending: AtomicBool,
    notify: Notify,
    /// The network came back (a separate signal: it may end a backoff).
    network: AtomicBool,
}

impl Wake {
    /// Something to do: run a pass when the loop may.
    pub fn kick(&self) {
        self.pending.store(true, Ordering::SeqCst);
        self.notify.notify_one();
    }

    /// The platform says the network is back.
    pub fn network_back(&self) {
        self.network.store(true, Ordering::SeqCst);
        self.kick();
    }

    /// Take the flags: (a wake-up is pending, the network came back).
    pub fn take(&self) -> (bool, bool) {
        (
            self.pending.swap(false, Ordering::SeqCst),
            self.network.swap(false, Ordering::SeqCst),
        )
    }

    /// Wait for the next wake-up (returns at once if one is pending).
    pub async fn woken(&self) {
        loop {
            let notified = self.notify.notified();
            if self.pending.load(Ordering::SeqCst) {
                return;
            }
            notified.await;
        }
    }
}

/// How the loop waits after a pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pause {
    /// All is well: the next wake-up runs a pass at once, or `IDLE` passes.
    Idle(Duration),
    /// Retrying cannot help: any wake-up (a login) resumes.
    Parked(Duration),
    /// After a failure: only the network coming back ends it early, and only
    /// when the server's `Retry-After` does not hold (`gated`).
    Backoff { wait: Duration, gated: bool },
}

/// Wait as `pause` says. Returns when the next pass is due.
pub async fn pause(wake: &Wake, pause: Pause) {
    match pause {
        Pause::Idle(d) | Pause::Parked(d) => {
            tokio::select! {
                _ = wake.woken() => {}
                _ = tokio::time::sleep(d) => {}
            }
        }
        Pause::Backoff { wait, gated } => {
            let deadline = tokio::time::Instant::now() + wait;
            loop {
                tokio::select! {
                    _ = tokio::time::sleep_until(deadline) => return,
                    _ = wake.woken() => {
                        // The pass at the deadline does whatever this asked
                        // for (it pushes all that is queued, then pulls).
                        let (_, network) = wake.take();
                        if network && !gated {
                            return;
                        }
                    }
                }
            }
        }
    }
}

/// Runs the loop while alive.
#[derive(uniffi::Object)]
pub struct SyncHandle {
    tasks: Mutex<Vec<JoinHandle<()>>>,
    on_cancel: Mutex<Option<Box<dyn FnOnce() + Send>>>,
}

impl SyncHandle {
    /// Owns `tasks`; `on_cancel` runs once when the handle is cancelled or
    /// dropped (it stops what the tasks started, e.g. the live stream).
    pub fn new(tasks: Vec<JoinHandle<()>>, on_cancel: Box<dyn FnOnce() + Send>) -> Self {
        SyncHandle {
            tasks: Mutex::new(tasks),
            on_cancel: Mutex::new(Some(on_cancel)),
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
        let f = self
            .on_cancel
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take();
        if let Some(f) = f {
            f();
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

    /// How long `pause(p)` takes when `during` happens 1 s into it (paused
    /// clock: exact).
    async fn paused_for(p: Pause, during: impl FnOnce(&Wake)) -> Duration {
        let wake = Arc::new(Wake::default());
        let w = wake.clone();
        let start = tokio::time::Instant::now();
        let task = tokio::spawn(async move { pause(&w, p).await });
        tokio::time::sleep(Duration::from_secs(1)).await;
        during(&wake);
        task.await.expect("pause");
        start.elapsed()
    }

    #[tokio::test(start_paused = true)]
    async fn idle_and_parked_waits_end_at_a_wake_up() {
        let idle = paused_for(Pause::Idle(Duration::from_secs(300)), Wake::kick).await;
        assert_eq!(idle, Duration::from_secs(1));
        let parked = paused_for(Pause::Parked(Duration::from_secs(3600)), Wake::kick).await;
        assert_eq!(parked, Duration::from_secs(1));
        let quiet = paused_for(Pause::Idle(Duration::from_secs(300)), |_| {}).await;
        assert_eq!(quiet, Duration::from_secs(300));
    }

    #[tokio::test(start_paused = true)]
    async fn a_backoff_is_not_cut_short_by_kicks_or_pokes() {
        let wait = Duration::from_secs(30);
        let p = Pause::Backoff { wait, gated: false };
        let kicked = paused_for(p, |w| {
            for _ in 0..50 {
                w.kick();
            }
        })
        .await;
        assert_eq!(kicked, wait);
        // The network coming back ends a plain backoff…
        let back = paused_for(p, Wake::network_back).await;
        assert_eq!(back, Duration::from_secs(1));
        // …but never the server's Retry-After.
        let gated = Pause::Backoff { wait, gated: true };
        let back = paused_for(gated, |w| {
            w.network_back();
            w.kick();
        })
        .await;
        assert_eq!(back, wait);
    }

    #[tokio::test(start_paused = true)]
    async fn the_retry_gate_holds_for_the_longest_wait_asked() {
        let gate = super::super::http::RetryGate::default();
        assert_eq!(gate.remaining(), None);
        gate.hold(Duration::from_secs(30));
        gate.hold(Duration::from_secs(5));
        tokio::time::sleep(Duration::from_secs(10)).await;
        assert_eq!(gate.remaining(), Some(Duration::from_secs(20)));
        tokio::time::sleep(Duration::from_secs(20)).await;
        assert_eq!(gate.remaining(), None);
    }

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
