//! Tickets on the device: 完成 turns a draft into a ticket (local echo) and its
//! outbox entries in one transaction; later actions (claim, reply, confirm …) are
//! checked by the shared state machine, applied locally and queued the same way.

use crate::drafts;
use crate::error::{Error, Result};
use crate::outbox::{self, UploadPayload};
use crate::photos;
use crate::store::{now_ms, profile, Store};
use minqing_protocol::{
    Action, EventId, Location, LocationSource, MutationKind, NewTicket, PhotoId, PhotoKind,
    PhotoRef, Ticket, TicketId,
};
use rusqlite::{params, Connection, OptionalExtension, Transaction};

/// 完成: the draft becomes a ticket plus its outbox entries, atomically. Works
/// offline; returns as soon as the transaction is on disk.
pub fn submit(store: &Store, draft_id: &str) -> Result<TicketId> {
    store.write(|tx| submit_in(tx, draft_id))
}

struct DraftPhoto {
    id: PhotoId,
    upload_sha256: String,
    upload_bytes: u64,
    width: u32,
    height: u32,
    taken_at: Option<i64>,
    location: Option<Location>,
}

fn draft_photos(tx: &Transaction<'_>, draft_id: &str) -> Result<Vec<DraftPhoto>> {
    let mut stmt = tx.prepare(
        "SELECT id, upload_sha256, upload_bytes, width, height, taken_at, latitude, longitude
         FROM photos WHERE draft_id = ?1 ORDER BY position",
    )?;
    let rows = stmt.query_map([draft_id], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, i64>(2)?,
            r.get::<_, u32>(3)?,
            r.get::<_, u32>(4)?,
            r.get::<_, Option<i64>>(5)?,
            r.get::<_, Option<f64>>(6)?,
            r.get::<_, Option<f64>>(7)?,
        ))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (id, sha, bytes, width, height, taken_at, lat, lon) = row?;
        out.push(DraftPhoto {
            id: id.parse().map_err(|_| Error::Invalid {
                field: "photo.id",
                reason: id.clone(),
            })?,
            upload_sha256: sha,
            upload_bytes: bytes.max(0) as u64,
            width,
            height,
            taken_at,
            location: match (lat, lon) {
                (Some(latitude), Some(longitude)) => Some(Location {
                    latitude,
                    longitude,
                    accuracy_m: None,
                    source: LocationSource::PhotoExif,
                    address: None,
                }),
                _ => None,
            },
        });
    }
    Ok(out)
}

fn submit_in(tx: &Transaction<'_>, draft_id: &str) -> Result<TicketId> {
    let draft = drafts::load(tx, draft_id)?;
    let photos = draft_photos(tx, draft_id)?;
    let actor = profile(tx)?;
    let new = NewTicket {
        id: TicketId::new(),
        event: EventId::new(),
        group: actor.groups.first().copied(),
        jurisdiction: None,
        category: draft.category,
        item: draft.item,
        text: draft.text,
        location: draft.location,
        channel: draft.channel,
        constituent: draft.constituent,
        mentioned_unit: draft.mentioned_unit,
        photo_count: photos.len() as u32,
    };
    let now = now_ms();
    let mut ticket = Ticket::submit(new.clone(), &actor, now)?;
    let create = MutationKind::CreateTicket { ticket: new };
    outbox::enqueue_mutation(tx, &create, None, None)?;
    for p in &photos {
        let upload = outbox::enqueue_upload(
            tx,
            ticket.id,
            &UploadPayload {
                photo_id: p.id,
                file: photos::rendition_file(&p.id),
                sha256: p.upload_sha256.clone(),
                bytes: p.upload_bytes,
            },
        )?;
        let photo = PhotoRef {
            id: p.id,
            sha256: p.upload_sha256.clone(),
            kind: PhotoKind::Evidence,
            width: p.width,
            height: p.height,
            taken_at: p.taken_at,
            location: p.location.clone(),
        };
        let event = EventId::new();
        let action = Action::AttachPhoto { photo };
        // Local echo: the deputy sees the photo on the ticket at once.
        ticket.apply(&actor, action.clone(), event, now)?;
        let attach = MutationKind::Act {
            ticket: ticket.id,
            event,
            action,
        };
        outbox::enqueue_mutation(tx, &attach, Some(p.id), Some(upload))?;
    }
    tx.execute(
        "UPDATE photos SET ticket_id = ?2, draft_id = NULL WHERE draft_id = ?1",
        params![draft_id, ticket.id.to_string()],
    )?;
    tx.execute("DELETE FROM drafts WHERE id = ?1", [draft_id])?;
    save(tx, &ticket)?;
    Ok(ticket.id)
}

/// Insert or replace the local copy of a ticket. The constituent's contact
/// is sealed apart from the body ([`crate::seal`]).
pub fn save(tx: &Transaction<'_>, ticket: &Ticket) -> Result<()> {
    let contact = ticket
        .constituent
        .as_ref()
        .map(serde_json::to_string)
        .transpose()?;
    let body = if ticket.constituent.is_some() {
        let mut open = ticket.clone();
        open.constituent = None;
        serde_json::to_string(&open)?
    } else {
        serde_json::to_string(ticket)?
    };
    tx.execute(
        "INSERT INTO tickets (id, state, body, created_at, updated_at, sealed)
         VALUES (?1, ?2, ?3, ?4, ?5, seal(?6))
         ON CONFLICT(id) DO UPDATE SET state = excluded.state, body = excluded.body,
             updated_at = excluded.updated_at, sealed = excluded.sealed",
        params![
            ticket.id.to_string(),
            crate::views::state_name(ticket.state),
            body,
            ticket.created_at,
            now_ms(),
            contact,
        ],
    )?;
    Ok(())
}

