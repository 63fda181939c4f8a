//! The statistics of a period (`docs/report.md` defines every figure): one
//! scan of the tickets the caller may see, a [`Fact`] per ticket, and every
//! figure a count of the facts one [`Selector`] matches. The list of items
//! behind a figure ([`items`]) runs the very same selector over the same
//! scan, so a figure and its list cannot disagree.

use super::facts::{fact, Class, Directory, Fact, Path, Status, Timeliness};
use crate::access::Scope;
use crate::store::listing::ItemRow;
use crate::store::report::{self as rstore, Names, ScanFilter};
use crate::store::sql::Tx;
use crate::store::{Db, StoreError, StoreResult};
use crate::workflow::Workflow;
use minqing_protocol::calendar::{add_months, local_date, month_range, start_of_day};
use minqing_protocol::{UnitId, UserId};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::str::FromStr;

/// A reporting period: a month (`2020-09`) or a run of days
/// (`2020-09-01..2020-09-30`, both inclusive), China time.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Period {
    pub key: String,
    pub from: i64,
    pub to: i64,
}

fn parse_day(s: &str) -> Option<time::Date> {
    let fmt = time::macros::format_description!("[year]-[month]-[day]");
    time::Date::parse(s, &fmt).ok()
}

fn day_key(d: time::Date) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

impl Period {
    pub fn parse(s: &str) -> Option<Period> {
        if let Some((a, b)) = s.split_once("..") {
            let (a, b) = (parse_day(a)?, parse_day(b)?);
            if b < a || (b - a).whole_days() > 366 * 3 {
                return None;
            }
            return Some(Period {
                key: format!("{}..{}", day_key(a), day_key(b)),
                from: start_of_day(a),
                to: start_of_day(b.next_day()?),
            });
        }
        let (from, to) = month_range(s)?;
        Some(Period {
            key: s.to_owned(),
            from,
            to,
        })
    }

    /// The month `at` falls in.
    pub fn month_of(at: i64) -> Period {
        let d = local_date(at);
        let key = format!("{:04}-{:02}", d.year(), u8::from(d.month()));
        Period::parse(&key).unwrap_or(Period {
            key,
            from: at,
            to: at,
        })
    }

    pub fn is_month(&self) -> bool {
        !self.key.contains("..")
    }

    /// The period before: the month before, or as many days just before.
    pub fn previous(&self) -> Period {
        if self.is_month() {
            return Period::month_of(self.from - 1);
        }
        let (a, b) = (local_date(self.from), local_date(self.to - 1));
        let days = (b - a).whole_days() + 1;
        let pa = a - time::Duration::days(days);
        let pb = a - time::Duration::days(1);
        Period::parse(&format!("{}..{}", day_key(pa), day_key(pb))).unwrap_or(self.clone())
    }

    /// `2020年9月`, or `2020年9月1日至2020年9月30日`.
    pub fn label_zh(&self) -> String {
        let a = local_date(self.from);
        if self.is_month() {
            return format!("{}年{}月", a.year(), u8::from(a.month()));
        }
        let b = local_date(self.to - 1);
        format!(
            "{}年{}月{}日至{}年{}月{}日",
            a.year(),
            u8::from(a.month()),
            a.day(),
            b.year(),
            u8::from(b.month()),
            b.day()
        )
    }

    /// The twelve months ending with the one this period ends in.
    pub fn trend_months(&self) -> Vec<Period> {
        let last = local_date(self.to - 1);
        let first = time::Date::from_calendar_date(last.year(), last.month(), 1).unwrap_or(last);
        (0..12u32)
            .rev()
            .map(|back| {
                let total = i64::from(first.year()) * 12 + i64::from(u8::from(first.month()))
                    - 1
                    - i64::from(back);
                let m = format!(
                    "{:04}-{:02}",
                    total.div_euclid(12),
                    total.rem_euclid(12) + 1
                );
                Period::parse(&m).unwrap_or_else(|| Period::month_of(self.from))
            })
            .collect()
    }
}

/// What the figures cover: the city, a town/street, a group or a unit (always
/// within what the caller may see).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Area {
    City,
    Town(String),
    Group(String),
    Unit(String),
}

impl FromStr for Area {
    type Err = ();
    fn from_str(s: &str) -> Result<Area, ()> {
        let ok = |v: &str| {
            (!v.is_empty() && v.len() <= 64 && v.bytes().all(|b| b.is_ascii_graphic()))
                .then(|| v.to_owned())
                .ok_or(())
        };
        match s.split_once(':') {
            None if s == "city" || s.is_empty() => Ok(Area::City),
            Some(("town", v)) => Ok(Area::Town(ok(v)?)),
            Some(("group", v)) => Ok(Area::Group(ok(v)?)),
            Some(("unit", v)) => Ok(Area::Unit(ok(v)?)),
            _ => Err(()),
        }
    }
}

impl Area {
    pub fn key(&self) -> String {
        match self {
            Area::City => "city".into(),
            Area::Town(c) => format!("town:{c}"),
            Area::Group(g) => format!("group:{g}"),
            Area::Unit(u) => format!("unit:{u}"),
        }
    }
}

