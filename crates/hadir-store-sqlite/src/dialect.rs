//! What is SQLite's own in the shared store code (`crate::sql`): the sqlx types, error mapping,
//! SQL fragments, and the write paths that keep SQLite's row-by-row forms on its single writer.

use crate::sql::punches::{PUNCH_COLS, punch_row};
use crate::sql::{date_text, ms};
use hadir_store::chain::{GENESIS, link_hash};
use hadir_store::{DayRow, Id, NewPunch, Punch, PunchInsert, RecomputeJob, Result, StoreError};
use jiff::Timestamp;
use jiff::civil::Date;
use sqlx::{AssertSqlSafe, QueryBuilder, Row};
use std::collections::HashMap;

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

/// How the check-in's bounded read orders a person's punches by time: by the column, which the
/// `(employee_id, punched_at)` index gives in order (see the PostgreSQL dialect for why not there).
pub(crate) const CHECKIN_ORDER_AT: &str = "punched_at";

/// `lo <= punched_at < hi` for the check-in's bounded read (after `employee_id = <employee>`):
/// SQLite takes the range on the `(employee_id, punched_at)` index by itself.
pub(crate) fn checkin_range(_employee: &str, lo: &str, hi: &str) -> String {
    format!("punched_at >= {lo} AND punched_at < {hi}")
}

/// ` IN (NULL, ?, …)` with one bind per id (after a column name; `NULL` keeps an empty list valid).
pub(crate) fn push_in_ids(qb: &mut QueryBuilder<Db>, ids: &[Id]) {
    qb.push(" IN (NULL");
    for id in ids {
        qb.push(", ").push_bind(*id);
    }
    qb.push(")");
}

/// Rows per multi-row punch insert, largest first: a batch goes in as a few statements of these
/// fixed sizes (24 binds a row), so the writer connection caches three statements, not one per
/// batch size.
const INSERT_CHUNKS: [usize; 3] = [32, 8, 1];

/// Where a punch of the batch ends up before the new ones have ids.
enum Slot {
    Known(Box<PunchInsert>),
    /// The `n`th new punch.
    New(usize),
    /// The same key as the `n`th new punch, earlier in this batch.
    DuplicateOfNew(usize),
    /// The same photo as the `n`th new punch, earlier in this batch.
    PhotoOfNew(usize),
}

