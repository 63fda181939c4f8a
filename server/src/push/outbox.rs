//! The delivery outbox (`push_deliveries`, `push_attempts`; schema v16): what
//! the dispatcher sends, and what it did.
//!
//! # Rows
//! One delivery per (notice, device) — `UNIQUE (notification_id, device_id)`
//! — written by [`enqueue`] inside the transaction that writes the notice
//! (`store::review::notify`), so a notice and its deliveries commit together:
//! no push for a change that rolled back, none lost for one that committed.
//! Its text is fixed then, in the device's language (`title`, `body`: no
//! constituent data, see `workflow::notify`).
//!
//! `state`: `pending` until it ends as `sent` (the vendor accepted it;
//! `sent_at`), `dead` (the vendor said the token is dead; the device is
//! removed), `failed` (refused for good, or [`MAX_ATTEMPTS`] tries), or
//! `dropped` (the device was removed before it was sent: logout, a newer
//! login took the token). A pending row is due at `next_at` (ms): [`take_due`]
//! leases it by moving `next_at` past the lease and counting the attempt, so
//! no other dispatcher takes it while it is in flight; [`record`] ends it or
//! sets when it is due again. A dispatcher that dies mid-send leaves the row
//! to be taken again when the lease ends.
//!
//! Every attempt is a `push_attempts` row: when, the HTTP status (none for a
//! transport failure), `outcome` (`sent`, `retry`, `dead`, `failed`), the
//! vendor's reason, the `Retry-After` it gave, and how long the request took.
//!
//! # For the SMS fallback (issue 12 item 5)
//! [`deliveries_of`] lists a notice's deliveries with their states; a notice
//! without any went to a person with no registered device. `notifications.
//! read_at` says whether it was read in the app.

use super::Provider;
use crate::store::sql::{self, args, Row, Tx, Value};
use crate::store::{Db, StoreError, StoreResult};

/// A delivery is tried at most this many times, then `failed`.
pub const MAX_ATTEMPTS: u32 = 12;

/// A push's text in both languages; each device gets its own.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PushText {
    pub title_zh: String,
    pub body_zh: String,
    pub title_en: String,
    pub body_en: String,
}

/// One delivery for every registered device of each notice in `notices`
/// (ids of `notifications` rows just written), due at once; how many.
pub fn enqueue(tx: &mut dyn Tx, notices: &[i64], text: &PushText, now: i64) -> StoreResult<u64> {
    let mut n = 0;
    for chunk in notices.chunks(1000) {
        let sql = format!(
            "INSERT INTO push_deliveries (notification_id, device_id, user_id, provider,
                 ticket_id, kind, title, body, state, attempts, next_at, created_at)
             SELECT n.id, d.id, d.user_id, d.provider, n.ticket_id, n.kind,
                 CASE WHEN d.language LIKE 'zh%' THEN ?1 ELSE ?2 END,
                 CASE WHEN d.language LIKE 'zh%' THEN ?3 ELSE ?4 END,
                 'pending', 0, ?5, ?5
             FROM notifications n JOIN push_devices d ON d.user_id = n.user_id
             WHERE n.id IN {}
             ON CONFLICT (notification_id, device_id) DO NOTHING",
            sql::list(6, chunk.len())
        );
        let mut a: Vec<Value> = vec![
            text.title_zh.as_str().into(),
            text.title_en.as_str().into(),
            text.body_zh.as_str().into(),
            text.body_en.as_str().into(),
            now.into(),
        ];
        a.extend(chunk.iter().map(|i| Value::Int(*i)));
        n += tx.execute(&sql, &a)?;
    }
    Ok(n)
}

/// A delivery taken for sending.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Due {
    pub id: i64,
    pub notification_id: i64,
    pub device_id: String,
    pub provider: Provider,
    pub token: String,
    pub app_id: String,
    pub ticket_id: String,
    pub kind: String,
    pub title: String,
    pub body: String,
    /// Attempts including this one (1 for the first).
    pub attempts: u32,
    /// When the notice was written (ms): the delivery's age is measured from it.
    pub created_at: i64,
}

