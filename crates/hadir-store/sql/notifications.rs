//! Notifications (issue 25): push subscriptions, preferences and the outbox.

use super::{Store, db_err, ms, ts};
use async_trait::async_trait;
use hadir_store::{
    DeliveryAttempt, DeliveryState, HeldWaiting, Id, NewNotification, NotificationStore, PushDelivery,
    PushSubscription, Result, RoleHolder,
};
use jiff::Timestamp;
use sqlx::Row;

fn subscription(r: &super::DbRow) -> PushSubscription {
    PushSubscription {
        id: r.get("id"),
        account_id: r.get("account_id"),
        endpoint: r.get("endpoint"),
        p256dh: r.get("p256dh"),
        auth: r.get("auth"),
        created_at: ts(r.get("created_at")),
    }
}

macro_rules! push_select {
    () => {
        "SELECT d.id, d.notification_id, d.subscription_id, n.account_id, s.endpoint, s.p256dh, s.auth, n.kind,
            n.payload, d.state, CAST(d.attempts AS BIGINT) AS attempts, CAST(d.last_status AS BIGINT) AS last_status,
            d.last_error
         FROM push_deliveries d JOIN notifications n ON n.id = d.notification_id
         JOIN push_subscriptions s ON s.id = d.subscription_id"
    };
}

fn delivery(r: &super::DbRow) -> PushDelivery {
    PushDelivery {
        id: r.get("id"),
        notification_id: r.get("notification_id"),
        subscription_id: r.get("subscription_id"),
        account_id: r.get("account_id"),
        endpoint: r.get("endpoint"),
        p256dh: r.get("p256dh"),
        auth: r.get("auth"),
        kind: r.get("kind"),
        payload: r.get("payload"),
        state: DeliveryState::parse(&r.get::<String, _>("state")),
        attempts: r.get("attempts"),
        last_status: r.get("last_status"),
        last_error: r.get("last_error"),
    }
}

macro_rules! sub_cols {
    () => {
        "id, account_id, endpoint, p256dh, auth, created_at"
    };
}

#[async_trait]
impl NotificationStore for Store {
    async fn upsert_push_subscription(
        &self,
        account_id: Id,
        endpoint: &str,
        p256dh: &str,
        auth: &str,
        max_per_account: u32,
        now: Timestamp,
    ) -> Result<PushSubscription> {
        let mut tx = self.write.begin().await.map_err(db_err)?;
        // A browser signed in by someone else before: its pending pushes were for them.
        sqlx::query(
            "DELETE FROM push_deliveries WHERE state = 'pending' AND subscription_id IN
               (SELECT id FROM push_subscriptions WHERE endpoint = $1 AND account_id <> $2)",
        )
        .bind(endpoint)
        .bind(account_id)
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
        let r = sqlx::query(concat!(
            "INSERT INTO push_subscriptions (account_id, endpoint, p256dh, auth, created_at) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (endpoint) DO UPDATE SET account_id = excluded.account_id, p256dh = excluded.p256dh,
                auth = excluded.auth, created_at = excluded.created_at
             RETURNING ",
            sub_cols!()
        ))
        .bind(account_id)
        .bind(endpoint)
        .bind(p256dh)
        .bind(auth)
        .bind(ms(now))
        .fetch_one(&mut *tx)
        .await
        .map_err(db_err)?;
        let out = subscription(&r);
        // Bounded per account: the oldest give way.
        let old =
            sqlx::query("SELECT id FROM push_subscriptions WHERE account_id = $1 ORDER BY created_at DESC, id DESC")
                .bind(account_id)
                .fetch_all(&mut *tx)
                .await
                .map_err(db_err)?;
        for r in old.iter().skip(max_per_account.max(1) as usize) {
            let id: Id = r.get("id");
            delete_subscription(&mut tx, id).await?;
        }
        tx.commit().await.map_err(db_err)?;
        Ok(out)
    }

    async fn delete_push_subscription(&self, account_id: Id, endpoint: &str) -> Result<bool> {
        let mut tx = self.write.begin().await.map_err(db_err)?;
        let r = sqlx::query("SELECT id FROM push_subscriptions WHERE account_id = $1 AND endpoint = $2")
            .bind(account_id)
            .bind(endpoint)
            .fetch_optional(&mut *tx)
            .await
            .map_err(db_err)?;
        let Some(r) = r else {
            return Ok(false);
        };
        delete_subscription(&mut tx, r.get("id")).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(true)
    }

    async fn drop_push_subscription(&self, id: Id) -> Result<()> {
        let mut tx = self.write.begin().await.map_err(db_err)?;
        delete_subscription(&mut tx, id).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(())
    }

    async fn push_subscriptions_of(&self, account_id: Id) -> Result<Vec<PushSubscription>> {
        let rows =
            sqlx::query(concat!("SELECT ", sub_cols!(), " FROM push_subscriptions WHERE account_id = $1 ORDER BY id"))
                .bind(account_id)
                .fetch_all(&self.read)
                .await
                .map_err(db_err)?;
        Ok(rows.iter().map(subscription).collect())
    }

    async fn role_holders_over(&self, unit_path: &str, role: &str) -> Result<Vec<RoleHolder>> {
        let rows = sqlx::query(
            "SELECT DISTINCT a.id, a.username, a.name, e.nip FROM role_grants g
             JOIN units u ON u.id = g.unit_id JOIN accounts a ON a.id = g.account_id
             LEFT JOIN employees e ON e.account_id = a.id
             WHERE g.role = $1 AND a.active AND substr($2, 1, length(u.path)) = u.path ORDER BY a.id",
        )
        .bind(role)
        .bind(unit_path)
        .fetch_all(&self.read)
        .await
        .map_err(db_err)?;
        Ok(rows
            .iter()
            .map(|r| RoleHolder {
                account_id: r.get("id"),
                login: r.get("username"),
                name: r.get("name"),
                nip: r.get("nip"),
            })
            .collect())
    }