/// Which items a figure counts.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Pop {
    /// Reported in the period (as of its end).
    Period,
    /// Reported in the period before (as of that period's end).
    Prev,
    /// Reported since the start (as of the period's end).
    Total,
    /// Reported in one month (as of the period's end): the trend.
    Month(String),
}

/// Which row of a table.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Row {
    All,
    Town(String),
    Unit(String),
    Category(String),
    Item(String),
    Deputy(String),
}

/// What is counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Measure {
    Received,
    Explained,
    Assigned,
    InGroups,
    ByTowns,
    ByCity,
    Unassigned,
    Resolved,
    AcceptedOnTime,
    AcceptDecided,
    RepliedOnTime,
    ReplyDecided,
    /// Claimed (the items the average days to accept are over).
    Accepted,
    /// Resolved with a resolution time (the average days to resolve).
    ResolvedTimed,
    Dissatisfied,
    Judged,
    /// Of the period before: not assigned at its end, assigned now.
    CarriedAssigned,
    /// Of the period before: resolved now.
    ResolvedNow,
}

const MEASURES: [(&str, Measure); 18] = [
    ("received", Measure::Received),
    ("explained", Measure::Explained),
    ("assigned", Measure::Assigned),
    ("assigned.group", Measure::InGroups),
    ("assigned.town", Measure::ByTowns),
    ("assigned.city", Measure::ByCity),
    ("unassigned", Measure::Unassigned),
    ("resolved", Measure::Resolved),
    ("accepted_on_time", Measure::AcceptedOnTime),
    ("accept_decided", Measure::AcceptDecided),
    ("replied_on_time", Measure::RepliedOnTime),
    ("reply_decided", Measure::ReplyDecided),
    ("accepted", Measure::Accepted),
    ("resolved_timed", Measure::ResolvedTimed),
    ("dissatisfied", Measure::Dissatisfied),
    ("judged", Measure::Judged),
    ("carried.assigned", Measure::CarriedAssigned),
    ("carried.resolved", Measure::ResolvedNow),
];

impl Measure {
    fn name(self) -> &'static str {
        MEASURES
            .iter()
            .find(|(_, m)| *m == self)
            .map_or("received", |(n, _)| n)
    }
}

/// One figure's definition: which items, which row, what is counted.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Selector {
    pub pop: Pop,
    pub row: Row,
    pub measure: Measure,
}

/// The cut-offs a fact is read at.
const PREV: usize = 0;
const NOW: usize = 1;

impl Selector {
    fn new(pop: Pop, row: Row, measure: Measure) -> Self {
        Selector { pop, row, measure }
    }

    /// From the list query's `figure` (`received`, `prev.resolved`,
    /// `total.assigned.city`, `carried.assigned` …) and `row` (`town:…`,
    /// `unit:…`, `category:…`, `item:…`, `deputy:…`, `month:YYYY-MM`).
    pub fn parse(figure: &str, row: Option<&str>) -> Option<Selector> {
        let (mut pop, name) = if let Some(rest) = figure.strip_prefix("prev.") {
            (Pop::Prev, rest)
        } else if let Some(rest) = figure.strip_prefix("total.") {
            (Pop::Total, rest)
        } else {
            (Pop::Period, figure)
        };
        let measure = MEASURES.iter().find(|(n, _)| *n == name)?.1;
        if matches!(measure, Measure::CarriedAssigned | Measure::ResolvedNow) {
            if pop != Pop::Period {
                return None;
            }
            pop = Pop::Prev;
        }
        let row = match row.map(|r| r.split_once(':')) {
            None => Row::All,
            Some(Some((k, v))) if !v.is_empty() && v.len() <= 64 => match k {
                "town" => Row::Town(v.into()),
                "unit" => Row::Unit(v.into()),
                "category" => Row::Category(v.into()),
                "item" => Row::Item(v.into()),
                "deputy" => Row::Deputy(v.into()),
                "month" if pop == Pop::Period && Period::parse(v)?.is_month() => {
                    pop = Pop::Month(v.into());
                    Row::All
                }
                _ => return None,
            },
            Some(_) => return None,
        };
        Some(Selector { pop, row, measure })
    }

    /// The link (`/v1/stats/items?period=…&area=…&figure=…[&row=…]`) that
    /// lists this figure's items.
    pub fn query(&self, period: &Period, area: &Area) -> String {
        let name = self.measure.name();
        let figure = match (&self.pop, self.measure) {
            (_, Measure::CarriedAssigned | Measure::ResolvedNow) => name.to_owned(),
            (Pop::Prev, _) => format!("prev.{name}"),
            (Pop::Total, _) => format!("total.{name}"),
            _ => name.to_owned(),
        };
        let row = match (&self.pop, &self.row) {
            (Pop::Month(m), _) => Some(format!("month:{m}")),
            (_, Row::All) => None,
            (_, Row::Town(c)) => Some(format!("town:{c}")),
            (_, Row::Unit(u)) => Some(format!("unit:{u}")),
            (_, Row::Category(c)) => Some(format!("category:{c}")),
            (_, Row::Item(i)) => Some(format!("item:{i}")),
            (_, Row::Deputy(d)) => Some(format!("deputy:{d}")),
        };
        let mut q = format!(
            "/v1/stats/items?period={}&area={}&figure={}",
            enc(&period.key),
            enc(&area.key()),
            enc(&figure)
        );
        if let Some(r) = row {
            q.push_str("&row=");
            q.push_str(&enc(&r));
        }
        q
    }

