//! The directory: units, direct-line groups, users and who belongs where. It
//! answers one question for every request: which [`Me`] (role, unit, groups)
//! does this user act as.

use super::sql::args;
use super::{Db, StoreResult};
use minqing_protocol::wire::{GroupRef, Jurisdiction, Me, PersonRef, UnitRef};
use minqing_protocol::{Actor, GroupId, Role, UnitId, UserId};

pub struct NewUnit<'a> {
    pub id: UnitId,
    pub name_zh: &'a str,
    pub name_en: &'a str,
    /// `department`, `town`, `street`, `company`.
    pub kind: &'a str,
    /// The stable key routing rules name it by (`mobile`, `local:xiashi`).
    pub key: Option<&'a str>,
}

pub struct NewGroup<'a> {
    pub id: GroupId,
    pub name_zh: &'a str,
    pub name_en: &'a str,
    pub jurisdiction: &'a str,
}

pub struct NewUser<'a> {
    pub id: UserId,
    pub phone: &'a str,
    pub name: &'a str,
    pub role: Role,
    pub unit: Option<UnitId>,
    pub jurisdiction: Option<&'a str>,
    /// An argon2 PHC string, for staff.
    pub password_hash: Option<String>,
    pub groups: Vec<GroupId>,
}

/// What login needs to know about a phone number.
pub struct Account {
    pub user: UserId,
    pub role: Role,
    pub password_hash: Option<String>,
}

impl Db {
    /// Insert a unit, or update the one with this id.
    pub fn insert_unit(&self, u: &NewUnit<'_>) -> StoreResult<()> {
        self.write(|tx| {
            tx.execute(
                "INSERT INTO units (id, name_zh, name_en, kind, key) VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (id) DO UPDATE SET name_zh = excluded.name_zh,
                     name_en = excluded.name_en, kind = excluded.kind, key = excluded.key",
                args![u.id.to_string(), u.name_zh, u.name_en, u.kind, u.key],
            )?;
            Ok(())
        })
    }

    /// Insert a group, or update the one with this id.
    pub fn insert_group(&self, g: &NewGroup<'_>) -> StoreResult<()> {
        self.write(|tx| {
            tx.execute(
                "INSERT INTO groups (id, name_zh, name_en, jurisdiction) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (id) DO UPDATE SET name_zh = excluded.name_zh,
                     name_en = excluded.name_en, jurisdiction = excluded.jurisdiction",
                args![g.id.to_string(), g.name_zh, g.name_en, g.jurisdiction],
            )?;
            Ok(())
        })
    }

    /// Insert a user, or update the one with this id (its groups become exactly
    /// `u.groups`; a `None` password keeps the stored one).
    pub fn insert_user(&self, u: &NewUser<'_>) -> StoreResult<()> {
        self.write(|tx| {
            tx.execute(
                "INSERT INTO users (id, phone, name, role, unit_id, jurisdiction, password_hash)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                 ON CONFLICT (id) DO UPDATE SET phone = excluded.phone, name = excluded.name,
                     role = excluded.role, unit_id = excluded.unit_id,
                     jurisdiction = excluded.jurisdiction,
                     password_hash = COALESCE(excluded.password_hash, users.password_hash)",
                args![
                    u.id.to_string(),
                    u.phone,
                    u.name,
                    u.role.as_str(),
                    u.unit.map(|x| x.to_string()),
                    u.jurisdiction,
                    u.password_hash.as_deref()
                ],
            )?;
            // The user's groups are exactly these.
            tx.execute(
                "DELETE FROM group_members WHERE user_id = ?1",
                args![u.id.to_string()],
            )?;
            for g in &u.groups {
                tx.execute(
                    "INSERT INTO group_members (group_id, user_id) VALUES (?1, ?2)",
                    args![g.to_string(), u.id.to_string()],
                )?;
            }
            Ok(())
        })
    }

    /// True when no user exists yet (the demo seeds only then).
    pub fn directory_is_empty(&self) -> StoreResult<bool> {
        let n: i64 = self.read(|tx| tx.query_one("SELECT COUNT(*) FROM users", &[])?.get(0))?;
        Ok(n == 0)
    }

    pub fn account_by_phone(&self, phone: &str) -> StoreResult<Option<Account>> {
        let Some(r) = self.read(|tx| {
            tx.query_opt(
                "SELECT id, role, password_hash FROM users WHERE phone = ?1",
                args![phone],
            )
        })?
        else {
            return Ok(None);
        };
        let (id, role, password_hash): (String, String, Option<String>) =
            (r.get(0)?, r.get(1)?, r.get(2)?);
        Ok((|| {
            Some(Account {
                user: id.parse().ok()?,
                role: Role::parse(&role)?,
                password_hash,
            })
        })())
    }

