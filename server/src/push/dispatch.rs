//! The dispatcher: takes due deliveries from the outbox, sends each through
//! its vendor, and records what came of it (`outbox::record`).
//!
//! # Design
//! One task takes work, many send, one records:
//! - the **taker** leases due deliveries (`outbox::take_due`: at most as
//!   many as there are free sending slots, oldest due first; `FOR UPDATE
//!   SKIP LOCKED` on PostgreSQL, so the dispatchers of several server
//!   processes never take the same one), then waits — for a poke (a
//!   notice was just committed: every push and chase pokes, and PostgreSQL's
//!   LISTEN forwards other processes' pokes), for a slot to free up, for the
//!   next delivery's due time, or at most `poll_ms`;
//! - each delivery is **sent** in a task of its own, holding a slot of its
//!   vendor's semaphore (`max_in_flight` per vendor);
//! - the **recorder** writes the answers in batches, one transaction for
//!   whatever has arrived (SQLite syncs once per batch, not per push).
//!
//! A lease (`lease_secs`, longer than a request's 30 s timeout) keeps a
//! delivery from being taken twice while it is in flight; a process that
//! dies mid-send leaves it to be sent again when the lease ends — the one
//! case where a phone may get a push twice (ADR 0014).

use super::apns::{Apns, ApnsConfig};
use super::fcm::{Fcm, FcmConfig};
use super::hms::{Hms, HmsConfig};
use super::mipush::{Mipush, MipushConfig};
use super::outbox::{self, Attempt, Due};
use super::vendor::{Answer, ConfigError, Message};
use super::Provider;
use crate::pokes::Pokes;
use crate::store::{now_ms, Db};
use serde::Deserialize;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, Notify, Semaphore};

/// `[push]` in the server's configuration: the vendors (each optional: a
/// vendor not configured is not sent to, its deliveries wait) and the
/// dispatcher's pace.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PushConfig {
    pub apns: Option<ApnsConfig>,
    pub fcm: Option<FcmConfig>,
    pub hms: Option<HmsConfig>,
    pub mipush: Option<MipushConfig>,
    /// Deliveries taken per transaction at most.
    pub batch: usize,
    /// How long a taken delivery is the taker's (seconds).
    pub lease_secs: u64,
    /// Look for due deliveries at least this often (ms), pokes or not.
    pub poll_ms: u64,
}

impl Default for PushConfig {
    fn default() -> Self {
        PushConfig {
            apns: None,
            fcm: None,
            hms: None,
            mipush: None,
            batch: 256,
            lease_secs: 120,
            poll_ms: 1000,
        }
    }
}

impl PushConfig {
    /// Is any vendor configured?
    pub fn any(&self) -> bool {
        self.apns.is_some() || self.fcm.is_some() || self.hms.is_some() || self.mipush.is_some()
    }
}

/// The configured vendor clients.
#[derive(Default)]
pub struct Vendors {
    pub apns: Option<Apns>,
    pub fcm: Option<Fcm>,
    pub hms: Option<Hms>,
    pub mipush: Option<Mipush>,
}

impl Vendors {
    /// Errors: a vendor's key or credentials unusable.
    pub fn from_config(c: &PushConfig) -> Result<Vendors, ConfigError> {
        Ok(Vendors {
            apns: c.apns.clone().map(Apns::new).transpose()?,
            fcm: c.fcm.clone().map(Fcm::new).transpose()?,
            hms: c.hms.clone().map(Hms::new).transpose()?,
            mipush: c.mipush.clone().map(Mipush::new).transpose()?,
        })
    }

    /// The vendors configured, with their concurrency limits.
    pub fn limits(&self) -> Vec<(Provider, usize)> {
        let mut out = Vec::new();
        if let Some(v) = &self.apns {
            out.push((Provider::Apns, v.max_in_flight()));
        }
        if let Some(v) = &self.fcm {
            out.push((Provider::Fcm, v.max_in_flight()));
        }
        if let Some(v) = &self.hms {
            out.push((Provider::Hms, v.max_in_flight()));
        }
        if let Some(v) = &self.mipush {
            out.push((Provider::Mipush, v.max_in_flight()));
        }
        out
    }

