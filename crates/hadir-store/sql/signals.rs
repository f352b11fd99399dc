//! Fraud signals (issue 23): the analyser's marker, its batch write, prints and the BKD's counts.

use super::punches::{PUNCH_COLS, punch_row};
use super::{Db, Store, db_err, ms, ts};
use async_trait::async_trait;
use hadir_store::*;
use sqlx::{AssertSqlSafe, QueryBuilder, Row};

const SIGNAL_COLS: &str =
    "id, punch_id, employee_id, kind, detail, score, created_at, decision, decided_by, decided_at";

fn punch_device_row(r: &super::DbRow) -> PunchDevice {
    PunchDevice {
        punch_id: r.get("punch_id"),
        employee_id: r.get("employee_id"),
        key_id: r.get("key_id"),
        day: r.get("day"),
        verified: r.get::<bool, _>("verified"),
    }
}

fn signal_row(r: &super::DbRow) -> Signal {
    Signal {
        id: r.get("id"),
        s: NewSignal {
            punch_id: r.get("punch_id"),
            employee_id: r.get("employee_id"),
            kind: r.get("kind"),
            detail: r.get("detail"),
            score: r.get("score"),
        },
        created_at: ts(r.get("created_at")),
        decision: r.get("decision"),
        decided_by: r.get("decided_by"),
        decided_at: r.get::<Option<i64>, _>("decided_at").map(ts),
    }
}

const KEY_COLS: &str = "id, employee_id, key_id, public_key, state, created_at, decided_by, decided_at";

fn key_row(r: &super::DbRow) -> DeviceKey {
    DeviceKey {
        id: r.get("id"),
        employee_id: r.get("employee_id"),
        key_id: r.get("key_id"),
        public_key: r.get("public_key"),
        state: r.get("state"),
        created_at: ts(r.get("created_at")),
        decided_by: r.get("decided_by"),
        decided_at: r.get::<Option<i64>, _>("decided_at").map(ts),
    }
}

const FACE_COLS: &str =
    "employee_id, model, embedding, source, punch_id, enrolled_by_account, enrolled_by, enrolled_at";

fn face_row(r: &super::DbRow) -> ReferenceFace {
    ReferenceFace {
        employee_id: r.get("employee_id"),
        model: r.get("model"),
        embedding: r.get("embedding"),
        source: r.get("source"),
        punch_id: r.get("punch_id"),
        enrolled_by_account: r.get("enrolled_by_account"),
        enrolled_by: r.get("enrolled_by"),
        enrolled_at: ts(r.get("enrolled_at")),
    }
}

/// What an audit record says of a reference face (never the embedding).
fn face_summary(f: &ReferenceFace) -> serde_json::Value {
    serde_json::json!({"source": f.source, "punch_id": f.punch_id, "model": f.model})
}

#[async_trait]
impl SignalStore for Store {
    async fn set_reference_face(&self, f: &ReferenceFace, audit: Audit) -> Result<ReferenceFace> {
        let mut tx = self.write.begin().await.map_err(db_err)?;
        let before =
            sqlx::query(AssertSqlSafe(format!("SELECT {FACE_COLS} FROM reference_faces WHERE employee_id = $1")))
                .bind(f.employee_id)
                .fetch_optional(&mut *tx)
                .await
                .map_err(db_err)?
                .map(|r| face_row(&r));
        let r = sqlx::query(AssertSqlSafe(format!(
            "INSERT INTO reference_faces ({FACE_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
             ON CONFLICT (employee_id) DO UPDATE SET model = excluded.model, embedding = excluded.embedding,
             source = excluded.source, punch_id = excluded.punch_id, enrolled_by_account = excluded.enrolled_by_account,
             enrolled_by = excluded.enrolled_by, enrolled_at = excluded.enrolled_at
             RETURNING {FACE_COLS}"
        )))
        .bind(f.employee_id)
        .bind(&f.model)
        .bind(&f.embedding)
        .bind(&f.source)
        .bind(f.punch_id)
        .bind(f.enrolled_by_account)
        .bind(&f.enrolled_by)
        .bind(ms(f.enrolled_at))
        .fetch_one(&mut *tx)
        .await
        .map_err(db_err)?;
        let stored = face_row(&r);
        let mut audit = audit.after(face_summary(&stored));
        if let Some(b) = &before {
            audit = audit.before(face_summary(b));
        }
        super::audit::write_audit(&mut tx, &audit).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(stored)
    }

