//! Sync mutations: what a device pushes. Each carries the device's client id and
//! a mutation id that increases by one per mutation, so the server can apply each
//! exactly once, in order, however often it is re-sent.

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
pub struct Mutation {
    pub client_id: ClientId,
    pub mutation_id: u64,
    pub kind: MutationKind,
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
        if new.text.trim().is_empty() && new.photo_count == 0 {
            return Err(Denied::Invalid {
                field: "text".into(),
                reason: "a ticket needs text or a photo".into(),
            });
        }
        if new.text.chars().count() > MAX_TEXT_CHARS {
            return Err(Denied::Invalid {
                field: "text".into(),
                reason: "too long".into(),
            });
        }
        if new.location.as_ref().is_some_and(|l| !l.is_valid()) {
            return Err(Denied::Invalid {
                field: "location".into(),
                reason: "out of range".into(),
            });
        }
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
