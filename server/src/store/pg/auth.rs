//! Login state on PostgreSQL: SMS codes and device sessions (see `store::auth`
//! for the rules). Each read-then-write holds the row it decides on
//! (`FOR UPDATE`), so two server processes cannot both use one code or rotate
//! one refresh token twice.

use super::Pg;
use crate::store::auth::{CodePolicy, NewSession, RateLimited, Refreshed};
use crate::store::StoreResult;
use minqing_protocol::UserId;

const HOUR_MS: i64 = 3_600_000;

impl Pg {
    pub(crate) fn issue_code(
        &self,
        phone: &str,
        code_hash: &str,
        now: i64,
        policy: &CodePolicy,
    ) -> StoreResult<Result<(), RateLimited>> {
        let mut conn = self.conn()?;
        let mut tx = conn.transaction()?;
        let row = tx.query_opt(
            "SELECT last_sent_at, window_start, sends FROM sms_codes WHERE phone = $1 FOR UPDATE",
            &[&phone],
        )?;
        let (window_start, sends) = match row {
            Some(r) => {
                let (last, window_start, sends): (i64, i64, i64) = (r.get(0), r.get(1), r.get(2));
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
             VALUES ($1, $2, $3, 0, $4, $5, $6)
             ON CONFLICT (phone) DO UPDATE SET code_hash = excluded.code_hash,
               expires_at = excluded.expires_at, attempts = 0,
               last_sent_at = excluded.last_sent_at, window_start = excluded.window_start,
               sends = excluded.sends",
            &[
                &phone,
                &code_hash,
                &(now + policy.ttl_ms),
                &now,
                &window_start,
                &(sends + 1),
            ],
        )?;
        tx.commit()?;
        Ok(Ok(()))
    }

    pub(crate) fn consume_code(
        &self,
        phone: &str,
        code_hash: &str,
        now: i64,
        policy: &CodePolicy,
    ) -> StoreResult<bool> {
        let mut conn = self.conn()?;
        let mut tx = conn.transaction()?;
        let row = tx.query_opt(
            "SELECT code_hash, expires_at, attempts FROM sms_codes WHERE phone = $1 FOR UPDATE",
            &[&phone],
        )?;
        let Some(row) = row else {
            return Ok(false);
        };
        let (stored, expires_at, attempts): (Option<String>, i64, i64) =
            (row.get(0), row.get(1), row.get(2));
        let Some(stored) = stored else {
            return Ok(false);
        };
        if now >= expires_at || attempts >= policy.max_attempts {
            return Ok(false);
        }
        let ok = stored == code_hash;
        if ok {
            tx.execute(
                "UPDATE sms_codes SET code_hash = NULL WHERE phone = $1",
                &[&phone],
            )?;
        } else {
            tx.execute(
                "UPDATE sms_codes SET attempts = attempts + 1 WHERE phone = $1",
                &[&phone],
            )?;
        }
        tx.commit()?;
        Ok(ok)
    }

    pub(crate) fn create_session(&self, s: &NewSession<'_>, now: i64) -> StoreResult<String> {
        let id = uuid::Uuid::now_v7().to_string();
        self.conn()?.execute(
            "INSERT INTO sessions (id, user_id, device, access_hash, access_expires,
                                   refresh_hash, refresh_expires, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            &[
                &id,
                &s.user.to_string(),
                &s.device,
                &s.access_hash,
                &s.access_expires,
                &s.refresh_hash,
                &s.refresh_expires,
                &now,
            ],
        )?;
        Ok(id)
    }

    pub(crate) fn session_by_access(
        &self,
        access_hash: &str,
        now: i64,
    ) -> StoreResult<Option<(String, UserId)>> {
        let row = self.conn()?.query_opt(
            "SELECT id, user_id FROM sessions
             WHERE access_hash = $1 AND access_expires > $2 AND revoked_at IS NULL",
            &[&access_hash, &now],
        )?;
        Ok(row.and_then(|r| Some((r.get(0), r.get::<_, &str>(1).parse().ok()?))))
    }

    pub(crate) fn rotate_session(
        &self,
        refresh_hash: &str,
        next: &NewSession<'_>,
        now: i64,
    ) -> StoreResult<Refreshed> {
        let mut conn = self.conn()?;
        let mut tx = conn.transaction()?;
        // A second rotation of the same token waits here, then finds the row
        // changed and falls through to the replay check.
        let live = tx.query_opt(
            "SELECT id, user_id FROM sessions
             WHERE refresh_hash = $1 AND refresh_expires > $2 AND revoked_at IS NULL
             FOR UPDATE",
            &[&refresh_hash, &now],
        )?;
        let Some(live) = live else {
            let n = tx.execute(
                "UPDATE sessions SET revoked_at = $2
                 WHERE prev_refresh_hash = $1 AND revoked_at IS NULL",
                &[&refresh_hash, &now],
            )?;
            tx.commit()?;
            return Ok(if n > 0 {
                Refreshed::Replayed
            } else {
                Refreshed::Unknown
            });
        };
        let id: String = live.get(0);
        let Ok(user) = live.get::<_, &str>(1).parse::<UserId>() else {
            return Ok(Refreshed::Unknown);
        };
        tx.execute(
            "UPDATE sessions SET access_hash = $2, access_expires = $3, refresh_hash = $4,
                    refresh_expires = $5, prev_refresh_hash = $6
             WHERE id = $1",
            &[
                &id,
                &next.access_hash,
                &next.access_expires,
                &next.refresh_hash,
                &next.refresh_expires,
                &refresh_hash,
            ],
        )?;
        tx.commit()?;
        Ok(Refreshed::Rotated { user })
    }

    pub(crate) fn revoke_session(&self, session_id: &str, now: i64) -> StoreResult<()> {
        self.conn()?.execute(
            "UPDATE sessions SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL",
            &[&session_id, &now],
        )?;
        Ok(())
    }
}
