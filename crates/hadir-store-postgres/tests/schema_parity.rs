//! The two schemas cannot drift: a fresh SQLite database and a fresh PostgreSQL database, each
//! migrated by its backend, must have the same tables, columns (type family, nullability),
//! primary keys, indexes (columns, unique, partial) and foreign keys. A difference is either a
//! bug (fix it with a new migration) or deliberate and listed in `ALLOWED` with its reason.

use hadir_store_postgres::PgStore;
use hadir_store_postgres::testing::fresh_test_database;
use sqlx::{Connection, Row};
use std::collections::BTreeSet;

/// Deliberate differences, each one line of the description below, with the reason.
const ALLOWED: &[(&str, &str)] = &[
    // PostgreSQL serialises punch appends across instances by locking this one row; SQLite has
    // one writer and reads the chain head from the last punch.
    ("table chain_head", "PostgreSQL only: the row lock that orders punch appends across instances"),
    ("column chain_head.id integer not null", "PostgreSQL only (see table chain_head)"),
    ("column chain_head.hash text not null", "PostgreSQL only (see table chain_head)"),
    ("primary key chain_head (id)", "PostgreSQL only (see table chain_head)"),
];

/// A comparable description of one schema: one line per fact.
type Facts = BTreeSet<String>;

/// Type family of a declared SQLite type, by SQLite's own affinity rules; booleans are
/// INTEGER 0/1 in SQLite (sqlx decodes them as `bool`), so PostgreSQL `boolean` compares as
/// `integer`.
fn sqlite_family(declared: &str) -> &'static str {
    let t = declared.to_ascii_uppercase();
    if t.contains("INT") || t.contains("BOOL") {
        "integer"
    } else if t.contains("CHAR") || t.contains("CLOB") || t.contains("TEXT") {
        "text"
    } else if t.contains("BLOB") || t.is_empty() {
        "blob"
    } else if t.contains("REAL") || t.contains("FLOA") || t.contains("DOUB") {
        "real"
    } else {
        "numeric"
    }
}

fn pg_family(data_type: &str) -> &'static str {
    match data_type {
        "bigint" | "integer" | "smallint" | "boolean" => "integer",
        "text" | "character varying" | "character" => "text",
        "bytea" => "blob",
        "double precision" | "real" => "real",
        _ => "numeric",
    }
}

async fn sqlite_facts(path: &std::path::Path) -> Facts {
    let mut c = sqlx::SqliteConnection::connect(&format!("sqlite://{}", path.display())).await.unwrap();
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%'
         AND name NOT LIKE '_sqlx%' ORDER BY name",
    )
    .fetch_all(&mut c)
    .await
    .unwrap();
    let mut f = Facts::new();
    for t in &tables {
        f.insert(format!("table {t}"));
        let cols = sqlx::query("SELECT name, type, \"notnull\", pk FROM pragma_table_info($1) ORDER BY cid")
            .bind(t)
            .fetch_all(&mut c)
            .await
            .unwrap();
        let mut pk: Vec<(i64, String)> = Vec::new();
        for r in &cols {
            let name: String = r.get("name");
            let p: i64 = r.get("pk");
            // A primary-key column is never NULL in practice (INTEGER PRIMARY KEY is the rowid).
            let not_null = r.get::<i64, _>("notnull") != 0 || p > 0;
            let null = if not_null { "not null" } else { "null" };
            f.insert(format!("column {t}.{name} {} {null}", sqlite_family(r.get("type"))));
            if p > 0 {
                pk.push((p, name));
            }
        }
        pk.sort();
        let pk: Vec<String> = pk.into_iter().map(|(_, n)| n).collect();
        if !pk.is_empty() {
            f.insert(format!("primary key {t} ({})", pk.join(", ")));
        }
        let idx = sqlx::query("SELECT name, \"unique\", origin, partial FROM pragma_index_list($1)")
            .bind(t)
            .fetch_all(&mut c)
            .await
            .unwrap();
        for r in &idx {
            if r.get::<String, _>("origin") == "pk" {
                continue;
            }
            let name: String = r.get("name");
            let cols: Vec<String> = sqlx::query_scalar(
                // An expression (`COALESCE(unit_id, 0)`) has no column name.
                "SELECT COALESCE(name, '<expr>') FROM pragma_index_info($1) ORDER BY seqno",
            )
            .bind(&name)
            .fetch_all(&mut c)
            .await
            .unwrap();
            let unique = if r.get::<i64, _>("unique") != 0 { "unique index" } else { "index" };
            let partial = if r.get::<i64, _>("partial") != 0 { " partial" } else { "" };
            f.insert(format!("{unique} {t} ({}){partial}", cols.join(", ")));
        }
        let fks = sqlx::query(
            "SELECT id, \"table\" AS ref, \"from\", \"to\" FROM pragma_foreign_key_list($1) ORDER BY id, seq",
        )
        .bind(t)
        .fetch_all(&mut c)
        .await
        .unwrap();
        let mut by_id: std::collections::BTreeMap<i64, (String, Vec<String>, Vec<String>)> = Default::default();
        for r in &fks {
            let e = by_id.entry(r.get("id")).or_insert_with(|| (r.get("ref"), vec![], vec![]));
            e.1.push(r.get("from"));
            // A reference without columns names the parent's primary key.
            e.2.push(r.get::<Option<String>, _>("to").unwrap_or_else(|| "id".into()));
        }
        for (_, (to, from, cols)) in by_id {
            f.insert(format!("foreign key {t} ({}) -> {to} ({})", from.join(", "), cols.join(", ")));
        }
    }
    f
}

