//! The SMS fallback (issue 12, item 5): a notice that must arrive — by
//! default a chase (`chased`) or "please confirm" (`resolved`) — goes by SMS
//! when its person has not read it in the app within `unread_minutes`, or at
//! once when the person has no phone registered for push (`push_devices`).
//!
//! # Design
//! "Read" is the inbox's own state: `notifications.read_at`, set when the app
//! marks the inbox read (`POST /v1/notifications/read`). A pass ([`run_pass`])
//! looks at the unread notices of the configured kinds not older than
//! `max_age_hours` (a partial index of unread notices by time, schema v17)
//! that the fallback has not decided on, and that are due: older than the
//! timeout, or of a person without a device. It claims them in a write
//! transaction — `FOR UPDATE SKIP LOCKED` on PostgreSQL (`Tx::skip_locked`),
//! so passes of several server processes take different notices — and records
//! a decision for each in `sms_fallbacks`, keyed by the notice: a second
//! decision on the same notice is refused by the key, so a notice is texted at
//! most once, whichever process looks and however often. The person's row is
//! locked (`Tx::for_update`, users in id order) while their texts of the day
//! are counted, so the daily cap holds across processes too. The texts go out
//! after the commit, and each outcome is written back (`sent` with Tencent's
//! serial number, or `failed` with its error code); a process that dies in
//! between leaves the decision `sending`, never texted twice — a later pass
//! records it `failed` once it is [`STUCK_MS`] old.
//!
//! Decisions: `sending` → `sent` | `failed`; `capped` (the person had
//! `daily_cap` texts today, China time); `no_phone` (no valid mainland mobile
//! number). The SMS is a template with the kind of notice and the item's
//! short reference only: no item text, no constituent data.

use super::{china_day, FallbackConfig};
use crate::sms::{SmsGateway, SmsMessage, SmsTemplate};
use crate::store::sql::{args, list, Tx, Value};
use crate::store::{Db, StoreError};
use std::sync::Arc;
use std::time::Duration;

/// Notices claimed per transaction.
pub const PER_TRANSACTION: usize = 100;

/// A decision still `sending` this long after it was taken (ms) was left by
/// a process that ended mid-send (a send takes seconds at most).
pub const STUCK_MS: i64 = 10 * 60_000;

/// What a pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PassReport {
    pub sent: usize,
    pub failed: usize,
    pub capped: usize,
    pub no_phone: usize,
}

/// A decided notice to text.
#[derive(Debug, Clone)]
struct ToSend {
    notification_id: i64,
    phone: String,
    kind: String,
    ticket_id: String,
}

/// The Chinese label of a notice kind in the SMS template (≤ 6 characters).
pub fn kind_zh(kind: &str) -> &'static str {
    match kind {
        "chased" => "督办",
        "resolved" => "请确认",
        "declined" => "退回",
        _ => "提醒",
    }
}

/// The message for a notice of `kind` about `ticket_id` to `phone`.
pub fn message(phone: &str, kind: &str, ticket_id: &str, at: i64) -> SmsMessage {
    let item_ref: String = ticket_id.chars().filter(|c| *c != '-').take(8).collect();
    let kind_zh = kind_zh(kind);
    SmsMessage {
        phone: phone.to_owned(),
        text: format!(
            "【民情直通车】您有一条{kind_zh}提醒（事项 {item_ref}），请打开民情直通车查看。"
        ),
        at,
        template: SmsTemplate::Notice {
            kind_zh: kind_zh.to_owned(),
            item_ref,
        },
    }
}

/// Claim up to [`PER_TRANSACTION`] due notices and decide on each (in `tx`);
/// the ones to text, and the counts of the others.
fn claim(
    tx: &mut dyn Tx,
    policy: &FallbackConfig,
    now: i64,
    report: &mut PassReport,
) -> Result<(Vec<ToSend>, usize), StoreError> {
    if policy.kinds.is_empty() {
        return Ok((Vec::new(), 0));
    }
    let oldest = now - policy.max_age_hours as i64 * 3_600_000;
    let unread_before = now - policy.unread_minutes as i64 * 60_000;
    let sql = format!(
        "SELECT n.id, n.user_id, n.kind, n.ticket_id,
                EXISTS (SELECT 1 FROM push_devices d WHERE d.user_id = n.user_id)
         FROM notifications n
         WHERE n.read_at IS NULL AND n.created_at >= ?1 AND n.kind IN {}
           AND NOT EXISTS (SELECT 1 FROM sms_fallbacks f WHERE f.notification_id = n.id)
           AND (n.created_at <= ?2
                OR NOT EXISTS (SELECT 1 FROM push_devices d WHERE d.user_id = n.user_id))
         ORDER BY n.id LIMIT ?3{}",
        list(4, policy.kinds.len()),
        tx.skip_locked()
    );
    let mut values: Vec<Value> = vec![oldest.into(), unread_before.into(), PER_TRANSACTION.into()];
    values.extend(policy.kinds.iter().map(Value::from));
    let rows = tx.query(&sql, &values)?;
    let claimed = rows.len();
    let mut due = Vec::with_capacity(claimed);
    for r in rows {
        let id: i64 = r.get(0)?;
        let user: String = r.get(1)?;
        let kind: String = r.get(2)?;
        let ticket: String = r.get(3)?;
        let has_device: bool = r.get(4)?;
        due.push((user, id, kind, ticket, has_device));
    }
    // People's rows in one order, so two passes never wait on each other in a circle.
    due.sort();
    let day = china_day(now);
    let mut out = Vec::new();
    for (user, id, kind, ticket, has_device) in due {
        let phone: Option<String> = tx
            .query_opt(
                &format!("SELECT phone FROM users WHERE id = ?1{}", tx.for_update()),
                args![&user],
            )?
            .map(|r| r.get(0))
            .transpose()?;
        let sent_today: i64 = tx
            .query_one(
                "SELECT COUNT(*) FROM sms_fallbacks WHERE user_id = ?1 AND day = ?2
                   AND state IN ('sending', 'sent')",
                args![&user, day],
            )?
            .get(0)?;
        let phone = phone.filter(|p| crate::auth::valid_phone(p));
        let state = match &phone {
            None => "no_phone",
            Some(_) if sent_today >= i64::from(policy.daily_cap) => "capped",
            Some(_) => "sending",
        };
        let reason = if has_device { "unread" } else { "no_device" };
        let inserted = tx.query_opt(
            "INSERT INTO sms_fallbacks (notification_id, user_id, reason, state, day, decided_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)
             ON CONFLICT (notification_id) DO NOTHING RETURNING notification_id",
            args![id, &user, reason, state, day, now],
        )?;
        if inserted.is_none() {
            // Another pass decided on it first.
            continue;
        }
        match (state, phone) {
            ("sending", Some(phone)) => out.push(ToSend {
                notification_id: id,
                phone,
                kind,
                ticket_id: ticket,
            }),
            ("capped", _) => report.capped += 1,
            _ => report.no_phone += 1,
        }
    }
    Ok((out, claimed))
}

