//! Firebase Cloud Messaging, by its HTTP v1 API (Firebase, "Send messages"
//! and "FCM error codes"; Google, "Using OAuth 2.0 for Server to Server
//! Applications"):
//!
//! - an access token by the service account's JWT grant: `POST <token_uri>`
//!   form `grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer&assertion=
//!   <JWT>`, the JWT RS256-signed with the account's key, claims `iss`
//!   (client email), `scope` (`https://www.googleapis.com/auth/firebase.
//!   messaging`), `aud` (the token URI), `iat`, `exp` (≤ one hour); the token
//!   is kept until a minute before its `expires_in`;
//! - `POST {base}/v1/projects/{project}/messages:send` with `authorization:
//!   Bearer <token>` and `{"message":{"token","notification":{"title","body"},
//!   "data":{"ticket","kind","action":"sync"},"android":{"priority":"high"}}}`;
//! - answers: 200 sent; 404 `UNREGISTERED`, and 400 `INVALID_ARGUMENT` about
//!   `message.token`, mean the token is dead; 401 takes a new access token
//!   and retries; 429 `QUOTA_EXCEEDED`, 500 `INTERNAL`, 503 `UNAVAILABLE` are
//!   retried (after `Retry-After` when given); anything else fails.

use super::vendor::{
    http_client, request_token, retry_after_ms, Answer, ConfigError, Message, TokenCache,
};
use crate::store::now_ms;
use serde::Deserialize;
use std::time::Duration;

/// `[push.fcm]` in the server's configuration.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FcmConfig {
    /// `https://fcm.googleapis.com` by default.
    #[serde(default = "default_base")]
    pub base_url: String,
    /// The service account's JSON key file as Google issues it
    /// (`project_id`, `client_email`, `private_key`, `token_uri`).
    pub service_account_file: std::path::PathBuf,
    /// HTTP/2 without TLS (tests against a loopback fake only).
    #[serde(default)]
    pub h2c: bool,
    #[serde(default = "default_in_flight")]
    pub max_in_flight: usize,
}

fn default_base() -> String {
    "https://fcm.googleapis.com".into()
}

fn default_in_flight() -> usize {
    64
}

/// The fields of a service account key file that are used.
#[derive(Debug, Clone, Deserialize)]
pub struct ServiceAccount {
    pub project_id: String,
    pub client_email: String,
    pub private_key: String,
    pub token_uri: String,
}

/// The OAuth scope of FCM's send API.
pub const SCOPE: &str = "https://www.googleapis.com/auth/firebase.messaging";

/// A configured FCM client.
pub struct Fcm {
    config: FcmConfig,
    account: ServiceAccount,
    key: jsonwebtoken::EncodingKey,
    http: reqwest::Client,
    token: TokenCache,
}

#[derive(serde::Serialize)]
struct Claims<'a> {
    iss: &'a str,
    scope: &'a str,
    aud: &'a str,
    iat: i64,
    exp: i64,
}

impl Fcm {
    /// Errors: the key file unreadable, not a service account, or its key not
    /// an RSA PEM key.
    pub fn new(config: FcmConfig) -> Result<Fcm, ConfigError> {
        let text = std::fs::read_to_string(&config.service_account_file).map_err(|e| {
            ConfigError::new(
                "fcm",
                format!(
                    "service_account_file {}: {e}",
                    config.service_account_file.display()
                ),
            )
        })?;
        let account: ServiceAccount = serde_json::from_str(&text)
            .map_err(|e| ConfigError::new("fcm", format!("service_account_file: {e}")))?;
        let key = jsonwebtoken::EncodingKey::from_rsa_pem(account.private_key.as_bytes())
            .map_err(|e| ConfigError::new("fcm", format!("private_key: {e}")))?;
        let http = http_client(config.h2c, Duration::from_secs(30))
            .map_err(|e| ConfigError::new("fcm", e))?;
        Ok(Fcm {
            config,
            account,
            key,
            http,
            token: TokenCache::default(),
        })
    }

    pub fn max_in_flight(&self) -> usize {
        self.config.max_in_flight.max(1)
    }

    /// The access token in use, or a new one (`fresh`, or expiring).
    async fn access_token(&self, fresh: bool) -> Result<String, String> {
        self.token
            .get(fresh, || async {
                let iat = now_ms() / 1000;
                let jwt = jsonwebtoken::encode(
                    &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256),
                    &Claims {
                        iss: &self.account.client_email,
                        scope: SCOPE,
                        aud: &self.account.token_uri,
                        iat,
                        exp: iat + 3600,
                    },
                    &self.key,
                )
                .map_err(|e| format!("signing the token request: {e}"))?;
                request_token(
                    &self.http,
                    &self.account.token_uri,
                    &[
                        ("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer"),
                        ("assertion", jwt.as_str()),
                    ],
                )
                .await
            })
            .await
    }

    /// The request body for `m`.
    pub fn body(m: &Message<'_>) -> serde_json::Value {
        serde_json::json!({
            "message": {
                "token": m.token,
                "notification": {"title": m.title, "body": m.body},
                "data": {"ticket": m.ticket_id, "kind": m.kind, "action": "sync"},
                "android": {"priority": "high"},
                "apns": {"headers": {"apns-priority": "10"}},
            }
        })
    }

    /// Send one push; `attempt` counts from 1.
    pub async fn send(&self, m: &Message<'_>, attempt: u32) -> Answer {
        let mut fresh = false;
        loop {
            let token = match self.access_token(fresh).await {
                Ok(t) => t,
                Err(e) => return Answer::retry(None, e, None, attempt),
            };
            let url = format!(
                "{}/v1/projects/{}/messages:send",
                self.config.base_url.trim_end_matches('/'),
                self.account.project_id
            );
            let res = match self
                .http
                .post(url)
                .bearer_auth(&token)
                .json(&Fcm::body(m))
                .send()
                .await
            {
                Ok(r) => r,
                Err(e) => return Answer::transport(&e, attempt),
            };
            let status = res.status().as_u16();
            if status == 200 {
                return Answer::sent(status);
            }
            let after = retry_after_ms(res.headers(), now_ms());
            let err: serde_json::Value = res.json().await.unwrap_or_default();
            let code = fcm_error_code(&err);
            let token_field = err["error"]["details"]
                .as_array()
                .into_iter()
                .flatten()
                .flat_map(|d| d["fieldViolations"].as_array().into_iter().flatten())
                .any(|v| v["field"] == "message.token");
            match (status, code.as_str()) {
                (404, _) | (_, "UNREGISTERED") => return Answer::dead(status, code),
                (400, "INVALID_ARGUMENT") if token_field => {
                    return Answer::dead(status, "INVALID_ARGUMENT: message.token")
                }
                (401, _) if !fresh => {
                    fresh = true;
                    continue;
                }
                (429, _) | (500, _) | (503, _) => {
                    return Answer::retry(Some(status), code, after, attempt)
                }
                _ => return Answer::failed(Some(status), code),
            }
        }
    }
}

/// The FCM error code of an error answer (`details[].errorCode` of type
/// `google.firebase.fcm.v1.FcmError`), else its `status`.
fn fcm_error_code(err: &serde_json::Value) -> String {
    err["error"]["details"]
        .as_array()
        .into_iter()
        .flatten()
        .find_map(|d| d["errorCode"].as_str())
        .or_else(|| err["error"]["status"].as_str())
        .unwrap_or("")
        .to_owned()
}
