//! Pull: what a device may see that changed since its cursor.
//!
//! Every ticket write takes the next value of a change sequence. A cursor is
//! `<epoch>.<seq>`: the epoch is random per database, so a cursor from another
//! (restored, reset) database is unknown and answers with a reset. The changes
//! and the new cursor are read in one snapshot ([`Db::read`]); only tickets the
//! caller may see are returned, each as the caller is shown it (the
//! constituent's contact withheld unless `crate::access` allows it, and each
//! disclosure recorded before the answer), and group members learn which
//! tickets left their view. Written once for both databases.

use crate::access::{can_see, shown, Via};
use crate::store::{now_ms, tickets, Db, StoreError};
use minqing_protocol::{Actor, Ticket, TicketId};

/// At most this many tickets per pull answer; `more` says when to ask again.
pub const PULL_PAGE: usize = 500;

#[derive(Debug, Clone, PartialEq)]
pub enum PullResult {
    Changes {
        tickets: Vec<Ticket>,
        gone: Vec<TicketId>,
        cursor: String,
        more: bool,
    },
    /// The cursor is unknown: drop local server state and pull from scratch.
    Reset { cursor: String },
}

impl Db {
    /// What `actor` may see that changed since `cursor` (`None`: from scratch).
    pub fn pull(&self, actor: &Actor, cursor: Option<&str>) -> Result<PullResult, StoreError> {
        let (epoch, max, since, mut rows) = self.read(|tx| {
            let (epoch, max) = tickets::epoch_and_max(tx)?;
            let since = match cursor {
                None => 0,
                Some(c) => match parse_cursor(c, &epoch) {
                    Some(seq) if seq <= max => seq,
                    _ => return Ok((epoch, max, None, Vec::new())),
                },
            };
            // One more than a page tells whether another page follows.
            let rows = tickets::changed_since(tx, since, PULL_PAGE + 1)?;
            Ok::<_, StoreError>((epoch, max, Some(since), rows))
        })?;
        let Some(since) = since else {
            return Ok(PullResult::Reset {
                cursor: format!("{epoch}.{max}"),
            });
        };
        let more = rows.len() > PULL_PAGE;
        rows.truncate(PULL_PAGE);
        let cursor = match (more, rows.last()) {
            (true, Some((_, seq))) => format!("{epoch}.{seq}"),
            _ => format!("{epoch}.{max}"),
        };
        let (tickets, gone) = visible(actor, since, rows.iter().map(|(b, _)| b.as_str()))?;
        let tickets = shown(self, actor, tickets, Via::Pull, now_ms())?;
        Ok(PullResult::Changes {
            tickets,
            gone,
            cursor,
            more,
        })
    }
}

/// Of the changed tickets (JSON bodies, in sequence order), those `actor` may
/// see, and the ids of those that left the view of a group the actor is in.
fn visible<'a>(
    actor: &Actor,
    since: i64,
    bodies: impl Iterator<Item = &'a str>,
) -> Result<(Vec<Ticket>, Vec<TicketId>), StoreError> {
    let mut tickets = Vec::new();
    let mut gone = Vec::new();
    for b in bodies {
        let t: Ticket = serde_json::from_str(b)?;
        if can_see(actor, &t) {
            tickets.push(t);
        } else if since > 0 && t.group.is_some_and(|g| actor.groups.contains(&g)) {
            // Only group members learn the id, and only on an incremental pull.
            gone.push(t.id);
        }
    }
    Ok((tickets, gone))
}

fn parse_cursor(c: &str, epoch: &str) -> Option<i64> {
    let (e, seq) = c.split_once('.')?;
    if e != epoch {
        return None;
    }
    seq.parse().ok().filter(|s: &i64| *s >= 0)
}
