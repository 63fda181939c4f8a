//! Photos on the device: ingest a captured photo into a draft (EXIF, hash,
//! rendition, thumbnail via `minqing-capture`), keep the files, and describe them.
//!
//! Files are written to a temporary name, fsynced and renamed before the row that
//! names them is committed, so a row never points at a half-written file.

use crate::error::{Error, Result};
use crate::store::{now_ms, Store};
use crate::views::{LocationView, PhotoView};
use minqing_capture::{CaptureWarning, DeviceFix, IngestOptions, IngestedPhoto};
use minqing_protocol::{LocationSource, PhotoId, PhotoKind};
use rusqlite::{params, Connection, OptionalExtension};
use serde::{Deserialize, Serialize};
use std::io::Write;
use std::path::{Path, PathBuf};

/// A warning kept with the photo, in both languages.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredWarning {
    pub code: String,
    pub zh: String,
    pub en: String,
}

/// Extra capture facts kept as JSON in `photos.info`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct StoredInfo {
    pub warnings: Vec<StoredWarning>,
    pub make: Option<String>,
    pub model: Option<String>,
    pub taken_at_local: Option<String>,
}

/// File name of a photo's upload rendition inside the photo folder.
pub fn rendition_file(id: &impl std::fmt::Display) -> String {
    format!("{id}.jpg")
}

/// File name of a photo's thumbnail inside the photo folder.
pub fn thumbnail_file(id: &impl std::fmt::Display) -> String {
    format!("{id}.thumb.jpg")
}

/// Write `bytes` to `path` so that either the old state or the whole file exists.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let tmp = path.with_extension("tmp");
    {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
    }
    std::fs::rename(&tmp, path)?;
    if let Some(dir) = path.parent() {
        // Make the rename itself durable.
        std::fs::File::open(dir)?.sync_all()?;
    }
    Ok(())
}

fn warning(w: &CaptureWarning) -> StoredWarning {
    StoredWarning {
        code: w.code().to_owned(),
        zh: w.message_zh(),
        en: w.message_en(),
    }
}

/// The device fix a draft already has, for the plausibility check.
fn draft_fix(conn: &Connection, draft_id: &str) -> Result<Option<DeviceFix>> {
    let row: Option<Option<DeviceFix>> = conn
        .query_row(
            "SELECT latitude, longitude, accuracy_m, updated_at, location_source FROM drafts WHERE id = ?1",
            [draft_id],
            |r| {
                let source: Option<String> = r.get(4)?;
                let lat: Option<f64> = r.get(0)?;
                let lon: Option<f64> = r.get(1)?;
                Ok(match (source.as_deref(), lat, lon) {
                    (Some("device_fix"), Some(latitude), Some(longitude)) => Some(DeviceFix {
                        latitude,
                        longitude,
                        accuracy_m: r.get(2)?,
                        at_unix_ms: r.get(3)?,
                    }),
                    _ => None,
                })
            },
        )
        .optional()?;
    row.ok_or_else(|| Error::NotFound {
        what: "draft",
        id: draft_id.to_owned(),
    })
}

/// Ingest `bytes` (a JPEG or PNG as the camera wrote it) into draft `draft_id`.
/// A bad photo is a typed error and leaves the draft as it was.
pub fn add_to_draft(
    store: &Store,
    draft_id: &str,
    bytes: &[u8],
    opts: &IngestOptions,
) -> Result<PhotoId> {
    let fix = store.read(|c| draft_fix(c, draft_id))?;
    let photo: IngestedPhoto = minqing_capture::ingest(bytes, opts, fix.as_ref(), now_ms())?;
    let id = PhotoId::new();
    let dir = store.photo_dir();
    let rendition = dir.join(rendition_file(&id));
    let thumbnail = dir.join(thumbnail_file(&id));
    write_atomically(&rendition, &photo.rendition.jpeg)?;
    write_atomically(&thumbnail, &photo.thumbnail.jpeg)?;
    let result = store.write(|tx| insert_row(tx, draft_id, &id, &photo));
    if result.is_err() {
        // The draft vanished meanwhile, or the disk failed: no row, so no files.
        let _ = std::fs::remove_file(&rendition);
        let _ = std::fs::remove_file(&thumbnail);
    }
    result.map(|_| id)
}

