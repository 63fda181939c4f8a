//! The outbox: every change the server has not acknowledged yet, persisted in the
//! same transaction as the local change it describes.
//!
//! # Design
//! An entry is either a **mutation** (pushed to the server, numbered by a
//! monotonic per-device `mutation_id`) or a photo **upload** (tus; no number).
//! The server applies mutations strictly in `mutation_id` order without gaps, so a
//! mutation that must wait for something (a photo's `attach` waits for its upload)
//! gets its number only when what it waits for is done — in the transaction that
//! records that. Numbers are fixed before the first send, so a re-send is a replay
//! the server recognises.
//!
//! **Numbers.** Mutations are numbered by one local sequence that never
//! repeats on this store (`meta.last_mutation_id`, the `mutation_id` column).
//! The server sees them under the store's current client id, numbered from 1:
//! *wire id* = local id − `meta.mutation_base`. When the server says the client
//! id has forked (this store was restored from a backup or copied, and the
//! server already applied other changes under the ids it is about to reuse),
//! [`fork`] takes a new client id and moves the base to just below the first
//! unacknowledged mutation, which renumbers every unsent mutation from 1 under
//! the new id, in one transaction; local numbers and the history of sent
//! entries stay as they are.
//!
//! States: `pending` → `sending` → `sent`; or `rejected` (the server refused it for
//! good; the reason is shown to the user and later entries go on); or, after
//! [`STUCK_AFTER`] failed attempts, `stuck` (still kept, still retried, and shown).
//! Nothing is ever dropped. On start, entries left `sending` return to `pending`.

use crate::error::{Error, Result};
use crate::store::{meta_get, meta_set, now_ms};
use minqing_protocol::{ClientId, Mutation, MutationKind, PhotoId, TicketId, PROTOCOL_VERSION};
use rusqlite::{params, Connection, OptionalExtension, Transaction};
use serde::{Deserialize, Serialize};

/// Failed attempts after which an entry is shown as stuck.
pub const STUCK_AFTER: u32 = 8;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, uniffi::Enum)]
#[serde(rename_all = "snake_case")]
pub enum OutboxState {
    Pending,
    Sending,
    Sent,
    Rejected,
    Stuck,
}

impl OutboxState {
    pub fn as_str(self) -> &'static str {
        match self {
            OutboxState::Pending => "pending",
            OutboxState::Sending => "sending",
            OutboxState::Sent => "sent",
            OutboxState::Rejected => "rejected",
            OutboxState::Stuck => "stuck",
        }
    }

    pub(crate) fn parse(s: &str) -> Result<Self> {
        Ok(match s {
            "pending" => OutboxState::Pending,
            "sending" => OutboxState::Sending,
            "sent" => OutboxState::Sent,
            "rejected" => OutboxState::Rejected,
            "stuck" => OutboxState::Stuck,
            other => {
                return Err(Error::Invalid {
                    field: "outbox.state",
                    reason: format!("unknown state {other:?}"),
                })
            }
        })
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            OutboxState::Pending => "待发送",
            OutboxState::Sending => "发送中",
            OutboxState::Sent => "已发送",
            OutboxState::Rejected => "被退回",
            OutboxState::Stuck => "发送受阻",
        }
    }
}

/// What an upload entry carries.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UploadPayload {
    pub photo_id: PhotoId,
    /// File name inside the store's photo folder.
    pub file: String,
    pub sha256: String,
    pub bytes: u64,
}

/// One outbox row, as the queue screen and the sync client see it.
#[derive(Debug, Clone, PartialEq, Serialize, uniffi::Record)]
pub struct OutboxEntry {
    pub entry_id: i64,
    /// `None` for uploads, and for mutations still waiting for an upload.
    pub mutation_id: Option<u64>,
    /// `create_ticket`, `upload`, or the action name (`attach_photo`, `claim`, …).
    pub kind: String,
    pub ticket_id: String,
    pub photo_id: Option<String>,
    pub state: OutboxState,
    /// The entry this one waits for, while it waits.
    pub waiting_for: Option<i64>,
    pub attempts: u32,
    pub last_error: Option<String>,
    pub reject_reason: Option<String>,
    pub created_at: i64,
    /// For uploads: bytes the server has, and the total.
    pub uploaded_bytes: Option<u64>,
    pub total_bytes: Option<u64>,
}

