//! Workflow reads beyond sync: possible duplicates of an item (for the
//! coordinator's and the reviewers' merge decision; rules in
//! `minqing_protocol::duplicates`, only items the caller may see are listed),
//! and the caller's inbox of notices (`crate::workflow::notify`).

use super::error::Failure;
use super::{path_uuid, AppState};
use crate::access::can_see;
use crate::auth::Caller;
use axum::extract::{Path, State};
use axum::Json;
use minqing_protocol::duplicates::{candidates, Probe};
use minqing_protocol::wire::{DuplicateCandidate, DuplicatesResponse};

pub async fn duplicates(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<DuplicatesResponse>, Failure> {
    let id = path_uuid(&id)?.to_string();
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

#[derive(Debug, serde::Deserialize)]
pub struct InboxQuery {
    #[serde(default)]
    after: i64,
}

pub async fn notifications(
    State(state): State<AppState>,
    caller: Caller,
    axum::extract::Query(q): axum::extract::Query<InboxQuery>,
) -> Result<Json<minqing_protocol::wire::NotificationsResponse>, Failure> {
    let user = caller.me.user;
    state
        .db(move |db| {
            let (notifications, unread) = db.notifications(user, q.after, 100)?;
            Ok(Json(minqing_protocol::wire::NotificationsResponse {
                notifications,
                unread,
            }))
        })
        .await
}

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReadBody {
    up_to: i64,
}

pub async fn mark_read(
    State(state): State<AppState>,
    caller: Caller,
    body: Result<Json<ReadBody>, axum::extract::rejection::JsonRejection>,
) -> Result<axum::http::StatusCode, Failure> {
    let Json(b) = body.map_err(super::error::json_rejection)?;
    let user = caller.me.user;
    let now = state.clock.now();
    state
        .db(move |db| {
            db.mark_read(user, b.up_to, now)?;
            Ok(axum::http::StatusCode::NO_CONTENT)
        })
        .await
}

/// The deadlines running on an item now, with their colours.
pub async fn clocks(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<minqing_protocol::wire::ClocksResponse>, Failure> {
    let id = path_uuid(&id)?.to_string();
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
                .map(|c| minqing_protocol::wire::ClockView {
                    kind: c.kind,
                    label_zh: c.kind.label_zh().to_owned(),
                    started_at: c.started_at,
                    due_at: c.due_at,
                    colour: c.colour(now),
                })
                .collect();
            Ok(Json(minqing_protocol::wire::ClocksResponse {
                clocks,
                calendar_covers,
            }))
        })
        .await
}