    /// Send `m` through `p`'s client; a vendor not configured fails it.
    pub async fn send(&self, p: Provider, m: &Message<'_>, attempt: u32) -> Answer {
        let none = || Answer::failed(None, format!("{p} is not configured"));
        match p {
            Provider::Apns => match &self.apns {
                Some(v) => v.send(m, attempt).await,
                None => none(),
            },
            Provider::Fcm => match &self.fcm {
                Some(v) => v.send(m, attempt).await,
                None => none(),
            },
            Provider::Hms => match &self.hms {
                Some(v) => v.send(m, attempt).await,
                None => none(),
            },
            Provider::Mipush => match &self.mipush {
                Some(v) => v.send(m, attempt).await,
                None => none(),
            },
        }
    }
}

/// The running dispatcher; [`Dispatcher::stop`] ends it.
pub struct Dispatcher {
    stop: Arc<AtomicBool>,
    wake: Arc<Notify>,
    taker: tokio::task::JoinHandle<()>,
    recorder: tokio::task::JoinHandle<()>,
}

impl Dispatcher {
    /// Take nothing more, let the pushes in flight finish (at most `wait`)
    /// and record them, then return.
    pub async fn stop(self, wait: Duration) {
        self.stop.store(true, Ordering::SeqCst);
        self.wake.notify_one();
        let done = async {
            let _ = self.taker.await;
            let _ = self.recorder.await;
        };
        if tokio::time::timeout(wait, done).await.is_err() {
            tracing::warn!("push dispatcher: pushes still in flight at shutdown; their leases end and they are sent again");
        }
    }
}

/// Start dispatching `db`'s outbox through `vendors`, woken by `pokes`.
pub fn spawn(db: Arc<Db>, vendors: Arc<Vendors>, pokes: &Pokes, config: &PushConfig) -> Dispatcher {
    let stop = Arc::new(AtomicBool::new(false));
    let wake = Arc::new(Notify::new());
    let (record_tx, record_rx) = mpsc::unbounded_channel::<(Due, Attempt)>();
    let recorder = tokio::spawn(record_loop(db.clone(), record_rx));
    let taker = tokio::spawn(take_loop(
        db,
        vendors,
        pokes.subscribe(),
        config.clone(),
        stop.clone(),
        wake.clone(),
        record_tx,
    ));
    Dispatcher {
        stop,
        wake,
        taker,
        recorder,
    }
}

