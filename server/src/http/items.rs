//! What the staff console reads beyond the phones' routes (issue 13), as
//! JSON any client may use, each deny by default with the visibility rule of
//! pull (`crate::access::scope`, the listing form of `can_see`):
//!
//! - `GET /v1/board` — 督办看板: open items by unit, town/street and group,
//!   green / yellow / red at this moment, and the overdue items, latest due
//!   first, with how late and the last chase;
//! - `GET /v1/items` — the item list: filters, search over text and address,
//!   sort, pages; `GET /v1/items/export` — the same list as CSV (UTF-8 with a
//!   byte-order mark, so Excel reads the Chinese);
//! - `GET /v1/items/{id}` — one item for its page: the ticket as `GET
//!   /v1/tickets/{id}` shows it (the contact rule and its audit), the actions
//!   the caller may take now (`machine::allowed`, the same table the push
//!   applies), the place in GCJ-02 with an AMap link, and the names of the
//!   people on its timeline;
//! - `GET /v1/taxonomy` — the categories in effect, parsed;
//! - `GET /v1/assignments` — the assignment lists (交办清单) in use (city staff);
//! - `GET /v1/admin/directory` — units, groups with members, people with
//!   phone numbers (the administrator).

use super::doc::{AdminOnly, ApiErrorDoc, Auth};
use super::error::{ErrorCode, Failure};
use super::extract::{Admin, Id, Json, Query};
use super::AppState;
use crate::access::{can_see, scope, shown, Via};
use crate::auth::Caller;
use crate::store::console::{GroupRow, UnitRow, UserRow};
use crate::store::listing::{ItemFilter, ItemRow, SortKey};
use crate::store::tickets::state_name;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use minqing_protocol::calendar::{end_of_day, CHINA_TIME};
use minqing_protocol::clocks::Colour;
use minqing_protocol::machine::{allowed, ActionKind};
use minqing_protocol::taxonomy::Taxonomy;
use minqing_protocol::{EventKind, Role, Ticket, TicketState};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(board))
        .routes(routes!(items))
        .routes(routes!(export))
        .routes(routes!(item))
        .routes(routes!(taxonomy))
        .routes(routes!(assignment_lists))
        .routes(routes!(directory))
}

const BAD_QUERY: &str =
    "malformed: a parameter out of its form (the schema's), or one the list does not take";

/// Most rows of one page.
pub const MAX_PER_PAGE: usize = 100;
/// Most rows of one export.
pub const MAX_EXPORT: usize = 50_000;
/// Most overdue items the board lists.
pub const BOARD_OVERDUE: usize = 50;

/// The list's query string (every field optional).
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ItemQuery {
    /// Comma-separated state names (at most the eight there are).
    #[param(
        pattern = "^(pool|routed|accepted|replied|resolved|reopened|closed|merged)(,(pool|routed|accepted|replied|resolved|reopened|closed|merged)){0,7}$"
    )]
    pub state: Option<String>,
    pub open: Option<bool>,
    pub jurisdiction: Option<String>,
    pub group: Option<String>,
    /// A unit id, or `none` (the claim pool).
    pub unit: Option<String>,
    pub category: Option<String>,
    pub reporter: Option<String>,
    /// First day reported (`YYYY-MM-DD`, China time).
    #[param(format = Date)]
    pub from: Option<String>,
    /// Last day reported, inclusive.
    #[param(format = Date)]
    pub to: Option<String>,
    #[serde(default)]
    pub overdue: bool,
    /// Words to find in the text or the address (each must occur).
    #[param(max_length = 100)]
    pub q: Option<String>,
    /// `created` (default), `updated` or `due`.
    #[param(pattern = "^(created|updated|due)$")]
    pub sort: Option<String>,
    /// `desc` (default) or `asc`.
    #[param(pattern = "^(desc|asc)$")]
    pub order: Option<String>,
    /// 1-based (beyond 100,000 taken as 100,000).
    #[param(value_type = Option<u64>)]
    pub page: Option<usize>,
    /// 1–100 (beyond taken as the bound; 20 when absent).
    #[param(value_type = Option<u64>)]
    pub per_page: Option<usize>,
    /// `csv`, the only format (the export's).
    #[param(pattern = "^csv$")]
    pub format: Option<String>,
}