/// Local number − wire number, for the current client id (see "Numbers").
fn mutation_base(conn: &Connection) -> Result<u64> {
    Ok(meta_get(conn, "mutation_base")?
        .and_then(|v| v.parse().ok())
        .unwrap_or(0))
}

fn next_mutation_id(tx: &Transaction<'_>) -> Result<u64> {
    let last: u64 = meta_get(tx, "last_mutation_id")?
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let next = last + 1;
    meta_set(tx, "last_mutation_id", &next.to_string())?;
    Ok(next)
}

fn kind_name(kind: &MutationKind) -> &'static str {
    match kind {
        MutationKind::CreateTicket { .. } => "create_ticket",
        MutationKind::Act { action, .. } => action.name(),
    }
}

/// Queue a mutation. With `depends_on`, it gets its number when that entry is sent.
pub fn enqueue_mutation(
    tx: &Transaction<'_>,
    kind: &MutationKind,
    photo: Option<PhotoId>,
    depends_on: Option<i64>,
) -> Result<i64> {
    let mutation_id = match depends_on {
        None => Some(next_mutation_id(tx)?),
        Some(_) => None,
    };
    let now = now_ms();
    // A submission's constituent contact is sealed apart from the payload.
    let (payload, contact) = match kind {
        MutationKind::CreateTicket { ticket } if ticket.constituent.is_some() => {
            let mut open = ticket.clone();
            let contact = open.constituent.take();
            (
                serde_json::to_string(&MutationKind::CreateTicket { ticket: open })?,
                contact.map(|c| serde_json::to_string(&c)).transpose()?,
            )
        }
        _ => (serde_json::to_string(kind)?, None),
    };
    tx.execute(
        "INSERT INTO outbox (mutation_id, kind, ticket_id, photo_id, payload, schema_version,
                             state, depends_on, created_at, updated_at, sealed)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'pending', ?7, ?8, ?8, seal(?9))",
        params![
            mutation_id,
            kind_name(kind),
            kind.ticket_id().to_string(),
            photo.map(|p| p.to_string()),
            payload,
            PROTOCOL_VERSION,
            depends_on,
            now,
            contact,
        ],
    )?;
    Ok(tx.last_insert_rowid())
}

/// Queue a photo upload.
pub fn enqueue_upload(
    tx: &Transaction<'_>,
    ticket: TicketId,
    upload: &UploadPayload,
) -> Result<i64> {
    let now = now_ms();
    tx.execute(
        "INSERT INTO outbox (kind, ticket_id, photo_id, payload, schema_version, state, created_at, updated_at)
         VALUES ('upload', ?1, ?2, ?3, ?4, 'pending', ?5, ?5)",
        params![
            ticket.to_string(),
            upload.photo_id.to_string(),
            serde_json::to_string(upload)?,
            PROTOCOL_VERSION,
            now,
        ],
    )?;
    Ok(tx.last_insert_rowid())
}

/// Entries a dead process left `sending` go back to `pending`.
pub fn recover_interrupted(tx: &Transaction<'_>) -> Result<usize> {
    Ok(tx.execute(
        "UPDATE outbox SET state = 'pending', updated_at = ?1 WHERE state = 'sending'",
        [now_ms()],
    )?)
}