    fn index(&self) -> usize {
        // The carried-over figures read the period before's items as they
        // stand now (CarriedAssigned also looks back at PREV itself).
        if self.pop == Pop::Prev
            && !matches!(
                self.measure,
                Measure::ResolvedNow | Measure::CarriedAssigned
            )
        {
            PREV
        } else {
            NOW
        }
    }

    /// Does this figure count `f`?
    pub fn matches(&self, f: &Fact, ctx: &Ctx) -> bool {
        let in_pop = match &self.pop {
            Pop::Period => ctx.period.from <= f.created_at && f.created_at < ctx.period.to,
            Pop::Prev => ctx.prev.from <= f.created_at && f.created_at < ctx.prev.to,
            Pop::Total => true,
            Pop::Month(m) => {
                Period::parse(m).is_some_and(|p| p.from <= f.created_at && f.created_at < p.to)
            }
        };
        let Some(s) = f.at.get(self.index()).and_then(Option::as_ref) else {
            return false;
        };
        in_pop && in_area(f, s, &ctx.area) && in_row(f, s, &self.row) && self.measured(f, s)
    }

    fn measured(&self, f: &Fact, s: &Status) -> bool {
        let received = s.received();
        match self.measure {
            Measure::Received => received,
            Measure::Explained => s.class == Class::Explained,
            Measure::Assigned => s.assigned(),
            Measure::InGroups => s.path() == Some(Path::Group),
            Measure::ByTowns => s.path() == Some(Path::Town),
            Measure::ByCity => s.path() == Some(Path::City),
            Measure::Unassigned => s.class == Class::Unassigned,
            Measure::Resolved => s.resolved,
            Measure::AcceptedOnTime => s.accept == Timeliness::OnTime,
            Measure::AcceptDecided => s.accept != Timeliness::Open,
            Measure::RepliedOnTime => s.reply == Timeliness::OnTime,
            Measure::ReplyDecided => s.reply != Timeliness::Open,
            Measure::Accepted => s.assigned() && s.accept_days.is_some(),
            Measure::ResolvedTimed => s.resolved && s.resolve_days.is_some(),
            Measure::Dissatisfied => received && s.dissatisfied,
            Measure::Judged => received && s.judged,
            Measure::CarriedAssigned => {
                s.assigned()
                    && f.at
                        .get(PREV)
                        .and_then(Option::as_ref)
                        .is_some_and(|p| p.class == Class::Unassigned)
            }
            Measure::ResolvedNow => s.resolved,
        }
    }

    /// The working days this figure's items are averaged over, for `f`.
    fn days(&self, s: &Status) -> u64 {
        match self.measure {
            Measure::Accepted => u64::from(s.accept_days.unwrap_or(0)),
            Measure::ResolvedTimed => u64::from(s.resolve_days.unwrap_or(0)),
            _ => 0,
        }
    }
}

fn in_area(f: &Fact, s: &Status, area: &Area) -> bool {
    match area {
        Area::City => true,
        Area::Town(c) => f.jurisdiction.as_deref() == Some(c.as_str()),
        Area::Group(g) => f.group.is_some_and(|x| x.to_string() == *g),
        Area::Unit(u) => s.unit.is_some_and(|x| x.to_string() == *u),
    }
}

fn in_row(f: &Fact, s: &Status, row: &Row) -> bool {
    match row {
        Row::All => true,
        Row::Town(c) => f.jurisdiction.as_deref() == Some(c.as_str()),
        Row::Unit(u) => s.unit.is_some_and(|x| x.to_string() == *u),
        Row::Category(c) => f.category.as_deref() == Some(c.as_str()),
        Row::Item(i) => f.item.as_deref() == Some(i.as_str()),
        Row::Deputy(d) => f.reporter.to_string() == *d,
    }
}

/// Percent-encode a query value (unreserved characters kept).
fn enc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~' | b':') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// What a figure is computed against.
#[derive(Debug, Clone)]
pub struct Ctx {
    pub period: Period,
    pub prev: Period,
    pub area: Area,
    /// The period's cut-off: its end, or now while it runs.
    pub cutoff: i64,
    pub prev_cutoff: i64,
}

impl Ctx {
    pub fn new(period: Period, area: Area, now: i64) -> Ctx {
        let prev = period.previous();
        Ctx {
            cutoff: period.to.min(now),
            prev_cutoff: prev.to.min(now),
            prev,
            period,
            area,
        }
    }

    /// The cut-offs a ticket reported at `created` is read at.
    fn cutoffs(&self, created: i64) -> [(i64, bool); 2] {
        let in_prev = self.prev.from <= created && created < self.prev.to;
        let in_period = self.period.from <= created && created < self.period.to;
        [
            (if in_prev { self.prev_cutoff } else { i64::MIN }, false),
            (self.cutoff, in_period),
        ]
    }

    /// What the database may leave out of the scan.
    fn scan_filter(&self) -> ScanFilter {
        ScanFilter {
            before: Some(self.cutoff),
            jurisdiction: match &self.area {
                Area::Town(c) => Some(c.clone()),
                _ => None,
            },
            group: match &self.area {
                Area::Group(g) => Some(g.clone()),
                _ => None,
            },
            ..ScanFilter::default()
        }
    }
}

