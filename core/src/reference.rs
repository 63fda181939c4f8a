//! Reference data on the device: the names behind the ids in tickets (units,
//! groups, people), the taxonomy for the category picker and the labels, the
//! working-day calendar and the clock rules — so every screen shows names and
//! clock colours offline, computed the way the server computes them.
//!
//! # Design
//! The server's answer to `GET /v1/reference?since=<version>`
//! ([`minqing_protocol::wire::ReferenceResponse`]) is kept whole, as JSON, in
//! one row (`reference`), replaced in one transaction. [`Reference`] is the
//! parsed form the views read; the engine caches it and drops the cache when
//! a new version is stored ([`Store::reference_generation`]). Before the
//! first copy arrives (a phone that has never synced) the built-ins stand in:
//! the State Council calendars shipped in `protocol`, the example taxonomy and
//! the default clock rules, and no names (screens say the role instead).
//!
//! A sync pass fetches it when the device has none, after a login, and at most
//! every [`REFRESH_MS`] otherwise (`client::engine`). A server that does not
//! serve the route yet answers 404: that is remembered as a check, fails
//! nothing, and is asked again after [`REFRESH_MS`].

use crate::error::{Lang, Result};
use crate::store::{meta_get, meta_set, now_ms, Store};
use minqing_protocol::calendar::Calendar;
use minqing_protocol::clocks::Policy;
use minqing_protocol::taxonomy::Taxonomy;
use minqing_protocol::wire::{GroupRef, PersonRef, ReferenceData, UnitRef};
use minqing_protocol::{GroupId, Role, UnitId, UserId};
use rusqlite::{params, Connection, OptionalExtension};
use std::collections::HashMap;

/// How often a pass asks for newer reference data (6 h).
pub const REFRESH_MS: i64 = 6 * 3600 * 1000;

/// The parsed reference data the views use.
pub struct Reference {
    /// `None` until the server's first copy is stored.
    pub version: Option<String>,
    pub units: HashMap<UnitId, UnitRef>,
    /// Units in the server's order (pickers).
    pub unit_order: Vec<UnitId>,
    pub groups: HashMap<GroupId, GroupRef>,
    pub people: HashMap<UserId, PersonRef>,
    pub taxonomy: Taxonomy,
    pub calendar: Calendar,
    /// With the taxonomy's per-category reply spans filled in.
    pub policy: Policy,
}

impl Reference {
    /// The built-ins, for a device that has no copy yet.
    pub fn builtin() -> Reference {
        Self::build(None, Vec::new(), Vec::new(), Vec::new(), None, &[], None)
    }

    fn build(
        version: Option<String>,
        units: Vec<UnitRef>,
        groups: Vec<GroupRef>,
        people: Vec<PersonRef>,
        taxonomy_toml: Option<&str>,
        years: &[minqing_protocol::wire::CalendarYear],
        policy: Option<Policy>,
    ) -> Reference {
        let taxonomy = taxonomy_toml
            .and_then(|t| match Taxonomy::from_toml(t) {
                Ok(t) => Some(t),
                Err(e) => {
                    tracing::warn!(error = %e, "reference taxonomy refused; using the example");
                    None
                }
            })
            .or_else(|| Taxonomy::example().ok())
            .unwrap_or_default();
        let calendar = if years.is_empty() {
            Calendar::official().unwrap_or_default()
        } else {
            let mut cal = Calendar::new();
            for y in years {
                if let Err(e) = cal.load_year(&y.toml) {
                    tracing::warn!(year = y.year, error = %e, "reference calendar year refused");
                }
            }
            cal
        };
        let mut policy = policy.unwrap_or_default();
        for (code, span) in taxonomy.reply_within_by_category() {
            policy.reply_within_by_category.entry(code).or_insert(span);
        }
        Reference {
            version,
            unit_order: units.iter().map(|u| u.id).collect(),
            units: units.into_iter().map(|u| (u.id, u)).collect(),
            groups: groups.into_iter().map(|g| (g.id, g)).collect(),
            people: people.into_iter().map(|p| (p.id, p)).collect(),
            taxonomy,
            calendar,
            policy,
        }
    }

