//! Wrong login tries, counted where every server process sees them and a
//! restart does not forget them: one row per (scope, subject) — a staff
//! account's phone number, a client address — in `login_throttle`, written once
//! over [`super::sql::Tx`] for both databases (issue 16, item 2).
//!
//! An attempt is counted *before* it is checked ([`Db::begin_attempt`]), so a
//! burst of concurrent guesses is throttled from its first answer, not after;
//! a right answer takes its count back ([`Db::end_attempt`]). After `free`
//! failures each further one makes the subject wait, twice as long each time
//! (`base` … `max_delay`); an account reaching `lock_after` failures is locked
//! for `lock` or until an administrator lifts it ([`Db::lift_lockout`]).
//! Failures are forgotten `forget` after the last one.

use super::sql::{args, Tx};
use super::{Db, StoreResult};

/// What a row counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Password tries for one phone number (registered or not).
    PasswordAccount,
    /// Password tries from one client address.
    PasswordAddress,
    /// Login-code tries from one client address (the tries per number are
    /// counted with the code, `sms_codes.attempts`).
    CodeAddress,
}

impl Scope {
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::PasswordAccount => "password_account",
            Scope::PasswordAddress => "password_address",
            Scope::CodeAddress => "code_address",
        }
    }

    fn parse(s: &str) -> Option<Scope> {
        [
            Scope::PasswordAccount,
            Scope::PasswordAddress,
            Scope::CodeAddress,
        ]
        .into_iter()
        .find(|x| x.as_str() == s)
    }
}

/// How one scope throttles.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    /// Failures allowed before any waiting.
    pub free: i64,
    /// The first wait; each further failure doubles it …
    pub base_ms: i64,
    /// … up to this.
    pub max_delay_ms: i64,
    /// Failures that lock the subject (until lifted or `lock_ms` passed).
    pub lock_after: Option<i64>,
    pub lock_ms: i64,
    /// Failures are forgotten this long after the last one.
    pub forget_ms: i64,
    /// A right answer wipes the subject's failures (an account), rather than
    /// taking back only its own count (an address many people share).
    pub success_clears: bool,
}

/// Whether an attempt may go ahead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Go,
    /// Too many recent failures: try again after this long.
    Wait {
        retry_after_ms: i64,
    },
    /// Locked until an administrator lifts it, or this long has passed.
    Locked {
        retry_after_ms: i64,
    },
}

/// How an attempt ended, for [`Db::end_attempt`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The right password or code.
    Right,
    /// Never checked (the server was too busy): the attempt does not count.
    Unchecked,
}

/// One row, for the administrator's list.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct Throttled {
    /// What is counted: a phone number's passwords, an address's passwords,
    /// or an address's codes.
    #[schema(value_type = String, pattern = "^(password_account|password_address|code_address)$")]
    pub scope: &'static str,
    pub subject: String,
    pub failures: i64,
    pub last_failure_at: i64,
    /// 0 when not waiting.
    pub blocked_until: i64,
    /// 0 when not locked.
    pub locked_until: i64,
}

fn delay_ms(rule: &Rule, failures: i64) -> i64 {
    let over = failures - rule.free;
    if over <= 0 {
        return 0;
    }
    let doublings = u32::try_from(over - 1).unwrap_or(u32::MAX).min(40);
    rule.base_ms
        .saturating_mul(1i64 << doublings)
        .min(rule.max_delay_ms)
}

/// Check one subject and count this attempt against it.
fn begin_one(
    tx: &mut dyn Tx,
    scope: Scope,
    subject: &str,
    rule: &Rule,
    now: i64,
) -> StoreResult<Verdict> {
    let q = format!(
        "SELECT failures, last_failure_at, blocked_until, locked_until FROM login_throttle
         WHERE scope = ?1 AND subject = ?2{}",
        tx.for_update()
    );
    let row = tx.query_opt(&q, args![scope.as_str(), subject])?;
    let (failures, blocked_until, locked_until) = match row {
        Some(r) => {
            let (failures, last, blocked, locked): (i64, i64, i64, i64) =
                (r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?);
            if locked > now {
                return Ok(Verdict::Locked {
                    retry_after_ms: locked - now,
                });
            }
            if blocked > now {
                return Ok(Verdict::Wait {
                    retry_after_ms: blocked - now,
                });
            }
            if now - last >= rule.forget_ms || (locked > 0 && locked <= now) {
                // Long quiet, or a lock served: start again.
                (0, 0, 0)
            } else {
                (failures, blocked, locked)
            }
        }
        None => (0, 0, 0),
    };
    let failures = failures + 1;
    let wait = delay_ms(rule, failures);
    let blocked_until = if wait > 0 { now + wait } else { blocked_until };
    let locked_until = match rule.lock_after {
        Some(n) if failures >= n => now + rule.lock_ms,
        _ => locked_until,
    };
    tx.execute(
        "INSERT INTO login_throttle (scope, subject, failures, last_failure_at, blocked_until,
                                     locked_until)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT (scope, subject) DO UPDATE SET failures = excluded.failures,
           last_failure_at = excluded.last_failure_at, blocked_until = excluded.blocked_until,
           locked_until = excluded.locked_until",
        args![
            scope.as_str(),
            subject,
            failures,
            now,
            blocked_until,
            locked_until
        ],
    )?;
    Ok(Verdict::Go)
}

