//! Typed HTTP calls to the server (protocol v1), with the access token attached
//! and one transparent refresh on `401`. Every failure is sorted into a
//! [`NetError`] that tells the sync loop what to do next: wait and retry,
//! log in again, update the app, or give up on this one item.

use crate::error::Error;
use crate::store::{meta_get, meta_get_sealed, meta_set, meta_set_sealed, set_profile, Store};
use base64::Engine;
use minqing_protocol::wire::{
    ApiError, LoginRequest, PullResponse, PushRequest, PushResponse, RefreshRequest, SessionTokens,
    SmsCodeRequest, PROTOCOL_HEADER,
};
use minqing_protocol::PROTOCOL_VERSION;
use reqwest::{Method, RequestBuilder, Response, StatusCode};
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum NetError {
    /// No connection, a timeout, or a connection that broke.
    #[error("offline: {0}")]
    Offline(String),
    /// Not logged in, or the session is gone: log in again.
    #[error("not logged in")]
    Unauthorized,
    /// The server no longer accepts this app's protocol (426): update the app.
    #[error("this app version is too old for the server")]
    TooOld,
    /// The server asked to come back later (503, 429, 5xx).
    #[error("server unavailable")]
    Unavailable { retry_after: Option<Duration> },
    /// The server refused this request for good (4xx).
    #[error("refused ({status}): {}", .error.message_en)]
    Refused { status: u16, error: ApiError },
    /// No server address has been set on this device (`set_server`).
    #[error("no server configured")]
    NoServer,
    /// The answer made no sense.
    #[error("unexpected answer: {0}")]
    Protocol(String),
    #[error(transparent)]
    Store(#[from] Error),
}

impl NetError {
    /// Worth retrying later without anyone doing anything.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            NetError::Offline(_) | NetError::Unavailable { .. } | NetError::Protocol(_)
        )
    }
}

impl From<reqwest::Error> for NetError {
    fn from(e: reqwest::Error) -> Self {
        if e.is_decode() {
            NetError::Protocol(e.to_string())
        } else {
            NetError::Offline(e.to_string())
        }
    }
}

/// Outcome of a push the loop must act on.
pub enum Pushed {
    Done(PushResponse),
    /// The server expects this mutation id next.
    Gap(u64),
}

/// A tus creation's answer.
#[derive(Debug)]
pub struct Created {
    /// Where the upload lives (`Location`).
    pub url: String,
    /// With `creation-with-upload`: the bytes the server holds now.
    pub offset: Option<u64>,
}

/// What a tus PATCH achieved.
pub enum Patched {
    /// The server now has this many bytes.
    Offset(u64),
    /// The chunk arrived damaged (460): send it again.
    ChecksumMismatch,
    /// The server is at another offset (409): continue from there.
    Conflict(u64),
    /// The upload is gone (404, 410, or the whole photo failed verification).
    Gone,
}

pub struct Api<'a> {
    store: &'a Store,
    http: &'a reqwest::Client,
    base: String,
    refresh_lock: &'a tokio::sync::Mutex<()>,
    gate: &'a RetryGate,
}

/// The shared HTTP client: one connection pool per engine.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(10))
        .user_agent(concat!("minqing-core/", env!("CARGO_PKG_VERSION")))
        .build()
        .unwrap_or_default()
}

/// `Retry-After` as RFC 9110 §10.2.3 defines it: delay-seconds or an
/// HTTP-date (a date in the past means now).
fn retry_after(r: &Response) -> Option<Duration> {
    parse_retry_after(
        r.headers()
            .get(reqwest::header::RETRY_AFTER)?
            .to_str()
            .ok()?,
    )
}

fn parse_retry_after(v: &str) -> Option<Duration> {
    let v = v.trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = httpdate::parse_http_date(v).ok()?;
    Some(
        at.duration_since(std::time::SystemTime::now())
            .unwrap_or(Duration::ZERO),
    )
}