async fn take_loop(
    db: Arc<Db>,
    vendors: Arc<Vendors>,
    mut pokes: tokio::sync::broadcast::Receiver<()>,
    config: PushConfig,
    stop: Arc<AtomicBool>,
    wake: Arc<Notify>,
    record: mpsc::UnboundedSender<(Due, Attempt)>,
) {
    let limits = vendors.limits();
    let providers: Vec<Provider> = limits.iter().map(|(p, _)| *p).collect();
    let capacity: usize = limits.iter().map(|(_, n)| n).sum();
    let semaphores: HashMap<Provider, Arc<Semaphore>> = limits
        .iter()
        .map(|(p, n)| (*p, Arc::new(Semaphore::new(*n))))
        .collect();
    let in_flight = Arc::new(AtomicUsize::new(0));
    let slot_free = Arc::new(Notify::new());
    let lease_ms = i64::try_from(config.lease_secs.max(1) * 1000).unwrap_or(120_000);
    let poll = Duration::from_millis(config.poll_ms.max(10));
    let mut sends = tokio::task::JoinSet::new();
    while !stop.load(Ordering::SeqCst) {
        let free = capacity.saturating_sub(in_flight.load(Ordering::SeqCst));
        let want = free.min(config.batch.max(1));
        let mut full = false;
        if want > 0 && !providers.is_empty() {
            let (d, p) = (db.clone(), providers.clone());
            let taken = tokio::task::spawn_blocking(move || {
                d.write(|tx| outbox::take_due(tx, now_ms(), lease_ms, want, &p))
            })
            .await;
            let due = match taken {
                Ok(Ok(due)) => due,
                Ok(Err(e)) => {
                    tracing::warn!(error = %e, "push dispatcher: cannot take deliveries");
                    Vec::new()
                }
                Err(e) => {
                    tracing::warn!(error = %e, "push dispatcher: taking deliveries panicked");
                    Vec::new()
                }
            };
            full = due.len() == want;
            for d in due {
                let Some(sem) = semaphores.get(&d.provider).cloned() else {
                    continue;
                };
                in_flight.fetch_add(1, Ordering::SeqCst);
                let (vendors, record, in_flight, slot_free) = (
                    vendors.clone(),
                    record.clone(),
                    in_flight.clone(),
                    slot_free.clone(),
                );
                sends.spawn(async move {
                    let permit = sem.acquire_owned().await;
                    let at = now_ms();
                    let began = Instant::now();
                    let answer = vendors
                        .send(d.provider, &Message::from(&d), d.attempts)
                        .await;
                    drop(permit);
                    let attempt = Attempt {
                        at,
                        status: answer.status,
                        outcome: answer.outcome,
                        detail: answer.detail,
                        retry_after_ms: answer.retry_after_ms,
                        elapsed_ms: i64::try_from(began.elapsed().as_millis()).unwrap_or(i64::MAX),
                    };
                    let _ = record.send((d, attempt));
                    in_flight.fetch_sub(1, Ordering::SeqCst);
                    slot_free.notify_one();
                });
            }
        }
        // Reap finished sends (their results are with the recorder).
        while sends.try_join_next().is_some() {}
        if full {
            continue;
        }
        let wait = if providers.is_empty() {
            poll
        } else {
            let (d, p) = (db.clone(), providers.clone());
            let next = tokio::task::spawn_blocking(move || d.read(|tx| outbox::next_due(tx, &p)))
                .await
                .ok()
                .and_then(Result::ok)
                .flatten();
            match next {
                Some(at) => {
                    Duration::from_millis(u64::try_from((at - now_ms()).max(0)).unwrap_or(0))
                        .min(poll)
                }
                None => poll,
            }
        };
        if wait.is_zero() && capacity.saturating_sub(in_flight.load(Ordering::SeqCst)) > 0 {
            continue;
        }
        tokio::select! {
            r = pokes.recv() => {
                if let Err(tokio::sync::broadcast::error::RecvError::Closed) = r {
                    tokio::time::sleep(wait).await;
                }
            }
            _ = slot_free.notified() => {}
            _ = wake.notified() => {}
            _ = tokio::time::sleep(wait.max(Duration::from_millis(1))) => {}
        }
    }
    // Stopped: the sends in flight finish and are recorded.
    while sends.join_next().await.is_some() {}
}

async fn record_loop(db: Arc<Db>, mut results: mpsc::UnboundedReceiver<(Due, Attempt)>) {
    while let Some(first) = results.recv().await {
        let mut batch = vec![first];
        while batch.len() < 2000 {
            match results.try_recv() {
                Ok(r) => batch.push(r),
                Err(_) => break,
            }
        }
        loop {
            let (d, b) = (db.clone(), batch.clone());
            let r = tokio::task::spawn_blocking(move || d.write(|tx| outbox::record(tx, &b))).await;
            match r {
                Ok(Ok(())) => break,
                Ok(Err(e)) => {
                    tracing::warn!(error = %e, n = batch.len(), "push dispatcher: cannot record attempts; retrying");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
                Err(e) => {
                    tracing::warn!(error = %e, "push dispatcher: recording panicked");
                    break;
                }
            }
        }
    }
}
