//! Push and pull on PostgreSQL; the semantics, and the state machine's glue
//! (`apply`), are those of `store::sync`. What differs is concurrency: several
//! server processes push at once, so a push locks its client row, serializes
//! ticket writes with a transaction-level advisory lock (change numbers then
//! commit in order: a cursor never skips a change that commits later with a
//! smaller number), and notifies the other processes on commit.

use super::listen::CHANNEL;
use super::Pg;
use crate::store::listing::Columns;
use crate::store::sync::{
    apply, parse_cursor, visible, Applied, PullResult, PushError, PushResult, TicketTx, PULL_PAGE,
};
use crate::store::StoreError;
use crate::workflow::notify::{Notice, Recipients};
use crate::workflow::Workflow;
use minqing_protocol::wire::{RejectReason, Rejection};
use minqing_protocol::{Actor, ClientId, GroupId, Mutation, PhotoRef, Ticket, TicketId, UnitId};
use postgres::{GenericClient, IsolationLevel, Transaction};

/// Held (per transaction) by every push that writes tickets.
pub(super) const TICKET_WRITE_LOCK: i64 = 0x6d69_6e71_0002;

impl From<postgres::Error> for PushError {
    fn from(e: postgres::Error) -> Self {
        PushError::Storage(e.into())
    }
}

impl From<r2d2::Error> for PushError {
    fn from(e: r2d2::Error) -> Self {
        PushError::Storage(e.into())
    }
}

pub(super) struct PgTx<'a, 'b>(pub(super) &'a mut Transaction<'b>);

impl TicketTx for PgTx<'_, '_> {
    fn load(&mut self, id: &str) -> Result<Option<Ticket>, PushError> {
        Ok(load(self.0, id)?)
    }

    fn save(&mut self, t: &Ticket, next_due: Option<i64>) -> Result<(), PushError> {
        let seq: i64 = self
            .0
            .query_one(
                "INSERT INTO changes (ticket_id) VALUES ($1) RETURNING seq",
                &[&t.id.to_string()],
            )?
            .get(0);
        let c = Columns::of(t);
        self.0.execute(
            "INSERT INTO tickets
                 (id, body, seq, next_due, created_at, category, open, assignment_list)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
             ON CONFLICT (id) DO UPDATE SET body = excluded.body, seq = excluded.seq,
                 next_due = excluded.next_due, created_at = excluded.created_at,
                 category = excluded.category, open = excluded.open,
                 assignment_list = excluded.assignment_list",
            &[
                &t.id.to_string(),
                &serde_json::to_string(t)?,
                &seq,
                &next_due,
                &c.created_at,
                &c.category,
                &c.open,
                &c.assignment_list,
            ],
        )?;
        Ok(())
    }

    fn notify(&mut self, notice: &Notice, ticket: TicketId, at: i64) -> Result<(), PushError> {
        let insert =
            "INSERT INTO notifications (user_id, ticket_id, kind, text_zh, text_en, created_at)
                      SELECT u.id, $1, $2, $3, $4, $5 FROM users u";
        let (t, k, zh, en) = (ticket.to_string(), notice.kind, &notice.zh, &notice.en);
        match &notice.to {
            Recipients::GroupRole(g, role) => self.0.execute(
                &format!(
                    "{insert} JOIN group_members m ON m.user_id = u.id
                     WHERE m.group_id = $6 AND u.role = $7"
                ),
                &[&t, &k, zh, en, &at, &g.to_string(), &role.as_str()],
            )?,
            Recipients::UnitRole(unit, role) => self.0.execute(
                &format!("{insert} WHERE u.unit_id = $6 AND u.role = $7"),
                &[&t, &k, zh, en, &at, &unit.to_string(), &role.as_str()],
            )?,
            Recipients::Role(role) => self.0.execute(
                &format!("{insert} WHERE u.role = $6"),
                &[&t, &k, zh, en, &at, &role.as_str()],
            )?,
        };
        Ok(())
    }

    fn unit_name(&mut self, unit: UnitId) -> Result<Option<String>, PushError> {
        let row = self.0.query_opt(
            "SELECT name_zh FROM units WHERE id = $1",
            &[&unit.to_string()],
        )?;
        Ok(row.map(|r| r.get(0)))
    }