/// A stored ticket row's body and sealed contact, decoded.
pub fn decode(body: &str, contact: Option<String>) -> Result<Ticket> {
    let mut t: Ticket = serde_json::from_str(body)?;
    if let Some(c) = contact {
        t.constituent = serde_json::from_str(&c).ok();
    }
    Ok(t)
}

pub fn load(conn: &Connection, id: &str) -> Result<Ticket> {
    let row: Option<(String, Option<String>)> = conn
        .query_row(
            "SELECT body, unseal(sealed) FROM tickets WHERE id = ?1",
            [id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    match row {
        Some((b, c)) => decode(&b, c),
        None => Err(Error::NotFound {
            what: "ticket",
            id: id.to_owned(),
        }),
    }
}

/// Every local ticket, in no particular order.
pub fn load_all(conn: &Connection) -> Result<Vec<Ticket>> {
    let rows: Vec<(String, Option<String>)> = conn
        .prepare_cached("SELECT body, unseal(sealed) FROM tickets")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    rows.into_iter().map(|(b, c)| decode(&b, c)).collect()
}

/// Do `action` to a ticket as this device's user: checked by the state machine,
/// echoed locally and queued, in one transaction.
pub fn act(store: &Store, ticket_id: &str, action: Action) -> Result<()> {
    store.write(|tx| {
        let mut ticket = load(tx, ticket_id)?;
        let actor = profile(tx)?;
        let event = EventId::new();
        ticket.apply(&actor, action.clone(), event, now_ms())?;
        let waits_for = proof_upload_pending(tx, &action)?;
        outbox::enqueue_mutation(
            tx,
            &MutationKind::Act {
                ticket: ticket.id,
                event,
                action,
            },
            None,
            waits_for,
        )?;
        save(tx, &ticket)
    })
}

/// A resolution names its proof photos, whose attachments are sent only once
/// their uploads finish: the resolution waits for the last unsent one, so the
/// server sees the proof attached before the item is resolved.
fn proof_upload_pending(tx: &Transaction<'_>, action: &Action) -> Result<Option<i64>> {
    let Action::Resolve { proof, .. } = action else {
        return Ok(None);
    };
    let mut last = None;
    for p in proof {
        let entry: Option<i64> = tx
            .query_row(
                "SELECT id FROM outbox WHERE kind = 'upload' AND photo_id = ?1 AND state != 'sent'",
                [p.to_string()],
                |r| r.get(0),
            )
            .optional()?;
        last = last.max(entry);
    }
    Ok(last)
}

/// Add a photo to an existing ticket: evidence by the deputy (the 17:48 photo
/// of the "中国移动" marking), proof of the fix by the unit. The photo is
/// ingested and its files written first; then, in one transaction, the state
/// machine checks the attachment, the row, the upload and the attach mutation
/// (sent once the upload is done) are queued and the ticket is echoed locally.
pub fn attach_photo(
    store: &Store,
    ticket_id: &str,
    bytes: &[u8],
    kind: PhotoKind,
    opts: &minqing_capture::IngestOptions,
) -> Result<PhotoId> {
    // Fail early, before any work, if the ticket is not here.
    store.read(|c| load(c, ticket_id))?;
    let photo = minqing_capture::ingest(bytes, opts, None, now_ms())?;
    let id = PhotoId::new();
    let dir = store.photo_dir();
    let rendition = dir.join(photos::rendition_file(&id));
    let thumbnail = dir.join(photos::thumbnail_file(&id));
    photos::write_atomically(&rendition, &photo.rendition.jpeg)?;
    photos::write_atomically(&thumbnail, &photo.thumbnail.jpeg)?;
    let result = store.write(|tx| {
        let mut ticket = load(tx, ticket_id)?;
        let actor = profile(tx)?;
        let sha256 = crate::hash::sha256_hex(&photo.rendition.jpeg);
        let info = &photo.info;
        let photo_ref = PhotoRef {
            id,
            sha256: sha256.clone(),
            kind,
            width: photo.rendition.width,
            height: photo.rendition.height,
            taken_at: info
                .taken_at
                .as_ref()
                .and_then(|t| t.unix_ms_or_in(minqing_protocol::calendar::CHINA_TIME))
                .or(info.gps.as_ref().and_then(|g| g.gps_time_unix_ms)),
            location: info.gps.as_ref().map(|g| Location {
                latitude: g.latitude,
                longitude: g.longitude,
                accuracy_m: None,
                source: LocationSource::PhotoExif,
                address: None,
            }),
        };
        let event = EventId::new();
        let action = Action::AttachPhoto { photo: photo_ref };
        ticket.apply(&actor, action.clone(), event, now_ms())?;
        photos::insert_photo_row(tx, photos::Owner::Ticket, ticket_id, &id, kind, &photo)?;
        let upload = outbox::enqueue_upload(
            tx,
            ticket.id,
            &UploadPayload {
                photo_id: id,
                file: photos::rendition_file(&id),
                sha256,
                bytes: photo.rendition.jpeg.len() as u64,
            },
        )?;
        let attach = MutationKind::Act {
            ticket: ticket.id,
            event,
            action,
        };
        outbox::enqueue_mutation(tx, &attach, Some(id), Some(upload))?;
        save(tx, &ticket)
    });
    if result.is_err() {
        // Refused, or the disk failed: no row, so no files.
        let _ = std::fs::remove_file(&rendition);
        let _ = std::fs::remove_file(&thumbnail);
    }
    result.map(|_| id)
}
