//! What is SQLite's own in the shared store code (`crate::sql`): the sqlx types, error mapping,
//! SQL fragments, and the write paths that keep SQLite's row-by-row forms on its single writer.

use crate::sql::punches::{PUNCH_COLS, punch_row};
use crate::sql::{date_text, ms};
use hadir_store::chain::{GENESIS, link_hash};
use hadir_store::{DayRow, Id, NewPunch, Punch, PunchInsert, RecomputeJob, Result, StoreError};
use jiff::Timestamp;
use jiff::civil::Date;
use sqlx::{AssertSqlSafe, QueryBuilder};

pub(crate) type Db = sqlx::Sqlite;
pub(crate) type DbRow = sqlx::sqlite::SqliteRow;
pub(crate) type Conn = sqlx::SqliteConnection;

/// Maps sqlx errors, turning unique-constraint failures into `Conflict(column)`.
pub(crate) fn db_err(e: sqlx::Error) -> StoreError {
    match &e {
        sqlx::Error::RowNotFound => StoreError::NotFound("row"),
        sqlx::Error::Database(d) => {
            let msg = d.message();
            if let Some(rest) = msg.strip_prefix("UNIQUE constraint failed: ") {
                let col = rest.split(',').next().unwrap_or(rest).rsplit('.').next().unwrap_or(rest).trim();
                StoreError::Conflict(col.to_string())
            } else if msg.contains("FOREIGN KEY") {
                StoreError::Invalid("foreign key".into())
            } else {
                StoreError::Backend(msg.to_string())
            }
        }
        _ => StoreError::Backend(e.to_string()),
    }
}

/// Whether transactions take row locks: no, the one writer connection orders every write.
pub(crate) const ROW_LOCKS: bool = false;
/// No row locks: SQLite has one writer connection, so every write transaction is alone.
pub(crate) const FOR_UPDATE: &str = "";
/// The larger / smaller of two non-null values (SQLite's scalar `MAX`/`MIN`).
pub(crate) const GREATEST: &str = "MAX";
pub(crate) const LEAST: &str = "MIN";
/// Case-insensitive match: SQLite's `LIKE` already ignores ASCII case.
pub(crate) const ILIKE: &str = "LIKE";

pub(crate) fn for_update_of(_alias: &str) -> String {
    String::new()
}

/// ` IN (NULL, ?, …)` with one bind per id (after a column name; `NULL` keeps an empty list valid).
pub(crate) fn push_in_ids(qb: &mut QueryBuilder<Db>, ids: &[Id]) {
    qb.push(" IN (NULL");
    for id in ids {
        qb.push(", ").push_bind(*id);
    }
    qb.push(")");
}

/// Appends row by row on the single writer: the chain head is the last punch.
pub(crate) async fn insert_punches(store: &crate::SqliteStore, batch: &[NewPunch]) -> Result<Vec<PunchInsert>> {
    let mut tx = store.write.begin().await.map_err(db_err)?;
    let mut prev: String = sqlx::query_scalar("SELECT hash FROM punches ORDER BY id DESC LIMIT 1")
        .fetch_optional(&mut *tx)
        .await
        .map_err(db_err)?
        .unwrap_or_else(|| GENESIS.to_string());
    let mut out = Vec::with_capacity(batch.len());
    for p in batch {
        if let Some(r) = sqlx::query(AssertSqlSafe(format!("SELECT {PUNCH_COLS} FROM punches WHERE dedup_key = $1")))
            .bind(&p.dedup_key)
            .fetch_optional(&mut *tx)
            .await
            .map_err(db_err)?
        {
            out.push(PunchInsert::Duplicate(punch_row(&r)));
            continue;
        }
        // One writer: a photo stored earlier (or earlier in this batch) is visible here.
        if let Some(h) = p.photo_hash.as_ref().filter(|_| p.photo_must_be_unique())
            && let Some(r) =
                sqlx::query(AssertSqlSafe(format!("SELECT {PUNCH_COLS} FROM punches WHERE photo_hash = $1 LIMIT 1")))
                    .bind(h)
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(db_err)?
        {
            out.push(PunchInsert::PhotoReused(punch_row(&r)));
            continue;
        }
        let hash = link_hash(&prev, p);
        let id: Id = sqlx::query_scalar(
            "INSERT INTO punches (employee_id, source, dedup_key, punched_at, received_at, captured_at, device_sn,
             device_pin, lat, lon, accuracy_m, distance_m, location_name, photo_hash, note, review, review_detail,
             status, verify, quarantined, response, prev_hash, hash, hold)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
        )
        .bind(p.employee_id)
        .bind(p.source.as_str())
        .bind(&p.dedup_key)
        .bind(ms(p.punched_at))
        .bind(ms(p.received_at))
        .bind(p.captured_at.map(ms))
        .bind(&p.device_sn)
        .bind(&p.device_pin)
        .bind(p.lat)
        .bind(p.lon)
        .bind(p.accuracy_m)
        .bind(p.distance_m)
        .bind(&p.location_name)
        .bind(&p.photo_hash)
        .bind(&p.note)
        .bind(&p.review)
        .bind(&p.review_detail)
        .bind(p.status)
        .bind(p.verify)
        .bind(p.quarantined as i64)
        .bind(&p.response)
        .bind(&prev)
        .bind(&hash)
        .bind(p.hold.map(|h| h.as_str()))
        .fetch_one(&mut *tx)
        .await
        .map_err(db_err)?;
        out.push(PunchInsert::Inserted(Punch {
            id,
            p: p.clone(),
            prev_hash: prev.clone(),
            hash: hash.clone(),
            decision: None,
            photo_purged_at: None,
            position_purged_at: None,
        }));
        prev = hash;
    }
    tx.commit().await.map_err(db_err)?;
    Ok(out)
}