/// The directory of a report: names and kinds.
#[derive(Debug, Clone, Default)]
pub struct Lookup {
    pub names: Names,
    pub dir: Directory,
    pub units: HashMap<String, (String, String)>,
    pub users: HashMap<String, (String, String)>,
    pub towns: HashMap<String, String>,
    pub groups: HashMap<String, (String, String)>,
}

impl Lookup {
    pub fn new(names: Names) -> Lookup {
        let mut dir = Directory::default();
        let mut units = HashMap::new();
        for (id, name, kind) in &names.units {
            if let Ok(u) = id.parse::<uuid::Uuid>() {
                dir.unit_kinds.insert(UnitId(u), kind.clone());
            }
            units.insert(id.clone(), (name.clone(), kind.clone()));
        }
        let mut users = HashMap::new();
        for (id, name, role, unit) in &names.users {
            if let (Ok(u), Some(Ok(unit))) = (
                id.parse::<uuid::Uuid>(),
                unit.as_deref().map(str::parse::<uuid::Uuid>),
            ) {
                dir.user_units.insert(UserId(u), UnitId(unit));
            }
            users.insert(id.clone(), (name.clone(), role.clone()));
        }
        let towns = names
            .jurisdictions
            .iter()
            .map(|(c, n, _)| (c.clone(), n.clone()))
            .collect();
        let groups = names
            .groups
            .iter()
            .map(|(id, n, j)| (id.clone(), (n.clone(), j.clone())))
            .collect();
        Lookup {
            names,
            dir,
            units,
            users,
            towns,
            groups,
        }
    }

    pub fn unit_name(&self, id: &str) -> String {
        self.units
            .get(id)
            .map_or_else(|| id.to_owned(), |(n, _)| n.clone())
    }
    pub fn user_name(&self, id: &str) -> String {
        self.users
            .get(id)
            .map_or_else(|| id.to_owned(), |(n, _)| n.clone())
    }
    pub fn town_name(&self, code: &str) -> String {
        self.towns
            .get(code)
            .cloned()
            .unwrap_or_else(|| code.to_owned())
    }

    pub fn area_name(&self, area: &Area) -> String {
        match area {
            Area::City => self
                .names
                .jurisdictions
                .iter()
                .find(|(_, _, k)| k == "city")
                .map_or_else(|| "全市".to_owned(), |(_, n, _)| n.clone()),
            Area::Town(c) => self.town_name(c),
            Area::Group(g) => self
                .groups
                .get(g)
                .map_or_else(|| g.clone(), |(n, _)| n.clone()),
            Area::Unit(u) => self.unit_name(u),
        }
    }
}

/// Every ticket `scope` sees that the figures of `ctx` may count, as facts.
pub fn facts(
    tx: &mut dyn Tx,
    scope: &Scope,
    ctx: &Ctx,
    lookup: &Lookup,
    wf: &Workflow,
    filter: ScanFilter,
) -> StoreResult<Vec<Fact>> {
    let mut out = Vec::new();
    rstore::scan(tx, scope, &filter, &mut |t| {
        out.push(fact(
            &t,
            &ctx.cutoffs(t.created_at),
            &lookup.dir,
            &wf.calendar,
            &wf.policy,
        ));
        Ok(())
    })?;
    Ok(out)
}

// ---------------------------------------------------------------- figures

/// A count, and the link that lists its items (`/v1/stats/items?…`: the
/// same selector over the same scan, so the list has `value` items).
#[derive(Debug, Clone, Serialize, PartialEq, utoipa::ToSchema)]
pub struct Figure {
    pub value: u64,
    pub items: String,
}

/// A share: `hit` of `of`, in percent (none when `of` is 0).
#[derive(Debug, Clone, Serialize, PartialEq, utoipa::ToSchema)]
pub struct Rate {
    pub pct: Option<f64>,
    pub hit: Figure,
    pub of: Figure,
}

/// An average in working days over the items of `items`.
#[derive(Debug, Clone, Serialize, PartialEq, utoipa::ToSchema)]
pub struct Avg {
    pub days: Option<f64>,
    pub items: Figure,
}

#[derive(Debug, Clone, Serialize, PartialEq, utoipa::ToSchema)]
pub struct PeriodView {
    pub key: String,
    pub label_zh: String,
    pub from: i64,
    pub to: i64,
    pub cutoff: i64,
}

#[derive(Debug, Clone, Serialize, PartialEq, utoipa::ToSchema)]
pub struct AreaView {
    pub key: String,
    pub name_zh: String,
}

/// The four headline figures of a period.
#[derive(Debug, Clone, Serialize, PartialEq, utoipa::ToSchema)]
pub struct Headline {
    pub received: Figure,
    pub explained: Figure,
    pub assigned: Figure,
    pub resolved: Figure,
}

/// The change of one headline figure against the period before.
#[derive(Debug, Clone, Serialize, PartialEq, utoipa::ToSchema)]
pub struct Change {
    pub now: u64,
    pub before: u64,
    pub delta: i64,
    pub pct: Option<f64>,
}