async fn pg_facts(url: &str) -> Facts {
    let mut c = sqlx::PgConnection::connect(url).await.unwrap();
    let mut f = Facts::new();
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT table_name::text FROM information_schema.tables WHERE table_schema = 'public'
         AND table_type = 'BASE TABLE' AND table_name NOT LIKE '\\_sqlx%' ORDER BY 1",
    )
    .fetch_all(&mut c)
    .await
    .unwrap();
    for t in &tables {
        f.insert(format!("table {t}"));
    }
    let cols = sqlx::query(
        "SELECT table_name::text AS t, column_name::text AS c, data_type::text AS ty, is_nullable::text AS n
         FROM information_schema.columns WHERE table_schema = 'public' AND table_name NOT LIKE '\\_sqlx%'",
    )
    .fetch_all(&mut c)
    .await
    .unwrap();
    for r in &cols {
        let null = if r.get::<String, _>("n") == "YES" { "null" } else { "not null" };
        let (t, col): (String, String) = (r.get("t"), r.get("c"));
        f.insert(format!("column {t}.{col} {} {null}", pg_family(&r.get::<String, _>("ty"))));
    }
    // Every index with its columns in order; primary keys separately.
    let idx = sqlx::query(
        "SELECT t.relname::text AS t, ix.indisunique AS u, ix.indisprimary AS p, ix.indpred IS NOT NULL AS partial,
            ARRAY(SELECT COALESCE(a.attname::text, '<expr>') FROM unnest(ix.indkey) WITH ORDINALITY k(n, o)
                  LEFT JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.n AND k.n <> 0
                  ORDER BY k.o) AS cols
         FROM pg_index ix JOIN pg_class t ON t.oid = ix.indrelid JOIN pg_namespace s ON s.oid = t.relnamespace
         WHERE s.nspname = 'public' AND t.relname NOT LIKE '\\_sqlx%'",
    )
    .fetch_all(&mut c)
    .await
    .unwrap();
    for r in &idx {
        let t: String = r.get("t");
        let cols: Vec<String> = r.get("cols");
        if r.get::<bool, _>("p") {
            f.insert(format!("primary key {t} ({})", cols.join(", ")));
            continue;
        }
        let unique = if r.get::<bool, _>("u") { "unique index" } else { "index" };
        let partial = if r.get::<bool, _>("partial") { " partial" } else { "" };
        f.insert(format!("{unique} {t} ({}){partial}", cols.join(", ")));
    }
    let fks = sqlx::query(
        "SELECT c.conrelid::regclass::text AS t, c.confrelid::regclass::text AS r,
            ARRAY(SELECT a.attname::text FROM unnest(c.conkey) WITH ORDINALITY k(n, o)
                  JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.n ORDER BY k.o) AS f,
            ARRAY(SELECT a.attname::text FROM unnest(c.confkey) WITH ORDINALITY k(n, o)
                  JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.n ORDER BY k.o) AS tc
         FROM pg_constraint c JOIN pg_namespace s ON s.oid = c.connamespace
         WHERE c.contype = 'f' AND s.nspname = 'public'",
    )
    .fetch_all(&mut c)
    .await
    .unwrap();
    for r in &fks {
        let (t, to): (String, String) = (r.get("t"), r.get("r"));
        let (from, cols): (Vec<String>, Vec<String>) = (r.get("f"), r.get("tc"));
        f.insert(format!("foreign key {t} ({}) -> {to} ({})", from.join(", "), cols.join(", ")));
    }
    f
}

#[tokio::test]
async fn sqlite_and_postgres_schemas_match() {
    let Some(url) = fresh_test_database().await else { return };
    PgStore::connect(&url).await.expect("migrate PostgreSQL");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("schema.db");
    hadir_store_sqlite::SqliteStore::open(&file).await.expect("migrate SQLite");

    let sqlite = sqlite_facts(&file).await;
    let pg = pg_facts(&url).await;
    assert!(sqlite.iter().any(|l| l.starts_with("column punches.")), "the SQLite schema was read");
    assert!(pg.iter().any(|l| l.starts_with("column punches.")), "the PostgreSQL schema was read");

    let allowed: BTreeSet<&str> = ALLOWED.iter().map(|(l, _)| *l).collect();
    let only_sqlite: Vec<&String> = sqlite.difference(&pg).filter(|l| !allowed.contains(l.as_str())).collect();
    let only_pg: Vec<&String> = pg.difference(&sqlite).filter(|l| !allowed.contains(l.as_str())).collect();
    // An allowance that no longer matches anything is stale: remove it.
    let stale: Vec<&&str> = allowed.iter().filter(|l| !(sqlite.contains(**l) ^ pg.contains(**l))).collect();
    assert!(
        only_sqlite.is_empty() && only_pg.is_empty() && stale.is_empty(),
        "schemas drifted\nonly in SQLite:\n  {}\nonly in PostgreSQL:\n  {}\nstale allowances:\n  {}",
        only_sqlite.iter().map(|s| s.as_str()).collect::<Vec<_>>().join("\n  "),
        only_pg.iter().map(|s| s.as_str()).collect::<Vec<_>>().join("\n  "),
        stale.iter().map(|s| **s).collect::<Vec<_>>().join("\n  "),
    );
}