    async fn reference_face(&self, employee_id: Id) -> Result<Option<ReferenceFace>> {
        let r = sqlx::query(AssertSqlSafe(format!("SELECT {FACE_COLS} FROM reference_faces WHERE employee_id = $1")))
            .bind(employee_id)
            .fetch_optional(&self.read)
            .await
            .map_err(db_err)?;
        Ok(r.as_ref().map(face_row))
    }

    async fn reference_faces_of(&self, employee_ids: &[Id]) -> Result<Vec<ReferenceFace>> {
        let mut qb = QueryBuilder::<Db>::new(format!("SELECT {FACE_COLS} FROM reference_faces WHERE employee_id"));
        crate::dialect::push_in_ids(&mut qb, employee_ids);
        let rows = qb.build().fetch_all(&self.read).await.map_err(db_err)?;
        Ok(rows.iter().map(face_row).collect())
    }

    async fn remove_reference_face(&self, employee_id: Id, audit: Audit) -> Result<bool> {
        let mut tx = self.write.begin().await.map_err(db_err)?;
        let r = sqlx::query(AssertSqlSafe(format!(
            "DELETE FROM reference_faces WHERE employee_id = $1 RETURNING {FACE_COLS}"
        )))
        .bind(employee_id)
        .fetch_optional(&mut *tx)
        .await
        .map_err(db_err)?;
        let Some(before) = r.as_ref().map(face_row) else {
            return Ok(false);
        };
        super::audit::write_audit(&mut tx, &audit.before(face_summary(&before))).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(true)
    }

    async fn purge_ended_reference_faces(&self, timezone: &str, ended_before: &str, limit: u32) -> Result<u64> {
        let mut tx = self.write.begin().await.map_err(db_err)?;
        let rows = sqlx::query(
            "SELECT f.employee_id, f.model, f.embedding, f.source, f.punch_id, f.enrolled_by_account, f.enrolled_by,
                    f.enrolled_at, e.end_date
             FROM reference_faces f JOIN employees e ON e.id = f.employee_id JOIN units u ON u.id = e.unit_id
             WHERE u.timezone = $1 AND e.end_date IS NOT NULL AND e.end_date < $2
             ORDER BY f.employee_id LIMIT $3",
        )
        .bind(timezone)
        .bind(ended_before)
        .bind(limit as i64)
        .fetch_all(&mut *tx)
        .await
        .map_err(db_err)?;
        for r in &rows {
            let face = face_row(r);
            let end_date: String = r.get("end_date");
            sqlx::query("DELETE FROM reference_faces WHERE employee_id = $1")
                .bind(face.employee_id)
                .execute(&mut *tx)
                .await
                .map_err(db_err)?;
            let audit =
                Audit::new((None, "sistem retensi"), "purge_reference_face", "employee", &face.employee_id.to_string())
                    .before(face_summary(&face))
                    .after(serde_json::json!({"reason": "employment_ended", "end_date": end_date}));
            super::audit::write_audit(&mut tx, &audit).await?;
        }
        tx.commit().await.map_err(db_err)?;
        Ok(rows.len() as u64)
    }

