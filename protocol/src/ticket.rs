//! The ticket (民情/意见建议) and its timeline: what a deputy reported, where, who
//! handles it, and every step that happened to it.

use crate::ids::{EventId, GroupId, PhotoId, TicketId, UnitId, UserId};
use crate::machine::Action;
use crate::role::Role;
use serde::{Deserialize, Serialize};

/// Milliseconds since the Unix epoch, UTC. The server stamps the authoritative
/// time of every event; device clocks never order anything.
pub type Timestamp = i64;

/// Where a ticket stands. The state machine in [`crate::machine`] decides the moves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum TicketState {
    /// 待认领: in the claim pool of its group, no unit responsible yet.
    Pool,
    /// 待受理: routed to a unit (by @-mention, a rule or a coordinator), not yet claimed.
    Routed,
    /// 办理中: a unit has claimed it (接单).
    Accepted,
    /// 已答复: the unit replied; the deputy confirms or rejects.
    Replied,
    /// 已办结待确认: the unit resolved it with proof photos; the deputy confirms or rejects.
    Resolved,
    /// 重办: the deputy rejected the result; the same unit handles it again.
    Reopened,
    /// 已办结: finished (confirmed by the deputy, or explained on the spot).
    Closed,
    /// 已合并: merged into another ticket, which carries on.
    Merged,
}

impl TicketState {
    pub const ALL: [TicketState; 8] = [
        TicketState::Pool,
        TicketState::Routed,
        TicketState::Accepted,
        TicketState::Replied,
        TicketState::Resolved,
        TicketState::Reopened,
        TicketState::Closed,
        TicketState::Merged,
    ];

    /// Closed and merged tickets take no more work.
    pub fn is_terminal(self) -> bool {
        matches!(self, TicketState::Closed | TicketState::Merged)
    }

    /// States in which a unit is responsible.
    pub fn has_unit(self) -> bool {
        matches!(
            self,
            TicketState::Routed
                | TicketState::Accepted
                | TicketState::Replied
                | TicketState::Resolved
                | TicketState::Reopened
        )
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            TicketState::Pool => "待认领",
            TicketState::Routed => "待受理",
            TicketState::Accepted => "办理中",
            TicketState::Replied => "已答复",
            TicketState::Resolved => "已办结待确认",
            TicketState::Reopened => "重办",
            TicketState::Closed => "已办结",
            TicketState::Merged => "已合并",
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            TicketState::Pool => "Open to claim",
            TicketState::Routed => "Awaiting acceptance",
            TicketState::Accepted => "In progress",
            TicketState::Replied => "Replied",
            TicketState::Resolved => "Resolved, awaiting confirmation",
            TicketState::Reopened => "Reopened",
            TicketState::Closed => "Closed",
            TicketState::Merged => "Merged",
        }
    }
}

/// Where the coordinates came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum LocationSource {
    PhotoExif,
    DeviceFix,
    Manual,
}

/// A place, always stored as WGS-84 (converted to GCJ-02/BD-09 only for display).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Location {
    pub latitude: f64,
    pub longitude: f64,
    pub accuracy_m: Option<f64>,
    pub source: LocationSource,
    pub address: Option<String>,
}

impl Location {
    /// WGS-84 range check; NaN and infinities are rejected too.
    pub fn is_valid(&self) -> bool {
        self.latitude.is_finite()
            && self.longitude.is_finite()
            && (-90.0..=90.0).contains(&self.latitude)
            && (-180.0..=180.0).contains(&self.longitude)
            && self.accuracy_m.is_none_or(|a| a.is_finite() && a >= 0.0)
    }

    /// Great-circle distance in metres (haversine on a sphere of the mean
    /// Earth radius: well within a metre at a town's scale).
    pub fn distance_m(&self, other: &Location) -> f64 {
        const R: f64 = 6_371_008.8;
        let (p1, p2) = (self.latitude.to_radians(), other.latitude.to_radians());
        let dp = p2 - p1;
        let dl = (other.longitude - self.longitude).to_radians();
        let a = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
        2.0 * R * a.sqrt().min(1.0).asin()
    }
}

/// How the item reached the deputy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum SourceChannel {
    /// 随手拍: seen and photographed in the field.
    FieldCapture,
    /// 接待: received at a liaison station or room.
    Reception,
    /// 电话: by phone.
    Phone,
    Other,
}

/// The constituent who raised it. Personal information (PIPL): visible only to
/// the reporter and the unit handling the item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ConstituentContact {
    pub name: Option<String>,
    pub phone: Option<String>,
}

