//! Devices' mutation records: each client id's last applied mutation (bound to
//! the user who first pushed with it), which change (event id) each of its
//! mutation ids was applied as, and the rejections to report again on a
//! replay. The rules that use them are in `crate::service::push`.

use super::sql::{self, args, Tx, Value};
use super::StoreResult;
use minqing_protocol::wire::RejectReason;
use minqing_protocol::{ClientId, UserId};
use std::collections::HashMap;

/// The client's row, locked for this transaction on PostgreSQL (two pushes of
/// one client serialise), created on first use: `Ok(Some(last))` when it is
/// `user`'s, `Ok(None)` when another user owns this client id.
pub(crate) fn last_for(
    tx: &mut dyn Tx,
    client: ClientId,
    user: UserId,
) -> StoreResult<Option<u64>> {
    let q = format!(
        "SELECT user_id, last_mutation_id FROM clients WHERE client_id = ?1{}",
        tx.for_update()
    );
    match tx.query_opt(&q, args![client.to_string()])? {
        Some(r) if r.get::<String>(0)? == user.to_string() => Ok(Some(r.get(1)?)),
        Some(_) => Ok(None),
        None => {
            // Two first pushes of one new client id: the second waits on the
            // key and then finds the row (PostgreSQL), or is serialised by
            // the write lock (SQLite).
            tx.execute(
                "INSERT INTO clients (client_id, user_id, last_mutation_id) VALUES (?1, ?2, 0)
                 ON CONFLICT (client_id) DO NOTHING",
                args![client.to_string(), user.to_string()],
            )?;
            let r = tx.query_one(&q, args![client.to_string()])?;
            Ok((r.get::<String>(0)? == user.to_string())
                .then(|| r.get(1))
                .transpose()?)
        }
    }
}

/// What the server recorded about one applied mutation.
#[derive(Debug, Clone, Default)]
pub(crate) struct Recorded {
    /// The event id it was applied as (absent for mutations applied before
    /// schema v10).
    pub event: Option<String>,
    /// Why it was rejected, if it was.
    pub rejection: Option<RejectReason>,
}

/// What the server recorded about each of `ids` (at or below the client's
/// last).
pub(crate) fn recorded(
    tx: &mut dyn Tx,
    client: ClientId,
    ids: &[u64],
) -> StoreResult<HashMap<u64, Recorded>> {
    let mut out: HashMap<u64, Recorded> = HashMap::new();
    for chunk in ids.chunks(sql::MAX_ARGS - 1) {
        let mut args = vec![Value::from(client.to_string())];
        args.extend(chunk.iter().map(|i| Value::from(*i)));
        let inl = sql::list(2, chunk.len());
        for r in tx.query(
            &format!(
                "SELECT mutation_id, event_id FROM client_mutations
                 WHERE client_id = ?1 AND mutation_id IN {inl}"
            ),
            &args,
        )? {
            out.entry(r.get(0)?).or_default().event = Some(r.get(1)?);
        }
        for r in tx.query(
            &format!(
                "SELECT mutation_id, reason FROM rejections
                 WHERE client_id = ?1 AND mutation_id IN {inl}"
            ),
            &args,
        )? {
            out.entry(r.get(0)?).or_default().rejection =
                Some(serde_json::from_str(&r.get::<String>(1)?)?);
        }
    }
    Ok(out)
}

/// Record what a push applied: each mutation's event id, the rejections, and
/// the client's new last mutation id.
pub(crate) fn record(
    tx: &mut dyn Tx,
    client: ClientId,
    applied: &[(u64, String)],
    rejected: &[(u64, &RejectReason)],
    last: u64,
) -> StoreResult<()> {
    let c = client.to_string();
    for chunk in applied.chunks(sql::MAX_ARGS / 3) {
        let mut args = Vec::with_capacity(chunk.len() * 3);
        for (id, event) in chunk {
            args.extend([Value::from(&c), (*id).into(), event.into()]);
        }
        tx.execute(
            &format!(
                "INSERT INTO client_mutations (client_id, mutation_id, event_id) VALUES {}",
                sql::rows(chunk.len(), 3)
            ),
            &args,
        )?;
    }
    for chunk in rejected.chunks(sql::MAX_ARGS / 3) {
        let mut args = Vec::with_capacity(chunk.len() * 3);
        for (id, reason) in chunk {
            args.extend([
                Value::from(&c),
                (*id).into(),
                serde_json::to_string(reason)?.into(),
            ]);
        }
        tx.execute(
            &format!(
                "INSERT INTO rejections (client_id, mutation_id, reason) VALUES {}",
                sql::rows(chunk.len(), 3)
            ),
            &args,
        )?;
    }
    tx.execute(
        "UPDATE clients SET last_mutation_id = ?2 WHERE client_id = ?1",
        args![c, last],
    )?;
    Ok(())
}