fn bad(what: &str) -> Failure {
    Failure::bad_request(
        ErrorCode::Malformed,
        format!("查询条件不正确：{what}"),
        format!("Bad query: {what}"),
    )
}

/// A day written `YYYY-MM-DD` (RFC 3339's full-date: four-digit years).
fn date(day: &str) -> Result<time::Date, Failure> {
    let fmt = time::macros::format_description!("[year repr:full sign:automatic]-[month]-[day]");
    let four_digits = day.len() == 10 && day.as_bytes()[..4].iter().all(u8::is_ascii_digit);
    four_digits
        .then(|| time::Date::parse(day, &fmt).ok())
        .flatten()
        .ok_or_else(|| bad("date: YYYY-MM-DD"))
}

/// Midnight (China time) starting `day` (`YYYY-MM-DD`), in ms.
fn day_start(day: &str) -> Result<i64, Failure> {
    Ok(date(day)?
        .midnight()
        .assume_offset(CHINA_TIME)
        .unix_timestamp()
        * 1000)
}

fn non_empty(s: Option<String>) -> Option<String> {
    s.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty())
}

impl ItemQuery {
    fn filter(&self) -> Result<ItemFilter, Failure> {
        let states: Vec<String> = match &self.state {
            None => Vec::new(),
            Some(list) => list.split(',').map(str::to_owned).collect(),
        };
        let known = |s: &String| TicketState::ALL.iter().any(|k| state_name(*k) == *s);
        if states.len() > 8 || !states.iter().all(known) {
            return Err(bad("state: comma-separated state names"));
        }
        if self.q.as_ref().is_some_and(|q| q.chars().count() > 100) {
            return Err(bad("q: at most 100 characters"));
        }
        if !matches!(self.format.as_deref(), None | Some("csv")) {
            return Err(bad("format: csv"));
        }
        let q = non_empty(self.q.clone());
        let to = match &self.to {
            Some(d) => Some(end_of_day(date(d)?)),
            None => None,
        };
        Ok(ItemFilter {
            states,
            open: self.open,
            jurisdiction: non_empty(self.jurisdiction.clone()),
            group: non_empty(self.group.clone()),
            unit: non_empty(self.unit.clone()),
            category: non_empty(self.category.clone()),
            reporter: non_empty(self.reporter.clone()),
            from: match &self.from {
                Some(d) => Some(day_start(d)?),
                None => None,
            },
            to,
            overdue: self.overdue,
            q,
        })
    }

    fn sort(&self) -> Result<(SortKey, bool), Failure> {
        let key = match self.sort.as_deref() {
            None | Some("created") => SortKey::Created,
            Some("updated") => SortKey::Updated,
            Some("due") => SortKey::Due,
            Some(_) => return Err(bad("sort: created, updated or due")),
        };
        let asc = match self.order.as_deref() {
            None | Some("desc") => false,
            Some("asc") => true,
            Some(_) => return Err(bad("order: asc or desc")),
        };
        Ok((key, asc))
    }
}

/// One item in a list.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ItemSummary {
    pub id: String,
    pub text: String,
    pub address: Option<String>,
    pub state: String,
    pub category: Option<String>,
    pub item: Option<String>,
    pub jurisdiction: Option<String>,
    pub group: Option<String>,
    pub unit: Option<String>,
    pub reporter: String,
    pub reporter_name: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    /// The worst running clock's colour now; none when no clock runs.
    pub colour: Option<Colour>,
    pub due_at: Option<i64>,
    /// How long past due (ms), when it is.
    pub overdue_ms: Option<i64>,
    pub last_chase_at: Option<i64>,
    pub last_chase_level: Option<i64>,
    pub photos: usize,
    pub assignment_list: Option<String>,
}

fn colour(warn_at: Option<i64>, due_at: Option<i64>, now: i64) -> Option<Colour> {
    let due = due_at?;
    Some(if now >= due {
        Colour::Red
    } else if warn_at.is_some_and(|w| now >= w) {
        Colour::Yellow
    } else {
        Colour::Green
    })
}

