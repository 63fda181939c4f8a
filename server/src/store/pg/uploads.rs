//! Upload records on PostgreSQL (see `store::uploads`). A finished upload
//! notifies the other server processes, like a push.

use super::listen::CHANNEL;
use super::Pg;
use crate::store::uploads::UploadRecord;
use crate::store::StoreResult;
use postgres::Row;

const COLUMNS: &str =
    r#"id, user_id, photo_id, ticket_id, sha256, length, "offset", expires_at, completed_at"#;

fn record(r: &Row) -> UploadRecord {
    UploadRecord {
        id: r.get(0),
        user_id: r.get(1),
        photo_id: r.get(2),
        ticket_id: r.get(3),
        sha256: r.get(4),
        length: r.get::<_, i64>(5).max(0) as u64,
        offset: r.get::<_, i64>(6).max(0) as u64,
        expires_at: r.get(7),
        completed: r.get::<_, Option<i64>>(8).is_some(),
    }
}

impl Pg {
    pub(crate) fn create_upload(&self, rec: &UploadRecord, now: i64) -> StoreResult<UploadRecord> {
        let mut conn = self.conn()?;
        // Two processes creating the same photo's record at once: one inserts,
        // the other finds it.
        let inserted = conn.execute(
            r#"INSERT INTO uploads (id, user_id, photo_id, ticket_id, sha256, length, "offset",
                                    created_at, expires_at)
               VALUES ($1, $2, $3, $4, $5, $6, 0, $7, $8)
               ON CONFLICT (photo_id) DO NOTHING"#,
            &[
                &rec.id,
                &rec.user_id,
                &rec.photo_id,
                &rec.ticket_id,
                &rec.sha256,
                &(rec.length as i64),
                &now,
                &rec.expires_at,
            ],
        )?;
        if inserted == 1 {
            return Ok(UploadRecord {
                offset: 0,
                completed: false,
                ..rec.clone()
            });
        }
        let row = conn.query_one(
            &format!("SELECT {COLUMNS} FROM uploads WHERE photo_id = $1"),
            &[&rec.photo_id],
        )?;
        Ok(record(&row))
    }

    pub(crate) fn upload(&self, id: &str) -> StoreResult<Option<UploadRecord>> {
        let row = self.conn()?.query_opt(
            &format!("SELECT {COLUMNS} FROM uploads WHERE id = $1"),
            &[&id],
        )?;
        Ok(row.as_ref().map(record))
    }

    pub(crate) fn upload_by_photo(&self, photo_id: &str) -> StoreResult<Option<UploadRecord>> {
        let row = self.conn()?.query_opt(
            &format!("SELECT {COLUMNS} FROM uploads WHERE photo_id = $1"),
            &[&photo_id],
        )?;
        Ok(row.as_ref().map(record))
    }

    pub(crate) fn set_upload_offset(&self, id: &str, offset: u64) -> StoreResult<()> {
        self.conn()?.execute(
            r#"UPDATE uploads SET "offset" = $2 WHERE id = $1 AND completed_at IS NULL"#,
            &[&id, &(offset as i64)],
        )?;
        Ok(())
    }

    pub(crate) fn complete_upload(&self, id: &str, now: i64) -> StoreResult<()> {
        let mut conn = self.conn()?;
        let mut tx = conn.transaction()?;
        tx.execute(
            r#"UPDATE uploads SET completed_at = $2, "offset" = length WHERE id = $1"#,
            &[&id, &now],
        )?;
        // Delivered on commit.
        tx.execute("SELECT pg_notify($1, $2)", &[&CHANNEL, &self.instance])?;
        tx.commit()?;
        Ok(())
    }

    pub(crate) fn delete_upload(&self, id: &str) -> StoreResult<()> {
        self.conn()?.execute(
            "DELETE FROM uploads WHERE id = $1 AND completed_at IS NULL",
            &[&id],
        )?;
        Ok(())
    }

    pub(crate) fn expired_uploads(&self, now: i64) -> StoreResult<Vec<String>> {
        let rows = self.conn()?.query(
            "SELECT id FROM uploads WHERE completed_at IS NULL AND expires_at <= $1",
            &[&now],
        )?;
        Ok(rows.iter().map(|r| r.get(0)).collect())
    }
}