    async fn register_device_key(
        &self,
        employee_id: Id,
        key_id: &str,
        public_key: &[u8],
        at: jiff::Timestamp,
    ) -> Result<DeviceKey> {
        let mut tx = self.write.begin().await.map_err(db_err)?;
        if crate::dialect::ROW_LOCKS {
            // Not FOR UPDATE: that would block punch inserts' foreign-key checks on this employee.
            sqlx::query("SELECT id FROM employees WHERE id = $1 FOR NO KEY UPDATE")
                .bind(employee_id)
                .fetch_optional(&mut *tx)
                .await
                .map_err(db_err)?;
        }
        let existing = sqlx::query(AssertSqlSafe(format!(
            "SELECT {KEY_COLS} FROM device_keys WHERE employee_id = $1 AND key_id = $2"
        )))
        .bind(employee_id)
        .bind(key_id)
        .fetch_optional(&mut *tx)
        .await
        .map_err(db_err)?;
        if let Some(r) = existing {
            return Ok(key_row(&r));
        }
        let any: Option<i64> = sqlx::query_scalar("SELECT id FROM device_keys WHERE employee_id = $1 LIMIT 1")
            .bind(employee_id)
            .fetch_optional(&mut *tx)
            .await
            .map_err(db_err)?;
        let state = if any.is_none() { "trusted" } else { "pending" };
        let r = sqlx::query(AssertSqlSafe(format!(
            "INSERT INTO device_keys (employee_id, key_id, public_key, state, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING {KEY_COLS}"
        )))
        .bind(employee_id)
        .bind(key_id)
        .bind(public_key)
        .bind(state)
        .bind(ms(at))
        .fetch_one(&mut *tx)
        .await
        .map_err(db_err)?;
        tx.commit().await.map_err(db_err)?;
        Ok(key_row(&r))
    }

    async fn device_keys_by_key(&self, key_ids: &[String]) -> Result<Vec<DeviceKey>> {
        let mut qb = QueryBuilder::<Db>::new(format!("SELECT {KEY_COLS} FROM device_keys WHERE key_id IN (NULL"));
        for k in key_ids {
            qb.push(", ").push_bind(k.clone());
        }
        qb.push(") ORDER BY id");
        let rows = qb.build().fetch_all(&self.read).await.map_err(db_err)?;
        Ok(rows.iter().map(key_row).collect())
    }

    async fn device_key(&self, id: Id) -> Result<DeviceKey> {
        let r = sqlx::query(AssertSqlSafe(format!("SELECT {KEY_COLS} FROM device_keys WHERE id = $1")))
            .bind(id)
            .fetch_one(&self.read)
            .await
            .map_err(super::not_found("device key"))?;
        Ok(key_row(&r))
    }

    async fn list_device_keys(&self, state: &str, subtrees: Option<&[String]>) -> Result<Vec<DeviceKey>> {
        let mut qb = QueryBuilder::<Db>::new(
            "SELECT k.id, k.employee_id, k.key_id, k.public_key, k.state, k.created_at, k.decided_by, k.decided_at
             FROM device_keys k JOIN employees e ON e.id = k.employee_id JOIN units u ON u.id = e.unit_id WHERE k.state = ",
        );
        qb.push_bind(state.to_string());
        if let Some(paths) = subtrees {
            qb.push(" AND (FALSE");
            for path in paths {
                qb.push(" OR u.path LIKE ").push_bind(format!("{path}%"));
            }
            qb.push(")");
        }
        qb.push(" ORDER BY k.id LIMIT 1000");
        let rows = qb.build().fetch_all(&self.read).await.map_err(db_err)?;
        Ok(rows.iter().map(key_row).collect())
    }

    async fn decide_device_key(
        &self,
        id: Id,
        accept: bool,
        by: &str,
        at: jiff::Timestamp,
        audit: Audit,
    ) -> Result<Option<DeviceKey>> {
        let state = if accept { "accepted" } else { "rejected" };
        let mut tx = self.write.begin().await.map_err(db_err)?;
        let r = sqlx::query(AssertSqlSafe(format!(
            "UPDATE device_keys SET state = $1, decided_by = $2, decided_at = $3 WHERE id = $4 AND state = 'pending' RETURNING {KEY_COLS}"
        )))
        .bind(state)
        .bind(by)
        .bind(ms(at))
        .bind(id)
        .fetch_optional(&mut *tx)
        .await
        .map_err(db_err)?;
        let Some(k) = r.as_ref().map(key_row) else {
            return Ok(None);
        };
        // The key's id is long: its first 12 hex digits name the phone for a reader (shown as added).
        let device = k.key_id.chars().take(12).collect::<String>();
        let audit = audit
            .before(serde_json::json!({"state": "pending"}))
            .after(serde_json::json!({"device": device, "state": state}));
        super::audit::write_audit(&mut tx, &audit).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(Some(k))
    }

