//! Who may see which ticket. Deny by default: a ticket is visible only through
//! one of the relations below.
//!
//! - a deputy: tickets they reported or co-report, and their direct-line groups';
//! - a unit contact or head: tickets assigned to their unit, and the claim pool of
//!   their groups;
//! - town staff and coordinators: tickets of their groups; city staff and admins:
//!   everything in the city (one city per deployment).

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
