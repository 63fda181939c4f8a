//! The ticket state machine: which role may do what, from which state.
//!
//! [`decide`] is a pure function of the ticket, the actor and the action; it either
//! names the next state or says why not ([`Denied`]). [`Ticket::apply`] runs it and
//! records the step in the timeline. The core calls this for local echo, the server
//! for authority, so both always agree. The full table is in `docs/state-machine.md`
//! and is checked cell by cell in `tests/table.rs`.
//!
//! Relations matter as much as roles: "the deputy who reported it", "a contact of
//! the unit it is assigned to", "a member of its direct-line group". Supervisors
//! (coordinators, town and city staff) are scoped to their jurisdiction by the
//! server's access rules before an action ever reaches here.

use crate::fields;
use crate::ids::{EventId, GroupId, PhotoId, TicketId, UnitId, UserId};
use crate::role::Role;
use crate::ticket::{
    EventKind, OutcomePath, PhotoKind, PhotoRef, ReviewLevel, Ticket, TicketState, TimelineEvent,
    Timestamp,
};
use serde::{Deserialize, Serialize};

/// Who is acting, with what they belong to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Actor {
    pub user: UserId,
    pub role: Role,
    /// The unit a unit contact or head speaks for.
    pub unit: Option<UnitId>,
    /// Direct-line groups the user is a member of.
    pub groups: Vec<GroupId>,
}

/// Something a user does to an existing ticket.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Action {
    /// 接单: a unit takes the item.
    Claim,
    /// "不是我们的": back to the pool, with the reason the coordinator will read.
    Decline { reason: String },
    /// A question inside the ticket ("which kind of cover is it?").
    Ask { text: String },
    /// The reporting deputy answers.
    Answer { text: String },
    /// A coordinator or staff member routes the item to a unit.
    Reassign { unit: UnitId },
    /// 答复: the unit's reply.
    Reply { text: String, outcome: OutcomePath },
    /// 已处理好: resolved, with proof photos of the fix.
    Resolve {
        text: String,
        proof: Vec<PhotoId>,
        outcome: OutcomePath,
    },
    /// The deputy accepts the result, optionally rating it 1–5.
    Confirm { rating: Option<u8> },
    /// The deputy is not satisfied: the item re-opens as 重办.
    Reject { reason: String },
    /// 代表当场解释办结: the deputy explained it to the constituent and closes it.
    ExplainClose { text: String },
    /// Merge a duplicate into another ticket (联名).
    Merge { into: TicketId },
    /// Rate a closed ticket 1–5.
    Rate { stars: u8 },
    /// Attach a photo that finished uploading: evidence by the deputy, proof by the unit.
    AttachPhoto { photo: PhotoRef },
    /// A review level's mark: 初审 by town staff (the monthly clear-out, 一月一清,
    /// is every item of the month so marked), 复审 by city staff.
    Review { level: ReviewLevel, note: String },
    /// 交办: city staff put the item on an assignment list (交办清单) to the city
    /// government, named by its period ("2020年10月交办清单").
    AssignToGovernment { list: String },
    /// The government's feedback on an assigned item, recorded by city staff.
    GovernmentFeedback { text: String, resolved: bool },
}

impl Action {
    /// A stable snake_case name, used in the table, the wire format and logs.
    pub fn name(&self) -> &'static str {
        match self {
            Action::Claim => "claim",
            Action::Decline { .. } => "decline",
            Action::Ask { .. } => "ask",
            Action::Answer { .. } => "answer",
            Action::Reassign { .. } => "reassign",
            Action::Reply { .. } => "reply",
            Action::Resolve { .. } => "resolve",
            Action::Confirm { .. } => "confirm",
            Action::Reject { .. } => "reject",
            Action::ExplainClose { .. } => "explain_close",
            Action::Merge { .. } => "merge",
            Action::Rate { .. } => "rate",
            Action::AttachPhoto { .. } => "attach_photo",
            Action::Review { .. } => "review",
            Action::AssignToGovernment { .. } => "assign_to_government",
            Action::GovernmentFeedback { .. } => "government_feedback",
        }
    }
}