#[derive(Debug, Clone, Serialize, PartialEq, utoipa::ToSchema)]
pub struct Carried {
    /// Not yet assigned at the end of the period before …
    pub unassigned_before: Figure,
    /// … of which assigned by the end of this one.
    pub now_assigned: Figure,
    /// Resolved among the period before's items at its end …
    pub resolved_from: Figure,
    /// … and at the end of this period.
    pub resolved_to: Figure,
}

#[derive(Debug, Clone, Serialize, PartialEq, utoipa::ToSchema)]
pub struct Totals {
    /// When the first item was reported.
    pub since: Option<i64>,
    pub received: Figure,
    pub explained: Figure,
    pub assigned: Figure,
    pub resolved: Figure,
    pub by_city: Figure,
    pub city_share_pct: Option<f64>,
}

#[derive(Debug, Clone, Serialize, PartialEq, utoipa::ToSchema)]
pub struct Ranked {
    pub code: String,
    pub name_zh: String,
    pub count: Figure,
}

/// One town/street's or unit's row.
#[derive(Debug, Clone, Serialize, PartialEq, utoipa::ToSchema)]
pub struct RowStats {
    pub key: String,
    pub name_zh: String,
    pub received: Figure,
    pub accepted_on_time: Rate,
    pub replied_on_time: Rate,
    pub resolved: Figure,
    pub dissatisfaction: Rate,
    pub accept_days: Avg,
    pub resolve_days: Avg,
}

#[derive(Debug, Clone, Serialize, PartialEq, utoipa::ToSchema)]
pub struct DeputyRow {
    pub user: String,
    pub name: String,
    pub items: Figure,
    /// Weekly summaries (一周一结报) filed for the weeks that start in the period.
    pub weekly_filed: u32,
}

#[derive(Debug, Clone, Serialize, PartialEq, utoipa::ToSchema)]
pub struct MonthRow {
    pub month: String,
    pub label_zh: String,
    pub received: Figure,
    pub assigned: Figure,
    pub resolved: Figure,
}

/// Every figure of a period (`docs/report.md`).
#[derive(Debug, Clone, Serialize, PartialEq, utoipa::ToSchema)]
pub struct Stats {
    pub period: PeriodView,
    pub previous: PeriodView,
    pub area: AreaView,
    pub received: Figure,
    pub explained: Figure,
    pub assigned: Figure,
    pub in_groups: Figure,
    pub by_towns: Figure,
    pub by_city: Figure,
    pub unassigned: Figure,
    pub resolved: Figure,
    /// 市级部门办理 as a share of what was assigned.
    pub city_share_pct: Option<f64>,
    pub carried: Carried,
    pub previous_figures: Headline,
    pub change: BTreeMap<String, Change>,
    pub totals: Totals,
    pub top_categories: Vec<Ranked>,
    pub top_items: Vec<Ranked>,
    /// Every category with items in the period, most first.
    pub by_category: Vec<Ranked>,
    pub by_town: Vec<RowStats>,
    pub by_unit: Vec<RowStats>,
    pub deputies: Vec<DeputyRow>,
    /// How many deputies reported at least one item.
    pub active_deputies: u64,
    pub weekly_filed: u64,
    pub trend: Vec<MonthRow>,
}

fn pct(hit: u64, of: u64) -> Option<f64> {
    (of > 0).then(|| (hit as f64 * 1000.0 / of as f64).round() / 10.0)
}

/// Counts of every selector the figures use, from one pass over the facts.
struct Counts {
    ctx: Ctx,
    n: HashMap<Selector, (u64, u64)>,
}

impl Counts {
    fn count(ctx: &Ctx, facts: &[Fact]) -> Counts {
        use Measure::*;
        let mut n: HashMap<Selector, (u64, u64)> = HashMap::new();
        let mut add = |sel: Selector, f: &Fact| {
            if sel.matches(f, ctx) {
                let days = f.at[sel.index()].as_ref().map_or(0, |s| sel.days(s));
                let e = n.entry(sel).or_default();
                e.0 += 1;
                e.1 += days;
            }
        };
        let headline = [
            Received, Explained, Assigned, InGroups, ByTowns, ByCity, Unassigned, Resolved,
        ];
        let rows = [
            Received,
            AcceptedOnTime,
            AcceptDecided,
            RepliedOnTime,
            ReplyDecided,
            Resolved,
            Dissatisfied,
            Judged,
            Accepted,
            ResolvedTimed,
        ];
        for f in facts {
            for m in headline {
                add(Selector::new(Pop::Total, Row::All, m), f);
            }
            let month = Period::month_of(f.created_at).key;
            for m in [Received, Assigned, Resolved] {
                add(Selector::new(Pop::Month(month.clone()), Row::All, m), f);
            }
            if ctx.prev.from <= f.created_at && f.created_at < ctx.prev.to {
                for m in headline.into_iter().chain([CarriedAssigned, ResolvedNow]) {
                    add(Selector::new(Pop::Prev, Row::All, m), f);
                }
            }
            if ctx.period.from <= f.created_at && f.created_at < ctx.period.to {
                // Received and Resolved are in both lists: count each once.
                for m in headline
                    .into_iter()
                    .chain(rows.into_iter().filter(|m| !headline.contains(m)))
                {
                    add(Selector::new(Pop::Period, Row::All, m), f);
                }
                let s = f.at[NOW].as_ref();
                let mut keyed = Vec::new();
                if let Some(j) = &f.jurisdiction {
                    keyed.push(Row::Town(j.clone()));
                }
                if let Some(u) = s.and_then(|s| s.unit) {
                    keyed.push(Row::Unit(u.to_string()));
                }
                for row in keyed {
                    for m in rows {
                        add(Selector::new(Pop::Period, row.clone(), m), f);
                    }
                }
                if let Some(c) = &f.category {
                    add(
                        Selector::new(Pop::Period, Row::Category(c.clone()), Received),
                        f,
                    );
                }
                if let Some(i) = &f.item {
                    add(
                        Selector::new(Pop::Period, Row::Item(i.clone()), Received),
                        f,
                    );
                }
                add(
                    Selector::new(Pop::Period, Row::Deputy(f.reporter.to_string()), Received),
                    f,
                );
            }
        }
        Counts {
            ctx: ctx.clone(),
            n,
        }
    }