    pub fn from_data(d: ReferenceData) -> Reference {
        Self::build(
            Some(d.version),
            d.units,
            d.groups,
            d.people,
            Some(&d.taxonomy_toml),
            &d.calendar_years,
            Some(d.policy),
        )
    }

    /// A unit's name in `lang`.
    pub fn unit_name(&self, id: UnitId, lang: Lang) -> Option<String> {
        self.units
            .get(&id)
            .map(|u| pick(lang, &u.name_zh, &u.name_en))
    }

    pub fn group_name(&self, id: GroupId, lang: Lang) -> Option<String> {
        self.groups
            .get(&id)
            .map(|g| pick(lang, &g.name_zh, &g.name_en))
    }

    pub fn person(&self, id: UserId) -> Option<&PersonRef> {
        self.people.get(&id)
    }

    /// "C03 市政设施" → its name; an item code → "category · item".
    pub fn category_label(
        &self,
        category: Option<&str>,
        item: Option<&str>,
        lang: Lang,
    ) -> Option<String> {
        let c = self.taxonomy.category(category?)?;
        let cat = pick(lang, &c.name_zh, &c.name_en);
        match item.and_then(|i| c.item(i)) {
            Some(i) => Some(format!("{cat} · {}", pick(lang, &i.name_zh, &i.name_en))),
            None => Some(cat),
        }
    }
}

pub(crate) fn pick(lang: Lang, zh: &str, en: &str) -> String {
    match lang {
        Lang::ZhCn => zh.to_owned(),
        Lang::En => en.to_owned(),
    }
}

/// A role's label in `lang`.
pub fn role_label(role: Role, lang: Lang) -> String {
    pick(lang, role.label_zh(), role.label_en())
}

/// The stored copy, parsed; the built-ins when there is none.
pub fn load(conn: &Connection) -> Result<Reference> {
    let body: Option<String> = conn
        .query_row("SELECT body FROM reference WHERE id = 1", [], |r| r.get(0))
        .optional()?;
    Ok(match body {
        Some(b) => Reference::from_data(serde_json::from_str(&b)?),
        None => Reference::builtin(),
    })
}

/// The version this device holds, if any.
pub fn version(conn: &Connection) -> Result<Option<String>> {
    Ok(conn
        .query_row("SELECT version FROM reference WHERE id = 1", [], |r| {
            r.get(0)
        })
        .optional()?)
}

/// Keep a new copy (one transaction).
pub fn store(store: &Store, data: &ReferenceData) -> Result<()> {
    let body = serde_json::to_string(data)?;
    store.write(|tx| {
        tx.execute(
            "INSERT INTO reference (id, version, body, fetched_at) VALUES (1, ?1, ?2, ?3)
             ON CONFLICT(id) DO UPDATE SET version = excluded.version, body = excluded.body,
                 fetched_at = excluded.fetched_at",
            params![data.version, body, now_ms()],
        )?;
        meta_set(tx, "reference_checked_at", &now_ms().to_string())?;
        tx.execute("DELETE FROM meta WHERE key = 'reference_due'", [])?;
        Ok(())
    })?;
    store.bump_reference_generation();
    Ok(())
}

/// The server has nothing newer (or no reference route yet): note the check.
pub fn checked(store: &Store) -> Result<()> {
    store.write(|tx| {
        meta_set(tx, "reference_checked_at", &now_ms().to_string())?;
        tx.execute("DELETE FROM meta WHERE key = 'reference_due'", [])?;
        Ok(())
    })
}

/// Ask again on the next pass (a login: another user may see other people).
pub fn mark_due(conn: &Connection) -> Result<()> {
    meta_set(conn, "reference_due", "1")
}

/// Should this pass ask the server?
pub fn due(conn: &Connection, now: i64) -> Result<bool> {
    if meta_get(conn, "reference_due")?.is_some() {
        return Ok(true);
    }
    let checked: Option<i64> = meta_get(conn, "reference_checked_at")?.and_then(|v| v.parse().ok());
    Ok(match checked {
        None => true,
        Some(at) => now - at >= REFRESH_MS || now < at,
    })
}
