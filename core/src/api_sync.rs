//! The network half of the API: [`SyncService`] (server address, sync passes,
//! the background loop, status and queue listeners, and the platform hooks:
//! network changes, foreground/background, push wake-ups) and
//! [`AccountService`] (login, logout, the push token). The work itself is in
//! [`crate::client`]; this file only wires it to the engine.

use crate::api::Engine;
use crate::client::engine::{self, SyncReport};
use crate::client::http::RetryGate;
use crate::client::http::{self, Api, NetError};
use crate::client::runner::{
    classify, pause, pump_pokes, Backoff, Pause, StatusBoard, SyncHandle, SyncListener, SyncState,
    SyncStatus, Wake,
};
use crate::error::{Error, MinqingError};
use crate::listeners::Subscription;
use crate::live::{Change, Outlet, QueueListener, QueueSub};
use crate::outbox::{self, OutboxEntry};
use crate::store::{meta_get, meta_set, now_ms};
use minqing_protocol::wire::Me;
use minqing_protocol::Role;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

/// How long a clean loop sleeps when nothing pokes it.
const IDLE_PASS: Duration = Duration::from_secs(300);
/// The SSE stream counts as dead after this much silence.
const SSE_IDLE: Duration = Duration::from_secs(45);

/// Network state of one engine.
pub struct Net {
    pub(crate) http: reqwest::Client,
    pub(crate) refresh_lock: tokio::sync::Mutex<()>,
    /// One pass at a time (a second would push out of order).
    pub(crate) pass_lock: tokio::sync::Mutex<()>,
    pub(crate) wake: Arc<Wake>,
    pub(crate) status: StatusBoard,
    /// The server's `Retry-After`, honoured by every request.
    pub(crate) gate: RetryGate,
    /// The app is in the foreground (the live stream runs only then).
    pub(crate) foreground: AtomicBool,
    /// The background loop runs (between `start` and its handle's end).
    pub(crate) running: AtomicBool,
    /// The live stream's task, while it runs.
    pub(crate) events: Mutex<Option<tokio::task::JoinHandle<()>>>,
}

impl Default for Net {
    fn default() -> Self {
        Net {
            http: http::client(),
            refresh_lock: Default::default(),
            pass_lock: Default::default(),
            wake: Default::default(),
            status: Default::default(),
            gate: Default::default(),
            foreground: AtomicBool::new(true),
            running: AtomicBool::new(false),
            events: Mutex::new(None),
        }
    }
}

/// Who is logged in on this device.
#[derive(Debug, Clone, PartialEq, serde::Serialize, uniffi::Record)]
pub struct AccountView {
    pub name: String,
    pub role: Role,
    pub role_label: String,
    /// The unit a contact or head speaks for, by name.
    pub unit_name: Option<String>,
    /// The direct-line groups, by name.
    pub group_names: Vec<String>,
    /// Whether this account reports items (deputies): the report button.
    pub can_report: bool,
}

/// A phone's push channel (mainland China has no single one).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, uniffi::Enum)]
#[serde(rename_all = "snake_case")]
pub enum PushProvider {
    /// Huawei HMS Push.
    Hms,
    /// Xiaomi MiPush.
    MiPush,
    Oppo,
    Vivo,
    Honor,
    /// Firebase Cloud Messaging (phones outside the mainland).
    Fcm,
    /// Apple Push Notification service.
    Apns,
}

/// The push registration this device keeps for the server.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, uniffi::Record)]
pub struct PushRegistration {
    pub provider: PushProvider,
    pub token: String,
    /// Device time it was registered, ms.
    pub registered_at: i64,
    /// Whether the server has it for this session (`POST /v1/devices`, sent
    /// by the next sync pass; a new login or refresh sends it again).
    pub sent: bool,
}

impl PushProvider {
    /// The server's name for the vendor (`POST /v1/devices`); `None` for a
    /// vendor the server does not send through yet (OPPO, vivo, Honor).
    pub fn server_name(self) -> Option<&'static str> {
        match self {
            PushProvider::Apns => Some("apns"),
            PushProvider::Fcm => Some("fcm"),
            PushProvider::Hms => Some("hms"),
            PushProvider::MiPush => Some("mipush"),
            PushProvider::Oppo | PushProvider::Vivo | PushProvider::Honor => None,
        }
    }
}

/// The app as the push vendors know it: the Android application id and the
/// iOS bundle id (`android/app/build.gradle.kts`, `ios/Minqing/project.yml`).
pub const APP_ID: &str = "cn.minqing.app";

