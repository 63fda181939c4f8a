//! The sync client: carries the outbox to the server and the server's changes
//! into the store, over HTTP (reqwest + rustls).
//!
//! - [`http`]: typed calls, token refresh, error sorting ([`NetError`]);
//! - [`engine`]: one sync pass (push, upload, push, pull), resumable at every step;
//! - [`runner`]: the background loop — capped exponential backoff with jitter
//!   that honours `Retry-After`, an SSE connection whose pokes trigger a pass,
//!   status for listeners, and a handle that stops it all when dropped.

pub mod engine;
pub mod http;
pub mod runner;

pub use engine::SyncReport;
pub use http::NetError;

use crate::error::{Lang, MinqingError};

impl NetError {
    /// The small public error for the shells, in the user's language.
    pub fn to_public(&self, lang: Lang) -> MinqingError {
        let zh = lang == Lang::ZhCn;
        let pick = |a: &str, b: &str| if zh { a.to_owned() } else { b.to_owned() };
        match self {
            NetError::Offline(_) => MinqingError::Network {
                reason: pick(
                    "网络不可用，恢复后自动发送",
                    "No connection; will send when back online",
                ),
            },
            NetError::Unavailable { .. } | NetError::Protocol(_) => MinqingError::Network {
                reason: pick(
                    "服务器暂时不可用，稍后自动重试",
                    "The server is unavailable; will retry",
                ),
            },
            NetError::NoServer => MinqingError::Invalid {
                reason: pick("尚未设置服务器地址", "No server address is set"),
            },
            NetError::Unauthorized => MinqingError::NotLoggedIn {
                reason: pick("请重新登录", "Please log in again"),
            },
            NetError::TooOld => MinqingError::UpdateRequired {
                reason: pick(
                    "请升级应用；未发送的内容会保留",
                    "Please update the app; nothing unsent is lost",
                ),
            },
            NetError::Refused { error, .. } => MinqingError::Refused {
                code: error.error.clone(),
                reason: if zh {
                    error.message_zh.clone()
                } else {
                    error.message_en.clone()
                },
            },
            NetError::Store(e) => e.to_public(lang),
        }
    }
}
