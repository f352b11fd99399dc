//! `hadir migrate-data --from sqlite://… --to postgres://…`: moves an installation from the
//! embedded default to PostgreSQL.
//!
//! The two schemas mirror each other column for column (docs/ARCHITECTURE.md), so the copy is
//! table by table with the same ids: punches keep their hash chain, requests keep their
//! history, audit entries keep their order. Each value is converted to the target column's type
//! (SQLite integers become PostgreSQL booleans where the target says so). Everything happens in
//! one PostgreSQL transaction: a failure leaves the target as empty as it was. Afterwards the
//! row counts are compared table by table and the target's punch chain is verified link by link.

use anyhow::{Context, Result, bail};
use hadir_store::PunchStore;
use sqlx::postgres::PgArguments;
use sqlx::sqlite::SqliteRow;
use sqlx::{Arguments, AssertSqlSafe, Column, Row, SqlitePool};
use std::collections::{BTreeMap, BTreeSet};

/// Tables that exist only on PostgreSQL and are not copied: the chain head is set from the
/// copied punches; job claims belong to the running instances.
const TARGET_ONLY: &[&str] = &["chain_head", "job_runs"];

/// Tables whose migration seeds a row on both sides (the fraud analyser's marker): the
/// target's seed is replaced by the source's row, so the analyser goes on where it was.
const SEEDED: &[&str] = &["signal_cursor"];

#[derive(Debug, Default)]
pub struct Report {
    pub tables: Vec<(String, u64)>,
    pub chain_checked: u64,
}

/// Copies every table of the SQLite database at `from` into the empty PostgreSQL database at `to`.
pub async fn migrate(from: &str, to: &str, progress: impl Fn(&str, u64)) -> Result<Report> {
    // Both schemas at the current version (this also refuses an unknown newer SQLite schema).
    let source = hadir_store_sqlite::SqliteStore::connect(from).await.context("cannot open the source")?;
    let target = hadir_store_postgres::PgStore::connect(to).await.context("cannot open the target")?;
    let src_pool = SqlitePool::connect(from).await?;
    let pg = target.pool().clone();

    let src_tables: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> '_sqlx_migrations'",
    )
    .fetch_all(&src_pool)
    .await?;
    let dst_tables: BTreeSet<String> = sqlx::query_scalar(
        "SELECT table_name::text FROM information_schema.tables
         WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' AND table_name <> '_sqlx_migrations'",
    )
    .fetch_all(&pg)
    .await?
    .into_iter()
    .collect();
    for t in &src_tables {
        if !dst_tables.contains(t) {
            bail!("table {t} of the source has no counterpart in the target schema");
        }
    }
    for t in &dst_tables {
        if !src_tables.contains(t) && !TARGET_ONLY.contains(&t.as_str()) {
            bail!("table {t} of the target has no counterpart in the source schema");
        }
    }
    let order = dependency_order(&src_pool, &src_tables).await?;

    let mut tx = pg.begin().await?;
    for t in &order {
        if SEEDED.contains(&t.as_str()) {
            sqlx::query(AssertSqlSafe(format!("DELETE FROM \"{t}\""))).execute(&mut *tx).await?;
            continue;
        }
        let n: i64 =
            sqlx::query_scalar(AssertSqlSafe(format!("SELECT COUNT(*) FROM \"{t}\""))).fetch_one(&mut *tx).await?;
        if n > 0 {
            bail!("the target is not empty (table {t} has {n} rows); migrate into a new database");
        }
    }
    let mut report = Report::default();
    for t in &order {
        let n = copy_table(&src_pool, &mut tx, t, &progress).await?;
        report.tables.push((t.clone(), n));
    }
    // Ids continue after the copied ones; the chain continues from the last copied punch.
    for t in &order {
        let has_id: bool = sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM information_schema.columns
             WHERE table_schema = current_schema() AND table_name = $1 AND column_name = 'id')",
        )
        .bind(t)
        .fetch_one(&mut *tx)
        .await?;
        let seq: Option<String> = if has_id {
            sqlx::query_scalar("SELECT pg_get_serial_sequence($1, 'id')").bind(t).fetch_one(&mut *tx).await?
        } else {
            None
        };
        if let Some(seq) = seq {
            sqlx::query(AssertSqlSafe(format!(
                "SELECT setval($1, COALESCE((SELECT MAX(id) FROM \"{t}\"), 0) + 1, false)"
            )))
            .bind(seq)
            .execute(&mut *tx)
            .await?;
        }
    }
    sqlx::query(
        "UPDATE chain_head SET hash = COALESCE((SELECT hash FROM punches ORDER BY id DESC LIMIT 1), chain_head.hash)",
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;

    // Verify: the same rows on both sides, and a chain that holds on the target.
    for (t, copied) in &report.tables {
        let src: i64 =
            sqlx::query_scalar(AssertSqlSafe(format!("SELECT COUNT(*) FROM \"{t}\""))).fetch_one(&src_pool).await?;
        let dst: i64 =
            sqlx::query_scalar(AssertSqlSafe(format!("SELECT COUNT(*) FROM \"{t}\""))).fetch_one(&pg).await?;
        if src != dst || dst as u64 != *copied {
            bail!("table {t}: {src} rows in the source, {dst} in the target");
        }
    }
    let before = source.verify_chain().await?;
    let after = target.verify_chain().await?;
    if let Some((id, why)) = after.first_broken {
        bail!("the punch chain does not hold on the target at punch {id}: {why}");
    }
    if after.checked != before.checked {
        bail!("the source chain has {} links, the target {}", before.checked, after.checked);
    }
    report.chain_checked = after.checked;
    Ok(report)
}

