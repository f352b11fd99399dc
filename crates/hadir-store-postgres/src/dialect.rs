//! What is PostgreSQL's own in the shared store code (`crate::sql`): the sqlx types, error
//! mapping, SQL fragments, and the write paths that take PostgreSQL's batch and lock forms.

use crate::sql::punches::{PUNCH_COLS, punch_row};
use crate::sql::{date_text, ms};
use hadir_store::chain::link_hash;
use hadir_store::{DayRow, Id, NewPunch, Punch, PunchInsert, RecomputeJob, Result, StoreError};
use jiff::Timestamp;
use jiff::civil::Date;
use sqlx::{AssertSqlSafe, QueryBuilder};
use std::collections::HashMap;

pub(crate) type Db = sqlx::Postgres;
pub(crate) type DbRow = sqlx::postgres::PgRow;
pub(crate) type Conn = sqlx::PgConnection;

/// The first column named by a unique violation: from the detail (`Key (nip)=(…) already
/// exists.`), else from the constraint name (`employees_nip_key`).
fn conflict_column(d: &dyn sqlx::error::DatabaseError) -> String {
    let pg = d.try_downcast_ref::<sqlx::postgres::PgDatabaseError>();
    if let Some(detail) = pg.and_then(|p| p.detail())
        && let Some(rest) = detail.strip_prefix("Key (")
        && let Some(end) = rest.find(")=")
    {
        let cols = &rest[..end];
        return cols.split(',').next().unwrap_or(cols).trim().to_string();
    }
    d.constraint().map(|c| c.trim_end_matches("_key").rsplit('_').next().unwrap_or(c).to_string()).unwrap_or_default()
}

/// Maps sqlx errors the way the SQLite backend does: unique violations become
/// `Conflict(column)`, foreign-key violations `Invalid`.
pub(crate) fn db_err(e: sqlx::Error) -> StoreError {
    match &e {
        sqlx::Error::RowNotFound => StoreError::NotFound("row"),
        sqlx::Error::Database(d) => match d.code().as_deref() {
            Some("23505") => StoreError::Conflict(conflict_column(d.as_ref())),
            Some("23503") => StoreError::Invalid("foreign key".into()),
            _ => StoreError::Backend(d.message().to_string()),
        },
        _ => StoreError::Backend(e.to_string()),
    }
}

/// Whether transactions take row locks to order concurrent writers (several instances).
pub(crate) const ROW_LOCKS: bool = true;
/// Locks the selected rows for the transaction: concurrent instances are ordered on them.
pub(crate) const FOR_UPDATE: &str = " FOR UPDATE";
/// The larger / smaller of two non-null values.
pub(crate) const GREATEST: &str = "GREATEST";
pub(crate) const LEAST: &str = "LEAST";
/// Case-insensitive match (SQLite's `LIKE` already ignores ASCII case).
pub(crate) const ILIKE: &str = "ILIKE";

/// `FOR UPDATE OF alias`: locks only that table's rows of a join.
pub(crate) fn for_update_of(alias: &str) -> String {
    format!(" FOR UPDATE OF {alias}")
}

/// ` = ANY($n)` with the ids bound as one array (after a column name).
pub(crate) fn push_in_ids(qb: &mut QueryBuilder<Db>, ids: &[Id]) {
    qb.push(" = ANY(").push_bind(ids.to_vec()).push(")");
}

