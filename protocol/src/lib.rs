//! Minqing's shared language: identifiers, roles, the ticket and its timeline, the
//! ticket state machine, and the sync mutations. No I/O happens here.
//!
//! The phone core uses this crate for local echo (what the deputy sees the moment
//! they tap 完成); the server uses the very same code as the authority. Keeping one
//! state machine in one place is what makes the two agree.

pub mod calendar;
pub mod clocks;
pub mod duplicates;
pub mod fields;
pub mod ids;
pub mod machine;
pub mod mutation;
pub mod role;
pub mod taxonomy;
pub mod ticket;
pub mod wire;

pub use ids::{ClientId, EventId, GroupId, PhotoId, TicketId, UnitId, UserId};
pub use machine::{Action, ActionKind, Actor, Denied};
pub use mutation::{Mutation, MutationKind, NewTicket, PROTOCOL_VERSION};
pub use role::Role;
pub use ticket::{
    ConstituentContact, EventKind, Location, LocationSource, OutcomePath, PhotoKind, PhotoRef,
    ReviewLevel, SourceChannel, Ticket, TicketState, TimelineEvent, Timestamp,
};
