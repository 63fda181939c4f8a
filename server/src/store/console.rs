//! The web console's sessions (`crate::http::console`): ordinary sessions
//! (`store::auth`) whose refresh token is void from the start and whose
//! access token's expiry moves on while the console is used (idle expiry),
//! never past a fixed time after sign-in.

use super::sql::args;
use super::{Db, StoreResult};

impl Db {
    /// Make session `id` a console session: its access token lives `idle_ms`
    /// from `now`, its refresh token not at all.
    pub fn begin_console_session(&self, id: &str, now: i64, idle_ms: i64) -> StoreResult<()> {
        self.write(|tx| {
            tx.execute(
                "UPDATE sessions SET access_expires = ?2, refresh_expires = ?3 WHERE id = ?1",
                args![id, now + idle_ms, now],
            )?;
            Ok(())
        })
    }

    /// A request with console session `id` at `now`: its access token lives
    /// another `idle_ms`, but never beyond `max_ms` after sign-in. Only
    /// sessions of `device` slide, and at most once a minute (a write).
    pub fn touch_console_session(
        &self,
        id: &str,
        device: &str,
        now: i64,
        idle_ms: i64,
        max_ms: i64,
    ) -> StoreResult<()> {
        let row = self.read(|tx| {
            tx.query_opt(
                "SELECT access_expires, created_at FROM sessions
                  WHERE id = ?1 AND device = ?2 AND revoked_at IS NULL",
                args![id, device],
            )
        })?;
        let Some(row) = row else { return Ok(()) };
        let (expires, created): (i64, i64) = (row.get(0)?, row.get(1)?);
        let next = (now + idle_ms).min(created + max_ms);
        if next - expires < 60_000 {
            return Ok(());
        }
        self.write(|tx| {
            tx.execute(
                "UPDATE sessions SET access_expires = ?2
                  WHERE id = ?1 AND revoked_at IS NULL AND access_expires < ?2",
                args![id, next],
            )?;
            Ok(())
        })
    }
}

/// A unit as the administrator edits it.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct UnitRow {
    pub id: String,
    pub name_zh: String,
    pub name_en: String,
    pub kind: String,
    pub key: Option<String>,
}

/// A direct-line group as the administrator edits it, with its members.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct GroupRow {
    pub id: String,
    pub name_zh: String,
    pub name_en: String,
    pub jurisdiction: String,
    pub members: Vec<String>,
}

/// A person as the administrator edits them (with the phone number).
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct UserRow {
    pub id: String,
    pub phone: String,
    pub name: String,
    pub role: String,
    pub unit: Option<String>,
    pub jurisdiction: Option<String>,
    pub groups: Vec<String>,
    pub has_password: bool,
}

impl Db {
    /// The whole directory, for the administrator's pages.
    pub fn admin_directory(&self) -> StoreResult<(Vec<UnitRow>, Vec<GroupRow>, Vec<UserRow>)> {
        self.read(|tx| {
            let units = tx
                .query(
                    "SELECT id, name_zh, name_en, kind, key FROM units ORDER BY kind, name_zh, id",
                    &[],
                )?
                .iter()
                .map(|r| {
                    Ok(UnitRow {
                        id: r.get(0)?,
                        name_zh: r.get(1)?,
                        name_en: r.get(2)?,
                        kind: r.get(3)?,
                        key: r.get(4)?,
                    })
                })
                .collect::<StoreResult<Vec<_>>>()?;
            // user → their groups
            let mut member_of: std::collections::HashMap<String, Vec<String>> =
                std::collections::HashMap::new();
            for r in tx.query(
                "SELECT group_id, user_id FROM group_members ORDER BY group_id",
                &[],
            )? {
                let (g, u): (String, String) = (r.get(0)?, r.get(1)?);
                member_of.entry(u).or_default().push(g);
            }
            let groups_of = |u: &str| member_of.get(u).cloned().unwrap_or_default();
            let users = tx
                .query(
                    "SELECT id, phone, name, role, unit_id, jurisdiction, password_hash IS NOT NULL
                       FROM users ORDER BY role, name, id",
                    &[],
                )?
                .iter()
                .map(|r| {
                    let id: String = r.get(0)?;
                    Ok(UserRow {
                        groups: groups_of(&id),
                        id,
                        phone: r.get(1)?,
                        name: r.get(2)?,
                        role: r.get(3)?,
                        unit: r.get(4)?,
                        jurisdiction: r.get(5)?,
                        has_password: r.get(6)?,
                    })
                })
                .collect::<StoreResult<Vec<_>>>()?;
            let mut groups = tx
                .query(
                    "SELECT id, name_zh, name_en, jurisdiction FROM groups ORDER BY name_zh, id",
                    &[],
                )?
                .iter()
                .map(|r| {
                    Ok(GroupRow {
                        id: r.get(0)?,
                        name_zh: r.get(1)?,
                        name_en: r.get(2)?,
                        jurisdiction: r.get(3)?,
                        members: Vec::new(),
                    })
                })
                .collect::<StoreResult<Vec<_>>>()?;
            for g in &mut groups {
                g.members = users
                    .iter()
                    .filter(|u| u.groups.contains(&g.id))
                    .map(|u| u.id.clone())
                    .collect();
            }
            Ok((units, groups, users))
        })
    }
}
