//! Retention purges and the access log (issue 17): markers, a queue of blobs to delete, and an
//! append-only log.

use super::{Db, Store, db_err, ms, ts};
use async_trait::async_trait;
use hadir_store::*;
use jiff::Timestamp;
use sqlx::{QueryBuilder, Row};

macro_rules! access_filter {
    () => {
        "FROM access_log WHERE (CAST($1 AS BIGINT) IS NULL OR subject_employee_id = $1) AND (CAST($2 AS BIGINT) IS NULL OR viewer_account_id = $2)"
    };
}

#[async_trait]
impl PrivacyStore for Store {
    async fn record_access(&self, entries: &[NewAccess]) -> Result<()> {
        if entries.is_empty() {
            return Ok(());
        }
        let mut qb = QueryBuilder::<Db>::new(
            "INSERT INTO access_log (at, viewer_account_id, viewer_username, viewer_name, subject_employee_id, kind, item) ",
        );
        qb.push_values(entries, |mut b, a| {
            b.push_bind(ms(a.at))
                .push_bind(a.viewer_account_id)
                .push_bind(&a.viewer_username)
                .push_bind(&a.viewer_name)
                .push_bind(a.subject_employee_id)
                .push_bind(a.kind.as_str())
                .push_bind(&a.item);
        });
        qb.build().execute(&self.write).await.map_err(db_err)?;
        Ok(())
    }

    async fn list_access(&self, f: &AccessFilter) -> Result<Page<AccessEntry>> {
        let total: i64 = sqlx::query_scalar(concat!("SELECT COUNT(*) ", access_filter!()))
            .bind(f.subject_employee_id)
            .bind(f.viewer_account_id)
            .fetch_one(&self.read)
            .await
            .map_err(db_err)?;
        let rows = sqlx::query(concat!(
            "SELECT id, at, viewer_account_id, viewer_username, viewer_name, subject_employee_id, kind, item ",
            access_filter!(),
            " ORDER BY id DESC LIMIT $3 OFFSET $4"
        ))
        .bind(f.subject_employee_id)
        .bind(f.viewer_account_id)
        .bind(f.limit as i64)
        .bind(f.offset as i64)
        .fetch_all(&self.read)
        .await
        .map_err(db_err)?;
        let items = rows
            .iter()
            .filter_map(|r| {
                Some(AccessEntry {
                    id: r.get("id"),
                    a: NewAccess {
                        at: ts(r.get("at")),
                        viewer_account_id: r.get("viewer_account_id"),
                        viewer_username: r.get("viewer_username"),
                        viewer_name: r.get("viewer_name"),
                        subject_employee_id: r.get("subject_employee_id"),
                        kind: AccessKind::parse(r.get("kind"))?,
                        item: r.get("item"),
                    },
                })
            })
            .collect();
        Ok(Page { items, total: total as u64, offset: f.offset, limit: f.limit })
    }

    async fn purge_punch_photos(&self, before: Timestamp, at: Timestamp, limit: u32) -> Result<u64> {
        let mut tx = self.write.begin().await.map_err(db_err)?;
        let ids: Vec<i64> = sqlx::query_scalar(
            "SELECT id FROM punches WHERE punched_at < $1 AND photo_hash IS NOT NULL AND photo_purged_at IS NULL
             ORDER BY punched_at LIMIT $2",
        )
        .bind(ms(before))
        .bind(limit as i64)
        .fetch_all(&mut *tx)
        .await
        .map_err(db_err)?;
        for id in &ids {
            sqlx::query("UPDATE punches SET photo_purged_at = $1 WHERE id = $2")
                .bind(ms(at))
                .bind(id)
                .execute(&mut *tx)
                .await
                .map_err(db_err)?;
            // The photo goes once no unpurged punch names it.
            sqlx::query(
                "INSERT INTO blob_purges (kind, hash, queued_at)
                 SELECT 'photos', p.photo_hash, $1 FROM punches p WHERE p.id = $2
                   AND NOT EXISTS (SELECT 1 FROM punches q WHERE q.photo_hash = p.photo_hash AND q.photo_purged_at IS NULL)
                 ON CONFLICT DO NOTHING",
            )
            .bind(ms(at))
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        }
        tx.commit().await.map_err(db_err)?;
        Ok(ids.len() as u64)
    }

    async fn purge_punch_positions(&self, before: Timestamp, at: Timestamp, limit: u32) -> Result<u64> {
        let done = sqlx::query(
            "UPDATE punches SET position_purged_at = $1 WHERE id IN (
                SELECT id FROM punches WHERE punched_at < $2 AND position_purged_at IS NULL
                  AND (lat IS NOT NULL OR lon IS NOT NULL OR accuracy_m IS NOT NULL)
                ORDER BY punched_at LIMIT $3)",
        )
        .bind(ms(at))
        .bind(ms(before))
        .bind(limit as i64)
        .execute(&self.write)
        .await
        .map_err(db_err)?;
        Ok(done.rows_affected())
    }

    async fn purge_attachments(&self, before: Timestamp, at: Timestamp, limit: u32) -> Result<u64> {
        let mut tx = self.write.begin().await.map_err(db_err)?;
        let ids: Vec<i64> = sqlx::query_scalar(
            "SELECT id FROM request_attachments WHERE uploaded_at < $1 AND purged_at IS NULL ORDER BY uploaded_at LIMIT $2",
        )
        .bind(ms(before))
        .bind(limit as i64)
        .fetch_all(&mut *tx)
        .await
        .map_err(db_err)?;
        for id in &ids {
            sqlx::query("UPDATE request_attachments SET purged_at = $1 WHERE id = $2")
                .bind(ms(at))
                .bind(id)
                .execute(&mut *tx)
                .await
                .map_err(db_err)?;
            sqlx::query(
                "INSERT INTO blob_purges (kind, hash, queued_at)
                 SELECT 'evidence', a.blob_hash, $1 FROM request_attachments a WHERE a.id = $2
                   AND NOT EXISTS (SELECT 1 FROM request_attachments b WHERE b.blob_hash = a.blob_hash AND b.purged_at IS NULL)
                 ON CONFLICT DO NOTHING",
            )
            .bind(ms(at))
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        }
        tx.commit().await.map_err(db_err)?;
        Ok(ids.len() as u64)
    }

    async fn pending_blob_purges(&self, limit: u32) -> Result<Vec<BlobPurge>> {
        let rows = sqlx::query("SELECT kind, hash FROM blob_purges ORDER BY queued_at, kind, hash LIMIT $1")
            .bind(limit as i64)
            .fetch_all(&self.read)
            .await
            .map_err(db_err)?;
        Ok(rows.iter().map(|r| BlobPurge { kind: r.get("kind"), hash: r.get("hash") }).collect())
    }

    async fn blob_deleted(&self, p: &BlobPurge) -> Result<()> {
        sqlx::query("DELETE FROM blob_purges WHERE kind = $1 AND hash = $2")
            .bind(&p.kind)
            .bind(&p.hash)
            .execute(&self.write)
            .await
            .map_err(db_err)?;
        Ok(())
    }
}
