//! The monthly run (issue 14 item 2): on the first working day of each month
//! (the deployment's working-day calendar, `minqing_protocol::calendar`, so
//! a holiday-shifted month starts its reports when the offices open), the
//! city's 民情专报 for the month before is made (PDF, DOCX, and the figures as
//! JSON), stored under `<data_dir>/reports/<YYYY-MM>.{pdf,docx,json}`, and
//! announced to every city staff member through the in-app inbox (notice
//! kind `report`, `crate::workflow::notify`'s delivery: inbox and push).
//!
//! Once per month: the announcement is the record that the month is done (a
//! notice row whose item id is the month's [`report_id`]), written in one
//! transaction that first looks for it, so a restart, a second check in the
//! same hour or a server that was down on the day (it runs at its first
//! check after) neither misses nor repeats it. Files are written first (to a
//! temporary name, then renamed), so an announced report is always there.

use super::document::{self, DocError};
use super::stats::{Area, Ctx, Period};
use crate::access::Scope;
use crate::clock::Clock;
use crate::push::outbox::PushText;
use crate::store::{Db, StoreError};
use crate::workflow::notify::{Notice, Recipients};
use minqing_protocol::calendar::{local_date, start_of_day, Calendar};
use minqing_protocol::{Role, TicketId};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// Where the monthly reports are kept, and the PDF printer's command.
#[derive(Debug, Clone)]
pub struct Monthly {
    pub dir: PathBuf,
    pub chromium: String,
}

impl Monthly {
    /// Reports under `dir`, printed by [`document::chromium`].
    pub fn new(dir: PathBuf) -> Monthly {
        Monthly {
            dir,
            chromium: document::chromium(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum MonthlyError {
    #[error("{0}")]
    Store(#[from] StoreError),
    #[error("{0}")]
    Document(#[from] DocError),
    #[error("report files: {0}")]
    Io(#[from] std::io::Error),
}

/// The first working day of the month `day` is in, on `cal` (none found in
/// the month: its first day).
pub fn first_working_day(cal: &Calendar, day: time::Date) -> time::Date {
    let first = day.replace_day(1).unwrap_or(day);
    let mut d = first;
    while !cal.is_working_day(d) {
        match d.next_day() {
            Some(n) if n.month() == first.month() => d = n,
            _ => return first,
        }
    }
    d
}

/// The month whose report is due at `now`: the month before, from the first
/// working day of this month on; before that day, none (the month before's
/// report waits for the offices to open).
pub fn due(cal: &Calendar, now: i64) -> Option<Period> {
    let today = local_date(now);
    if today < first_working_day(cal, today) {
        return None;
    }
    let first = today.replace_day(1).ok()?;
    Some(Period::month_of(start_of_day(first) - 1))
}

/// The item id a month's announcement carries (notices belong to an item;
/// this one is no item): a fixed prefix and the month's digits, so the
/// month's notice is found again. `None` for a key that is not `YYYY-MM`.
pub fn report_id(key: &str) -> Option<TicketId> {
    let (y, m) = key.split_once('-')?;
    let n: u128 = format!("{y}{m}").parse().ok()?;
    // "MQREPORT" in ASCII, then the month.
    Some(TicketId(uuid::Uuid::from_u128(
        (0x4d51_5245_504f_5254u128 << 64) | n,
    )))
}

fn path(dir: &Path, key: &str, ext: &str) -> PathBuf {
    dir.join(format!("{key}.{ext}"))
}

/// A stored report of month `key` (PDF or DOCX), if the monthly run made it.
pub fn stored(dir: &Path, key: &str, pdf: bool) -> Option<Vec<u8>> {
    report_id(key)?;
    std::fs::read(path(dir, key, if pdf { "pdf" } else { "docx" })).ok()
}

fn put(dir: &Path, key: &str, ext: &str, bytes: &[u8]) -> std::io::Result<()> {
    let tmp = path(dir, key, &format!("{ext}.tmp"));
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, path(dir, key, ext))
}

fn announced(db: &Db, id: TicketId) -> Result<bool, StoreError> {
    db.read(|tx| {
        Ok(!tx
            .query(
                "SELECT 1 FROM notifications WHERE kind = 'report' AND ticket_id = ?1 LIMIT 1",
                &[id.to_string().into()],
            )?
            .is_empty())
    })
}

/// Make, store and announce the report due at `now`, unless it was. Returns
/// the month made, if one was.
pub fn run(db: &Db, m: &Monthly, now: i64) -> Result<Option<String>, MonthlyError> {
    let wf = db.workflow();
    let Some(period) = due(&wf.calendar, now) else {
        return Ok(None);
    };
    let Some(id) = report_id(&period.key) else {
        return Ok(None);
    };
    if announced(db, id)? {
        return Ok(None);
    }
    let key = period.key.clone();
    let label = period.label_zh();
    let (s, _) = db.stats(&Scope::All, &Ctx::new(period, Area::City, now))?;
    std::fs::create_dir_all(&m.dir)?;
    let json = serde_json::to_vec_pretty(&s).map_err(StoreError::from)?;
    put(&m.dir, &key, "json", &json)?;
    put(&m.dir, &key, "docx", &document::docx(&s, now)?)?;
    put(
        &m.dir,
        &key,
        "pdf",
        &document::pdf(&document::html(&s, now), &m.chromium)?,
    )?;
    let notice = Notice {
        to: Recipients::Role(Role::CityStaff),
        except: None,
        kind: "report",
        zh: format!(
            "{label}民情专报已生成：本期收到{}件，交办{}件，已解决{}件。可在控制台“统计报表”下载PDF、DOCX（/v1/reports/{key}）。",
            s.received.value, s.assigned.value, s.resolved.value
        ),
        en: format!(
            "The {key} report is ready: {} received, {} assigned, {} resolved. Download PDF or DOCX at /v1/reports/{key}.",
            s.received.value, s.assigned.value, s.resolved.value
        ),
        push: PushText {
            title_zh: "民情专报".into(),
            body_zh: format!("{label}民情专报已生成"),
            title_en: "Monthly report".into(),
            body_en: format!("The {key} report is ready"),
        },
    };
    let made = db.write(|tx| {
        let seen = !tx
            .query(
                "SELECT 1 FROM notifications WHERE kind = 'report' AND ticket_id = ?1 LIMIT 1",
                &[id.to_string().into()],
            )?
            .is_empty();
        if !seen {
            crate::store::review::notify(tx, &notice, id, now)?;
        }
        Ok::<_, StoreError>(!seen)
    })?;
    Ok(made.then_some(key))
}

/// How often the server looks whether a report is due.
pub const EVERY: Duration = Duration::from_secs(3600);

/// Look every [`EVERY`] (and once at start) on the blocking pool; failures
/// are logged and tried again at the next look.
pub fn spawn(db: Arc<Db>, m: Arc<Monthly>, clock: Clock) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(EVERY);
        loop {
            tick.tick().await;
            let (db, m, now) = (db.clone(), m.clone(), clock.now());
            match tokio::task::spawn_blocking(move || run(&db, &m, now)).await {
                Ok(Ok(Some(key))) => {
                    tracing::info!(month = %key, "monthly report made and announced")
                }
                Ok(Ok(None)) => {}
                Ok(Err(e)) => {
                    tracing::warn!(error = %e, "monthly report failed; trying again later")
                }
                Err(e) => tracing::warn!(error = %e, "monthly report task failed"),
            }
        }
    })
}
