//! The directory on PostgreSQL: units, groups, users and memberships (see
//! `store::directory` for what each method answers).

use super::Pg;
use crate::store::directory::{Account, NewGroup, NewUnit, NewUser};
use crate::store::StoreResult;
use minqing_protocol::wire::Me;
use minqing_protocol::{Role, UserId};

impl Pg {
    pub(crate) fn insert_unit(&self, u: &NewUnit<'_>) -> StoreResult<()> {
        self.conn()?.execute(
            "INSERT INTO units (id, name_zh, name_en, kind, key) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (id) DO UPDATE SET name_zh = excluded.name_zh,
                 name_en = excluded.name_en, kind = excluded.kind, key = excluded.key",
            &[&u.id.to_string(), &u.name_zh, &u.name_en, &u.kind, &u.key],
        )?;
        Ok(())
    }

    pub(crate) fn insert_group(&self, g: &NewGroup<'_>) -> StoreResult<()> {
        self.conn()?.execute(
            "INSERT INTO groups (id, name_zh, name_en, jurisdiction) VALUES ($1, $2, $3, $4)
             ON CONFLICT (id) DO UPDATE SET name_zh = excluded.name_zh,
                 name_en = excluded.name_en, jurisdiction = excluded.jurisdiction",
            &[&g.id.to_string(), &g.name_zh, &g.name_en, &g.jurisdiction],
        )?;
        Ok(())
    }

    pub(crate) fn insert_user(&self, u: &NewUser<'_>) -> StoreResult<()> {
        let mut conn = self.conn()?;
        let mut tx = conn.transaction()?;
        tx.execute(
            "INSERT INTO users (id, phone, name, role, unit_id, jurisdiction, password_hash)
             VALUES ($1, $2, $3, $4, $5, $6, $7)
             ON CONFLICT (id) DO UPDATE SET phone = excluded.phone, name = excluded.name,
                 role = excluded.role, unit_id = excluded.unit_id,
                 jurisdiction = excluded.jurisdiction,
                 password_hash = COALESCE(excluded.password_hash, users.password_hash)",
            &[
                &u.id.to_string(),
                &u.phone,
                &u.name,
                &u.role.as_str(),
                &u.unit.map(|x| x.to_string()),
                &u.jurisdiction,
                &u.password_hash,
            ],
        )?;
        // The user's groups are exactly these.
        tx.execute(
            "DELETE FROM group_members WHERE user_id = $1",
            &[&u.id.to_string()],
        )?;
        for g in &u.groups {
            tx.execute(
                "INSERT INTO group_members (group_id, user_id) VALUES ($1, $2)",
                &[&g.to_string(), &u.id.to_string()],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    pub(crate) fn directory_is_empty(&self) -> StoreResult<bool> {
        let any: bool = self
            .conn()?
            .query_one("SELECT EXISTS (SELECT 1 FROM users)", &[])?
            .get(0);
        Ok(!any)
    }

    pub(crate) fn account_by_phone(&self, phone: &str) -> StoreResult<Option<Account>> {
        let row = self.conn()?.query_opt(
            "SELECT id, role, password_hash FROM users WHERE phone = $1",
            &[&phone],
        )?;
        Ok(row.and_then(|r| {
            Some(Account {
                user: r.get::<_, &str>(0).parse().ok()?,
                role: Role::parse(r.get(1))?,
                password_hash: r.get(2),
            })
        }))
    }

    pub(crate) fn me(&self, user: UserId) -> StoreResult<Option<Me>> {
        let mut conn = self.conn()?;
        let id = user.to_string();
        let Some(row) = conn.query_opt(
            "SELECT name, role, unit_id, jurisdiction FROM users WHERE id = $1",
            &[&id],
        )?
        else {
            return Ok(None);
        };
        let Some(role) = Role::parse(row.get(1)) else {
            return Ok(None);
        };
        let groups = conn.query(
            "SELECT group_id FROM group_members WHERE user_id = $1 ORDER BY group_id",
            &[&id],
        )?;
        Ok(Some(Me {
            user,
            name: row.get(0),
            role,
            unit: row.get::<_, Option<&str>>(2).and_then(|u| u.parse().ok()),
            groups: groups
                .iter()
                .filter_map(|g| g.get::<_, &str>(0).parse().ok())
                .collect(),
            jurisdiction: row.get(3),
        }))
    }

    pub(crate) fn upsert_jurisdiction(
        &self,
        j: &minqing_protocol::wire::Jurisdiction,
    ) -> StoreResult<()> {
        self.conn()?.execute(
            "INSERT INTO jurisdictions (code, name_zh, name_en, kind, parent) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (code) DO UPDATE SET name_zh = excluded.name_zh,
                 name_en = excluded.name_en, kind = excluded.kind, parent = excluded.parent",
            &[&j.code, &j.name_zh, &j.name_en, &j.kind, &j.parent],
        )?;
        Ok(())
    }

    pub(crate) fn jurisdictions(&self) -> StoreResult<Vec<minqing_protocol::wire::Jurisdiction>> {
        let rows = self.conn()?.query(
            "SELECT code, name_zh, name_en, kind, parent FROM jurisdictions ORDER BY code",
            &[],
        )?;
        Ok(rows
            .iter()
            .map(|r| minqing_protocol::wire::Jurisdiction {
                code: r.get(0),
                name_zh: r.get(1),
                name_en: r.get(2),
                kind: r.get(3),
                parent: r.get(4),
            })
            .collect())
    }
}
