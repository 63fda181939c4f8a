//! `GET /v1/events`: Server-Sent Events. The stream opens with a poke (so a
//! client that just connected pulls once), then pokes whenever anything may
//! have changed, and a comment every 15 s keeps proxies from closing it.
//! When the server shuts down, the stream ends (cleanly: the client sees the
//! end of the answer, not a reset) once the requests in flight are answered.

use super::AppState;
use crate::auth::Caller;
use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::stream::{self, Stream, StreamExt};
use std::convert::Infallible;
use std::time::Duration;
use tokio_stream::wrappers::BroadcastStream;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(sse))
}

/// Server-Sent Events: `event: poke` (no data) at once, then whenever
/// something may have changed; a comment every 15 s.
#[utoipa::path(get, path = "/v1/events", tag = "sync",
    security(("bearer" = []), ("console" = [])),
    params(("minqing-protocol" = u32, Header, minimum = 1, description = "The protocol version the client speaks (digits)")),
    responses(
        (status = 200, description = "The stream, until the server shuts down", content_type = "text/event-stream", body = String),
        super::doc::Auth,
        (status = 426, description = super::sync::TOO_OLD, body = super::doc::ApiErrorDoc),
    ))]
pub async fn sse(
    State(state): State<AppState>,
    _caller: Caller,
    _: super::extract::Protocol,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let first = stream::once(async { Ok(Event::default().event("poke").data("")) });
    // A lagged receiver missed pokes: that is itself a reason to pull.
    let rest = BroadcastStream::new(state.pokes.subscribe())
        .map(|_| Ok(Event::default().event("poke").data("")));
    let until_shutdown = first
        .chain(rest)
        .take_until(state.shutdown.streams_closed());
    Sse::new(until_shutdown).keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
}
