//! SQLite backend of the Hadir store: the embedded default.
//!
//! One write connection (SQLite has one writer anyway; a single connection avoids
//! `SQLITE_BUSY` between our own tasks) and a small pool of read connections, all in WAL mode
//! with `synchronous=FULL` so an acknowledged commit survives power loss.

mod dialect;
#[path = "../../hadir-store/sql/mod.rs"]
mod sql;

use hadir_store::{Result, StoreError};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous};
use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sql::backend;

pub(crate) type Store = SqliteStore;

#[derive(Clone)]
pub struct SqliteStore {
    pub(crate) write: SqlitePool,
    pub(crate) read: SqlitePool,
}

impl SqliteStore {
    /// Opens (creating if needed) the database file and runs the embedded migrations.
    pub async fn open(path: &Path) -> Result<SqliteStore> {
        let url = format!("sqlite://{}", path.display());
        Self::connect(&url).await
    }

    /// Opens a `sqlite://` URL (`sqlite::memory:` is not supported: readers and the writer must
    /// share one database).
    pub async fn connect(url: &str) -> Result<SqliteStore> {
        let opts = SqliteConnectOptions::from_str(url)
            .map_err(backend)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10))
            .pragma("temp_store", "memory");
        // Page cache per connection (negative: KiB). Bounded so the process stays small however
        // large the database grows (the soak showed caches filling with a growing file): 16 MB
        // for the writer, 8 MB for each reader; the OS file cache holds the rest.
        let write = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(opts.clone().pragma("cache_size", "-16000"))
            .await
            .map_err(backend)?;
        sqlx::migrate!("./migrations")
            .run(&write)
            .await
            .map_err(|e| StoreError::Backend(format!("migration failed: {e}")))?;
        let read = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(opts.read_only(true).pragma("cache_size", "-8000"))
            .await
            .map_err(backend)?;
        Ok(SqliteStore { write, read })
    }

    /// Writes a consistent copy of the database to `dest` (SQLite `VACUUM INTO`).
    pub async fn backup_to(&self, dest: &Path) -> Result<()> {
        sqlx::query("VACUUM INTO ?").bind(dest.display().to_string()).execute(&self.write).await.map_err(backend)?;
        Ok(())
    }
}