/// Take at most `limit` deliveries of `providers` due at `now`, oldest due
/// first, leased until `now + lease_ms`. On PostgreSQL rows another
/// transaction has locked are skipped (`FOR UPDATE SKIP LOCKED`), so
/// dispatchers in several processes never take the same delivery; SQLite's
/// write transaction is the only one. Deliveries whose device is gone are
/// marked `dropped` instead.
pub fn take_due(
    tx: &mut dyn Tx,
    now: i64,
    lease_ms: i64,
    limit: usize,
    providers: &[Provider],
) -> StoreResult<Vec<Due>> {
    if providers.is_empty() || limit == 0 {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT id FROM push_deliveries
         WHERE state = 'pending' AND next_at <= ?1 AND provider IN {}
         ORDER BY next_at, id LIMIT ?2{}",
        sql::list(3, providers.len()),
        tx.skip_locked()
    );
    let mut a: Vec<Value> = vec![now.into(), limit.into()];
    a.extend(providers.iter().map(|p| Value::from(p.as_str())));
    let ids: Vec<i64> = tx
        .query(&sql, &a)?
        .iter()
        .map(|r| r.get(0))
        .collect::<StoreResult<_>>()?;
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let in_ids = sql::list(2, ids.len());
    let mut a: Vec<Value> = vec![(now + lease_ms).into()];
    a.extend(ids.iter().map(|i| Value::Int(*i)));
    tx.execute(
        &format!(
            "UPDATE push_deliveries SET next_at = ?1, attempts = attempts + 1 WHERE id IN {in_ids}"
        ),
        &a,
    )?;
    let rows = tx.query(
        &format!(
            "SELECT dl.id, dl.notification_id, dl.device_id, dl.provider, dv.token, dv.app_id,
                 dl.ticket_id, dl.kind, dl.title, dl.body, dl.attempts, dl.created_at
             FROM push_deliveries dl LEFT JOIN push_devices dv ON dv.id = dl.device_id
             WHERE dl.id IN {}
             ORDER BY dl.next_at, dl.id",
            sql::list(1, ids.len())
        ),
        &ids.iter().map(|i| Value::Int(*i)).collect::<Vec<_>>(),
    )?;
    let mut due = Vec::with_capacity(rows.len());
    let mut gone = Vec::new();
    for r in &rows {
        match due_row(r)? {
            Some(d) => due.push(d),
            None => gone.push(Value::Int(r.get(0)?)),
        }
    }
    if !gone.is_empty() {
        tx.execute(
            &format!(
                "UPDATE push_deliveries SET state = 'dropped', last_error = 'device removed'
                 WHERE id IN {}",
                sql::list(1, gone.len())
            ),
            &gone,
        )?;
    }
    Ok(due)
}

fn due_row(r: &Row) -> StoreResult<Option<Due>> {
    let (Some(token), Some(app_id)) = (r.get::<Option<String>>(4)?, r.get::<Option<String>>(5)?)
    else {
        return Ok(None);
    };
    let provider: String = r.get(3)?;
    Ok(Some(Due {
        id: r.get(0)?,
        notification_id: r.get(1)?,
        device_id: r.get(2)?,
        provider: Provider::parse(&provider)
            .ok_or_else(|| StoreError::Schema(format!("push_deliveries.provider {provider:?}")))?,
        token,
        app_id,
        ticket_id: r.get(6)?,
        kind: r.get(7)?,
        title: r.get(8)?,
        body: r.get(9)?,
        attempts: r.get(10)?,
        created_at: r.get(11)?,
    }))
}

/// What came of one attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The vendor accepted it.
    Sent,
    /// Try again in `after_ms` (the vendor's `Retry-After`, or backoff).
    Retry { after_ms: i64 },
    /// The token is dead: the device is removed.
    Dead,
    /// Refused for good (a malformed request, bad credentials that retrying
    /// does not fix).
    Failed,
}

impl Outcome {
    pub fn as_str(&self) -> &'static str {
        match self {
            Outcome::Sent => "sent",
            Outcome::Retry { .. } => "retry",
            Outcome::Dead => "dead",
            Outcome::Failed => "failed",
        }
    }
}

/// One attempt, as recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attempt {
    /// When the request was made (ms).
    pub at: i64,
    /// The HTTP status; `None` when no answer came (connection, timeout).
    pub status: Option<u16>,
    pub outcome: Outcome,
    /// The vendor's reason (`Unregistered`, `UNREGISTERED`, `80300007`, …)
    /// or the transport error.
    pub detail: Option<String>,
    /// The `Retry-After` the vendor gave, in ms.
    pub retry_after_ms: Option<i64>,
    /// How long the request took.
    pub elapsed_ms: i64,
}

/// Record what came of attempts at deliveries taken by [`take_due`], in one
/// transaction: each attempt's row, each delivery's new state, and the
/// devices of dead tokens removed (their other pending deliveries `dropped`).
/// A retry past [`MAX_ATTEMPTS`] ends as `failed`.
pub fn record(tx: &mut dyn Tx, results: &[(Due, Attempt)]) -> StoreResult<()> {
    for (d, a) in results {
        tx.execute(
            "INSERT INTO push_attempts (delivery_id, at, provider, status, outcome, detail,
                 retry_after_ms, elapsed_ms)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            args![
                d.id,
                a.at,
                d.provider.as_str(),
                a.status.map(i64::from),
                a.outcome.as_str(),
                a.detail.as_deref(),
                a.retry_after_ms,
                a.elapsed_ms
            ],
        )?;
        match &a.outcome {
            Outcome::Sent => tx.execute(
                "UPDATE push_deliveries SET state = 'sent', sent_at = ?2, last_error = NULL
                 WHERE id = ?1",
                args![d.id, a.at + a.elapsed_ms],
            )?,
            Outcome::Retry { after_ms } if d.attempts < MAX_ATTEMPTS => tx.execute(
                "UPDATE push_deliveries SET next_at = ?2, last_error = ?3 WHERE id = ?1",
                args![d.id, a.at + a.elapsed_ms + after_ms, a.detail.as_deref()],
            )?,
            Outcome::Retry { .. } | Outcome::Failed => tx.execute(
                "UPDATE push_deliveries SET state = 'failed', last_error = ?2 WHERE id = ?1",
                args![d.id, a.detail.as_deref()],
            )?,
            Outcome::Dead => {
                tx.execute(
                    "UPDATE push_deliveries SET state = 'dead', last_error = ?2 WHERE id = ?1",
                    args![d.id, a.detail.as_deref()],
                )?;
                tx.execute(
                    "UPDATE push_deliveries SET state = 'dropped', last_error = 'token dead'
                     WHERE device_id = ?1 AND state = 'pending' AND id <> ?2",
                    args![&d.device_id, d.id],
                )?;
                super::devices::remove_token(tx, d.provider, &d.token)?
            }
        };
    }
    Ok(())
}