/// Mark the kept push registration as not yet sent (a new session).
pub(crate) fn mark_push_unsent(tx: &rusqlite::Connection) -> Result<(), Error> {
    if let Some(json) = meta_get(tx, "push_registration")? {
        if let Ok(mut reg) = serde_json::from_str::<PushRegistration>(&json) {
            reg.sent = false;
            meta_set(tx, "push_registration", &serde_json::to_string(&reg)?)?;
        }
    }
    Ok(())
}

/// Runtime for the background loop when the caller has none (Kotlin, Swift).
/// It lives for the whole process, so it is never dropped inside async code.
fn runtime() -> Result<tokio::runtime::Handle, MinqingError> {
    if let Ok(h) = tokio::runtime::Handle::try_current() {
        return Ok(h);
    }
    static RT: OnceLock<std::result::Result<tokio::runtime::Runtime, String>> = OnceLock::new();
    match RT.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("minqing-sync")
            .enable_all()
            .build()
            .map_err(|e| e.to_string())
    }) {
        Ok(rt) => Ok(rt.handle().clone()),
        Err(e) => Err(MinqingError::Storage { reason: e.clone() }),
    }
}

impl Engine {
    pub(crate) fn net_public(&self, e: NetError) -> MinqingError {
        e.to_public(self.lang())
    }

    pub(crate) fn api(&self) -> Result<Api<'_>, NetError> {
        Api::new(
            &self.store,
            &self.net.http,
            &self.net.refresh_lock,
            &self.net.gate,
        )
    }

    fn account_in(&self) -> Result<Option<AccountView>, Error> {
        let me: Option<Me> = self
            .store
            .read(|c| meta_get(c, "me"))?
            .map(|s| serde_json::from_str(&s))
            .transpose()?;
        let lang = self.lang();
        let reference = self.reference()?;
        Ok(me.map(|m| AccountView {
            name: m.name,
            role: m.role,
            role_label: crate::reference::role_label(m.role, lang),
            unit_name: m.unit.and_then(|u| reference.unit_name(u, lang)),
            group_names: m
                .groups
                .iter()
                .filter_map(|g| reference.group_name(*g, lang))
                .collect(),
            can_report: m.role.is_deputy(),
        }))
    }

    /// One pass, with the status board kept current (Rust callers).
    pub async fn sync_pass(&self) -> Result<SyncReport, NetError> {
        let _one = self.net.pass_lock.lock().await;
        self.net.status.set(|s| {
            s.state = SyncState::Syncing;
            s.retry_in_ms = None;
        });
        // Every outcome, failing to start included, ends in a status update.
        // Inside the server's Retry-After nothing is tried (and no attempt
        // is counted against the queue).
        let result = match (self.net.gate.remaining(), self.api()) {
            (Some(left), _) => Err(NetError::Unavailable {
                retry_after: Some(left),
            }),
            (None, Ok(api)) => engine::sync_once(&api, &self.store, &|c| self.notify(&[c])).await,
            (None, Err(e)) => Err(e),
        };
        self.notify(&[Change::Outbox, Change::Tickets]);
        match &result {
            Ok(r) => self.net.status.set(|s| {
                s.state = SyncState::UpToDate;
                s.pending = r.pending;
                s.message = None;
                s.last_synced_at = Some(now_ms());
            }),
            Err(e) => {
                let (state, _) = classify(e);
                let msg = e.to_public(self.lang()).to_string();
                let left = self.net.gate.remaining();
                self.net.status.set(|s| {
                    s.state = state;
                    s.message = Some(msg);
                    s.retry_in_ms = left.map(|d| d.as_millis() as u64);
                });
            }
        }
        result
    }

    async fn run_loop(self: Arc<Self>) {
        let mut backoff = Backoff::new(Duration::from_secs(1), Duration::from_secs(300));
        loop {
            // Whatever woke us is served by this pass.
            self.net.wake.take();
            let next = match self.sync_pass().await {
                Ok(_) => {
                    backoff.reset();
                    Pause::Idle(IDLE_PASS)
                }
                Err(e) => match classify(&e) {
                    // Retrying cannot help: wait for a login, an update, a kick.
                    (SyncState::LoggedOut | SyncState::UpdateRequired, _) => {
                        Pause::Parked(IDLE_PASS * 12)
                    }
                    (_, retry_after) => {
                        let wait = backoff.next(retry_after.or(self.net.gate.remaining()));
                        self.net
                            .status
                            .set(|s| s.retry_in_ms = Some(wait.as_millis() as u64));
                        Pause::Backoff {
                            wait,
                            gated: self.net.gate.remaining().is_some(),
                        }
                    }
                },
            };
            pause(&self.net.wake, next).await;
        }
    }

    async fn run_events(self: Arc<Self>) {
        let mut backoff = Backoff::new(Duration::from_secs(1), Duration::from_secs(60));
        loop {
            let opened = match self.api() {
                Ok(api) => api.events().await,
                Err(e) => Err(e),
            };
            let retry_after = match opened {
                Ok(resp) => {
                    backoff.reset();
                    pump_pokes(resp, &self.net.wake, SSE_IDLE).await;
                    None
                }
                Err(NetError::Unavailable { retry_after }) => retry_after,
                Err(_) => None,
            };
            tokio::time::sleep(backoff.next(retry_after)).await;
        }
    }

    /// Start the live stream (SSE pokes) if the loop runs, the app is in the
    /// foreground and no stream runs yet.
    fn ensure_events(self: &Arc<Self>) {
        if !self.net.running.load(Ordering::SeqCst) || !self.net.foreground.load(Ordering::SeqCst) {
            return;
        }
        let Ok(rt) = runtime() else { return };
        let mut slot = self.net.events.lock().unwrap_or_else(|p| p.into_inner());
        if slot.as_ref().is_some_and(|h| !h.is_finished()) {
            return;
        }
        *slot = Some(rt.spawn(self.clone().run_events()));
    }

    fn stop_events(&self) {
        if let Some(h) = self
            .net
            .events
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take()
        {
            h.abort();
        }
    }
}

