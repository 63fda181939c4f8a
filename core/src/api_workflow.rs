//! The workflow verbs of the app's API: what a unit contact, a coordinator and
//! the reporting deputy do to a ticket after 完成 — claim (in `api`), decline,
//! ask and answer, reassign, reply, resolve with proof photos, confirm or
//! reject, rate. Each is checked by the shared state machine, echoed locally and
//! queued in one transaction (`tickets::act`); the server decides for good.

use crate::api::Minqing;
use crate::error::{Error, MinqingError};
use crate::tickets;
use crate::views::TicketView;
use minqing_protocol::duplicates::{candidates, DuplicateRule, Probe};
use minqing_protocol::{Action, OutcomePath, PhotoId, PhotoKind, ReviewLevel, UnitId};

/// How an item was handled, as the monthly report counts it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum Outcome {
    /// 直通车群办理
    HandledInGroup,
    /// 镇街道办理
    HandledByTown,
    /// 市级部门办理
    HandledByCityDepartment,
}

impl From<Outcome> for OutcomePath {
    fn from(o: Outcome) -> Self {
        match o {
            Outcome::HandledInGroup => OutcomePath::HandledInGroup,
            Outcome::HandledByTown => OutcomePath::HandledByTown,
            Outcome::HandledByCityDepartment => OutcomePath::HandledByCityDepartment,
        }
    }
}

/// An open item that may be the same problem as the draft about to be
/// submitted (same category, near, recent): the deputy may add to it instead.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct DuplicateView {
    pub ticket_id: String,
    pub text: String,
    pub state_label: String,
    pub distance_m: f64,
    pub hours_apart: f64,
}

impl Minqing {
    fn act(&self, ticket_id: String, action: Action) -> Result<TicketView, MinqingError> {
        self.queued(tickets::act(&self.store, &ticket_id, action))?;
        self.get_ticket(ticket_id)
    }
}

fn parse<T: std::str::FromStr>(field: &'static str, s: &str) -> Result<T, Error> {
    s.parse().map_err(|_| Error::Invalid {
        field,
        reason: s.chars().take(64).collect(),
    })
}

#[uniffi::export]
impl Minqing {
    /// "不是我们的": give the item back to the pool with a reason the coordinator reads.
    pub fn decline(&self, ticket_id: String, reason: String) -> Result<TicketView, MinqingError> {
        self.act(ticket_id, Action::Decline { reason })
    }

    /// Ask inside the ticket ("which kind of cover is it?").
    pub fn ask(&self, ticket_id: String, text: String) -> Result<TicketView, MinqingError> {
        self.act(ticket_id, Action::Ask { text })
    }

    /// The reporting deputy answers a question.
    pub fn answer(&self, ticket_id: String, text: String) -> Result<TicketView, MinqingError> {
        self.act(ticket_id, Action::Answer { text })
    }

    /// A coordinator or staff member routes the item to a unit.
    pub fn reassign(&self, ticket_id: String, unit_id: String) -> Result<TicketView, MinqingError> {
        let unit: UnitId = parse("unit_id", &unit_id).map_err(|e| self.public(e))?;
        self.act(ticket_id, Action::Reassign { unit })
    }

    /// 答复: the unit's reply.
    pub fn reply(
        &self,
        ticket_id: String,
        text: String,
        outcome: Outcome,
    ) -> Result<TicketView, MinqingError> {
        let outcome = outcome.into();
        self.act(ticket_id, Action::Reply { text, outcome })
    }