fn insert_row(
    tx: &rusqlite::Transaction<'_>,
    draft_id: &str,
    id: &PhotoId,
    photo: &IngestedPhoto,
) -> Result<()> {
    let exists: bool = tx
        .query_row("SELECT 1 FROM drafts WHERE id = ?1", [draft_id], |_| Ok(()))
        .optional()?
        .is_some();
    if !exists {
        return Err(Error::NotFound {
            what: "draft",
            id: draft_id.to_owned(),
        });
    }
    insert_photo_row(tx, Owner::Draft, draft_id, id, PhotoKind::Evidence, photo)?;
    let info = &photo.info;
    let now = now_ms();
    // The first photo with a position gives the draft its place, unless the
    // deputy already has a device fix or set one by hand.
    if let Some(gps) = &info.gps {
        tx.execute(
            "UPDATE drafts SET latitude = ?2, longitude = ?3, accuracy_m = NULL,
                 location_source = 'photo_exif', updated_at = ?4
             WHERE id = ?1 AND latitude IS NULL",
            params![draft_id, gps.latitude, gps.longitude, now],
        )?;
    }
    tx.execute(
        "UPDATE drafts SET updated_at = ?2 WHERE id = ?1",
        params![draft_id, now],
    )?;
    Ok(())
}

/// The photo's row, owned by a draft or (a photo added later) by a ticket.
pub(crate) fn insert_photo_row(
    tx: &rusqlite::Transaction<'_>,
    owner: Owner,
    owner_id: &str,
    id: &PhotoId,
    kind: PhotoKind,
    photo: &IngestedPhoto,
) -> Result<()> {
    let info = &photo.info;
    let (position_sql, insert_sql) = match owner {
        Owner::Draft => (
            "SELECT COALESCE(MAX(position), -1) + 1 FROM photos WHERE draft_id = ?1",
            "INSERT INTO photos (id, draft_id, position, kind, original_sha256, upload_sha256,
                 upload_bytes, width, height, taken_at, latitude, longitude, altitude_m, info, created_at)
             VALUES (?1, ?2, ?3, ?15, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
        ),
        Owner::Ticket => (
            "SELECT COALESCE(MAX(position), -1) + 1 FROM photos WHERE ticket_id = ?1",
            "INSERT INTO photos (id, ticket_id, position, kind, original_sha256, upload_sha256,
                 upload_bytes, width, height, taken_at, latitude, longitude, altitude_m, info, created_at)
             VALUES (?1, ?2, ?3, ?15, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
        ),
    };
    let position: i64 = tx.query_row(position_sql, [owner_id], |r| r.get(0))?;
    let stored = StoredInfo {
        warnings: info.warnings.iter().map(warning).collect(),
        make: info.make.clone(),
        model: info.model.clone(),
        taken_at_local: info.taken_at.as_ref().map(|t| t.to_rfc3339()),
    };
    let upload_sha256 = crate::hash::sha256_hex(&photo.rendition.jpeg);
    let taken_at = info
        .taken_at
        .as_ref()
        .and_then(|t| t.unix_ms_or_in(minqing_protocol::calendar::CHINA_TIME))
        .or(info.gps.as_ref().and_then(|g| g.gps_time_unix_ms));
    let now = now_ms();
    tx.execute(
        insert_sql,
        params![
            id.to_string(),
            owner_id,
            position,
            info.sha256,
            upload_sha256,
            photo.rendition.jpeg.len() as i64,
            photo.rendition.width,
            photo.rendition.height,
            taken_at,
            info.gps.as_ref().map(|g| g.latitude),
            info.gps.as_ref().map(|g| g.longitude),
            info.gps.as_ref().and_then(|g| g.altitude_m),
            serde_json::to_string(&stored)?,
            now,
            match kind {
                PhotoKind::Evidence => "evidence",
                PhotoKind::Proof => "proof",
            },
        ],
    )?;
    Ok(())
}

/// Whose photos to list.
#[derive(Debug, Clone, Copy)]
pub enum Owner {
    Draft,
    Ticket,
}

/// Photos of a draft or a ticket, in the order they were added.
pub fn list(
    conn: &Connection,
    dir: &Path,
    owner: Owner,
    id: &str,
    en: bool,
) -> Result<Vec<PhotoView>> {
    let column = match owner {
        Owner::Draft => "draft_id",
        Owner::Ticket => "ticket_id",
    };
    let sql = format!(
        "SELECT id, original_sha256, width, height, taken_at, latitude, longitude, info, kind
         FROM photos WHERE {column} = ?1 ORDER BY position"
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map([id], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, u32>(2)?,
            r.get::<_, u32>(3)?,
            r.get::<_, Option<i64>>(4)?,
            r.get::<_, Option<f64>>(5)?,
            r.get::<_, Option<f64>>(6)?,
            r.get::<_, String>(7)?,
            r.get::<_, String>(8)?,
        ))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (pid, sha, width, height, taken_at, lat, lon, info, kind) = row?;
        let info: StoredInfo = serde_json::from_str(&info)?;
        let path = |name: String| -> String { dir.join(name).to_string_lossy().into_owned() };
        out.push(PhotoView {
            rendition_path: path(rendition_file(&pid)),
            thumbnail_path: path(thumbnail_file(&pid)),
            id: pid,
            kind: if kind == "proof" {
                PhotoKind::Proof
            } else {
                PhotoKind::Evidence
            },
            original_sha256: sha,
            width,
            height,
            taken_at,
            location: match (lat, lon) {
                (Some(la), Some(lo)) => Some(LocationView::new(
                    la,
                    lo,
                    None,
                    LocationSource::PhotoExif,
                    None,
                )),
                _ => None,
            },
            warnings: info
                .warnings
                .into_iter()
                .map(|w| if en { w.en } else { w.zh })
                .collect(),
        });
    }
    Ok(out)
}

