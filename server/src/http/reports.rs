//! Reports over HTTP (issue 14; definitions in `docs/report.md`):
//!
//! - `GET /v1/stats` — every figure of a period and area, each with the
//!   link to the items behind it;
//! - `GET /v1/stats/items` — those items, one page at a time (the same
//!   selector over the same scan as the figure: the list has as many items);
//! - `GET /v1/reports/{period}` — the 民情专报 as PDF or DOCX (a stored one
//!   when the monthly run made it, else made now);
//! - `GET /v1/ledgers/master`, `/v1/ledgers/deputy/{user}`,
//!   `/v1/ledgers/unit/{unit}` — the 台帐 as XLSX.
//!
//! Who may ask (deny by default; `docs/security.md`): city staff and the
//! administrator everything; town staff the figures, documents and master
//! ledger of what they see (their groups, `crate::access::scope`); a deputy
//! their own 履职台帐; a unit's contacts and head their unit's ledger.
//! Everyone else: 403. No ledger carries a constituent's contact, whoever
//! asks (the ledgers count and trace items; contacting people is the item
//! page's, under its audit).

use super::doc::{ApiErrorDoc, Auth, Binary};
use super::error::{ErrorCode, Failure};
use super::extract::{Json, Query};
use super::items::{reporter_names, summary, ItemPage, MAX_PER_PAGE};
use super::AppState;
use crate::access::{can_see, scope, Scope};
use crate::auth::Caller;
use crate::report::document;
use crate::report::ledger::{Kind, Spec};
use crate::report::stats::{Area, Ctx, Period, Selector, Stats};
use crate::store::listing::ItemRow;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use minqing_protocol::{Actor, Role};
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(stats))
        .routes(routes!(stats_items))
        .routes(routes!(report))
        .routes(routes!(master_ledger))
        .routes(routes!(deputy_ledger))
        .routes(routes!(unit_ledger))
}

const BAD_QUERY: &str = "malformed: a period, area, figure or row out of its form";
const FORBIDDEN: &str =
    "forbidden: not a role that may have this report or ledger (deny by default)";

fn bad(what: &str) -> Failure {
    Failure::bad_request(
        ErrorCode::Malformed,
        format!("查询条件不正确：{what}"),
        format!("Bad query: {what}"),
    )
}

fn forbidden() -> Failure {
    Failure::forbidden(
        "无权查看此统计或台帐",
        "Not allowed to see this report or ledger",
    )
}

/// What the figures, documents and master ledger cover for `actor`: city
/// staff and the administrator everything, town staff their groups, others
/// nothing (403).
fn report_scope(actor: &Actor) -> Result<Scope, Failure> {
    match actor.role {
        Role::CityStaff | Role::Admin => Ok(Scope::All),
        Role::TownStaff => Ok(scope(actor)),
        _ => Err(forbidden()),
    }
}

/// The period and area of a query: `period` a month (`2020-09`) or days
/// (`2020-09-01..2020-09-30`; default: this month), `area` `city`,
/// `town:<code>`, `group:<id>` or `unit:<id>` (default `city`).
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct StatsQuery {
    #[param(example = "2020-09")]
    pub period: Option<String>,
    #[param(example = "city")]
    pub area: Option<String>,
}

fn period(p: Option<&str>, now: i64) -> Result<Period, Failure> {
    match p {
        None => Ok(Period::month_of(now)),
        Some(p) => Period::parse(p)
            .ok_or_else(|| bad("period: YYYY-MM or YYYY-MM-DD..YYYY-MM-DD (at most three years)")),
    }
}

fn area(a: Option<&str>) -> Result<Area, Failure> {
    a.unwrap_or("city")
        .parse()
        .map_err(|()| bad("area: city, town:<code>, group:<id> or unit:<id>"))
}

/// Every figure of a period and area (within what the caller sees), each
/// `{value, items}` with `items` the link to the list behind it.
#[utoipa::path(get, path = "/v1/stats", tag = "reports",
    security(("bearer" = []), ("console" = [])),
    params(StatsQuery),
    responses(
        (status = 200, description = "Every figure (docs/report.md)", body = Stats),
        Auth,
        (status = 400, description = BAD_QUERY, body = ApiErrorDoc),
        (status = 403, description = FORBIDDEN, body = ApiErrorDoc),
    ))]
