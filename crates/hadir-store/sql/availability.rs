use super::{Store, db_err, ms, ts};
use async_trait::async_trait;
use hadir_store::{AvailabilityStore, Result, ServerRun, UnavailableKind, UnavailableWindow};
use jiff::Timestamp;
use sqlx::Row;

#[async_trait]
impl AvailabilityStore for Store {
    async fn heartbeat(&self, instance: &str, started_at: Timestamp, now: Timestamp) -> Result<()> {
        sqlx::query(
            "INSERT INTO server_runs (instance, started_at, last_alive, clean) VALUES ($1, $2, $3, FALSE)
             ON CONFLICT (instance) DO UPDATE SET last_alive = EXCLUDED.last_alive",
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
        sqlx::query("UPDATE server_runs SET clean = TRUE, last_alive = $1 WHERE instance = $2")
            .bind(ms(now))
            .bind(instance)
            .execute(&self.write)
            .await
            .map_err(db_err)?;
        Ok(())
    }

    async fn runs_between(&self, from: Timestamp, to: Timestamp) -> Result<Vec<ServerRun>> {
        let rows = sqlx::query(
            "SELECT instance, started_at, last_alive, clean FROM server_runs WHERE last_alive >= $1 AND started_at <= $2
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
                clean: r.get::<bool, _>("clean"),
            })
            .collect())
    }

    async fn prune_availability(&self, before: Timestamp) -> Result<()> {
        let mut tx = self.write.begin().await.map_err(db_err)?;
        for sql in
            ["DELETE FROM server_runs WHERE last_alive < $1", "DELETE FROM server_unavailable WHERE ended_at < $1"]
        {
            sqlx::query(sql).bind(ms(before)).execute(&mut *tx).await.map_err(db_err)?;
        }
        tx.commit().await.map_err(db_err)?;
        Ok(())
    }

    async fn record_unavailable(&self, w: &UnavailableWindow) -> Result<()> {
        sqlx::query("INSERT INTO server_unavailable (kind, started_at, ended_at) VALUES ($1, $2, $3)")
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
            "SELECT kind, started_at, ended_at FROM server_unavailable WHERE ended_at >= $1 AND started_at <= $2
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
