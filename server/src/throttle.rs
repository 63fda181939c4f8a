//! Guessing and flooding, held back (issue 16, items 1 and 2):
//!
//! - [`HashGate`]: password hashing (argon2id, ~19 MiB and tens of ms each) runs
//!   on a pool of `password_hash_concurrency` threads of its own (default: the
//!   cores), with at most `password_hash_queue` more waiting; beyond that the answer is 503 +
//!   `Retry-After` at once, before any memory is taken.
//! - Wrong tries, counted in the database so every process and a restart see
//!   them (`store::throttle`): passwords per account and per client address
//!   with doubling waits and an account lockout an administrator lifts; login
//!   codes per client address (per number with the code, `store::auth`).
//! - SMS code requests per client address and overall: token buckets in this
//!   process (`governor`), coarse limits on what texting costs.
//! - [`ClientAddr`]: who is asking — the socket's peer address, or, only when
//!   that peer is one of `trusted_proxies`, the address it names in
//!   `X-Forwarded-For`. IPv6 clients count by their /64.

use crate::http::error::Failure;
use crate::http::AppState;
use crate::store::throttle::{Rule, Scope};
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use governor::{DefaultDirectRateLimiter, DefaultKeyedRateLimiter, Quota, RateLimiter};
use serde::Deserialize;
use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// The throttle's settings (`[throttle]` in the config file).
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct ThrottleConfig {
    /// Wrong passwords for one phone number before each further one makes it
    /// wait (1 s, doubling, up to `max_delay_secs`).
    pub password_free_per_account: u32,
    /// Wrong passwords in a row that lock an account until an administrator
    /// lifts it (`DELETE /v1/admin/lockouts/{phone}`) or `lock_hours` pass.
    pub password_lock_after: u32,
    pub lock_hours: u64,
    /// Wrong passwords from one client address before it waits.
    pub password_free_per_address: u32,
    /// Wrong login codes from one client address before it waits.
    pub code_free_per_address: u32,
    /// The first wait, and the longest.
    pub delay_base_secs: u64,
    pub max_delay_secs: u64,
    /// Failures are forgotten this long after the last one.
    pub forget_hours: u64,
    /// SMS code requests from one client address: at most this many an hour
    /// (this process; a burst of as many, then evenly spread).
    pub sms_per_address_per_hour: u32,
    /// SMS code requests to anyone: at most this many a minute (this process).
    pub sms_global_per_minute: u32,
}

impl Default for ThrottleConfig {
    fn default() -> Self {
        ThrottleConfig {
            password_free_per_account: 3,
            password_lock_after: 10,
            lock_hours: 24,
            password_free_per_address: 20,
            code_free_per_address: 30,
            delay_base_secs: 1,
            max_delay_secs: 15 * 60,
            forget_hours: 24,
            sms_per_address_per_hour: 60,
            sms_global_per_minute: 120,
        }
    }
}

/// The rules of the three counted scopes.
#[derive(Debug, Clone, Copy)]
pub struct Rules {
    pub password_account: Rule,
    pub password_address: Rule,
    pub code_address: Rule,
}

impl Rules {
    pub fn from_config(c: &ThrottleConfig) -> Rules {
        let ms = |s: u64| i64::try_from(s.saturating_mul(1000)).unwrap_or(i64::MAX);
        let base = Rule {
            free: i64::from(c.password_free_per_account),
            base_ms: ms(c.delay_base_secs),
            max_delay_ms: ms(c.max_delay_secs),
            lock_after: None,
            lock_ms: ms(c.lock_hours.saturating_mul(3600)),
            forget_ms: ms(c.forget_hours.saturating_mul(3600)),
            success_clears: true,
        };
        Rules {
            password_account: Rule {
                lock_after: (c.password_lock_after > 0).then_some(i64::from(c.password_lock_after)),
                ..base
            },
            password_address: Rule {
                free: i64::from(c.password_free_per_address),
                success_clears: false,
                ..base
            },
            code_address: Rule {
                free: i64::from(c.code_free_per_address),
                success_clears: false,
                ..base
            },
        }
    }

