//! The staff console's queries over the tickets' listing columns (schema v14;
//! `store::tickets`): the supervision board's counts, the filtered, searched,
//! sorted and paged item list, its export, and the assignment lists. Written
//! once for both databases (ADR 0008). Which tickets a caller may see is
//! decided above, in `crate::access` ([`Scope`]); here it only becomes SQL.
//!
//! Search: a case-insensitive `LIKE` over the text and the address (the
//! `search` column, lower-cased when written), every word of the query
//! required. No tokenizer is needed for Chinese, and at a city's scale the
//! scan is well inside the console's budget (`docs/benchmarks.md`, "console").

use super::sql::{Row, Tx, Value};
use super::{Db, StoreResult};
use crate::access::Scope;
use minqing_protocol::Ticket;

/// What the item list may be narrowed to; every field optional.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ItemFilter {
    /// State names (`pool`, `routed`, …); empty: any.
    pub states: Vec<String>,
    /// Only open (`true`) or only finished (`false`) items.
    pub open: Option<bool>,
    pub jurisdiction: Option<String>,
    pub group: Option<String>,
    /// A unit id, or [`NO_UNIT`] for items no unit holds (the claim pool).
    pub unit: Option<String>,
    pub category: Option<String>,
    pub reporter: Option<String>,
    /// Reported at or after (ms).
    pub from: Option<i64>,
    /// Reported before (ms).
    pub to: Option<i64>,
    /// Only items whose clock is past due at `now`.
    pub overdue: bool,
    /// Words that must all occur in the text or the address.
    pub q: Option<String>,
}

/// [`ItemFilter::unit`] for items no unit holds.
pub const NO_UNIT: &str = "none";

/// How the list is ordered (newest first unless `ascending`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum SortKey {
    /// When reported.
    #[default]
    Created,
    /// When last changed.
    Updated,
    /// When the earliest running clock is due (items without one last).
    Due,
}

/// One row of the list: the listing columns and the body.
#[derive(Debug, Clone)]
pub struct ItemRow {
    pub ticket: Ticket,
    pub warn_at: Option<i64>,
    pub due_at: Option<i64>,
    pub last_chase_at: Option<i64>,
    pub last_chase_level: Option<i64>,
}

/// Open items of one unit, town/street and group, by clock colour at `now`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BoardCell {
    pub unit: Option<String>,
    pub jurisdiction: Option<String>,
    pub group: Option<String>,
    /// Past due.
    pub red: u64,
    /// In the last part of their time.
    pub yellow: u64,
    /// Everything else open (including items whose clocks have stopped:
    /// replied, resolved and waiting for the deputy).
    pub green: u64,
}

/// Appends SQL and its arguments, numbering placeholders as it goes.
pub(crate) struct Sql {
    pub(crate) text: String,
    pub(crate) args: Vec<Value>,
}

impl Sql {
    pub(crate) fn new(text: &str) -> Self {
        Sql {
            text: text.to_owned(),
            args: Vec::new(),
        }
    }

    pub(crate) fn push(&mut self, text: &str) -> &mut Self {
        self.text.push_str(text);
        self
    }

    /// A placeholder for `v`.
    pub(crate) fn arg(&mut self, v: impl Into<Value>) -> &mut Self {
        self.args.push(v.into());
        let n = self.args.len();
        self.text.push_str(&format!("?{n}"));
        self
    }

    /// `(?a, ?b, …)` for `values`; `(NULL)` when empty (matches nothing).
    pub(crate) fn list(&mut self, values: &[String]) -> &mut Self {
        if values.is_empty() {
            return self.push("(NULL)");
        }
        self.push("(");
        for (i, v) in values.iter().enumerate() {
            if i > 0 {
                self.push(", ");
            }
            self.arg(v.as_str());
        }
        self.push(")")
    }

    /// ` AND <who may see it>`.
    pub(crate) fn scope(&mut self, scope: &Scope) -> &mut Self {
        match scope {
            Scope::All => self,
            Scope::Groups(groups) => self.push(" AND group_id IN ").list(groups),
            Scope::Unit { unit, pool_groups } => {
                self.push(" AND (");
                match unit {
                    Some(u) => self.push("unit_id = ").arg(u.as_str()),
                    None => self.push("FALSE"),
                };
                self.push(" OR (state = 'pool' AND group_id IN ")
                    .list(pool_groups)
                    .push("))")
            }
            Scope::Deputy { user, groups } => self
                .push(" AND (reporter = ")
                .arg(user.as_str())
                .push(" OR group_id IN ")
                .list(groups)
                .push(" OR (' ' || co_reporters || ' ') LIKE ")
                .arg(format!("% {user} %"))
                .push(")"),
        }
    }