pub async fn stats(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<StatsQuery>,
) -> Result<Json<Stats>, Failure> {
    let sc = report_scope(&caller.me.actor())?;
    let now = state.clock.now();
    let ctx = Ctx::new(
        period(q.period.as_deref(), now)?,
        area(q.area.as_deref())?,
        now,
    );
    state.db(move |db| Ok(Json(db.stats(&sc, &ctx)?.0))).await
}

/// A figure's items: the figure's link's query plus a page.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct FigureQuery {
    pub period: Option<String>,
    pub area: Option<String>,
    /// `received`, `explained`, `assigned`, `assigned.group`,
    /// `assigned.town`, `assigned.city`, `unassigned`, `resolved`, … with
    /// `prev.` or `total.` before it, or `carried.assigned`,
    /// `carried.resolved` (docs/report.md).
    pub figure: String,
    /// `town:<code>`, `unit:<id>`, `category:<code>`, `item:<code>`,
    /// `deputy:<id>` or `month:YYYY-MM`.
    pub row: Option<String>,
    /// 1-based.
    #[param(value_type = Option<u64>)]
    pub page: Option<usize>,
    /// 1–100 (20 when absent).
    #[param(value_type = Option<u64>)]
    pub per_page: Option<usize>,
}

/// The items a figure of `GET /v1/stats` counts, newest first: `total` is
/// the figure.
#[utoipa::path(get, path = "/v1/stats/items", tag = "reports",
    security(("bearer" = []), ("console" = [])),
    params(FigureQuery),
    responses(
        (status = 200, description = "One page of the figure's items", body = ItemPage),
        Auth,
        (status = 400, description = BAD_QUERY, body = ApiErrorDoc),
        (status = 403, description = FORBIDDEN, body = ApiErrorDoc),
    ))]
pub async fn stats_items(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<FigureQuery>,
) -> Result<Json<ItemPage>, Failure> {
    let actor = caller.me.actor();
    let sc = report_scope(&actor)?;
    let now = state.clock.now();
    let ctx = Ctx::new(
        period(q.period.as_deref(), now)?,
        area(q.area.as_deref())?,
        now,
    );
    let sel = Selector::parse(&q.figure, q.row.as_deref())
        .ok_or_else(|| bad("figure/row: see docs/report.md"))?;
    let per_page = q.per_page.unwrap_or(20).clamp(1, MAX_PER_PAGE);
    let page = q.page.unwrap_or(1).clamp(1, 100_000);
    state
        .db(move |db| {
            let (total, rows) = db.stats_items(&sc, &ctx, &sel, (page - 1) * per_page, per_page)?;
            let rows: Vec<ItemRow> = rows
                .into_iter()
                .filter(|r| can_see(&actor, &r.ticket))
                .collect();
            let names = reporter_names(db, &rows)?;
            Ok(Json(ItemPage {
                total,
                page,
                per_page,
                items: rows.into_iter().map(|r| summary(r, &names, now)).collect(),
            }))
        })
        .await
}

/// The document's format and area.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ReportQuery {
    /// `pdf` (default) or `docx`.
    #[param(pattern = "^(pdf|docx)$")]
    pub format: Option<String>,
    pub area: Option<String>,
}

const PDF: &str = "application/pdf";
const DOCX: &str = "application/vnd.openxmlformats-officedocument.wordprocessingml.document";
const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

fn download(bytes: Vec<u8>, mime: &'static str, file: String) -> Response {
    (
        [
            (header::CONTENT_TYPE, mime.to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{file}\""),
            ),
            (header::CACHE_CONTROL, "private, no-store".to_owned()),
        ],
        bytes,
    )
        .into_response()
}

fn doc_failure(e: document::DocError) -> Failure {
    Failure::unavailable(format!("report document: {e}"))
}