pub(super) fn summary(r: ItemRow, names: &HashMap<String, String>, now: i64) -> ItemSummary {
    let t = r.ticket;
    let reporter = t.reporter.to_string();
    ItemSummary {
        id: t.id.to_string(),
        text: t.text.chars().take(300).collect(),
        address: t.location.as_ref().and_then(|l| l.address.clone()),
        state: crate::store::tickets::state_name(t.state),
        category: t.category.clone(),
        item: t.item.clone(),
        jurisdiction: t.jurisdiction.clone(),
        group: t.group.map(|g| g.to_string()),
        unit: t.assigned_unit.map(|u| u.to_string()),
        reporter_name: names.get(&reporter).cloned(),
        reporter,
        created_at: t.created_at,
        updated_at: t.timeline.last().map_or(t.created_at, |e| e.at),
        colour: colour(r.warn_at, r.due_at, now),
        due_at: r.due_at,
        overdue_ms: r.due_at.filter(|d| now >= *d).map(|d| now - d),
        last_chase_at: r.last_chase_at,
        last_chase_level: r.last_chase_level,
        photos: t.photos.len(),
        assignment_list: t.assignment_list().map(str::to_owned),
    }
}

/// The names of the reporters of `rows`.
pub(super) fn reporter_names(
    db: &crate::store::Db,
    rows: &[ItemRow],
) -> Result<HashMap<String, String>, Failure> {
    let ids: BTreeSet<String> = rows.iter().map(|r| r.ticket.reporter.to_string()).collect();
    let ids: Vec<String> = ids.into_iter().collect();
    Ok(db
        .user_names(&ids)?
        .into_iter()
        .map(|(id, name, _)| (id, name))
        .collect())
}

/// A page of the list.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ItemPage {
    pub total: u64,
    pub page: usize,
    pub per_page: usize,
    pub items: Vec<ItemSummary>,
}

/// The item list: filters, search, sort, pages (deny by default: pull's visibility).
#[utoipa::path(get, path = "/v1/items", tag = "console", security(("bearer" = []), ("console" = [])),
    params(ItemQuery),
    responses(
        (status = 200, description = "One page", body = ItemPage),
        Auth,
        (status = 400, description = BAD_QUERY, body = ApiErrorDoc),
    ))]
pub async fn items(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<ItemQuery>,
) -> Result<Json<ItemPage>, Failure> {
    let filter = q.filter()?;
    let (sort, asc) = q.sort()?;
    let per_page = q.per_page.unwrap_or(20).clamp(1, MAX_PER_PAGE);
    let page = q.page.unwrap_or(1).clamp(1, 100_000);
    let actor = caller.me.actor();
    let now = state.clock.now();
    state
        .db(move |db| {
            let (total, rows) = db.list_items(
                &scope(&actor),
                &filter,
                sort,
                asc,
                (page - 1) * per_page,
                per_page,
                now,
            )?;
            // The rule itself, once more, on what is shown.
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

/// Names for the export's columns.
struct Labels {
    units: HashMap<String, String>,
    groups: HashMap<String, String>,
    jurisdictions: HashMap<String, String>,
    taxonomy: std::sync::Arc<crate::workflow::Workflow>,
}

fn state_zh(s: &str) -> &'static str {
    match s {
        "pool" => "待认领",
        "routed" => "待受理",
        "accepted" => "办理中",
        "replied" => "已答复",
        "resolved" => "已办结待确认",
        "reopened" => "重办",
        "closed" => "已办结",
        "merged" => "已合并",
        _ => "",
    }
}

/// A CSV field: quoted when it must be; a leading `= + - @` is prefixed with
/// a quote so a spreadsheet never runs it as a formula.
fn csv_field(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@']) {
        format!("'{s}")
    } else {
        s.to_owned()
    };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

fn china_time(ms: i64) -> String {
    let fmt = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]");
    time::OffsetDateTime::from_unix_timestamp(ms.div_euclid(1000))
        .map(|t| t.to_offset(CHINA_TIME).format(&fmt).unwrap_or_default())
        .unwrap_or_default()
}

fn csv(items: &[ItemSummary], l: &Labels) -> String {
    let mut out = String::from("\u{feff}");
    out.push_str(
        "编号,提交时间（北京时间）,状态,时限,到期时间,逾期（小时）,镇街,直通车群,承办单位,类别,\
         代表,内容,地址,最近督办,交办清单\r\n",
    );
    for i in items {
        let name = |m: &HashMap<String, String>, k: &Option<String>| {
            k.as_ref()
                .map(|k| m.get(k).cloned().unwrap_or_else(|| k.clone()))
                .unwrap_or_default()
        };
        let category = i
            .category
            .as_deref()
            .map(|c| {
                l.taxonomy
                    .taxonomy
                    .category(c)
                    .map_or_else(|| c.to_owned(), |x| x.name_zh.clone())
            })
            .unwrap_or_default();
        let colour = match i.colour {
            Some(Colour::Red) => "红（逾期）",
            Some(Colour::Yellow) => "黄（临期）",
            Some(Colour::Green) => "绿",
            None => "",
        };
        let row = [
            i.id.chars().take(8).collect::<String>(),
            china_time(i.created_at),
            state_zh(&i.state).to_owned(),
            colour.to_owned(),
            i.due_at.map(china_time).unwrap_or_default(),
            i.overdue_ms
                .map(|ms| format!("{:.1}", ms as f64 / 3_600_000.0))
                .unwrap_or_default(),
            name(&l.jurisdictions, &i.jurisdiction),
            name(&l.groups, &i.group),
            name(&l.units, &i.unit),
            category,
            i.reporter_name.clone().unwrap_or_default(),
            i.text.clone(),
            i.address.clone().unwrap_or_default(),
            i.last_chase_at.map(china_time).unwrap_or_default(),
            i.assignment_list.clone().unwrap_or_default(),
        ];
        let line: Vec<String> = row.iter().map(|f| csv_field(f)).collect();
        out.push_str(&line.join(","));
        out.push_str("\r\n");
    }
    out
}

/// The filtered list (every page, in the list's order) as CSV.
#[utoipa::path(get, path = "/v1/items/export", tag = "console", security(("bearer" = []), ("console" = [])),
    params(ItemQuery),
    responses(
        (status = 200, description = "The filtered list as CSV (UTF-8 with a BOM; at most 50,000 rows)", content_type = "text/csv", body = String),
        Auth,
        (status = 400, description = BAD_QUERY, body = ApiErrorDoc),
    ))]
