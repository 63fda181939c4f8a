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

/// Why a mutation was refused for good. Tagged by `code`: a [`Denied`] inside
/// carries its own `type` and, when invalid, a `reason` field of its own.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum RejectReason {
    #[error("{0}")]
    Denied(Denied),
    #[error("ticket not found")]
    TicketNotFound,
    #[error("a ticket with this id already exists")]
    DuplicateTicket,
    #[error("the photo has not been uploaded (or its bytes differ)")]
    PhotoNotUploaded,
    /// The submission names a direct-line group that does not exist.
    #[error("no such direct-line group")]
    UnknownGroup,
    /// The submission names a direct-line group the deputy is not a member of.
    #[error("the deputy is not a member of this direct-line group")]
    NotYourGroup,
    /// A unit named (an @-mention, a reassignment) is not in the directory.
    #[error("no such unit")]
    UnknownUnit,
    /// The jurisdiction code is not one of the deployment's.
    #[error("no such jurisdiction")]
    UnknownJurisdiction,
    /// A reason this build does not know (sent by a newer server): shown
    /// generically, never a failure to read the answer.
    #[serde(other)]
    #[error("refused")]
    Other,
}

impl RejectReason {
    /// A message for the user, in Chinese.
    pub fn message_zh(&self) -> String {
        match self {
            RejectReason::Denied(d) => d.message_zh(),
            RejectReason::TicketNotFound => "找不到这条民情（可能已无权查看）".to_owned(),
            RejectReason::DuplicateTicket => "这条民情已经提交过".to_owned(),
            RejectReason::PhotoNotUploaded => "照片尚未上传完整".to_owned(),
            RejectReason::UnknownGroup => "所选直通车群不存在".to_owned(),
            RejectReason::NotYourGroup => "您不是所选直通车群的成员，不能提交到该群".to_owned(),
            RejectReason::UnknownUnit => "所选单位不存在（请更新基础数据后重选）".to_owned(),
            RejectReason::UnknownJurisdiction => {
                "所选辖区不存在（请更新基础数据后重选）".to_owned()
            }
            RejectReason::Other => "服务器拒绝了这项操作".to_owned(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Rejection {
    pub mutation_id: u64,
    pub reason: RejectReason,
}

/// `POST /v1/sync/push`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PushRequest {
    pub client_id: ClientId,
    pub mutations: Vec<Mutation>,
}

/// `200` answer to a push.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PushResponse {
    /// Everything up to here is applied or rejected; the device may mark it done.
    pub last_mutation_id: u64,
    /// Rejections among the pushed mutations (replays included).
    pub rejected: Vec<Rejection>,
    /// This client id's mutation `forked_at` was already applied here as a
    /// *different* change (another event id): the device store was restored
    /// from a backup or copied to a second device, and two histories now share
    /// one client id. Nothing from `forked_at` on was applied. The device goes
    /// on under a new client id, its unsent mutations renumbered from 1
    /// (`docs/protocol.md`, "Forked client ids"). Absent when there is no fork.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub forked_at: Option<u64>,
}

/// `200` answer to `GET /v1/sync/pull?cursor=…`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SmsCodeRequest {
    /// A mainland mobile number: 11 digits starting with 1 (else 400 `bad_phone`).
    #[cfg_attr(feature = "openapi", schema(pattern = "^1[0-9]{10}$"))]
    pub phone: String,
}

/// `202` answer: a code was sent (or would have been: the answer is the same
/// for unknown numbers, so the endpoint does not reveal who is a user).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SmsCodeResponse {
    pub expires_in_s: u64,
    pub resend_after_s: u64,
}

/// `POST /v1/auth/login`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LoginRequest {
    pub phone: String,
    pub code: String,
    /// A label for the device's session list ("Mate 60", "minqing-cli").
    #[serde(default)]
    pub device: String,
}

/// `POST /v1/auth/password` (staff only).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PasswordLoginRequest {
    pub phone: String,
    pub password: String,
    #[serde(default)]
    pub device: String,
}

