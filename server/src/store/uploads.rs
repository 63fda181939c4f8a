//! Records of tus photo uploads: who uploads which photo for which ticket, how
//! many bytes the server holds, and until when an unfinished upload is kept.
//! The bytes themselves live in files (see `crate::uploads`).

use super::sql::{args, Row, Tx, Value};
use super::{Db, StoreResult};

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
    r#"id, user_id, photo_id, ticket_id, sha256, length, "offset", expires_at, completed_at"#;

fn record(r: &Row) -> StoreResult<UploadRecord> {
    Ok(UploadRecord {
        id: r.get(0)?,
        user_id: r.get(1)?,
        photo_id: r.get(2)?,
        ticket_id: r.get(3)?,
        sha256: r.get(4)?,
        length: r.get(5)?,
        offset: r.get(6)?,
        expires_at: r.get(7)?,
        completed: r.get::<Option<i64>>(8)?.is_some(),
    })
}

fn one(tx: &mut dyn Tx, filter: &str, arg: &str) -> StoreResult<Option<UploadRecord>> {
    tx.query_opt(
        &format!("SELECT {COLUMNS} FROM uploads WHERE {filter} = ?1"),
        &[Value::from(arg)],
    )?
    .map(|r| record(&r))
    .transpose()
}

impl Db {
    /// Create the record, or return the one that already exists for this photo
    /// (a client that lost the creation answer asks again).
    pub fn create_upload(&self, rec: &UploadRecord, now: i64) -> StoreResult<UploadRecord> {
        self.write(|tx| {
            tx.execute(
                r#"INSERT INTO uploads (id, user_id, photo_id, ticket_id, sha256, length, "offset",
                                        created_at, expires_at)
                   VALUES (?1, ?2, ?3, ?4, ?5, ?6, 0, ?7, ?8)
                   ON CONFLICT (photo_id) DO NOTHING"#,
                args![
                    &rec.id,
                    &rec.user_id,
                    &rec.photo_id,
                    &rec.ticket_id,
                    &rec.sha256,
                    rec.length,
                    now,
                    rec.expires_at
                ],
            )?;
            one(tx, "photo_id", &rec.photo_id)?.ok_or_else(|| {
                super::StoreError::Schema(format!("upload of photo {} vanished", rec.photo_id))
            })
        })
    }

    pub fn upload(&self, id: &str) -> StoreResult<Option<UploadRecord>> {
        self.read(|tx| one(tx, "id", id))
    }

    pub fn upload_by_photo(&self, photo_id: &str) -> StoreResult<Option<UploadRecord>> {
        self.read(|tx| one(tx, "photo_id", photo_id))
    }

    pub fn set_upload_offset(&self, id: &str, offset: u64) -> StoreResult<()> {
        self.write(|tx| {
            tx.execute(
                r#"UPDATE uploads SET "offset" = ?2 WHERE id = ?1 AND completed_at IS NULL"#,
                args![id, offset],
            )?;
            Ok(())
        })
    }

    /// The last byte is in and verified: offset = length and finished, in one
    /// write. On PostgreSQL it also tells the other server processes (an
    /// attach may have been waiting for it).
    pub fn complete_upload(&self, id: &str, now: i64) -> StoreResult<()> {
        self.write(|tx| {
            tx.execute(
                r#"UPDATE uploads SET completed_at = ?2, "offset" = length WHERE id = ?1"#,
                args![id, now],
            )?;
            tx.notify_on_commit()
        })
    }

    pub fn delete_upload(&self, id: &str) -> StoreResult<()> {
        self.write(|tx| {
            tx.execute(
                "DELETE FROM uploads WHERE id = ?1 AND completed_at IS NULL",
                args![id],
            )?;
            Ok(())
        })
    }

    /// Unfinished uploads whose time is up.
    pub fn expired_uploads(&self, now: i64) -> StoreResult<Vec<String>> {
        self.read(|tx| {
            tx.query(
                "SELECT id FROM uploads WHERE completed_at IS NULL AND expires_at <= ?1",
                args![now],
            )?
            .iter()
            .map(|r| r.get(0))
            .collect()
        })
    }
}