/// One pass at `now`: claim what is due, text it through `gateway`
/// (blocking: run it off the async runtime), record each outcome.
pub fn run_pass(
    db: &Db,
    gateway: &dyn SmsGateway,
    policy: &FallbackConfig,
    now: i64,
) -> Result<PassReport, StoreError> {
    let mut report = PassReport::default();
    // A decision left `sending` by a process that ended before the vendor
    // answered: recorded as failed, never sent again.
    db.write(|tx| {
        tx.execute(
            "UPDATE sms_fallbacks SET state = 'failed', finished_at = ?1,
                 error = 'the server process ended before the vendor answered'
             WHERE state = 'sending' AND decided_at < ?2",
            args![now, now - STUCK_MS],
        )
    })?;
    loop {
        let (to_send, claimed) = db.write(|tx| claim(tx, policy, now, &mut report))?;
        for s in &to_send {
            let msg = message(&s.phone, &s.kind, &s.ticket_id, now);
            let (state, reference, error) = match gateway.deliver(&msg) {
                Ok(r) => {
                    report.sent += 1;
                    ("sent", r, None)
                }
                Err(e) => {
                    report.failed += 1;
                    tracing::warn!(notification = s.notification_id, error = %e, "fallback SMS not sent");
                    ("failed", None, Some(e.to_string()))
                }
            };
            db.write(|tx| {
                tx.execute(
                    "UPDATE sms_fallbacks SET state = ?2, provider_ref = ?3, error = ?4,
                         finished_at = ?5
                     WHERE notification_id = ?1",
                    args![
                        s.notification_id,
                        state,
                        reference,
                        error,
                        crate::store::now_ms()
                    ],
                )
            })?;
        }
        if claimed < PER_TRANSACTION {
            return Ok(report);
        }
    }
}

/// One recorded decision (for the admin and the tests).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    pub notification_id: i64,
    pub user_id: String,
    pub reason: String,
    pub state: String,
    pub provider_ref: Option<String>,
    pub error: Option<String>,
}

impl Db {
    /// Every decision of the SMS fallback, in notice order.
    pub fn sms_fallbacks(&self) -> Result<Vec<Decision>, StoreError> {
        self.read(|tx| {
            tx.query(
                "SELECT notification_id, user_id, reason, state, provider_ref, error
                 FROM sms_fallbacks ORDER BY notification_id",
                &[],
            )?
            .iter()
            .map(|r| {
                Ok(Decision {
                    notification_id: r.get(0)?,
                    user_id: r.get(1)?,
                    reason: r.get(2)?,
                    state: r.get(3)?,
                    provider_ref: r.get(4)?,
                    error: r.get(5)?,
                })
            })
            .collect()
        })
    }
}

/// Run a pass every `policy.interval_secs`, for ever (abort the task to stop;
/// a pass under way finishes on the blocking pool).
pub async fn run_forever(
    db: Arc<Db>,
    gateway: Arc<dyn SmsGateway>,
    policy: FallbackConfig,
    clock: crate::clock::Clock,
) {
    let mut tick = tokio::time::interval(Duration::from_secs(policy.interval_secs.max(1)));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let policy = Arc::new(policy);
    loop {
        tick.tick().await;
        let (db, gateway, policy, now) = (db.clone(), gateway.clone(), policy.clone(), clock.now());
        let pass =
            tokio::task::spawn_blocking(move || run_pass(&db, gateway.as_ref(), &policy, now));
        match pass.await {
            Ok(Ok(r)) if r != PassReport::default() => tracing::info!(
                sent = r.sent,
                failed = r.failed,
                capped = r.capped,
                no_phone = r.no_phone,
                "SMS fallback pass"
            ),
            Ok(Ok(_)) => {}
            Ok(Err(e)) => tracing::warn!("SMS fallback pass failed, retried next tick: {e}"),
            Err(e) => tracing::warn!("SMS fallback pass ended badly: {e}"),
        }
    }
}
