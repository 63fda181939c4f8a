//! `GET /v1/photos/{id}`: a finished photo, for its uploader and everyone who
//! may see its ticket (else 404). Uploads themselves are `super::tus`.

use super::error::Failure;
use super::extract::Id;
use super::AppState;
use crate::access::can_see;
use crate::auth::Caller;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(photo))
}

/// A finished photo, byte for byte as its SHA-256 was recorded.
#[utoipa::path(get, path = "/v1/photos/{id}", tag = "tickets",
    security(("bearer" = []), ("console" = [])),
    params(("id" = minqing_protocol::PhotoId, Path)),
    responses(
        (status = 200, description = "The JPEG", content_type = "image/jpeg", body = super::doc::Binary),
        super::doc::Auth,
        (status = 404, description = "not_found: no such finished photo, or not the caller's to see", body = super::doc::ApiErrorDoc),
    ))]
pub async fn photo(
    State(state): State<AppState>,
    caller: Caller,
    Id(id): Id,
) -> Result<Response, Failure> {
    let pid = id.to_string();
    let user = caller.me.user.to_string();
    let actor = caller.me.actor();
    let key = pid.clone();
    let allowed = state
        .db(move |db| {
            let Some(rec) = db.upload_by_photo(&key)? else {
                return Ok(false);
            };
            if !rec.completed {
                return Ok(false);
            }
            if rec.user_id == user {
                return Ok(true);
            }
            Ok(db.ticket(&rec.ticket_id)?.is_some_and(|t| {
                can_see(&actor, &t) && t.photos.iter().any(|p| p.id.to_string() == key)
            }))
        })
        .await?;
    if !allowed {
        return Err(Failure::not_found());
    }
    let bytes = state
        .uploads
        .photo(&pid)
        .await
        .map_err(Failure::unavailable)?;
    // A photo is checked to be a JPEG when it arrives; nosniff makes a
    // browser believe it too, never render it as something else.
    Ok((
        [
            (header::CONTENT_TYPE, "image/jpeg"),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        ],
        bytes,
    )
        .into_response())
}
