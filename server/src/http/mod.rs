//! The HTTP API (protocol v1) on axum, one router per area, merged here:
//! [`auth`] (login and sessions), [`sync`] (push and pull), [`events`] (SSE
//! pokes), [`tickets`] (one ticket, its duplicates and clocks, the inbox),
//! [`review`] (weekly summaries, review queues, assignment lists), [`admin`]
//! (reference data), [`photos`] (finished photos) and [`tus`] (uploads).
//!
//! One error type, [`error::Failure`] (an [`error::ErrorCode`] and messages),
//! answers every failure as JSON; the extractors in [`extract`] reject with it
//! (`Json`, `Query`, `Path`, `Id`, the bearer token's `Caller`, `Admin`).
//! Deny by default: every `/v1` route except login needs a bearer token, and
//! what a caller may see is decided in `crate::access`.
//!
//! The routes are registered with `utoipa_axum` from each handler's
//! `#[utoipa::path]` ([`api`]), which is also where the OpenAPI document
//! comes from ([`doc`], ADR 0016): what is routed and what is documented are
//! one list. Only the web console's pages and built files are plain axum
//! routes ([`console::pages`]): HTML for browsers, not the API.
//!
//! Every request gets an id (`x-request-id`: the caller's, or a new UUID),
//! echoed in the answer; `tower_http`'s trace layer opens a span with it, so
//! every log line of the request names it — also from the database work on
//! tokio's blocking pool ([`AppState::db`] enters the span there).

pub mod admin;
pub mod audit;
pub mod auth;
pub mod console;
pub mod devices;
pub mod doc;
pub mod error;
pub mod events;
pub mod extract;
pub mod headers;
pub mod items;
pub mod open311;
pub mod photos;
pub mod reference;
pub mod reports;
pub mod review;
pub mod robots;
pub mod sync;
pub mod tickets;
pub mod tus;

use crate::auth::Auth;
use crate::pokes::Pokes;
use crate::store::Db;
use crate::uploads::Uploads;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::header;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::Router;
use error::Failure;
use std::sync::Arc;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::{DefaultOnFailure, DefaultOnResponse, TraceLayer};
use tracing::Level;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub use extract::path_uuid;

/// Limits a deployment may tune.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Largest JSON body accepted.
    pub max_json_bytes: usize,
    /// Largest photo accepted for upload.
    pub max_photo_bytes: u64,
    /// How long an unfinished upload is kept.
    pub upload_ttl_ms: i64,
    /// How long a finished upload waits for its `attach_photo` before it is
    /// removed (photo and record).
    pub unattached_ttl_ms: i64,
    /// Uploads one user may hold not yet attached (unfinished or finished) …
    pub max_open_uploads: u64,
    /// … and their bytes (declared lengths) in all.
    pub max_open_upload_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_json_bytes: 2 * 1024 * 1024,
            max_photo_bytes: 20 * 1024 * 1024,
            upload_ttl_ms: 24 * 3600 * 1000,
            unattached_ttl_ms: 30 * 24 * 3600 * 1000,
            max_open_uploads: 200,
            max_open_upload_bytes: 1024 * 1024 * 1024,
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
    /// Requests in flight, and the end of the SSE streams, for a graceful
    /// shutdown (`crate::app::Server::run_until`).
    pub shutdown: crate::shutdown::Shutdown,
    /// Login throttling and the bound on password hashing (`crate::throttle`).
    pub throttle: Arc<crate::throttle::Throttle>,
    /// The web console: where its files are, how long its sessions live.
    pub console: Arc<console::Console>,
    /// The SMS gateway, the SMS fallback's and the robots' settings, and the
    /// sealing key of the robots' secrets (`crate::outreach`).
    pub outreach: Arc<crate::outreach::Outreach>,
    /// Where the monthly reports are stored and how the PDF is printed
    /// (`crate::report::monthly`).
    pub reports: Arc<crate::report::monthly::Monthly>,
}

