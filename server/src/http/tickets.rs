//! Tickets and the workflow around them, beyond sync: one ticket by id, the
//! possible duplicates of an item (for the coordinator's and the reviewers'
//! merge decision; rules in `minqing_protocol::duplicates`, only items the
//! caller may see are listed), the deadlines running on it, and the caller's
//! inbox of notices (`crate::workflow::notify`).

use super::doc::{ApiErrorDoc, Auth, AuthWrite, JsonIn};
use super::error::Failure;
use super::extract::{Id, Json, Query};
use super::AppState;
use crate::access::{can_see, shown, Via};
use crate::auth::Caller;
use axum::extract::State;
use axum::http::StatusCode;
use minqing_protocol::duplicates::{candidates, Probe};
use minqing_protocol::wire::{
    ClockView, ClocksResponse, DuplicateCandidate, DuplicatesResponse, NotificationsResponse,
};
use minqing_protocol::{Ticket, TicketId};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(ticket))
        .routes(routes!(duplicates))
        .routes(routes!(clocks))
        .routes(routes!(notifications))
        .routes(routes!(mark_read))
}

/// 404 for an item the caller may not see, or that does not exist.
pub const NO_TICKET: &str =
    "not_found: no such item, or not the caller's to see (also for an id not written canonically)";

/// One ticket, if the caller may see it (else 404), the constituent's
/// contact only if the caller may see that too (`crate::access`; recorded).
#[utoipa::path(get, path = "/v1/tickets/{id}", tag = "tickets",
    security(("bearer" = []), ("console" = [])),
    params(("id" = TicketId, Path)),
    responses(
        (status = 200, description = "The ticket; `constituent` only for those who may see it", body = Ticket),
        Auth,
        (status = 404, description = NO_TICKET, body = ApiErrorDoc),
    ))]
pub async fn ticket(
    State(state): State<AppState>,
    caller: Caller,
    Id(id): Id,
) -> Result<Json<Ticket>, Failure> {
    let id = id.to_string();
    let actor = caller.me.actor();
    let now = crate::store::now_ms();
    state
        .db(move |db| {
            let Some(t) = db.ticket(&id)?.filter(|t| can_see(&actor, t)) else {
                return Err(Failure::not_found());
            };
            let mut shown = shown(db, &actor, vec![t], Via::Ticket, now)?;
            shown.pop().map(Json).ok_or_else(Failure::not_found)
        })
        .await
}

/// Open items that may be the same problem (same category, near, recent),
/// nearest first, only those the caller may see.
#[utoipa::path(get, path = "/v1/tickets/{id}/duplicates", tag = "tickets",
    security(("bearer" = []), ("console" = [])),
    params(("id" = TicketId, Path)),
    responses(
        (status = 200, description = "Possible duplicates", body = DuplicatesResponse),
        Auth,
        (status = 404, description = NO_TICKET, body = ApiErrorDoc),
    ))]
pub async fn duplicates(
    State(state): State<AppState>,
    caller: Caller,
    Id(id): Id,
) -> Result<Json<DuplicatesResponse>, Failure> {
    let id = id.to_string();
    let actor = caller.me.actor();
    let rule = state.duplicate_rule;
    state
        .db(move |db| {
            let Some(t) = db.ticket(&id)?.filter(|t| can_see(&actor, t)) else {
                return Err(Failure::not_found());
            };
            let Some(category) = t.category.clone() else {
                return Ok(Json(DuplicatesResponse { candidates: vec![] }));
            };
            let open: Vec<_> = db
                .open_in_category(&category)?
                .into_iter()
                .filter(|x| can_see(&actor, x))
                .collect();
            let found = candidates(Probe::of(&t), &open, &rule)
                .into_iter()
                .filter_map(|c| {
                    let x = open.iter().find(|x| x.id == c.ticket)?;
                    Some(DuplicateCandidate {
                        ticket: c.ticket,
                        text: x.text.clone(),
                        state: x.state,
                        reporter: x.reporter,
                        distance_m: c.distance_m,
                        apart_ms: c.apart_ms,
                    })
                })
                .collect();
            Ok(Json(DuplicatesResponse { candidates: found }))
        })
        .await
}

#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct InboxQuery {
    /// Only notices with a greater id (0: from the newest).
    #[serde(default)]
    after: i64,
}

/// The caller's inbox: newest first, at most 100.
#[utoipa::path(get, path = "/v1/notifications", tag = "tickets",
    security(("bearer" = []), ("console" = [])),
    params(InboxQuery),
    responses(
        (status = 200, description = "Notices and the unread count", body = NotificationsResponse),
        Auth,
        (status = 400, description = "malformed: the query does not parse", body = ApiErrorDoc),
    ))]
pub async fn notifications(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<InboxQuery>,
) -> Result<Json<NotificationsResponse>, Failure> {
    let user = caller.me.user;
    state
        .db(move |db| {
            let (notifications, unread) = db.notifications(user, q.after, 100)?;
            Ok(Json(NotificationsResponse {
                notifications,
                unread,
            }))
        })
        .await
}

/// `POST /v1/notifications/read`
#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReadBody {
    /// Every notice with this id or a smaller one is read.
    up_to: i64,
}

#[utoipa::path(post, path = "/v1/notifications/read", tag = "tickets",
    security(("bearer" = []), ("console" = [])),
    request_body = ReadBody,
    responses((status = 204, description = "Marked read"), JsonIn, AuthWrite))]
pub async fn mark_read(
    State(state): State<AppState>,
    caller: Caller,
    Json(b): Json<ReadBody>,
) -> Result<StatusCode, Failure> {
    let user = caller.me.user;
    let now = state.clock.now();
    state
        .db(move |db| {
            db.mark_read(user, b.up_to, now)?;
            Ok(StatusCode::NO_CONTENT)
        })
        .await
}

/// The deadlines running on an item now, with their colours.
#[utoipa::path(get, path = "/v1/tickets/{id}/clocks", tag = "tickets",
    security(("bearer" = []), ("console" = [])),
    params(("id" = TicketId, Path)),
    responses(
        (status = 200, description = "The running clocks", body = ClocksResponse),
        Auth,
        (status = 404, description = NO_TICKET, body = ApiErrorDoc),
    ))]
pub async fn clocks(
    State(state): State<AppState>,
    caller: Caller,
    Id(id): Id,
) -> Result<Json<ClocksResponse>, Failure> {
    let id = id.to_string();
    let actor = caller.me.actor();
    let now = state.clock.now();
    state
        .db(move |db| {
            let Some(t) = db.ticket(&id)?.filter(|t| can_see(&actor, t)) else {
                return Err(Failure::not_found());
            };
            let wf = db.workflow();
            let running = minqing_protocol::clocks::running_clocks(&t, &wf.calendar, &wf.policy);
            let calendar_covers = running.iter().all(|c| {
                wf.calendar
                    .covers(minqing_protocol::calendar::local_date(c.started_at))
                    && wf
                        .calendar
                        .covers(minqing_protocol::calendar::local_date(c.due_at - 1))
            });
            let clocks = running
                .into_iter()
                .map(|c| ClockView {
                    kind: c.kind,
                    label_zh: c.kind.label_zh().to_owned(),
                    started_at: c.started_at,
                    due_at: c.due_at,
                    colour: c.colour(now),
                })
                .collect();
            Ok(Json(ClocksResponse {
                clocks,
                calendar_covers,
            }))
        })
        .await
}