    async fn punch_devices_of(&self, key_ids: &[String]) -> Result<Vec<PunchDevice>> {
        let mut qb = QueryBuilder::<Db>::new(
            "SELECT punch_id, employee_id, key_id, day, verified FROM punch_devices WHERE key_id IN (NULL",
        );
        for k in key_ids {
            qb.push(", ").push_bind(k.clone());
        }
        qb.push(") ORDER BY punch_id DESC LIMIT 1000");
        let rows = qb.build().fetch_all(&self.read).await.map_err(db_err)?;
        Ok(rows.iter().map(punch_device_row).collect())
    }

    async fn punch_devices_on(&self, key_ids: &[String], days: &[String]) -> Result<Vec<PunchDevice>> {
        let mut qb = QueryBuilder::<Db>::new(
            "SELECT punch_id, employee_id, key_id, day, verified FROM punch_devices WHERE key_id IN (NULL",
        );
        for k in key_ids {
            qb.push(", ").push_bind(k.clone());
        }
        qb.push(") AND day IN (NULL");
        for d in days {
            qb.push(", ").push_bind(d.clone());
        }
        qb.push(") ORDER BY punch_id");
        let rows = qb.build().fetch_all(&self.read).await.map_err(db_err)?;
        Ok(rows.iter().map(punch_device_row).collect())
    }

    async fn signal_cursor(&self) -> Result<Id> {
        sqlx::query_scalar("SELECT last_punch_id FROM signal_cursor WHERE name = 'analyser'")
            .fetch_optional(&self.read)
            .await
            .map_err(db_err)
            .map(|v: Option<i64>| v.unwrap_or(0))
    }

    async fn punches_after(&self, after: Id, limit: u32) -> Result<Vec<Punch>> {
        let rows =
            sqlx::query(AssertSqlSafe(format!("SELECT {PUNCH_COLS} FROM punches WHERE id > $1 ORDER BY id LIMIT $2")))
                .bind(after)
                .bind(i64::from(limit))
                .fetch_all(&self.read)
                .await
                .map_err(db_err)?;
        Ok(rows.iter().map(punch_row).collect())
    }