    fn get(&self, pop: Pop, row: Row, m: Measure) -> Figure {
        let sel = Selector::new(pop, row, m);
        Figure {
            value: self.n.get(&sel).map_or(0, |c| c.0),
            items: sel.query(&self.ctx.period, &self.ctx.area),
        }
    }

    fn p(&self, m: Measure) -> Figure {
        self.get(Pop::Period, Row::All, m)
    }

    fn rate(&self, row: &Row, hit: Measure, of: Measure) -> Rate {
        let (hit, of) = (
            self.get(Pop::Period, row.clone(), hit),
            self.get(Pop::Period, row.clone(), of),
        );
        Rate {
            pct: pct(hit.value, of.value),
            hit,
            of,
        }
    }

    fn avg(&self, row: &Row, m: Measure) -> Avg {
        let sel = Selector::new(Pop::Period, row.clone(), m);
        let (n, days) = self.n.get(&sel).copied().unwrap_or_default();
        Avg {
            days: (n > 0).then(|| (days as f64 * 10.0 / n as f64).round() / 10.0),
            items: Figure {
                value: n,
                items: sel.query(&self.ctx.period, &self.ctx.area),
            },
        }
    }

    fn row(&self, row: Row, key: String, name_zh: String) -> RowStats {
        use Measure::*;
        RowStats {
            key,
            name_zh,
            received: self.get(Pop::Period, row.clone(), Received),
            accepted_on_time: self.rate(&row, AcceptedOnTime, AcceptDecided),
            replied_on_time: self.rate(&row, RepliedOnTime, ReplyDecided),
            resolved: self.get(Pop::Period, row.clone(), Resolved),
            dissatisfaction: self.rate(&row, Dissatisfied, Judged),
            accept_days: self.avg(&row, Accepted),
            resolve_days: self.avg(&row, ResolvedTimed),
        }
    }

    /// The codes of `kind` rows with counts, most first (ties by code).
    fn ranked(&self, pick: impl Fn(&Row) -> Option<&String>) -> Vec<(String, u64)> {
        let mut v: Vec<(String, u64)> = self
            .n
            .iter()
            .filter(|(s, _)| s.pop == Pop::Period && s.measure == Measure::Received)
            .filter_map(|(s, c)| pick(&s.row).map(|k| (k.clone(), c.0)))
            .collect();
        v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        v
    }
}

fn change(now: u64, before: u64) -> Change {
    Change {
        now,
        before,
        delta: now as i64 - before as i64,
        pct: (before > 0)
            .then(|| ((now as f64 - before as f64) * 1000.0 / before as f64).round() / 10.0),
    }
}

/// ISO weeks (`2020-W37`) whose Monday lies in `[from, to)`.
fn weeks_in(from: i64, to: i64) -> Vec<String> {
    let mut out = Vec::new();
    let mut d = local_date(from);
    let end = local_date(to - 1);
    while d <= end {
        if d.weekday() == time::Weekday::Monday {
            let (y, w, _) = d.to_iso_week_date();
            out.push(format!("{y:04}-W{w:02}"));
        }
        d = match d.next_day() {
            Some(n) => n,
            None => break,
        };
    }
    out
}