/// What kind of step an [`Action`] is, without its content: the rows of the
/// table in `docs/state-machine.md`. A photo's kind and a review's level are
/// part of the kind, because who may act depends on them. [`allowed`] lists the
/// kinds an actor may take on a ticket now; a shell offers exactly those.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
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
    /// Attach a photo of the problem (the reporting deputy).
    AttachEvidence,
    /// Attach a photo of the fix (the assigned unit).
    AttachProof,
    /// 初审 (town staff).
    ReviewTown,
    /// 复审 (city staff).
    ReviewCity,
    AssignToGovernment,
    GovernmentFeedback,
}

impl ActionKind {
    /// Every kind, in the table's order.
    pub const ALL: [ActionKind; 18] = [
        ActionKind::Claim,
        ActionKind::Decline,
        ActionKind::Ask,
        ActionKind::Answer,
        ActionKind::Reassign,
        ActionKind::Reply,
        ActionKind::Resolve,
        ActionKind::Confirm,
        ActionKind::Reject,
        ActionKind::ExplainClose,
        ActionKind::Merge,
        ActionKind::Rate,
        ActionKind::AttachEvidence,
        ActionKind::AttachProof,
        ActionKind::ReviewTown,
        ActionKind::ReviewCity,
        ActionKind::AssignToGovernment,
        ActionKind::GovernmentFeedback,
    ];

    /// The [`Action::name`] of actions of this kind (both photo kinds are
    /// `attach_photo`, both review levels `review`).
    pub fn action_name(self) -> &'static str {
        match self {
            ActionKind::Claim => "claim",
            ActionKind::Decline => "decline",
            ActionKind::Ask => "ask",
            ActionKind::Answer => "answer",
            ActionKind::Reassign => "reassign",
            ActionKind::Reply => "reply",
            ActionKind::Resolve => "resolve",
            ActionKind::Confirm => "confirm",
            ActionKind::Reject => "reject",
            ActionKind::ExplainClose => "explain_close",
            ActionKind::Merge => "merge",
            ActionKind::Rate => "rate",
            ActionKind::AttachEvidence | ActionKind::AttachProof => "attach_photo",
            ActionKind::ReviewTown | ActionKind::ReviewCity => "review",
            ActionKind::AssignToGovernment => "assign_to_government",
            ActionKind::GovernmentFeedback => "government_feedback",
        }
    }

    /// The button's label, in Chinese.
    pub fn label_zh(self) -> &'static str {
        match self {
            ActionKind::AttachEvidence => "补充照片",
            ActionKind::AttachProof => "上传办结照片",
            ActionKind::ReviewTown => "初审",
            ActionKind::ReviewCity => "复审",
            other => action_label_zh(other.action_name()),
        }
    }

    /// The button's label, in English.
    pub fn label_en(self) -> &'static str {
        match self {
            ActionKind::Claim => "Claim",
            ActionKind::Decline => "Decline",
            ActionKind::Ask => "Ask",
            ActionKind::Answer => "Answer",
            ActionKind::Reassign => "Reassign",
            ActionKind::Reply => "Reply",
            ActionKind::Resolve => "Resolve",
            ActionKind::Confirm => "Confirm",
            ActionKind::Reject => "Not satisfied",
            ActionKind::ExplainClose => "Explained on the spot",
            ActionKind::Merge => "Merge",
            ActionKind::Rate => "Rate",
            ActionKind::AttachEvidence => "Add a photo",
            ActionKind::AttachProof => "Add a photo of the fix",
            ActionKind::ReviewTown => "Town review",
            ActionKind::ReviewCity => "City review",
            ActionKind::AssignToGovernment => "Assign to the government",
            ActionKind::GovernmentFeedback => "Record the government's feedback",
        }
    }
}

