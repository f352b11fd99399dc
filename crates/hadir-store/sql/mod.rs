//! The store logic both backends share, written once and compiled once per backend crate.
//!
//! `hadir-store-sqlite` and `hadir-store-postgres` each pull this directory in with
//! `#[path = "../../hadir-store/sql/mod.rs"] mod sql;` and provide a `dialect` module next to it:
//! the sqlx types (`Db`, `DbRow`, `Conn`), error mapping, the few SQL fragments that differ
//! (locks, `GREATEST`/`MAX`, id lists) and the bodies of the write paths that differ in shape
//! (punch appends, day-record upserts, queue claims, command batches). Everything here is SQL
//! in the common subset both databases accept: `$N` placeholders (sqlx-sqlite maps `$N` to the
//! N-th argument), `TRUE`/`FALSE`, `CAST(… AS BIGINT)`, `IS NOT DISTINCT FROM`, `RETURNING`.
//! Booleans are decoded as `bool` (SQLite stores 0/1 and sqlx decodes it as `bool`).
//! See docs/ARCHITECTURE.md ("One store implementation").

pub(crate) mod accounts;
pub(crate) mod audit;
mod availability;
mod channels;
mod convert;
pub(crate) mod days;
pub(crate) mod devices;
mod kinerja;
mod kiosks;
mod notifications;
pub(crate) mod org;
mod outbox;
mod privacy;
pub(crate) mod punches;
mod recaps;
pub(crate) mod requests;
mod sessions;
mod signals;
mod templates;
mod webhooks;

pub(crate) use crate::Store;
pub(crate) use crate::dialect::{Conn, Db, DbRow, db_err};
pub(crate) use convert::*;
