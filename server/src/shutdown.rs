//! Graceful shutdown: what the server waits for, and what it ends, when it is
//! asked to stop (SIGTERM or SIGINT; see `crate::app::Server::run_until` for
//! the order).
//!
//! - [`Shutdown::request`] counts the requests being worked on (a layer on
//!   every route takes one for as long as its handler runs), so the server can
//!   wait until the last one is answered;
//! - [`Shutdown::close_streams`] ends the long-lived answers — the SSE streams,
//!   which would otherwise hold their connections open for ever — once the
//!   requests in flight are done;
//! - [`Shutdown::cut_requests`] ends the requests still running when the grace
//!   period is over: each is answered 503 + `Retry-After` (so its client tries
//!   again later) and its handler is dropped; database work it began goes on
//!   to its commit on the blocking pool, which the process waits for;
//! - [`signals`] is the future that completes on the first SIGTERM or SIGINT.

use tokio::sync::watch;

/// The server's shutdown state, shared by the routes and the serving loop.
#[derive(Clone)]
pub struct Shutdown {
    in_flight: watch::Sender<usize>,
    closing: watch::Sender<bool>,
    cutting: watch::Sender<bool>,
}

impl Default for Shutdown {
    fn default() -> Self {
        Self::new()
    }
}

impl Shutdown {
    pub fn new() -> Self {
        Shutdown {
            in_flight: watch::Sender::new(0),
            closing: watch::Sender::new(false),
            cutting: watch::Sender::new(false),
        }
    }

    /// One request being worked on, until the guard is dropped.
    pub fn request(&self) -> InFlight {
        self.in_flight.send_modify(|n| *n += 1);
        InFlight(self.in_flight.clone())
    }

    /// How many requests are being worked on now.
    pub fn in_flight(&self) -> usize {
        *self.in_flight.borrow()
    }

    /// Wait until no request is being worked on.
    pub async fn idle(&self) {
        let mut rx = self.in_flight.subscribe();
        let _ = rx.wait_for(|n| *n == 0).await;
    }

    /// End every long-lived stream (SSE), now and any opened later.
    pub fn close_streams(&self) {
        self.closing.send_replace(true);
    }

    /// Completes when the streams are to end.
    pub fn streams_closed(&self) -> impl std::future::Future<Output = ()> + Send + 'static {
        fired(&self.closing)
    }

    /// End every request still running (the grace period is over).
    pub fn cut_requests(&self) {
        self.cutting.send_replace(true);
    }

    /// Completes when the requests still running are to be cut.
    pub fn requests_cut(&self) -> impl std::future::Future<Output = ()> + Send + 'static {
        fired(&self.cutting)
    }
}

/// Completes once `switch` is on (at once if it already is).
fn fired(switch: &watch::Sender<bool>) -> impl std::future::Future<Output = ()> + Send + 'static {
    let mut rx = switch.subscribe();
    async move {
        let _ = rx.wait_for(|on| *on).await;
    }
}

/// A request in flight; counted until dropped.
pub struct InFlight(watch::Sender<usize>);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.send_modify(|n| *n = n.saturating_sub(1));
    }
}

/// Completes with the signal's name on the first SIGTERM or SIGINT. The
/// handlers are installed when this is called (not when it is first polled),
/// so a signal that arrives in between is not lost.
pub fn signals() -> std::io::Result<impl std::future::Future<Output = &'static str> + Send> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    Ok(async move {
        tokio::select! {
            _ = term.recv() => "SIGTERM",
            _ = int.recv() => "SIGINT",
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test]
    async fn idle_waits_for_the_last_request() {
        let s = Shutdown::new();
        s.idle().await;
        let a = s.request();
        let b = s.request();
        assert_eq!(s.in_flight(), 2);
        let waiting = tokio::spawn({
            let s = s.clone();
            async move { s.idle().await }
        });
        drop(a);
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert!(!waiting.is_finished(), "one request is still in flight");
        drop(b);
        tokio::time::timeout(Duration::from_secs(1), waiting)
            .await
            .expect("idle once the last request is done")
            .expect("join");
    }

    #[tokio::test]
    async fn streams_close_also_when_opened_after() {
        let s = Shutdown::new();
        let before = s.streams_closed();
        s.close_streams();
        tokio::time::timeout(Duration::from_secs(1), before)
            .await
            .expect("closed");
        tokio::time::timeout(Duration::from_secs(1), s.streams_closed())
            .await
            .expect("a stream opened after the close ends at once");
    }
}