    /// What a password attempt by `phone` from `addr` counts against.
    pub fn password<'a>(
        &'a self,
        phone: &'a str,
        addr: &'a str,
    ) -> [(Scope, &'a str, &'a Rule); 2] {
        [
            (Scope::PasswordAccount, phone, &self.password_account),
            (Scope::PasswordAddress, addr, &self.password_address),
        ]
    }

    /// What a code attempt from `addr` counts against.
    pub fn code<'a>(&'a self, addr: &'a str) -> [(Scope, &'a str, &'a Rule); 1] {
        [(Scope::CodeAddress, addr, &self.code_address)]
    }
}

/// Throttling state of one server process.
pub struct Throttle {
    pub rules: Rules,
    pub forget_ms: i64,
    trusted_proxies: Vec<IpAddr>,
    sms_per_address: Option<DefaultKeyedRateLimiter<String>>,
    sms_global: Option<DefaultDirectRateLimiter>,
    pub hashing: HashGate,
}

impl std::fmt::Debug for Throttle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Throttle")
            .field("rules", &self.rules)
            .field("trusted_proxies", &self.trusted_proxies)
            .finish_non_exhaustive()
    }
}

/// A request refused by a token bucket: try again after this long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TooSoon(pub Duration);

impl Throttle {
    pub fn new(
        config: &ThrottleConfig,
        trusted_proxies: Vec<IpAddr>,
        hashing: HashGate,
    ) -> Throttle {
        Throttle {
            rules: Rules::from_config(config),
            forget_ms: i64::try_from(config.forget_hours.saturating_mul(3_600_000))
                .unwrap_or(i64::MAX),
            trusted_proxies,
            sms_per_address: NonZeroU32::new(config.sms_per_address_per_hour)
                .map(|n| RateLimiter::keyed(Quota::per_hour(n))),
            sms_global: NonZeroU32::new(config.sms_global_per_minute)
                .map(|n| RateLimiter::direct(Quota::per_minute(n))),
            hashing,
        }
    }

    /// May `addr` ask for another SMS code now? Counts the request if so. The
    /// address's bucket is asked first, so one address cannot drain the
    /// global one.
    pub fn sms_request(&self, addr: &ClientAddr) -> Result<(), TooSoon> {
        use governor::clock::{Clock, DefaultClock};
        let clock = DefaultClock::default();
        if let Some(l) = &self.sms_per_address {
            l.check_key(&addr.key())
                .map_err(|n| TooSoon(n.wait_time_from(clock.now())))?;
        }
        if let Some(l) = &self.sms_global {
            l.check()
                .map_err(|n| TooSoon(n.wait_time_from(clock.now())))?;
        }
        Ok(())
    }

    /// Drop per-address buckets that are full again (memory stays bounded).
    pub fn forget_idle_buckets(&self) {
        if let Some(l) = &self.sms_per_address {
            l.retain_recent();
            l.shrink_to_fit();
        }
    }

    /// The client behind a connection from `peer` with these headers.
    pub fn client_addr(&self, peer: IpAddr, headers: &axum::http::HeaderMap) -> IpAddr {
        if !self.trusted_proxies.contains(&peer) {
            return peer;
        }
        // Proxies append: the rightmost address not a trusted proxy is the
        // client as the nearest trusted proxy saw it (anything left of it
        // the client may have written itself).
        let hops: Vec<&str> = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .collect();
        for hop in hops.iter().rev() {
            match parse_hop(hop) {
                Some(ip) if self.trusted_proxies.contains(&ip) => continue,
                Some(ip) => return ip,
                None => return peer,
            }
        }
        peer
    }
}

/// One `X-Forwarded-For` entry: an address, maybe with a port or brackets.
fn parse_hop(hop: &str) -> Option<IpAddr> {
    if let Ok(ip) = hop.parse::<IpAddr>() {
        return Some(ip);
    }
    hop.parse::<SocketAddr>().ok().map(|s| s.ip())
}

