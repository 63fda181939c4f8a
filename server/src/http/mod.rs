//! The HTTP API (protocol v1) on axum. One file per area: [`auth`] (login and
//! sessions), [`sync`] (push and pull), [`tus`] (photo uploads), [`events`]
//! (SSE pokes). Deny by default: every `/v1` route except login needs a bearer
//! token, and what a caller may see is decided in `crate::access`.

pub mod admin;
pub mod auth;
pub mod error;
pub mod events;
pub mod review;
pub mod sync;
pub mod tus;
pub mod workflow;

use crate::auth::{Auth, Caller};
use crate::pokes::Pokes;
use crate::store::Db;
use crate::uploads::Uploads;
use axum::extract::{DefaultBodyLimit, FromRequestParts, Request, State};
use axum::http::{header, request::Parts, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::Router;
use error::Failure;
use minqing_protocol::wire::{MIN_PROTOCOL_VERSION, PROTOCOL_HEADER};
use std::sync::Arc;

/// Limits a deployment may tune.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Largest JSON body accepted.
    pub max_json_bytes: usize,
    /// Largest photo accepted for upload.
    pub max_photo_bytes: u64,
    /// How long an unfinished upload is kept.
    pub upload_ttl_ms: i64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_json_bytes: 2 * 1024 * 1024,
            max_photo_bytes: 20 * 1024 * 1024,
            upload_ttl_ms: 24 * 3600 * 1000,
        }
    }
}

#[derive(Clone)]
pub struct AppState {
    pub db: Arc<Db>,
    pub auth: Arc<Auth>,
    pub uploads: Arc<Uploads>,
    pub pokes: Pokes,
    pub limits: Limits,
    /// Stamps every ticket event; manual in scenario tests.
    pub clock: crate::clock::Clock,
    /// The deployment's configured reference files (an admin's stored ones
    /// go on top; see `crate::workflow::reference`).
    pub reference: Arc<crate::workflow::reference::Reference>,
    /// What counts as a possible duplicate.
    pub duplicate_rule: minqing_protocol::duplicates::DuplicateRule,
}

impl AppState {
    /// Run blocking database work on tokio's blocking pool.
    pub async fn db<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Db) -> Result<T, Failure> + Send + 'static,
    ) -> Result<T, Failure> {
        let db = self.db.clone();
        tokio::task::spawn_blocking(move || f(&db))
            .await
            .map_err(Failure::unavailable)?
    }
}

/// The authenticated caller of a `/v1` route.
impl FromRequestParts<AppState> for Caller {
    type Rejection = Failure;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Failure> {
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::to_owned)
            .ok_or_else(Failure::unauthorized)?;
        let auth = state.auth.clone();
        state
            .db(move |db| match auth.authenticate(db, &token) {
                Ok(c) => Ok(c),
                Err(crate::auth::AuthError::Store(e)) => Err(e.into()),
                Err(_) => Err(Failure::unauthorized()),
            })
            .await
    }
}

/// Sync routes need the client's protocol version; too old gets 426, and the
/// client keeps its outbox until it is updated.
async fn require_version(req: Request, next: Next) -> Response {
    let version = req
        .headers()
        .get(PROTOCOL_HEADER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u32>().ok());
    match version {
        Some(v) if v >= MIN_PROTOCOL_VERSION => next.run(req).await,
        _ => Failure::new(
            StatusCode::UPGRADE_REQUIRED,
            "too_old",
            "应用版本过旧，请升级；未发送的内容会保留",
            "This app is too old for the server; update it (nothing unsent is lost)",
        )
        .into_response(),
    }
}

/// A declared body over the JSON limit is refused from its headers, before a
/// byte of it is read (bodies without a length are cut off at the limit).
async fn refuse_oversize(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    match declared {
        Some(n) if n > state.limits.max_json_bytes => Failure::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_large",
            "请求内容过大",
            "Request body too large",
        )
        .into_response(),
        _ => next.run(req).await,
    }
}

async fn openapi() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "application/json")],
        include_str!("../../openapi.json"),
    )
}

async fn health(State(state): State<AppState>) -> Result<&'static str, Failure> {
    state
        .db(|db| db.directory_is_empty().map_err(Failure::from))
        .await?;
    Ok("ok")
}

async fn fallback() -> Failure {
    Failure::not_found()
}

pub fn router(state: AppState) -> Router {
    let json_limit = DefaultBodyLimit::max(state.limits.max_json_bytes);
    let versioned = Router::new()
        .route("/v1/sync/push", post(sync::push))
        .route("/v1/sync/pull", get(sync::pull))
        .route("/v1/events", get(events::sse))
        .route_layer(middleware::from_fn(require_version))
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            refuse_oversize,
        ))
        .layer(json_limit);
    let uploads = Router::new()
        .route("/v1/uploads", post(tus::create).options(tus::options))
        .route(
            "/v1/uploads/{id}",
            axum::routing::head(tus::head)
                .patch(tus::patch)
                .delete(tus::terminate)
                .options(tus::options),
        )
        .layer(DefaultBodyLimit::disable());
    Router::new()
        .route("/health", get(health))
        .route("/openapi.json", get(openapi))
        .route("/v1/auth/sms-code", post(auth::sms_code))
        .route("/v1/auth/login", post(auth::login))
        .route("/v1/auth/password", post(auth::password))
        .route("/v1/auth/refresh", post(auth::refresh))
        .route("/v1/auth/logout", post(auth::logout))
        .route("/v1/me", get(auth::me))
        .route("/v1/tickets/{id}", get(sync::ticket))
        .route("/v1/tickets/{id}/duplicates", get(workflow::duplicates))
        .route("/v1/tickets/{id}/clocks", get(workflow::clocks))
        .route("/v1/notifications", get(workflow::notifications))
        .route("/v1/notifications/read", post(workflow::mark_read))
        .route(
            "/v1/weekly/{week}",
            get(review::weekly).put(review::file_weekly),
        )
        .route("/v1/weekly/{week}/all", get(review::weekly_all))
        .route("/v1/review/{level}/{month}", get(review::queue))
        .route("/v1/assignments/{list}", get(review::assignments))
        .route("/v1/jurisdictions", get(admin::jurisdictions))
        .route(
            "/v1/admin/jurisdictions/{code}",
            put(admin::put_jurisdiction),
        )
        .route("/v1/admin/units/{id}", put(admin::put_unit))
        .route("/v1/admin/groups/{id}", put(admin::put_group))
        .route("/v1/admin/users/{id}", put(admin::put_user))
        .route("/v1/admin/reference", get(admin::get_reference))
        .route("/v1/admin/taxonomy", put(admin::put_taxonomy))
        .route("/v1/admin/routing", put(admin::put_routing))
        .route("/v1/admin/calendar/{year}", put(admin::put_calendar))
        .route("/v1/photos/{id}", get(tus::photo))
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            refuse_oversize,
        ))
        .layer(json_limit)
        .merge(versioned)
        .merge(uploads)
        .fallback(fallback)
        .with_state(state)
}

/// Parse an id from a path: only a canonical UUID gets through (no `..`, no
/// slashes, no surprises).
pub fn path_uuid(s: &str) -> Result<uuid::Uuid, Failure> {
    uuid::Uuid::parse_str(s)
        .ok()
        .filter(|u| u.hyphenated().to_string() == s.to_ascii_lowercase())
        .ok_or_else(Failure::not_found)
}