/// Take up to `limit` numbered mutations that are due (pending or stuck), in
/// number order, and mark them `sending`.
pub fn take_mutations(tx: &Transaction<'_>, limit: usize) -> Result<Vec<Mutation>> {
    let client_id = crate::store::client_id(tx)?;
    let base = mutation_base(tx)?;
    let mut stmt = tx.prepare(
        "SELECT id, mutation_id, payload, unseal(sealed) FROM outbox
         WHERE mutation_id IS NOT NULL AND state IN ('pending', 'stuck')
         ORDER BY mutation_id LIMIT ?1",
    )?;
    type Row = (i64, u64, String, Option<String>);
    let rows: Vec<Row> = stmt
        .query_map([limit as i64], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
        })?
        .collect::<Result<_, _>>()?;
    let mut out = Vec::with_capacity(rows.len());
    for (id, local, payload, contact) in rows {
        // Everything at or below the base was acknowledged before a fork.
        let mutation_id =
            local
                .checked_sub(base)
                .filter(|n| *n > 0)
                .ok_or_else(|| Error::Invalid {
                    field: "outbox.mutation_id",
                    reason: format!("unsent mutation {local} is below the base {base}"),
                })?;
        tx.execute(
            "UPDATE outbox SET state = 'sending', updated_at = ?2 WHERE id = ?1",
            params![id, now_ms()],
        )?;
        let mut kind: MutationKind = serde_json::from_str(&payload)?;
        if let (MutationKind::CreateTicket { ticket }, Some(c)) = (&mut kind, contact) {
            ticket.constituent = serde_json::from_str(&c).ok();
        }
        out.push(Mutation {
            client_id,
            mutation_id,
            kind,
        });
    }
    Ok(out)
}

/// The server applied (or had already applied) everything up to `mutation_id`
/// (a wire id: see "Numbers").
pub fn mark_sent_through(tx: &Transaction<'_>, mutation_id: u64) -> Result<usize> {
    let base = mutation_base(tx)?;
    Ok(tx.execute(
        "UPDATE outbox SET state = 'sent', last_error = NULL, updated_at = ?3
         WHERE mutation_id > ?1 AND mutation_id <= ?1 + ?2
           AND state IN ('pending', 'sending', 'stuck')",
        params![base, mutation_id, now_ms()],
    )?)
}

/// The server refused this mutation (a wire id) for good.
pub fn mark_rejected(tx: &Transaction<'_>, mutation_id: u64, reason: &str) -> Result<()> {
    let base = mutation_base(tx)?;
    let n = tx.execute(
        "UPDATE outbox SET state = 'rejected', reject_reason = ?2, updated_at = ?3
         WHERE mutation_id = ?1 AND state != 'sent'",
        params![base + mutation_id, reason, now_ms()],
    )?;
    if n == 0 {
        return Err(Error::NotFound {
            what: "outbox entry",
            id: mutation_id.to_string(),
        });
    }
    Ok(())
}

/// A transient failure: count the attempt; after [`STUCK_AFTER`] the entry is stuck.
pub fn mark_failed(tx: &Transaction<'_>, entry_id: i64, error: &str) -> Result<OutboxState> {
    let attempts: Option<u32> = tx
        .query_row(
            "UPDATE outbox SET attempts = attempts + 1, last_error = ?2, updated_at = ?3,
                 state = CASE WHEN attempts + 1 >= ?4 THEN 'stuck' ELSE 'pending' END
             WHERE id = ?1 AND state IN ('pending', 'sending', 'stuck')
             RETURNING attempts",
            params![entry_id, error, now_ms(), STUCK_AFTER],
            |r| r.get(0),
        )
        .optional()?;
    match attempts {
        Some(a) if a >= STUCK_AFTER => Ok(OutboxState::Stuck),
        Some(_) => Ok(OutboxState::Pending),
        None => Err(Error::NotFound {
            what: "outbox entry",
            id: entry_id.to_string(),
        }),
    }
}

/// An upload the sync client is to carry out.
#[derive(Debug, Clone, PartialEq)]
pub struct UploadJob {
    pub entry_id: i64,
    pub ticket_id: String,
    pub payload: UploadPayload,
    /// Where the server keeps this upload, once created (stored before the first byte).
    pub url: Option<String>,
    /// Bytes the server has confirmed so far.
    pub offset: u64,
    /// Failed attempts so far (0: never tried, or tried by an app that was
    /// killed before it could count).
    pub attempts: u32,
}