impl Action {
    /// The kind of this action (its table row).
    pub fn kind(&self) -> ActionKind {
        match self {
            Action::Claim => ActionKind::Claim,
            Action::Decline { .. } => ActionKind::Decline,
            Action::Ask { .. } => ActionKind::Ask,
            Action::Answer { .. } => ActionKind::Answer,
            Action::Reassign { .. } => ActionKind::Reassign,
            Action::Reply { .. } => ActionKind::Reply,
            Action::Resolve { .. } => ActionKind::Resolve,
            Action::Confirm { .. } => ActionKind::Confirm,
            Action::Reject { .. } => ActionKind::Reject,
            Action::ExplainClose { .. } => ActionKind::ExplainClose,
            Action::Merge { .. } => ActionKind::Merge,
            Action::Rate { .. } => ActionKind::Rate,
            Action::AttachPhoto { photo } => match photo.kind {
                PhotoKind::Evidence => ActionKind::AttachEvidence,
                PhotoKind::Proof => ActionKind::AttachProof,
            },
            Action::Review { level, .. } => match level {
                ReviewLevel::Town => ActionKind::ReviewTown,
                ReviewLevel::City => ActionKind::ReviewCity,
            },
            Action::AssignToGovernment { .. } => ActionKind::AssignToGovernment,
            Action::GovernmentFeedback { .. } => ActionKind::GovernmentFeedback,
        }
    }
}

/// Why an action was refused. Permanent: pushing it again gives the same answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Denied {
    /// Nobody may do this from this state.
    #[error("cannot {action} a ticket that is {state:?}")]
    WrongState { action: String, state: TicketState },
    /// Someone may, but not this actor.
    #[error("a {role:?} may not {action} this ticket")]
    Forbidden { action: String, role: Role },
    /// The action's own content is unacceptable.
    #[error("invalid {field}: {reason}")]
    Invalid { field: String, reason: String },
}

impl Denied {
    fn invalid(field: &str, reason: &str) -> Self {
        Denied::Invalid {
            field: field.to_owned(),
            reason: reason.to_owned(),
        }
    }

    /// A message for the user, in Chinese.
    pub fn message_zh(&self) -> String {
        match self {
            Denied::WrongState { action, state } => {
                format!(
                    "当前状态（{}）不能执行“{}”",
                    state.label_zh(),
                    action_label_zh(action)
                )
            }
            Denied::Forbidden { action, role } => {
                format!("{}无权执行“{}”", role.label_zh(), action_label_zh(action))
            }
            Denied::Invalid { field, reason } => format!(
                "内容不合要求（{}）：{}",
                crate::fields::field_zh(field),
                crate::fields::reason_zh(reason)
            ),
        }
    }
}

fn action_label_zh(name: &str) -> &'static str {
    match name {
        "claim" => "接单",
        "decline" => "退回",
        "ask" => "询问",
        "answer" => "回复询问",
        "reassign" => "转派",
        "reply" => "答复",
        "resolve" => "办结",
        "confirm" => "确认办结",
        "reject" => "不满意重办",
        "explain_close" => "当场解释办结",
        "merge" => "合并",
        "rate" => "评价",
        "attach_photo" => "添加照片",
        "review" => "审核",
        "assign_to_government" => "交办",
        "government_feedback" => "记录政府反馈",
        "submit" => "提交",
        _ => "操作",
    }
}

/// How the actor relates to the ticket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Relation {
    reporter: bool,
    assigned_unit: bool,
    unit_in_group: bool,
    supervisor: bool,
    town_staff: bool,
    city_staff: bool,
}

fn relation(ticket: &Ticket, actor: &Actor) -> Relation {
    let deputy = actor.role.is_deputy();
    let unit_role = actor.role.is_unit() && actor.unit.is_some();
    Relation {
        reporter: deputy
            && (actor.user == ticket.reporter || ticket.co_reporters.contains(&actor.user)),
        assigned_unit: unit_role && actor.unit == ticket.assigned_unit,
        unit_in_group: unit_role && ticket.group.is_some_and(|g| actor.groups.contains(&g)),
        supervisor: actor.role.supervises(),
        town_staff: actor.role == Role::TownStaff,
        city_staff: actor.role == Role::CityStaff,
    }
}

