//! Drafts: what a deputy is writing before 完成 — text, photos, place, category,
//! an @-mentioned unit. A draft lives only on the device and survives restarts.

use crate::error::{Error, Result};
use crate::store::{now_ms, Store};
use crate::views::{DraftView, LocationView};
use minqing_protocol::{ConstituentContact, Location, LocationSource, SourceChannel, UnitId};
use rusqlite::{params, Connection, OptionalExtension, Transaction};
use uuid::Uuid;

/// Start an empty draft.
pub fn create(store: &Store) -> Result<String> {
    let id = Uuid::now_v7().to_string();
    let now = now_ms();
    store.write(|tx| {
        tx.execute(
            "INSERT INTO drafts (id, created_at, updated_at) VALUES (?1, ?2, ?2)",
            params![id, now],
        )?;
        Ok(())
    })?;
    Ok(id)
}

fn touch(tx: &Transaction<'_>, id: &str, set: &str, values: &[&dyn rusqlite::ToSql]) -> Result<()> {
    let sql = format!("UPDATE drafts SET {set}, updated_at = ?1 WHERE id = ?2");
    let now = now_ms();
    let mut all: Vec<&dyn rusqlite::ToSql> = vec![&now, &id];
    all.extend_from_slice(values);
    if tx.execute(&sql, all.as_slice())? == 0 {
        return Err(Error::NotFound {
            what: "draft",
            id: id.to_owned(),
        });
    }
    Ok(())
}

pub fn set_text(store: &Store, id: &str, text: &str) -> Result<()> {
    if text.chars().count() > minqing_protocol::machine::MAX_TEXT_CHARS {
        return Err(Error::Invalid {
            field: "text",
            reason: "longer than 4000 characters".into(),
        });
    }
    store.write(|tx| touch(tx, id, "text = ?3", &[&text]))
}

pub fn set_category(
    store: &Store,
    id: &str,
    category: Option<&str>,
    item: Option<&str>,
) -> Result<()> {
    store.write(|tx| touch(tx, id, "category = ?3, item = ?4", &[&category, &item]))
}

pub fn set_mention(store: &Store, id: &str, unit: Option<UnitId>) -> Result<()> {
    let unit = unit.map(|u| u.to_string());
    store.write(|tx| touch(tx, id, "mentioned_unit = ?3", &[&unit]))
}

pub fn set_channel(store: &Store, id: &str, channel: SourceChannel) -> Result<()> {
    let name = serde_json::to_value(channel)?
        .as_str()
        .unwrap_or("other")
        .to_owned();
    store.write(|tx| touch(tx, id, "channel = ?3", &[&name]))
}

pub fn set_constituent(
    store: &Store,
    id: &str,
    contact: Option<&ConstituentContact>,
) -> Result<()> {
    let json = contact.map(serde_json::to_string).transpose()?;
    store.write(|tx| touch(tx, id, "constituent = seal(?3)", &[&json]))
}

/// Set (or clear) the place. Coordinates are WGS-84 and range-checked.
pub fn set_location(store: &Store, id: &str, location: Option<&Location>) -> Result<()> {
    if let Some(l) = location {
        if !l.is_valid() {
            return Err(Error::Invalid {
                field: "location",
                reason: format!("({}, {}) is not a WGS-84 position", l.latitude, l.longitude),
            });
        }
    }
    let source = location.map(|l| crate::views::source_name(l.source));
    store.write(|tx| {
        touch(
            tx,
            id,
            "latitude = ?3, longitude = ?4, accuracy_m = ?5, location_source = ?6, address = ?7",
            &[
                &location.map(|l| l.latitude),
                &location.map(|l| l.longitude),
                &location.and_then(|l| l.accuracy_m),
                &source,
                &location.and_then(|l| l.address.clone()),
            ],
        )
    })
}