/// Appends a batch on the single writer in a handful of statements, whatever its size: one
/// read of the chain head, one of the keys already stored, one of the photos already stored
/// (each a bound JSON array expanded by `json_each`, so the statement text never changes), then
/// multi-row inserts. Each statement is a round trip to sqlx's connection thread; row by row,
/// those hand-offs were most of the writer's cost under a rush (BENCHMARKS.md).
pub(crate) async fn insert_punches(store: &crate::SqliteStore, batch: &[NewPunch]) -> Result<Vec<PunchInsert>> {
    if batch.is_empty() {
        return Ok(Vec::new());
    }
    let mut tx = store.write.begin().await.map_err(db_err)?;
    let mut prev: String = sqlx::query_scalar("SELECT hash FROM punches ORDER BY id DESC LIMIT 1")
        .fetch_optional(&mut *tx)
        .await
        .map_err(db_err)?
        .unwrap_or_else(|| GENESIS.to_string());
    let keys: Vec<&str> = batch.iter().map(|p| p.dedup_key.as_str()).collect();
    let stored: HashMap<String, Punch> = sqlx::query(AssertSqlSafe(format!(
        "SELECT {PUNCH_COLS} FROM punches WHERE dedup_key IN (SELECT value FROM json_each($1))"
    )))
    .bind(json_array(&keys))
    .fetch_all(&mut *tx)
    .await
    .map_err(db_err)?
    .iter()
    .map(punch_row)
    .map(|p| (p.p.dedup_key.clone(), p))
    .collect();
    let hashes: Vec<&str> =
        batch.iter().filter(|p| p.photo_must_be_unique()).filter_map(|p| p.photo_hash.as_deref()).collect();
    let mut stored_photos: HashMap<String, Punch> = HashMap::new();
    if !hashes.is_empty() {
        // `IS NOT NULL` lets the partial photo index serve the lookup.
        let rows = sqlx::query(AssertSqlSafe(format!(
            "SELECT {PUNCH_COLS} FROM punches
             WHERE photo_hash IN (SELECT value FROM json_each($1)) AND photo_hash IS NOT NULL ORDER BY id"
        )))
        .bind(json_array(&hashes))
        .fetch_all(&mut *tx)
        .await
        .map_err(db_err)?;
        for p in rows.iter().map(punch_row) {
            if let Some(h) = p.p.photo_hash.clone() {
                stored_photos.entry(h).or_insert(p);
            }
        }
    }
    // Decide each punch in batch order, as row-by-row inserts would: a key or photo met earlier
    // in this batch counts as stored.
    let mut slots = Vec::with_capacity(batch.len());
    let mut fresh: Vec<Punch> = Vec::new();
    let mut new_keys: HashMap<&str, usize> = HashMap::new();
    let mut new_photos: HashMap<&str, usize> = HashMap::new();
    for p in batch {
        if let Some(k) = stored.get(&p.dedup_key) {
            slots.push(Slot::Known(Box::new(PunchInsert::Duplicate(k.clone()))));
            continue;
        }
        if let Some(&n) = new_keys.get(p.dedup_key.as_str()) {
            slots.push(Slot::DuplicateOfNew(n));
            continue;
        }
        if let Some(h) = p.photo_hash.as_deref().filter(|_| p.photo_must_be_unique()) {
            if let Some(k) = stored_photos.get(h) {
                slots.push(Slot::Known(Box::new(PunchInsert::PhotoReused(k.clone()))));
                continue;
            }
            if let Some(&n) = new_photos.get(h) {
                slots.push(Slot::PhotoOfNew(n));
                continue;
            }
        }
        let hash = link_hash(&prev, p);
        let n = fresh.len();
        new_keys.insert(p.dedup_key.as_str(), n);
        if let Some(h) = p.photo_hash.as_deref() {
            new_photos.entry(h).or_insert(n);
        }
        fresh.push(Punch {
            id: 0,
            p: p.clone(),
            prev_hash: std::mem::replace(&mut prev, hash.clone()),
            hash,
            decision: None,
            photo_purged_at: None,
            position_purged_at: None,
        });
        slots.push(Slot::New(n));
    }
    insert_rows(&mut tx, &mut fresh).await?;
    tx.commit().await.map_err(db_err)?;
    Ok(slots
        .into_iter()
        .map(|s| match s {
            Slot::Known(r) => *r,
            Slot::New(n) => PunchInsert::Inserted(fresh[n].clone()),
            Slot::DuplicateOfNew(n) => PunchInsert::Duplicate(fresh[n].clone()),
            Slot::PhotoOfNew(n) => PunchInsert::PhotoReused(fresh[n].clone()),
        })
        .collect())
}

/// A JSON array of strings, for `json_each`.
fn json_array(items: &[&str]) -> String {
    serde_json::to_string(items).unwrap_or_else(|_| "[]".into())
}