/// Who is asking (see the module doc).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddr(pub IpAddr);

impl ClientAddr {
    /// What the throttle counts by: an IPv4 address, or an IPv6 /64 (what one
    /// subscriber usually has).
    pub fn key(&self) -> String {
        match self.0 {
            IpAddr::V4(v4) => v4.to_string(),
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => v4.to_string(),
                None => {
                    let s = v6.segments();
                    format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
                }
            },
        }
    }
}

impl FromRequestParts<AppState> for ClientAddr {
    type Rejection = Failure;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Failure> {
        // Served by `crate::serve`, every request knows its peer; a router
        // called without a socket (an in-process test) counts as 0.0.0.0.
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip())
            .unwrap_or(IpAddr::from([0, 0, 0, 0]));
        Ok(ClientAddr(state.throttle.client_addr(peer, &parts.headers)))
    }
}

/// Password hashing under a bound (see the module doc): a pool of its own
/// `concurrency` threads, fed by a queue of `queue` places. Its own threads,
/// not tokio's blocking pool: argon2 takes ~19 MiB a hashing, and the
/// allocator keeps what a thread freed for that thread's next use — spread
/// over the blocking pool's many threads, a flood kept gigabytes resident
/// even with two hashings at a time (measured: 3.5 GB; `docs/benchmarks.md`).
/// Counts what it did, so tests can see the bound held and that every login
/// path hashed.
pub struct HashGate {
    jobs: std::sync::mpsc::SyncSender<Job>,
    /// Running plus waiting at most.
    capacity: usize,
    admitted: Arc<AtomicUsize>,
    running: Arc<AtomicUsize>,
    peak: Arc<AtomicUsize>,
    verified: Arc<AtomicU64>,
}

type Job = Box<dyn FnOnce() + Send>;

/// The hashing queue is full: answer 503 + Retry-After.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Busy;

impl HashGate {
    /// `concurrency` 0 means one per core.
    pub fn new(concurrency: usize, queue: usize) -> HashGate {
        let n = if concurrency == 0 {
            std::thread::available_parallelism().map_or(1, |n| n.get())
        } else {
            concurrency
        };
        let (jobs, rx) = std::sync::mpsc::sync_channel::<Job>(n + queue);
        let rx = Arc::new(std::sync::Mutex::new(rx));
        for i in 0..n {
            let rx = rx.clone();
            let spawned = std::thread::Builder::new()
                .name(format!("argon2-{i}"))
                .spawn(move || loop {
                    let job = match rx.lock() {
                        Ok(r) => r.recv(),
                        Err(poisoned) => poisoned.into_inner().recv(),
                    };
                    match job {
                        Ok(job) => job(),
                        Err(_) => return, // the gate is gone
                    }
                });
            if let Err(e) = spawned {
                tracing::error!(error = %e, "cannot start a password hashing thread");
            }
        }
        HashGate {
            jobs,
            capacity: n + queue,
            admitted: Arc::new(AtomicUsize::new(0)),
            running: Arc::new(AtomicUsize::new(0)),
            peak: Arc::new(AtomicUsize::new(0)),
            verified: Arc::new(AtomicU64::new(0)),
        }
    }

    /// Run `work` (a hash or a verification) on the pool once a thread is
    /// free; [`Busy`] at once if the queue is full. Its place is held until
    /// the work ends, even if the caller stops waiting (a client that hangs up
    /// does not free a place its hashing still uses).
    pub async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, Busy> {
        if self.admitted.fetch_add(1, Ordering::AcqRel) >= self.capacity {
            self.admitted.fetch_sub(1, Ordering::AcqRel);
            return Err(Busy);
        }
        let (tx, rx) = tokio::sync::oneshot::channel();
        let (admitted, running, peak, verified) = (
            self.admitted.clone(),
            self.running.clone(),
            self.peak.clone(),
            self.verified.clone(),
        );
        let job: Job = Box::new(move || {
            let now = running.fetch_add(1, Ordering::AcqRel) + 1;
            peak.fetch_max(now, Ordering::AcqRel);
            let out = work();
            verified.fetch_add(1, Ordering::AcqRel);
            running.fetch_sub(1, Ordering::AcqRel);
            admitted.fetch_sub(1, Ordering::AcqRel);
            let _ = tx.send(out);
        });
        if self.jobs.try_send(job).is_err() {
            self.admitted.fetch_sub(1, Ordering::AcqRel);
            return Err(Busy);
        }
        rx.await.map_err(|_| Busy)
    }