    /// ` AND <the filter>`.
    fn filter(&mut self, f: &ItemFilter, now: i64) -> &mut Self {
        if !f.states.is_empty() {
            self.push(" AND state IN ").list(&f.states);
        }
        if let Some(open) = f.open {
            self.push(if open {
                " AND open = TRUE"
            } else {
                " AND open = FALSE"
            });
        }
        if let Some(j) = &f.jurisdiction {
            self.push(" AND jurisdiction = ").arg(j.as_str());
        }
        if let Some(g) = &f.group {
            self.push(" AND group_id = ").arg(g.as_str());
        }
        match f.unit.as_deref() {
            Some(NO_UNIT) => {
                self.push(" AND unit_id IS NULL");
            }
            Some(u) => {
                self.push(" AND unit_id = ").arg(u);
            }
            None => {}
        }
        if let Some(c) = &f.category {
            self.push(" AND category = ").arg(c.as_str());
        }
        if let Some(r) = &f.reporter {
            self.push(" AND reporter = ").arg(r.as_str());
        }
        if let Some(from) = f.from {
            self.push(" AND created_at >= ").arg(from);
        }
        if let Some(to) = f.to {
            self.push(" AND created_at < ").arg(to);
        }
        if f.overdue {
            self.push(" AND open = TRUE AND due_at <= ").arg(now);
        }
        for word in f.q.iter().flat_map(|q| q.split_whitespace()).take(8) {
            self.push(" AND search LIKE ")
                .arg(format!("%{}%", like_escape(&word.to_lowercase())))
                .push(" ESCAPE '!'");
        }
        self
    }
}

/// `s` with LIKE's wildcards taken literally (escape character `!`).
fn like_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '%' | '_' | '!') {
            out.push('!');
        }
        out.push(c);
    }
    out
}

const ROW_COLUMNS: &str = "body, warn_at, due_at, last_chase_at, last_chase_level";

fn item_row(r: &Row) -> StoreResult<ItemRow> {
    Ok(ItemRow {
        ticket: serde_json::from_str(&r.get::<String>(0)?)?,
        warn_at: r.get(1)?,
        due_at: r.get(2)?,
        last_chase_at: r.get(3)?,
        last_chase_level: r.get(4)?,
    })
}

fn order_by(sort: SortKey, ascending: bool) -> &'static str {
    match (sort, ascending) {
        (SortKey::Created, false) => " ORDER BY created_at DESC, id DESC",
        (SortKey::Created, true) => " ORDER BY created_at, id",
        (SortKey::Updated, false) => " ORDER BY updated_at DESC, id DESC",
        (SortKey::Updated, true) => " ORDER BY updated_at, id",
        // Items without a running clock last, either way.
        (SortKey::Due, false) => " ORDER BY (due_at IS NULL), due_at DESC, id DESC",
        (SortKey::Due, true) => " ORDER BY (due_at IS NULL), due_at, id",
    }
}

/// How many items `scope` sees through `filter`, and the page of them at
/// `offset` (at most `limit`), in `sort` order.
#[allow(clippy::too_many_arguments)]
pub(crate) fn items(
    tx: &mut dyn Tx,
    scope: &Scope,
    filter: &ItemFilter,
    sort: SortKey,
    ascending: bool,
    offset: usize,
    limit: usize,
    now: i64,
) -> StoreResult<(u64, Vec<ItemRow>)> {
    let mut count = Sql::new("SELECT COUNT(*) FROM tickets WHERE state IS NOT NULL");
    count.scope(scope).filter(filter, now);
    let total: i64 = tx.query_one(&count.text, &count.args)?.get(0)?;
    let mut page = Sql::new(&format!(
        "SELECT {ROW_COLUMNS} FROM tickets WHERE state IS NOT NULL"
    ));
    page.scope(scope).filter(filter, now);
    page.push(order_by(sort, ascending));
    page.push(" LIMIT ").arg(limit).push(" OFFSET ").arg(offset);
    let rows = tx
        .query(&page.text, &page.args)?
        .iter()
        .map(item_row)
        .collect::<StoreResult<Vec<_>>>()?;
    Ok((u64::try_from(total).unwrap_or(0), rows))
}

