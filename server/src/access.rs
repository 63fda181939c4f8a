//! Who may see which ticket, and who may see the constituent's private
//! contact on it. Deny by default: a ticket is visible only through one of the
//! relations below, and the contact only to the people who handle the
//! constituent's problem.
//!
//! # Tickets ([`can_see`])
//! - a deputy: tickets they reported or co-report, and their direct-line groups';
//! - a unit contact or head: tickets assigned to their unit, and the claim pool of
//!   their groups;
//! - town staff and coordinators: tickets of their groups; city staff and admins:
//!   everything in the city (one city per deployment).
//!
//! # The constituent's contact ([`can_see_contact`])
//! `Ticket::constituent` (a name and a phone number the constituent gave the
//! deputy) is personal information under PIPL: least privilege, and every
//! disclosure recorded. It is shown to
//! - **the reporting deputy** — the constituent gave it to them; their device
//!   holds it anyway (sealed at rest);
//! - **the contacts and head of the unit that has taken the item on** (接单:
//!   accepted, replied, resolved, or reopened for it) — they are the ones who
//!   call the constituent back ("send me the location", the fix, the reply).
//!
//! Everyone else gets the ticket without it (`constituent` absent): other
//! deputies of the group and co-reporters (a merged duplicate's deputy heard
//! the problem from someone else, whose contact stays on their own merged
//! item); a unit the item is merely routed to before it claims it, or one
//! browsing the claim pool (claiming first costs nothing and keeps the
//! contact from a unit that says "not ours"); a unit after the item is closed
//! or moved away; coordinators (they route and chase units: the problem, the
//! place and the category are what routing needs, and a question goes to the
//! deputy through `ask`); town and city staff (their reviews, assignment
//! lists and reports count and judge items, not people); the administrator
//! (keeps the directory; reads the audit, not the contacts).
//!
//! Every response that carries tickets goes through [`shown`] (which applies
//! the rule), and every disclosure to someone other than the reporter is
//! recorded — who, when, which item, by which route — in `contact_access`
//! (`crate::store::audit`), in its own transaction before the answer leaves;
//! if it cannot be recorded the answer is a 503 and nothing is shown.

use crate::store::{audit, Db, StoreError};
use minqing_protocol::{Actor, Role, Ticket, TicketState};

pub fn can_see(actor: &Actor, t: &Ticket) -> bool {
    let in_group = t.group.is_some_and(|g| actor.groups.contains(&g));
    match actor.role {
        Role::CityDeputy | Role::TownDeputy => {
            t.reporter == actor.user || t.co_reporters.contains(&actor.user) || in_group
        }
        Role::UnitContact | Role::UnitHead => {
            (actor.unit.is_some() && t.assigned_unit == actor.unit)
                || (in_group && t.state == TicketState::Pool)
        }
        Role::Coordinator | Role::TownStaff => in_group,
        Role::CityStaff | Role::Admin => true,
    }
}

/// The tickets `actor` may see, as the listing queries (`crate::store::listing`:
/// the console's board, item list and export) select them by their listing
/// columns: [`can_see`] restated, case by case. The two are held equal by
/// `server/tests/console.rs` (every demo person × every ticket, both
/// databases), and the item view checks [`can_see`] on what it shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// City staff and admins: everything.
    All,
    /// Coordinators and town staff: tickets of these groups.
    Groups(Vec<String>),
    /// Unit contacts and heads: tickets assigned to `unit`, and the claim
    /// pool of `pool_groups`.
    Unit {
        unit: Option<String>,
        pool_groups: Vec<String>,
    },
    /// Deputies: tickets they report or co-report, and their groups'.
    Deputy { user: String, groups: Vec<String> },
}

/// [`can_see`] as a [`Scope`].
pub fn scope(actor: &Actor) -> Scope {
    let groups = || actor.groups.iter().map(ToString::to_string).collect();
    match actor.role {
        Role::CityDeputy | Role::TownDeputy => Scope::Deputy {
            user: actor.user.to_string(),
            groups: groups(),
        },
        Role::UnitContact | Role::UnitHead => Scope::Unit {
            unit: actor.unit.map(|u| u.to_string()),
            pool_groups: groups(),
        },
        Role::Coordinator | Role::TownStaff => Scope::Groups(groups()),
        Role::CityStaff | Role::Admin => Scope::All,
    }
}

/// May `actor` see the constituent's contact on `t`? (module docs)
pub fn can_see_contact(actor: &Actor, t: &Ticket) -> bool {
    if !can_see(actor, t) {
        return false;
    }
    match actor.role {
        Role::CityDeputy | Role::TownDeputy => t.reporter == actor.user,
        Role::UnitContact | Role::UnitHead => {
            actor.unit.is_some()
                && t.assigned_unit == actor.unit
                && matches!(
                    t.state,
                    TicketState::Accepted
                        | TicketState::Replied
                        | TicketState::Resolved
                        | TicketState::Reopened
                )
        }
        Role::Coordinator | Role::TownStaff | Role::CityStaff | Role::Admin => false,
    }
}

/// Which route showed a contact (recorded with each disclosure).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    /// `GET /v1/tickets/{id}`
    Ticket,
    /// `GET /v1/sync/pull`
    Pull,
}

impl Via {
    pub fn as_str(self) -> &'static str {
        match self {
            Via::Ticket => "ticket",
            Via::Pull => "pull",
        }
    }
}

/// `t` as `actor` is shown it: without the contact unless [`can_see_contact`];
/// `true` when a contact is disclosed to someone other than its reporter
/// (a disclosure to record).
pub fn redact(actor: &Actor, mut t: Ticket) -> (Ticket, bool) {
    if t.constituent.is_none() {
        return (t, false);
    }
    if !can_see_contact(actor, &t) {
        t.constituent = None;
        return (t, false);
    }
    let disclosed = t.reporter != actor.user;
    (t, disclosed)
}

/// The tickets as `actor` is shown them (already filtered by [`can_see`]),
/// the disclosures recorded first. Every route that answers with tickets
/// calls this.
pub fn shown(
    db: &Db,
    actor: &Actor,
    tickets: Vec<Ticket>,
    via: Via,
    now_ms: i64,
) -> Result<Vec<Ticket>, StoreError> {
    let mut out = Vec::with_capacity(tickets.len());
    let mut disclosed = Vec::new();
    for t in tickets {
        let (t, d) = redact(actor, t);
        if d {
            disclosed.push(t.id);
        }
        out.push(t);
    }
    if !disclosed.is_empty() {
        db.write(|tx| audit::record(tx, actor, &disclosed, via.as_str(), now_ms))?;
    }
    Ok(out)
}
