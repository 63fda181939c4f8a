//! Login state: one-time SMS codes (keyed hashes, expiring, rate limited) and
//! device sessions (opaque tokens stored only as keyed hashes — HMAC-SHA256
//! under the server secret, `crate::secret`; refresh rotates both tokens, and
//! a replayed refresh token revokes the session). The limits and the rotation
//! are written once, over [`super::sql::Tx`], for both databases.
//!
//! Wrong codes count per number over a window (`attempts` since
//! `attempts_since`), across codes: a fresh code does not reset the count, so
//! a number takes at most `max_attempts` guesses a window however many codes
//! are sent to it, and while its guesses are used up no new code is sent.

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
    /// Wrong guesses a number may take per `attempt_window_ms`, whichever of
    /// its codes they were for; then every code of it is void until the
    /// window ends.
    pub max_attempts: i64,
    pub attempt_window_ms: i64,
}

impl Default for CodePolicy {
    fn default() -> Self {
        CodePolicy {
            ttl_ms: 5 * 60_000,
            resend_ms: 60_000,
            max_sends_per_hour: 5,
            max_attempts: 5,
            attempt_window_ms: HOUR_MS,
        }
    }
}

const HOUR_MS: i64 = 3_600_000;

/// A code may not be sent yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimited {
    pub retry_after_ms: i64,
}

/// How a presented code fared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeCheck {
    /// The right, live code: it is used up now.
    Right,
    /// Wrong: counted against the number.
    Wrong,
    /// No live code for the number (none sent, expired, or used).
    NoCode,
    /// The number's wrong guesses for this window are used up.
    Exhausted { retry_after_ms: i64 },
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

/// The wrong-guess count of a number at `now`: `(attempts, since)`, restarted
/// when its window is over.
fn attempts_in_window(attempts: i64, since: i64, now: i64, policy: &CodePolicy) -> (i64, i64) {
    if now - since >= policy.attempt_window_ms {
        (0, now)
    } else {
        (attempts, since)
    }
}

impl Db {
    /// Record a new code for `phone` unless the limits forbid it: one a
    /// `resend_ms`, `max_sends_per_hour` an hour, and none while the number's
    /// wrong guesses are used up. The wrong-guess count carries over.
    pub fn issue_code(
        &self,
        phone: &str,
        code_hash: &str,
        now: i64,
        policy: &CodePolicy,
    ) -> StoreResult<Result<(), RateLimited>> {
        self.write(|tx| {
            let q = format!(
                "SELECT last_sent_at, window_start, sends, attempts, attempts_since
                 FROM sms_codes WHERE phone = ?1{}",
                tx.for_update()
            );
            let row = tx.query_opt(&q, args![phone])?;
            let (window_start, sends, attempts, attempts_since) = match row {
                Some(r) => {
                    let (last, window_start, sends): (i64, i64, i64) =
                        (r.get(0)?, r.get(1)?, r.get(2)?);
                    let (attempts, since) = attempts_in_window(r.get(3)?, r.get(4)?, now, policy);
                    if attempts >= policy.max_attempts {
                        return Ok(Err(RateLimited {
                            retry_after_ms: since + policy.attempt_window_ms - now,
                        }));
                    }
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
                        (window_start, sends, attempts, since)
                    } else {
                        (now, 0, attempts, since)
                    }
                }
                None => (now, 0, 0, now),
            };
            tx.execute(
                "INSERT INTO sms_codes (phone, code_hash, expires_at, attempts, last_sent_at,
                                        window_start, sends, attempts_since)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
                 ON CONFLICT (phone) DO UPDATE SET code_hash = excluded.code_hash,
                   expires_at = excluded.expires_at, attempts = excluded.attempts,
                   last_sent_at = excluded.last_sent_at,
                   window_start = excluded.window_start, sends = excluded.sends,
                   attempts_since = excluded.attempts_since",
                args![
                    phone,
                    code_hash,
                    now + policy.ttl_ms,
                    attempts,
                    now,
                    window_start,
                    sends + 1,
                    attempts_since
                ],
            )?;
            Ok(Ok(()))
        })
    }

    /// [`CodeCheck::Right`] once for the right, live code, which is then used
    /// up. Every wrong guess counts against the number for the window, across
    /// its codes; once `max_attempts` are used up no code of it is accepted
    /// until the window ends. Known and unknown numbers take the same path
    /// (a code is recorded for both).
    pub fn consume_code(
        &self,
        phone: &str,
        code_hash: &str,
        now: i64,
        policy: &CodePolicy,
    ) -> StoreResult<CodeCheck> {
        self.write(|tx| {
            let q = format!(
                "SELECT code_hash, expires_at, attempts, attempts_since FROM sms_codes
                 WHERE phone = ?1{}",
                tx.for_update()
            );
            let Some(r) = tx.query_opt(&q, args![phone])? else {
                return Ok(CodeCheck::NoCode);
            };
            let (stored, expires_at): (Option<String>, i64) = (r.get(0)?, r.get(1)?);
            let (attempts, since) = attempts_in_window(r.get(2)?, r.get(3)?, now, policy);
            if attempts >= policy.max_attempts {
                return Ok(CodeCheck::Exhausted {
                    retry_after_ms: since + policy.attempt_window_ms - now,
                });
            }
            let Some(stored) = stored.filter(|_| now < expires_at) else {
                return Ok(CodeCheck::NoCode);
            };
            if stored == code_hash {
                tx.execute(
                    "UPDATE sms_codes SET code_hash = NULL, attempts = 0, attempts_since = ?2
                     WHERE phone = ?1",
                    args![phone, now],
                )?;
                Ok(CodeCheck::Right)
            } else {
                tx.execute(
                    "UPDATE sms_codes SET attempts = ?2, attempts_since = ?3 WHERE phone = ?1",
                    args![phone, attempts + 1, since],
                )?;
                Ok(CodeCheck::Wrong)
            }
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
                // A revoked session's phone hears no more pushes (issue 12).
                tx.execute(
                    "DELETE FROM push_devices WHERE session_id IN
                         (SELECT id FROM sessions WHERE prev_refresh_hash = ?1)",
                    args![refresh_hash],
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
            // Logged out: the session's push token goes too (issue 12).
            crate::push::devices::remove_for_session(tx, session_id)?;
            Ok(())
        })
    }
}

impl Db {
    /// Remember the server secret's check value (`crate::secret`), or compare
    /// it with the one remembered: false when this database has been used
    /// with another secret (its tokens and codes would not be recognised).
    pub fn check_secret(&self, check: &str) -> StoreResult<bool> {
        self.write(|tx| {
            tx.execute(
                "INSERT INTO meta (key, value) VALUES ('secret_check', ?1)
                 ON CONFLICT (key) DO NOTHING",
                args![check],
            )?;
            let row = tx.query_opt("SELECT value FROM meta WHERE key = 'secret_check'", args![])?;
            Ok(match row {
                Some(r) => r.get::<String>(0)? == check,
                None => false,
            })
        })
    }
}
