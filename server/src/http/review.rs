//! The review levels over HTTP (rules in `docs/workflow.md`):
//! - the deputy's weekly summary (一周一结报): `PUT`/`GET /v1/weekly/{week}`, and
//!   the coordinators' and staff's view of who filed: `GET /v1/weekly/{week}/all`;
//! - a review level's monthly queue (初审 for town staff, 复审 for city staff) —
//!   cleared when every item is reviewed (一月一清): `GET /v1/review/{level}/{month}`;
//! - an assignment list to the government with its feedback per item (交办清单):
//!   `GET /v1/assignments/{list}`.
//!
//! The marks themselves (review, assign, feedback) are ticket actions pushed
//! through sync, so they are checked by the state machine and land in the
//! timeline; these routes are views over them. Deny by default: each route
//! names the roles it serves, and items are filtered by `crate::access`.

use super::doc::{ApiErrorDoc, Auth, AuthWrite, JsonIn};
use super::error::{ErrorCode, Failure};
use super::extract::{Json, Path};
use super::AppState;
use crate::access::can_see;
use crate::auth::Caller;
use crate::store::review::WeeklyRow;
use crate::store::Db;
use axum::extract::State;
use minqing_protocol::calendar::{month_range, week_range};
use minqing_protocol::wire::{
    AssignedItem, AssignmentList, GovernmentFeedback, Me, ReviewItem, ReviewQueue, WeeklyFiling,
    WeeklyQueue, WeeklySummary,
};
use minqing_protocol::{Action, EventKind, ReviewLevel, Role, Ticket};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(weekly, file_weekly))
        .routes(routes!(weekly_all))
        .routes(routes!(queue))
        .routes(routes!(assignments))
}

const BAD_WEEK: &str =
    "bad_period: not a week written `2020-W40`; malformed: a path that does not decode";
const NO_WEEK: &str = "not_found: week 53 of a year that has 52";

/// `week`'s span: 400 if it is not written as a week, 404 if it is but the
/// year has no such week (`2021-W53`).
fn week(week: &str) -> Result<(i64, i64), Failure> {
    let well_formed = week.len() == 8
        && week.as_bytes()[4..6] == *b"-W"
        && week
            .bytes()
            .enumerate()
            .all(|(i, b)| matches!(i, 4 | 5) || b.is_ascii_digit())
        && (1..=53).contains(&week[6..].parse::<u8>().unwrap_or(0));
    if !well_formed {
        return Err(bad_period("2020-W40"));
    }
    week_range(week).ok_or_else(Failure::not_found)
}

fn bad_period(what: &str) -> Failure {
    Failure::bad_request(
        ErrorCode::BadPeriod,
        format!("时间段格式不对（{what}）"),
        format!("Not a period: expected {what}"),
    )
}

/// One deputy's week, given the tickets reported in it (`week_items`).
fn summary(db: &Db, me: &Me, week: &str, week_items: &[Ticket]) -> Result<WeeklySummary, Failure> {
    let items: Vec<_> = week_items
        .iter()
        .filter(|t| t.reporter == me.user)
        .map(|t| t.id)
        .collect();
    let filed = db.weekly(me.user, week)?;
    Ok(WeeklySummary {
        week: week.to_owned(),
        user: me.user,
        name: me.name.clone(),
        filed: filed.is_some(),
        nothing_this_week: filed.is_some() && items.is_empty(),
        contacts: filed.as_ref().map(|f| f.contacts),
        note: filed.as_ref().map(|f| f.note.clone()),
        filed_at: filed.map(|f| f.filed_at),
        items,
    })
}

/// A deputy files the week's summary (一周一结报), "nothing this week" included.
#[utoipa::path(put, path = "/v1/weekly/{week}", tag = "review",
    security(("bearer" = []), ("console" = [])),
    params(("week" = String, Path, pattern = "^[0-9]{4}-W(0[1-9]|[1-4][0-9]|5[0-3])$", description = "An ISO week, `2020-W40`")),
    request_body = WeeklyFiling,
    responses(
        (status = 200, description = "The deputy's week as filed", body = WeeklySummary),
        JsonIn,
        AuthWrite,
        (status = 400, description = BAD_WEEK, body = ApiErrorDoc),
        (status = 403, description = "forbidden: only deputies file one; csrf: the console's cookie without X-CSRF-Token", body = ApiErrorDoc),
        (status = 404, description = NO_WEEK, body = ApiErrorDoc),
    ))]
