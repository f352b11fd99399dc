use crate::{SqliteStore, db_err, ms, ts};
use async_trait::async_trait;
use hadir_store::{AvailabilityStore, Result, ServerRun, UnavailableKind, UnavailableWindow};
use jiff::Timestamp;
use sqlx::Row;

#[async_trait]
impl AvailabilityStore for SqliteStore {
    async fn heartbeat(&self, instance: &str, started_at: Timestamp, now: Timestamp) -> Result<()> {
        sqlx::query(
            "INSERT INTO server_runs (instance, started_at, last_alive, clean) VALUES (?, ?, ?, 0)
             ON CONFLICT (instance) DO UPDATE SET last_alive = excluded.last_alive",
        )
        .bind(instance)
        .bind(ms(started_at))
        .bind(ms(now))
        .execute(&self.write)
        .await
        .map_err(db_err)?;
        Ok(())
    }

    async fn clean_stop(&self, instance: &str, now: Timestamp) -> Result<()> {
        sqlx::query("UPDATE server_runs SET clean = 1, last_alive = ? WHERE instance = ?")
            .bind(ms(now))
            .bind(instance)
            .execute(&self.write)
            .await
            .map_err(db_err)?;
        Ok(())
    }

    async fn runs_between(&self, from: Timestamp, to: Timestamp) -> Result<Vec<ServerRun>> {
        let rows = sqlx::query(
            "SELECT instance, started_at, last_alive, clean FROM server_runs WHERE last_alive >= ? AND started_at <= ?
             ORDER BY started_at LIMIT 1000",
        )
        .bind(ms(from))
        .bind(ms(to))
        .fetch_all(&self.read)
        .await
        .map_err(db_err)?;
        Ok(rows
            .iter()
            .map(|r| ServerRun {
                instance: r.get("instance"),
                started_at: ts(r.get("started_at")),
                last_alive: ts(r.get("last_alive")),
                clean: r.get::<i64, _>("clean") != 0,
            })
            .collect())
    }

    async fn prune_availability(&self, before: Timestamp) -> Result<()> {
        let mut tx = self.write.begin().await.map_err(db_err)?;
        for sql in ["DELETE FROM server_runs WHERE last_alive < ?", "DELETE FROM server_unavailable WHERE ended_at < ?"]
        {
            sqlx::query(sql).bind(ms(before)).execute(&mut *tx).await.map_err(db_err)?;
        }
        tx.commit().await.map_err(db_err)?;
        Ok(())
    }

    async fn record_unavailable(&self, w: &UnavailableWindow) -> Result<()> {
        sqlx::query("INSERT INTO server_unavailable (kind, started_at, ended_at) VALUES (?, ?, ?)")
            .bind(w.kind.as_str())
            .bind(ms(w.start))
            .bind(ms(w.end))
            .execute(&self.write)
            .await
            .map_err(db_err)?;
        Ok(())
    }

    async fn unavailable_between(&self, from: Timestamp, to: Timestamp) -> Result<Vec<UnavailableWindow>> {
        let rows = sqlx::query(
            "SELECT kind, started_at, ended_at FROM server_unavailable WHERE ended_at >= ? AND started_at <= ?
             ORDER BY started_at LIMIT 1000",
        )
        .bind(ms(from))
        .bind(ms(to))
        .fetch_all(&self.read)
        .await
        .map_err(db_err)?;
        Ok(rows
            .iter()
            .map(|r| UnavailableWindow {
                kind: UnavailableKind::parse(r.get("kind")).unwrap_or(UnavailableKind::Down),
                start: ts(r.get("started_at")),
                end: ts(r.get("ended_at")),
            })
            .collect())
    }
}
