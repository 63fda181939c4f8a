//! What reaches people outside the app when a push is not enough (issue 12,
//! items 5–6; ADR 0018): the SMS fallback and the direct-line groups' robots.
//!
//! # Parts
//! - [`tencent_sms`]: Tencent Cloud SMS (API 3.0 `SendSms`, signed with
//!   TC3-HMAC-SHA256) and [`aliyun_sms`]: Alibaba Cloud SMS (`SendSms`,
//!   RPC signature HMAC-SHA1), behind `crate::sms::SmsGateway`, which login
//!   codes and the fallback both use when `[sms] provider` names one.
//! - [`fallback`]: a notice that must arrive (a chase, "please confirm") and
//!   is still unread after the configured time, or whose person has no phone
//!   registered for push, goes by SMS — once, within a daily cap per person,
//!   each decision recorded (`sms_fallbacks`).
//! - [`robots`]: a group's WeCom group robot and DingTalk custom robot; new
//!   items, declines, chases and resolutions are posted to the group as
//!   markdown with a link to the item in the console (`robot_posts`).
//! - [`sealed`]: the robots' webhooks and signing secrets at rest, sealed
//!   under a key derived from the server secret.
//!
//! Neither an SMS nor a robot post carries a constituent's contact; an SMS
//! carries not even the item's text (a template with the kind of notice and
//! the item's short reference).

pub mod aliyun_sms;
pub mod fallback;
pub mod robots;
pub mod sealed;
pub mod tencent_sms;

use serde::Deserialize;

/// The `[sms]` configuration: which gateway sends texts (login codes and the
/// fallback).
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SmsConfig {
    /// `log` (default: `<data_dir>/sms.log`, for development and the demo),
    /// `tencent` or `aliyun`.
    pub provider: String,
    /// Tencent Cloud SMS (`provider = "tencent"`).
    pub tencent: tencent_sms::TencentConfig,
    /// Alibaba Cloud SMS (`provider = "aliyun"`).
    pub aliyun: aliyun_sms::AliyunConfig,
}

impl Default for SmsConfig {
    fn default() -> Self {
        SmsConfig {
            provider: "log".into(),
            tencent: tencent_sms::TencentConfig::default(),
            aliyun: aliyun_sms::AliyunConfig::default(),
        }
    }
}

/// The `[sms_fallback]` configuration (see [`fallback`]).
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FallbackConfig {
    /// Off unless set.
    pub enabled: bool,
    /// The notice kinds that must arrive (`notifications.kind`).
    pub kinds: Vec<String>,
    /// How long such a notice may stay unread before it is texted (minutes).
    pub unread_minutes: u64,
    /// Texts per person per day (China time) at most; beyond, the notice is
    /// recorded `capped` and not sent.
    pub daily_cap: u32,
    /// Notices older than this (hours) are never texted (a deployment that
    /// turns the fallback on does not text its whole backlog).
    pub max_age_hours: u64,
    /// How often the pass runs (seconds).
    pub interval_secs: u64,
}

impl Default for FallbackConfig {
    fn default() -> Self {
        FallbackConfig {
            enabled: false,
            kinds: vec!["chased".into(), "resolved".into()],
            unread_minutes: 30,
            daily_cap: 5,
            max_age_hours: 48,
            interval_secs: 60,
        }
    }
}

/// The `[robots]` configuration (see [`robots`]).
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RobotsConfig {
    /// The console's address as people open it (`https://…`, no trailing
    /// slash): a post links to `<console_url>/items/<id>`.
    pub console_url: String,
    /// How often the pass runs (seconds).
    pub interval_secs: u64,
    /// Posts per robot per minute at most (WeCom and DingTalk both allow 20).
    pub per_minute: u32,
}

impl Default for RobotsConfig {
    fn default() -> Self {
        RobotsConfig {
            console_url: "http://127.0.0.1:8080".into(),
            interval_secs: 5,
            per_minute: 20,
        }
    }
}

/// A blocking HTTP client kept in `cell`, built on first use — off the async
/// runtime (the SMS worker, a pass), where reqwest's blocking client must be
/// made. Errors: the TLS setup failed (the message).
pub(crate) fn lazy_client(
    cell: &std::sync::OnceLock<Result<reqwest::blocking::Client, String>>,
    timeout_secs: u64,
) -> Result<&reqwest::blocking::Client, String> {
    cell.get_or_init(|| {
        reqwest::blocking::Client::builder()
            .timeout(std::time::Duration::from_secs(timeout_secs.max(1)))
            .build()
            .map_err(|e| e.to_string())
    })
    .as_ref()
    .map_err(Clone::clone)
}

/// Milliseconds → the day number in China time (UTC+8), what the daily cap
/// counts by.
pub fn china_day(ms: i64) -> i64 {
    (ms + 8 * 3_600_000).div_euclid(86_400_000)
}

/// What the outreach needs at run time (in `crate::http::AppState`).
pub struct Outreach {
    /// Seals and opens the robots' webhooks and secrets.
    pub sealer: sealed::Sealer,
    /// The SMS gateway (login codes use the same one).
    pub gateway: std::sync::Arc<dyn crate::sms::SmsGateway>,
    pub fallback: FallbackConfig,
    pub robots: RobotsConfig,
}

/// The gateway `config` chooses: the log file in `data_dir`, or Tencent.
/// Errors: Tencent's settings incomplete (which one is named).
pub fn gateway(
    config: &SmsConfig,
    data_dir: &std::path::Path,
) -> Result<std::sync::Arc<dyn crate::sms::SmsGateway>, String> {
    match config.provider.as_str() {
        "log" => Ok(std::sync::Arc::new(crate::sms::FileGateway::new(
            data_dir.join("sms.log"),
        ))),
        "tencent" => tencent_sms::TencentSms::new(config.tencent.clone())
            .map(|g| std::sync::Arc::new(g) as std::sync::Arc<dyn crate::sms::SmsGateway>)
            .map_err(|e| format!("[sms.tencent]: {e}")),
        "aliyun" => aliyun_sms::AliyunSms::new(config.aliyun.clone())
            .map(|g| std::sync::Arc::new(g) as std::sync::Arc<dyn crate::sms::SmsGateway>)
            .map_err(|e| format!("[sms.aliyun]: {e}")),
        other => Err(format!(
            "[sms] provider {other:?}: expected \"log\", \"tencent\" or \"aliyun\""
        )),
    }
}

/// Run the SMS fallback (when enabled) and the robots until the task is aborted.
pub async fn run(
    db: std::sync::Arc<crate::store::Db>,
    o: std::sync::Arc<Outreach>,
    clock: crate::clock::Clock,
) {
    let robots = robots::run_forever(
        db.clone(),
        o.sealer.clone(),
        o.robots.clone(),
        clock.clone(),
    );
    if o.fallback.enabled {
        let fallback = fallback::run_forever(db, o.gateway.clone(), o.fallback.clone(), clock);
        tokio::join!(robots, fallback);
    } else {
        robots.await;
    }
}
