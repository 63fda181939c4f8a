//! The headers every answer carries (issue 16, item 7), set in one place, the
//! outermost layer, so error answers, the fallback 404 and the shutdown's 503
//! carry them too:
//!
//! - always, replacing anything a handler set: `X-Content-Type-Options:
//!   nosniff` (a browser never guesses a type: a photo is a JPEG, JSON is JSON),
//!   `X-Frame-Options: DENY` and `Referrer-Policy: no-referrer`;
//! - unless the handler chose its own: `Cache-Control: no-store` (answers carry
//!   tokens or personal data: logins, `me`, tickets, pulls, notifications,
//!   photos — nothing of them may stay in a shared or disk cache),
//!   `Content-Security-Policy: default-src 'none'; frame-ancestors 'none'` (a
//!   JSON API loads nothing and is framed by no one) and
//!   `Cross-Origin-Resource-Policy: same-origin`.
//!
//! The web console, when it comes, sets its own `Content-Security-Policy` (and
//! `Cache-Control` for its static files) in its router; these defaults then
//! stay out of its way. `Strict-Transport-Security` belongs to the TLS
//! terminator in front of the server (the server itself speaks plain HTTP).

use axum::extract::Request;
use axum::http::{HeaderName, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;

/// Set on every answer, whatever the handler said.
pub const ALWAYS: &[(&str, &str)] = &[
    ("x-content-type-options", "nosniff"),
    ("x-frame-options", "DENY"),
    ("referrer-policy", "no-referrer"),
];

/// Set on every answer whose handler did not set its own.
pub const DEFAULTS: &[(&str, &str)] = &[
    ("cache-control", "no-store"),
    (
        "content-security-policy",
        "default-src 'none'; frame-ancestors 'none'",
    ),
    ("cross-origin-resource-policy", "same-origin"),
];

/// The middleware (`axum::middleware::from_fn`).
pub async fn security_headers(req: Request, next: Next) -> Response {
    let mut answer = next.run(req).await;
    let h = answer.headers_mut();
    for (name, value) in ALWAYS {
        h.insert(
            HeaderName::from_static(name),
            HeaderValue::from_static(value),
        );
    }
    for (name, value) in DEFAULTS {
        let name = HeaderName::from_static(name);
        if !h.contains_key(&name) {
            h.insert(name, HeaderValue::from_static(value));
        }
    }
    answer
}
