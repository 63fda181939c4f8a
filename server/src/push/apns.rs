//! Apple Push Notification service, by its HTTP/2 provider API with token
//! authentication (Apple, "Sending notification requests to APNs" and
//! "Establishing a token-based connection to APNs"):
//!
//! - `POST {base}/3/device/{device token}` over HTTP/2; headers
//!   `authorization: bearer <JWT>`, `apns-topic: <bundle id>`,
//!   `apns-push-type: alert`, `apns-priority: 10`, `apns-expiration`,
//!   `apns-id` (a UUID);
//! - the JWT: header `{"alg":"ES256","kid":<key id>}`, claims `{"iss":<team
//!   id>,"iat":<seconds>}`, signed with the `.p8` key (P-256); Apple refuses a
//!   token older than one hour (`ExpiredProviderToken`) and one refreshed more
//!   often than every 20 minutes (`TooManyProviderTokenUpdates`): it is made
//!   anew every 50 minutes;
//! - the payload at most 4096 bytes: `{"aps":{"alert":{"title","body"},
//!   "sound":"default","thread-id":<item>},"ticket":<item>,"kind":<kind>}`;
//! - answers: 200 sent; 410 `Unregistered` and 400 `BadDeviceToken` /
//!   `DeviceTokenNotForTopic` mean the token is dead; 403
//!   `ExpiredProviderToken` / `InvalidProviderToken` make a new JWT and retry;
//!   429 `TooManyRequests`, 500, 503 are retried (after `Retry-After` when
//!   given); anything else fails for good.

use super::vendor::{cut, http_client, retry_after_ms, Answer, ConfigError, Message};
use crate::store::now_ms;
use serde::Deserialize;
use std::sync::Mutex;
use std::time::Duration;

/// `[push.apns]` in the server's configuration.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApnsConfig {
    /// `https://api.push.apple.com` (production, the default) or
    /// `https://api.sandbox.push.apple.com`.
    #[serde(default = "default_base")]
    pub base_url: String,
    /// The `.p8` signing key (PKCS#8 PEM) from the developer account.
    pub key_file: std::path::PathBuf,
    /// Its 10-character key id.
    pub key_id: String,
    /// The developer team id (the JWT's issuer).
    pub team_id: String,
    /// HTTP/2 without TLS (tests against a loopback fake only).
    #[serde(default)]
    pub h2c: bool,
    /// Requests in flight at most.
    #[serde(default = "default_in_flight")]
    pub max_in_flight: usize,
}

fn default_base() -> String {
    "https://api.push.apple.com".into()
}

fn default_in_flight() -> usize {
    64
}

/// A JWT is used this long (Apple: at most one hour, refreshed at most every
/// 20 minutes).
const JWT_LIFETIME_S: i64 = 50 * 60;

/// The payload's limit (bytes).
pub const MAX_PAYLOAD: usize = 4096;

/// A configured APNs client.
pub struct Apns {
    config: ApnsConfig,
    key: jsonwebtoken::EncodingKey,
    http: reqwest::Client,
    /// The JWT in use and when it was made (seconds).
    jwt: Mutex<Option<(String, i64)>>,
}

#[derive(serde::Serialize)]
struct Claims<'a> {
    iss: &'a str,
    iat: i64,
}

impl Apns {
    /// Errors: the key file unreadable or not an EC P-256 PEM key.
    pub fn new(config: ApnsConfig) -> Result<Apns, ConfigError> {
        let pem = std::fs::read(&config.key_file).map_err(|e| {
            ConfigError::new(
                "apns",
                format!("key_file {}: {e}", config.key_file.display()),
            )
        })?;
        let key = jsonwebtoken::EncodingKey::from_ec_pem(&pem)
            .map_err(|e| ConfigError::new("apns", format!("key_file: {e}")))?;
        let http = http_client(config.h2c, Duration::from_secs(30))
            .map_err(|e| ConfigError::new("apns", e))?;
        Ok(Apns {
            config,
            key,
            http,
            jwt: Mutex::new(None),
        })
    }

    pub fn max_in_flight(&self) -> usize {
        self.config.max_in_flight.max(1)
    }

    /// The provider token: the one in use, or a new one when it is 50
    /// minutes old (or `fresh`: Apple refused the last one).
    fn jwt(&self, fresh: bool) -> Result<String, jsonwebtoken::errors::Error> {
        let now = now_ms() / 1000;
        let mut held = self.jwt.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((t, made)) = held.as_ref() {
            if !fresh && now - made < JWT_LIFETIME_S {
                return Ok(t.clone());
            }
        }
        let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::ES256);
        header.typ = None;
        header.kid = Some(self.config.key_id.clone());
        let t = jsonwebtoken::encode(
            &header,
            &Claims {
                iss: &self.config.team_id,
                iat: now,
            },
            &self.key,
        )?;
        *held = Some((t.clone(), now));
        Ok(t)
    }

    /// The payload, its body cut until it fits [`MAX_PAYLOAD`].
    pub fn payload(m: &Message<'_>) -> String {
        let mut body = m.body.to_owned();
        loop {
            let p = serde_json::json!({
                "aps": {
                    "alert": {"title": m.title, "body": body},
                    "sound": "default",
                    "thread-id": m.ticket_id,
                },
                "ticket": m.ticket_id,
                "kind": m.kind,
            })
            .to_string();
            if p.len() <= MAX_PAYLOAD || body.is_empty() {
                return p;
            }
            body = cut(&body, body.chars().count() / 2);
        }
    }

    /// Send one push; `attempt` counts from 1 (for backoff).
    pub async fn send(&self, m: &Message<'_>, attempt: u32) -> Answer {
        let mut fresh = false;
        loop {
            let jwt = match self.jwt(fresh) {
                Ok(j) => j,
                Err(e) => return Answer::failed(None, format!("signing the provider token: {e}")),
            };
            let url = format!(
                "{}/3/device/{}",
                self.config.base_url.trim_end_matches('/'),
                m.token
            );
            let res = self
                .http
                .post(url)
                .header("authorization", format!("bearer {jwt}"))
                .header("apns-topic", m.app_id)
                .header("apns-push-type", "alert")
                .header("apns-priority", "10")
                .header("apns-expiration", (now_ms() / 1000 + 86_400).to_string())
                .header("apns-id", uuid::Uuid::new_v4().to_string())
                .header("content-type", "application/json")
                .body(Apns::payload(m))
                .send()
                .await;
            let res = match res {
                Ok(r) => r,
                Err(e) => return Answer::transport(&e, attempt),
            };
            let status = res.status().as_u16();
            if status == 200 {
                return Answer::sent(status);
            }
            let after = retry_after_ms(res.headers(), now_ms());
            #[derive(Deserialize, Default)]
            struct Reason {
                #[serde(default)]
                reason: String,
            }
            let reason = res.json::<Reason>().await.unwrap_or_default().reason;
            match (status, reason.as_str()) {
                (410, _) | (400, "BadDeviceToken") | (400, "DeviceTokenNotForTopic") => {
                    return Answer::dead(status, reason)
                }
                (403, "ExpiredProviderToken") | (403, "InvalidProviderToken") if !fresh => {
                    fresh = true;
                    continue;
                }
                (429, _) | (500, _) | (503, _) => {
                    return Answer::retry(Some(status), reason, after, attempt)
                }
                _ => return Answer::failed(Some(status), reason),
            }
        }
    }
}
