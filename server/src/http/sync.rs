//! Push and pull (see `store::sync` for the semantics). Both need the
//! client's protocol version (`require_version`, in `super::router`).

use super::error::{ErrorCode, Failure};
use super::extract::{Json, Query};
use super::AppState;
use crate::auth::Caller;
use crate::store::{PullResult, PushError};
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::Router;
use minqing_protocol::wire::{PullResponse, PushRequest, PushResponse};
use serde::Deserialize;

/// At most this many mutations in one push.
pub const MAX_PUSH: usize = 500;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/sync/push", post(push))
        .route("/v1/sync/pull", get(pull))
}

/// Apply a device's mutations: one database transaction, so a push is
/// applied whole or not at all (also when the server is shutting down: the
/// transaction, once begun, runs to its commit before the process exits).
pub async fn push(
    State(state): State<AppState>,
    caller: Caller,
    Json(req): Json<PushRequest>,
) -> Result<Json<PushResponse>, Failure> {
    if req.mutations.len() > MAX_PUSH {
        return Err(Failure::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            ErrorCode::TooMany,
            format!("一次最多推送 {MAX_PUSH} 条"),
            format!("At most {MAX_PUSH} mutations per push"),
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
                        ErrorCode::Gap,
                        "同步顺序有缺口，将自动重发",
                        format!("Mutation {got} arrived before {expected}"),
                    );
                    f.expected = Some(expected);
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
