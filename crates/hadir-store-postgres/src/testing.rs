//! Helpers for tests that need a real PostgreSQL: each test gets its own fresh database.
//!
//! `HADIR_TEST_PG_URL` names a server (any database on it, used as the maintenance connection).
//! Without it the tests are skipped, unless `HADIR_REQUIRE_PG` is set (CI sets both), in which
//! case they fail loudly instead of passing silently.

use sqlx::Connection;
use sqlx::postgres::{PgConnectOptions, PgConnection};
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};

/// The server URL from `HADIR_TEST_PG_URL`; `None` means skip. Panics when PostgreSQL is
/// required (`HADIR_REQUIRE_PG`) but not configured.
pub fn test_server_url() -> Option<String> {
    match std::env::var("HADIR_TEST_PG_URL") {
        Ok(u) if !u.trim().is_empty() => Some(u),
        _ => {
            if std::env::var_os("HADIR_REQUIRE_PG").is_some() {
                panic!("HADIR_REQUIRE_PG is set but HADIR_TEST_PG_URL is not: PostgreSQL tests cannot run");
            }
            eprintln!("HADIR_TEST_PG_URL not set: skipping a PostgreSQL test");
            None
        }
    }
}

/// Creates an empty database `hadir_t_<unique>` on the server of `server_url` and returns a
/// URL for it (same credentials and host).
pub async fn fresh_database(server_url: &str) -> Result<String, sqlx::Error> {
    static N: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
    let name =
        format!("hadir_t_{}_{}_{}", std::process::id(), nanos % 1_000_000_000_000, N.fetch_add(1, Ordering::Relaxed));
    let opts = PgConnectOptions::from_str(server_url)?;
    let mut conn = PgConnection::connect_with(&opts).await?;
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}"))).execute(&mut conn).await?;
    conn.close().await?;
    Ok(with_database(server_url, &name))
}

/// `url` with its database name replaced (query parameters kept).
pub fn with_database(url: &str, db: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let scheme_end = base.find("://").map(|i| i + 3).unwrap_or(0);
    let base = match base[scheme_end..].find('/') {
        Some(i) => &base[..scheme_end + i],
        None => base,
    };
    match query {
        Some(q) => format!("{base}/{db}?{q}"),
        None => format!("{base}/{db}"),
    }
}

/// A fresh database from `HADIR_TEST_PG_URL`, or `None` when PostgreSQL tests are skipped.
pub async fn fresh_test_database() -> Option<String> {
    let server = test_server_url()?;
    Some(fresh_database(&server).await.unwrap_or_else(|e| panic!("cannot create a test database on {server}: {e}")))
}

#[cfg(test)]
mod tests {
    #[test]
    fn database_name_is_replaced() {
        use super::with_database;
        assert_eq!(with_database("postgres://u@h:5/postgres", "x"), "postgres://u@h:5/x");
        assert_eq!(with_database("postgres://u@h:5", "x"), "postgres://u@h:5/x");
        assert_eq!(
            with_database("postgres://u@127.0.0.1:5/p?sslmode=disable", "x"),
            "postgres://u@127.0.0.1:5/x?sslmode=disable"
        );
        assert_eq!(with_database("postgresql:///p?host=/tmp/s&port=5", "x"), "postgresql:///x?host=/tmp/s&port=5");
    }
}
