//! Outgoing webhooks (issue 25): endpoints and the outbox of deliveries.

use super::audit::write_audit;
use super::{Store, db_err, ms, ts};
use async_trait::async_trait;
use hadir_store::{
    Audit, DeliveryAttempt, DeliveryState, Id, NewWebhookEndpoint, Result, WebhookDelivery, WebhookEndpoint,
    WebhookStore,
};
use jiff::Timestamp;
use sqlx::Row;

fn endpoint(r: &super::DbRow) -> WebhookEndpoint {
    let events: String = r.get("events");
    WebhookEndpoint {
        id: r.get("id"),
        name: r.get("name"),
        url: r.get("url"),
        secret: r.get("secret"),
        events: events.split(',').filter(|e| !e.is_empty()).map(Into::into).collect(),
        active: r.get::<bool, _>("active"),
        created_at: ts(r.get("created_at")),
    }
}

macro_rules! delivery_select {
    () => {
        "SELECT d.id, d.endpoint_id, e.name, e.url, e.secret, d.event_kind, d.payload, d.created_at, d.state,
            CAST(d.attempts AS BIGINT) AS attempts, d.next_attempt_at, CAST(d.last_status AS BIGINT) AS last_status,
            d.last_error, d.delivered_at
         FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id"
    };
}

fn delivery(r: &super::DbRow) -> WebhookDelivery {
    WebhookDelivery {
        id: r.get("id"),
        endpoint_id: r.get("endpoint_id"),
        endpoint_name: r.get("name"),
        url: r.get("url"),
        secret: r.get("secret"),
        event_kind: r.get("event_kind"),
        payload: r.get("payload"),
        created_at: ts(r.get("created_at")),
        state: DeliveryState::parse(&r.get::<String, _>("state")),
        attempts: r.get("attempts"),
        next_attempt_at: ts(r.get("next_attempt_at")),
        last_status: r.get("last_status"),
        last_error: r.get("last_error"),
        delivered_at: r.get::<Option<i64>, _>("delivered_at").map(ts),
    }
}

#[async_trait]
impl WebhookStore for Store {
    async fn create_webhook(&self, e: &NewWebhookEndpoint, audit: Audit) -> Result<WebhookEndpoint> {
        let mut tx = self.write.begin().await.map_err(db_err)?;
        let r = sqlx::query(
            "INSERT INTO webhook_endpoints (name, url, secret, events, active, created_at) VALUES ($1, $2, $3, $4, TRUE, $5)
             RETURNING id, name, url, secret, events, active, created_at",
        )
        .bind(&e.name)
        .bind(&e.url)
        .bind(&e.secret)
        .bind(e.events.join(","))
        .bind(ms(Timestamp::now()))
        .fetch_one(&mut *tx)
        .await
        .map_err(db_err)?;
        let out = endpoint(&r);
        write_audit(&mut tx, &Audit { entity_id: out.id.to_string(), ..audit }).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(out)
    }

    async fn list_webhooks(&self) -> Result<Vec<WebhookEndpoint>> {
        let rows =
            sqlx::query("SELECT id, name, url, secret, events, active, created_at FROM webhook_endpoints ORDER BY id")
                .fetch_all(&self.read)
                .await
                .map_err(db_err)?;
        Ok(rows.iter().map(endpoint).collect())
    }

    async fn enqueue_webhook_event(&self, kind: &str, payload: &str, now: Timestamp) -> Result<u64> {
        let endpoints = self.list_webhooks().await?;
        let targets: Vec<Id> = endpoints
            .iter()
            .filter(|e| e.active && e.events.iter().any(|k| k == "*" || k == kind))
            .map(|e| e.id)
            .collect();
        if targets.is_empty() {
            return Ok(0);
        }
        let mut tx = self.write.begin().await.map_err(db_err)?;
        for id in &targets {
            sqlx::query(
                "INSERT INTO webhook_deliveries (endpoint_id, event_kind, payload, created_at, state, attempts, next_attempt_at)
                 VALUES ($1, $2, $3, $4, 'pending', 0, $4)",
            )
            .bind(id)
            .bind(kind)
            .bind(payload)
            .bind(ms(now))
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        }
        tx.commit().await.map_err(db_err)?;
        Ok(targets.len() as u64)
    }

    async fn claim_due_webhooks(
        &self,
        now: Timestamp,
        lease_until: Timestamp,
        limit: u32,
    ) -> Result<Vec<WebhookDelivery>> {
        let mut out = Vec::new();
        for id in super::outbox::WEBHOOKS.claim_due(self, now, lease_until, limit).await? {
            let r = sqlx::query(concat!(delivery_select!(), " WHERE d.id = $1"))
                .bind(id)
                .fetch_one(&self.write)
                .await
                .map_err(db_err)?;
            out.push(delivery(&r));
        }
        Ok(out)
    }

    async fn record_webhook_attempt(&self, id: Id, a: &DeliveryAttempt, now: Timestamp) -> Result<()> {
        super::outbox::WEBHOOKS.record_attempt(self, id, a, now).await
    }

    async fn list_webhook_deliveries(&self, limit: u32) -> Result<Vec<WebhookDelivery>> {
        let rows = sqlx::query(concat!(delivery_select!(), " ORDER BY d.id DESC LIMIT $1"))
            .bind(i64::from(limit))
            .fetch_all(&self.read)
            .await
            .map_err(db_err)?;
        Ok(rows.iter().map(delivery).collect())
    }
}
