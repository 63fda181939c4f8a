//! Push and pull (see `store::sync` for the semantics), and one ticket by id.

use super::error::{json_rejection, Failure};
use super::{path_uuid, AppState};
use crate::access::can_see;
use crate::auth::Caller;
use crate::store::{PullResult, PushError};
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use minqing_protocol::wire::{PullResponse, PushRequest, PushResponse};
use minqing_protocol::Ticket;
use serde::Deserialize;

/// At most this many mutations in one push.
pub const MAX_PUSH: usize = 500;

pub async fn push(
    State(state): State<AppState>,
    caller: Caller,
    body: Result<Json<PushRequest>, JsonRejection>,
) -> Result<Json<PushResponse>, Failure> {
    let Json(req) = body.map_err(json_rejection)?;
    if req.mutations.len() > MAX_PUSH {
        return Err(Failure::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_many",
            &format!("一次最多推送 {MAX_PUSH} 条"),
            &format!("At most {MAX_PUSH} mutations per push"),
        ));
    }
    let actor = caller.me.actor();
    let pushed = req.mutations.len();
    let now = state.clock.now();
    let result = state
        .db(
            move |db| match db.push(&actor, req.client_id, &req.mutations, now) {
                Ok(r) => Ok(r),
                Err(PushError::Gap { expected, got }) => {
                    let mut f = Failure::new(
                        StatusCode::CONFLICT,
                        "gap",
                        "同步顺序有缺口，将自动重发",
                        &format!("Mutation {got} arrived before {expected}"),
                    );
                    f.body.expected = Some(expected);
                    Err(f)
                }
                Err(PushError::NotYourClient) | Err(PushError::WrongClient { .. }) => {
                    Err(Failure::forbidden(
                        "此设备标识属于其他用户",
                        "This client id belongs to another user or push",
                    ))
                }
                Err(PushError::Storage(e)) => Err(e.into()),
            },
        )
        .await?;
    if pushed > 0 {
        state.pokes.poke();
    }
    Ok(Json(result))
}

#[derive(Deserialize)]
pub struct PullQuery {
    pub cursor: Option<String>,
}

pub async fn pull(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<PullQuery>,
) -> Result<Json<PullResponse>, Failure> {
    let actor = caller.me.actor();
    let r = state
        .db(move |db| db.pull(&actor, q.cursor.as_deref()).map_err(Failure::from))
        .await?;
    Ok(Json(match r {
        PullResult::Changes {
            tickets,
            gone,
            cursor,
            more,
        } => PullResponse::Changes {
            tickets,
            gone,
            cursor,
            more,
        },
        PullResult::Reset { cursor } => PullResponse::Reset { cursor },
    }))
}

pub async fn ticket(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Ticket>, Failure> {
    let id = path_uuid(&id)?.to_string();
    let actor = caller.me.actor();
    let t = state
        .db(move |db| db.ticket(&id).map_err(Failure::from))
        .await?;
    match t {
        Some(t) if can_see(&actor, &t) => Ok(Json(t)),
        _ => Err(Failure::not_found()),
    }
}