/// Every figure of `ctx` over the tickets `scope` sees.
pub fn compute(
    tx: &mut dyn Tx,
    scope: &Scope,
    ctx: &Ctx,
    wf: &Workflow,
) -> StoreResult<(Stats, Lookup)> {
    use Measure::*;
    let lookup = Lookup::new(rstore::names(tx)?);
    let facts = facts(tx, scope, ctx, &lookup, wf, ctx.scan_filter())?;
    let c = Counts::count(ctx, &facts);
    let since = rstore::first_report(tx)?;
    let view = |p: &Period, cutoff: i64| PeriodView {
        key: p.key.clone(),
        label_zh: p.label_zh(),
        from: p.from,
        to: p.to,
        cutoff,
    };
    let total = |m| c.get(Pop::Total, Row::All, m);
    let prev = |m| c.get(Pop::Prev, Row::All, m);

    // Towns and streets: every one the area covers (a row even at zero).
    let visible_towns: Option<HashSet<String>> = match scope {
        Scope::All => None,
        _ => Some(
            facts
                .iter()
                .filter_map(|f| f.jurisdiction.clone())
                .collect(),
        ),
    };
    let by_town = lookup
        .names
        .jurisdictions
        .iter()
        .filter(|(_, _, kind)| kind != "city")
        .filter(|(code, _, _)| match &ctx.area {
            Area::City => visible_towns.as_ref().is_none_or(|v| v.contains(code)),
            Area::Town(t) => t == code,
            Area::Group(g) => lookup.groups.get(g).is_some_and(|(_, j)| j == code),
            Area::Unit(_) => {
                visible_towns.as_ref().is_none_or(|v| v.contains(code))
                    && c.get(Pop::Period, Row::Town(code.clone()), Received).value > 0
            }
        })
        .map(|(code, name, _)| c.row(Row::Town(code.clone()), code.clone(), name.clone()))
        .collect();
    let by_unit = c
        .ranked(|r| match r {
            Row::Unit(u) => Some(u),
            _ => None,
        })
        .into_iter()
        .map(|(u, _)| c.row(Row::Unit(u.clone()), u.clone(), lookup.unit_name(&u)))
        .collect();
    let category_name = |code: &str| {
        wf.taxonomy
            .category(code)
            .map_or_else(|| code.to_owned(), |x| x.name_zh.clone())
    };
    let item_name = |code: &str| {
        wf.taxonomy
            .item(code)
            .map_or_else(|| code.to_owned(), |x| x.name_zh.clone())
    };
    let by_category: Vec<Ranked> = c
        .ranked(|r| match r {
            Row::Category(x) => Some(x),
            _ => None,
        })
        .into_iter()
        .map(|(code, _)| Ranked {
            name_zh: category_name(&code),
            count: c.get(Pop::Period, Row::Category(code.clone()), Received),
            code,
        })
        .collect();
    let top_categories = by_category.iter().take(5).cloned().collect();
    let top_items = c
        .ranked(|r| match r {
            Row::Item(x) => Some(x),
            _ => None,
        })
        .into_iter()
        .take(5)
        .map(|(code, _)| Ranked {
            name_zh: item_name(&code),
            count: c.get(Pop::Period, Row::Item(code.clone()), Received),
            code,
        })
        .collect();

    // Deputies: those who reported in the period, and those of the area's
    // groups (the caller may see) who filed a weekly summary.
    let weeks = weeks_in(ctx.period.from, ctx.period.to);
    let filed = rstore::weekly_filed(tx, &weeks)?;
    let mut filed_by: HashMap<String, u32> = HashMap::new();
    for (user, _) in &filed {
        *filed_by.entry(user.clone()).or_default() += 1;
    }
    let area_groups: Option<HashSet<&str>> = match (&ctx.area, scope) {
        (Area::City, Scope::All) => None,
        (Area::City, Scope::Groups(g)) | (Area::City, Scope::Deputy { groups: g, .. }) => {
            Some(g.iter().map(String::as_str).collect())
        }
        (Area::Town(t), _) => Some(
            lookup
                .names
                .groups
                .iter()
                .filter(|(_, _, j)| j == t)
                .map(|(id, _, _)| id.as_str())
                .collect(),
        ),
        (Area::Group(g), _) => Some(std::iter::once(g.as_str()).collect()),
        _ => Some(HashSet::new()),
    };
    let visible_groups: Option<HashSet<&str>> = match scope {
        Scope::All => None,
        Scope::Groups(g) | Scope::Deputy { groups: g, .. } => {
            Some(g.iter().map(String::as_str).collect())
        }
        Scope::Unit { .. } => Some(HashSet::new()),
    };
    let mut deputies: BTreeMap<String, ()> = BTreeMap::new();
    for (id, _, role, _) in &lookup.names.users {
        if role != "city_deputy" && role != "town_deputy" {
            continue;
        }
        let member = |set: &Option<HashSet<&str>>| {
            set.as_ref().is_none_or(|s| {
                lookup
                    .names
                    .members
                    .iter()
                    .any(|(g, u)| u == id && s.contains(g.as_str()))
            })
        };
        if member(&area_groups) && member(&visible_groups) && filed_by.contains_key(id) {
            deputies.insert(id.clone(), ());
        }
    }
    for (user, _) in c.ranked(|r| match r {
        Row::Deputy(d) => Some(d),
        _ => None,
    }) {
        deputies.insert(user, ());
    }
    let mut deputies: Vec<DeputyRow> = deputies
        .into_keys()
        .map(|user| DeputyRow {
            name: lookup.user_name(&user),
            items: c.get(Pop::Period, Row::Deputy(user.clone()), Received),
            weekly_filed: filed_by.get(&user).copied().unwrap_or(0),
            user,
        })
        .collect();
    deputies.sort_by(|a, b| {
        b.items
            .value
            .cmp(&a.items.value)
            .then(b.weekly_filed.cmp(&a.weekly_filed))
            .then_with(|| a.name.cmp(&b.name))
    });
    let active_deputies = deputies.iter().filter(|d| d.items.value > 0).count() as u64;
    let weekly_filed = deputies.iter().map(|d| u64::from(d.weekly_filed)).sum();

    let trend = ctx
        .period
        .trend_months()
        .into_iter()
        .map(|m| MonthRow {
            label_zh: m.label_zh(),
            received: c.get(Pop::Month(m.key.clone()), Row::All, Received),
            assigned: c.get(Pop::Month(m.key.clone()), Row::All, Assigned),
            resolved: c.get(Pop::Month(m.key.clone()), Row::All, Resolved),
            month: m.key,
        })
        .collect();

    let (received, assigned, by_city) = (c.p(Received), c.p(Assigned), c.p(ByCity));
    let (tr, ta, tc) = (total(Received), total(Assigned), total(ByCity));
    let previous_figures = Headline {
        received: prev(Received),
        explained: prev(Explained),
        assigned: prev(Assigned),
        resolved: prev(Resolved),
    };
    let mut changes = BTreeMap::new();
    for (k, now, before) in [
        ("received", &received, &previous_figures.received),
        ("explained", &c.p(Explained), &previous_figures.explained),
        ("assigned", &assigned, &previous_figures.assigned),
        ("resolved", &c.p(Resolved), &previous_figures.resolved),
    ] {
        changes.insert(k.to_owned(), change(now.value, before.value));
    }
    let stats = Stats {
        period: view(&ctx.period, ctx.cutoff),
        previous: view(&ctx.prev, ctx.prev_cutoff),
        area: AreaView {
            key: ctx.area.key(),
            name_zh: lookup.area_name(&ctx.area),
        },
        city_share_pct: pct(by_city.value, assigned.value),
        received,
        explained: c.p(Explained),
        assigned,
        in_groups: c.p(InGroups),
        by_towns: c.p(ByTowns),
        by_city,
        unassigned: c.p(Unassigned),
        resolved: c.p(Resolved),
        carried: Carried {
            unassigned_before: prev(Unassigned),
            now_assigned: c.get(Pop::Prev, Row::All, CarriedAssigned),
            resolved_from: prev(Resolved),
            resolved_to: c.get(Pop::Prev, Row::All, ResolvedNow),
        },
        previous_figures,
        change: changes,
        totals: Totals {
            since,
            city_share_pct: pct(tc.value, ta.value),
            received: tr,
            explained: total(Explained),
            assigned: ta,
            resolved: total(Resolved),
            by_city: tc,
        },
        top_categories,
        top_items,
        by_category,
        by_town,
        by_unit,
        deputies,
        active_deputies,
        weekly_filed,
        trend,
    };
    Ok((stats, lookup))
}

