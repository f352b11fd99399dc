//! The store-and-forward buffer: a local SQLite file. Every record read from
//! a terminal lands here (with the terminal's read cursor, in the same
//! transaction) before anything is uploaded; a record is marked sent only
//! after the server answered 2xx. `UNIQUE (sn, pin, time)` makes re-reads
//! harmless, so a crash at any point loses nothing and duplicates nothing.

use std::collections::BTreeMap;
use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{QueryBuilder, Row, Sqlite};

use crate::api::RelayPunch;
use crate::client::AttlogCursor;
use crate::error::BufferError;

const SCHEMA: &[&str] = &[
    "CREATE TABLE IF NOT EXISTS punches (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        sn TEXT NOT NULL,
        pin TEXT NOT NULL,
        time TEXT NOT NULL,
        timezone TEXT,
        status INTEGER NOT NULL,
        verify INTEGER NOT NULL,
        workcode INTEGER,
        read_at TEXT NOT NULL,
        sent_at TEXT,
        UNIQUE (sn, pin, time))",
    "CREATE INDEX IF NOT EXISTS punches_unsent ON punches (id) WHERE sent_at IS NULL",
    "CREATE TABLE IF NOT EXISTS cursors (
        sn TEXT PRIMARY KEY,
        count INTEGER NOT NULL,
        record_size INTEGER NOT NULL,
        last_record BLOB NOT NULL)",
    // Issue 21 (office-network mode): who may sign in at the relay (from the roster, replaced
    // whole on each fetch) and the check-ins taken on the LAN, kept until the server stored them.
    "CREATE TABLE IF NOT EXISTS staff (
        login TEXT PRIMARY KEY,
        nip TEXT,
        name TEXT NOT NULL,
        password_hash TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS checkins (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        login TEXT NOT NULL,
        idempotency_key TEXT NOT NULL,
        punched_at TEXT NOT NULL,
        offset_ms INTEGER,
        note TEXT,
        photo BLOB NOT NULL,
        recorded_at TEXT NOT NULL,
        sent_at TEXT,
        punch_id INTEGER,
        state TEXT,
        rejected TEXT,
        UNIQUE (login, idempotency_key))",
    "CREATE INDEX IF NOT EXISTS checkins_unsent ON checkins (id) WHERE sent_at IS NULL AND rejected IS NULL",
    // Issue 25: a SHA-256 per finger the relay has seen on a terminal (written by it, or read
    // and handed to the server), so only new or changed fingers are uploaded. Never a template.
    "CREATE TABLE IF NOT EXISTS template_digests (
        sn TEXT NOT NULL,
        pin TEXT NOT NULL,
        finger INTEGER NOT NULL,
        digest BLOB NOT NULL,
        PRIMARY KEY (sn, pin, finger))",
];

/// The digest of a finger known on a terminal, by (PIN, finger).
pub type TemplateDigests = BTreeMap<(String, u8), Vec<u8>>;

/// One employee who may sign in at the relay's local app.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffMember {
    pub login: String,
    pub nip: Option<String>,
    pub name: String,
    pub password_hash: String,
}

/// A check-in taken on the office network.
#[derive(Debug, Clone, PartialEq)]
pub struct LocalCheckin {
    pub id: i64,
    pub login: String,
    pub idempotency_key: String,
    /// RFC 3339 (the relay's clock plus its measured offset to the server).
    pub punched_at: String,
    pub note: Option<String>,
    pub photo: Vec<u8>,
}

/// Check-ins by state, for the status page.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CheckinCounts {
    pub waiting: u64,
    pub sent: u64,
    pub rejected: u64,
}

/// Rows per INSERT statement (8 parameters each, well under SQLite's limit).
const ROWS_PER_INSERT: usize = 1000;

/// Buffered and sent counts of one terminal.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub buffered: u64,
    pub sent: u64,
}

#[derive(Clone)]
pub struct Buffer {
    pool: SqlitePool,
}

fn now() -> String {
    jiff::Timestamp::now().to_string()
}