/// How the item ended, as the monthly report counts it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum OutcomePath {
    /// 代表当场解释办结
    ExplainedOnSpot,
    /// 直通车群办理
    HandledInGroup,
    /// 镇街道办理
    HandledByTown,
    /// 市级部门办理
    HandledByCityDepartment,
}

/// The review levels above the deputy's own weekly summary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ReviewLevel {
    /// 初审分流: town/street staff.
    Town,
    /// 复审: the city committee's staff.
    City,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum PhotoKind {
    /// The problem as the deputy saw it.
    Evidence,
    /// The fix, attached by the unit when resolving.
    Proof,
}

/// A photo as the ticket knows it: immutable, identified by the hash of the original.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PhotoRef {
    pub id: PhotoId,
    pub sha256: String,
    pub kind: PhotoKind,
    pub width: u32,
    pub height: u32,
    pub taken_at: Option<Timestamp>,
    pub location: Option<Location>,
}

/// One step in a ticket's life. Events are never edited or removed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TimelineEvent {
    pub id: EventId,
    pub at: Timestamp,
    pub actor: UserId,
    pub role: Role,
    pub kind: EventKind,
}

/// What happened: the submission, an [`Action`] that the state machine allowed, or
/// a chase the escalation ladder recorded.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum EventKind {
    Submitted,
    Action {
        action: Action,
    },
    /// 督办记录: the platform chased someone because a clock ran late.
    Chased {
        chase: crate::clocks::Chase,
    },
    /// The platform routed a submission nobody @-mentioned to the unit its
    /// routing rules suggest (`rule` says which, for the record).
    RoutedByRule {
        unit: UnitId,
        rule: String,
    },
    /// 联名: a duplicate was merged into this ticket; its reporters who were not
    /// on this one yet became co-reporters.
    Absorbed {
        from: TicketId,
        co_reporters: Vec<UserId>,
    },
}

impl Ticket {
    fn actions(&self) -> impl Iterator<Item = &Action> {
        self.timeline.iter().filter_map(|e| match &e.kind {
            EventKind::Action { action } => Some(action),
            _ => None,
        })
    }

    /// Has this review level marked the item?
    pub fn reviewed(&self, level: ReviewLevel) -> bool {
        self.actions()
            .any(|a| matches!(a, Action::Review { level: l, .. } if *l == level))
    }

    /// The assignment list (交办清单) the item is on, if any.
    pub fn assignment_list(&self) -> Option<&str> {
        self.actions().find_map(|a| match a {
            Action::AssignToGovernment { list } => Some(list.as_str()),
            _ => None,
        })
    }

    /// Route a fresh submission that is still in the claim pool to `unit`, as the
    /// routing rules suggest; recorded in the timeline. Does nothing to a ticket
    /// that is not in the pool.
    pub fn route_by_rule(&mut self, unit: UnitId, rule: String, event: EventId, at: Timestamp) {
        if self.state != TicketState::Pool {
            return;
        }
        self.state = TicketState::Routed;
        self.assigned_unit = Some(unit);
        self.timeline.push(TimelineEvent {
            id: event,
            at,
            actor: crate::clocks::SYSTEM_USER,
            role: Role::CityStaff,
            kind: EventKind::RoutedByRule { unit, rule },
        });
    }
}

/// A ticket with everything the state machine needs to decide.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Ticket {
    pub id: TicketId,
    pub reporter: UserId,
    /// 联名: deputies whose merged items this ticket now carries.
    pub co_reporters: Vec<UserId>,
    /// The direct-line group; `None` until the server files an offline capture
    /// made before the device knew its groups.
    pub group: Option<GroupId>,
    /// Division code of the city or town/street (see the reference data).
    pub jurisdiction: Option<String>,
    pub category: Option<String>,
    pub item: Option<String>,
    pub text: String,
    pub photos: Vec<PhotoRef>,
    pub location: Option<Location>,
    pub channel: SourceChannel,
    pub constituent: Option<ConstituentContact>,
    /// The unit the deputy @-mentioned, if any.
    pub mentioned_unit: Option<UnitId>,
    /// The unit currently responsible; `None` while in the pool.
    pub assigned_unit: Option<UnitId>,
    pub state: TicketState,
    pub outcome: Option<OutcomePath>,
    /// Set when closed: was the problem actually solved?
    pub resolved: Option<bool>,
    pub rating: Option<u8>,
    pub merged_into: Option<TicketId>,
    pub reopen_count: u32,
    pub created_at: Timestamp,
    pub timeline: Vec<TimelineEvent>,
}