    /// 已处理好: resolved, with proof photos added by [`Minqing::add_ticket_photo_bytes`].
    pub fn resolve(
        &self,
        ticket_id: String,
        text: String,
        outcome: Outcome,
        proof_photo_ids: Vec<String>,
    ) -> Result<TicketView, MinqingError> {
        let proof = proof_photo_ids
            .iter()
            .map(|p| parse::<PhotoId>("proof", p))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| self.public(e))?;
        let outcome = outcome.into();
        self.act(
            ticket_id,
            Action::Resolve {
                text,
                proof,
                outcome,
            },
        )
    }

    /// The deputy accepts the result, optionally rating it 1–5.
    pub fn confirm(
        &self,
        ticket_id: String,
        rating: Option<u8>,
    ) -> Result<TicketView, MinqingError> {
        self.act(ticket_id, Action::Confirm { rating })
    }

    /// The deputy is not satisfied: the item re-opens as 重办.
    pub fn reject(&self, ticket_id: String, reason: String) -> Result<TicketView, MinqingError> {
        self.act(ticket_id, Action::Reject { reason })
    }

    /// Rate a closed item 1–5.
    pub fn rate(&self, ticket_id: String, stars: u8) -> Result<TicketView, MinqingError> {
        self.act(ticket_id, Action::Rate { stars })
    }

    /// 代表当场解释办结: the deputy explained it on the spot and closes it.
    pub fn explain_close(
        &self,
        ticket_id: String,
        text: String,
    ) -> Result<TicketView, MinqingError> {
        self.act(ticket_id, Action::ExplainClose { text })
    }

    /// Mark the item reviewed at the caller's level: 初审 (town staff, `city`
    /// false) or 复审 (city staff, `city` true), with an optional note.
    pub fn review(
        &self,
        ticket_id: String,
        city: bool,
        note: String,
    ) -> Result<TicketView, MinqingError> {
        let level = if city {
            ReviewLevel::City
        } else {
            ReviewLevel::Town
        };
        self.act(ticket_id, Action::Review { level, note })
    }

    /// 交办: put the item on an assignment list to the city government (city staff).
    pub fn assign_to_government(
        &self,
        ticket_id: String,
        list: String,
    ) -> Result<TicketView, MinqingError> {
        self.act(ticket_id, Action::AssignToGovernment { list })
    }

    /// Record the government's feedback on an assigned item (city staff).
    pub fn record_government_feedback(
        &self,
        ticket_id: String,
        text: String,
        resolved: bool,
    ) -> Result<TicketView, MinqingError> {
        self.act(ticket_id, Action::GovernmentFeedback { text, resolved })
    }

    /// Open items on this device that may be the same problem as the draft
    /// (same category, within 200 m, reported within 30 days), nearest first.
    /// Works offline, against the tickets this device holds (its own and its
    /// groups'); empty when the draft has no category or place yet.
    pub fn possible_duplicates(
        &self,
        draft_id: String,
    ) -> Result<Vec<DuplicateView>, MinqingError> {
        let lang = self.lang();
        self.store
            .read(|c| {
                let draft = crate::drafts::load(c, &draft_id)?;
                let tickets: Vec<minqing_protocol::Ticket> = c
                    .prepare("SELECT body FROM tickets")?
                    .query_map([], |r| r.get::<_, String>(0))?
                    .map(|b| Ok(serde_json::from_str(&b?)?))
                    .collect::<Result<_, Error>>()?;
                let probe = Probe {
                    id: None,
                    category: draft.category.as_deref(),
                    location: draft.location.as_ref(),
                    at: crate::store::now_ms(),
                };
                Ok(candidates(probe, &tickets, &DuplicateRule::default())
                    .into_iter()
                    .filter_map(|c| {
                        let t = tickets.iter().find(|t| t.id == c.ticket)?;
                        Some(DuplicateView {
                            ticket_id: t.id.to_string(),
                            text: t.text.clone(),
                            state_label: match lang {
                                crate::Lang::ZhCn => t.state.label_zh(),
                                crate::Lang::En => t.state.label_en(),
                            }
                            .to_owned(),
                            distance_m: c.distance_m,
                            hours_apart: c.apart_ms as f64 / 3_600_000.0,
                        })
                    })
                    .collect())
            })
            .map_err(|e| self.public(e))
    }

    /// Add a photo to an existing ticket (blocking: decode and resize): evidence
    /// when the deputy adds it, proof of the fix when `proof` (a unit resolving).
    /// Returns the photo id, to name in [`Minqing::resolve`].
    pub fn add_ticket_photo_bytes(
        &self,
        ticket_id: String,
        bytes: Vec<u8>,
        proof: bool,
    ) -> Result<String, MinqingError> {
        let kind = if proof {
            PhotoKind::Proof
        } else {
            PhotoKind::Evidence
        };
        let id = self.queued(tickets::attach_photo(
            &self.store,
            &ticket_id,
            &bytes,
            kind,
            &self.ingest,
        ))?;
        Ok(id.to_string())
    }
}