    async fn record_analysis(&self, a: &Analysis) -> Result<Option<Vec<Punch>>> {
        let at = ms(a.at.unwrap_or_else(jiff::Timestamp::now));
        let mut tx = self.write.begin().await.map_err(db_err)?;
        // The marker first: on PostgreSQL this row lock makes a second instance with the same
        // batch wait, then find the marker moved and write nothing.
        let moved =
            sqlx::query("UPDATE signal_cursor SET last_punch_id = $1 WHERE name = 'analyser' AND last_punch_id = $2")
                .bind(a.to)
                .bind(a.from)
                .execute(&mut *tx)
                .await
                .map_err(db_err)?
                .rows_affected();
        if moved == 0 {
            tx.rollback().await.map_err(db_err)?;
            return Ok(None);
        }
        for s in &a.signals {
            sqlx::query(
                "INSERT INTO punch_signals (punch_id, employee_id, kind, detail, score, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(s.punch_id)
            .bind(s.employee_id)
            .bind(&s.kind)
            .bind(&s.detail)
            .bind(s.score)
            .bind(at)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        }
        for p in &a.prints {
            sqlx::query("INSERT INTO photo_prints (punch_id, employee_id, dhash) VALUES ($1, $2, $3)")
                .bind(p.punch_id)
                .bind(p.employee_id)
                .bind(p.dhash as i64)
                .execute(&mut *tx)
                .await
                .map_err(db_err)?;
        }
        for d in &a.devices {
            sqlx::query(
                "INSERT INTO punch_devices (punch_id, employee_id, key_id, day, verified) VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(d.punch_id)
            .bind(d.employee_id)
            .bind(&d.key_id)
            .bind(&d.day)
            .bind(d.verified)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        }
        let mut held = Vec::new();
        for (id, reason) in &a.reasons {
            if !a.hold {
                break;
            }
            let row = sqlx::query(AssertSqlSafe(format!(
                "UPDATE punches SET hold = 'pending', review = 'signal', review_detail = $2
                 WHERE id = $1 AND hold IS NULL AND NOT quarantined RETURNING {PUNCH_COLS}"
            )))
            .bind(id)
            .bind(reason)
            .fetch_optional(&mut *tx)
            .await
            .map_err(db_err)?;
            match row {
                Some(r) => held.push(punch_row(&r)),
                None => {
                    // Already waiting for another reason: the employee sees this one too.
                    sqlx::query(
                        "UPDATE punches SET review_detail = CASE WHEN review_detail IS NULL THEN $2
                             ELSE review_detail || ' · ' || $2 END
                         WHERE id = $1 AND hold = 'pending'",
                    )
                    .bind(id)
                    .bind(reason)
                    .execute(&mut *tx)
                    .await
                    .map_err(db_err)?;
                }
            }
        }
        tx.commit().await.map_err(db_err)?;
        Ok(Some(held))
    }

    async fn photo_prints_after(&self, after: Id) -> Result<Vec<PhotoPrint>> {
        let rows =
            sqlx::query("SELECT punch_id, employee_id, dhash FROM photo_prints WHERE punch_id > $1 ORDER BY punch_id")
                .bind(after)
                .fetch_all(&self.read)
                .await
                .map_err(db_err)?;
        Ok(rows
            .iter()
            .map(|r| PhotoPrint {
                punch_id: r.get("punch_id"),
                employee_id: r.get("employee_id"),
                dhash: r.get::<i64, _>("dhash") as u64,
            })
            .collect())
    }

    async fn signals_of(&self, punch_ids: &[Id]) -> Result<Vec<Signal>> {
        let mut out = Vec::new();
        for chunk in punch_ids.chunks(500) {
            let mut qb = QueryBuilder::<Db>::new(format!("SELECT {SIGNAL_COLS} FROM punch_signals WHERE punch_id"));
            crate::dialect::push_in_ids(&mut qb, chunk);
            qb.push(" ORDER BY punch_id, id");
            let rows = qb.build().fetch_all(&self.read).await.map_err(db_err)?;
            out.extend(rows.iter().map(signal_row));
        }
        Ok(out)
    }

    async fn signal_backlog(&self) -> Result<(Id, i64)> {
        let cursor = self.signal_cursor().await?;
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM punches WHERE id > $1")
            .bind(cursor)
            .fetch_one(&self.read)
            .await
            .map_err(db_err)?;
        Ok((cursor, n))
    }

    async fn signal_counts(
        &self,
        subtrees: Option<&[String]>,
        from: jiff::Timestamp,
        to: jiff::Timestamp,
    ) -> Result<Vec<SignalCount>> {
        let mut qb = QueryBuilder::<Db>::new(
            "SELECT u.code AS unit_code, u.name AS unit_name, s.kind, s.decision, s.decided_by, COUNT(*) AS n
             FROM punch_signals s JOIN punches p ON p.id = s.punch_id
             JOIN employees e ON e.id = p.employee_id JOIN units u ON u.id = e.unit_id
             WHERE p.punched_at >= ",
        );
        qb.push_bind(ms(from)).push(" AND p.punched_at < ").push_bind(ms(to));
        if let Some(paths) = subtrees {
            qb.push(" AND (FALSE");
            for path in paths {
                qb.push(" OR u.path LIKE ").push_bind(format!("{path}%"));
            }
            qb.push(")");
        }
        qb.push(" GROUP BY u.code, u.name, s.kind, s.decision, s.decided_by ORDER BY u.code, s.kind, s.decision");
        let rows = qb.build().fetch_all(&self.read).await.map_err(db_err)?;
        Ok(rows
            .iter()
            .map(|r| SignalCount {
                unit_code: r.get("unit_code"),
                unit_name: r.get("unit_name"),
                kind: r.get("kind"),
                decision: r.get("decision"),
                decided_by: r.get("decided_by"),
                count: r.get("n"),
            })
            .collect())
    }
}
