//! The 台帐 ledgers as XLSX: the master ledger (every item a caller may see),
//! a deputy's 履职台帐 and a unit's ledger — one row function for all three,
//! from the tickets as stored ("记一次，大小台帐就都有了": nothing is typed
//! twice). Rows are streamed: the tickets are read [`PAGE`] at a time and
//! each row goes straight to rust_xlsxwriter's constant-memory worksheet
//! (a temporary file), so a ledger of 100,000 items never sits in memory
//! (`docs/benchmarks.md`, "Reports").
//!
//! [`PAGE`]: crate::store::report::PAGE

use super::facts::{status_at, Class, Path, Status};
use super::stats::{Lookup, Stats};
use crate::access::Scope;
use crate::store::report::{self as rstore, ScanFilter};
use crate::store::sql::Tx;
use crate::store::{StoreError, StoreResult};
use crate::workflow::Workflow;
use minqing_protocol::calendar::CHINA_TIME;
use minqing_protocol::{SourceChannel, Ticket};
use rust_xlsxwriter::{Format, FormatAlign, Workbook, Worksheet, XlsxError};

/// The master ledger's columns (the deputy's and the unit's are the same).
pub const COLUMNS: [(&str, f64); 21] = [
    ("序号", 7.0),
    ("编号", 10.0),
    ("提交时间", 17.0),
    ("地点", 30.0),
    ("纬度（WGS-84）", 11.0),
    ("经度（WGS-84）", 11.0),
    ("镇街道", 11.0),
    ("直通车群", 20.0),
    ("类别", 14.0),
    ("项目", 16.0),
    ("内容", 50.0),
    ("代表", 14.0),
    ("来源", 8.0),
    ("承办单位", 20.0),
    ("办理路径", 16.0),
    ("状态", 12.0),
    ("受理时间", 17.0),
    ("答复时间", 17.0),
    ("解决时间", 17.0),
    ("督办次数", 8.0),
    ("评价", 6.0),
];

/// What kind of ledger.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    /// 总台帐: every item.
    Master,
    /// 履职台帐: a deputy's items (reported or co-reported) and weekly summaries.
    Deputy(String),
    /// A unit's items (held by it now).
    Unit(String),
}

/// The path as the ledger names it.
pub fn path_zh(s: &Status) -> &'static str {
    match s.class {
        Class::Merged => "已合并",
        Class::Explained => "代表当场解释办结",
        Class::Unassigned => "未交办",
        Class::Assigned(Path::Group) => "直通车群办理",
        Class::Assigned(Path::Town) => "镇街道办理",
        Class::Assigned(Path::City) => "市级部门办理",
    }
}

fn channel_zh(c: SourceChannel) -> &'static str {
    match c {
        SourceChannel::FieldCapture => "随手拍",
        SourceChannel::Reception => "接待",
        SourceChannel::Phone => "电话",
        SourceChannel::Other => "其他",
    }
}

/// An Excel date-time serial (days since 1899-12-30) for `ms`, China time.
fn serial(ms: i64) -> f64 {
    let local = ms + 8 * 3_600_000;
    local as f64 / 86_400_000.0 + 25_569.0
}

fn xlsx(e: XlsxError) -> StoreError {
    StoreError::Schema(format!("xlsx: {e}"))
}

/// One item's row (values as text or numbers), from the ticket and its
/// status now.
pub fn row(t: &Ticket, s: &Status, n: u64, lookup: &Lookup, wf: &Workflow) -> Vec<Cell> {
    let name =
        |id: &Option<String>, f: &dyn Fn(&str) -> String| id.as_deref().map(f).unwrap_or_default();
    let mut reporters = vec![lookup.user_name(&t.reporter.to_string())];
    reporters.extend(
        t.co_reporters
            .iter()
            .map(|u| lookup.user_name(&u.to_string())),
    );
    let loc = t.location.as_ref();
    vec![
        Cell::Num(n as f64),
        Cell::Text(t.id.to_string().chars().take(8).collect()),
        Cell::Time(t.created_at),
        Cell::Text(loc.and_then(|l| l.address.clone()).unwrap_or_default()),
        loc.map_or(Cell::Empty, |l| Cell::Num(l.latitude)),
        loc.map_or(Cell::Empty, |l| Cell::Num(l.longitude)),
        Cell::Text(name(&t.jurisdiction, &|c| lookup.town_name(c))),
        Cell::Text(name(&t.group.map(|g| g.to_string()), &|g| {
            lookup
                .groups
                .get(g)
                .map_or_else(|| g.to_owned(), |(n, _)| n.clone())
        })),
        Cell::Text(name(&t.category, &|c| {
            wf.taxonomy
                .category(c)
                .map_or_else(|| c.to_owned(), |x| x.name_zh.clone())
        })),
        Cell::Text(name(&t.item, &|i| {
            wf.taxonomy
                .item(i)
                .map_or_else(|| i.to_owned(), |x| x.name_zh.clone())
        })),
        Cell::Text(t.text.clone()),
        Cell::Text(reporters.join("、")),
        Cell::Text(channel_zh(t.channel).to_owned()),
        Cell::Text(name(&s.unit.map(|u| u.to_string()), &|u| {
            lookup.unit_name(u)
        })),
        Cell::Text(path_zh(s).to_owned()),
        Cell::Text(t.state.label_zh().to_owned()),
        s.accepted_at.map_or(Cell::Empty, Cell::Time),
        s.replied_at.map_or(Cell::Empty, Cell::Time),
        s.resolved_at.map_or(Cell::Empty, Cell::Time),
        Cell::Num(f64::from(s.chases)),
        s.rating
            .map_or(Cell::Empty, |r| Cell::Text("★".repeat(usize::from(r)))),
    ]
}