impl Db {
    /// Ask whether an attempt on every `(scope, subject, rule)` may go ahead and,
    /// if so, count it as a failure on each (in one transaction); a refused
    /// attempt counts nowhere. The first refusal found is returned, a lock
    /// before a wait.
    pub fn begin_attempt(
        &self,
        subjects: &[(Scope, &str, &Rule)],
        now: i64,
    ) -> StoreResult<Verdict> {
        self.write(|tx| {
            let mut refusals = Vec::new();
            for (scope, subject, _) in subjects {
                let q = format!(
                    "SELECT blocked_until, locked_until FROM login_throttle
                     WHERE scope = ?1 AND subject = ?2{}",
                    tx.for_update()
                );
                if let Some(r) = tx.query_opt(&q, args![scope.as_str(), *subject])? {
                    let (blocked, locked): (i64, i64) = (r.get(0)?, r.get(1)?);
                    if locked > now {
                        refusals.push(Verdict::Locked {
                            retry_after_ms: locked - now,
                        });
                    } else if blocked > now {
                        refusals.push(Verdict::Wait {
                            retry_after_ms: blocked - now,
                        });
                    }
                }
            }
            if let Some(v) = refusals
                .iter()
                .find(|v| matches!(v, Verdict::Locked { .. }))
                .or(refusals.first())
            {
                return Ok(*v);
            }
            for (scope, subject, rule) in subjects {
                // Checked above in this transaction (and locked on PostgreSQL).
                let v = begin_one(tx, *scope, subject, rule, now)?;
                debug_assert_eq!(v, Verdict::Go);
            }
            Ok(Verdict::Go)
        })
    }

    /// Settle an attempt [`Db::begin_attempt`] let through: a right answer
    /// clears an account's failures and takes back its count from an
    /// address's; an unchecked one takes back its count everywhere (the wait
    /// it set stays: a server too busy to check is no reason to try sooner).
    /// A wrong answer needs nothing: it was counted.
    pub fn end_attempt(
        &self,
        subjects: &[(Scope, &str, &Rule)],
        outcome: Outcome,
    ) -> StoreResult<()> {
        self.write(|tx| {
            for (scope, subject, rule) in subjects {
                if outcome == Outcome::Right && rule.success_clears {
                    tx.execute(
                        "DELETE FROM login_throttle WHERE scope = ?1 AND subject = ?2",
                        args![scope.as_str(), *subject],
                    )?;
                } else {
                    // One count back; below the free tries, no more waiting.
                    tx.execute(
                        "UPDATE login_throttle SET failures = failures - 1,
                           blocked_until = CASE WHEN failures - 1 <= ?3 THEN 0
                                                ELSE blocked_until END,
                           locked_until = CASE WHEN ?4 > 0 AND failures - 1 < ?4 THEN 0
                                               ELSE locked_until END
                         WHERE scope = ?1 AND subject = ?2 AND failures > 0",
                        args![
                            scope.as_str(),
                            *subject,
                            rule.free,
                            rule.lock_after.unwrap_or(0)
                        ],
                    )?;
                }
            }
            Ok(())
        })
    }

    /// Lift every lock and wait on `subject` (an administrator's act): its
    /// password tries, and the wrong-code count of its number. True if there
    /// was anything to lift.
    pub fn lift_lockout(&self, phone: &str) -> StoreResult<bool> {
        self.write(|tx| {
            let a = tx.execute(
                "DELETE FROM login_throttle WHERE scope = ?1 AND subject = ?2",
                args![Scope::PasswordAccount.as_str(), phone],
            )?;
            let b = tx.execute(
                "UPDATE sms_codes SET attempts = 0 WHERE phone = ?1 AND attempts > 0",
                args![phone],
            )?;
            Ok(a + b > 0)
        })
    }

    /// Subjects waiting or locked at `now`, newest failure first.
    pub fn throttled(&self, now: i64) -> StoreResult<Vec<Throttled>> {
        self.read(|tx| {
            let rows = tx.query(
                "SELECT scope, subject, failures, last_failure_at, blocked_until, locked_until
                 FROM login_throttle WHERE blocked_until > ?1 OR locked_until > ?1
                 ORDER BY last_failure_at DESC LIMIT 1000",
                args![now],
            )?;
            let mut out = Vec::with_capacity(rows.len());
            for r in rows {
                let scope: String = r.get(0)?;
                let Some(scope) = Scope::parse(&scope) else {
                    continue;
                };
                out.push(Throttled {
                    scope: scope.as_str(),
                    subject: r.get(1)?,
                    failures: r.get(2)?,
                    last_failure_at: r.get(3)?,
                    blocked_until: r.get(4)?,
                    locked_until: r.get(5)?,
                });
            }
            Ok(out)
        })
    }

    /// Forget rows nothing holds any more: no wait, no lock, and the last
    /// failure older than `forget_ms`.
    pub fn sweep_throttle(&self, now: i64, forget_ms: i64) -> StoreResult<u64> {
        self.write(|tx| {
            tx.execute(
                "DELETE FROM login_throttle
                 WHERE blocked_until <= ?1 AND locked_until <= ?1 AND last_failure_at < ?2",
                args![now, now - forget_ms],
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_double_from_the_first_try_past_the_free_ones() {
        let r = Rule {
            free: 3,
            base_ms: 1_000,
            max_delay_ms: 10_000,
            lock_after: None,
            lock_ms: 0,
            forget_ms: 1,
            success_clears: true,
        };
        let d: Vec<i64> = (1..=9).map(|n| delay_ms(&r, n)).collect();
        assert_eq!(d, [0, 0, 0, 1_000, 2_000, 4_000, 8_000, 10_000, 10_000]);
        assert_eq!(delay_ms(&r, i64::MAX), 10_000);
    }
}
