//! Push and pull (see `store::sync` for the semantics). Both need the
//! client's protocol version (`require_version`, in `super::router`).

use super::doc::{Auth, AuthWrite, JsonIn};
use super::error::{ErrorCode, Failure};
use super::extract::{Json, Protocol, Query};
use super::AppState;
use crate::auth::Caller;
use crate::store::{PullResult, PushError};
use axum::extract::State;
use axum::http::StatusCode;
use minqing_protocol::wire::{PullResponse, PushRequest, PushResponse};
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// At most this many mutations in one push.
pub const MAX_PUSH: usize = 500;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(push))
        .routes(routes!(pull))
}

/// The `minqing-protocol` header a sync route needs (the [`Protocol`] extractor).
pub const TOO_OLD: &str =
    "too_old: no minqing-protocol header, or a version below the server's minimum; update the app (its outbox is kept)";

/// Apply a device's mutations: one database transaction, so a push is
/// applied whole or not at all (also when the server is shutting down: the
/// transaction, once begun, runs to its commit before the process exits).
#[utoipa::path(post, path = "/v1/sync/push", tag = "sync",
    security(("bearer" = []), ("console" = [])),
    params(("minqing-protocol" = u32, Header, minimum = 1, description = "The protocol version the client speaks (digits)")),
    request_body = PushRequest,
    responses(
        (status = 200, description = "Applied or rejected through last_mutation_id", body = PushResponse),
        JsonIn,
        AuthWrite,
        (status = 403, description = "forbidden: the client id belongs to another user; csrf: the console's cookie without X-CSRF-Token", body = super::doc::ApiErrorDoc),
        (status = 409, description = "gap: `expected` names the next mutation id; nothing from the gap on was applied", body = super::doc::ApiErrorDoc),
        (status = 413, description = "too_large: over 2 MiB; too_many: over 500 mutations", body = super::doc::ApiErrorDoc),
        (status = 426, description = TOO_OLD, body = super::doc::ApiErrorDoc),
    ))]
pub async fn push(
    State(state): State<AppState>,
    caller: Caller,
    _: Protocol,
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

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PullQuery {
    /// Where the device's copy stands (`<epoch>.<seq>`, as the last answer
    /// gave it); absent on the first pull. One the server does not know
    /// answers `reset`.
    pub cursor: Option<String>,
}

#[utoipa::path(get, path = "/v1/sync/pull", tag = "sync",
    security(("bearer" = []), ("console" = [])),
    params(PullQuery, ("minqing-protocol" = u32, Header, minimum = 1, description = "The protocol version the client speaks (digits)")),
    responses(
        (status = 200, description = "The tickets changed since the cursor that the caller may see, or reset", body = PullResponse),
        Auth,
        (status = 400, description = "malformed: the query does not parse", body = super::doc::ApiErrorDoc),
        (status = 426, description = TOO_OLD, body = super::doc::ApiErrorDoc),
    ))]
pub async fn pull(
    State(state): State<AppState>,
    caller: Caller,
    _: Protocol,
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
