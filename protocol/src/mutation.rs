//! Sync mutations: what a device pushes. Each carries the device's client id and
//! a mutation id that increases by one per mutation, so the server can apply each
//! exactly once, in order, however often it is re-sent.

use crate::fields;
use crate::ids::{ClientId, EventId, GroupId, TicketId, UnitId};
use crate::machine::{Action, Actor, Denied, MAX_TEXT_CHARS};
use crate::ticket::{
    ConstituentContact, EventKind, Location, SourceChannel, Ticket, TicketState, TimelineEvent,
    Timestamp,
};
use serde::{Deserialize, Serialize};

/// The wire protocol version this build speaks.
pub const PROTOCOL_VERSION: u32 = 1;

/// Everything a deputy decides at 完成. Photos follow as [`Action::AttachPhoto`]
/// once uploaded, so a ticket never waits for its photos.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewTicket {
    pub id: TicketId,
    /// The event id of the submission itself, made on the device.
    pub event: EventId,
    pub group: Option<GroupId>,
    pub jurisdiction: Option<String>,
    pub category: Option<String>,
    pub item: Option<String>,
    pub text: String,
    pub location: Option<Location>,
    pub channel: SourceChannel,
    pub constituent: Option<ConstituentContact>,
    pub mentioned_unit: Option<UnitId>,
    /// How many evidence photos will follow (lets a ticket with none be told apart
    /// from one whose photos are still uploading).
    pub photo_count: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum MutationKind {
    CreateTicket {
        ticket: NewTicket,
    },
    Act {
        ticket: TicketId,
        event: EventId,
        action: Action,
    },
}

impl MutationKind {
    pub fn ticket_id(&self) -> TicketId {
        match self {
            MutationKind::CreateTicket { ticket } => ticket.id,
            MutationKind::Act { ticket, .. } => *ticket,
        }
    }

    /// The id the device made for this change (the submission's or the
    /// action's timeline event). It identifies the mutation: the server keeps
    /// it beside the mutation id it applied it as, to tell a replay from a new
    /// mutation that reuses the id (a restored or copied device store), and
    /// applies a change whose event it already holds only once.
    pub fn event_id(&self) -> EventId {
        match self {
            MutationKind::CreateTicket { ticket } => ticket.event,
            MutationKind::Act { event, .. } => *event,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Mutation {
    pub client_id: ClientId,
    pub mutation_id: u64,
    pub kind: MutationKind,
}

impl NewTicket {
    /// What the submission's own fields may hold ([`crate::fields`]): the
    /// text, the place and its address, the codes, the constituent's name and
    /// phone number, the photos announced. The directory's part (does the
    /// group, unit, jurisdiction exist; is the deputy a member) is the
    /// server's.
    pub fn check(&self) -> Result<(), Denied> {
        let invalid = |field: &str, reason: &str| Denied::Invalid {
            field: field.into(),
            reason: reason.into(),
        };
        if self.text.trim().is_empty() && self.photo_count == 0 {
            return Err(invalid("text", "a ticket needs text or a photo"));
        }
        fields::text("text", &self.text, MAX_TEXT_CHARS)?;
        if self.photo_count as usize > fields::MAX_PHOTOS {
            return Err(invalid("photo_count", fields::reason::TOO_MANY));
        }
        if let Some(l) = &self.location {
            if !l.is_valid() {
                return Err(invalid("location", "out of range"));
            }
            if let Some(a) = &l.address {
                fields::line("location.address", a, fields::MAX_ADDRESS_CHARS)?;
            }
        }
        for (field, code) in [
            ("jurisdiction", &self.jurisdiction),
            ("category", &self.category),
            ("item", &self.item),
        ] {
            if let Some(c) = code {
                fields::code(field, c)?;
            }
        }
        if let Some(c) = &self.constituent {
            if let Some(name) = &c.name {
                if name.trim().is_empty() {
                    return Err(invalid("constituent.name", fields::reason::EMPTY));
                }
                fields::line("constituent.name", name, fields::MAX_NAME_CHARS)?;
            }
            if let Some(phone) = &c.phone {
                fields::phone("constituent.phone", phone)?;
            }
        }
        Ok(())
    }
}

impl Ticket {
    /// A deputy's submission becomes a ticket: routed to the @-mentioned unit, or in
    /// the claim pool.
    pub fn submit(new: NewTicket, actor: &Actor, at: Timestamp) -> Result<Ticket, Denied> {
        if !actor.role.is_deputy() {
            return Err(Denied::Forbidden {
                action: "submit".into(),
                role: actor.role,
            });
        }
        new.check()?;
        let (state, assigned_unit) = match new.mentioned_unit {
            Some(unit) => (TicketState::Routed, Some(unit)),
            None => (TicketState::Pool, None),
        };
        Ok(Ticket {
            id: new.id,
            reporter: actor.user,
            co_reporters: Vec::new(),
            group: new.group,
            jurisdiction: new.jurisdiction,
            category: new.category,
            item: new.item,
            text: new.text,
            photos: Vec::new(),
            location: new.location,
            channel: new.channel,
            constituent: new.constituent,
            mentioned_unit: new.mentioned_unit,
            assigned_unit,
            state,
            outcome: None,
            resolved: None,
            rating: None,
            merged_into: None,
            reopen_count: 0,
            created_at: at,
            timeline: vec![TimelineEvent {
                id: new.event,
                at,
                actor: actor.user,
                role: actor.role,
                kind: EventKind::Submitted,
            }],
        })
    }
}