    fn unit_by_key(&mut self, key: &str) -> Result<Option<UnitId>, PushError> {
        let row = self
            .0
            .query_opt("SELECT id FROM units WHERE key = $1", &[&key])?;
        Ok(row.and_then(|r| r.get::<_, &str>(0).parse().ok()))
    }

    fn group_jurisdiction(&mut self, group: GroupId) -> Result<Option<String>, PushError> {
        let row = self.0.query_opt(
            "SELECT jurisdiction FROM groups WHERE id = $1",
            &[&group.to_string()],
        )?;
        Ok(row.map(|r| r.get(0)))
    }

    fn photo_uploaded(
        &mut self,
        actor: &Actor,
        ticket: TicketId,
        photo: &PhotoRef,
    ) -> Result<bool, PushError> {
        let n: i64 = self
            .0
            .query_one(
                "SELECT COUNT(*) FROM uploads WHERE photo_id = $1 AND user_id = $2
                   AND ticket_id = $3 AND sha256 = $4 AND completed_at IS NOT NULL",
                &[
                    &photo.id.to_string(),
                    &actor.user.to_string(),
                    &ticket.to_string(),
                    &photo.sha256.to_ascii_lowercase(),
                ],
            )?
            .get(0);
        Ok(n == 1)
    }
}

pub(super) fn load(c: &mut impl GenericClient, id: &str) -> Result<Option<Ticket>, StoreError> {
    let row = c.query_opt("SELECT body FROM tickets WHERE id = $1", &[&id])?;
    Ok(row
        .map(|r| serde_json::from_str(r.get::<_, &str>(0)))
        .transpose()?)
}

/// The client's last applied mutation id, with its row locked until commit
/// (created at 0 on first contact).
fn client_last(
    tx: &mut Transaction<'_>,
    actor: &Actor,
    client: ClientId,
) -> Result<u64, PushError> {
    let id = client.to_string();
    let user = actor.user.to_string();
    tx.execute(
        "INSERT INTO clients (client_id, user_id, last_mutation_id) VALUES ($1, $2, 0)
         ON CONFLICT (client_id) DO NOTHING",
        &[&id, &user],
    )?;
    let row = tx.query_one(
        "SELECT user_id, last_mutation_id FROM clients WHERE client_id = $1 FOR UPDATE",
        &[&id],
    )?;
    if row.get::<_, &str>(0) != user {
        return Err(PushError::NotYourClient);
    }
    Ok(row.get::<_, i64>(1).max(0) as u64)
}

/// The event id `client`'s mutation `mutation_id` was applied as (see the
/// SQLite store's `applied_as`).
fn applied_as(
    tx: &mut Transaction<'_>,
    client: ClientId,
    mutation_id: u64,
) -> Result<Option<String>, PushError> {
    Ok(tx
        .query_opt(
            "SELECT event_id FROM client_mutations WHERE client_id = $1 AND mutation_id = $2",
            &[&client.to_string(), &(mutation_id as i64)],
        )?
        .map(|r| r.get(0)))
}

fn past_rejection(
    tx: &mut Transaction<'_>,
    client: ClientId,
    mutation_id: u64,
) -> Result<Option<RejectReason>, PushError> {
    let row = tx.query_opt(
        "SELECT reason FROM rejections WHERE client_id = $1 AND mutation_id = $2",
        &[&client.to_string(), &(mutation_id as i64)],
    )?;
    Ok(row
        .map(|r| serde_json::from_str(r.get::<_, &str>(0)))
        .transpose()?)
}

