//! Push status updates (issue 12; ADR 0014): a notice that lands in someone's
//! in-app inbox (`crate::workflow::notify`, `store::review::notify`) also
//! reaches that person's phones through their vendor — APNs, FCM, Huawei HMS
//! Push Kit or Xiaomi MiPush.
//!
//! # Parts
//! - [`devices`]: the push tokens, one per login session (`POST /v1/devices`),
//!   replaced when the app registers again, removed at logout and when a
//!   vendor says the token is dead.
//! - [`outbox`]: the delivery outbox — one row per (notice, device), written
//!   in the transaction that writes the notice, so a notice and its deliveries
//!   commit together or not at all; the store API the dispatcher (and the SMS
//!   fallback, issue 12 item 5) works on.
//! - [`dispatch`]: the dispatcher that takes due deliveries (`FOR UPDATE SKIP
//!   LOCKED` on PostgreSQL, so several server processes share the work and
//!   each delivery is taken by one), sends them with a concurrency limit per
//!   vendor, and records each attempt: sent, retried later (backoff, or the
//!   vendor's `Retry-After`), or dead token (the device is removed).
//! - The vendors, each by its documented HTTP API: [`apns`], [`fcm`],
//!   [`hms`], [`mipush`]; what they share is in [`vendor`].
//!
//! A push carries no constituent data: its text says what happened and who
//! did it (a unit's name), never the item's text, place or contact; its data
//! names the item, so the app syncs and opens it (`crate::workflow::notify`).

pub mod apns;
pub mod devices;
pub mod dispatch;
pub mod fcm;
pub mod hms;
pub mod mipush;
pub mod outbox;
pub mod vendor;

pub use dispatch::{Dispatcher, PushConfig, Vendors};

use serde::{Deserialize, Serialize};

/// A push vendor, as stored (`push_devices.provider`) and on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Provider {
    /// Apple Push Notification service (iPhones).
    Apns,
    /// Firebase Cloud Messaging (Android outside the mainland).
    Fcm,
    /// Huawei HMS Push Kit.
    Hms,
    /// Xiaomi MiPush.
    Mipush,
}

impl Provider {
    pub const ALL: [Provider; 4] = [
        Provider::Apns,
        Provider::Fcm,
        Provider::Hms,
        Provider::Mipush,
    ];

    /// `apns`, `fcm`, `hms`, `mipush`.
    pub fn as_str(self) -> &'static str {
        match self {
            Provider::Apns => "apns",
            Provider::Fcm => "fcm",
            Provider::Hms => "hms",
            Provider::Mipush => "mipush",
        }
    }

    /// The stored name back; `None` for anything else.
    pub fn parse(s: &str) -> Option<Provider> {
        Provider::ALL.into_iter().find(|p| p.as_str() == s)
    }
}

impl std::fmt::Display for Provider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