/// The server's `Retry-After`, kept for every request of this engine: until it
/// has passed, no request leaves the device (a server that asks a thousand
/// phones to wait gets no thundering herd), whatever wakes the sync loop, a
/// user's "sync now" or the live-update stream's reconnect. A request made
/// meanwhile fails at once with [`NetError::Unavailable`] carrying the time
/// left. Later answers can only extend the wait.
#[derive(Debug, Default)]
pub struct RetryGate {
    until: std::sync::Mutex<Option<tokio::time::Instant>>,
}

impl RetryGate {
    /// Time left before requests may go out again; `None` when they may.
    pub fn remaining(&self) -> Option<Duration> {
        let until = (*self.until.lock().unwrap_or_else(|p| p.into_inner()))?;
        let left = until.saturating_duration_since(tokio::time::Instant::now());
        (!left.is_zero()).then_some(left)
    }

    /// Hold requests back for `wait` from now (never shortens a longer hold).
    pub fn hold(&self, wait: Duration) {
        let until = tokio::time::Instant::now() + wait;
        let mut g = self.until.lock().unwrap_or_else(|p| p.into_inner());
        if g.is_none_or(|u| u < until) {
            *g = Some(until);
        }
    }

    /// `Err(Unavailable)` while held: the request must not be sent.
    fn check(&self) -> Result<(), NetError> {
        match self.remaining() {
            Some(left) => Err(NetError::Unavailable {
                retry_after: Some(left),
            }),
            None => Ok(()),
        }
    }

    /// Note an answer's `Retry-After` (429, 503 and other 5xx).
    fn note(&self, r: &Response) -> Option<Duration> {
        let wait = retry_after(r);
        if let Some(w) = wait {
            self.hold(w);
        }
        wait
    }
}

async fn api_error(r: Response) -> NetError {
    let status = r.status().as_u16();
    match r.json::<ApiError>().await {
        Ok(error) => NetError::Refused { status, error },
        Err(_) => NetError::Refused {
            status,
            error: ApiError {
                error: format!("http_{status}"),
                message_zh: format!("服务器拒绝了请求（{status}）"),
                message_en: format!("The server refused the request ({status})"),
                expected: None,
            },
        },
    }
}

impl<'a> Api<'a> {
    pub fn new(
        store: &'a Store,
        http: &'a reqwest::Client,
        refresh_lock: &'a tokio::sync::Mutex<()>,
        gate: &'a RetryGate,
    ) -> Result<Self, NetError> {
        let base = store
            .read(|c| meta_get(c, "server_url"))?
            .ok_or(NetError::NoServer)?;
        Ok(Api {
            store,
            http,
            base: base.trim_end_matches('/').to_owned(),
            refresh_lock,
            gate,
        })
    }

    pub fn url(&self, path: &str) -> String {
        if path.starts_with("http://") || path.starts_with("https://") {
            path.to_owned()
        } else {
            format!("{}{}", self.base, path)
        }
    }

    fn access_token(&self) -> Result<Option<String>, NetError> {
        Ok(self.store.read(|c| meta_get_sealed(c, "access_token"))?)
    }

    /// Keep a new session: tokens and who we are, in one transaction.
    pub fn save_session(&self, s: &SessionTokens) -> Result<(), NetError> {
        self.store.write(|tx| {
            meta_set_sealed(tx, "access_token", &s.access_token)?;
            meta_set_sealed(tx, "refresh_token", &s.refresh_token)?;
            meta_set(tx, "me", &serde_json::to_string(&s.me)?)?;
            // A new session (login, refresh) registers the push token again
            // (`engine::send_push_registration`).
            crate::api_sync::mark_push_unsent(tx)?;
            set_profile(tx, &s.me.actor())
        })?;
        Ok(())
    }

