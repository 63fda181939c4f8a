//! Putting the server together: configuration, the database, the photo store,
//! the SMS gateway, background sweeps, and the listening socket. The database
//! is SQLite (default) or PostgreSQL, chosen by `database_url`.
//!
//! # Shutting down
//! [`Server::run_until`] serves until its signal (the command line passes
//! SIGTERM or SIGINT), then, in this order:
//! 1. stops accepting: the listening socket closes, idle keep-alive
//!    connections close, and the escalation scheduler is told to stop (it
//!    finishes the transaction it is in, never one half-done);
//! 2. waits for the requests in flight to be answered, up to the grace period
//!    (`shutdown_grace_secs`, 10 s by default) — a tus PATCH still receiving
//!    its body, a push in its transaction;
//! 3. ends the SSE streams (cleanly, so devices see the end of the answer and
//!    reconnect later), and waits for the connections to close;
//! 4. stops the upload sweep, waits for the scheduler, and closes the
//!    database (SQLite checkpoints its WAL; PostgreSQL's pool is dropped).
//!
//! A request still running when the grace period is over is cut: answered
//! 503 with `Retry-After`, its handler dropped. Its database work, if it has
//! begun, is one transaction on tokio's blocking pool, which runs to its commit
//! and which the process waits for before it exits: a push is applied whole or
//! not at all, and the device sends again what it did not hear acknowledged (a
//! replay of what was applied changes nothing).

use crate::auth::Auth;
use crate::clock::Clock;
use crate::http::{router, AppState, Limits};
use crate::pokes::Pokes;
use crate::secret::ServerSecret;
use crate::serve::ConnLimits;
use crate::shutdown::Shutdown;
use crate::store::{now_ms, Db, DB_FILE};
use crate::throttle::{HashGate, Throttle, ThrottleConfig};
use crate::uploads::Uploads;
use crate::workflow::escalation;
use crate::workflow::reference::{uncovered_years, Reference};
use minqing_protocol::duplicates::DuplicateRule;
use serde::Deserialize;
use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;

/// Everything a deployment sets, from a TOML file, the environment or flags.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Where the SQLite database, unfinished uploads and `sms.log` live.
    pub data_dir: PathBuf,
    /// Address to listen on; port 0 picks a free port (printed at start).
    pub listen: String,
    /// `sqlite://<path>` (default: `<data_dir>/server.db`) or `postgres://…`.
    pub database_url: Option<String>,
    /// Where finished photos go: `file:///abs/path` (default `<data_dir>/photos`),
    /// or an S3-compatible URL when the server is built with that store.
    pub photo_store: Option<String>,
    pub max_photo_bytes: u64,
    pub max_json_bytes: usize,
    pub upload_ttl_hours: u64,
    /// How long a finished upload waits for its photo to be attached to its
    /// ticket before it is removed (default 720: 30 days).
    pub unattached_upload_ttl_hours: u64,
    /// Uploads one user may hold not yet attached to a ticket (default 200) …
    pub max_open_uploads: u64,
    /// … and their bytes in all (default 1 GiB).
    pub max_open_upload_bytes: u64,
    /// A directory of working-day calendar files, one per year (format in
    /// `minqing_protocol::calendar`); each replaces the shipped State Council
    /// arrangement for its year (`data/calendar/`), which is used otherwise.
    pub calendar_dir: Option<PathBuf>,
    /// How often the escalation scheduler looks for late items.
    pub escalation_interval_secs: u64,
    /// The taxonomy (categories and items) as TOML; default: the bundled example.
    pub taxonomy_file: Option<PathBuf>,
    /// Routing rules (category + area → unit key) as TOML; default: the bundled example.
    pub routing_file: Option<PathBuf>,
    /// Possible duplicates: same category, this near (metres) …
    pub duplicate_radius_m: f64,
    /// … and reported within this many days of each other.
    pub duplicate_window_days: u32,
    /// On SIGTERM/SIGINT, how long requests in flight may take to finish
    /// before they are cut (see "Shutting down" above).
    pub shutdown_grace_secs: u64,
    /// How long a connection gets, from when it opens or finished its last
    /// answer, to deliver a complete request head; then it is closed. Bounds
    /// idle keep-alive connections and slowly sent headers alike (`crate::serve`).
    pub header_read_timeout_secs: u64,
    /// Open connections at most; at the cap the server stops accepting until
    /// one closes. Keep it below the process's file descriptor limit.
    pub max_connections: usize,
    /// Password hashings (argon2id, ~19 MiB each) at once; 0: one per core.
    pub password_hash_concurrency: usize,
    /// Password logins waiting for a hashing slot at most; beyond, 503.
    pub password_hash_queue: usize,
    /// Addresses of reverse proxies in front of the server: only a request
    /// from one of them has its client taken from `X-Forwarded-For`;
    /// otherwise the client is the socket's peer. Empty by default.
    pub trusted_proxies: Vec<String>,
    /// The file holding the server secret (the key under which codes and
    /// tokens are stored; `crate::secret`). Default `<data_dir>/server.key`,
    /// created 0600 on first start.
    pub server_secret_file: Option<PathBuf>,
    /// The server secret itself (hex, 32 bytes or more), instead of the file;
    /// from `MINQING_SERVER_SECRET`. Every process sharing a database needs
    /// the same one.
    pub server_secret: Option<SecretText>,
    /// Login throttling (`[throttle]`; `crate::throttle::ThrottleConfig`).
    pub throttle: ThrottleConfig,
    /// The web console's built files (default: `console/dist` in the working
    /// directory or the source tree; ADR 0012).
    pub console_dir: Option<PathBuf>,
    /// A console session unused this many minutes ends.
    pub console_idle_minutes: u64,
    /// Push status updates (`[push]`: the vendors' credentials and base URLs,
    /// the dispatcher's pace; `crate::push::PushConfig`). No vendor: notices
    /// stay in the in-app inbox and their deliveries wait.
    pub push: crate::push::PushConfig,
    /// Which SMS gateway sends texts (`[sms]`; `crate::outreach::SmsConfig`):
    /// the log file by default, or Tencent Cloud SMS.
    pub sms: crate::outreach::SmsConfig,
    /// The SMS fallback of notices that must arrive (`[sms_fallback]`; off
    /// by default; `crate::outreach::fallback`).
    pub sms_fallback: crate::outreach::FallbackConfig,
    /// The groups' WeCom/DingTalk robots (`[robots]`; `crate::outreach::robots`).
    pub robots: crate::outreach::RobotsConfig,
}