/// Parents before children (by the source's foreign keys), otherwise alphabetical.
async fn dependency_order(pool: &SqlitePool, tables: &[String]) -> Result<Vec<String>> {
    let mut parents: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for t in tables {
        let refs: Vec<String> =
            sqlx::query_scalar(AssertSqlSafe(format!("SELECT \"table\" FROM pragma_foreign_key_list('{t}')")))
                .fetch_all(pool)
                .await?;
        parents.insert(t.clone(), refs.into_iter().filter(|p| p != t).collect());
    }
    let mut done: Vec<String> = Vec::new();
    while done.len() < tables.len() {
        let ready: Vec<String> = parents
            .iter()
            .filter(|(t, ps)| !done.contains(t) && ps.iter().all(|p| done.contains(p)))
            .map(|(t, _)| t.clone())
            .collect();
        if ready.is_empty() {
            bail!("the source tables' foreign keys form a cycle");
        }
        done.extend(ready);
    }
    Ok(done)
}

/// The PostgreSQL type of each column of `table`, in the source's column order.
async fn target_columns(tx: &mut sqlx::PgConnection, table: &str) -> Result<BTreeMap<String, String>> {
    let rows: Vec<(String, String)> = sqlx::query_as(
        "SELECT column_name::text, data_type::text FROM information_schema.columns
         WHERE table_schema = current_schema() AND table_name = $1",
    )
    .bind(table)
    .fetch_all(&mut *tx)
    .await?;
    Ok(rows.into_iter().collect())
}

