//! What a device keeps to name things and compute deadlines offline:
//! `GET /v1/reference?since=<version>` (wire types in
//! `minqing_protocol::wire::ReferenceResponse`). The answer is the same for
//! everyone of the same view (units, groups, the people the caller may meet
//! on an item, jurisdictions, the taxonomy and calendar years in effect, the
//! clock rules); `version` is a hash of it, so an unchanged copy costs one
//! short answer.

use super::error::Failure;
use super::extract::Query;
use super::AppState;
use crate::auth::Caller;
use crate::workflow::reference::{CALENDAR_PREFIX, TAXONOMY};
use axum::extract::State;
use axum::Json;
use minqing_protocol::wire::{CalendarYear, ReferenceData, ReferenceResponse};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(reference))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ReferenceQuery {
    /// The `version` the device holds (absent on its first fetch).
    since: Option<String>,
}

/// What a device keeps to work offline: names, the taxonomy, the calendar
/// years, the clock rules.
#[utoipa::path(get, path = "/v1/reference", tag = "reference",
    security(("bearer" = []), ("console" = [])),
    params(ReferenceQuery),
    responses(
        (status = 200, description = "`unchanged`, or the whole current data", body = ReferenceResponse),
        super::doc::Auth,
        (status = 400, description = "malformed: the query does not parse, or has a parameter it may not", body = super::doc::ApiErrorDoc),
    ))]
pub async fn reference(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<ReferenceQuery>,
) -> Result<Json<ReferenceResponse>, Failure> {
    let actor = caller.me.actor();
    let defaults = state.reference.clone();
    state
        .db(move |db| {
            let (units, groups, people) = db.reference_directory(&actor)?;
            let jurisdictions = db.jurisdictions()?;
            let files = defaults.with(db.reference_data()?).files;
            let taxonomy_toml = files.get(TAXONOMY).cloned().unwrap_or_default();
            let calendar_years = files
                .iter()
                .filter_map(|(name, body)| {
                    let year = name.strip_prefix(CALENDAR_PREFIX)?.parse().ok()?;
                    Some(CalendarYear {
                        year,
                        toml: body.clone(),
                    })
                })
                .collect();
            let mut data = ReferenceData {
                version: String::new(),
                units,
                groups,
                people,
                jurisdictions,
                taxonomy_toml,
                calendar_years,
                policy: db.workflow().policy.clone(),
            };
            let body = serde_json::to_vec(&data).map_err(crate::store::StoreError::from)?;
            data.version = hex::encode(&Sha256::digest(&body)[..12]);
            Ok(Json(if q.since.as_deref() == Some(data.version.as_str()) {
                ReferenceResponse::Unchanged {
                    version: data.version,
                }
            } else {
                ReferenceResponse::Changed {
                    reference: Box::new(data),
                }
            }))
        })
        .await
}