/// `POST /v1/auth/refresh`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RefreshRequest {
    pub refresh_token: String,
}

/// A device session: answer to login and refresh.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SessionTokens {
    pub access_token: String,
    pub access_expires_in_s: u64,
    pub refresh_token: String,
    pub refresh_expires_in_s: u64,
    pub me: Me,
}

/// `GET /v1/me`: who the token speaks for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DuplicatesResponse {
    pub candidates: Vec<DuplicateCandidate>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DuplicateCandidate {
    pub ticket: crate::TicketId,
    pub text: String,
    pub state: crate::TicketState,
    pub reporter: crate::UserId,
    pub distance_m: f64,
    pub apart_ms: i64,
}

/// `PUT /v1/weekly/{week}`: a deputy files the week's summary (一周一结报),
/// "nothing this week" included.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WeeklyFiling {
    /// Constituents met this week.
    pub contacts: u32,
    pub note: String,
}

/// One deputy's week: what they filed, and the items they reported in it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WeeklySummary {
    pub week: String,
    pub user: crate::UserId,
    pub name: String,
    pub filed: bool,
    pub contacts: Option<u32>,
    pub note: Option<String>,
    pub filed_at: Option<i64>,
    pub items: Vec<crate::TicketId>,
    /// Filed with no item reported this week (本周无事项).
    pub nothing_this_week: bool,
}

/// `GET /v1/weekly/{week}` for staff and coordinators: every deputy of their
/// groups (the city's, for city staff), filed or not.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WeeklyQueue {
    pub week: String,
    pub summaries: Vec<WeeklySummary>,
    /// Deputies who have not filed yet.
    pub missing: u32,
}

/// `GET /v1/review/{level}/{month}`: a review level's queue for one month —
/// the month's items and older open ones this level has not reviewed yet
/// (carried over). `cleared` when every item is reviewed (一月一清).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReviewQueue {
    pub level: crate::ReviewLevel,
    pub month: String,
    pub items: Vec<ReviewItem>,
    pub cleared: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReviewItem {
    pub ticket: crate::TicketId,
    pub text: String,
    pub state: crate::TicketState,
    pub created_at: i64,
    pub reviewed: bool,
    /// From an earlier month, still open and not reviewed at this level.
    pub carried_over: bool,
}

/// `GET /v1/assignments/{list}`: an assignment list (交办清单) to the city
/// government, with the government's feedback per item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AssignmentList {
    pub list: String,
    pub items: Vec<AssignedItem>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AssignedItem {
    pub ticket: crate::TicketId,
    pub text: String,
    pub state: crate::TicketState,
    pub assigned_at: i64,
    pub feedback: Vec<GovernmentFeedback>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GovernmentFeedback {
    pub text: String,
    pub resolved: bool,
    pub at: i64,
}

/// One notice in the caller's inbox (`GET /v1/notifications`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Notification {
    pub id: i64,
    pub ticket: crate::TicketId,
    /// `declined` or `chased`.
    pub kind: String,
    pub text_zh: String,
    pub text_en: String,
    pub created_at: i64,
    pub read: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NotificationsResponse {
    /// Newest first, at most 100, after the `after` id if given.
    pub notifications: Vec<Notification>,
    pub unread: u32,
}

/// `POST /v1/devices`: the push token of the caller's session (issue 12).
/// Registering again from the same session replaces it; logout removes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct DeviceRegistration {
    /// `apns`, `fcm`, `hms` or `mipush`.
    pub provider: String,
    /// The vendor's token (APNs device token as hex, FCM registration token,
    /// HMS token, MiPush regId), at most 4096 characters.
    pub token: String,
    /// The iOS bundle id or Android package name.
    pub app_id: String,
    /// The phone's language (BCP 47, e.g. `zh-CN`): pushes are in Chinese
    /// when it starts with `zh`, else in English.
    pub language: String,
    pub app_version: String,
}

/// The answer to `POST /v1/devices`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeviceRegistered {
    /// The device's id (the same for every registration of one session).
    pub device_id: String,
}