/// One multi-row insert for the whole batch: each column is bound as an array and unnested.
async fn insert_rows(conn: &mut Conn, ps: &[Punch]) -> Result<()> {
    fn col<T, F: Fn(&Punch) -> T>(ps: &[Punch], f: F) -> Vec<T> {
        ps.iter().map(f).collect()
    }
    sqlx::query(
        "INSERT INTO punches (id, employee_id, source, dedup_key, punched_at, received_at, captured_at, device_sn,
            device_pin, lat, lon, accuracy_m, distance_m, location_name, photo_hash, note, review, review_detail,
            status, verify, quarantined, response, prev_hash, hash, hold)
         SELECT * FROM UNNEST($1::BIGINT[], $2::BIGINT[], $3::TEXT[], $4::TEXT[], $5::BIGINT[], $6::BIGINT[],
            $7::BIGINT[], $8::TEXT[], $9::TEXT[], $10::FLOAT8[], $11::FLOAT8[], $12::FLOAT8[], $13::FLOAT8[],
            $14::TEXT[], $15::TEXT[], $16::TEXT[], $17::TEXT[], $18::TEXT[], $19::BIGINT[], $20::BIGINT[],
            $21::BOOLEAN[], $22::TEXT[], $23::TEXT[], $24::TEXT[], $25::TEXT[])",
    )
    .bind(col(ps, |x| x.id))
    .bind(col(ps, |x| x.p.employee_id))
    .bind(col(ps, |x| x.p.source.as_str()))
    .bind(col(ps, |x| x.p.dedup_key.clone()))
    .bind(col(ps, |x| ms(x.p.punched_at)))
    .bind(col(ps, |x| ms(x.p.received_at)))
    .bind(col(ps, |x| x.p.captured_at.map(ms)))
    .bind(col(ps, |x| x.p.device_sn.clone()))
    .bind(col(ps, |x| x.p.device_pin.clone()))
    .bind(col(ps, |x| x.p.lat))
    .bind(col(ps, |x| x.p.lon))
    .bind(col(ps, |x| x.p.accuracy_m))
    .bind(col(ps, |x| x.p.distance_m))
    .bind(col(ps, |x| x.p.location_name.clone()))
    .bind(col(ps, |x| x.p.photo_hash.clone()))
    .bind(col(ps, |x| x.p.note.clone()))
    .bind(col(ps, |x| x.p.review.clone()))
    .bind(col(ps, |x| x.p.review_detail.clone()))
    .bind(col(ps, |x| x.p.status))
    .bind(col(ps, |x| x.p.verify))
    .bind(col(ps, |x| x.p.quarantined))
    .bind(col(ps, |x| x.p.response.clone()))
    .bind(col(ps, |x| x.prev_hash.clone()))
    .bind(col(ps, |x| x.hash.clone()))
    .bind(col(ps, |x| x.p.hold.map(|h| h.as_str())))
    .execute(conn)
    .await
    .map_err(db_err)?;
    Ok(())
}

/// Appends under the `chain_head` row lock, ids from the sequence, one `INSERT … UNNEST`.
pub(crate) async fn insert_punches(store: &crate::PgStore, batch: &[NewPunch]) -> Result<Vec<PunchInsert>> {
    if batch.is_empty() {
        return Ok(Vec::new());
    }
    let mut tx = store.write.begin().await.map_err(db_err)?;
    // Serialise appends: whoever holds the chain head row appends next, so the chain has one
    // order across every connection and instance. Held until commit or rollback.
    let mut prev: String = sqlx::query_scalar("SELECT hash FROM chain_head WHERE id = 1 FOR UPDATE")
        .fetch_one(&mut *tx)
        .await
        .map_err(db_err)?;
    // Keys already stored (committed before we took the lock: nobody else can add one now).
    let keys: Vec<&str> = batch.iter().map(|p| p.dedup_key.as_str()).collect();
    let rows = sqlx::query(AssertSqlSafe(format!("SELECT {PUNCH_COLS} FROM punches WHERE dedup_key = ANY($1)")))
        .bind(&keys)
        .fetch_all(&mut *tx)
        .await
        .map_err(db_err)?;
    let mut known: HashMap<String, Punch> = rows.iter().map(punch_row).map(|p| (p.p.dedup_key.clone(), p)).collect();
    // Photos already held by a stored punch (under the chain lock, so no other writer can add
    // one now); a photo met earlier in this batch is added as the batch goes.
    let hashes: Vec<&str> =
        batch.iter().filter(|p| p.photo_must_be_unique()).filter_map(|p| p.photo_hash.as_deref()).collect();
    let mut photos: HashMap<String, Punch> = if hashes.is_empty() {
        HashMap::new()
    } else {
        sqlx::query(AssertSqlSafe(format!("SELECT {PUNCH_COLS} FROM punches WHERE photo_hash = ANY($1)")))
            .bind(&hashes)
            .fetch_all(&mut *tx)
            .await
            .map_err(db_err)?
            .iter()
            .map(punch_row)
            .filter_map(|p| p.p.photo_hash.clone().map(|h| (h, p)))
            .collect()
    };
    let fresh = batch.iter().filter(|p| !known.contains_key(&p.dedup_key)).count();
    // Ids in chain order: taken from the sequence under the lock, so they grow along the chain.
    let mut ids: Vec<Id> = if fresh == 0 {
        Vec::new()
    } else {
        sqlx::query_scalar("SELECT nextval(pg_get_serial_sequence('punches', 'id')) FROM generate_series(1, $1)")
            .bind(fresh as i64)
            .fetch_all(&mut *tx)
            .await
            .map_err(db_err)?
    };
    ids.sort_unstable();
    let mut ids = ids.into_iter();
    let mut out = Vec::with_capacity(batch.len());
    let mut new: Vec<Punch> = Vec::with_capacity(fresh);
    for p in batch {
        if let Some(k) = known.get(&p.dedup_key) {
            out.push(PunchInsert::Duplicate(k.clone()));
            continue;
        }
        if let Some(earlier) = p.photo_hash.as_ref().filter(|_| p.photo_must_be_unique()).and_then(|h| photos.get(h)) {
            out.push(PunchInsert::PhotoReused(earlier.clone()));
            continue;
        }
        let hash = link_hash(&prev, p);
        let id = ids.next().ok_or_else(|| StoreError::Backend("punch id sequence ran short".into()))?;
        let punch = Punch {
            id,
            p: p.clone(),
            prev_hash: prev.clone(),
            hash: hash.clone(),
            decision: None,
            photo_purged_at: None,
            position_purged_at: None,
        };
        known.insert(p.dedup_key.clone(), punch.clone());
        if let Some(h) = p.photo_hash.as_ref().filter(|_| p.source.is_selfie()) {
            photos.insert(h.clone(), punch.clone());
        }
        out.push(PunchInsert::Inserted(punch.clone()));
        new.push(punch);
        prev = hash;
    }
    if !new.is_empty() {
        insert_rows(&mut tx, &new).await?;
        sqlx::query("UPDATE chain_head SET hash = $1 WHERE id = 1")
            .bind(&prev)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
    }
    tx.commit().await.map_err(db_err)?;
    Ok(out)
}

