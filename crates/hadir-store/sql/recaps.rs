use super::audit::write_audit;
use super::{DbRow, Store, date_text, db_err, ms, ts};
use async_trait::async_trait;
use hadir_store::*;
use jiff::Timestamp;
use jiff::civil::Date;
use sqlx::Row;

fn snapshot_row(r: &DbRow) -> RecapSnapshot {
    RecapSnapshot {
        id: r.get("id"),
        month: r.get("month"),
        employee_id: r.get("employee_id"),
        unit_id: r.get("unit_id"),
        lock_unit_id: r.get("lock_unit_id"),
        data_json: r.get("data_json"),
        rules_json: r.get("rules_json"),
        inputs_hash: r.get("inputs_hash"),
        frozen_at: ts(r.get("frozen_at")),
        frozen_by: r.get("frozen_by"),
    }
}

#[async_trait]
impl RecapStore for Store {
    async fn set_objection_deadline(&self, month: &str, until: Date, audit: Audit) -> Result<()> {
        let mut tx = self.write.begin().await.map_err(db_err)?;
        let before: Option<String> = sqlx::query_scalar("SELECT objection_until FROM recap_deadlines WHERE month = $1")
            .bind(month)
            .fetch_optional(&mut *tx)
            .await
            .map_err(db_err)?;
        sqlx::query(
            "INSERT INTO recap_deadlines (month, objection_until, set_at, set_by) VALUES ($1, $2, $3, $4)
             ON CONFLICT(month) DO UPDATE SET objection_until = excluded.objection_until,
                set_at = excluded.set_at, set_by = excluded.set_by",
        )
        .bind(month)
        .bind(date_text(until))
        .bind(ms(Timestamp::now()))
        .bind(&audit.actor_name)
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
        let audit = audit
            .before(serde_json::json!({"month": month, "objection_until": before}))
            .after(serde_json::json!({"month": month, "objection_until": date_text(until)}));
        write_audit(&mut tx, &audit).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(())
    }

    async fn objection_deadline(&self, month: &str) -> Result<Option<Date>> {
        let s: Option<String> = sqlx::query_scalar("SELECT objection_until FROM recap_deadlines WHERE month = $1")
            .bind(month)
            .fetch_optional(&self.read)
            .await
            .map_err(db_err)?;
        Ok(s.and_then(|s| s.parse().ok()))
    }