    /// Who `user` is now: role, unit and groups are read fresh on every request,
    /// so a change in the directory takes effect at once.
    pub fn me(&self, user: UserId) -> StoreResult<Option<Me>> {
        self.read(|tx| {
            let Some(r) = tx.query_opt(
                "SELECT name, role, unit_id, jurisdiction FROM users WHERE id = ?1",
                args![user.to_string()],
            )?
            else {
                return Ok(None);
            };
            let (name, role, unit, jurisdiction): (String, String, Option<String>, Option<String>) =
                (r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?);
            let Some(role) = Role::parse(&role) else {
                return Ok(None);
            };
            let groups = tx
                .query(
                    "SELECT group_id FROM group_members WHERE user_id = ?1 ORDER BY group_id",
                    args![user.to_string()],
                )?
                .iter()
                .map(|r| r.get::<String>(0))
                .collect::<StoreResult<Vec<_>>>()?;
            Ok(Some(Me {
                user,
                name,
                role,
                unit: unit.and_then(|u| u.parse().ok()),
                groups: groups.iter().filter_map(|g| g.parse().ok()).collect(),
                jurisdiction,
            }))
        })
    }

    /// Insert a jurisdiction, or update the one with this code.
    pub fn upsert_jurisdiction(&self, j: &Jurisdiction) -> StoreResult<()> {
        self.write(|tx| {
            tx.execute(
                "INSERT INTO jurisdictions (code, name_zh, name_en, kind, parent)
                 VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (code) DO UPDATE SET name_zh = excluded.name_zh,
                     name_en = excluded.name_en, kind = excluded.kind, parent = excluded.parent",
                args![
                    &j.code,
                    &j.name_zh,
                    &j.name_en,
                    &j.kind,
                    j.parent.as_deref()
                ],
            )?;
            Ok(())
        })
    }

    /// Every jurisdiction, by code.
    pub fn jurisdictions(&self) -> StoreResult<Vec<Jurisdiction>> {
        self.read(|tx| {
            tx.query(
                "SELECT code, name_zh, name_en, kind, parent FROM jurisdictions ORDER BY code",
                &[],
            )?
            .iter()
            .map(|r| {
                Ok(Jurisdiction {
                    code: r.get(0)?,
                    name_zh: r.get(1)?,
                    name_en: r.get(2)?,
                    kind: r.get(3)?,
                    parent: r.get(4)?,
                })
            })
            .collect()
        })
    }

    /// What a device keeps to name things (`GET /v1/reference`): every unit
    /// and group, and of people only id, name, role and unit — never a phone —
    /// for those `caller` may meet on an item: members of the caller's groups,
    /// units' contacts and heads, coordinators and staff.
    pub fn reference_directory(
        &self,
        caller: &Actor,
    ) -> StoreResult<(Vec<UnitRef>, Vec<GroupRef>, Vec<PersonRef>)> {
        self.read(|tx| {
            let mut units = Vec::new();
            for r in tx.query(
                "SELECT id, name_zh, name_en, kind FROM units ORDER BY name_zh, id",
                &[],
            )? {
                let Ok(id) = r.get::<String>(0)?.parse() else {
                    continue;
                };
                units.push(UnitRef {
                    id,
                    name_zh: r.get(1)?,
                    name_en: r.get(2)?,
                    kind: r.get(3)?,
                });
            }
            let mut groups = Vec::new();
            for r in tx.query(
                "SELECT id, name_zh, name_en, jurisdiction FROM groups ORDER BY name_zh, id",
                &[],
            )? {
                let Ok(id) = r.get::<String>(0)?.parse() else {
                    continue;
                };
                groups.push(GroupRef {
                    id,
                    name_zh: r.get(1)?,
                    name_en: r.get(2)?,
                    jurisdiction: r.get(3)?,
                });
            }
            let mut args = vec![super::sql::Value::from(caller.user.to_string())];
            args.extend(caller.groups.iter().map(|g| g.to_string().into()));
            let in_groups = if caller.groups.is_empty() {
                "FALSE".to_owned()
            } else {
                format!(
                    "u.id IN (SELECT user_id FROM group_members WHERE group_id IN {})",
                    super::sql::list(2, caller.groups.len())
                )
            };
            let q = format!(
                "SELECT u.id, u.name, u.role, u.unit_id FROM users u
                 WHERE u.id = ?1 OR {in_groups}
                    OR u.role IN ('unit_contact', 'unit_head', 'coordinator', 'town_staff',
                                  'city_staff')
                 ORDER BY u.name, u.id"
            );
            let mut people = Vec::new();
            for r in tx.query(&q, &args)? {
                let (Ok(id), Some(role)) = (
                    r.get::<String>(0)?.parse(),
                    Role::parse(&r.get::<String>(2)?),
                ) else {
                    continue;
                };
                people.push(PersonRef {
                    id,
                    name: r.get(1)?,
                    role,
                    unit: r.get::<Option<String>>(3)?.and_then(|u| u.parse().ok()),
                });
            }
            Ok((units, groups, people))
        })
    }
}
