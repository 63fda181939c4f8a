//! Open311 GeoReport v2 API keys (schema v15, `open311_keys`): issued by an
//! administrator to another system, each acting as one account of the
//! directory; only the key's HMAC-SHA256 under the server secret is stored
//! (`crate::auth::Auth::api_key_hash`), never the key. A revoked key keeps
//! its row. The HTTP side is `crate::http::open311`.

use super::sql::args;
use super::{Db, StoreResult};
use minqing_protocol::{GroupId, UnitId, UserId};
use std::collections::HashMap;

/// A key as the administrator sees it (never its value or its hash).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct ApiKeyInfo {
    /// The key's id (not the key: that is shown once, when issued).
    pub id: String,
    /// Whom it was issued to, e.g. `FixMyStreet bridge`.
    pub label: String,
    /// The account it acts as.
    pub user: UserId,
    /// For a deputy's key: the direct-line group its requests are filed into
    /// (absent: the deputy's first group).
    pub group: Option<GroupId>,
    /// The administrator who issued it.
    pub issued_by: UserId,
    /// Milliseconds since the Unix epoch.
    pub issued_at: i64,
    /// When it was revoked (milliseconds since the Unix epoch); absent while
    /// it works.
    pub revoked_at: Option<i64>,
}

/// What a working key stands for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyHolder {
    pub key_id: String,
    pub user: UserId,
    pub group: Option<GroupId>,
}

/// A key to store: its hash and whom it acts as.
#[derive(Debug, Clone)]
pub struct NewApiKey<'a> {
    pub id: &'a str,
    pub key_hash: &'a str,
    pub user: UserId,
    pub group: Option<GroupId>,
    pub label: &'a str,
    pub issued_by: UserId,
    pub issued_at: i64,
}

fn parse<T: std::str::FromStr>(s: &str) -> StoreResult<T> {
    s.parse().map_err(|_| super::StoreError::Type {
        column: 0,
        wanted: std::any::type_name::<T>(),
        found: s.to_owned(),
    })
}

impl Db {
    pub fn insert_api_key(&self, k: &NewApiKey<'_>) -> StoreResult<()> {
        self.write(|tx| {
            tx.execute(
                "INSERT INTO open311_keys (id, key_hash, user_id, group_id, label, issued_by, issued_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                args![
                    k.id,
                    k.key_hash,
                    k.user.to_string(),
                    k.group.map(|g| g.to_string()),
                    k.label,
                    k.issued_by.to_string(),
                    k.issued_at
                ],
            )?;
            Ok(())
        })
    }

    /// Every key, newest first.
    pub fn api_keys(&self) -> StoreResult<Vec<ApiKeyInfo>> {
        self.read(|tx| {
            tx.query(
                "SELECT id, label, user_id, group_id, issued_by, issued_at, revoked_at
                 FROM open311_keys ORDER BY issued_at DESC, id",
                &[],
            )?
            .iter()
            .map(|r| {
                Ok(ApiKeyInfo {
                    id: r.get(0)?,
                    label: r.get(1)?,
                    user: parse(&r.get::<String>(2)?)?,
                    group: r.get::<Option<String>>(3)?.map(|g| parse(&g)).transpose()?,
                    issued_by: parse(&r.get::<String>(4)?)?,
                    issued_at: r.get(5)?,
                    revoked_at: r.get(6)?,
                })
            })
            .collect()
        })
    }

    /// Revoke key `id` at `now`: `false` when there is no such key (a key
    /// revoked before stays revoked at its first time).
    pub fn revoke_api_key(&self, id: &str, now: i64) -> StoreResult<bool> {
        self.write(|tx| {
            let n = tx.execute(
                "UPDATE open311_keys SET revoked_at = COALESCE(revoked_at, ?2) WHERE id = ?1",
                args![id, now],
            )?;
            Ok(n > 0)
        })
    }

    /// The working (not revoked) key with this hash.
    pub fn api_key_by_hash(&self, key_hash: &str) -> StoreResult<Option<KeyHolder>> {
        self.read(|tx| {
            let Some(r) = tx.query_opt(
                "SELECT id, user_id, group_id FROM open311_keys
                 WHERE key_hash = ?1 AND revoked_at IS NULL",
                args![key_hash],
            )?
            else {
                return Ok(None);
            };
            Ok(Some(KeyHolder {
                key_id: r.get(0)?,
                user: parse(&r.get::<String>(1)?)?,
                group: r.get::<Option<String>>(2)?.map(|g| parse(&g)).transpose()?,
            }))
        })
    }

    /// Every unit's Chinese name, by id (Open311's `agency_responsible`).
    pub fn unit_names(&self) -> StoreResult<HashMap<UnitId, String>> {
        self.read(|tx| {
            let mut out = HashMap::new();
            for r in tx.query("SELECT id, name_zh FROM units", &[])? {
                if let Ok(id) = r.get::<String>(0)?.parse() {
                    out.insert(id, r.get(1)?);
                }
            }
            Ok(out)
        })
    }
}
