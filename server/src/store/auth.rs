//! Login state: one-time SMS codes (hashed, expiring, rate limited) and device
//! sessions (opaque tokens stored only as SHA-256 hashes; refresh rotates both
//! tokens, and a replayed refresh token revokes the session). The limits and
//! the rotation are written once, over [`super::sql::Tx`], for both databases.

use super::sql::args;
use super::{Db, StoreResult};
use minqing_protocol::UserId;

/// Limits on SMS codes.
#[derive(Debug, Clone, Copy)]
pub struct CodePolicy {
    pub ttl_ms: i64,
    /// Minimum time between two codes to one number.
    pub resend_ms: i64,
    /// At most this many codes to one number per hour.
    pub max_sends_per_hour: i64,
    /// Wrong guesses after which the code is void.
    pub max_attempts: i64,
}

impl Default for CodePolicy {
    fn default() -> Self {
        CodePolicy {
            ttl_ms: 5 * 60_000,
            resend_ms: 60_000,
            max_sends_per_hour: 5,
            max_attempts: 5,
        }
    }
}

const HOUR_MS: i64 = 3_600_000;

/// A code may not be sent yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimited {
    pub retry_after_ms: i64,
}

/// How a presented refresh token fared.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refreshed {
    Rotated {
        user: UserId,
    },
    Unknown,
    /// An already-rotated token came back: the session is now revoked.
    Replayed,
}

pub struct NewSession<'a> {
    pub user: UserId,
    pub device: &'a str,
    pub access_hash: &'a str,
    pub access_expires: i64,
    pub refresh_hash: &'a str,
    pub refresh_expires: i64,
}