/// The part of the rules that depends only on state: from which states may anyone
/// do this at all?
fn state_allows(kind: ActionKind, state: TicketState) -> bool {
    use TicketState::*;
    match kind {
        ActionKind::Claim => matches!(state, Pool | Routed),
        ActionKind::Decline => matches!(state, Routed | Accepted | Reopened),
        ActionKind::Ask | ActionKind::Answer => !state.is_terminal(),
        ActionKind::Reassign => matches!(state, Pool | Routed | Accepted | Reopened),
        ActionKind::Reply => matches!(state, Accepted | Reopened),
        ActionKind::Resolve => matches!(state, Accepted | Reopened | Replied),
        ActionKind::Confirm | ActionKind::Reject => matches!(state, Replied | Resolved),
        ActionKind::ExplainClose => matches!(state, Pool | Routed),
        ActionKind::Merge => !state.is_terminal(),
        ActionKind::Rate => state == Closed,
        ActionKind::AttachEvidence => !state.is_terminal(),
        ActionKind::AttachProof => matches!(state, Accepted | Reopened | Replied),
        // Reviews and the government's feedback cover closed items too (the
        // monthly clear-out looks at every item of the month).
        ActionKind::ReviewTown | ActionKind::ReviewCity | ActionKind::GovernmentFeedback => {
            state != Merged
        }
        ActionKind::AssignToGovernment => !state.is_terminal(),
    }
}

/// The part of the rules that depends on who acts.
fn actor_allows(kind: ActionKind, state: TicketState, rel: Relation) -> bool {
    match kind {
        ActionKind::Claim => match state {
            TicketState::Pool => rel.unit_in_group,
            _ => rel.assigned_unit,
        },
        ActionKind::Decline | ActionKind::Reply | ActionKind::Resolve => rel.assigned_unit,
        ActionKind::Ask => {
            rel.assigned_unit || rel.supervisor || (state == TicketState::Pool && rel.unit_in_group)
        }
        ActionKind::Answer
        | ActionKind::Confirm
        | ActionKind::Reject
        | ActionKind::ExplainClose
        | ActionKind::Rate
        | ActionKind::AttachEvidence => rel.reporter,
        ActionKind::Reassign | ActionKind::Merge => rel.supervisor,
        ActionKind::AttachProof => rel.assigned_unit,
        ActionKind::ReviewTown => rel.town_staff,
        ActionKind::ReviewCity => rel.city_staff,
        ActionKind::AssignToGovernment | ActionKind::GovernmentFeedback => rel.city_staff,
    }
}

/// What the ticket and the actor must be for an action of this kind,
/// whatever its content: a claim needs a unit to claim for, a level reviews
/// once, an item goes on one assignment list, feedback needs the list.
fn preconditions(ticket: &Ticket, actor: &Actor, kind: ActionKind) -> Result<(), Denied> {
    match kind {
        ActionKind::Claim if actor.unit.is_none() => {
            Err(Denied::invalid("unit", "the actor speaks for no unit"))
        }
        ActionKind::ReviewTown if ticket.reviewed(ReviewLevel::Town) => {
            Err(Denied::invalid("level", "already reviewed at this level"))
        }
        ActionKind::ReviewCity if ticket.reviewed(ReviewLevel::City) => {
            Err(Denied::invalid("level", "already reviewed at this level"))
        }
        ActionKind::AssignToGovernment if ticket.assignment_list().is_some() => {
            Err(Denied::invalid("list", "already on an assignment list"))
        }
        ActionKind::GovernmentFeedback if ticket.assignment_list().is_none() => {
            Err(Denied::invalid("list", "not on an assignment list"))
        }
        _ => Ok(()),
    }
}