/// How the check-in's bounded read finds and orders a person's punches: the range as row
/// comparisons, which only the `(employee_id, punched_at)` index can take, ordered by an
/// expression no index gives. With the bare column, during a rush (statistics from the empty
/// table, every estimate one row) PostgreSQL chose the `punched_at` index and walked it from the
/// window's start filtering for the person: 29,626–37,242 scans reading 92–148 million entries
/// in a 20,000 rush, ~600 check-ins/s (auto_explain; BENCHMARKS.md).
pub(crate) const CHECKIN_ORDER_AT: &str = "(punched_at + 0)";

/// `lo <= punched_at < hi` for the check-in's bounded read, as row comparisons (see above).
pub(crate) fn checkin_range(employee: &str, lo: &str, hi: &str) -> String {
    format!("(employee_id, punched_at) >= ({employee}, {lo}) AND (employee_id, punched_at) < ({employee}, {hi})")
}

/// Claims due recompute jobs; `SKIP LOCKED` lets several instances claim side by side.
pub(crate) const CLAIM_RECOMPUTE: &str = "UPDATE recompute_queue q SET claimed_until = $1
     FROM (SELECT employee_id, date FROM recompute_queue
           WHERE claimed_until IS NULL OR claimed_until < $2 ORDER BY enqueued_at LIMIT $3
           FOR UPDATE SKIP LOCKED) c
     WHERE q.employee_id = c.employee_id AND q.date = c.date
     RETURNING q.employee_id, q.date, q.seq";

/// Rows per multi-row enqueue statement.
pub(crate) const ENQUEUE_CHUNK: usize = 1000;

/// PostgreSQL refuses to upsert one row twice in a statement: give each pair once.
pub(crate) fn enqueue_items(items: &[(Id, Date)]) -> Vec<(Id, Date)> {
    let mut unique: Vec<(Id, Date)> = items.to_vec();
    unique.sort_unstable();
    unique.dedup();
    unique
}

/// `WITH d(x) AS (…)`: the dates `from..=to` as text, bound as one array.
pub(crate) fn push_dates_cte(qb: &mut QueryBuilder<Db>, from: Date, to: Date) {
    let mut dates = Vec::new();
    let mut d = from;
    while d <= to {
        dates.push(date_text(d));
        match d.tomorrow() {
            Ok(n) => d = n,
            Err(_) => break,
        }
    }
    qb.push("WITH d(x) AS (SELECT UNNEST(").push_bind(dates).push("::TEXT[]))");
}

