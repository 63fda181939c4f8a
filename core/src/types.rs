//! The protocol's own enums, exposed to Kotlin and Swift as they are (uniffi
//! `remote` types): one enum per concept, no copies to keep in step. The
//! declarations below only tell uniffi the variants; the compiler checks them
//! against `minqing_protocol`.

use minqing_protocol::clocks::{ClockKind, Colour};
use minqing_protocol::{
    ActionKind, LocationSource, OutcomePath, PhotoKind, ReviewLevel, Role, TicketState,
};

/// Where a ticket stands (`minqing_protocol::TicketState`).
#[uniffi::remote(Enum)]
pub enum TicketState {
    Pool,
    Routed,
    Accepted,
    Replied,
    Resolved,
    Reopened,
    Closed,
    Merged,
}

/// Where coordinates came from.
#[uniffi::remote(Enum)]
pub enum LocationSource {
    PhotoExif,
    DeviceFix,
    Manual,
}

/// How an item was handled, as the monthly report counts it.
#[uniffi::remote(Enum)]
pub enum OutcomePath {
    ExplainedOnSpot,
    HandledInGroup,
    HandledByTown,
    HandledByCityDepartment,
}

/// Evidence (the problem) or proof (the fix).
#[uniffi::remote(Enum)]
pub enum PhotoKind {
    Evidence,
    Proof,
}

/// 初审 (town) or 复审 (city).
#[uniffi::remote(Enum)]
pub enum ReviewLevel {
    Town,
    City,
}

/// Who a user is.
#[uniffi::remote(Enum)]
pub enum Role {
    CityDeputy,
    TownDeputy,
    UnitContact,
    UnitHead,
    Coordinator,
    TownStaff,
    CityStaff,
    Admin,
}

/// A kind of step on a ticket: the state machine's table rows.
#[uniffi::remote(Enum)]
pub enum ActionKind {
    Claim,
    Decline,
    Ask,
    Answer,
    Reassign,
    Reply,
    Resolve,
    Confirm,
    Reject,
    ExplainClose,
    Merge,
    Rate,
    AttachEvidence,
    AttachProof,
    ReviewTown,
    ReviewCity,
    AssignToGovernment,
    GovernmentFeedback,
}

/// Acceptance (受理) or reply (答复).
#[uniffi::remote(Enum)]
pub enum ClockKind {
    Acceptance,
    Reply,
}

/// A running clock's colour.
#[uniffi::remote(Enum)]
pub enum Colour {
    Green,
    Yellow,
    Red,
}