/// A cell of a row.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Empty,
    Text(String),
    Num(f64),
    /// A time (ms), shown as a China-time date and time.
    Time(i64),
}

struct Formats {
    head: Format,
    time: Format,
    wrap: Format,
    title: Format,
}

fn formats() -> Formats {
    Formats {
        head: Format::new()
            .set_bold()
            .set_align(FormatAlign::Center)
            .set_background_color("F3E5E5")
            .set_border(rust_xlsxwriter::FormatBorder::Thin),
        time: Format::new().set_num_format("yyyy-mm-dd hh:mm"),
        wrap: Format::new().set_text_wrap(),
        title: Format::new().set_bold().set_font_size(14),
    }
}

fn write_cell(
    ws: &mut Worksheet,
    f: &Formats,
    r: u32,
    c: u16,
    cell: &Cell,
) -> Result<(), XlsxError> {
    match cell {
        Cell::Empty => {}
        Cell::Text(s) if c == 10 => {
            ws.write_string_with_format(r, c, s, &f.wrap)?;
        }
        Cell::Text(s) => {
            ws.write_string(r, c, s)?;
        }
        Cell::Num(n) => {
            ws.write_number(r, c, *n)?;
        }
        Cell::Time(ms) => {
            ws.write_number_with_format(r, c, serial(*ms), &f.time)?;
        }
    }
    Ok(())
}

/// What a ledger covers.
#[derive(Debug, Clone)]
pub struct Spec {
    pub kind: Kind,
    /// Reported at or after / before (ms).
    pub from: Option<i64>,
    pub before: Option<i64>,
    /// The title line, e.g. `海宁市民情总台帐（2020年9月）`.
    pub title: String,
}