/// The 民情专报 of a period (`2020-09`, or days `2020-09-01..2020-09-30`)
/// as PDF or DOCX. The city's monthly reports the first working day's run
/// stored are served as stored; any other is made now (PDF: a headless
/// Chromium print, a few seconds).
#[utoipa::path(get, path = "/v1/reports/{period}", tag = "reports",
    security(("bearer" = []), ("console" = [])),
    params(("period" = String, Path, example = "2020-09"), ReportQuery),
    responses(
        (status = 200, description = "The document", content(
            (Binary = "application/pdf"),
            (Binary = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"))),
        Auth,
        (status = 400, description = BAD_QUERY, body = ApiErrorDoc),
        (status = 403, description = FORBIDDEN, body = ApiErrorDoc),
        (status = 503, description = "unavailable: the PDF printer (Chromium) failed or is missing", body = ApiErrorDoc),
    ))]
pub async fn report(
    State(state): State<AppState>,
    caller: Caller,
    Path(p): Path<String>,
    Query(q): Query<ReportQuery>,
) -> Result<Response, Failure> {
    let sc = report_scope(&caller.me.actor())?;
    let now = state.clock.now();
    let period = period(Some(&p), now)?;
    let area = area(q.area.as_deref())?;
    let pdf = match q.format.as_deref() {
        None | Some("pdf") => true,
        Some("docx") => false,
        Some(_) => return Err(bad("format: pdf or docx")),
    };
    let file = format!(
        "minqing-report-{}-{}.{}",
        period.key.replace("..", "_"),
        area.key().replace(':', "-"),
        if pdf { "pdf" } else { "docx" }
    );
    let stored = (sc == Scope::All && area == Area::City).then(|| state.reports.dir.clone());
    let chromium = state.reports.chromium.clone();
    let bytes = state
        .db(move |db| {
            if let Some(b) = stored
                .as_deref()
                .and_then(|dir| crate::report::monthly::stored(dir, &period.key, pdf))
            {
                return Ok(b);
            }
            let (s, _) = db.stats(&sc, &Ctx::new(period, area, now))?;
            if pdf {
                document::pdf(&document::html(&s, now), &chromium).map_err(doc_failure)
            } else {
                document::docx(&s, now).map_err(doc_failure)
            }
        })
        .await?;
    Ok(download(bytes, if pdf { PDF } else { DOCX }, file))
}

/// A ledger's period: `period` optional (every item when absent).
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct LedgerQuery {
    #[param(example = "2020-09")]
    pub period: Option<String>,
}

async fn ledger(
    state: AppState,
    sc: Scope,
    kind: Kind,
    q: LedgerQuery,
    file: String,
) -> Result<Response, Failure> {
    let p = match q.period.as_deref() {
        Some(p) => Some(period(Some(p), 0)?),
        None => None,
    };
    let now = state.clock.now();
    let bytes = state
        .db(move |db| {
            let names = db.report_names()?;
            let who = match &kind {
                Kind::Master => {
                    names
                        .jurisdictions
                        .iter()
                        .find(|(_, _, k)| k == "city")
                        .map_or_else(|| "全市".to_owned(), |(_, n, _)| n.clone())
                        + "民情总台帐"
                }
                Kind::Deputy(u) => {
                    let name = names
                        .users
                        .iter()
                        .find(|(id, _, role, _)| {
                            id == u && (role == "city_deputy" || role == "town_deputy")
                        })
                        .map(|(_, n, _, _)| n.clone())
                        .ok_or_else(Failure::not_found)?;
                    format!("{name}代表履职台帐")
                }
                Kind::Unit(u) => {
                    let name = names
                        .units
                        .iter()
                        .find(|(id, _, _)| id == u)
                        .map(|(_, n, _)| n.clone())
                        .ok_or_else(Failure::not_found)?;
                    format!("{name}办理台帐")
                }
            };
            let title = match &p {
                Some(p) => format!("{who}（{}）", p.label_zh()),
                None => format!("{who}（截至{}）", crate::report::ledger::stamp(now)),
            };
            let spec = Spec {
                kind,
                from: p.as_ref().map(|p| p.from),
                before: p.as_ref().map(|p| p.to),
                title,
            };
            let summary = match (&spec.kind, &p) {
                (Kind::Master, Some(p)) => {
                    Some(db.stats(&sc, &Ctx::new(p.clone(), Area::City, now))?.0)
                }
                _ => None,
            };
            let tmp = tempfile::NamedTempFile::new()
                .map_err(|e| Failure::unavailable(format!("ledger file: {e}")))?;
            db.ledger(&sc, &spec, summary.as_ref(), tmp.path())?;
            std::fs::read(tmp.path()).map_err(|e| Failure::unavailable(format!("ledger file: {e}")))
        })
        .await?;
    Ok(download(bytes, XLSX, file))
}

/// An id in the path: a UUID written canonically (lower case), else 404.
fn uuid_path(s: &str) -> Result<uuid::Uuid, Failure> {
    s.parse::<uuid::Uuid>()
        .ok()
        .filter(|u| u.to_string() == s)
        .ok_or_else(Failure::not_found)
}

fn ledger_file(what: &str, q: &LedgerQuery) -> String {
    format!(
        "minqing-ledger-{what}{}.xlsx",
        q.period
            .as_deref()
            .map(|p| format!("-{}", p.replace("..", "_")))
            .unwrap_or_default()
    )
}

/// 总台帐: every item the caller sees (city staff, the administrator; town
/// staff their groups'), with a summary sheet when a period is given.
#[utoipa::path(get, path = "/v1/ledgers/master", tag = "reports",
    security(("bearer" = []), ("console" = [])),
    params(LedgerQuery),
    responses(
        (status = 200, description = "The XLSX workbook", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", body = Binary),
        Auth,
        (status = 400, description = BAD_QUERY, body = ApiErrorDoc),
        (status = 403, description = FORBIDDEN, body = ApiErrorDoc),
    ))]