fn non_empty(field: &str, text: &str) -> Result<(), Denied> {
    fields::required(field, text, MAX_TEXT_CHARS)
}

/// Longest text accepted in any field (characters, not bytes).
pub use crate::fields::MAX_TEXT_CHARS;

/// A photo as a client describes it: its hash, size, time and place.
pub(crate) fn check_photo_ref(photo: &PhotoRef) -> Result<(), Denied> {
    if photo.sha256.len() != 64 || !photo.sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(Denied::invalid("photo", "sha256 must be 64 hex digits"));
    }
    if !(1..=fields::MAX_PHOTO_SIDE).contains(&photo.width)
        || !(1..=fields::MAX_PHOTO_SIDE).contains(&photo.height)
    {
        return Err(Denied::invalid("photo", fields::reason::OUT_OF_RANGE));
    }
    if photo
        .taken_at
        .is_some_and(|t| !(fields::MIN_TAKEN_AT..fields::MAX_TAKEN_AT).contains(&t))
    {
        return Err(Denied::invalid("photo", fields::reason::OUT_OF_RANGE));
    }
    if let Some(l) = &photo.location {
        if !l.is_valid() {
            return Err(Denied::invalid("photo", "location out of range"));
        }
        if let Some(a) = &l.address {
            fields::line("photo.address", a, fields::MAX_ADDRESS_CHARS)?;
        }
    }
    Ok(())
}

/// The action's own content (text, reason, rating, proof photos …).
fn validate(ticket: &Ticket, action: &Action) -> Result<(), Denied> {
    match action {
        Action::Claim => Ok(()),
        Action::Decline { reason } | Action::Reject { reason } => non_empty("reason", reason),
        Action::Ask { text } | Action::Answer { text } | Action::ExplainClose { text } => {
            non_empty("text", text)
        }
        Action::Reassign { unit } => {
            if ticket.assigned_unit == Some(*unit) && ticket.state == TicketState::Routed {
                return Err(Denied::invalid("unit", "already routed to this unit"));
            }
            Ok(())
        }
        Action::Reply { text, outcome } => {
            non_empty("text", text)?;
            not_on_spot(*outcome)
        }
        Action::Resolve {
            text,
            proof,
            outcome,
        } => {
            non_empty("text", text)?;
            not_on_spot(*outcome)?;
            if proof.is_empty() {
                return Err(Denied::invalid(
                    "proof",
                    "at least one proof photo is required",
                ));
            }
            if proof.len() > fields::MAX_PHOTOS {
                return Err(Denied::invalid("proof", fields::reason::TOO_MANY));
            }
            if proof
                .iter()
                .enumerate()
                .any(|(i, id)| proof[..i].contains(id))
            {
                return Err(Denied::invalid("proof", fields::reason::REPEATED));
            }
            proof.iter().try_for_each(|id| check_proof(ticket, id))
        }
        Action::Confirm { rating } => match rating {
            Some(r) => stars(*r),
            None => Ok(()),
        },
        Action::Rate { stars: s } => stars(*s),
        Action::Merge { into } => {
            if *into == ticket.id {
                return Err(Denied::invalid("into", "a ticket cannot merge into itself"));
            }
            Ok(())
        }
        Action::AttachPhoto { photo } => {
            if ticket.photos.iter().any(|p| p.id == photo.id) {
                return Err(Denied::invalid("photo", "already attached"));
            }
            check_photo_ref(photo)
        }
        Action::Review { note, .. } => fields::text("note", note, MAX_TEXT_CHARS),
        Action::AssignToGovernment { list } => {
            // The list's name is a path segment (`/v1/assignments/{list}`).
            if list.contains('/') {
                return Err(Denied::invalid("list", fields::reason::NOT_A_LIST));
            }
            if list.trim().is_empty() {
                return Err(Denied::invalid("list", fields::reason::EMPTY));
            }
            fields::line("list", list, fields::MAX_LIST_CHARS)
        }
        Action::GovernmentFeedback { text, .. } => non_empty("text", text),
    }
}