pub async fn file_weekly(
    State(state): State<AppState>,
    caller: Caller,
    Path(week): Path<String>,
    Json(filing): Json<WeeklyFiling>,
) -> Result<Json<WeeklySummary>, Failure> {
    if !caller.me.role.is_deputy() {
        return Err(Failure::forbidden(
            "只有代表提交一周一结报",
            "Only deputies file a weekly summary",
        ));
    }
    let (from, to) = self::week(&week)?;
    if filing.contacts > 10_000
        || filing.note.chars().count() > minqing_protocol::machine::MAX_TEXT_CHARS
    {
        return Err(Failure::bad_request(
            ErrorCode::Invalid,
            "接待人数或说明超出范围",
            "contacts or note out of range",
        ));
    }
    let row = WeeklyRow {
        contacts: filing.contacts,
        note: filing.note,
        filed_at: state.clock.now(),
    };
    let me = caller.me;
    state
        .db(move |db| {
            db.file_weekly(me.user, &week, &row)?;
            let items = db.tickets_reported_between(from, to)?;
            summary(db, &me, &week, &items).map(Json)
        })
        .await
}

/// The caller's own week (deputies).
#[utoipa::path(get, path = "/v1/weekly/{week}", tag = "review",
    security(("bearer" = []), ("console" = [])),
    params(("week" = String, Path, pattern = "^[0-9]{4}-W(0[1-9]|[1-4][0-9]|5[0-3])$", description = "An ISO week, `2020-W40`")),
    responses(
        (status = 200, description = "The deputy's week", body = WeeklySummary),
        Auth,
        (status = 400, description = BAD_WEEK, body = ApiErrorDoc),
        (status = 403, description = "forbidden: only deputies have one", body = ApiErrorDoc),
        (status = 404, description = NO_WEEK, body = ApiErrorDoc),
    ))]
pub async fn weekly(
    State(state): State<AppState>,
    caller: Caller,
    Path(week): Path<String>,
) -> Result<Json<WeeklySummary>, Failure> {
    if !caller.me.role.is_deputy() {
        return Err(Failure::forbidden(
            "只有代表有一周一结报",
            "Only deputies have a weekly summary",
        ));
    }
    let (from, to) = self::week(&week)?;
    let me = caller.me;
    state
        .db(move |db| {
            let items = db.tickets_reported_between(from, to)?;
            summary(db, &me, &week, &items).map(Json)
        })
        .await
}

/// Every deputy of the caller's groups (the city's, for city staff), filed or not.
#[utoipa::path(get, path = "/v1/weekly/{week}/all", tag = "review",
    security(("bearer" = []), ("console" = [])),
    params(("week" = String, Path, pattern = "^[0-9]{4}-W(0[1-9]|[1-4][0-9]|5[0-3])$", description = "An ISO week, `2020-W40`")),
    responses(
        (status = 200, description = "The deputies' weeks", body = WeeklyQueue),
        Auth,
        (status = 400, description = BAD_WEEK, body = ApiErrorDoc),
        (status = 403, description = "forbidden: only coordinators and staff", body = ApiErrorDoc),
        (status = 404, description = NO_WEEK, body = ApiErrorDoc),
    ))]
pub async fn weekly_all(
    State(state): State<AppState>,
    caller: Caller,
    Path(week): Path<String>,
) -> Result<Json<WeeklyQueue>, Failure> {
    let me = caller.me;
    if !me.role.supervises() {
        return Err(Failure::forbidden(
            "只有工委和人大工作人员查看代表周报",
            "Only coordinators and staff see the deputies' summaries",
        ));
    }
    let (from, to) = self::week(&week)?;
    state
        .db(move |db| {
            // Read the week's items once, for every deputy's summary.
            let items = db.tickets_reported_between(from, to)?;
            let mut summaries = Vec::new();
            for id in db.deputy_ids()? {
                let Some(deputy) = db.me(id)? else { continue };
                let mine = me.role == Role::CityStaff
                    || deputy.groups.iter().any(|g| me.groups.contains(g));
                if mine {
                    summaries.push(summary(db, &deputy, &week, &items)?);
                }
            }
            let missing = summaries.iter().filter(|s| !s.filed).count() as u32;
            Ok(Json(WeeklyQueue {
                week,
                summaries,
                missing,
            }))
        })
        .await
}