/// Sync: the server, passes, the background loop and the platform's hooks.
#[derive(uniffi::Object)]
pub struct SyncService {
    pub(crate) e: Arc<Engine>,
}

#[uniffi::export(async_runtime = "tokio")]
impl SyncService {
    /// The server to sync with, e.g. `https://minqing.example.cn`.
    pub fn set_server(&self, url: String) -> Result<(), MinqingError> {
        let url = url.trim().trim_end_matches('/').to_owned();
        if !(url.starts_with("https://") || url.starts_with("http://")) {
            return Err(MinqingError::Invalid {
                reason: match self.e.lang() {
                    crate::Lang::ZhCn => "服务器地址须以 https:// 开头".into(),
                    crate::Lang::En => "The server address must start with https://".into(),
                },
            });
        }
        self.e
            .store
            .write(|tx| meta_set(tx, "server_url", &url))
            .map_err(|e| self.e.public(e))
    }

    /// The server address, if set.
    pub fn server(&self) -> Result<Option<String>, MinqingError> {
        self.e
            .store
            .read(|c| meta_get(c, "server_url"))
            .map_err(|e| self.e.public(e))
    }

    /// Sync once now: push, upload, pull, inbox, reference data.
    pub async fn now(&self) -> Result<SyncReport, MinqingError> {
        self.e.sync_pass().await.map_err(|e| self.e.net_public(e))
    }

    /// Keep syncing in the background (and, in the foreground, listen for
    /// pokes) until the returned handle is cancelled or dropped.
    pub fn start(&self) -> Result<Arc<SyncHandle>, MinqingError> {
        let rt = runtime()?;
        self.e.net.running.store(true, Ordering::SeqCst);
        let a = rt.spawn(self.e.clone().run_loop());
        self.e.ensure_events();
        let e = self.e.clone();
        Ok(Arc::new(SyncHandle::new(
            vec![a],
            Box::new(move || {
                e.net.running.store(false, Ordering::SeqCst);
                e.stop_events();
            }),
        )))
    }

    /// The platform says the network changed: try at once when it is back.
    pub fn network_changed(&self, online: bool) {
        if online {
            self.e.net.wake.network_back();
        }
    }

    /// The app came to the foreground (true) or went to the background
    /// (false). The live stream runs only in the foreground; coming back
    /// syncs at once and refreshes clock colours.
    pub fn set_foreground(&self, foreground: bool) {
        self.e.net.foreground.store(foreground, Ordering::SeqCst);
        if foreground {
            self.e.ensure_events();
            self.e.net.wake.kick();
            self.e.notify(&[Change::Tickets]);
        } else {
            self.e.stop_events();
        }
    }

    /// A push message arrived (HMS, MiPush, APNs …). Pushes are data-free
    /// pokes: whatever `payload` says, the device syncs now.
    pub fn on_push(&self, payload: String) {
        tracing::debug!(bytes = payload.len(), "push: syncing");
        self.e.net.wake.kick();
    }

    /// Sync status; the listener hears the current status at once.
    pub fn subscribe(&self, listener: Arc<dyn SyncListener>) -> Arc<Subscription> {
        listener.on_sync_status(self.e.net.status.get());
        self.e.net.status.listeners.add(listener)
    }

    /// The current sync status.
    pub fn status(&self) -> SyncStatus {
        self.e.net.status.get()
    }

    /// The outbox: one entry per mutation or upload, with its state.
    pub fn outbox(&self) -> Result<Vec<OutboxEntry>, MinqingError> {
        self.e
            .store
            .read(outbox::list)
            .map_err(|e| self.e.public(e))
    }

