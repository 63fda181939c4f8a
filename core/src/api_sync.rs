//! The network half of the [`Minqing`] API: server address, login, sync passes
//! and the background loop, sync status for listeners. The work itself is in
//! [`crate::client`]; this file only wires it to the engine object.

use crate::client::engine::{self, SyncReport};
use crate::client::http::RetryGate;
use crate::client::http::{self, Api, NetError};
use crate::client::runner::{
    classify, pause, pump_pokes, Backoff, Pause, StatusBoard, SyncHandle, SyncListener, SyncState,
    SyncStatus, Wake,
};
use crate::error::{Error, MinqingError};
use crate::listeners::Subscription;
use crate::store::{meta_get, meta_set, now_ms};
use crate::Minqing;
use minqing_protocol::wire::Me;
use std::sync::{Arc, OnceLock};
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
        }
    }
}

/// Who is logged in on this device.
#[derive(Debug, Clone, PartialEq, serde::Serialize, uniffi::Record)]
pub struct AccountView {
    pub user_id: String,
    pub name: String,
    pub role_label: String,
    pub unit_id: Option<String>,
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

impl Minqing {
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
        Ok(me.map(|m| AccountView {
            user_id: m.user.to_string(),
            name: m.name,
            role_label: match lang {
                crate::Lang::ZhCn => m.role.label_zh().to_owned(),
                crate::Lang::En => m.role.label_en().to_owned(),
            },
            unit_id: m.unit.map(|u| u.to_string()),
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
            (None, Ok(api)) => engine::sync_once(&api, &self.store, &|| self.notify()).await,
            (None, Err(e)) => Err(e),
        };
        self.notify();
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
}

#[uniffi::export(async_runtime = "tokio")]
impl Minqing {
    /// The server to sync with, e.g. `https://minqing.example.cn`.
    pub fn set_server(&self, url: String) -> Result<(), MinqingError> {
        let url = url.trim().trim_end_matches('/').to_owned();
        if !(url.starts_with("https://") || url.starts_with("http://")) {
            return Err(MinqingError::Invalid {
                reason: "服务器地址须以 https:// 开头".into(),
            });
        }
        self.store
            .write(|tx| meta_set(tx, "server_url", &url))
            .map_err(|e| self.public(e))
    }

    /// Ask the server to text a login code to `phone`.
    pub async fn request_code(&self, phone: String) -> Result<(), MinqingError> {
        let api = self.api().map_err(|e| self.net_public(e))?;
        api.request_code(&phone)
            .await
            .map_err(|e| self.net_public(e))
    }

    /// Log in with the texted code; the device then acts as this account.
    pub async fn login(&self, phone: String, code: String) -> Result<AccountView, MinqingError> {
        let api = self.api().map_err(|e| self.net_public(e))?;
        api.login(&phone, &code, "minqing-app")
            .await
            .map_err(|e| self.net_public(e))?;
        self.notify();
        self.net.wake.kick();
        self.account_in()
            .map_err(|e| self.public(e))?
            .ok_or_else(|| MinqingError::NotLoggedIn {
                reason: "登录未完成".into(),
            })
    }

    /// The logged-in account, if any.
    pub fn account(&self) -> Result<Option<AccountView>, MinqingError> {
        self.account_in().map_err(|e| self.public(e))
    }

    /// End this device's session. Unsent items stay queued for the next login.
    pub async fn logout(&self) -> Result<(), MinqingError> {
        let api = self.api().map_err(|e| self.net_public(e))?;
        api.logout().await.map_err(|e| self.net_public(e))
    }

    /// Sync once now: push, upload, pull.
    pub async fn sync_now(&self) -> Result<SyncReport, MinqingError> {
        self.sync_pass().await.map_err(|e| self.net_public(e))
    }

    /// Keep syncing in the background (and listen for pokes) until the
    /// returned handle is cancelled or dropped.
    pub fn start_sync(self: Arc<Self>) -> Result<Arc<SyncHandle>, MinqingError> {
        let rt = runtime()?;
        let a = rt.spawn(self.clone().run_loop());
        let b = rt.spawn(self.run_events());
        Ok(Arc::new(SyncHandle::new(vec![a, b])))
    }

    /// The platform says the network changed: try at once when it is back.
    pub fn network_changed(&self, online: bool) {
        if online {
            self.net.wake.network_back();
        }
    }

    /// Sync status; the listener hears the current status at once.
    pub fn subscribe_sync(&self, listener: Arc<dyn SyncListener>) -> Arc<Subscription> {
        listener.on_sync_status(self.net.status.get());
        self.net.status.listeners.add(listener)
    }

    /// The current sync status.
    pub fn sync_status(&self) -> SyncStatus {
        self.net.status.get()
    }
}