/// A review level's queue for one month (初审: town staff; 复审: city staff).
#[utoipa::path(get, path = "/v1/review/{level}/{month}", tag = "review",
    security(("bearer" = []), ("console" = [])),
    params(
        ("level" = ReviewLevel, Path),
        ("month" = String, Path, pattern = "^[0-9]{4}-(0[1-9]|1[0-2])$", description = "`2020-10`"),
    ),
    responses(
        (status = 200, description = "The month's items and older open ones not reviewed at this level", body = ReviewQueue),
        Auth,
        (status = 400, description = "bad_period: not a month written `2020-10`; malformed: a path that does not decode", body = ApiErrorDoc),
        (status = 403, description = "forbidden: not this level's staff", body = ApiErrorDoc),
        (status = 404, description = "not_found: no such level", body = ApiErrorDoc),
    ))]
pub async fn queue(
    State(state): State<AppState>,
    caller: Caller,
    Path((level, month)): Path<(String, String)>,
) -> Result<Json<ReviewQueue>, Failure> {
    let (level, role) = match level.as_str() {
        "town" => (ReviewLevel::Town, Role::TownStaff),
        "city" => (ReviewLevel::City, Role::CityStaff),
        _ => return Err(Failure::not_found()),
    };
    if caller.me.role != role {
        return Err(Failure::forbidden(
            "无权查看此级审核队列",
            "This review queue is not yours",
        ));
    }
    let (from, to) = month_range(&month).ok_or_else(|| bad_period("2020-10"))?;
    let actor = caller.me.actor();
    state
        .db(move |db| {
            let items: Vec<ReviewItem> = db
                .review_candidates(from, to)?
                .into_iter()
                .filter(|t| can_see(&actor, t) && t.state != minqing_protocol::TicketState::Merged)
                .filter_map(|t| {
                    let reviewed = t.reviewed(level);
                    let this_month = t.created_at >= from;
                    let carried_over = !this_month && !reviewed && !t.state.is_terminal();
                    (this_month || carried_over).then(|| ReviewItem {
                        ticket: t.id,
                        text: t.text.clone(),
                        state: t.state,
                        created_at: t.created_at,
                        reviewed,
                        carried_over,
                    })
                })
                .collect();
            let cleared = items.iter().all(|i| i.reviewed);
            Ok(Json(ReviewQueue {
                level,
                month,
                items,
                cleared,
            }))
        })
        .await
}

fn assigned(t: &Ticket, list: &str) -> Option<AssignedItem> {
    if t.assignment_list() != Some(list) {
        return None;
    }
    let mut assigned_at = 0;
    let mut feedback = Vec::new();
    for e in &t.timeline {
        match &e.kind {
            EventKind::Action {
                action: Action::AssignToGovernment { .. },
            } => assigned_at = e.at,
            EventKind::Action {
                action: Action::GovernmentFeedback { text, resolved },
            } => feedback.push(GovernmentFeedback {
                text: text.clone(),
                resolved: *resolved,
                at: e.at,
            }),
            _ => {}
        }
    }
    Some(AssignedItem {
        ticket: t.id,
        text: t.text.clone(),
        state: t.state,
        assigned_at,
        feedback,
    })
}

/// An assignment list (交办清单) with the government's feedback per item (city staff).
#[utoipa::path(get, path = "/v1/assignments/{list}", tag = "review",
    security(("bearer" = []), ("console" = [])),
    params(("list" = String, Path, description = "The list's name")),
    responses(
        (status = 200, description = "The list (empty when nothing is on it)", body = AssignmentList),
        Auth,
        (status = 400, description = "malformed: a path that does not decode", body = ApiErrorDoc),
        (status = 403, description = "forbidden: only city staff", body = ApiErrorDoc),
    ))]
pub async fn assignments(
    State(state): State<AppState>,
    caller: Caller,
    Path(list): Path<String>,
) -> Result<Json<AssignmentList>, Failure> {
    if caller.me.role != Role::CityStaff {
        return Err(Failure::forbidden(
            "只有市人大机关查看交办清单",
            "Only city staff see assignment lists",
        ));
    }
    state
        .db(move |db| {
            let items = db
                .on_assignment_list(&list)?
                .iter()
                .filter_map(|t| assigned(t, &list))
                .collect();
            Ok(Json(AssignmentList { list, items }))
        })
        .await
}