/// The next upload that is due, marked `sending`.
pub fn take_upload(tx: &Transaction<'_>) -> Result<Option<UploadJob>> {
    let row: Option<(i64, String, String, Option<String>, i64, u32)> = tx
        .query_row(
            "SELECT id, ticket_id, payload, upload_url, upload_offset, attempts FROM outbox
             WHERE kind = 'upload' AND state IN ('pending', 'stuck')
             ORDER BY id LIMIT 1",
            [],
            |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                ))
            },
        )
        .optional()?;
    let Some((entry_id, ticket_id, payload, url, offset, attempts)) = row else {
        return Ok(None);
    };
    tx.execute(
        "UPDATE outbox SET state = 'sending', updated_at = ?2 WHERE id = ?1",
        params![entry_id, now_ms()],
    )?;
    Ok(Some(UploadJob {
        entry_id,
        ticket_id,
        payload: serde_json::from_str(&payload)?,
        url,
        offset: offset.max(0) as u64,
        attempts,
    }))
}

/// A push failed transiently: every mutation it carried goes back to the queue,
/// one attempt counted (after [`STUCK_AFTER`] they show as stuck).
pub fn fail_sending(tx: &Transaction<'_>, error: &str) -> Result<usize> {
    Ok(tx.execute(
        "UPDATE outbox SET attempts = attempts + 1, last_error = ?1, updated_at = ?2,
             state = CASE WHEN attempts + 1 >= ?3 THEN 'stuck' ELSE 'pending' END
         WHERE state = 'sending' AND kind != 'upload'",
        params![error, now_ms(), STUCK_AFTER],
    )?)
}

/// The server expects `expected` next although this device saw it acknowledged
/// (the server was restored from a backup): send everything from there again.
/// Ids stay the same, so whatever the server did keep is recognised as a replay.
pub fn resend_from(tx: &Transaction<'_>, expected: u64) -> Result<usize> {
    let base = mutation_base(tx)?;
    Ok(tx.execute(
        "UPDATE outbox SET state = 'pending', updated_at = ?2
         WHERE mutation_id >= ?1 AND state IN ('sent', 'sending')",
        params![base + expected, now_ms()],
    )?)
}

/// The server already applied other changes as this client id's mutation
/// `forked_at` (a wire id) and on: this store's history forked (restored from
/// a backup, or copied to another device). Go on under a new client id, with
/// every unacknowledged mutation renumbered from 1 (see "Numbers"); what was
/// in flight returns to the queue. Returns the new client id.
///
/// Errors: [`Error::Invalid`] when `forked_at` is 0 (there is no mutation 0).
pub fn fork(tx: &Transaction<'_>, forked_at: u64) -> Result<ClientId> {
    if forked_at == 0 {
        return Err(Error::Invalid {
            field: "forked_at",
            reason: "mutation ids start at 1".into(),
        });
    }
    let base = mutation_base(tx)? + forked_at - 1;
    let client = ClientId::new();
    meta_set(tx, "client_id", &client.to_string())?;
    meta_set(tx, "mutation_base", &base.to_string())?;
    let forks: u64 = meta_get(tx, "forks")?
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    meta_set(tx, "forks", &(forks + 1).to_string())?;
    tx.execute(
        "UPDATE outbox SET state = 'pending', updated_at = ?1
         WHERE state = 'sending' AND kind != 'upload'",
        [now_ms()],
    )?;
    Ok(client)
}

/// Forget a server-side upload that is gone (expired, or the server lost it):
/// the next attempt creates a new one from byte 0.
pub fn forget_upload_url(tx: &Transaction<'_>, entry_id: i64) -> Result<()> {
    tx.execute(
        "UPDATE outbox SET upload_url = NULL, upload_offset = 0, updated_at = ?2 WHERE id = ?1",
        params![entry_id, now_ms()],
    )?;
    Ok(())
}

/// Entries not yet acknowledged: pending, sending or stuck (0 = nothing left to send).
pub fn unsent_count(conn: &Connection) -> Result<u64> {
    let n: i64 = conn.query_row(
        "SELECT COUNT(*) FROM outbox WHERE state IN ('pending', 'sending', 'stuck')",
        [],
        |r| r.get(0),
    )?;
    Ok(n.max(0) as u64)
}

/// Remember where a resumable upload lives and how much of it the server has.
pub fn record_upload_progress(
    tx: &Transaction<'_>,
    entry_id: i64,
    url: &str,
    offset: u64,
) -> Result<()> {
    tx.execute(
        "UPDATE outbox SET upload_url = ?2, upload_offset = ?3, updated_at = ?4 WHERE id = ?1",
        params![entry_id, url, offset as i64, now_ms()],
    )?;
    Ok(())
}