    async fn notification_prefs(&self, account_id: Id) -> Result<Option<Vec<String>>> {
        let r = sqlx::query("SELECT kinds FROM notification_prefs WHERE account_id = $1")
            .bind(account_id)
            .fetch_optional(&self.read)
            .await
            .map_err(db_err)?;
        Ok(r.map(|r| r.get::<String, _>("kinds").split(',').filter(|k| !k.is_empty()).map(Into::into).collect()))
    }

    async fn set_notification_prefs(&self, account_id: Id, kinds: &[String], now: Timestamp) -> Result<()> {
        sqlx::query(
            "INSERT INTO notification_prefs (account_id, kinds, updated_at) VALUES ($1, $2, $3)
             ON CONFLICT (account_id) DO UPDATE SET kinds = excluded.kinds, updated_at = excluded.updated_at",
        )
        .bind(account_id)
        .bind(kinds.join(","))
        .bind(ms(now))
        .execute(&self.write)
        .await
        .map_err(db_err)?;
        Ok(())
    }

    async fn queue_notification(&self, n: &NewNotification, now: Timestamp) -> Result<Option<Id>> {
        let mut tx = self.write.begin().await.map_err(db_err)?;
        let r = sqlx::query(
            "INSERT INTO notifications (dedup_key, account_id, kind, payload, created_at) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (dedup_key) DO NOTHING RETURNING id",
        )
        .bind(&n.dedup_key)
        .bind(n.account_id)
        .bind(&n.kind)
        .bind(&n.payload)
        .bind(ms(now))
        .fetch_optional(&mut *tx)
        .await
        .map_err(db_err)?;
        let Some(r) = r else {
            return Ok(None);
        };
        let id: Id = r.get("id");
        sqlx::query(
            "INSERT INTO push_deliveries (notification_id, subscription_id, state, attempts, next_attempt_at)
             SELECT $1, id, 'pending', 0, $2 FROM push_subscriptions WHERE account_id = $3",
        )
        .bind(id)
        .bind(ms(now))
        .bind(n.account_id)
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
        tx.commit().await.map_err(db_err)?;
        Ok(Some(id))
    }

    async fn claim_due_pushes(&self, now: Timestamp, lease_until: Timestamp, limit: u32) -> Result<Vec<PushDelivery>> {
        let mut out = Vec::new();
        for id in super::outbox::PUSHES.claim_due(self, now, lease_until, limit).await? {
            let r = sqlx::query(concat!(push_select!(), " WHERE d.id = $1"))
                .bind(id)
                .fetch_optional(&self.write)
                .await
                .map_err(db_err)?;
            out.extend(r.as_ref().map(delivery));
        }
        Ok(out)
    }

    async fn record_push_attempt(&self, id: Id, a: &DeliveryAttempt, now: Timestamp) -> Result<()> {
        super::outbox::PUSHES.record_attempt(self, id, a, now).await
    }

    async fn held_waiting(&self, received_before: Timestamp) -> Result<Vec<HeldWaiting>> {
        // `hold = 'pending'` uses the partial index `punches_held`.
        let rows = sqlx::query(
            "SELECT e.id AS employee_id, e.account_id, u.id AS unit_id, u.path AS unit_path,
                CAST(COUNT(*) AS BIGINT) AS n, MIN(p.received_at) AS oldest
             FROM punches p JOIN employees e ON e.id = p.employee_id JOIN units u ON u.id = e.unit_id
             WHERE p.hold = 'pending' AND NOT p.quarantined AND p.received_at <= $1
             GROUP BY e.id, e.account_id, u.id, u.path ORDER BY u.id, e.id",
        )
        .bind(ms(received_before))
        .fetch_all(&self.read)
        .await
        .map_err(db_err)?;
        Ok(rows
            .iter()
            .map(|r| HeldWaiting {
                employee_id: r.get("employee_id"),
                account_id: r.get("account_id"),
                unit_id: r.get("unit_id"),
                unit_path: r.get("unit_path"),
                count: r.get("n"),
                oldest: ts(r.get("oldest")),
            })
            .collect())
    }

    async fn push_deliveries_of(&self, account_id: Id, limit: u32) -> Result<Vec<PushDelivery>> {
        let rows = sqlx::query(concat!(push_select!(), " WHERE n.account_id = $1 ORDER BY d.id DESC LIMIT $2"))
            .bind(account_id)
            .bind(i64::from(limit))
            .fetch_all(&self.read)
            .await
            .map_err(db_err)?;
        Ok(rows.iter().map(delivery).collect())
    }
}

/// Deletes a subscription and every delivery to it (delivered ones too: the log is per
/// subscription, and a gone browser's log is of no use).
async fn delete_subscription(conn: &mut super::Conn, id: Id) -> Result<()> {
    sqlx::query("DELETE FROM push_deliveries WHERE subscription_id = $1")
        .bind(id)
        .execute(&mut *conn)
        .await
        .map_err(db_err)?;
    sqlx::query("DELETE FROM push_subscriptions WHERE id = $1").bind(id).execute(&mut *conn).await.map_err(db_err)?;
    Ok(())
}