/// Throw a draft away, with its photos.
pub fn delete(store: &Store, id: &str) -> Result<()> {
    let photos: Vec<String> = store.write(|tx| {
        let photos: Vec<String> = tx
            .prepare("SELECT id FROM photos WHERE draft_id = ?1")?
            .query_map([id], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        tx.execute("DELETE FROM photos WHERE draft_id = ?1", [id])?;
        if tx.execute("DELETE FROM drafts WHERE id = ?1", [id])? == 0 {
            return Err(Error::NotFound {
                what: "draft",
                id: id.to_owned(),
            });
        }
        Ok(photos)
    })?;
    for p in photos {
        crate::photos::remove_files(&store.photo_dir(), &p);
    }
    Ok(())
}

/// The fields of a draft row, decoded.
pub struct DraftRow {
    pub id: String,
    pub text: String,
    pub category: Option<String>,
    pub item: Option<String>,
    pub location: Option<Location>,
    pub channel: SourceChannel,
    pub mentioned_unit: Option<UnitId>,
    pub constituent: Option<ConstituentContact>,
    pub created_at: i64,
    pub updated_at: i64,
}

fn parse_source(s: Option<&str>) -> LocationSource {
    match s {
        Some("photo_exif") => LocationSource::PhotoExif,
        Some("device_fix") => LocationSource::DeviceFix,
        _ => LocationSource::Manual,
    }
}

pub fn load(conn: &Connection, id: &str) -> Result<DraftRow> {
    type Raw = (
        String,
        String,
        Option<String>,
        Option<String>,
        Option<f64>,
        Option<f64>,
        Option<f64>,
        Option<String>,
        Option<String>,
        String,
        Option<String>,
        Option<String>,
        i64,
        i64,
    );
    let raw: Option<Raw> = conn
        .query_row(
            "SELECT id, text, category, item, latitude, longitude, accuracy_m, location_source,
                    address, channel, mentioned_unit, unseal(constituent), created_at, updated_at
             FROM drafts WHERE id = ?1",
            [id],
            |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                    r.get(6)?,
                    r.get(7)?,
                    r.get(8)?,
                    r.get(9)?,
                    r.get(10)?,
                    r.get(11)?,
                    r.get(12)?,
                    r.get(13)?,
                ))
            },
        )
        .optional()?;
    let Some((
        id,
        text,
        category,
        item,
        lat,
        lon,
        acc,
        source,
        address,
        channel,
        unit,
        constituent,
        created_at,
        updated_at,
    )) = raw
    else {
        return Err(Error::NotFound {
            what: "draft",
            id: id.to_owned(),
        });
    };
    Ok(DraftRow {
        id,
        text,
        category,
        item,
        location: match (lat, lon) {
            (Some(latitude), Some(longitude)) => Some(Location {
                latitude,
                longitude,
                accuracy_m: acc,
                source: parse_source(source.as_deref()),
                address,
            }),
            _ => None,
        },
        channel: serde_json::from_value(serde_json::Value::String(channel))
            .unwrap_or(SourceChannel::Other),
        mentioned_unit: unit.and_then(|u| u.parse().ok()),
        constituent: constituent.map(|c| serde_json::from_str(&c)).transpose()?,
        created_at,
        updated_at,
    })
}

pub fn view(
    conn: &Connection,
    store: &Store,
    id: &str,
    reference: &crate::reference::Reference,
    lang: crate::error::Lang,
) -> Result<DraftView> {
    let row = load(conn, id)?;
    let photos = crate::photos::list(
        conn,
        &store.photo_dir(),
        crate::photos::Owner::Draft,
        id,
        lang == crate::error::Lang::En,
    )?;
    Ok(DraftView {
        can_submit: !row.text.trim().is_empty() || !photos.is_empty(),
        id: row.id,
        text: row.text,
        category_label: reference.category_label(
            row.category.as_deref(),
            row.item.as_deref(),
            lang,
        ),
        category: row.category,
        item: row.item,
        mentioned_unit_name: row
            .mentioned_unit
            .and_then(|u| reference.unit_name(u, lang)),
        mentioned_unit: row.mentioned_unit.map(|u| u.to_string()),
        constituent: row.constituent.map(|c| crate::views::ConstituentInput {
            name: c.name,
            phone: c.phone,
        }),
        location: row.location.as_ref().map(LocationView::from_location),
        photos,
        created_at: row.created_at,
        updated_at: row.updated_at,
    })
}

pub fn list_ids(conn: &Connection) -> Result<Vec<String>> {
    Ok(conn
        .prepare("SELECT id FROM drafts ORDER BY created_at DESC, id DESC")?
        .query_map([], |r| r.get(0))?
        .collect::<Result<_, _>>()?)
}