impl AppState {
    /// Run blocking database work on tokio's blocking pool (in the request's
    /// span, so what it logs carries the request id).
    pub async fn db<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Db) -> Result<T, Failure> + Send + 'static,
    ) -> Result<T, Failure> {
        let db = self.db.clone();
        let span = tracing::Span::current();
        tokio::task::spawn_blocking(move || span.in_scope(|| f(&db)))
            .await
            .map_err(Failure::unavailable)?
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
        Some(n) if n > state.limits.max_json_bytes => Failure::too_large().into_response(),
        _ => next.run(req).await,
    }
}

/// Count the request as in flight while its handler runs: a graceful
/// shutdown waits for it (an SSE handler returns at once; its stream is ended
/// separately), and past the grace period cuts it with a 503.
async fn in_flight(
    State(shutdown): State<crate::shutdown::Shutdown>,
    req: Request,
    next: Next,
) -> Response {
    let _counted = shutdown.request();
    tokio::select! {
        answer = next.run(req) => answer,
        () = shutdown.requests_cut() => {
            Failure::unavailable("shutting down: the grace period is over").into_response()
        }
    }
}

/// The OpenAPI document of this API (ADR 0016), generated from the handlers.
#[utoipa::path(get, path = "/openapi.json", tag = "meta",
    responses((status = 200, description = "This document (OpenAPI 3.1)", content_type = "application/json")))]
pub async fn openapi() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], doc::json())
}

/// Is the server up and its database answering?
#[utoipa::path(get, path = "/health", tag = "meta",
    responses((status = 200, description = "`ok`", body = String, content_type = "text/plain")))]
pub async fn health(State(state): State<AppState>) -> Result<&'static str, Failure> {
    state
        .db(|db| db.directory_is_empty().map_err(Failure::from))
        .await?;
    Ok("ok")
}

async fn fallback() -> Failure {
    Failure::not_found()
}

/// The API's routes but uploads: they take JSON bodies (refused over the limit).
fn json_api() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(health))
        .routes(routes!(openapi))
        .merge(auth::router())
        .merge(sync::router())
        .merge(events::router())
        .merge(tickets::router())
        .merge(review::router())
        .merge(reference::router())
        .merge(admin::router())
        .merge(audit::router())
        .merge(photos::router())
        .merge(items::router())
        .merge(console::router())
        .merge(devices::router())
        .merge(robots::router())
        .merge(open311::router())
        .merge(reports::router())
}

/// Every route of the API with its documentation: the source of both the
/// router ([`router`]) and the OpenAPI document ([`doc::document`]).
pub fn api() -> OpenApiRouter<AppState> {
    json_api().merge(tus::router())
}

/// Every route, with its limits.
pub fn router(state: AppState) -> Router {
    let (json, _) = json_api().split_for_parts();
    let (uploads, _) = tus::router().split_for_parts();
    let json = json
        .merge(console::pages())
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            refuse_oversize,
        ))
        .layer(DefaultBodyLimit::max(state.limits.max_json_bytes));
    Router::new()
        .merge(json)
        .merge(uploads.layer(DefaultBodyLimit::disable()))
        .fallback(fallback)
        .layer(middleware::from_fn_with_state(
            state.shutdown.clone(),
            in_flight,
        ))
        .with_state(state)
        // Outermost last: the id is set, then the span opened with it; every
        // error answer is JSON; the security headers go on every answer,
        // whoever made it.
        .layer(middleware::from_fn(error::json_errors))
        .layer(middleware::from_fn(headers::security_headers))
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(request_span)
                .on_response(DefaultOnResponse::new().level(Level::INFO))
                // 5xx are transient here (503 + Retry-After), and logged where they arise.
                .on_failure(DefaultOnFailure::new().level(Level::WARN)),
        )
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
}

/// The span of one request: its id, method and path (never the query, the
/// headers or the body — tokens and codes stay out of the log).
fn request_span(req: &Request) -> tracing::Span {
    let id = req
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("-");
    tracing::info_span!(
        "request",
        id = %id,
        method = %req.method(),
        path = %req.uri().path(),
    )
}
