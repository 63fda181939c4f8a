//! Who is told what (the in-app inbox, `GET /v1/notifications`): a decline
//! tells the group's coordinators why the item is back in the pool; a chase
//! tells the people its rung names. The texts are written here, zh-CN first;
//! the recipients are resolved by the database inside the transaction that
//! records the step, so a step and its notices commit together.
//!
//! Mobile push (HMS, APNs, …) and SMS will deliver from this inbox; they are
//! not built yet.

use minqing_protocol::clocks::{Chase, ChaseTarget, ClockKind};
use minqing_protocol::{GroupId, Role, Ticket, UnitId};

/// Who receives a notice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recipients {
    /// Members of a group with this role (a group's coordinators; for an item
    /// in the pool, the unit contacts of its group).
    GroupRole(GroupId, Role),
    /// A unit's people with this role.
    UnitRole(UnitId, Role),
    /// Everyone with this role (the committee: city staff).
    Role(Role),
}

/// One notice to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub to: Recipients,
    pub kind: &'static str,
    pub zh: String,
    pub en: String,
}

fn excerpt(t: &Ticket) -> String {
    let mut s: String = t.text.chars().take(24).collect();
    if t.text.chars().count() > 24 {
        s.push('…');
    }
    s
}

/// A unit gave the item back: its group's coordinators hear why.
pub fn declined(t: &Ticket, unit_name: &str, reason: &str) -> Option<Notice> {
    Some(Notice {
        to: Recipients::GroupRole(t.group?, Role::Coordinator),
        kind: "declined",
        zh: format!(
            "{unit_name}退回了“{}”：{reason}。该事项已回到待认领。",
            excerpt(t)
        ),
        en: format!(
            "{unit_name} declined \"{}\": {reason}. It is open to claim again.",
            excerpt(t)
        ),
    })
}

/// A rung of the ladder fired on `t`.
pub fn chased(t: &Ticket, chase: &Chase) -> Option<Notice> {
    let to = match (chase.target, t.assigned_unit) {
        (ChaseTarget::UnitContact, Some(u)) => Recipients::UnitRole(u, Role::UnitContact),
        (ChaseTarget::UnitContact, None) => Recipients::GroupRole(t.group?, Role::UnitContact),
        (ChaseTarget::UnitHead, Some(u)) => Recipients::UnitRole(u, Role::UnitHead),
        // No unit yet: nobody's head to chase; the coordinator hears next.
        (ChaseTarget::UnitHead, None) => Recipients::GroupRole(t.group?, Role::Coordinator),
        (ChaseTarget::Coordinator, _) => Recipients::GroupRole(t.group?, Role::Coordinator),
        (ChaseTarget::Committee, _) => Recipients::Role(Role::CityStaff),
    };
    let (clock_zh, clock_en) = match chase.clock {
        ClockKind::Acceptance => ("受理", "acceptance"),
        ClockKind::Reply => ("答复", "reply"),
    };
    let (verb_zh, verb_en) = if chase.level == 1 {
        ("即将到期", "is due soon")
    } else {
        ("已超期", "is overdue")
    };
    Some(Notice {
        to,
        kind: "chased",
        zh: format!(
            "督办（第{}级）：“{}”的{clock_zh}时限{verb_zh}，请尽快办理。",
            chase.level,
            excerpt(t)
        ),
        en: format!(
            "Chase (level {}): the {clock_en} deadline of \"{}\" {verb_en}.",
            chase.level,
            excerpt(t)
        ),
    })
}