/// Claims due recompute jobs (one writer: no other claimant can interleave).
pub(crate) const CLAIM_RECOMPUTE: &str = "UPDATE recompute_queue SET claimed_until = $1
     WHERE (employee_id, date) IN (
        SELECT employee_id, date FROM recompute_queue
        WHERE claimed_until IS NULL OR claimed_until < $2 ORDER BY enqueued_at LIMIT $3)
     RETURNING employee_id, date, seq";

/// Rows per multi-row enqueue statement (four binds a row).
pub(crate) const ENQUEUE_CHUNK: usize = 200;

/// SQLite upserts a repeated pair twice in one statement: items go in as given.
pub(crate) fn enqueue_items(items: &[(Id, Date)]) -> Vec<(Id, Date)> {
    items.to_vec()
}

/// `WITH RECURSIVE d(x) AS (…)`: the dates `from..=to` as text, generated by SQLite.
pub(crate) fn push_dates_cte(qb: &mut QueryBuilder<Db>, from: Date, to: Date) {
    qb.push("WITH RECURSIVE d(x) AS (SELECT ")
        .push_bind(date_text(from))
        .push(" UNION ALL SELECT date(x, '+1 day') FROM d WHERE x < ")
        .push_bind(date_text(to))
        .push(")");
}

pub(crate) async fn upsert_day_records(store: &crate::SqliteStore, rows: &[DayRow]) -> Result<u64> {
    let now = ms(Timestamp::now());
    let mut tx = store.write.begin().await.map_err(db_err)?;
    let mut changed = 0;
    for r in rows {
        changed += sqlx::query(
            "INSERT INTO day_records (employee_id, date, status, closed, deduction, record_json, record_hash, computed_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
             ON CONFLICT(employee_id, date) DO UPDATE SET status = excluded.status, closed = excluded.closed,
               deduction = excluded.deduction, record_json = excluded.record_json,
               record_hash = excluded.record_hash, computed_at = excluded.computed_at
             WHERE day_records.record_hash <> excluded.record_hash",
        )
        .bind(r.employee_id)
        .bind(date_text(r.record.date))
        .bind(r.record.status.code())
        .bind(r.record.closed as i64)
        .bind(i64::from(r.record.deduction.hundredths()))
        .bind(&r.json)
        .bind(&r.hash)
        .bind(now)
        .execute(&mut *tx)
        .await
        .map_err(db_err)?
        .rows_affected();
    }
    tx.commit().await.map_err(db_err)?;
    Ok(changed)
}

pub(crate) async fn finish_recompute(store: &crate::SqliteStore, jobs: &[RecomputeJob]) -> Result<()> {
    let mut tx = store.write.begin().await.map_err(db_err)?;
    for j in jobs {
        sqlx::query("DELETE FROM recompute_queue WHERE employee_id = $1 AND date = $2 AND seq = $3")
            .bind(j.employee_id)
            .bind(date_text(j.date))
            .bind(j.seq)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
    }
    tx.commit().await.map_err(db_err)?;
    Ok(())
}

/// Nothing to take: the single writer already serialises the count and the insert.
pub(crate) async fn lock_pending(_conn: &mut Conn) -> Result<()> {
    Ok(())
}

/// Queues commands for one terminal, one insert each, and returns their ids in order.
pub(crate) async fn insert_commands(conn: &mut Conn, dev: Id, commands: &[String], now: i64) -> Result<Vec<Id>> {
    let mut ids = Vec::with_capacity(commands.len());
    for c in commands {
        let id: Id = sqlx::query_scalar(
            "INSERT INTO device_commands (device_id, command, state, created_at) VALUES ($1, $2, 'queued', $3)
             RETURNING id",
        )
        .bind(dev)
        .bind(c)
        .bind(now)
        .fetch_one(&mut *conn)
        .await
        .map_err(db_err)?;
        ids.push(id);
    }
    Ok(ids)
}