/// Inserts `ps` in order, in chunks of [`INSERT_CHUNKS`] rows, and sets their ids. Rows of one
/// statement get rowids in the order of its VALUES (one writer), so ids follow the chain; each
/// id is matched to its punch by the unique key all the same.
async fn insert_rows(conn: &mut Conn, ps: &mut [Punch]) -> Result<()> {
    let mut at = 0;
    while at < ps.len() {
        let size = INSERT_CHUNKS.into_iter().find(|&c| c <= ps.len() - at).unwrap_or(1);
        let chunk = &mut ps[at..at + size];
        let mut qb: QueryBuilder<Db> = QueryBuilder::new(
            "INSERT INTO punches (employee_id, source, dedup_key, punched_at, received_at, captured_at, device_sn,
             device_pin, lat, lon, accuracy_m, distance_m, location_name, photo_hash, note, review, review_detail,
             status, verify, quarantined, response, prev_hash, hash, hold) ",
        );
        qb.push_values(chunk.iter(), |mut b, x| {
            let p = &x.p;
            b.push_bind(p.employee_id)
                .push_bind(p.source.as_str())
                .push_bind(p.dedup_key.clone())
                .push_bind(ms(p.punched_at))
                .push_bind(ms(p.received_at))
                .push_bind(p.captured_at.map(ms))
                .push_bind(p.device_sn.clone())
                .push_bind(p.device_pin.clone())
                .push_bind(p.lat)
                .push_bind(p.lon)
                .push_bind(p.accuracy_m)
                .push_bind(p.distance_m)
                .push_bind(p.location_name.clone())
                .push_bind(p.photo_hash.clone())
                .push_bind(p.note.clone())
                .push_bind(p.review.clone())
                .push_bind(p.review_detail.clone())
                .push_bind(p.status)
                .push_bind(p.verify)
                .push_bind(p.quarantined as i64)
                .push_bind(p.response.clone())
                .push_bind(x.prev_hash.clone())
                .push_bind(x.hash.clone())
                .push_bind(p.hold.map(|h| h.as_str()));
        });
        qb.push(" RETURNING id, dedup_key");
        let ids: HashMap<String, Id> = qb
            .build()
            .fetch_all(&mut *conn)
            .await
            .map_err(db_err)?
            .iter()
            .map(|r| (r.get::<String, _>(1), r.get::<Id, _>(0)))
            .collect();
        for x in chunk.iter_mut() {
            x.id = *ids
                .get(&x.p.dedup_key)
                .ok_or_else(|| StoreError::Backend("an inserted punch returned no id".into()))?;
        }
        at += size;
    }
    Ok(())
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

/// One statement for the batch: the rows go in as one bound JSON array (`json_each`), so the
/// statement text never changes. A pair given twice is upserted twice, in order: the last wins.
pub(crate) async fn upsert_day_records(store: &crate::SqliteStore, rows: &[DayRow]) -> Result<u64> {
    if rows.is_empty() {
        return Ok(0);
    }
    let items: Vec<serde_json::Value> = rows
        .iter()
        .map(|r| {
            serde_json::json!([
                r.employee_id,
                date_text(r.record.date),
                r.record.status.code(),
                r.record.closed as i64,
                i64::from(r.record.deduction.hundredths()),
                r.json,
                r.hash
            ])
        })
        .collect();
    // `WHERE true` tells SQLite's parser the ON CONFLICT belongs to the INSERT.
    let changed = sqlx::query(
        "INSERT INTO day_records (employee_id, date, status, closed, deduction, record_json, record_hash, computed_at)
         SELECT value->>0, value->>1, value->>2, value->>3, value->>4, value->>5, value->>6, $2
         FROM json_each($1) WHERE true
         ON CONFLICT(employee_id, date) DO UPDATE SET status = excluded.status, closed = excluded.closed,
           deduction = excluded.deduction, record_json = excluded.record_json,
           record_hash = excluded.record_hash, computed_at = excluded.computed_at
         WHERE day_records.record_hash <> excluded.record_hash",
    )
    .bind(serde_json::Value::Array(items).to_string())
    .bind(ms(Timestamp::now()))
    .execute(&store.write)
    .await
    .map_err(db_err)?
    .rows_affected();
    Ok(changed)
}

/// One statement for the batch (the jobs as a bound JSON array).
pub(crate) async fn finish_recompute(store: &crate::SqliteStore, jobs: &[RecomputeJob]) -> Result<()> {
    if jobs.is_empty() {
        return Ok(());
    }
    let items: Vec<serde_json::Value> =
        jobs.iter().map(|j| serde_json::json!([j.employee_id, date_text(j.date), j.seq])).collect();
    sqlx::query(
        "DELETE FROM recompute_queue
         WHERE (employee_id, date, seq) IN (SELECT value->>0, value->>1, value->>2 FROM json_each($1))",
    )
    .bind(serde_json::Value::Array(items).to_string())
    .execute(&store.write)
    .await
    .map_err(db_err)?;
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
