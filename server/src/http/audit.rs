//! `GET /v1/admin/contact-access`: the audit of who was shown a constituent's
//! private contact (`crate::access`), for the administrator only (403 for
//! everyone else). Oldest first, paged by id; filter by `user` or `ticket`.

use super::error::Failure;
use super::extract::{Admin, Query};
use super::AppState;
use crate::store::audit::Filter;
use axum::extract::State;
use axum::routing::get;
use axum::Router;
use minqing_protocol::wire::ContactAccessLog;
use minqing_protocol::{TicketId, UserId};
use serde::Deserialize;

/// At most this many entries per answer.
pub const PAGE: usize = 500;

pub fn router() -> Router<AppState> {
    Router::new().route("/v1/admin/contact-access", get(contact_access))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccessQuery {
    #[serde(default)]
    after: i64,
    user: Option<UserId>,
    ticket: Option<TicketId>,
    limit: Option<usize>,
}

pub async fn contact_access(
    State(state): State<AppState>,
    _: Admin,
    Query(q): Query<AccessQuery>,
) -> Result<super::extract::Json<ContactAccessLog>, Failure> {
    let limit = q.limit.unwrap_or(PAGE).clamp(1, PAGE);
    let filter = Filter {
        user: q.user.map(|u| u.to_string()),
        ticket: q.ticket.map(|t| t.to_string()),
    };
    state
        .db(move |db| {
            let entries = db.contact_access(&filter, q.after, limit)?;
            let next = (entries.len() == limit)
                .then(|| entries.last().map(|e| e.id))
                .flatten();
            Ok(super::extract::Json(ContactAccessLog { entries, next }))
        })
        .await
}