pub(crate) async fn upsert_day_records(store: &crate::PgStore, rows: &[DayRow]) -> Result<u64> {
    // One row per (employee, date): the last one given wins, as with row-by-row upserts.
    let mut last: HashMap<(Id, Date), usize> = HashMap::new();
    for (i, r) in rows.iter().enumerate() {
        last.insert((r.employee_id, r.record.date), i);
    }
    // In key order, so that concurrent upserts from several instances lock rows in the same
    // order and cannot deadlock.
    let mut pick: Vec<((Id, Date), usize)> = last.into_iter().collect();
    pick.sort_unstable();
    let rows: Vec<&DayRow> = pick.into_iter().map(|(_, i)| &rows[i]).collect();
    let changed = sqlx::query(
        "INSERT INTO day_records (employee_id, date, status, closed, deduction, record_json, record_hash, computed_at)
         SELECT e, d, st, c, dd, j, h, $8 FROM UNNEST($1::BIGINT[], $2::TEXT[], $3::TEXT[], $4::BOOLEAN[],
            $5::BIGINT[], $6::TEXT[], $7::TEXT[]) AS x(e, d, st, c, dd, j, h)
         ON CONFLICT(employee_id, date) DO UPDATE SET status = excluded.status, closed = excluded.closed,
           deduction = excluded.deduction, record_json = excluded.record_json,
           record_hash = excluded.record_hash, computed_at = excluded.computed_at
         WHERE day_records.record_hash <> excluded.record_hash",
    )
    .bind(rows.iter().map(|r| r.employee_id).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| date_text(r.record.date)).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.record.status.code().to_string()).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.record.closed).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| i64::from(r.record.deduction.hundredths())).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.json.clone()).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.hash.clone()).collect::<Vec<_>>())
    .bind(ms(Timestamp::now()))
    .execute(&store.write)
    .await
    .map_err(db_err)?
    .rows_affected();
    Ok(changed)
}

pub(crate) async fn finish_recompute(store: &crate::PgStore, jobs: &[RecomputeJob]) -> Result<()> {
    sqlx::query(
        "DELETE FROM recompute_queue q USING UNNEST($1::BIGINT[], $2::TEXT[], $3::BIGINT[]) AS j(e, d, s)
         WHERE q.employee_id = j.e AND q.date = j.d AND q.seq = j.s",
    )
    .bind(jobs.iter().map(|j| j.employee_id).collect::<Vec<_>>())
    .bind(jobs.iter().map(|j| date_text(j.date)).collect::<Vec<_>>())
    .bind(jobs.iter().map(|j| j.seq).collect::<Vec<_>>())
    .execute(&store.write)
    .await
    .map_err(db_err)?;
    Ok(())
}

/// Serialises the creation of pending terminals across instances (the cap is counted under it).
const PENDING_LOCK: i64 = 0x4841_4449_5250_4e44;

/// Taken before counting pending terminals: a transaction-scoped advisory lock.
pub(crate) async fn lock_pending(conn: &mut Conn) -> Result<()> {
    sqlx::query("SELECT pg_advisory_xact_lock($1)").bind(PENDING_LOCK).execute(conn).await.map_err(db_err)?;
    Ok(())
}

/// Queues commands for one terminal and returns their ids in the commands' order. A roster sync
/// queues one command per employee: one statement for the lot. Ids come from the sequence
/// first (sorted), so they follow the commands' order.
pub(crate) async fn insert_commands(conn: &mut Conn, dev: Id, commands: &[String], now: i64) -> Result<Vec<Id>> {
    if commands.is_empty() {
        return Ok(Vec::new());
    }
    let mut ids: Vec<Id> = sqlx::query_scalar(
        "SELECT nextval(pg_get_serial_sequence('device_commands', 'id')) FROM generate_series(1, $1)",
    )
    .bind(commands.len() as i64)
    .fetch_all(&mut *conn)
    .await
    .map_err(db_err)?;
    ids.sort_unstable();
    sqlx::query(
        "INSERT INTO device_commands (id, device_id, command, state, created_at)
         SELECT i, $3, c, 'queued', $4 FROM UNNEST($1::BIGINT[], $2::TEXT[]) AS x(i, c)",
    )
    .bind(&ids)
    .bind(commands)
    .bind(dev)
    .bind(now)
    .execute(conn)
    .await
    .map_err(db_err)?;
    Ok(ids)
}