    /// The most hashings that ran at once so far.
    pub fn peak(&self) -> usize {
        self.peak.load(Ordering::Acquire)
    }

    /// How many hashings have run.
    pub fn runs(&self) -> u64 {
        self.verified.load(Ordering::Acquire)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderMap;

    fn throttle(trusted: &[&str]) -> Throttle {
        Throttle::new(
            &ThrottleConfig::default(),
            trusted.iter().map(|s| s.parse().expect("ip")).collect(),
            HashGate::new(1, 0),
        )
    }

    fn xff(v: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert("x-forwarded-for", v.parse().expect("header"));
        h
    }

    #[test]
    fn forwarded_for_is_believed_only_from_a_trusted_proxy() {
        let peer: IpAddr = "10.0.0.5".parse().expect("ip");
        let t = throttle(&[]);
        assert_eq!(t.client_addr(peer, &xff("1.2.3.4")), peer);
        let t = throttle(&["10.0.0.5", "10.0.0.6"]);
        assert_eq!(
            t.client_addr(peer, &xff("9.9.9.9, 1.2.3.4, 10.0.0.6")),
            "1.2.3.4".parse::<IpAddr>().expect("ip")
        );
        assert_eq!(t.client_addr(peer, &HeaderMap::new()), peer);
        assert_eq!(t.client_addr(peer, &xff("garbage")), peer);
        assert_eq!(
            t.client_addr(peer, &xff("[2001:db8::1]:443")),
            "2001:db8::1".parse::<IpAddr>().expect("ip")
        );
    }

    #[test]
    fn ipv6_counts_by_its_64() {
        let a = ClientAddr("2001:db8:1:2:aaaa::1".parse().expect("ip"));
        let b = ClientAddr("2001:db8:1:2:bbbb::9".parse().expect("ip"));
        assert_eq!(a.key(), b.key());
        assert_eq!(a.key(), "2001:db8:1:2::/64");
        let m = ClientAddr("::ffff:1.2.3.4".parse().expect("ip"));
        assert_eq!(m.key(), "1.2.3.4");
    }

    #[tokio::test]
    async fn the_gate_bounds_concurrency_and_refuses_beyond_its_queue() {
        let gate = Arc::new(HashGate::new(2, 3));
        let (tx, rx) = std::sync::mpsc::channel::<()>();
        let rx = Arc::new(std::sync::Mutex::new(rx));
        let mut tasks = Vec::new();
        for _ in 0..5 {
            let (gate, rx) = (gate.clone(), rx.clone());
            tasks.push(tokio::spawn(async move {
                gate.run(move || {
                    let _ = rx.lock().map(|r| r.recv());
                })
                .await
            }));
        }
        // Wait until all five are admitted: two running, three queued.
        while gate.admitted.load(Ordering::Acquire) < 5 || gate.running.load(Ordering::Acquire) < 2
        {
            tokio::time::sleep(std::time::Duration::from_millis(1)).await;
        }
        assert_eq!(gate.run(|| ()).await, Err(Busy), "the sixth is refused");
        for _ in 0..5 {
            tx.send(()).expect("release");
        }
        for t in tasks {
            assert_eq!(t.await.expect("task"), Ok(()));
        }
        assert_eq!(gate.peak(), 2);
        assert_eq!(gate.runs(), 5);
    }
}