/// The items figure `sel` counts (newest first): how many, and the page at
/// `offset` of at most `limit`, as list rows.
#[allow(clippy::too_many_arguments)]
pub fn items(
    tx: &mut dyn Tx,
    scope: &Scope,
    ctx: &Ctx,
    sel: &Selector,
    wf: &Workflow,
    offset: usize,
    limit: usize,
) -> StoreResult<(u64, Vec<ItemRow>)> {
    let lookup = Lookup::new(rstore::names(tx)?);
    let mut filter = ctx.scan_filter();
    let (from, to) = match &sel.pop {
        Pop::Period => (ctx.period.from, ctx.period.to),
        Pop::Prev => (ctx.prev.from, ctx.prev.to),
        Pop::Total => (i64::MIN, ctx.cutoff),
        Pop::Month(m) => {
            let p = Period::parse(m).ok_or_else(|| StoreError::Schema("bad month".into()))?;
            (p.from, p.to)
        }
    };
    filter.from = Some(from);
    filter.before = Some(to.min(ctx.cutoff));
    let mut hits: Vec<(i64, String)> = Vec::new();
    rstore::scan(tx, scope, &filter, &mut |t| {
        let f = fact(
            &t,
            &ctx.cutoffs(t.created_at),
            &lookup.dir,
            &wf.calendar,
            &wf.policy,
        );
        if sel.matches(&f, ctx) {
            hits.push((f.created_at, f.id.to_string()));
        }
        Ok(())
    })?;
    hits.sort_by(|a, b| b.cmp(a));
    let total = hits.len() as u64;
    let page: Vec<String> = hits
        .into_iter()
        .skip(offset)
        .take(limit)
        .map(|(_, id)| id)
        .collect();
    Ok((total, rstore::rows_by_ids(tx, &page)?))
}

impl Db {
    /// See [`compute`] (one read snapshot).
    pub fn stats(&self, scope: &Scope, ctx: &Ctx) -> StoreResult<(Stats, Lookup)> {
        let wf = self.workflow();
        self.read(|tx| compute(tx, scope, ctx, &wf))
    }

    /// See [`items`] (one read snapshot).
    pub fn stats_items(
        &self,
        scope: &Scope,
        ctx: &Ctx,
        sel: &Selector,
        offset: usize,
        limit: usize,
    ) -> StoreResult<(u64, Vec<ItemRow>)> {
        let wf = self.workflow();
        self.read(|tx| items(tx, scope, ctx, sel, &wf, offset, limit))
    }
}

/// The first day of the month after `at`'s (for schedules).
pub fn next_month_start(at: i64) -> i64 {
    let d = local_date(at);
    let first = time::Date::from_calendar_date(d.year(), d.month(), 1).unwrap_or(d);
    start_of_day(add_months(first, 1))
}