/// A secret in the configuration: never printed.
#[derive(Clone, Deserialize)]
#[serde(transparent)]
pub struct SecretText(pub String);

impl std::fmt::Debug for SecretText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretText(…)")
    }
}

impl Default for Config {
    fn default() -> Self {
        let limits = Limits::default();
        Config {
            data_dir: PathBuf::from("minqing-data"),
            listen: "127.0.0.1:8080".into(),
            database_url: None,
            photo_store: None,
            max_photo_bytes: limits.max_photo_bytes,
            max_json_bytes: limits.max_json_bytes,
            upload_ttl_hours: (limits.upload_ttl_ms / 3_600_000) as u64,
            unattached_upload_ttl_hours: (limits.unattached_ttl_ms / 3_600_000) as u64,
            max_open_uploads: limits.max_open_uploads,
            max_open_upload_bytes: limits.max_open_upload_bytes,
            calendar_dir: None,
            escalation_interval_secs: 60,
            taxonomy_file: None,
            routing_file: None,
            duplicate_radius_m: DuplicateRule::default().radius_m,
            duplicate_window_days: DuplicateRule::default().window_days,
            shutdown_grace_secs: 10,
            header_read_timeout_secs: 30,
            max_connections: 4096,
            password_hash_concurrency: 0,
            password_hash_queue: 16,
            trusted_proxies: Vec::new(),
            server_secret_file: None,
            server_secret: None,
            throttle: ThrottleConfig::default(),
            console_dir: None,
            console_idle_minutes: 30,
            push: Default::default(),
            sms: Default::default(),
            sms_fallback: Default::default(),
            robots: Default::default(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("config: {0}")]
    Config(String),
    #[error("database: {0}")]
    Database(#[from] rusqlite::Error),
    #[error("database: {0}")]
    Store(#[from] crate::store::StoreError),
    #[error("photo store: {0}")]
    PhotoStore(#[from] object_store::Error),
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("{0}")]
    Workflow(#[from] crate::workflow::WorkflowError),
    #[error("{0}")]
    Secret(#[from] crate::secret::SecretError),
}

/// The photo store, and its root when it is a local directory (to fsync).
type PhotoStore = (Arc<dyn object_store::ObjectStore>, Option<PathBuf>);

fn photo_store(config: &Config) -> Result<PhotoStore, StartError> {
    match &config.photo_store {
        None => {
            let dir = config.data_dir.join("photos");
            std::fs::create_dir_all(&dir)?;
            let dir = dir.canonicalize()?;
            Ok((
                Arc::new(object_store::local::LocalFileSystem::new_with_prefix(&dir)?),
                Some(dir),
            ))
        }
        Some(url) => {
            let parsed = url::Url::parse(url)
                .map_err(|e| StartError::Config(format!("photo_store: {e}")))?;
            if parsed.scheme() == "file" {
                let dir = parsed
                    .to_file_path()
                    .map_err(|_| StartError::Config("photo_store: not a file path".into()))?;
                std::fs::create_dir_all(&dir)?;
            }
            // Credentials and endpoints for other stores come from the environment.
            let opts: Vec<(String, String)> = std::env::vars()
                .filter(|(k, _)| k.starts_with("AWS_"))
                .map(|(k, v)| (k.to_ascii_lowercase(), v))
                .collect();
            let (store, prefix) = object_store::parse_url_opts(&parsed, opts)?;
            let local = (parsed.scheme() == "file")
                .then(|| parsed.to_file_path().ok())
                .flatten();
            Ok((
                Arc::new(object_store::prefix::PrefixStore::new(store, prefix)),
                local,
            ))
        }
    }
}

/// A server ready to accept connections.
pub struct Server {
    pub addr: SocketAddr,
    listener: tokio::net::TcpListener,
    state: AppState,
    escalation_every: Duration,
    grace: Duration,
    conn_limits: ConnLimits,
    /// The push vendors and the dispatcher's settings (`crate::push`).
    push: (Arc<crate::push::Vendors>, crate::push::PushConfig),
}

impl Server {
    pub async fn bind(config: &Config) -> Result<Server, StartError> {
        std::fs::create_dir_all(&config.data_dir)?;
        let db = match &config.database_url {
            None => Db::open(&config.data_dir.join(DB_FILE))?,
            Some(u) if u.starts_with("sqlite://") => {
                Db::open(&PathBuf::from(&u["sqlite://".len()..]))?
            }
            Some(u) if u.starts_with("postgres://") || u.starts_with("postgresql://") => {
                // The synchronous client must not run on an async worker.
                let url = u.clone();
                tokio::task::spawn_blocking(move || Db::connect_postgres(&url))
                    .await
                    .map_err(|e| StartError::Config(format!("database: {e}")))??
            }
            Some(u) => {
                return Err(StartError::Config(format!(
                    "database_url {:?}: expected sqlite://… or postgres://…",
                    u.split(':').next().unwrap_or("")
                )))
            }
        };
        // The key of codes and tokens, from outside the database; the
        // database remembers which one it was used with.
        let secret = match &config.server_secret {
            Some(text) => ServerSecret::from_hex(&text.0)?,
            None => ServerSecret::load_or_create(
                &config
                    .server_secret_file
                    .clone()
                    .unwrap_or_else(|| config.data_dir.join("server.key")),
            )?,
        };
        let trusted_proxies = config
            .trusted_proxies
            .iter()
            .map(|p| {
                p.parse::<std::net::IpAddr>()
                    .map_err(|e| StartError::Config(format!("trusted_proxies: {p:?}: {e}")))
            })
            .collect::<Result<Vec<_>, _>>()?;
        // The configured reference files, with what an admin stored on top.
        let defaults = Reference::configured(
            config.taxonomy_file.as_deref(),
            config.routing_file.as_deref(),
            config.calendar_dir.as_deref(),
        )?;
        let (db, wf) = {
            let defaults = defaults.clone();
            let check = secret.check_value();
            tokio::task::spawn_blocking(move || {
                if !db.check_secret(&check)? {
                    return Err(StartError::Config(
                        "this database was used with another server secret: tokens and codes \
                         would not be recognised. Give every server process the same secret \
                         (MINQING_SERVER_SECRET or server_secret_file); to rotate it, see \
                         docs/security.md"
                            .into(),
                    ));
                }
                let wf = defaults.with(db.reference_data()?).build()?;
                db.set_workflow(wf.clone())?;
                Ok::<_, StartError>((db, wf))
            })
            .await
            .map_err(|e| StartError::Config(format!("database: {e}")))??
        };
        let years: Vec<i32> = wf.calendar.years().collect();
        tracing::info!(?years, "working-day calendar loaded");
        // Only the years nothing covers count Monday to Friday; say which, while
        // deadlines set now can reach them.
        for year in uncovered_years(&wf.calendar, now_ms()) {
            tracing::warn!(
                year,
                "no working-day calendar loaded for {year}: deadlines in {year} count Monday to \
                 Friday only; load the State Council's notice (PUT /v1/admin/calendar/{year})"
            );
        }
        if config.taxonomy_file.is_none() || config.routing_file.is_none() {
            tracing::warn!("taxonomy / routing rules default to the bundled EXAMPLES (demo data)");
        }
        let db = Arc::new(db);
        let pokes = Pokes::new();
        // Changes made through other server processes poke this one's clients.
        let local = pokes.clone();
        db.forward_pokes(move || local.poke());
        let gateway =
            crate::outreach::gateway(&config.sms, &config.data_dir).map_err(StartError::Config)?;
        let outreach = Arc::new(crate::outreach::Outreach {
            sealer: crate::outreach::sealed::Sealer::new(&secret),
            gateway: gateway.clone(),
            fallback: config.sms_fallback.clone(),
            robots: config.robots.clone(),
        });
        let (photos, local_root) = photo_store(config)?;
        let mut uploads = Uploads::new(config.data_dir.join("uploads"), photos)?;
        if let Some(root) = local_root {
            uploads = uploads.durable_local_root(root);
        }
        let state = AppState {
            db,
            auth: Arc::new(Auth::new(Box::new(gateway), secret)),
            uploads: Arc::new(uploads),
            pokes,
            limits: Limits {
                max_json_bytes: config.max_json_bytes,
                max_photo_bytes: config.max_photo_bytes,
                upload_ttl_ms: config.upload_ttl_hours as i64 * 3_600_000,
                unattached_ttl_ms: config.unattached_upload_ttl_hours as i64 * 3_600_000,
                max_open_uploads: config.max_open_uploads,
                max_open_upload_bytes: config.max_open_upload_bytes,
            },
            clock: Clock::System,
            reference: Arc::new(defaults),
            duplicate_rule: DuplicateRule {
                radius_m: config.duplicate_radius_m,
                window_days: config.duplicate_window_days,
            },
            shutdown: Shutdown::new(),
            throttle: Arc::new(Throttle::new(
                &config.throttle,
                trusted_proxies,
                HashGate::new(config.password_hash_concurrency, config.password_hash_queue),
            )),
            console: Arc::new(crate::http::console::Console::new(
                config.console_dir.clone(),
                config.console_idle_minutes,
            )),
            outreach,
            reports: Arc::new(crate::report::monthly::Monthly::new(
                config.data_dir.join("reports"),
            )),
        };
        let vendors = crate::push::Vendors::from_config(&config.push)
            .map_err(|e| StartError::Config(e.to_string()))?;
        let listener = tokio::net::TcpListener::bind(&config.listen).await?;
        let addr = listener.local_addr()?;
        Ok(Server {
            addr,
            listener,
            state,
            escalation_every: Duration::from_secs(config.escalation_interval_secs.max(1)),
            grace: Duration::from_secs(config.shutdown_grace_secs),
            conn_limits: ConnLimits {
                header_read_timeout: Duration::from_secs(config.header_read_timeout_secs.max(1)),
                max_connections: config.max_connections,
            },
            push: (Arc::new(vendors), config.push.clone()),
        })
    }

    /// Stamp events and run the scheduler by `clock` (scenario tests replay a
    /// day with a manual clock).
    pub fn with_clock(mut self, clock: Clock) -> Self {
        self.state.clock = clock;
        self
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serve until the process ends.
    pub async fn run(self) -> std::io::Result<()> {
        self.run_until(std::future::pending()).await
    }

    /// Serve until `stop` completes, then shut down gracefully (see "Shutting
    /// down" in the module doc). Returns once the database is closed.
    pub async fn run_until(
        self,
        stop: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let state = self.state;
        let sweep = tokio::spawn(sweep_expired(state.clone()));
        // Push deliveries go out as notices commit (`crate::push::dispatch`).
        let push = crate::push::dispatch::spawn(
            state.db.clone(),
            self.push.0.clone(),
            &state.pokes,
            &self.push.1,
        );
        // The SMS fallback and the robots (stopped with the sweep).
        let outreach = tokio::spawn(crate::outreach::run(
            state.db.clone(),
            state.outreach.clone(),
            state.clock.clone(),
        ));
        // The month's report on its first working day (stopped with the sweep).
        let monthly = crate::report::monthly::spawn(
            state.db.clone(),
            state.reports.clone(),
            state.clock.clone(),
        );
        let pokes = state.pokes.clone();
        let scheduler = escalation::spawn(
            state.db.clone(),
            state.clock.clone(),
            self.escalation_every,
            move || pokes.poke(),
        );
        let (stop_accepting, accepting) = tokio::sync::oneshot::channel::<()>();
        let mut serving = tokio::spawn(crate::serve::serve(
            self.listener,
            router(state.clone()),
            self.conn_limits,
            async move {
                let _ = accepting.await;
            },
        ));
        tokio::select! {
            served = &mut serving => {
                // The accept loop ended by itself: nothing to drain.
                scheduler.stop().await;
                push.stop(self.grace).await;
                sweep.abort();
                outreach.abort();
                monthly.abort();
                return served.map_err(std::io::Error::other)?;
            }
            () = stop => {}
        }

        // 1. No new connections; the scheduler stops between transactions.
        let began = Instant::now();
        let deadline = began + self.grace;
        tracing::info!(
            in_flight = state.shutdown.in_flight(),
            grace_s = self.grace.as_secs_f64(),
            "shutting down: no new connections; finishing the requests in flight"
        );
        let _ = stop_accepting.send(());
        let scheduler = tokio::spawn(scheduler.stop());

        // 2. The requests in flight are answered, within the grace period.
        let drained = tokio::time::timeout_at(deadline, state.shutdown.idle())
            .await
            .is_ok();
        if drained {
            tracing::info!(
                took_ms = began.elapsed().as_millis() as u64,
                "requests in flight answered"
            );
        } else {
            tracing::warn!(
                cut = state.shutdown.in_flight(),
                "grace period over: cutting the requests still running (503 + Retry-After)"
            );
            state.shutdown.cut_requests();
        }

        // 3. The SSE streams end; the connections close.
        state.shutdown.close_streams();
        let closing = deadline.max(Instant::now() + CLOSE_STREAMS);
        match tokio::time::timeout_at(closing, &mut serving).await {
            Ok(served) => served.map_err(std::io::Error::other)??,
            Err(_) => {
                tracing::warn!("connections still open after the grace period: dropping them");
                serving.abort();
            }
        }

        // 4. Background work stops; the database closes.
        push.stop(self.grace).await;
        sweep.abort();
        outreach.abort();
        monthly.abort();
        let _ = sweep.await;
        let _ = outreach.await;
        let _ = monthly.await;
        let _ = scheduler.await;
        let AppState { db, .. } = state;
        match Arc::try_unwrap(db) {
            // Closing blocks (SQLite checkpoints its WAL): off the async workers.
            Ok(db) => {
                let _ = tokio::task::spawn_blocking(move || db.close()).await;
                tracing::info!(
                    took_ms = began.elapsed().as_millis() as u64,
                    "stopped; database closed"
                );
            }
            // A request cut at the deadline still holds it: its transaction
            // finishes on the blocking pool, which the runtime waits for.
            Err(_) => tracing::warn!(
                took_ms = began.elapsed().as_millis() as u64,
                "stopped; the database closes when the last cut request's transaction ends"
            ),
        }
        Ok(())
    }
}

/// After the requests in flight, how long the SSE streams' connections get to
/// see their end and close (beyond the grace period if that is already over).
const CLOSE_STREAMS: Duration = Duration::from_secs(1);

/// Unfinished uploads past their expiry are removed, bytes and record; login
/// throttle rows and address buckets nothing holds any more are forgotten.
async fn sweep_expired(state: AppState) {
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(60));
    loop {
        tick.tick().await;
        // Unfinished uploads past their expiry, and finished ones nobody
        // attached in time: bytes and record (`Uploads::sweep`).
        state
            .uploads
            .sweep(&state.db, now_ms(), state.limits.unattached_ttl_ms)
            .await;
        state.throttle.forget_idle_buckets();
        let (db, forget_ms) = (state.db.clone(), state.throttle.forget_ms);
        let _ = tokio::task::spawn_blocking(move || db.sweep_throttle(now_ms(), forget_ms)).await;
    }
}