/// The open items `scope` sees, counted by unit, town/street and group and
/// by colour at `now` (one scan of the open rows).
pub(crate) fn board(tx: &mut dyn Tx, scope: &Scope, now: i64) -> StoreResult<Vec<BoardCell>> {
    let mut q = Sql::new("SELECT unit_id, jurisdiction, group_id, SUM(CASE WHEN due_at <= ");
    q.arg(now)
        .push(" THEN 1 ELSE 0 END), SUM(CASE WHEN due_at > ")
        .arg(now)
        .push(" AND warn_at <= ")
        .arg(now)
        .push(
            " THEN 1 ELSE 0 END), COUNT(*) FROM tickets
              WHERE open = TRUE AND state IS NOT NULL",
        )
        .scope(scope)
        .push(" GROUP BY unit_id, jurisdiction, group_id");
    tx.query(&q.text, &q.args)?
        .iter()
        .map(|r| {
            let red = u64::try_from(r.get::<Option<i64>>(3)?.unwrap_or(0)).unwrap_or(0);
            let yellow = u64::try_from(r.get::<Option<i64>>(4)?.unwrap_or(0)).unwrap_or(0);
            let total = u64::try_from(r.get::<i64>(5)?).unwrap_or(0);
            Ok(BoardCell {
                unit: r.get(0)?,
                jurisdiction: r.get(1)?,
                group: r.get(2)?,
                red,
                yellow,
                green: total.saturating_sub(red + yellow),
            })
        })
        .collect()
}

impl Db {
    /// See [`items`].
    #[allow(clippy::too_many_arguments)]
    pub fn list_items(
        &self,
        scope: &Scope,
        filter: &ItemFilter,
        sort: SortKey,
        ascending: bool,
        offset: usize,
        limit: usize,
        now: i64,
    ) -> StoreResult<(u64, Vec<ItemRow>)> {
        self.read(|tx| items(tx, scope, filter, sort, ascending, offset, limit, now))
    }

    /// See [`board`].
    pub fn board(&self, scope: &Scope, now: i64) -> StoreResult<Vec<BoardCell>> {
        self.read(|tx| board(tx, scope, now))
    }

    /// The assignment lists (交办清单) in use: name and how many items, newest
    /// list first (by its latest item).
    pub fn assignment_lists(&self) -> StoreResult<Vec<(String, u64)>> {
        self.read(|tx| {
            tx.query(
                "SELECT assignment_list, COUNT(*), MAX(updated_at) FROM tickets
                  WHERE assignment_list IS NOT NULL
                  GROUP BY assignment_list ORDER BY MAX(updated_at) DESC",
                &[],
            )?
            .iter()
            .map(|r| Ok((r.get(0)?, u64::try_from(r.get::<i64>(1)?).unwrap_or(0))))
            .collect()
        })
    }

    /// Names of the users among `ids`: (id, name, role).
    pub fn user_names(&self, ids: &[String]) -> StoreResult<Vec<(String, String, String)>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        self.read(|tx| {
            let mut q = Sql::new("SELECT id, name, role FROM users WHERE id IN ");
            q.list(ids);
            tx.query(&q.text, &q.args)?
                .iter()
                .map(|r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
                .collect()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards_are_taken_literally() {
        assert_eq!(like_escape("50%_!"), "50!%!_!!");
        assert_eq!(like_escape("窨井盖"), "窨井盖");
    }

    #[test]
    fn placeholders_are_numbered_in_order() {
        let mut q = Sql::new("SELECT 1 WHERE TRUE");
        q.scope(&Scope::Unit {
            unit: Some("u".into()),
            pool_groups: vec!["g1".into(), "g2".into()],
        })
        .filter(
            &ItemFilter {
                q: Some("窨井 水月亭".into()),
                ..ItemFilter::default()
            },
            0,
        );
        assert_eq!(
            q.text,
            "SELECT 1 WHERE TRUE AND (unit_id = ?1 OR (state = 'pool' AND group_id IN (?2, ?3))) \
             AND search LIKE ?4 ESCAPE '!' AND search LIKE ?5 ESCAPE '!'"
        );
        assert_eq!(q.args.len(), 5);
    }
}