    async fn freeze_month(
        &self,
        month: &str,
        unit_id: Option<Id>,
        snapshots: &[NewRecapSnapshot],
        audit: Audit,
    ) -> Result<u64> {
        let mut tx = self.write.begin().await.map_err(db_err)?;
        if let Some(u) = unit_id {
            let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM units WHERE id = $1")
                .bind(u)
                .fetch_one(&mut *tx)
                .await
                .map_err(db_err)?;
            if n == 0 {
                return Err(StoreError::NotFound("unit"));
            }
        }
        let exists: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM month_locks WHERE month = $1 AND unit_id IS NOT DISTINCT FROM $2")
                .bind(month)
                .bind(unit_id)
                .fetch_one(&mut *tx)
                .await
                .map_err(db_err)?;
        if exists > 0 {
            return Err(StoreError::Conflict("month_lock".into()));
        }
        let now = ms(Timestamp::now());
        sqlx::query("INSERT INTO month_locks (month, unit_id, locked_at, locked_by) VALUES ($1, $2, $3, $4)")
            .bind(month)
            .bind(unit_id)
            .bind(now)
            .bind(&audit.actor_name)
            .execute(&mut *tx)
            .await
            .map_err(|e| match db_err(e) {
                // Another instance locked the same month meanwhile.
                StoreError::Conflict(_) => StoreError::Conflict("month_lock".into()),
                other => other,
            })?;
        let mut stored = 0u64;
        for s in snapshots {
            let r = sqlx::query(
                "INSERT INTO recap_snapshots (month, employee_id, unit_id, lock_unit_id, data_json, rules_json,
                    inputs_hash, frozen_at, frozen_by)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
                 ON CONFLICT(month, employee_id, unit_id) WHERE reopened_at IS NULL DO NOTHING",
            )
            .bind(month)
            .bind(s.employee_id)
            .bind(s.unit_id)
            .bind(unit_id)
            .bind(&s.data_json)
            .bind(&s.rules_json)
            .bind(&s.inputs_hash)
            .bind(now)
            .bind(&audit.actor_name)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
            stored += r.rows_affected();
        }
        let audit = audit.after(serde_json::json!({"month": month, "unit_id": unit_id, "snapshots": stored}));
        write_audit(&mut tx, &audit).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(stored)
    }

    async fn reopen_month(&self, month: &str, unit_id: Option<Id>, reason: &str, audit: Audit) -> Result<u64> {
        let mut tx = self.write.begin().await.map_err(db_err)?;
        let gone = sqlx::query("DELETE FROM month_locks WHERE month = $1 AND unit_id IS NOT DISTINCT FROM $2")
            .bind(month)
            .bind(unit_id)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        if gone.rows_affected() == 0 {
            return Err(StoreError::NotFound("month_lock"));
        }
        let now = ms(Timestamp::now());
        let released = sqlx::query(
            "UPDATE recap_snapshots SET reopened_at = $1
             WHERE month = $2 AND lock_unit_id IS NOT DISTINCT FROM $3 AND reopened_at IS NULL",
        )
        .bind(now)
        .bind(month)
        .bind(unit_id)
        .execute(&mut *tx)
        .await
        .map_err(db_err)?
        .rows_affected();
        sqlx::query(
            "INSERT INTO recap_reopens (month, unit_id, reason, reopened_at, reopened_by, snapshots)
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(month)
        .bind(unit_id)
        .bind(reason)
        .bind(now)
        .bind(&audit.actor_name)
        .bind(released as i64)
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
        let audit = audit
            .before(serde_json::json!({"month": month, "unit_id": unit_id, "locked": true}))
            .after(serde_json::json!({"month": month, "unit_id": unit_id, "locked": false, "reason": reason,
                "snapshots_released": released}));
        write_audit(&mut tx, &audit).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(released)
    }

    async fn month_locks(&self, month: &str) -> Result<Vec<MonthLock>> {
        let rows = sqlx::query(
            "SELECT m.month, m.unit_id, u.code AS unit_code, u.path AS unit_path, m.locked_at, m.locked_by
             FROM month_locks m LEFT JOIN units u ON u.id = m.unit_id
             WHERE m.month = $1 ORDER BY m.unit_id IS NOT NULL, length(u.path), u.path",
        )
        .bind(month)
        .fetch_all(&self.read)
        .await
        .map_err(db_err)?;
        Ok(rows
            .iter()
            .map(|r| MonthLock {
                month: r.get("month"),
                unit_id: r.get("unit_id"),
                unit_code: r.get("unit_code"),
                unit_path: r.get("unit_path"),
                locked_at: ts(r.get("locked_at")),
                locked_by: r.get("locked_by"),
            })
            .collect())
    }

    async fn recap_snapshots(&self, month: &str, unit_path: Option<&str>) -> Result<Vec<RecapSnapshot>> {
        let rows = sqlx::query(
            "SELECT s.id, s.month, s.employee_id, s.unit_id, s.lock_unit_id, s.data_json, s.rules_json,
                    s.inputs_hash, s.frozen_at, s.frozen_by
             FROM recap_snapshots s JOIN units u ON u.id = s.unit_id
             WHERE s.month = $1 AND s.reopened_at IS NULL
               AND ($2 IS NULL OR substr(u.path, 1, length($2)) = $2)
             ORDER BY s.employee_id",
        )
        .bind(month)
        .bind(unit_path)
        .fetch_all(&self.read)
        .await
        .map_err(db_err)?;
        Ok(rows.iter().map(snapshot_row).collect())
    }

    async fn list_reopens(&self, month: &str) -> Result<Vec<RecapReopen>> {
        let rows = sqlx::query(
            "SELECT r.month, r.unit_id, u.code AS unit_code, r.reason, r.reopened_at, r.reopened_by, r.snapshots
             FROM recap_reopens r LEFT JOIN units u ON u.id = r.unit_id
             WHERE r.month = $1 ORDER BY r.id",
        )
        .bind(month)
        .fetch_all(&self.read)
        .await
        .map_err(db_err)?;
        Ok(rows
            .iter()
            .map(|r| RecapReopen {
                month: r.get("month"),
                unit_id: r.get("unit_id"),
                unit_code: r.get("unit_code"),
                reason: r.get("reason"),
                reopened_at: ts(r.get("reopened_at")),
                reopened_by: r.get("reopened_by"),
                snapshots: r.get::<i64, _>("snapshots") as u64,
            })
            .collect())
    }
}