/// Write the ledger `spec` asks for, of what `scope` sees, to `out` (a file
/// path: the workbook is assembled there from its temporary parts). With
/// `summary`, a first sheet "汇总" holds the period's figures (the same
/// [`Stats`] as the report). Returns how many items were written.
pub fn write(
    tx: &mut dyn Tx,
    scope: &Scope,
    spec: &Spec,
    summary: Option<&Stats>,
    wf: &Workflow,
    out: &std::path::Path,
) -> StoreResult<u64> {
    let lookup = Lookup::new(rstore::names(tx)?);
    let f = formats();
    let mut wb = Workbook::new();
    if let Some(s) = summary {
        let ws = wb.add_worksheet();
        ws.set_name("汇总").map_err(xlsx)?;
        summary_sheet(ws, &f, s).map_err(xlsx)?;
    }
    let weekly = match &spec.kind {
        Kind::Deputy(user) => rstore::weekly_of(tx, user)?,
        _ => Vec::new(),
    };
    let n = {
        let ws = wb.add_worksheet_with_constant_memory().map_err(xlsx)?;
        ws.set_name(match spec.kind {
            Kind::Master => "总台帐",
            Kind::Deputy(_) => "履职台帐",
            Kind::Unit(_) => "单位台帐",
        })
        .map_err(xlsx)?;
        ws.write_string_with_format(0, 0, &spec.title, &f.title)
            .map_err(xlsx)?;
        for (c, (head, width)) in COLUMNS.iter().enumerate() {
            let c = c as u16;
            ws.set_column_width(c, *width).map_err(xlsx)?;
            ws.write_string_with_format(1, c, *head, &f.head)
                .map_err(xlsx)?;
        }
        ws.set_freeze_panes(2, 0).map_err(xlsx)?;
        let filter = ScanFilter {
            from: spec.from,
            before: spec.before,
            deputy: match &spec.kind {
                Kind::Deputy(d) => Some(d.clone()),
                _ => None,
            },
            unit: match &spec.kind {
                Kind::Unit(u) => Some(u.clone()),
                _ => None,
            },
            ..ScanFilter::default()
        };
        let mut n = 0u64;
        let mut failed: Option<XlsxError> = None;
        rstore::scan(tx, scope, &filter, &mut |t| {
            let Some(s) = status_at(&t, i64::MAX, false, &lookup.dir, &wf.calendar, &wf.policy)
            else {
                return Ok(());
            };
            n += 1;
            let r = 1 + n as u32;
            for (c, cell) in row(&t, &s, n, &lookup, wf).iter().enumerate() {
                if let Err(e) = write_cell(ws, &f, r, c as u16, cell) {
                    failed.get_or_insert(e);
                }
            }
            Ok(())
        })?;
        if let Some(e) = failed {
            return Err(xlsx(e));
        }
        if n > 0 {
            ws.autofilter(1, 0, 1 + n as u32, COLUMNS.len() as u16 - 1)
                .map_err(xlsx)?;
        }
        n
    };
    if let Kind::Deputy(_) = spec.kind {
        let ws = wb.add_worksheet();
        ws.set_name("一周一结报").map_err(xlsx)?;
        for (c, (h, w)) in [
            ("周", 12.0),
            ("联系群众（人次）", 16.0),
            ("情况", 60.0),
            ("提交时间", 17.0),
        ]
        .iter()
        .enumerate()
        {
            ws.set_column_width(c as u16, *w).map_err(xlsx)?;
            ws.write_string_with_format(0, c as u16, *h, &f.head)
                .map_err(xlsx)?;
        }
        for (i, (week, contacts, note, at)) in weekly.iter().enumerate() {
            let r = 1 + i as u32;
            ws.write_string(r, 0, week).map_err(xlsx)?;
            ws.write_number(r, 1, *contacts as f64).map_err(xlsx)?;
            ws.write_string_with_format(r, 2, note, &f.wrap)
                .map_err(xlsx)?;
            ws.write_number_with_format(r, 3, serial(*at), &f.time)
                .map_err(xlsx)?;
        }
    }
    wb.save(out).map_err(xlsx)?;
    Ok(n)
}

fn summary_sheet(ws: &mut Worksheet, f: &Formats, s: &Stats) -> Result<(), XlsxError> {
    ws.set_column_width(0, 34.0)?;
    ws.set_column_width(1, 12.0)?;
    ws.write_string_with_format(
        0,
        0,
        format!("{}（{}）", s.area.name_zh, s.period.label_zh),
        &f.title,
    )?;
    ws.write_string_with_format(1, 0, "项目", &f.head)?;
    ws.write_string_with_format(1, 1, "件数", &f.head)?;
    let rows: [(&str, u64); 12] = [
        ("本期收到", s.received.value),
        ("代表当场解释办结", s.explained.value),
        ("交办", s.assigned.value),
        ("“民情直通车”群办理", s.in_groups.value),
        ("镇街道办理", s.by_towns.value),
        ("市级部门办理", s.by_city.value),
        ("已解决", s.resolved.value),
        ("未交办", s.unassigned.value),
        ("上期未交办", s.carried.unassigned_before.value),
        ("其中本期已完成交办", s.carried.now_assigned.value),
        (
            "上期已交办件中已解决（上期末）",
            s.carried.resolved_from.value,
        ),
        (
            "上期已交办件中已解决（本期末）",
            s.carried.resolved_to.value,
        ),
    ];
    for (i, (name, v)) in rows.iter().enumerate() {
        let r = 2 + i as u32;
        ws.write_string(r, 0, *name)?;
        ws.write_number(r, 1, *v as f64)?;
    }
    let r = 2 + rows.len() as u32 + 1;
    ws.write_string(
        r,
        0,
        "说明：各项口径见 docs/report.md；数据为统计截止时的状态。",
    )?;
    Ok(())
}

/// The local date and time of `ms` as the ledgers' file names use it.
pub fn stamp(ms: i64) -> String {
    let fmt = time::macros::format_description!("[year][month][day]");
    time::OffsetDateTime::from_unix_timestamp(ms.div_euclid(1000))
        .map(|t| t.to_offset(CHINA_TIME).format(&fmt).unwrap_or_default())
        .unwrap_or_default()
}

impl crate::store::Db {
    /// See [`write`] (one read snapshot).
    pub fn ledger(
        &self,
        scope: &Scope,
        spec: &Spec,
        summary: Option<&Stats>,
        out: &std::path::Path,
    ) -> StoreResult<u64> {
        let wf = self.workflow();
        self.read(|tx| write(tx, scope, spec, summary, &wf, out))
    }
}