impl Pg {
    pub(crate) fn push(
        &self,
        actor: &Actor,
        client: ClientId,
        mutations: &[Mutation],
        now_ms: i64,
        wf: &Workflow,
    ) -> Result<PushResult, PushError> {
        let mut conn = self.conn()?;
        let mut tx = conn.transaction()?;
        let mut last = client_last(&mut tx, actor, client)?;
        let mut rejected = Vec::new();
        let mut gap = None;
        let mut forked_at = None;
        let mut locked = false;
        let mut changed = false;
        for m in mutations {
            if m.client_id != client {
                return Err(PushError::WrongClient {
                    push: client,
                    mutation: m.client_id,
                });
            }
            if m.mutation_id <= last {
                if applied_as(&mut tx, client, m.mutation_id)?
                    .is_some_and(|event| event != m.kind.event_id().to_string())
                {
                    forked_at = Some(m.mutation_id);
                    break;
                }
                if let Some(reason) = past_rejection(&mut tx, client, m.mutation_id)? {
                    rejected.push(Rejection {
                        mutation_id: m.mutation_id,
                        reason,
                    });
                }
                continue;
            }
            if m.mutation_id != last + 1 {
                gap = Some(PushError::Gap {
                    expected: last + 1,
                    got: m.mutation_id,
                });
                break;
            }
            if !locked {
                // Read committed: every statement after this sees what the
                // previous holder committed (a racing claim, say).
                tx.execute("SELECT pg_advisory_xact_lock($1)", &[&TICKET_WRITE_LOCK])?;
                locked = true;
            }
            let mut sp = tx.transaction()?;
            match apply(&mut PgTx(&mut sp), actor, &m.kind, now_ms, wf)? {
                Applied::Ok => changed = true,
                Applied::Rejected(reason) => {
                    sp.execute(
                        "INSERT INTO rejections (client_id, mutation_id, reason)
                         VALUES ($1, $2, $3)",
                        &[
                            &client.to_string(),
                            &(m.mutation_id as i64),
                            &serde_json::to_string(&reason)?,
                        ],
                    )?;
                    rejected.push(Rejection {
                        mutation_id: m.mutation_id,
                        reason,
                    });
                }
            }
            sp.execute(
                "UPDATE clients SET last_mutation_id = $2 WHERE client_id = $1",
                &[&client.to_string(), &(m.mutation_id as i64)],
            )?;
            sp.execute(
                "INSERT INTO client_mutations (client_id, mutation_id, event_id)
                 VALUES ($1, $2, $3)",
                &[
                    &client.to_string(),
                    &(m.mutation_id as i64),
                    &m.kind.event_id().to_string(),
                ],
            )?;
            sp.commit()?;
            last = m.mutation_id;
        }
        if changed {
            // Delivered to the other processes only if (and when) this commits.
            tx.execute("SELECT pg_notify($1, $2)", &[&CHANNEL, &self.instance])?;
        }
        // What came before a gap is kept; the gap itself is the caller's to report.
        tx.commit()?;
        if let Some(g) = gap {
            return Err(g);
        }
        Ok(PushResult {
            // Past a fork nothing of this device's is applied (see `store::sync`).
            last_mutation_id: forked_at.map_or(last, |f| f - 1),
            rejected,
            forked_at,
        })
    }

    pub(crate) fn ticket(&self, id: &str) -> Result<Option<Ticket>, StoreError> {
        load(&mut *self.conn()?, id)
    }

    pub(crate) fn pull(
        &self,
        actor: &Actor,
        cursor: Option<&str>,
    ) -> Result<PullResult, StoreError> {
        let mut conn = self.conn()?;
        // One snapshot for the changes and the cursor.
        let mut tx = conn
            .build_transaction()
            .isolation_level(IsolationLevel::RepeatableRead)
            .read_only(true)
            .start()?;
        let epoch: String = tx
            .query_one("SELECT value FROM meta WHERE key = 'epoch'", &[])?
            .get(0);
        let max: i64 = tx
            .query_one("SELECT COALESCE(MAX(seq), 0)::BIGINT FROM changes", &[])?
            .get(0);
        let cursor_now = format!("{epoch}.{max}");
        let since = match cursor {
            None => 0,
            Some(c) => match parse_cursor(c, &epoch) {
                Some(seq) if seq <= max => seq,
                _ => return Ok(PullResult::Reset { cursor: cursor_now }),
            },
        };
        // One more than a page tells whether another page follows.
        let rows = tx.query(
            "SELECT body, seq FROM tickets WHERE seq > $1 ORDER BY seq LIMIT $2",
            &[&since, &(PULL_PAGE as i64 + 1)],
        )?;
        tx.commit()?;
        let more = rows.len() > PULL_PAGE;
        let page = &rows[..rows.len().min(PULL_PAGE)];
        let cursor_now = match (more, page.last()) {
            (true, Some(r)) => format!("{epoch}.{}", r.get::<_, i64>(1)),
            _ => cursor_now,
        };
        let (tickets, gone) = visible(actor, since, page.iter().map(|r| r.get::<_, &str>(0)))?;
        Ok(PullResult::Changes {
            tickets,
            gone,
            cursor: cursor_now,
            more,
        })
    }
}
