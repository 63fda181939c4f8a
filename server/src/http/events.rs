//! `GET /v1/events`: Server-Sent Events. The stream opens with a poke (so a
//! client that just connected pulls once), then pokes whenever anything may
//! have changed, and a comment every 15 s keeps proxies from closing it.
//! When the server shuts down, the stream ends (cleanly: the client sees the
//! end of the answer, not a reset) once the requests in flight are answered.

use super::AppState;
use crate::auth::Caller;
use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::routing::get;
use axum::Router;
use futures_util::stream::{self, Stream, StreamExt};
use std::convert::Infallible;
use std::time::Duration;
use tokio_stream::wrappers::BroadcastStream;

pub fn router() -> Router<AppState> {
    Router::new().route("/v1/events", get(sse))
}

pub async fn sse(
    State(state): State<AppState>,
    _caller: Caller,
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