impl Buffer {
    pub async fn open(path: &Path) -> Result<Self, BufferError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)?;
        }
        let opts = SqliteConnectOptions::from_str("sqlite://")?
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // A relay often loses power (a Pi on an office socket): commits must survive it.
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(Duration::from_secs(10));
        let pool = SqlitePoolOptions::new().max_connections(4).connect_with(opts).await?;
        for stmt in SCHEMA {
            sqlx::query(*stmt).execute(&pool).await?;
        }
        Ok(Self { pool })
    }

    pub async fn cursor(&self, sn: &str) -> Result<AttlogCursor, BufferError> {
        let row = sqlx::query("SELECT count, record_size, last_record FROM cursors WHERE sn = ?")
            .bind(sn)
            .fetch_optional(&self.pool)
            .await?;
        Ok(match row {
            Some(r) => AttlogCursor {
                count: u32::try_from(r.get::<i64, _>(0)).unwrap_or(0),
                record_size: u32::try_from(r.get::<i64, _>(1)).unwrap_or(0),
                last_record: r.get(2),
            },
            None => AttlogCursor::default(),
        })
    }

    /// Stores punches read from terminal `sn` and its new cursor atomically.
    /// Returns how many were new.
    pub async fn store(&self, sn: &str, punches: &[RelayPunch], cursor: &AttlogCursor) -> Result<u64, BufferError> {
        let mut tx = self.pool.begin().await?;
        let read_at = now();
        let mut inserted = 0;
        for chunk in punches.chunks(ROWS_PER_INSERT) {
            let mut q: QueryBuilder<Sqlite> =
                QueryBuilder::new("INSERT INTO punches (sn, pin, time, timezone, status, verify, workcode, read_at) ");
            q.push_values(chunk, |mut b, p| {
                b.push_bind(&p.sn)
                    .push_bind(&p.pin)
                    .push_bind(&p.time)
                    .push_bind(&p.timezone)
                    .push_bind(i64::from(p.status))
                    .push_bind(i64::from(p.verify))
                    .push_bind(p.workcode.map(i64::from))
                    .push_bind(&read_at);
            });
            q.push(" ON CONFLICT (sn, pin, time) DO NOTHING");
            inserted += q.build().execute(&mut *tx).await?.rows_affected();
        }
        sqlx::query(
            "INSERT INTO cursors (sn, count, record_size, last_record) VALUES (?, ?, ?, ?)
             ON CONFLICT (sn) DO UPDATE SET count = excluded.count, record_size = excluded.record_size,
             last_record = excluded.last_record",
        )
        .bind(sn)
        .bind(i64::from(cursor.count))
        .bind(i64::from(cursor.record_size))
        .bind(&cursor.last_record)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(inserted)
    }

    /// The oldest unsent punches, with their row ids.
    pub async fn unsent(&self, limit: usize) -> Result<Vec<(i64, RelayPunch)>, BufferError> {
        let rows = sqlx::query(
            "SELECT id, sn, pin, time, timezone, status, verify, workcode FROM punches
             WHERE sent_at IS NULL ORDER BY id LIMIT ?",
        )
        .bind(i64::try_from(limit).unwrap_or(i64::MAX))
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|r| {
                let small = |i: usize| u8::try_from(r.get::<i64, _>(i)).unwrap_or(0);
                let punch = RelayPunch {
                    sn: r.get(1),
                    pin: r.get(2),
                    time: r.get(3),
                    timezone: r.get(4),
                    status: small(5),
                    verify: small(6),
                    workcode: r.get::<Option<i64>, _>(7).and_then(|w| u32::try_from(w).ok()),
                };
                (r.get(0), punch)
            })
            .collect())
    }

    /// Marks rows `first..=last` sent. Ids only grow (AUTOINCREMENT), so the
    /// range holds exactly the batch that [`Buffer::unsent`] returned.
    pub async fn mark_sent(&self, first: i64, last: i64) -> Result<(), BufferError> {
        sqlx::query("UPDATE punches SET sent_at = ? WHERE id BETWEEN ? AND ? AND sent_at IS NULL")
            .bind(now())
            .bind(first)
            .bind(last)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn unsent_count(&self, sn: &str) -> Result<u64, BufferError> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM punches WHERE sn = ? AND sent_at IS NULL")
            .bind(sn)
            .fetch_one(&self.pool)
            .await?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    /// Buffered (unsent) and sent counts per terminal serial.
    pub async fn counts(&self) -> Result<BTreeMap<String, Counts>, BufferError> {
        let rows = sqlx::query("SELECT sn, SUM(sent_at IS NULL), SUM(sent_at IS NOT NULL) FROM punches GROUP BY sn")
            .fetch_all(&self.pool)
            .await?;
        Ok(rows
            .into_iter()
            .map(|r| {
                let n = |i: usize| u64::try_from(r.get::<i64, _>(i)).unwrap_or(0);
                (r.get(0), Counts { buffered: n(1), sent: n(2) })
            })
            .collect())
    }

    /// Forgets the read position (after the terminal's log was cleared).
    pub async fn reset_cursor(&self, sn: &str) -> Result<(), BufferError> {
        sqlx::query("DELETE FROM cursors WHERE sn = ?").bind(sn).execute(&self.pool).await?;
        Ok(())
    }

    /// The finger digests known for terminal `sn`; `None` when none was ever recorded (the
    /// terminal's fingers were never read).
    pub async fn template_digests(&self, sn: &str) -> Result<Option<TemplateDigests>, BufferError> {
        let rows = sqlx::query("SELECT pin, finger, digest FROM template_digests WHERE sn = ?")
            .bind(sn)
            .fetch_all(&self.pool)
            .await?;
        if rows.is_empty() {
            return Ok(None);
        }
        Ok(Some(
            rows.into_iter()
                .map(|r| ((r.get(0), u8::try_from(r.get::<i64, _>(1)).unwrap_or(u8::MAX)), r.get(2)))
                .collect(),
        ))
    }

    /// Records finger digests of terminal `sn` (replacing those of the same finger) and forgets
    /// every finger of the PINs in `forget`, in one transaction. An empty digest marks a
    /// terminal read with no finger (so its next read is not taken for a first one).
    pub async fn update_template_digests(
        &self,
        sn: &str,
        set: &[(String, u8, Vec<u8>)],
        forget: &[String],
    ) -> Result<(), BufferError> {
        let mut tx = self.pool.begin().await?;
        for pin in forget {
            sqlx::query("DELETE FROM template_digests WHERE sn = ? AND pin = ?")
                .bind(sn)
                .bind(pin)
                .execute(&mut *tx)
                .await?;
        }
        for (pin, finger, digest) in set {
            sqlx::query(
                "INSERT INTO template_digests (sn, pin, finger, digest) VALUES (?, ?, ?, ?)
                 ON CONFLICT (sn, pin, finger) DO UPDATE SET digest = excluded.digest",
            )
            .bind(sn)
            .bind(pin)
            .bind(i64::from(*finger))
            .bind(digest)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Replaces who may sign in (the roster's accounts) in one transaction.
    pub async fn replace_staff(&self, staff: &[StaffMember]) -> Result<(), BufferError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("DELETE FROM staff").execute(&mut *tx).await?;
        for m in staff {
            sqlx::query("INSERT OR REPLACE INTO staff (login, nip, name, password_hash) VALUES (?, ?, ?, ?)")
                .bind(&m.login)
                .bind(&m.nip)
                .bind(&m.name)
                .bind(&m.password_hash)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    pub async fn staff_member(&self, login: &str) -> Result<Option<StaffMember>, BufferError> {
        let row = sqlx::query("SELECT login, nip, name, password_hash FROM staff WHERE login = ?")
            .bind(login)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|r| StaffMember { login: r.get(0), nip: r.get(1), name: r.get(2), password_hash: r.get(3) }))
    }

    pub async fn staff_count(&self) -> Result<u64, BufferError> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM staff").fetch_one(&self.pool).await?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    /// Records a check-in once per (login, key): a retry with the same key gets the first one's
    /// time back, and `false` (not new).
    pub async fn record_checkin(
        &self,
        login: &str,
        key: &str,
        punched_at: &str,
        offset_ms: Option<i64>,
        note: Option<&str>,
        photo: &[u8],
    ) -> Result<(String, bool), BufferError> {
        let done = sqlx::query(
            "INSERT INTO checkins (login, idempotency_key, punched_at, offset_ms, note, photo, recorded_at)
             VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (login, idempotency_key) DO NOTHING",
        )
        .bind(login)
        .bind(key)
        .bind(punched_at)
        .bind(offset_ms)
        .bind(note)
        .bind(photo)
        .bind(now())
        .execute(&self.pool)
        .await?;
        let first: String =
            sqlx::query_scalar("SELECT punched_at FROM checkins WHERE login = ? AND idempotency_key = ?")
                .bind(login)
                .bind(key)
                .fetch_one(&self.pool)
                .await?;
        Ok((first, done.rows_affected() == 1))
    }

    /// The oldest check-ins not yet stored by the server (nor refused by it).
    pub async fn unsent_checkins(&self, limit: usize) -> Result<Vec<LocalCheckin>, BufferError> {
        let rows = sqlx::query(
            "SELECT id, login, idempotency_key, punched_at, note, photo FROM checkins
             WHERE sent_at IS NULL AND rejected IS NULL ORDER BY id LIMIT ?",
        )
        .bind(i64::try_from(limit).unwrap_or(i64::MAX))
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|r| LocalCheckin {
                id: r.get(0),
                login: r.get(1),
                idempotency_key: r.get(2),
                punched_at: r.get(3),
                note: r.get(4),
                photo: r.get(5),
            })
            .collect())
    }

    /// The server stored it (or had it already): kept as sent with the server's punch id and state.
    pub async fn checkin_sent(&self, id: i64, punch_id: i64, state: &str) -> Result<(), BufferError> {
        sqlx::query("UPDATE checkins SET sent_at = ?, punch_id = ?, state = ? WHERE id = ?")
            .bind(now())
            .bind(punch_id)
            .bind(state)
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// The server refused it for good (e.g. the person left the unit): never sent again.
    pub async fn checkin_rejected(&self, id: i64, reason: &str) -> Result<(), BufferError> {
        sqlx::query("UPDATE checkins SET rejected = ? WHERE id = ?").bind(reason).bind(id).execute(&self.pool).await?;
        Ok(())
    }

    pub async fn checkin_counts(&self) -> Result<CheckinCounts, BufferError> {
        let r = sqlx::query(
            "SELECT COALESCE(SUM(sent_at IS NULL AND rejected IS NULL), 0), COALESCE(SUM(sent_at IS NOT NULL), 0),
             COALESCE(SUM(rejected IS NOT NULL), 0) FROM checkins",
        )
        .fetch_one(&self.pool)
        .await?;
        let n = |i: usize| u64::try_from(r.get::<i64, _>(i)).unwrap_or(0);
        Ok(CheckinCounts { waiting: n(0), sent: n(1), rejected: n(2) })
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn punch(pin: &str, time: &str) -> RelayPunch {
        RelayPunch {
            sn: "SN1".into(),
            pin: pin.into(),
            time: time.into(),
            timezone: None,
            status: 0,
            verify: 1,
            workcode: None,
        }
    }

    #[tokio::test]
    async fn store_dedupes_and_survives_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/relay.db");
        let b = Buffer::open(&path).await.unwrap();
        let cursor = AttlogCursor { count: 2, record_size: 40, last_record: vec![1, 2] };
        let ps = [punch("1", "2024-01-02T07:00:00"), punch("2", "2024-01-02T07:01:00")];
        assert_eq!(b.store("SN1", &ps, &cursor).await.unwrap(), 2);
        assert_eq!(b.store("SN1", &ps, &cursor).await.unwrap(), 0);
        let batch = b.unsent(10).await.unwrap();
        assert_eq!(batch.len(), 2);
        b.mark_sent(batch[0].0, batch[0].0).await.unwrap();
        b.close().await;

        let b = Buffer::open(&path).await.unwrap();
        assert_eq!(b.cursor("SN1").await.unwrap(), cursor);
        assert_eq!(b.cursor("SN2").await.unwrap(), AttlogCursor::default());
        assert_eq!(b.unsent(10).await.unwrap().iter().map(|(_, p)| p.pin.as_str()).collect::<Vec<_>>(), ["2"]);
        assert_eq!(b.counts().await.unwrap()["SN1"], Counts { buffered: 1, sent: 1 });
        assert_eq!(b.unsent_count("SN1").await.unwrap(), 1);
        b.reset_cursor("SN1").await.unwrap();
        assert_eq!(b.cursor("SN1").await.unwrap(), AttlogCursor::default());
    }
}