    /// Send with the access token; on 401 refresh once and send again. Maps
    /// 426, 429, 5xx and network errors; other statuses are the caller's.
    ///
    /// A transport error is tried once more at once: a pooled connection the
    /// network silently dropped fails the first request on it. Every request of
    /// this protocol is idempotent (mutation ids, tus offsets, one upload per
    /// photo), so sending twice is safe.
    pub async fn send(
        &self,
        build: impl Fn(&reqwest::Client) -> RequestBuilder,
    ) -> Result<Response, NetError> {
        self.send_with(build, true).await
    }

    /// [`Api::send`], choosing whether a transport error is tried again at
    /// once (not for a request whose body is a whole photo: the resume after a
    /// cut asks the server where it stands instead of sending everything again).
    async fn send_with(
        &self,
        build: impl Fn(&reqwest::Client) -> RequestBuilder,
        mut transport_retry: bool,
    ) -> Result<Response, NetError> {
        let mut attempt = 0;
        while attempt < 2 {
            self.gate.check()?;
            let token = self.access_token()?.ok_or(NetError::Unauthorized)?;
            let sent = build(self.http)
                .bearer_auth(&token)
                .header(PROTOCOL_HEADER, PROTOCOL_VERSION.to_string())
                .send()
                .await;
            let r = match sent {
                Ok(r) => r,
                Err(e) if transport_retry && !e.is_timeout() => {
                    transport_retry = false;
                    tracing::debug!(error = %e, "retrying once on a fresh connection");
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    continue;
                }
                Err(e) => return Err(e.into()),
            };
            attempt += 1;
            match r.status() {
                StatusCode::UNAUTHORIZED if attempt == 1 => self.refresh(&token).await?,
                StatusCode::UNAUTHORIZED => return Err(NetError::Unauthorized),
                StatusCode::UPGRADE_REQUIRED => return Err(NetError::TooOld),
                s if s == StatusCode::TOO_MANY_REQUESTS || s.is_server_error() => {
                    return Err(NetError::Unavailable {
                        retry_after: self.gate.note(&r),
                    })
                }
                _ => return Ok(r),
            }
        }
        Err(NetError::Unauthorized)
    }

    /// Swap the refresh token for new tokens. Serialised: a second caller that
    /// waited finds the token already replaced and just retries.
    async fn refresh(&self, stale_access: &str) -> Result<(), NetError> {
        let _one_at_a_time = self.refresh_lock.lock().await;
        if self.access_token()?.as_deref() != Some(stale_access) {
            return Ok(());
        }
        let refresh = self
            .store
            .read(|c| meta_get_sealed(c, "refresh_token"))?
            .ok_or(NetError::Unauthorized)?;
        self.gate.check()?;
        let r = self
            .http
            .post(self.url("/v1/auth/refresh"))
            .json(&RefreshRequest {
                refresh_token: refresh,
            })
            .send()
            .await?;
        match r.status() {
            s if s.is_success() => {
                let tokens: SessionTokens = r.json().await?;
                self.save_session(&tokens)
            }
            s if s == StatusCode::TOO_MANY_REQUESTS || s.is_server_error() => {
                Err(NetError::Unavailable {
                    retry_after: self.gate.note(&r),
                })
            }
            _ => Err(NetError::Unauthorized),
        }
    }

    pub async fn request_code(&self, phone: &str) -> Result<(), NetError> {
        self.gate.check()?;
        let r = self
            .http
            .post(self.url("/v1/auth/sms-code"))
            .json(&SmsCodeRequest {
                phone: phone.to_owned(),
            })
            .send()
            .await?;
        if r.status().is_success() {
            Ok(())
        } else if r.status().is_server_error() {
            Err(NetError::Unavailable {
                retry_after: self.gate.note(&r),
            })
        } else {
            Err(api_error(r).await)
        }
    }

    pub async fn login(
        &self,
        phone: &str,
        code: &str,
        device: &str,
    ) -> Result<SessionTokens, NetError> {
        self.gate.check()?;
        let r = self
            .http
            .post(self.url("/v1/auth/login"))
            .json(&LoginRequest {
                phone: phone.to_owned(),
                code: code.to_owned(),
                device: device.to_owned(),
            })
            .send()
            .await?;
        if !r.status().is_success() {
            return Err(api_error(r).await);
        }
        let tokens: SessionTokens = r.json().await?;
        self.save_session(&tokens)?;
        Ok(tokens)
    }

