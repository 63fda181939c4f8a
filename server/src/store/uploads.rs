//! Records of tus photo uploads: who uploads which photo for which ticket, how
//! many bytes the server holds, and until when an unfinished upload is kept.
//! The bytes themselves live in files (see `crate::uploads`).

use super::{Sqlite, StoreResult};
use rusqlite::{params, OptionalExtension, Row};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadRecord {
    pub id: String,
    pub user_id: String,
    pub photo_id: String,
    pub ticket_id: String,
    /// Lower-case hex SHA-256 of the whole photo, as recorded at capture.
    pub sha256: String,
    pub length: u64,
    pub offset: u64,
    pub expires_at: i64,
    pub completed: bool,
}

const COLUMNS: &str =
    "id, user_id, photo_id, ticket_id, sha256, length, offset, expires_at, completed_at";

fn record(r: &Row<'_>) -> rusqlite::Result<UploadRecord> {
    Ok(UploadRecord {
        id: r.get(0)?,
        user_id: r.get(1)?,
        photo_id: r.get(2)?,
        ticket_id: r.get(3)?,
        sha256: r.get(4)?,
        length: r.get::<_, i64>(5)?.max(0) as u64,
        offset: r.get::<_, i64>(6)?.max(0) as u64,
        expires_at: r.get(7)?,
        completed: r.get::<_, Option<i64>>(8)?.is_some(),
    })
}

impl Sqlite {
    /// Create the record, or return the one that already exists for this photo
    /// (a client that lost the creation answer asks again).
    pub fn create_upload(&self, rec: &UploadRecord, now: i64) -> StoreResult<UploadRecord> {
        let mut conn = self.lock();
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let existing = tx
            .query_row(
                &format!("SELECT {COLUMNS} FROM uploads WHERE photo_id = ?1"),
                [&rec.photo_id],
                record,
            )
            .optional()?;
        if let Some(e) = existing {
            return Ok(e);
        }
        tx.execute(
            "INSERT INTO uploads (id, user_id, photo_id, ticket_id, sha256, length, offset,
                                  created_at, expires_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, 0, ?7, ?8)",
            params![
                rec.id,
                rec.user_id,
                rec.photo_id,
                rec.ticket_id,
                rec.sha256,
                rec.length as i64,
                now,
                rec.expires_at
            ],
        )?;
        tx.commit()?;
        Ok(UploadRecord {
            offset: 0,
            completed: false,
            ..rec.clone()
        })
    }

    pub fn upload(&self, id: &str) -> StoreResult<Option<UploadRecord>> {
        Ok(self
            .lock()
            .query_row(
                &format!("SELECT {COLUMNS} FROM uploads WHERE id = ?1"),
                [id],
                record,
            )
            .optional()?)
    }

    pub fn upload_by_photo(&self, photo_id: &str) -> StoreResult<Option<UploadRecord>> {
        Ok(self
            .lock()
            .query_row(
                &format!("SELECT {COLUMNS} FROM uploads WHERE photo_id = ?1"),
                [photo_id],
                record,
            )
            .optional()?)
    }

    pub fn set_upload_offset(&self, id: &str, offset: u64) -> StoreResult<()> {
        self.lock().execute(
            "UPDATE uploads SET offset = ?2 WHERE id = ?1 AND completed_at IS NULL",
            params![id, offset as i64],
        )?;
        Ok(())
    }

    /// The last byte is in and verified: offset = length and finished, in one write.
    pub fn complete_upload(&self, id: &str, now: i64) -> StoreResult<()> {
        self.lock().execute(
            "UPDATE uploads SET completed_at = ?2, offset = length WHERE id = ?1",
            params![id, now],
        )?;
        Ok(())
    }

    pub fn delete_upload(&self, id: &str) -> StoreResult<()> {
        self.lock().execute(
            "DELETE FROM uploads WHERE id = ?1 AND completed_at IS NULL",
            [id],
        )?;
        Ok(())
    }

    /// Unfinished uploads whose time is up.
    pub fn expired_uploads(&self, now: i64) -> StoreResult<Vec<String>> {
        let conn = self.lock();
        let mut stmt =
            conn.prepare("SELECT id FROM uploads WHERE completed_at IS NULL AND expires_at <= ?1")?;
        let ids = stmt
            .query_map([now], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        Ok(ids)
    }
}
