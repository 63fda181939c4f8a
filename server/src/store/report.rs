//! What the statistics, the monthly report (民情专报) and the ledgers (台帐)
//! read (`crate::report`), written once for both databases (ADR 0008): the
//! tickets a caller may see, streamed in pages of [`PAGE`] within one
//! snapshot (a report over 100,000 items never holds their bodies at once),
//! and the directory's names and kinds.

use super::listing::{ItemRow, Sql};
use super::sql::Tx;
use super::{Db, StoreResult};
use crate::access::Scope;
use minqing_protocol::Ticket;

/// Tickets decoded per query of a scan.
pub const PAGE: usize = 1000;

/// Which tickets a scan reads, besides the caller's visibility.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScanFilter {
    /// Reported at or after (ms).
    pub from: Option<i64>,
    /// Reported before (ms).
    pub before: Option<i64>,
    pub jurisdiction: Option<String>,
    pub group: Option<String>,
    /// Reported or co-reported by this deputy.
    pub deputy: Option<String>,
    /// Held by this unit now.
    pub unit: Option<String>,
}

/// Call `each` with every ticket `scope` sees through `filter`, oldest first,
/// [`PAGE`] bodies at a time (keyset pages on `(created_at, id)`), inside the
/// caller's transaction.
pub(crate) fn scan(
    tx: &mut dyn Tx,
    scope: &Scope,
    filter: &ScanFilter,
    each: &mut dyn FnMut(Ticket) -> StoreResult<()>,
) -> StoreResult<()> {
    let mut after: Option<(i64, String)> = None;
    loop {
        let mut q = Sql::new("SELECT body, created_at, id FROM tickets WHERE state IS NOT NULL");
        q.scope(scope);
        if let Some(from) = filter.from {
            q.push(" AND created_at >= ").arg(from);
        }
        if let Some(before) = filter.before {
            q.push(" AND created_at < ").arg(before);
        }
        if let Some(j) = &filter.jurisdiction {
            q.push(" AND jurisdiction = ").arg(j.as_str());
        }
        if let Some(g) = &filter.group {
            q.push(" AND group_id = ").arg(g.as_str());
        }
        if let Some(u) = &filter.unit {
            q.push(" AND unit_id = ").arg(u.as_str());
        }
        if let Some(d) = &filter.deputy {
            q.push(" AND (reporter = ")
                .arg(d.as_str())
                .push(" OR (' ' || co_reporters || ' ') LIKE ")
                .arg(format!("% {d} %"))
                .push(")");
        }
        if let Some((at, id)) = &after {
            q.push(" AND (created_at > ")
                .arg(*at)
                .push(" OR (created_at = ")
                .arg(*at)
                .push(" AND id > ")
                .arg(id.as_str())
                .push("))");
        }
        q.push(" ORDER BY created_at, id LIMIT ").arg(PAGE);
        let rows = tx.query(&q.text, &q.args)?;
        let n = rows.len();
        for r in rows {
            after = Some((r.get(1)?, r.get(2)?));
            each(serde_json::from_str(&r.get::<String>(0)?)?)?;
        }
        if n < PAGE {
            return Ok(());
        }
    }
}

/// The directory as reports name and classify things.
#[derive(Debug, Clone, Default)]
pub struct Names {
    /// (id, name, kind)
    pub units: Vec<(String, String, String)>,
    /// (id, name, role, unit)
    pub users: Vec<(String, String, String, Option<String>)>,
    /// (code, name, kind)
    pub jurisdictions: Vec<(String, String, String)>,
    /// (id, name, jurisdiction)
    pub groups: Vec<(String, String, String)>,
    /// (group, user)
    pub members: Vec<(String, String)>,
}

pub(crate) fn names(tx: &mut dyn Tx) -> StoreResult<Names> {
    let mut n = Names::default();
    for r in tx.query("SELECT id, name_zh, kind FROM units ORDER BY name_zh", &[])? {
        n.units.push((r.get(0)?, r.get(1)?, r.get(2)?));
    }
    for r in tx.query(
        "SELECT id, name, role, unit_id FROM users ORDER BY name",
        &[],
    )? {
        n.users.push((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?));
    }
    for r in tx.query(
        "SELECT code, name_zh, kind FROM jurisdictions ORDER BY code",
        &[],
    )? {
        n.jurisdictions.push((r.get(0)?, r.get(1)?, r.get(2)?));
    }
    for r in tx.query(
        "SELECT id, name_zh, jurisdiction FROM groups ORDER BY name_zh",
        &[],
    )? {
        n.groups.push((r.get(0)?, r.get(1)?, r.get(2)?));
    }
    for r in tx.query("SELECT group_id, user_id FROM group_members", &[])? {
        n.members.push((r.get(0)?, r.get(1)?));
    }
    Ok(n)
}

/// The weekly summaries (一周一结报) filed for `weeks`: (user, week).
pub(crate) fn weekly_filed(
    tx: &mut dyn Tx,
    weeks: &[String],
) -> StoreResult<Vec<(String, String)>> {
    if weeks.is_empty() {
        return Ok(Vec::new());
    }
    let mut q = Sql::new("SELECT user_id, week FROM weekly_summaries WHERE week IN ");
    q.list(weeks);
    tx.query(&q.text, &q.args)?
        .iter()
        .map(|r| Ok((r.get(0)?, r.get(1)?)))
        .collect()
}

/// A deputy's weekly summaries, oldest week first: (week, contacts, note,
/// filed at).
pub(crate) fn weekly_of(
    tx: &mut dyn Tx,
    user: &str,
) -> StoreResult<Vec<(String, i64, String, i64)>> {
    tx.query(
        "SELECT week, contacts, note, filed_at FROM weekly_summaries WHERE user_id = ?1
          ORDER BY week",
        &[user.into()],
    )?
    .iter()
    .map(|r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
    .collect()
}

/// The list rows of tickets `ids`, in the order given (missing ones left out).
pub(crate) fn rows_by_ids(tx: &mut dyn Tx, ids: &[String]) -> StoreResult<Vec<ItemRow>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut q = Sql::new(
        "SELECT id, body, warn_at, due_at, last_chase_at, last_chase_level FROM tickets
          WHERE id IN ",
    );
    q.list(ids);
    let mut found = std::collections::HashMap::new();
    for r in tx.query(&q.text, &q.args)? {
        found.insert(
            r.get::<String>(0)?,
            ItemRow {
                ticket: serde_json::from_str(&r.get::<String>(1)?)?,
                warn_at: r.get(2)?,
                due_at: r.get(3)?,
                last_chase_at: r.get(4)?,
                last_chase_level: r.get(5)?,
            },
        );
    }
    Ok(ids.iter().filter_map(|id| found.remove(id)).collect())
}

/// When the first ticket was reported (ms), if any.
pub(crate) fn first_report(tx: &mut dyn Tx) -> StoreResult<Option<i64>> {
    tx.query_one(
        "SELECT MIN(created_at) FROM tickets WHERE state IS NOT NULL",
        &[],
    )?
    .get(0)
}

impl Db {
    /// See [`names`].
    pub fn report_names(&self) -> StoreResult<Names> {
        self.read(names)
    }
}

impl Db {
    /// Read and decode every ticket `scope` sees through [`scan`], nothing
    /// else: the floor any report pays (the benchmark's baseline). How many.
    pub fn report_scan(&self, scope: &Scope) -> StoreResult<u64> {
        self.read(|tx| {
            let mut n = 0u64;
            scan(tx, scope, &ScanFilter::default(), &mut |_| {
                n += 1;
                Ok(())
            })?;
            Ok(n)
        })
    }
}
