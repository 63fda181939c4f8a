//! Huawei HMS Push Kit, by its server API (Huawei Developers, "Push Kit —
//! Sending Messages" and "Result Codes"; "OAuth 2.0 — Client Credentials"):
//!
//! - an access token by the client-credentials grant: `POST <token_url>`
//!   (`https://oauth-login.cloud.huawei.com/oauth2/v3/token`) form
//!   `grant_type=client_credentials&client_id=<app id>&client_secret=<secret>`;
//!   kept until a minute before its `expires_in` (an hour);
//! - `POST {base}/v1/{app id}/messages:send` with `Authorization: Bearer
//!   <token>` and `{"validate_only":false,"message":{"token":[<token>],
//!   "data":"{…}","notification":{"title","body"},"android":{"category":
//!   <category>,"notification":{"title","body","click_action":{"type":3}}}}}`
//!   — `category` is the self-classification of a service/communication
//!   message (`WORK` by default: work notices, not marketing, so they are
//!   neither throttled nor silenced as marketing is);
//! - answers: HTTP 200 with `code` `80000000` sent; `80300007` (all tokens
//!   invalid) and `80100000` naming the token as illegal mean the token is
//!   dead; `80200001` / `80200003` (OAuth error / expired) take a new token
//!   and retry; HTTP 429/500/502/503 and `81000001` (internal error) are
//!   retried (after `Retry-After` when given); anything else fails.

use super::vendor::{
    http_client, request_token, retry_after_ms, Answer, ConfigError, Message, TokenCache,
};
use crate::app::SecretText;
use crate::store::now_ms;
use serde::Deserialize;
use std::time::Duration;

/// `[push.hms]` in the server's configuration.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HmsConfig {
    /// `https://push-api.cloud.huawei.com` by default.
    #[serde(default = "default_base")]
    pub base_url: String,
    /// `https://oauth-login.cloud.huawei.com/oauth2/v3/token` by default.
    #[serde(default = "default_token_url")]
    pub token_url: String,
    /// The app's id in AppGallery Connect (also the OAuth client id).
    pub app_id: String,
    pub client_secret: SecretText,
    /// The message's self-classification (`WORK`, `ACCOUNT`, …).
    #[serde(default = "default_category")]
    pub category: String,
    /// HTTP/2 without TLS (tests against a loopback fake only).
    #[serde(default)]
    pub h2c: bool,
    #[serde(default = "default_in_flight")]
    pub max_in_flight: usize,
}

fn default_base() -> String {
    "https://push-api.cloud.huawei.com".into()
}
fn default_token_url() -> String {
    "https://oauth-login.cloud.huawei.com/oauth2/v3/token".into()
}
fn default_category() -> String {
    "WORK".into()
}
fn default_in_flight() -> usize {
    64
}

/// A configured HMS client.
pub struct Hms {
    config: HmsConfig,
    http: reqwest::Client,
    token: TokenCache,
}

impl Hms {
    pub fn new(config: HmsConfig) -> Result<Hms, ConfigError> {
        let http = http_client(config.h2c, Duration::from_secs(30))
            .map_err(|e| ConfigError::new("hms", e))?;
        Ok(Hms {
            config,
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
                let form = [
                    ("grant_type", "client_credentials"),
                    ("client_id", self.config.app_id.as_str()),
                    ("client_secret", self.config.client_secret.0.as_str()),
                ];
                request_token(&self.http, &self.config.token_url, &form).await
            })
            .await
    }

    /// The request body for `m` with message category `category`.
    pub fn body(m: &Message<'_>, category: &str) -> serde_json::Value {
        let data = serde_json::json!({"ticket": m.ticket_id, "kind": m.kind, "action": "sync"});
        serde_json::json!({
            "validate_only": false,
            "message": {
                "token": [m.token],
                "data": data.to_string(),
                "notification": {"title": m.title, "body": m.body},
                "android": {
                    "category": category,
                    "notification": {
                        "title": m.title,
                        "body": m.body,
                        // 3: open the app (its launcher activity).
                        "click_action": {"type": 3},
                    },
                },
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
                "{}/v1/{}/messages:send",
                self.config.base_url.trim_end_matches('/'),
                self.config.app_id
            );
            let res = match self
                .http
                .post(url)
                .bearer_auth(&token)
                .json(&Hms::body(m, &self.config.category))
                .send()
                .await
            {
                Ok(r) => r,
                Err(e) => return Answer::transport(&e, attempt),
            };
            let status = res.status().as_u16();
            let after = retry_after_ms(res.headers(), now_ms());
            let v: serde_json::Value = res.json().await.unwrap_or_default();
            let code = v["code"].as_str().unwrap_or("").to_owned();
            let msg = v["msg"].as_str().unwrap_or("");
            let detail = format!("{code} {msg}").trim().to_owned();
            match (status, code.as_str()) {
                (200, "80000000") => return Answer::sent(status),
                (_, "80300007") => return Answer::dead(status, detail),
                (200, "80100000") if msg.contains(m.token) => return Answer::dead(status, detail),
                (_, "80200001") | (_, "80200003") if !fresh => {
                    fresh = true;
                    continue;
                }
                (429 | 500 | 502 | 503, _) | (_, "81000001") => {
                    return Answer::retry(Some(status), detail, after, attempt)
                }
                _ => return Answer::failed(Some(status), detail),
            }
        }
    }
}