/// When the next pending delivery of `providers` is due (ms), if any.
pub fn next_due(tx: &mut dyn Tx, providers: &[Provider]) -> StoreResult<Option<i64>> {
    if providers.is_empty() {
        return Ok(None);
    }
    let a: Vec<Value> = providers.iter().map(|p| Value::from(p.as_str())).collect();
    tx.query_one(
        &format!(
            "SELECT MIN(next_at) FROM push_deliveries WHERE state = 'pending' AND provider IN {}",
            sql::list(1, providers.len())
        ),
        &a,
    )?
    .get(0)
}

/// A delivery as listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    pub id: i64,
    pub notification_id: i64,
    pub device_id: String,
    pub user_id: String,
    pub provider: String,
    pub ticket_id: String,
    pub kind: String,
    pub title: String,
    pub body: String,
    /// `pending`, `sent`, `dead`, `failed` or `dropped`.
    pub state: String,
    pub attempts: u32,
    pub created_at: i64,
    pub sent_at: Option<i64>,
    pub last_error: Option<String>,
}

const DELIVERY: &str = "id, notification_id, device_id, user_id, provider, ticket_id, kind, \
                        title, body, state, attempts, created_at, sent_at, last_error";

fn delivery(r: &Row) -> StoreResult<Delivery> {
    Ok(Delivery {
        id: r.get(0)?,
        notification_id: r.get(1)?,
        device_id: r.get(2)?,
        user_id: r.get(3)?,
        provider: r.get(4)?,
        ticket_id: r.get(5)?,
        kind: r.get(6)?,
        title: r.get(7)?,
        body: r.get(8)?,
        state: r.get(9)?,
        attempts: r.get(10)?,
        created_at: r.get(11)?,
        sent_at: r.get(12)?,
        last_error: r.get(13)?,
    })
}

/// The deliveries of notice `notification`, by id.
pub fn deliveries_of(tx: &mut dyn Tx, notification: i64) -> StoreResult<Vec<Delivery>> {
    tx.query(
        &format!("SELECT {DELIVERY} FROM push_deliveries WHERE notification_id = ?1 ORDER BY id"),
        args![notification],
    )?
    .iter()
    .map(delivery)
    .collect()
}

/// `user`'s deliveries, newest first, at most `limit`.
pub fn deliveries_to(tx: &mut dyn Tx, user: &str, limit: usize) -> StoreResult<Vec<Delivery>> {
    tx.query(
        &format!(
            "SELECT {DELIVERY} FROM push_deliveries WHERE user_id = ?1 ORDER BY id DESC LIMIT ?2"
        ),
        args![user, limit],
    )?
    .iter()
    .map(delivery)
    .collect()
}

/// One recorded attempt, as listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttemptRow {
    pub delivery_id: i64,
    pub at: i64,
    pub status: Option<u16>,
    pub outcome: String,
    pub detail: Option<String>,
    pub retry_after_ms: Option<i64>,
    pub elapsed_ms: i64,
}

/// The attempts at delivery `delivery`, in order.
pub fn attempts_of(tx: &mut dyn Tx, delivery: i64) -> StoreResult<Vec<AttemptRow>> {
    tx.query(
        "SELECT delivery_id, at, status, outcome, detail, retry_after_ms, elapsed_ms
         FROM push_attempts WHERE delivery_id = ?1 ORDER BY id",
        args![delivery],
    )?
    .iter()
    .map(|r| {
        Ok(AttemptRow {
            delivery_id: r.get(0)?,
            at: r.get(1)?,
            status: r.get::<Option<u32>>(2)?.and_then(|s| u16::try_from(s).ok()),
            outcome: r.get(3)?,
            detail: r.get(4)?,
            retry_after_ms: r.get(5)?,
            elapsed_ms: r.get(6)?,
        })
    })
    .collect()
}

impl Db {
    /// [`deliveries_to`] in a read transaction.
    pub fn push_deliveries_to(&self, user: &str, limit: usize) -> StoreResult<Vec<Delivery>> {
        self.read(|tx| deliveries_to(tx, user, limit))
    }

    /// [`attempts_of`] in a read transaction.
    pub fn push_attempts_of(&self, delivery: i64) -> StoreResult<Vec<AttemptRow>> {
        self.read(|tx| attempts_of(tx, delivery))
    }
}