/// How much earlier than the report a proof photo's own clock may say it was
/// taken (camera clocks drift) before it is refused as not showing the fix.
pub const PROOF_CLOCK_SLACK_MS: i64 = 10 * 60 * 1000;

/// How far from the item's place a proof photo may have been taken, beyond the
/// accuracy of both fixes.
pub const PROOF_MAX_DISTANCE_M: f64 = 300.0;

/// A proof photo must be attached to the ticket as proof, say when it was
/// taken — after the item was reported (a camera clock may be
/// [`PROOF_CLOCK_SLACK_MS`] early) — and, when it says where, be near it.
fn check_proof(ticket: &Ticket, id: &PhotoId) -> Result<(), Denied> {
    let Some(photo) = ticket
        .photos
        .iter()
        .find(|p| p.id == *id && p.kind == PhotoKind::Proof)
    else {
        return Err(Denied::invalid("proof", "proof photo is not attached"));
    };
    // Proof is "after, with time and place" (DESIGN §3): a photo that does not
    // say when it was taken cannot show the fix is new.
    let Some(taken_at) = photo.taken_at else {
        return Err(Denied::invalid(
            "proof",
            "proof photo does not say when it was taken",
        ));
    };
    if taken_at < ticket.created_at - PROOF_CLOCK_SLACK_MS {
        return Err(Denied::invalid(
            "proof",
            "proof photo was taken before the item was reported",
        ));
    }
    if let (Some(at), Some(item)) = (&photo.location, &ticket.location) {
        let slack = at.accuracy_m.unwrap_or(0.0) + item.accuracy_m.unwrap_or(0.0);
        if at.distance_m(item) > PROOF_MAX_DISTANCE_M + slack {
            return Err(Denied::invalid(
                "proof",
                "proof photo was taken too far from the item",
            ));
        }
    }
    Ok(())
}

fn not_on_spot(outcome: OutcomePath) -> Result<(), Denied> {
    if outcome == OutcomePath::ExplainedOnSpot {
        return Err(Denied::invalid(
            "outcome",
            "only the deputy explains and closes on the spot",
        ));
    }
    Ok(())
}

fn stars(s: u8) -> Result<(), Denied> {
    if (1..=5).contains(&s) {
        Ok(())
    } else {
        Err(Denied::invalid("rating", "must be 1 to 5"))
    }
}

/// May `actor` take a step of this kind on `ticket` now, given content that
/// is itself acceptable? The part of [`decide`] that does not look at the
/// content: a screen offers the kinds this allows ([`allowed`]), and [`decide`]
/// still checks what the user typed.
pub fn permitted(ticket: &Ticket, actor: &Actor, kind: ActionKind) -> Result<(), Denied> {
    let state = ticket.state;
    if !state_allows(kind, state) {
        return Err(Denied::WrongState {
            action: kind.action_name().to_owned(),
            state,
        });
    }
    if !actor_allows(kind, state, relation(ticket, actor)) {
        return Err(Denied::Forbidden {
            action: kind.action_name().to_owned(),
            role: actor.role,
        });
    }
    preconditions(ticket, actor, kind)
}

/// Every kind of step `actor` may take on `ticket` now, in the table's order.
pub fn allowed(ticket: &Ticket, actor: &Actor) -> Vec<ActionKind> {
    ActionKind::ALL
        .into_iter()
        .filter(|k| permitted(ticket, actor, *k).is_ok())
        .collect()
}

/// May `actor` do `action` to `ticket` now? Returns the state it would lead to.
pub fn decide(ticket: &Ticket, actor: &Actor, action: &Action) -> Result<TicketState, Denied> {
    permitted(ticket, actor, action.kind())?;
    validate(ticket, action)?;
    Ok(next_state(ticket.state, action))
}

