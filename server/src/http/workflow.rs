//! Workflow reads beyond sync: possible duplicates of an item (for the
//! coordinator's and the reviewers' merge decision). Rules in
//! `minqing_protocol::duplicates`; only items the caller may see are listed.

use super::error::Failure;
use super::{path_uuid, AppState};
use crate::access::can_see;
use crate::auth::Caller;
use axum::extract::{Path, State};
use axum::Json;
use minqing_protocol::duplicates::{candidates, Probe};
use minqing_protocol::wire::{DuplicateCandidate, DuplicatesResponse};

pub async fn duplicates(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<DuplicatesResponse>, Failure> {
    let id = path_uuid(&id)?.to_string();
    let actor = caller.me.actor();
    let rule = state.duplicate_rule;
    state
        .db(move |db| {
            let Some(t) = db.ticket(&id)?.filter(|t| can_see(&actor, t)) else {
                return Err(Failure::not_found());
            };
            let Some(category) = t.category.clone() else {
                return Ok(Json(DuplicatesResponse { candidates: vec![] }));
            };
            let open: Vec<_> = db
                .open_in_category(&category)?
                .into_iter()
                .filter(|x| can_see(&actor, x))
                .collect();
            let found = candidates(Probe::of(&t), &open, &rule)
                .into_iter()
                .filter_map(|c| {
                    let x = open.iter().find(|x| x.id == c.ticket)?;
                    Some(DuplicateCandidate {
                        ticket: c.ticket,
                        text: x.text.clone(),
                        state: x.state,
                        reporter: x.reporter,
                        distance_m: c.distance_m,
                        apart_ms: c.apart_ms,
                    })
                })
                .collect();
            Ok(Json(DuplicatesResponse { candidates: found }))
        })
        .await
}
