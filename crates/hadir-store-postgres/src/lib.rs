//! PostgreSQL backend of the Hadir store: the scale-out backend, shared by any number of
//! `hadir serve` instances.
//!
//! The schema mirrors the SQLite one column for column (epoch-millisecond instants, text dates,
//! domain values as JSON text), so both backends pass the one contract story in `hadir-store`.
//! What PostgreSQL adds is coordination between instances:
//!
//! - punch appends lock the one `chain_head` row for their transaction, so the hash chain has a
//!   single order whatever the number of writers; a batch is one multi-row `INSERT … UNNEST`;
//! - the recompute queue is claimed with `FOR UPDATE SKIP LOCKED` and leases;
//! - terminal commands are claimed (`queued` → `sent`) in one statement with `SKIP LOCKED`;
//! - once-only periodic work is claimed through `job_runs` rows.
//!
//! Connections are plain TCP (or a Unix socket): the `tls` features of sqlx are not enabled, so
//! put the database on a private network or loopback.

mod dialect;
#[path = "../../hadir-store/sql/mod.rs"]
mod sql;
pub mod testing;

use hadir_store::{Result, StoreError};
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use std::str::FromStr;
use std::time::Duration;

use sql::backend;

pub(crate) type Store = PgStore;

#[derive(Clone)]
pub struct PgStore {
    /// Writes (the punch writer's batches, day recomputes, admin changes): a small pool of its
    /// own, so a burst of reads queued for connections never stands in front of a commit.
    pub(crate) write: PgPool,
    /// Reads (the check-in path's lookups, lists, recaps).
    pub(crate) read: PgPool,
}

/// Connections kept for writes, whatever the read pool's size.
const WRITE_CONNECTIONS: u32 = 4;

impl PgStore {
    /// Connects to a `postgres://` URL and runs the embedded migrations (concurrent starts are
    /// safe: sqlx takes an advisory lock while migrating).
    pub async fn connect(url: &str) -> Result<PgStore> {
        Self::connect_with(url, 16).await
    }

    /// `max_connections` reads plus [`WRITE_CONNECTIONS`] writes.
    pub async fn connect_with(url: &str, max_connections: u32) -> Result<PgStore> {
        let opts = PgConnectOptions::from_str(url).map_err(backend)?.application_name("hadir");
        let pool = |n: u32| PgPoolOptions::new().max_connections(n).acquire_timeout(Duration::from_secs(30));
        let write = pool(WRITE_CONNECTIONS).connect_with(opts.clone()).await.map_err(backend)?;
        sqlx::migrate!("./migrations")
            .run(&write)
            .await
            .map_err(|e| StoreError::Backend(format!("migration failed: {e}")))?;
        let read = pool(max_connections.max(1)).connect_with(opts).await.map_err(backend)?;
        Ok(PgStore { write, read })
    }

    /// The underlying pool (tests, administration).
    pub fn pool(&self) -> &PgPool {
        &self.write
    }
}
