//! Accepting connections (issue 16, item 1): hyper's HTTP/1 server under the
//! router, with what `axum::serve` does not bound:
//!
//! - **a request head timeout** (`header_read_timeout_secs`): hyper's timer
//!   starts when a connection begins to wait for a request — when it opens,
//!   and again after each answer — and the connection is closed unless a
//!   complete request head has arrived by then. It closes both a client that
//!   sends its headers a byte at a time and an idle keep-alive connection
//!   (before, both stayed open for ever);
//! - **a cap on open connections** (`max_connections`): at the cap the server
//!   stops accepting (new clients wait in the kernel's backlog) until one
//!   closes, rather than running out of file descriptors;
//! - the peer's address in every request (`ConnectInfo`), which the throttle
//!   counts by (`crate::throttle::ClientAddr`).
//!
//! A graceful stop ([`serve`]'s `stop`) closes the listening socket, closes
//! idle connections, lets the others finish their answers, and returns when
//! the last one has closed — as `axum::serve`'s graceful shutdown does.

use axum::extract::ConnectInfo;
use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tower::ServiceExt;

/// How connections are held.
#[derive(Debug, Clone, Copy)]
pub struct ConnLimits {
    /// From waiting for a request to having its whole head.
    pub header_read_timeout: Duration,
    /// Open connections at most.
    pub max_connections: usize,
}

/// Serve `router` on `listener` until `stop` completes, then stop gracefully
/// (see the module doc).
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: ConnLimits,
    stop: impl Future<Output = ()> + Send,
) -> std::io::Result<()> {
    let graceful = GracefulShutdown::new();
    let slots = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        .keep_alive(true);
    tokio::pin!(stop);
    loop {
        let slot = tokio::select! {
            slot = slots.clone().acquire_owned() => match slot {
                Ok(s) => s,
                Err(_) => break,
            },
            () = &mut stop => break,
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    if !is_connection_error(&e) {
                        // Out of file descriptors, or the like: wait a little
                        // rather than spin (as axum::serve does).
                        tracing::error!(error = %e, "accept failed");
                        tokio::select! {
                            () = tokio::time::sleep(Duration::from_secs(1)) => {}
                            () = &mut stop => break,
                        }
                    }
                    continue;
                }
            },
            () = &mut stop => break,
        };
        let _ = stream.set_nodelay(true);
        let service = router
            .clone()
            .map_request(move |mut req: axum::http::Request<Incoming>| {
                req.extensions_mut().insert(ConnectInfo(peer));
                req
            });
        let conn = http.serve_connection(TokioIo::new(stream), TowerToHyperService::new(service));
        let conn = graceful.watch(conn);
        tokio::spawn(async move {
            if let Err(e) = conn.await {
                tracing::debug!(%peer, error = %e, "connection ended with an error");
            }
            drop(slot);
        });
    }
    drop(listener);
    graceful.shutdown().await;
    Ok(())
}

fn is_connection_error(e: &std::io::Error) -> bool {
    matches!(
        e.kind(),
        std::io::ErrorKind::ConnectionRefused
            | std::io::ErrorKind::ConnectionAborted
            | std::io::ErrorKind::ConnectionReset
    )
}