/// Remove a photo from a draft (not from a submitted ticket: that is history).
pub fn remove_from_draft(store: &Store, photo_id: &str) -> Result<()> {
    let removed = store.write(|tx| {
        Ok(tx.execute(
            "DELETE FROM photos WHERE id = ?1 AND draft_id IS NOT NULL AND ticket_id IS NULL",
            [photo_id],
        )?)
    })?;
    if removed == 0 {
        return Err(Error::NotFound {
            what: "photo",
            id: photo_id.to_owned(),
        });
    }
    remove_files(&store.photo_dir(), photo_id);
    Ok(())
}

/// Best effort: a leftover file wastes space but loses nothing.
pub fn remove_files(dir: &Path, photo_id: &str) {
    for name in [rendition_file(&photo_id), thumbnail_file(&photo_id)] {
        let p: PathBuf = dir.join(name);
        if let Err(e) = std::fs::remove_file(&p) {
            tracing::warn!(path = %p.display(), error = %e, "could not remove photo file");
        }
    }
}

/// At open: remove files that no row names — left by a process killed between
/// writing a photo's files and committing its row, or by a failed ingest — and
/// half-written `.tmp` files. Returns how many were removed.
pub fn sweep_orphans(conn: &Connection, dir: &Path) -> Result<usize> {
    let known: std::collections::HashSet<String> = conn
        .prepare("SELECT id FROM photos")?
        .query_map([], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    let mut removed = 0;
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
            continue;
        };
        let id = name.split('.').next().unwrap_or_default();
        if name.ends_with(".tmp") || !known.contains(id) {
            std::fs::remove_file(&path)?;
            removed += 1;
        }
    }
    Ok(removed)
}

/// Keep a photo fetched from the server for a ticket this device did not take
/// it for (a unit contact seeing the deputy's photo). `bytes` must match the
/// SHA-256 in the ticket; the thumbnail is made here.
pub fn add_downloaded(
    store: &Store,
    ticket_id: &str,
    position: i64,
    photo: &minqing_protocol::PhotoRef,
    bytes: &[u8],
    options: &IngestOptions,
) -> Result<()> {
    if crate::hash::sha256_hex(bytes) != photo.sha256.to_ascii_lowercase() {
        return Err(Error::Invalid {
            field: "photo",
            reason: format!("downloaded photo {} does not match its SHA-256", photo.id),
        });
    }
    let thumb = minqing_capture::ingest(bytes, options, None, now_ms())?
        .thumbnail
        .jpeg;
    let dir = store.photo_dir();
    write_atomically(&dir.join(rendition_file(&photo.id)), bytes)?;
    write_atomically(&dir.join(thumbnail_file(&photo.id)), &thumb)?;
    store.write(|tx| {
        tx.execute(
            "INSERT OR IGNORE INTO photos (id, ticket_id, position, kind, original_sha256,
                 upload_sha256, upload_bytes, width, height, taken_at, latitude, longitude,
                 info, created_at)
             VALUES (?1, ?2, ?3, 'evidence', ?4, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
            params![
                photo.id.to_string(),
                ticket_id,
                position,
                photo.sha256.to_ascii_lowercase(),
                bytes.len() as i64,
                photo.width,
                photo.height,
                photo.taken_at,
                photo.location.as_ref().map(|l| l.latitude),
                photo.location.as_ref().map(|l| l.longitude),
                serde_json::to_string(&StoredInfo::default())?,
                now_ms(),
            ],
        )?;
        Ok(())
    })
}

/// Photos named by local tickets whose bytes this device does not have:
/// `(ticket id, position, photo)`.
pub fn missing(conn: &Connection) -> Result<Vec<(String, i64, minqing_protocol::PhotoRef)>> {
    let rows: Vec<(String, i64, String)> = conn
        .prepare(
            "SELECT t.id, p.key, p.value FROM tickets t, json_each(t.body, '$.photos') p
             WHERE json_extract(p.value, '$.id') NOT IN (SELECT id FROM photos)",
        )?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<std::result::Result<_, _>>()?;
    rows.into_iter()
        .map(|(t, pos, json)| Ok((t, pos, serde_json::from_str(&json)?)))
        .collect()
}
