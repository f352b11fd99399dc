//! The leased outbox both delivery queues share (issue 25: `webhook_deliveries`,
//! `push_deliveries`): rows with `state` (`pending`/`delivered`/`failed`), `attempts`,
//! `next_attempt_at`, `last_status`, `last_error` and `delivered_at`.
//!
//! A claim reads the due rows from the read pool, then takes each with a conditional update that
//! moves its `next_attempt_at` to the lease's end: taken only if still due, so another instance
//! that took it first (and moved its time) wins and nobody sends the same attempt twice. An
//! attempt's outcome is written in one update.

use super::{Store, db_err, ms};
use hadir_store::{DeliveryAttempt, DeliveryState, Id, Result};
use jiff::Timestamp;
use sqlx::{AssertSqlSafe, Row};

/// A table holding a leased outbox (its name is a constant of this crate, never input).
#[derive(Clone, Copy)]
pub(super) struct Outbox(pub(super) &'static str);

pub(super) const WEBHOOKS: Outbox = Outbox("webhook_deliveries");
pub(super) const PUSHES: Outbox = Outbox("push_deliveries");

impl Outbox {
    /// The ids of up to `limit` pending rows due at `now`, oldest first, each leased until
    /// `lease_until` (only those this call took).
    pub(super) async fn claim_due(
        self,
        store: &Store,
        now: Timestamp,
        lease_until: Timestamp,
        limit: u32,
    ) -> Result<Vec<Id>> {
        let due = sqlx::query(AssertSqlSafe(format!(
            "SELECT id FROM {} WHERE state = 'pending' AND next_attempt_at <= $1 ORDER BY next_attempt_at, id LIMIT $2",
            self.0
        )))
        .bind(ms(now))
        .bind(i64::from(limit))
        .fetch_all(&store.read)
        .await
        .map_err(db_err)?;
        let take = format!(
            "UPDATE {} SET next_attempt_at = $1 WHERE id = $2 AND state = 'pending' AND next_attempt_at <= $3",
            self.0
        );
        let mut out = Vec::new();
        for r in due {
            let id: Id = r.get("id");
            // Taken only if still due: another instance that took it first moved its time.
            let taken = sqlx::query(AssertSqlSafe(take.as_str()))
                .bind(ms(lease_until))
                .bind(id)
                .bind(ms(now))
                .execute(&store.write)
                .await
                .map_err(db_err)?
                .rows_affected();
            if taken == 1 {
                out.push(id);
            }
        }
        Ok(out)
    }

    /// Records one attempt: delivered, pending again at `a.retry_at`, or failed for good.
    pub(super) async fn record_attempt(self, store: &Store, id: Id, a: &DeliveryAttempt, now: Timestamp) -> Result<()> {
        let state = match (a.delivered, a.retry_at) {
            (true, _) => DeliveryState::Delivered,
            (false, Some(_)) => DeliveryState::Pending,
            (false, None) => DeliveryState::Failed,
        };
        sqlx::query(AssertSqlSafe(format!(
            "UPDATE {} SET state = $1, attempts = attempts + 1, next_attempt_at = $2, last_status = $3,
                last_error = $4, delivered_at = $5 WHERE id = $6",
            self.0
        )))
        .bind(state.as_str())
        .bind(ms(a.retry_at.unwrap_or(now)))
        .bind(a.status)
        .bind(a.error.as_deref())
        .bind(a.delivered.then(|| ms(now)))
        .bind(id)
        .execute(&store.write)
        .await
        .map_err(db_err)?;
        Ok(())
    }
}