    pub async fn logout(&self) -> Result<(), NetError> {
        let r = self.send(|c| c.post(self.url("/v1/auth/logout"))).await;
        self.store.write(|tx| {
            for k in ["access_token", "refresh_token"] {
                tx.execute("DELETE FROM meta WHERE key = ?1", [k])?;
            }
            Ok(())
        })?;
        match r {
            Ok(_) | Err(NetError::Unauthorized) => Ok(()),
            Err(e) => Err(e),
        }
    }

    pub async fn push(&self, req: &PushRequest) -> Result<Pushed, NetError> {
        let r = self
            .send(|c| c.post(self.url("/v1/sync/push")).json(req))
            .await?;
        match r.status() {
            StatusCode::OK => Ok(Pushed::Done(r.json().await?)),
            StatusCode::CONFLICT => match api_error(r).await {
                NetError::Refused { error, .. } if error.expected.is_some() => {
                    Ok(Pushed::Gap(error.expected.unwrap_or(1)))
                }
                other => Err(other),
            },
            _ => Err(api_error(r).await),
        }
    }

    /// GET a JSON resource of the API (`path` with its query).
    pub async fn get_json<T: serde::de::DeserializeOwned>(
        &self,
        path: &str,
    ) -> Result<T, NetError> {
        let r = self.send(|c| c.get(self.url(path))).await?;
        if r.status() != StatusCode::OK {
            return Err(api_error(r).await);
        }
        Ok(r.json().await?)
    }

    /// POST a JSON body; any 2xx is success.
    pub async fn post_json(&self, path: &str, body: &serde_json::Value) -> Result<(), NetError> {
        let r = self.send(|c| c.post(self.url(path)).json(body)).await?;
        if !r.status().is_success() {
            return Err(api_error(r).await);
        }
        Ok(())
    }

    pub async fn pull(&self, cursor: Option<&str>) -> Result<PullResponse, NetError> {
        let r = self
            .send(|c| {
                let b = c.get(self.url("/v1/sync/pull"));
                match cursor {
                    Some(cur) => b.query(&[("cursor", cur)]),
                    None => b,
                }
            })
            .await?;
        if r.status() != StatusCode::OK {
            return Err(api_error(r).await);
        }
        Ok(r.json().await?)
    }