    /// Retry a stuck entry now.
    pub fn retry(&self, entry_id: i64) -> Result<(), MinqingError> {
        self.e.queued(
            self.e.store.write(|tx| outbox::retry(tx, entry_id)),
            &[Change::Outbox, Change::Tickets],
        )
    }

    /// Hear the outbox now and whenever it changes.
    pub fn subscribe_queue(&self, listener: Arc<dyn QueueListener>) -> Arc<Subscription> {
        let sub = Arc::new(QueueSub {
            listener,
            outlet: Outlet::default(),
        });
        let handle = {
            let _one = self.e.live.lock_compute();
            if let Ok(v) = self.e.store.read(outbox::list) {
                sub.outlet.offer(v, |_, v| Some(v.clone()));
            }
            self.e.live.queue.add(sub.clone())
        };
        sub.outlet.drain(|v| sub.listener.on_queue_changed(v));
        handle
    }
}

/// The signed-in account: login, logout, the push token.
#[derive(uniffi::Object)]
pub struct AccountService {
    pub(crate) e: Arc<Engine>,
}

#[uniffi::export(async_runtime = "tokio")]
impl AccountService {
    /// Ask the server to text a login code to `phone`.
    pub async fn request_code(&self, phone: String) -> Result<(), MinqingError> {
        let api = self.e.api().map_err(|e| self.e.net_public(e))?;
        api.request_code(&phone)
            .await
            .map_err(|e| self.e.net_public(e))
    }

    /// Log in with the texted code; the device then acts as this account and
    /// fetches its reference data on the next pass.
    pub async fn login(&self, phone: String, code: String) -> Result<AccountView, MinqingError> {
        let api = self.e.api().map_err(|e| self.e.net_public(e))?;
        api.login(&phone, &code, "minqing-app")
            .await
            .map_err(|e| self.e.net_public(e))?;
        self.e
            .store
            .write(|tx| crate::reference::mark_due(tx))
            .map_err(|e| self.e.public(e))?;
        self.e.notify(&[Change::Account]);
        self.e.net.wake.kick();
        self.e
            .account_in()
            .map_err(|e| self.e.public(e))?
            .ok_or_else(|| MinqingError::NotLoggedIn {
                reason: "登录未完成".into(),
            })
    }

    /// The logged-in account, if any.
    pub fn current(&self) -> Result<Option<AccountView>, MinqingError> {
        self.e.account_in().map_err(|e| self.e.public(e))
    }

    /// End this device's session: the tokens and the account go from the
    /// phone at once (`current()` is `None` after), online or not; telling
    /// the server is best effort. Unsent items stay queued for the next login.
    pub async fn logout(&self) -> Result<(), MinqingError> {
        let told = match self.e.api() {
            Ok(api) => api.logout().await,
            Err(e) => Err(e),
        };
        if let Err(e) = told {
            tracing::info!(error = %e, "logout: the server was not told");
        }
        self.e
            .store
            .write(|tx| {
                for k in ["access_token", "refresh_token", "me"] {
                    tx.execute("DELETE FROM meta WHERE key = ?1", [k])?;
                }
                Ok(())
            })
            .map_err(|e| self.e.public(e))?;
        self.e.notify(&[Change::Account]);
        Ok(())
    }

    /// Keep the push token the platform gave (HMS, MiPush, APNs …) and have
    /// the next sync pass register it with the server for this session
    /// (`POST /v1/devices`, with the app's language: pushes come in it). A
    /// vendor the server does not send through yet is kept, not sent.
    pub fn register_push_token(
        &self,
        provider: PushProvider,
        token: String,
    ) -> Result<(), MinqingError> {
        let reg = PushRegistration {
            provider,
            token,
            registered_at: now_ms(),
            sent: false,
        };
        let json = serde_json::to_string(&reg).map_err(|e| self.e.public(Error::Json(e)))?;
        let language = match self.e.lang() {
            crate::Lang::ZhCn => "zh-CN",
            crate::Lang::En => "en",
        };
        self.e
            .store
            .write(|tx| {
                meta_set(tx, "push_registration", &json)?;
                meta_set(tx, "push_language", language)
            })
            .map_err(|e| self.e.public(e))?;
        self.e.net.wake.kick();
        Ok(())
    }

    /// The push registration kept on this device, if any.
    pub fn push_registration(&self) -> Result<Option<PushRegistration>, MinqingError> {
        self.e
            .store
            .read(|c| meta_get(c, "push_registration"))
            .map_err(|e| self.e.public(e))?
            .map(|s| serde_json::from_str(&s).map_err(|e| self.e.public(Error::Json(e))))
            .transpose()
    }
}