pub async fn export(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<ItemQuery>,
) -> Result<Response, Failure> {
    let filter = q.filter()?;
    let (sort, asc) = q.sort()?;
    let actor = caller.me.actor();
    let now = state.clock.now();
    let body = state
        .db(move |db| {
            let (_, rows) =
                db.list_items(&scope(&actor), &filter, sort, asc, 0, MAX_EXPORT, now)?;
            let rows: Vec<ItemRow> = rows
                .into_iter()
                .filter(|r| can_see(&actor, &r.ticket))
                .collect();
            let names = reporter_names(db, &rows)?;
            let items: Vec<ItemSummary> =
                rows.into_iter().map(|r| summary(r, &names, now)).collect();
            let (units, groups, _) = db.reference_directory(&actor)?;
            let labels = Labels {
                units: units
                    .into_iter()
                    .map(|u| (u.id.to_string(), u.name_zh))
                    .collect(),
                groups: groups
                    .into_iter()
                    .map(|g| (g.id.to_string(), g.name_zh))
                    .collect(),
                jurisdictions: db
                    .jurisdictions()?
                    .into_iter()
                    .map(|j| (j.code, j.name_zh))
                    .collect(),
                taxonomy: db.workflow(),
            };
            Ok(csv(&items, &labels))
        })
        .await?;
    let day = china_time(now).chars().take(10).collect::<String>();
    Ok((
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"minqing-items-{day}.csv\""),
            ),
        ],
        body,
    )
        .into_response())
}

/// Counts of one key (a unit, a town/street or a group) on the board.
#[derive(Debug, Default, Serialize, utoipa::ToSchema)]
pub struct Counts {
    /// The unit id, jurisdiction code or group id; `null` for none (a pool
    /// item has no unit).
    pub key: Option<String>,
    pub green: u64,
    pub yellow: u64,
    pub red: u64,
    pub total: u64,
}

/// `GET /v1/board`
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Board {
    /// When the colours were taken.
    pub at: i64,
    pub totals: Counts,
    pub by_unit: Vec<Counts>,
    pub by_jurisdiction: Vec<Counts>,
    pub by_group: Vec<Counts>,
    /// How many items are past due.
    pub overdue_total: u64,
    /// The most overdue first, at most [`BOARD_OVERDUE`].
    pub overdue: Vec<ItemSummary>,
}