/// The upload finished: mark it sent and number the mutations that waited for it.
pub fn complete_upload(tx: &Transaction<'_>, entry_id: i64) -> Result<()> {
    tx.execute(
        "UPDATE outbox SET state = 'sent', updated_at = ?2 WHERE id = ?1 AND kind = 'upload'",
        params![entry_id, now_ms()],
    )?;
    let waiting: Vec<i64> = tx
        .prepare("SELECT id FROM outbox WHERE depends_on = ?1 AND mutation_id IS NULL ORDER BY id")?
        .query_map([entry_id], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    for id in waiting {
        let n = next_mutation_id(tx)?;
        tx.execute(
            "UPDATE outbox SET mutation_id = ?2, updated_at = ?3 WHERE id = ?1",
            params![id, n, now_ms()],
        )?;
    }
    Ok(())
}

/// The server refused an upload for good (its ticket was never accepted or
/// is not this user's to add photos to, the file is not a photo it takes):
/// the upload is rejected with `reason`, and so is every mutation that waited
/// for it (its `attach_photo`, a resolution waiting for its proof), so the
/// queue goes on without them. Kept and shown, like every rejection.
pub fn reject_upload(tx: &Transaction<'_>, entry_id: i64, reason: &str) -> Result<()> {
    let now = now_ms();
    tx.execute(
        "UPDATE outbox SET state = 'rejected', reject_reason = ?2, updated_at = ?3
         WHERE id = ?1 AND kind = 'upload' AND state != 'sent'",
        params![entry_id, reason, now],
    )?;
    tx.execute(
        "UPDATE outbox SET state = 'rejected', reject_reason = ?2, updated_at = ?3
         WHERE depends_on = ?1 AND mutation_id IS NULL AND state IN ('pending', 'stuck')",
        params![entry_id, reason, now],
    )?;
    Ok(())
}

/// Give a stuck or rejected-by-mistake entry another go (user's "retry").
pub fn retry(tx: &Transaction<'_>, entry_id: i64) -> Result<()> {
    let n = tx.execute(
        "UPDATE outbox SET state = 'pending', attempts = 0, updated_at = ?2
         WHERE id = ?1 AND state = 'stuck'",
        params![entry_id, now_ms()],
    )?;
    if n == 0 {
        return Err(Error::NotFound {
            what: "outbox entry",
            id: entry_id.to_string(),
        });
    }
    Ok(())
}

/// Every entry, oldest first.
pub fn list(conn: &Connection) -> Result<Vec<OutboxEntry>> {
    let mut stmt = conn.prepare(
        "SELECT o.id, o.mutation_id, o.kind, o.ticket_id, o.photo_id, o.state,
                CASE WHEN d.state = 'sent' THEN NULL ELSE o.depends_on END,
                o.attempts, o.last_error, o.reject_reason, o.created_at,
                o.upload_offset, o.payload
         FROM outbox o LEFT JOIN outbox d ON d.id = o.depends_on
         ORDER BY o.id",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok((
            OutboxEntry {
                entry_id: r.get(0)?,
                mutation_id: r.get(1)?,
                kind: r.get(2)?,
                ticket_id: r.get(3)?,
                photo_id: r.get(4)?,
                state: OutboxState::Pending,
                waiting_for: r.get(6)?,
                attempts: r.get(7)?,
                last_error: r.get(8)?,
                reject_reason: r.get(9)?,
                created_at: r.get(10)?,
                uploaded_bytes: None,
                total_bytes: None,
            },
            r.get::<_, String>(5)?,
            r.get::<_, i64>(11)?,
            r.get::<_, String>(12)?,
        ))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (mut entry, state, offset, payload) = row?;
        entry.state = OutboxState::parse(&state)?;
        if entry.kind == "upload" {
            let p: UploadPayload = serde_json::from_str(&payload)?;
            entry.total_bytes = Some(p.bytes);
            entry.uploaded_bytes = Some(if entry.state == OutboxState::Sent {
                p.bytes
            } else {
                offset.max(0) as u64
            });
        }
        out.push(entry);
    }
    Ok(out)
}
