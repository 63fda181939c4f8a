//! The HTTP wire types of protocol v1: request and response bodies shared by the
//! server and the device sync client, so the two cannot drift apart. The routes
//! and their status codes are documented in `docs/protocol.md` and served as
//! OpenAPI at `/openapi.json`.

use crate::ids::{ClientId, GroupId, TicketId, UnitId, UserId};
use crate::machine::{Actor, Denied};
use crate::mutation::Mutation;
use crate::role::Role;
use crate::ticket::Ticket;
use serde::{Deserialize, Serialize};

/// Header every sync request carries: the protocol version the client speaks.
pub const PROTOCOL_HEADER: &str = "minqing-protocol";
/// The oldest protocol version the server still accepts; older gets 426.
pub const MIN_PROTOCOL_VERSION: u32 = 1;

/// Why a mutation was refused for good.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum RejectReason {
    #[error("{0}")]
    Denied(Denied),
    #[error("ticket not found")]
    TicketNotFound,
    #[error("a ticket with this id already exists")]
    DuplicateTicket,
    #[error("the photo has not been uploaded (or its bytes differ)")]
    PhotoNotUploaded,
}

impl RejectReason {
    /// A message for the user, in Chinese.
    pub fn message_zh(&self) -> String {
        match self {
            RejectReason::Denied(d) => d.message_zh(),
            RejectReason::TicketNotFound => "找不到这条民情（可能已无权查看）".to_owned(),
            RejectReason::DuplicateTicket => "这条民情已经提交过".to_owned(),
            RejectReason::PhotoNotUploaded => "照片尚未上传完整".to_owned(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rejection {
    pub mutation_id: u64,
    pub reason: RejectReason,
}

/// `POST /v1/sync/push`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PushRequest {
    pub client_id: ClientId,
    pub mutations: Vec<Mutation>,
}

/// `200` answer to a push.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushResponse {
    /// Everything up to here is applied or rejected; the device may mark it done.
    pub last_mutation_id: u64,
    /// Rejections among the pushed mutations (replays included).
    pub rejected: Vec<Rejection>,
}

/// `200` answer to `GET /v1/sync/pull?cursor=…`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum PullResponse {
    Changes {
        tickets: Vec<Ticket>,
        /// Tickets that changed and are no longer visible to the caller (e.g.
        /// claimed by another unit): drop the local copy.
        gone: Vec<TicketId>,
        cursor: String,
        /// More changes are waiting: pull again with `cursor` at once.
        more: bool,
    },
    /// The cursor is unknown or expired: drop server state and pull from scratch.
    Reset { cursor: String },
}

/// `POST /v1/auth/sms-code`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SmsCodeRequest {
    pub phone: String,
}

/// `202` answer: a code was sent (or would have been: the answer is the same
/// for unknown numbers, so the endpoint does not reveal who is a user).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SmsCodeResponse {
    pub expires_in_s: u64,
    pub resend_after_s: u64,
}

/// `POST /v1/auth/login`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoginRequest {
    pub phone: String,
    pub code: String,
    /// A label for the device's session list ("Mate 60", "minqing-cli").
    #[serde(default)]
    pub device: String,
}

/// `POST /v1/auth/password` (staff only).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasswordLoginRequest {
    pub phone: String,
    pub password: String,
    #[serde(default)]
    pub device: String,
}

/// `POST /v1/auth/refresh`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefreshRequest {
    pub refresh_token: String,
}

/// A device session: answer to login and refresh.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionTokens {
    pub access_token: String,
    pub access_expires_in_s: u64,
    pub refresh_token: String,
    pub refresh_expires_in_s: u64,
    pub me: Me,
}

/// `GET /v1/me`: who the token speaks for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Me {
    pub user: UserId,
    pub name: String,
    pub role: Role,
    pub unit: Option<UnitId>,
    pub groups: Vec<GroupId>,
    pub jurisdiction: Option<String>,
}

impl Me {
    pub fn actor(&self) -> Actor {
        Actor {
            user: self.user,
            role: self.role,
            unit: self.unit,
            groups: self.groups.clone(),
        }
    }
}

/// Every error answer: a stable code plus messages for people.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiError {
    /// Stable, machine-readable: `gap`, `unauthorized`, `too_old`, …
    pub error: String,
    pub message_zh: String,
    pub message_en: String,
    /// For `gap`: the mutation id the server expects next.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected: Option<u64>,
}

/// tus metadata keys the upload creation must carry (values base64 as tus says).
pub mod upload_meta {
    pub const PHOTO_ID: &str = "photo_id";
    pub const TICKET_ID: &str = "ticket_id";
    /// Hex SHA-256 of the whole upload, as recorded at capture.
    pub const SHA256: &str = "sha256";
    pub const FILETYPE: &str = "filetype";
}

/// `GET /v1/tickets/{id}/duplicates`: open items that may be the same problem
/// (same category, near, recent), nearest first, only those the caller may see.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DuplicatesResponse {
    pub candidates: Vec<DuplicateCandidate>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DuplicateCandidate {
    pub ticket: crate::TicketId,
    pub text: String,
    pub state: crate::TicketState,
    pub reporter: crate::UserId,
    pub distance_m: f64,
    pub apart_ms: i64,
}
