//! `GET /v1/admin/contact-access`: the audit of who was shown a constituent's
//! private contact (`crate::access`), for the administrator only (403 for
//! everyone else). Oldest first, paged by id; filter by `user` or `ticket`.

use super::error::Failure;
use super::extract::{Admin, Query};
use super::AppState;
use crate::store::audit::Filter;
use axum::extract::State;
use minqing_protocol::wire::ContactAccessLog;
use minqing_protocol::{TicketId, UserId};
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// At most this many entries per answer.
pub const PAGE: usize = 500;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(contact_access))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct AccessQuery {
    /// Entries after this id (`next` of the page before).
    #[serde(default)]
    after: i64,
    /// Only what this person was shown.
    user: Option<UserId>,
    /// Only this item's disclosures.
    ticket: Option<TicketId>,
    /// At most this many (1–500; more or fewer are taken as the bound).
    #[param(value_type = Option<u64>)]
    limit: Option<usize>,
}

/// Who was shown a constituent's contact, oldest first (the administrator).
#[utoipa::path(get, path = "/v1/admin/contact-access", tag = "admin",
    security(("bearer" = []), ("console" = [])),
    params(AccessQuery),
    responses(
        (status = 200, description = "A page of disclosures", body = ContactAccessLog),
        super::doc::AdminOnly,
        (status = 400, description = "malformed: the query does not parse, or has a parameter it may not", body = super::doc::ApiErrorDoc),
    ))]
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