fn fold(
    cells: &[crate::store::listing::BoardCell],
    key: impl Fn(&crate::store::listing::BoardCell) -> Option<String>,
) -> Vec<Counts> {
    let mut by: BTreeMap<Option<String>, Counts> = BTreeMap::new();
    for c in cells {
        let k = key(c);
        let e = by.entry(k.clone()).or_insert_with(|| Counts {
            key: k,
            ..Counts::default()
        });
        e.green += c.green;
        e.yellow += c.yellow;
        e.red += c.red;
        e.total += c.green + c.yellow + c.red;
    }
    let mut out: Vec<Counts> = by.into_values().collect();
    // The latest first, then the most.
    out.sort_by_key(|c| std::cmp::Reverse((c.red, c.yellow, c.total)));
    out
}

/// 督办看板: open items by colour now, by unit, town/street and group; the most overdue.
#[utoipa::path(get, path = "/v1/board", tag = "console", security(("bearer" = []), ("console" = [])),
    responses((status = 200, description = "The board", body = Board), Auth))]
pub async fn board(State(state): State<AppState>, caller: Caller) -> Result<Json<Board>, Failure> {
    let actor = caller.me.actor();
    let now = state.clock.now();
    state
        .db(move |db| {
            let scope = scope(&actor);
            let cells = db.board(&scope, now)?;
            let filter = ItemFilter {
                overdue: true,
                ..ItemFilter::default()
            };
            let (overdue_total, rows) =
                db.list_items(&scope, &filter, SortKey::Due, true, 0, BOARD_OVERDUE, now)?;
            let rows: Vec<ItemRow> = rows
                .into_iter()
                .filter(|r| can_see(&actor, &r.ticket))
                .collect();
            let names = reporter_names(db, &rows)?;
            let totals = fold(&cells, |_| None).pop().unwrap_or_default();
            Ok(Json(Board {
                at: now,
                totals,
                by_unit: fold(&cells, |c| c.unit.clone()),
                by_jurisdiction: fold(&cells, |c| c.jurisdiction.clone()),
                by_group: fold(&cells, |c| c.group.clone()),
                overdue_total,
                overdue: rows.into_iter().map(|r| summary(r, &names, now)).collect(),
            }))
        })
        .await
}

/// Someone on an item's timeline.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PersonName {
    pub name: String,
    pub role: String,
}

/// The place in GCJ-02 (what Chinese maps use), and a link that opens it in
/// AMap (高德地图) — no map tiles are served.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Place {
    pub gcj02_lat: f64,
    pub gcj02_lng: f64,
    pub address: Option<String>,
    pub accuracy_m: Option<f64>,
    pub amap_url: String,
}

/// `GET /v1/items/{id}`
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ItemView {
    pub ticket: Ticket,
    /// What the caller may do now (`minqing_protocol::machine::allowed`).
    pub allowed: Vec<ActionKind>,
    pub place: Option<Place>,
    /// Everyone the timeline names (the platform's chases: the nil id).
    pub people: BTreeMap<String, PersonName>,
    pub colour: Option<Colour>,
}

fn place(t: &Ticket) -> Option<Place> {
    let l = t.location.as_ref().filter(|l| l.is_valid())?;
    let (lat, lng) = minqing_capture::geo::wgs84_to_gcj02(l.latitude, l.longitude);
    let name: String =
        url::form_urlencoded::byte_serialize(l.address.as_deref().unwrap_or("").as_bytes())
            .collect();
    Some(Place {
        gcj02_lat: lat,
        gcj02_lng: lng,
        address: l.address.clone(),
        accuracy_m: l.accuracy_m,
        amap_url: format!(
            "https://uri.amap.com/marker?position={lng:.6},{lat:.6}&name={name}&coordinate=gaode&callnative=0"
        ),
    })
}

/// One item for its page.
#[utoipa::path(get, path = "/v1/items/{id}", tag = "console", security(("bearer" = []), ("console" = [])),
    params(("id" = minqing_protocol::TicketId, Path)),
    responses(
        (status = 200, description = "The item, what the caller may do, the place, the people", body = ItemView),
        Auth,
        (status = 404, description = super::tickets::NO_TICKET, body = ApiErrorDoc),
    ))]