/// `GET /v1/tickets/{id}/clocks`: the deadlines running on an item now, on the
/// deployment's working-day calendar.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ClocksResponse {
    pub clocks: Vec<ClockView>,
    /// False when the item's dates fall in a year with no calendar loaded
    /// (then only weekends count as days off).
    pub calendar_covers: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ClockView {
    pub kind: crate::clocks::ClockKind,
    pub label_zh: String,
    pub started_at: i64,
    pub due_at: i64,
    pub colour: crate::clocks::Colour,
}

/// A jurisdiction: the city, or one of its streets (街道) and towns (镇).
/// Codes are the deployment's own (the demo's are placeholders, not GB/T 2260).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Jurisdiction {
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    /// `city`, `street` or `town`.
    pub kind: String,
    pub parent: Option<String>,
}

/// `GET /v1/reference?since=<version>`: the reference data a device keeps to
/// work offline — names for the ids in tickets, the category picker, the
/// working-day calendar and the clock rules. `since` is the `version` the
/// device holds (absent on the first fetch); an unchanged copy answers
/// [`ReferenceResponse::Unchanged`], anything else the whole current data.
///
/// What is in it is the caller's to know: units, groups and jurisdictions
/// (public within the deployment), and of people only id, name, role and
/// unit — never a phone number — for those the caller may meet on an item:
/// members of the caller's groups, the contacts and heads of units, and
/// coordinators and staff. The calendar is every year in effect (shipped,
/// configured or stored by the admin), so a device computes the same
/// deadlines as the server.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ReferenceResponse {
    /// The device's copy (`since`) is current.
    Unchanged { version: String },
    /// The current data, whole.
    Changed { reference: Box<ReferenceData> },
}

/// The reference data of a deployment, as a device keeps it. See
/// [`ReferenceResponse`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReferenceData {
    /// Opaque; equal versions mean equal data. The device sends it back as
    /// `since`.
    pub version: String,
    pub units: Vec<UnitRef>,
    pub groups: Vec<GroupRef>,
    pub people: Vec<PersonRef>,
    #[serde(default)]
    pub jurisdictions: Vec<Jurisdiction>,
    /// The taxonomy in effect, as its TOML file (format:
    /// [`crate::taxonomy::Taxonomy::from_toml`]).
    pub taxonomy_toml: String,
    /// One calendar file per year in effect (format: [`crate::calendar`]).
    pub calendar_years: Vec<CalendarYear>,
    /// The clock rules (reply span, cut-off, warning share, ladder); the
    /// per-category spans come from the taxonomy.
    pub policy: crate::clocks::Policy,
}

/// A unit (部门、镇街、企业) as devices name it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UnitRef {
    pub id: UnitId,
    pub name_zh: String,
    pub name_en: String,
    /// `department`, `town`, `street`, `company` or `other`.
    pub kind: String,
}

/// A direct-line group (民情直通车群).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GroupRef {
    pub id: GroupId,
    pub name_zh: String,
    pub name_en: String,
    /// The jurisdiction code the group covers.
    pub jurisdiction: String,
}

/// A person as others see them on an item: name, role and unit, no contact.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PersonRef {
    pub id: UserId,
    pub name: String,
    pub role: Role,
    pub unit: Option<UnitId>,
}

/// One disclosure of a constituent's contact (`GET /v1/admin/contact-access`):
/// who was shown it, when, on which item, by which route (`ticket` or `pull`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ContactAccess {
    pub id: i64,
    pub at: i64,
    pub user: UserId,
    pub role: Role,
    pub ticket: TicketId,
    pub via: String,
}

/// `GET /v1/admin/contact-access`: disclosures oldest first, after the `after`
/// id; `next` is the `after` to ask with for the following page (absent at
/// the end).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ContactAccessLog {
    pub entries: Vec<ContactAccess>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next: Option<i64>,
}

