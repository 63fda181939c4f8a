//! Xiaomi MiPush, by its server HTTP API (Xiaomi, "服务器API地址以及参数" /
//! "Server API addresses and parameters"):
//!
//! - `POST {base}/v3/message/regid` (`https://api.xmpush.xiaomi.com`), header
//!   `Authorization: key=<AppSecret>`, a form
//!   (`application/x-www-form-urlencoded`) with `registration_id`,
//!   `restricted_package_name` (the package), `title` (< 50 characters),
//!   `description` (< 128 characters), `payload` (URL-encoded: the item and
//!   kind), `pass_through=0` (a notification-bar message), `notify_type=-1`,
//!   `extra.notify_effect=1` (open the app), and `extra.channel_id` — the
//!   channel registered for service messages, without which Xiaomi classes a
//!   push as an ordinary one with a daily cap;
//! - answers: JSON `{"result":"ok","code":0,…}` sent — unless its
//!   `data.bad_regids` names the token, which is dead; `{"result":"error",
//!   "code":…,"reason":…}` fails, except a reason about the regId (dead);
//!   HTTP 429/5xx are retried (after `Retry-After` when given).

use super::vendor::{cut, http_client, retry_after_ms, Answer, ConfigError, Message};
use crate::app::SecretText;
use crate::store::now_ms;
use serde::Deserialize;
use std::time::Duration;

/// `[push.mipush]` in the server's configuration.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MipushConfig {
    /// `https://api.xmpush.xiaomi.com` by default.
    #[serde(default = "default_base")]
    pub base_url: String,
    pub app_secret: SecretText,
    /// The notification channel registered for service messages.
    pub channel_id: String,
    /// HTTP/2 without TLS (tests against a loopback fake only).
    #[serde(default)]
    pub h2c: bool,
    #[serde(default = "default_in_flight")]
    pub max_in_flight: usize,
}

fn default_base() -> String {
    "https://api.xmpush.xiaomi.com".into()
}
fn default_in_flight() -> usize {
    64
}

/// Title and description limits (characters; "长度小于50" / "小于128").
pub const MAX_TITLE: usize = 49;
pub const MAX_DESCRIPTION: usize = 127;

/// A configured MiPush client.
pub struct Mipush {
    config: MipushConfig,
    http: reqwest::Client,
}

impl Mipush {
    pub fn new(config: MipushConfig) -> Result<Mipush, ConfigError> {
        let http = http_client(config.h2c, Duration::from_secs(30))
            .map_err(|e| ConfigError::new("mipush", e))?;
        Ok(Mipush { config, http })
    }

    pub fn max_in_flight(&self) -> usize {
        self.config.max_in_flight.max(1)
    }

    /// The form fields for `m` on `channel`.
    pub fn form(m: &Message<'_>, channel: &str) -> Vec<(&'static str, String)> {
        let payload = serde_json::json!({"ticket": m.ticket_id, "kind": m.kind, "action": "sync"});
        vec![
            ("registration_id", m.token.to_owned()),
            ("restricted_package_name", m.app_id.to_owned()),
            ("title", cut(m.title, MAX_TITLE)),
            ("description", cut(m.body, MAX_DESCRIPTION)),
            (
                "payload",
                url::form_urlencoded::byte_serialize(payload.to_string().as_bytes()).collect(),
            ),
            ("pass_through", "0".into()),
            ("notify_type", "-1".into()),
            ("extra.notify_effect", "1".into()),
            ("extra.channel_id", channel.to_owned()),
        ]
    }

    /// Send one push; `attempt` counts from 1.
    pub async fn send(&self, m: &Message<'_>, attempt: u32) -> Answer {
        let url = format!(
            "{}/v3/message/regid",
            self.config.base_url.trim_end_matches('/')
        );
        let res = match self
            .http
            .post(url)
            .header("authorization", format!("key={}", self.config.app_secret.0))
            .form(&Mipush::form(m, &self.config.channel_id))
            .send()
            .await
        {
            Ok(r) => r,
            Err(e) => return Answer::transport(&e, attempt),
        };
        let status = res.status().as_u16();
        let after = retry_after_ms(res.headers(), now_ms());
        if status == 429 || status >= 500 {
            return Answer::retry(Some(status), format!("HTTP {status}"), after, attempt);
        }
        #[derive(Deserialize, Default)]
        struct Reply {
            #[serde(default)]
            result: String,
            #[serde(default)]
            code: i64,
            #[serde(default)]
            reason: String,
            #[serde(default)]
            data: serde_json::Value,
        }
        let r = res.json::<Reply>().await.unwrap_or_default();
        let bad = r.data["bad_regids"]
            .as_str()
            .is_some_and(|b| b.split(',').any(|t| t.trim() == m.token));
        if r.result == "ok" && r.code == 0 {
            if bad {
                return Answer::dead(status, "bad_regids");
            }
            return Answer::sent(status);
        }
        let detail = format!("{} {}", r.code, r.reason).trim().to_owned();
        if bad || r.reason.to_ascii_lowercase().contains("regid") {
            return Answer::dead(status, detail);
        }
        Answer::failed(Some(status), detail)
    }
}