/// The state `action` leads to from `state` (assuming [`decide`] allowed it).
pub fn next_state(state: TicketState, action: &Action) -> TicketState {
    use TicketState::*;
    match action {
        Action::Claim => Accepted,
        Action::Decline { .. } => Pool,
        Action::Reassign { .. } => Routed,
        Action::Reply { .. } => Replied,
        Action::Resolve { .. } => Resolved,
        Action::Confirm { .. } | Action::ExplainClose { .. } => Closed,
        Action::Reject { .. } => Reopened,
        Action::Merge { .. } => Merged,
        Action::Ask { .. } | Action::Answer { .. } | Action::Rate { .. } => state,
        Action::AttachPhoto { .. } => state,
        Action::Review { .. }
        | Action::AssignToGovernment { .. }
        | Action::GovernmentFeedback { .. } => state,
    }
}

impl Ticket {
    /// Apply an action that [`decide`] allows, and record it in the timeline.
    /// On `Err` the ticket is unchanged.
    pub fn apply(
        &mut self,
        actor: &Actor,
        action: Action,
        event: EventId,
        at: Timestamp,
    ) -> Result<(), Denied> {
        let next = decide(self, actor, &action)?;
        match &action {
            Action::Claim => self.assigned_unit = actor.unit,
            Action::Decline { .. } => self.assigned_unit = None,
            Action::Reassign { unit } => self.assigned_unit = Some(*unit),
            Action::Reply { outcome, .. } | Action::Resolve { outcome, .. } => {
                self.outcome = Some(*outcome)
            }
            Action::Confirm { rating } => {
                self.resolved = Some(self.state == TicketState::Resolved);
                if rating.is_some() {
                    self.rating = *rating;
                }
            }
            Action::Reject { .. } => self.reopen_count += 1,
            Action::ExplainClose { .. } => {
                self.outcome = Some(OutcomePath::ExplainedOnSpot);
                self.resolved = Some(true);
                self.assigned_unit = None;
            }
            Action::Merge { into } => self.merged_into = Some(*into),
            Action::Rate { stars } => self.rating = Some(*stars),
            Action::AttachPhoto { photo } => self.photos.push(photo.clone()),
            Action::Ask { .. } | Action::Answer { .. } => {}
            Action::Review { .. }
            | Action::AssignToGovernment { .. }
            | Action::GovernmentFeedback { .. } => {}
        }
        self.state = next;
        self.timeline.push(TimelineEvent {
            id: event,
            at,
            actor: actor.user,
            role: actor.role,
            kind: EventKind::Action { action },
        });
        Ok(())
    }

    /// The rules every reachable ticket obeys. Used by tests and by the server's
    /// consistency checks; `Err` names the broken rule.
    pub fn check_invariants(&self) -> Result<(), String> {
        if self.state.has_unit() != self.assigned_unit.is_some()
            && !(self.state == TicketState::Merged || self.state == TicketState::Closed)
        {
            return Err(format!(
                "state {:?} with assigned unit {:?}",
                self.state, self.assigned_unit
            ));
        }
        if self.state == TicketState::Pool && self.assigned_unit.is_some() {
            return Err("pool ticket has a unit".into());
        }
        if self.state == TicketState::Closed && (self.resolved.is_none() || self.outcome.is_none())
        {
            return Err("closed without outcome".into());
        }
        if (self.state == TicketState::Merged) != self.merged_into.is_some() {
            return Err("merged_into out of step with state".into());
        }
        if self.rating.is_some_and(|r| !(1..=5).contains(&r)) {
            return Err("rating out of range".into());
        }
        match self.timeline.first() {
            Some(e) if e.kind == EventKind::Submitted => {}
            _ => return Err("timeline does not start with the submission".into()),
        }
        if self
            .timeline
            .iter()
            .skip(1)
            .any(|e| e.kind == EventKind::Submitted)
        {
            return Err("submitted twice".into());
        }
        let mut ids: Vec<_> = self.timeline.iter().map(|e| e.id).collect();
        ids.sort();
        ids.dedup();
        if ids.len() != self.timeline.len() {
            return Err("duplicate timeline event".into());
        }
        Ok(())
    }
}