/// One year's working-day calendar file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CalendarYear {
    pub year: i32,
    pub toml: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every rejection a device may receive decodes to what was sent (an
    /// `invalid` denial once collided with the tag and could not be read).
    #[test]
    fn every_rejection_round_trips() {
        let reasons = [
            RejectReason::Denied(Denied::Invalid {
                field: "proof".into(),
                reason: "proof photo is not attached".into(),
            }),
            RejectReason::Denied(Denied::Forbidden {
                action: "claim".into(),
                role: crate::Role::CityDeputy,
            }),
            RejectReason::Denied(Denied::WrongState {
                action: "rate".into(),
                state: crate::TicketState::Pool,
            }),
            RejectReason::TicketNotFound,
            RejectReason::DuplicateTicket,
            RejectReason::PhotoNotUploaded,
            RejectReason::UnknownGroup,
            RejectReason::NotYourGroup,
            RejectReason::UnknownUnit,
            RejectReason::UnknownJurisdiction,
        ];
        for reason in reasons {
            let r = PushResponse {
                last_mutation_id: 7,
                rejected: vec![Rejection {
                    mutation_id: 7,
                    reason,
                }],
                forked_at: None,
            };
            let json = serde_json::to_string(&r).expect("encode");
            let back: PushResponse = serde_json::from_str(&json).expect(&json);
            assert_eq!(back, r);
        }
    }

    /// A reason a newer server invents reads as `Other`, so the rest of the
    /// answer (what was applied) is never lost to it.
    #[test]
    fn an_unknown_rejection_reads_as_other() {
        let r: PushResponse = serde_json::from_str(
            r#"{"last_mutation_id":2,"rejected":[{"mutation_id":2,"reason":{"code":"quota_exceeded"}}]}"#,
        )
        .expect("decode");
        assert_eq!(r.rejected[0].reason, RejectReason::Other);
        assert!(!r.rejected[0].reason.message_zh().is_empty());
    }

    /// The reference answer's two shapes, as a device reads them.
    #[test]
    fn reference_answers_round_trip() {
        let unchanged: ReferenceResponse =
            serde_json::from_str(r#"{"type":"unchanged","version":"v7"}"#).expect("decode");
        assert_eq!(
            unchanged,
            ReferenceResponse::Unchanged {
                version: "v7".into()
            }
        );
        let data = ReferenceData {
            version: "v8".into(),
            units: vec![UnitRef {
                id: UnitId(uuid::Uuid::from_u128(1)),
                name_zh: "中国移动海宁分公司".into(),
                name_en: "China Mobile Haining".into(),
                kind: "company".into(),
            }],
            groups: vec![],
            people: vec![PersonRef {
                id: UserId(uuid::Uuid::from_u128(2)),
                name: "陆靖英".into(),
                role: Role::CityDeputy,
                unit: None,
            }],
            jurisdictions: vec![],
            taxonomy_toml: String::new(),
            calendar_years: vec![CalendarYear {
                year: 2020,
                toml: "year = 2020".into(),
            }],
            policy: crate::clocks::Policy::default(),
        };
        let changed = ReferenceResponse::Changed {
            reference: Box::new(data),
        };
        let json = serde_json::to_string(&changed).expect("encode");
        assert!(json.starts_with(r#"{"type":"changed","reference":{"version":"v8""#));
        let back: ReferenceResponse = serde_json::from_str(&json).expect(&json);
        assert_eq!(back, changed);
    }

    /// A fork is told only when there is one, so a device built before forks
    /// were detected reads the answer as before (and marks nothing past the
    /// fork as sent: `last_mutation_id` stops short of it).
    #[test]
    fn forked_at_is_optional_on_the_wire() {
        let plain = PushResponse {
            last_mutation_id: 3,
            rejected: vec![],
            forked_at: None,
        };
        let json = serde_json::to_string(&plain).expect("encode");
        assert_eq!(json, r#"{"last_mutation_id":3,"rejected":[]}"#);
        let forked: PushResponse =
            serde_json::from_str(r#"{"last_mutation_id":1,"rejected":[],"forked_at":2}"#)
                .expect("decode");
        assert_eq!(forked.forked_at, Some(2));
    }
}
