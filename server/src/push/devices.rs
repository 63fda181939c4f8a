//! The phones' push tokens (`push_devices`, schema v16): one per login
//! session. Registering again from the same session replaces its row (a
//! vendor rotated the token, the language changed); a token registered by
//! another session moves to it (one phone, a new login); logging out removes
//! the session's row (`store::auth`), and so does a vendor saying the token is
//! dead ([`remove_token`], called by the dispatcher).

use super::Provider;
use crate::store::sql::{args, Row, Tx};
use crate::store::{Db, StoreError, StoreResult};

/// What a phone registers (`POST /v1/devices`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registration {
    pub provider: Provider,
    /// The vendor's token for this app on this phone (APNs device token as
    /// hex, FCM registration token, HMS token, MiPush regId).
    pub token: String,
    /// The app as the vendor knows it: the iOS bundle id (APNs topic), the
    /// Android package name (MiPush `restricted_package_name`).
    pub app_id: String,
    /// BCP 47 tag of the phone's language (`zh-CN`, `en`), stored lower-case;
    /// pushes are written in Chinese when it starts with `zh`, else English.
    pub language: String,
    pub app_version: String,
}

/// A registered device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Device {
    pub id: String,
    pub session_id: String,
    pub user_id: String,
    pub registration: Registration,
    /// Milliseconds since the epoch, server clock.
    pub updated_at: i64,
}

/// Why a registration is refused.
#[derive(Debug, thiserror::Error)]
pub enum RegisterError {
    #[error("{field}: {reason}")]
    Invalid {
        field: &'static str,
        reason: &'static str,
    },
    #[error(transparent)]
    Storage(#[from] StoreError),
}

/// Longest token accepted: FCM's are ~160 characters, HMS's ~130, APNs's 64
/// hex digits (160 for some); 4096 leaves room and refuses junk.
pub const MAX_TOKEN: usize = 4096;

impl Registration {
    /// Checks: a token of printable ASCII without spaces, at most
    /// [`MAX_TOKEN`]; an app id, language and version of at most 200
    /// characters each; an APNs token is hex (Apple's device tokens are).
    pub fn check(&self) -> Result<(), RegisterError> {
        let bad = |field, reason| Err(RegisterError::Invalid { field, reason });
        if self.token.is_empty() || self.token.len() > MAX_TOKEN {
            return bad("token", "must be 1–4096 characters");
        }
        if !self.token.bytes().all(|b| b.is_ascii_graphic()) {
            return bad("token", "must be printable ASCII without spaces");
        }
        if self.provider == Provider::Apns && !self.token.bytes().all(|b| b.is_ascii_hexdigit()) {
            return bad("token", "an APNs device token is hexadecimal");
        }
        if self.app_id.trim().is_empty() || self.app_id.len() > 200 {
            return bad("app_id", "must be 1–200 characters");
        }
        if self.language.trim().is_empty() || self.language.len() > 200 {
            return bad("language", "must be 1–200 characters");
        }
        if self.app_version.len() > 200 {
            return bad("app_version", "at most 200 characters");
        }
        Ok(())
    }
}

/// Register `reg` for `session` of `user` at `now`; the device's id. The
/// session's previous registration is replaced (same id), and the same token
/// held by another session is removed from it.
pub fn register(
    tx: &mut dyn Tx,
    session: &str,
    user: &str,
    reg: &Registration,
    now: i64,
) -> StoreResult<String> {
    tx.execute(
        "DELETE FROM push_devices WHERE provider = ?1 AND token = ?2 AND session_id <> ?3",
        args![reg.provider.as_str(), &reg.token, session],
    )?;
    let new_id = uuid::Uuid::new_v4().to_string();
    let row = tx.query_one(
        "INSERT INTO push_devices (id, session_id, user_id, provider, token, app_id,
             language, app_version, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9)
         ON CONFLICT (session_id) DO UPDATE SET user_id = excluded.user_id,
             provider = excluded.provider, token = excluded.token,
             app_id = excluded.app_id, language = excluded.language,
             app_version = excluded.app_version, updated_at = excluded.updated_at
         RETURNING id",
        args![
            new_id,
            session,
            user,
            reg.provider.as_str(),
            &reg.token,
            &reg.app_id,
            reg.language.to_ascii_lowercase(),
            &reg.app_version,
            now
        ],
    )?;
    row.get(0)
}

/// Remove `session`'s registration (logout, `DELETE /v1/devices`); how many
/// rows went (0 or 1).
pub fn remove_for_session(tx: &mut dyn Tx, session: &str) -> StoreResult<u64> {
    tx.execute(
        "DELETE FROM push_devices WHERE session_id = ?1",
        args![session],
    )
}

/// Remove every registration of `token` at `provider` (the vendor said it is
/// dead); how many rows went.
pub fn remove_token(tx: &mut dyn Tx, provider: Provider, token: &str) -> StoreResult<u64> {
    tx.execute(
        "DELETE FROM push_devices WHERE provider = ?1 AND token = ?2",
        args![provider.as_str(), token],
    )
}

const COLUMNS: &str = "id, session_id, user_id, provider, token, app_id, language, app_version, \
                       updated_at";

fn device(r: &Row) -> StoreResult<Device> {
    let provider: String = r.get(3)?;
    Ok(Device {
        id: r.get(0)?,
        session_id: r.get(1)?,
        user_id: r.get(2)?,
        registration: Registration {
            provider: Provider::parse(&provider)
                .ok_or_else(|| StoreError::Schema(format!("push_devices.provider {provider:?}")))?,
            token: r.get(4)?,
            app_id: r.get(5)?,
            language: r.get(6)?,
            app_version: r.get(7)?,
        },
        updated_at: r.get(8)?,
    })
}

/// `user`'s registered devices, oldest first.
pub fn of_user(tx: &mut dyn Tx, user: &str) -> StoreResult<Vec<Device>> {
    tx.query(
        &format!("SELECT {COLUMNS} FROM push_devices WHERE user_id = ?1 ORDER BY created_at, id"),
        args![user],
    )?
    .iter()
    .map(device)
    .collect()
}

impl Db {
    /// [`register`] in its own transaction.
    pub fn register_device(
        &self,
        session: &str,
        user: &str,
        reg: &Registration,
        now: i64,
    ) -> Result<String, RegisterError> {
        reg.check()?;
        Ok(self.write(|tx| register(tx, session, user, reg, now))?)
    }

    /// [`remove_for_session`] in its own transaction.
    pub fn unregister_device(&self, session: &str) -> StoreResult<u64> {
        self.write(|tx| remove_for_session(tx, session))
    }

    /// [`of_user`] in a read transaction.
    pub fn devices_of(&self, user: &str) -> StoreResult<Vec<Device>> {
        self.read(|tx| of_user(tx, user))
    }
}
