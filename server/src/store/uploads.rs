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

fn insert(tx: &mut dyn Tx, rec: &UploadRecord, now: i64) -> StoreResult<()> {
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
    Ok(())
}

fn one(tx: &mut dyn Tx, filter: &str, arg: &str) -> StoreResult<Option<UploadRecord>> {
    tx.query_opt(
        &format!("SELECT {COLUMNS} FROM uploads WHERE {filter} = ?1"),
        &[Value::from(arg)],
    )?
    .map(|r| record(&r))
    .transpose()
}

/// How much one user may hold in uploads not yet attached to a ticket
/// (unfinished, or finished and waiting for their `attach_photo`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quota {
    pub uploads: u64,
    pub bytes: u64,
}

/// A new upload would take its user past the [`Quota`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OverQuota {
    /// What the user holds now.
    pub uploads: u64,
    pub bytes: u64,
}

/// The photo was attached to its ticket (`attach_photo` applied): it no
/// longer counts against the quota nor expires. False when there is no
/// finished upload of it (it expired and was swept a moment ago).
pub(crate) fn mark_attached(tx: &mut dyn Tx, photo_id: &str, at: i64) -> StoreResult<bool> {
    let n = tx.execute(
        "UPDATE uploads SET attached_at = COALESCE(attached_at, ?2)
         WHERE photo_id = ?1 AND completed_at IS NOT NULL",
        args![photo_id, at],
    )?;
    Ok(n == 1)
}

impl Db {
    /// Create the record unless `quota` would be exceeded, or return the one
    /// that already exists for this photo (a client that lost the creation
    /// answer asks again; it is not counted twice).
    pub fn create_upload_within(
        &self,
        rec: &UploadRecord,
        now: i64,
        quota: Quota,
    ) -> StoreResult<Result<UploadRecord, OverQuota>> {
        self.write(|tx| {
            if let Some(existing) = one(tx, "photo_id", &rec.photo_id)? {
                return Ok(Ok(existing));
            }
            let row = tx.query_one(
                "SELECT COUNT(*), CAST(COALESCE(SUM(length), 0) AS BIGINT) FROM uploads
                 WHERE user_id = ?1 AND attached_at IS NULL",
                args![&rec.user_id],
            )?;
            let (uploads, bytes): (i64, i64) = (row.get(0)?, row.get(1)?);
            let (uploads, bytes) = (uploads.max(0) as u64, bytes.max(0) as u64);
            if uploads + 1 > quota.uploads || bytes + rec.length > quota.bytes {
                return Ok(Err(OverQuota { uploads, bytes }));
            }
            insert(tx, rec, now)?;
            Ok(Ok(one(tx, "photo_id", &rec.photo_id)?.ok_or_else(
                || super::StoreError::Schema(format!("upload of photo {} vanished", rec.photo_id)),
            )?))
        })
    }

    /// Create the record, or return the one that already exists for this photo
    /// (a client that lost the creation answer asks again).
    pub fn create_upload(&self, rec: &UploadRecord, now: i64) -> StoreResult<UploadRecord> {
        self.write(|tx| {
            insert(tx, rec, now)?;
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

    /// Finished uploads that nobody attached to their ticket, finished at or
    /// before `finished_by`: `(upload id, photo id)`.
    pub fn unattached_uploads(&self, finished_by: i64) -> StoreResult<Vec<(String, String)>> {
        self.read(|tx| {
            tx.query(
                "SELECT id, photo_id FROM uploads
                 WHERE attached_at IS NULL AND completed_at IS NOT NULL AND completed_at <= ?1",
                args![finished_by],
            )?
            .iter()
            .map(|r| Ok((r.get(0)?, r.get(1)?)))
            .collect()
        })
    }

    /// Remove a finished upload's record if it is still unattached. True when
    /// it was removed (then its photo may go); false when an attach came first.
    pub fn delete_unattached(&self, id: &str) -> StoreResult<bool> {
        self.write(|tx| {
            let n = tx.execute(
                "DELETE FROM uploads
                 WHERE id = ?1 AND attached_at IS NULL AND completed_at IS NOT NULL",
                args![id],
            )?;
            Ok(n == 1)
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