impl Db {
    /// Record a new code for `phone` unless the limits forbid it.
    pub fn issue_code(
        &self,
        phone: &str,
        code_hash: &str,
        now: i64,
        policy: &CodePolicy,
    ) -> StoreResult<Result<(), RateLimited>> {
        self.write(|tx| {
            let q = format!(
                "SELECT last_sent_at, window_start, sends FROM sms_codes WHERE phone = ?1{}",
                tx.for_update()
            );
            let row = tx.query_opt(&q, args![phone])?;
            let (window_start, sends) = match row {
                Some(r) => {
                    let (last, window_start, sends): (i64, i64, i64) =
                        (r.get(0)?, r.get(1)?, r.get(2)?);
                    if now - last < policy.resend_ms {
                        return Ok(Err(RateLimited {
                            retry_after_ms: policy.resend_ms - (now - last),
                        }));
                    }
                    if now - window_start < HOUR_MS {
                        if sends >= policy.max_sends_per_hour {
                            return Ok(Err(RateLimited {
                                retry_after_ms: HOUR_MS - (now - window_start),
                            }));
                        }
                        (window_start, sends)
                    } else {
                        (now, 0)
                    }
                }
                None => (now, 0),
            };
            tx.execute(
                "INSERT INTO sms_codes (phone, code_hash, expires_at, attempts, last_sent_at,
                                        window_start, sends)
                 VALUES (?1, ?2, ?3, 0, ?4, ?5, ?6)
                 ON CONFLICT (phone) DO UPDATE SET code_hash = excluded.code_hash,
                   expires_at = excluded.expires_at, attempts = 0,
                   last_sent_at = excluded.last_sent_at,
                   window_start = excluded.window_start, sends = excluded.sends",
                args![
                    phone,
                    code_hash,
                    now + policy.ttl_ms,
                    now,
                    window_start,
                    sends + 1
                ],
            )?;
            Ok(Ok(()))
        })
    }

    /// True once for the right, unexpired code; the code is then used up. Every
    /// wrong guess counts; after `max_attempts` the code is void.
    pub fn consume_code(
        &self,
        phone: &str,
        code_hash: &str,
        now: i64,
        policy: &CodePolicy,
    ) -> StoreResult<bool> {
        self.write(|tx| {
            let q = format!(
                "SELECT code_hash, expires_at, attempts FROM sms_codes WHERE phone = ?1{}",
                tx.for_update()
            );
            let Some(r) = tx.query_opt(&q, args![phone])? else {
                return Ok(false);
            };
            let (stored, expires_at, attempts): (Option<String>, i64, i64) =
                (r.get(0)?, r.get(1)?, r.get(2)?);
            let Some(stored) = stored else {
                return Ok(false);
            };
            if now >= expires_at || attempts >= policy.max_attempts {
                return Ok(false);
            }
            let ok = stored == code_hash;
            if ok {
                tx.execute(
                    "UPDATE sms_codes SET code_hash = NULL WHERE phone = ?1",
                    args![phone],
                )?;
            } else {
                tx.execute(
                    "UPDATE sms_codes SET attempts = attempts + 1 WHERE phone = ?1",
                    args![phone],
                )?;
            }
            Ok(ok)
        })
    }

    pub fn create_session(&self, s: &NewSession<'_>, now: i64) -> StoreResult<String> {
        let id = uuid::Uuid::now_v7().to_string();
        self.write(|tx| {
            tx.execute(
                "INSERT INTO sessions (id, user_id, device, access_hash, access_expires,
                                       refresh_hash, refresh_expires, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                args![
                    &id,
                    s.user.to_string(),
                    s.device,
                    s.access_hash,
                    s.access_expires,
                    s.refresh_hash,
                    s.refresh_expires,
                    now
                ],
            )
        })?;
        Ok(id)
    }

    /// The live session an access token belongs to: `(session id, user)`.
    pub fn session_by_access(
        &self,
        access_hash: &str,
        now: i64,
    ) -> StoreResult<Option<(String, UserId)>> {
        let row = self.read(|tx| {
            tx.query_opt(
                "SELECT id, user_id FROM sessions
                 WHERE access_hash = ?1 AND access_expires > ?2 AND revoked_at IS NULL",
                args![access_hash, now],
            )
        })?;
        Ok(match row {
            Some(r) => r
                .get::<String>(1)?
                .parse()
                .ok()
                .map(|user| r.get(0).map(|id| (id, user)))
                .transpose()?,
            None => None,
        })
    }

    /// Swap a refresh token for new tokens (hashes given), in one transaction;
    /// a refresh token that was already rotated revokes its session.
    pub fn rotate_session(
        &self,
        refresh_hash: &str,
        next: &NewSession<'_>,
        now: i64,
    ) -> StoreResult<Refreshed> {
        self.write(|tx| {
            let q = format!(
                "SELECT id, user_id FROM sessions
                 WHERE refresh_hash = ?1 AND refresh_expires > ?2 AND revoked_at IS NULL{}",
                tx.for_update()
            );
            let Some(live) = tx.query_opt(&q, args![refresh_hash, now])? else {
                let n = tx.execute(
                    "UPDATE sessions SET revoked_at = ?2
                     WHERE prev_refresh_hash = ?1 AND revoked_at IS NULL",
                    args![refresh_hash, now],
                )?;
                return Ok(if n > 0 {
                    Refreshed::Replayed
                } else {
                    Refreshed::Unknown
                });
            };
            let id: String = live.get(0)?;
            let Ok(user) = live.get::<String>(1)?.parse::<UserId>() else {
                return Ok(Refreshed::Unknown);
            };
            tx.execute(
                "UPDATE sessions SET access_hash = ?2, access_expires = ?3, refresh_hash = ?4,
                        refresh_expires = ?5, prev_refresh_hash = ?6
                 WHERE id = ?1",
                args![
                    id,
                    next.access_hash,
                    next.access_expires,
                    next.refresh_hash,
                    next.refresh_expires,
                    refresh_hash
                ],
            )?;
            Ok(Refreshed::Rotated { user })
        })
    }

    pub fn revoke_session(&self, session_id: &str, now: i64) -> StoreResult<()> {
        self.write(|tx| {
            tx.execute(
                "UPDATE sessions SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL",
                args![session_id, now],
            )?;
            Ok(())
        })
    }
}