pub async fn master_ledger(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<LedgerQuery>,
) -> Result<Response, Failure> {
    let sc = report_scope(&caller.me.actor())?;
    let file = ledger_file("master", &q);
    ledger(state, sc, Kind::Master, q, file).await
}

/// 履职台帐: a deputy's items (reported or co-reported) and weekly
/// summaries — for the deputy themself, city staff and the administrator.
#[utoipa::path(get, path = "/v1/ledgers/deputy/{user}", tag = "reports",
    security(("bearer" = []), ("console" = [])),
    params(("user" = String, Path), LedgerQuery),
    responses(
        (status = 200, description = "The XLSX workbook", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", body = Binary),
        Auth,
        (status = 400, description = BAD_QUERY, body = ApiErrorDoc),
        (status = 403, description = FORBIDDEN, body = ApiErrorDoc),
        (status = 404, description = "not_found: no such deputy", body = ApiErrorDoc),
    ))]
pub async fn deputy_ledger(
    State(state): State<AppState>,
    caller: Caller,
    Path(user): Path<String>,
    Query(q): Query<LedgerQuery>,
) -> Result<Response, Failure> {
    let user = uuid_path(&user)?;
    let actor = caller.me.actor();
    let sc = match actor.role {
        Role::CityStaff | Role::Admin => Scope::All,
        Role::CityDeputy | Role::TownDeputy if actor.user.0 == user => scope(&actor),
        _ => return Err(forbidden()),
    };
    let file = ledger_file(&format!("deputy-{user}"), &q);
    ledger(state, sc, Kind::Deputy(user.to_string()), q, file).await
}

/// A unit's ledger: the items it holds — for its contacts and head, city
/// staff and the administrator.
#[utoipa::path(get, path = "/v1/ledgers/unit/{unit}", tag = "reports",
    security(("bearer" = []), ("console" = [])),
    params(("unit" = String, Path), LedgerQuery),
    responses(
        (status = 200, description = "The XLSX workbook", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", body = Binary),
        Auth,
        (status = 400, description = BAD_QUERY, body = ApiErrorDoc),
        (status = 403, description = FORBIDDEN, body = ApiErrorDoc),
        (status = 404, description = "not_found: no such unit", body = ApiErrorDoc),
    ))]
pub async fn unit_ledger(
    State(state): State<AppState>,
    caller: Caller,
    Path(unit): Path<String>,
    Query(q): Query<LedgerQuery>,
) -> Result<Response, Failure> {
    let unit = uuid_path(&unit)?;
    let actor = caller.me.actor();
    let sc = match actor.role {
        Role::CityStaff | Role::Admin => Scope::All,
        Role::UnitContact | Role::UnitHead if actor.unit.is_some_and(|u| u.0 == unit) => {
            scope(&actor)
        }
        _ => return Err(forbidden()),
    };
    let file = ledger_file(&format!("unit-{unit}"), &q);
    ledger(state, sc, Kind::Unit(unit.to_string()), q, file).await
}