    fn tus(&self, method: Method, url: &str) -> impl Fn(&reqwest::Client) -> RequestBuilder + '_ {
        let url = self.url(url);
        move |c: &reqwest::Client| {
            c.request(method.clone(), &url)
                .header("tus-resumable", "1.0.0")
        }
    }

    /// tus creation: returns the upload's URL and, when `body` was sent with it
    /// (`creation-with-upload`, the bytes from offset 0), the offset the server
    /// holds afterwards.
    pub async fn tus_create(
        &self,
        photo_id: &str,
        ticket_id: &str,
        sha256: &str,
        length: u64,
        body: Option<bytes::Bytes>,
    ) -> Result<Created, NetError> {
        let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
        let meta = format!(
            "photo_id {},ticket_id {},sha256 {},filetype {}",
            b64(photo_id),
            b64(ticket_id),
            b64(sha256),
            b64("image/jpeg")
        );
        let build = self.tus(Method::POST, "/v1/uploads");
        let with_body = body.is_some();
        let r = self
            .send_with(
                |c| {
                    let b = build(c)
                        .header("upload-length", length.to_string())
                        .header("upload-metadata", meta.clone());
                    match &body {
                        Some(bytes) => b
                            .header("content-type", "application/offset+octet-stream")
                            .body(bytes.clone()),
                        None => b,
                    }
                },
                !with_body,
            )
            .await?;
        if r.status() != StatusCode::CREATED {
            return Err(api_error(r).await);
        }
        let url = r
            .headers()
            .get(reqwest::header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
            .ok_or_else(|| NetError::Protocol("upload created without a Location".into()))?;
        let offset = if with_body {
            Some(
                Self::offset_of(&r)
                    .ok_or_else(|| NetError::Protocol("created without Upload-Offset".into()))?,
            )
        } else {
            None
        };
        Ok(Created { url, offset })
    }

    fn offset_of(r: &Response) -> Option<u64> {
        r.headers()
            .get("upload-offset")?
            .to_str()
            .ok()?
            .parse()
            .ok()
    }

    /// tus HEAD: how many bytes the server has, or `None` when the upload is gone.
    pub async fn tus_offset(&self, url: &str) -> Result<Option<u64>, NetError> {
        let build = self.tus(Method::HEAD, url);
        let r = self.send(build).await?;
        match r.status() {
            StatusCode::OK => Self::offset_of(&r)
                .map(Some)
                .ok_or_else(|| NetError::Protocol("HEAD without Upload-Offset".into())),
            StatusCode::NOT_FOUND | StatusCode::GONE => Ok(None),
            _ => Err(api_error(r).await),
        }
    }

    /// tus PATCH of `chunk` at `offset`. Without a chunk checksum the server
    /// keeps what arrives before a cut; the whole photo's SHA-256 is checked
    /// when it completes.
    pub async fn tus_patch(
        &self,
        url: &str,
        offset: u64,
        chunk: bytes::Bytes,
    ) -> Result<Patched, NetError> {
        let build = self.tus(Method::PATCH, url);
        let r = self
            .send(|c| {
                build(c)
                    .header("content-type", "application/offset+octet-stream")
                    .header("upload-offset", offset.to_string())
                    .body(chunk.clone())
            })
            .await?;
        match r.status().as_u16() {
            204 => Self::offset_of(&r)
                .map(Patched::Offset)
                .ok_or_else(|| NetError::Protocol("PATCH without Upload-Offset".into())),
            409 => Ok(Self::offset_of(&r).map_or(Patched::Gone, Patched::Conflict)),
            460 => match api_error(r).await {
                NetError::Refused { error, .. } if error.error == "photo_checksum_mismatch" => {
                    Ok(Patched::Gone)
                }
                _ => Ok(Patched::ChecksumMismatch),
            },
            404 | 410 => Ok(Patched::Gone),
            423 => Err(NetError::Unavailable {
                retry_after: Some(Duration::from_secs(1)),
            }),
            _ => Err(api_error(r).await),
        }
    }

    /// A finished photo's bytes; `None` when the server has none for us.
    pub async fn photo(&self, photo_id: &str) -> Result<Option<Vec<u8>>, NetError> {
        let path = format!("/v1/photos/{photo_id}");
        let r = self.send(|c| c.get(self.url(&path))).await?;
        match r.status() {
            StatusCode::OK => Ok(Some(r.bytes().await?.to_vec())),
            StatusCode::NOT_FOUND => Ok(None),
            _ => Err(api_error(r).await),
        }
    }

    /// Open the SSE stream of pokes.
    pub async fn events(&self) -> Result<Response, NetError> {
        let r = self.send(|c| c.get(self.url("/v1/events"))).await?;
        if r.status() != StatusCode::OK {
            return Err(api_error(r).await);
        }
        Ok(r)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_takes_seconds_and_http_dates() {
        assert_eq!(parse_retry_after(" 30 "), Some(Duration::from_secs(30)));
        let in_a_minute = std::time::SystemTime::now() + Duration::from_secs(61);
        let d = parse_retry_after(&httpdate::fmt_http_date(in_a_minute)).expect("date");
        assert!(
            d > Duration::from_secs(55) && d <= Duration::from_secs(61),
            "{d:?}"
        );
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"),
            Some(Duration::ZERO),
            "a date in the past means now"
        );
        assert_eq!(parse_retry_after("soon"), None);
        assert_eq!(parse_retry_after("-5"), None);
    }
}