async fn copy_table(
    src: &SqlitePool,
    tx: &mut sqlx::PgConnection,
    table: &str,
    progress: &impl Fn(&str, u64),
) -> Result<u64> {
    let types = target_columns(tx, table).await?;
    let src_cols: Vec<String> =
        sqlx::query_scalar(AssertSqlSafe(format!("SELECT name FROM pragma_table_info('{table}') ORDER BY cid")))
            .fetch_all(src)
            .await?;
    for c in &src_cols {
        if !types.contains_key(c) {
            bail!("column {table}.{c} has no counterpart in the target");
        }
    }
    let cols: Vec<(String, String)> = src_cols.iter().map(|c| (c.clone(), types[c].clone())).collect();
    let list = cols.iter().map(|(c, _)| format!("\"{c}\"")).collect::<Vec<_>>().join(", ");
    // PostgreSQL takes at most 65,535 parameters per statement.
    let per_insert = (60_000 / cols.len().max(1)).clamp(1, 1000);
    let mut copied = 0u64;
    let mut last_rowid: i64 = i64::MIN;
    let has_rowid =
        sqlx::query(AssertSqlSafe(format!("SELECT rowid FROM \"{table}\" LIMIT 1"))).fetch_optional(src).await.is_ok();
    loop {
        // Pages in rowid order (WITHOUT ROWID tables are small: read at once).
        let rows: Vec<SqliteRow> = if has_rowid {
            sqlx::query(AssertSqlSafe(format!(
                "SELECT rowid AS hadir_rowid, {list} FROM \"{table}\" WHERE rowid > ? ORDER BY rowid LIMIT {per_insert}"
            )))
            .bind(last_rowid)
            .fetch_all(src)
            .await?
        } else if copied == 0 {
            sqlx::query(AssertSqlSafe(format!("SELECT {list} FROM \"{table}\""))).fetch_all(src).await?
        } else {
            Vec::new()
        };
        if rows.is_empty() {
            break;
        }
        let offset = usize::from(has_rowid);
        if has_rowid {
            last_rowid = rows.last().map(|r| r.get::<i64, _>(0)).unwrap_or(last_rowid);
        }
        for chunk in rows.chunks(per_insert) {
            let mut args = PgArguments::default();
            let mut values = Vec::with_capacity(chunk.len());
            let mut n = 0usize;
            for r in chunk {
                let mut ph = Vec::with_capacity(cols.len());
                for (i, (name, ty)) in cols.iter().enumerate() {
                    n += 1;
                    ph.push(format!("${n}"));
                    bind_value(&mut args, r, i + offset, ty).with_context(|| format!("{table}.{name}"))?;
                }
                values.push(format!("({})", ph.join(", ")));
            }
            let sql = format!("INSERT INTO \"{table}\" ({list}) VALUES {}", values.join(", "));
            sqlx::query_with(AssertSqlSafe(sql), args)
                .execute(&mut *tx)
                .await
                .with_context(|| format!("copy {table}"))?;
            copied += chunk.len() as u64;
        }
        progress(table, copied);
        if !has_rowid {
            break;
        }
    }
    Ok(copied)
}

/// Reads column `i` of a SQLite row as the target type `ty` and binds it (NULL stays NULL).
fn bind_value(args: &mut PgArguments, r: &SqliteRow, i: usize, ty: &str) -> Result<()> {
    let name = r.column(i).name().to_string();
    let res = match ty {
        "bigint" => args.add(r.try_get::<Option<i64>, _>(i)?),
        "integer" => args.add(r.try_get::<Option<i64>, _>(i)?.map(i32::try_from).transpose()?),
        "smallint" => args.add(r.try_get::<Option<i64>, _>(i)?.map(i16::try_from).transpose()?),
        "boolean" => args.add(r.try_get::<Option<i64>, _>(i)?.map(|v| v != 0)),
        "double precision" | "real" | "numeric" => {
            let v = match r.try_get::<Option<f64>, _>(i) {
                Ok(v) => v,
                Err(_) => r.try_get::<Option<i64>, _>(i)?.map(|v| v as f64),
            };
            args.add(v)
        }
        "bytea" => args.add(r.try_get::<Option<Vec<u8>>, _>(i)?),
        "text" | "character varying" | "character" => args.add(r.try_get::<Option<String>, _>(i)?),
        other => bail!("column {name}: no conversion to PostgreSQL type {other}"),
    };
    res.map_err(|e| anyhow::anyhow!("column {name}: {e}"))
}