pub async fn item(
    State(state): State<AppState>,
    caller: Caller,
    Id(id): Id,
) -> Result<Json<ItemView>, Failure> {
    let id = id.to_string();
    let actor = caller.me.actor();
    let now = state.clock.now();
    state
        .db(move |db| {
            let Some(t) = db.ticket(&id)?.filter(|t| can_see(&actor, t)) else {
                return Err(Failure::not_found());
            };
            let wf = db.workflow();
            let sched = wf.schedule(&t);
            let mut shown = shown(db, &actor, vec![t], Via::Ticket, now)?;
            let t = shown.pop().ok_or_else(Failure::not_found)?;
            let mut ids: BTreeSet<String> = BTreeSet::new();
            ids.insert(t.reporter.to_string());
            ids.extend(t.co_reporters.iter().map(ToString::to_string));
            for e in &t.timeline {
                ids.insert(e.actor.to_string());
                if let EventKind::Absorbed { co_reporters, .. } = &e.kind {
                    ids.extend(co_reporters.iter().map(ToString::to_string));
                }
            }
            let ids: Vec<String> = ids.into_iter().collect();
            let mut people: BTreeMap<String, PersonName> = db
                .user_names(&ids)?
                .into_iter()
                .map(|(id, name, role)| (id, PersonName { name, role }))
                .collect();
            people.insert(
                minqing_protocol::clocks::SYSTEM_USER.to_string(),
                PersonName {
                    name: "民情直通车平台".into(),
                    role: "system".into(),
                },
            );
            Ok(Json(ItemView {
                allowed: allowed(&t, &actor),
                place: place(&t),
                people,
                colour: colour(sched.warn_at, sched.due_at, now),
                ticket: t,
            }))
        })
        .await
}

/// The categories and items in effect.
#[utoipa::path(get, path = "/v1/taxonomy", tag = "reference", security(("bearer" = []), ("console" = [])),
    responses((status = 200, description = "The categories in effect", body = Taxonomy), Auth))]
pub async fn taxonomy(
    State(state): State<AppState>,
    _caller: Caller,
) -> Result<Json<Taxonomy>, Failure> {
    state
        .db(|db| Ok(Json(db.workflow().taxonomy.clone())))
        .await
}

/// An assignment list in use.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ListName {
    pub list: String,
    pub items: u64,
}

/// The assignment lists in use (city staff, as `GET /v1/assignments/{list}`).
#[utoipa::path(get, path = "/v1/assignments", tag = "review", security(("bearer" = []), ("console" = [])),
    responses(
        (status = 200, description = "The lists in use with their sizes", body = Vec<ListName>),
        Auth,
        (status = 403, description = "forbidden: only city staff", body = ApiErrorDoc),
    ))]
pub async fn assignment_lists(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Vec<ListName>>, Failure> {
    if caller.me.role != Role::CityStaff {
        return Err(Failure::forbidden(
            "只有市人大机关查看交办清单",
            "Only city staff see assignment lists",
        ));
    }
    state
        .db(|db| {
            Ok(Json(
                db.assignment_lists()?
                    .into_iter()
                    .map(|(list, items)| ListName { list, items })
                    .collect(),
            ))
        })
        .await
}

/// `GET /v1/admin/directory`
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Directory {
    pub units: Vec<UnitRow>,
    pub groups: Vec<GroupRow>,
    pub users: Vec<UserRow>,
}

#[utoipa::path(get, path = "/v1/admin/directory", tag = "admin", security(("bearer" = []), ("console" = [])),
    responses((status = 200, description = "Units with keys, groups with members, people with phone numbers", body = Directory), AdminOnly))]
pub async fn directory(
    State(state): State<AppState>,
    _admin: Admin,
) -> Result<Json<Directory>, Failure> {
    state
        .db(|db| {
            let (units, groups, users) = db.admin_directory()?;
            Ok(Json(Directory {
                units,
                groups,
                users,
            }))
        })
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_fields_are_quoted_and_never_formulas() {
        assert_eq!(csv_field("水月亭路"), "水月亭路");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("=1+1"), "'=1+1");
    }

    #[test]
    fn days_are_china_time() {
        // 2020-10-04 00:00 +08:00
        assert_eq!(day_start("2020-10-04").ok(), Some(1_601_740_800_000));
        assert!(day_start("2020-13-01").is_err());
        assert!(day_start("+2020-10-04").is_err());
        assert!(day_start("").is_err());
        assert_eq!(china_time(1_601_772_480_000), "2020-10-04 08:48");
    }
}
