//! Outgoing webhooks (issue 25): events for systems the regency already runs (a WhatsApp/SMS
//! gateway, the TPP system). Any module queues an event with [`enqueue`]; it is written to the
//! durable outbox (`webhook_deliveries`, one row per subscribed endpoint) and a background
//! worker posts it:
//!
//! ```text
//! POST <endpoint url>
//! Content-Type: application/json
//! X-Hadir-Event: <kind>
//! X-Hadir-Delivery: <delivery id>          (the same on every retry: receivers dedupe on it)
//! X-Hadir-Timestamp: <unix seconds>
//! X-Hadir-Signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>
//!
//! {"id": <delivery id>, "kind": "<kind>", "created_at": "<RFC 3339>", "payload": {…}}
//! ```
//!
//! A 2xx answer delivers it; anything else (or no answer within the timeout) is retried with
//! exponential backoff (`backoff_base_ms` × 2^attempt, capped at one day) until `max_attempts`,
//! then the delivery is `failed`. Each claim leases the row, so several instances never send
//! the same attempt twice. The rows are the delivery log (`GET /api/v1/webhooks/deliveries`).

use hadir_store::{DeliveryAttempt, Store, StoreError, WebhookDelivery};
use hmac::{Hmac, KeyInit, Mac};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use std::sync::Arc;
use std::time::Duration;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct WebhookConfig {
    /// How often the worker looks for due deliveries.
    pub poll_ms: u64,
    /// First retry after this; each next one waits twice as long (at most a day).
    pub backoff_base_ms: u64,
    /// Attempts before a delivery is given up (`failed`).
    pub max_attempts: u32,
    /// Time allowed for the receiver to answer.
    pub timeout_secs: u64,
}

impl Default for WebhookConfig {
    fn default() -> Self {
        WebhookConfig { poll_ms: 2_000, backoff_base_ms: 30_000, max_attempts: 10, timeout_secs: 10 }
    }
}

/// Deliveries claimed per poll.
const BATCH: u32 = 50;

/// Queues an event for every active endpoint that takes `kind`; returns how many deliveries
/// were queued. The public entry point for other modules (notifications, TPP, imports).
pub async fn enqueue(store: &dyn Store, kind: &str, payload: &serde_json::Value) -> Result<u64, StoreError> {
    store.enqueue_webhook_event(kind, &payload.to_string(), Timestamp::now()).await
}

/// [`enqueue`] for callers that must not fail because of it: an error is logged.
pub async fn enqueue_or_log(store: &dyn Store, kind: &str, payload: &serde_json::Value) {
    if let Err(e) = enqueue(store, kind, payload).await {
        tracing::error!(kind, error = %e, "webhook event not queued");
    }
}

/// `sha256=<hex>` of `"<timestamp>.<body>"` under `secret`.
pub fn signature(secret: &str, timestamp: i64, body: &[u8]) -> String {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(secret.as_bytes()).expect("HMAC takes keys of any length");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// The wait before attempt `attempt + 1` after `attempt` failed ones.
pub fn backoff(cfg: &WebhookConfig, attempts: u32) -> Duration {
    crate::outbox::backoff(cfg.backoff_base_ms, attempts)
}

/// Starts the delivery worker.
pub fn start(store: Arc<dyn Store>, cfg: WebhookConfig) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let client = match crate::outbox::http_client(cfg.timeout_secs) {
            Ok(c) => c,
            Err(e) => {
                tracing::error!(error = %e, "webhook client not built: no deliveries");
                return;
            }
        };
        let poll = Duration::from_millis(cfg.poll_ms.max(10));
        loop {
            match deliver_due(store.as_ref(), &client, &cfg).await {
                Ok(n) if n > 0 => continue, // more may be due
                Ok(_) => {}
                Err(e) => tracing::error!(error = %e, "webhook deliveries: store error"),
            }
            tokio::time::sleep(poll).await;
        }
    })
}

/// One pass: claims the due deliveries and attempts each; returns how many were attempted.
pub async fn deliver_due(
    store: &dyn Store,
    client: &reqwest::Client,
    cfg: &WebhookConfig,
) -> Result<usize, StoreError> {
    let now = Timestamp::now();
    let lease = crate::outbox::lease_until(now, cfg.timeout_secs);
    let due = store.claim_due_webhooks(now, lease, BATCH).await?;
    for d in &due {
        let attempt = attempt(client, d).await;
        let attempts = crate::outbox::attempts_after(d.attempts);
        let retry_at = crate::outbox::retry_at(cfg.backoff_base_ms, attempts, cfg.max_attempts, !attempt.0);
        let (delivered, status, error) = attempt;
        if delivered {
            tracing::info!(delivery = d.id, endpoint = %d.endpoint_name, kind = %d.event_kind, "webhook delivered");
        } else {
            tracing::warn!(delivery = d.id, endpoint = %d.endpoint_name, kind = %d.event_kind, attempts, status,
                error = error.as_deref().unwrap_or(""), given_up = retry_at.is_none(), "webhook not delivered");
        }
        let a = DeliveryAttempt { delivered, status, error, retry_at };
        store.record_webhook_attempt(d.id, &a, Timestamp::now()).await?;
        metrics::counter!("hadir_webhook_attempts_total", "outcome" => if delivered { "delivered" } else { "failed" })
            .increment(1);
    }
    Ok(due.len())
}

async fn attempt(client: &reqwest::Client, d: &WebhookDelivery) -> (bool, Option<i64>, Option<String>) {
    let payload: serde_json::Value = serde_json::from_str(&d.payload).unwrap_or(serde_json::Value::Null);
    let body = serde_json::json!({
        "id": d.id,
        "kind": d.event_kind,
        "created_at": d.created_at.to_string(),
        "payload": payload,
    })
    .to_string();
    let ts = Timestamp::now().as_second();
    let sent = client
        .post(&d.url)
        .header("Content-Type", "application/json")
        .header("User-Agent", "Hadir-Webhook/1")
        .header("X-Hadir-Event", &d.event_kind)
        .header("X-Hadir-Delivery", d.id.to_string())
        .header("X-Hadir-Timestamp", ts.to_string())
        .header("X-Hadir-Signature", signature(&d.secret, ts, body.as_bytes()))
        .body(body)
        .send()
        .await;
    match sent {
        Ok(r) if r.status().is_success() => (true, Some(i64::from(r.status().as_u16())), None),
        Ok(r) => (false, Some(i64::from(r.status().as_u16())), Some(format!("HTTP {}", r.status().as_u16()))),
        Err(e) => {
            let what = if e.is_timeout() {
                "tidak ada jawaban dalam batas waktu".to_string()
            } else if e.is_connect() {
                "tidak dapat terhubung".to_string()
            } else {
                "permintaan gagal".to_string()
            };
            (false, None, Some(what))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_is_hmac_sha256_of_timestamp_dot_body() {
        // The primitive against RFC 4231 test case 2.
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(b"Jefe").unwrap();
        mac.update(b"what do ya want for nothing?");
        assert_eq!(
            hex::encode(mac.finalize().into_bytes()),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        // The signed text is "<timestamp>.<body>".
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(b"rahasia").unwrap();
        mac.update(b"1700000000.{\"a\":1}");
        let want = format!("sha256={}", hex::encode(mac.finalize().into_bytes()));
        assert_eq!(signature("rahasia", 1_700_000_000, b"{\"a\":1}"), want);
        assert_ne!(signature("lain", 1_700_000_000, b"{\"a\":1}"), want);
        assert_ne!(signature("rahasia", 1_700_000_001, b"{\"a\":1}"), want);
    }

    #[test]
    fn backoff_doubles_and_is_capped() {
        let cfg = WebhookConfig { backoff_base_ms: 1000, ..Default::default() };
        let waits: Vec<u64> = (0..4).map(|a| backoff(&cfg, a).as_millis() as u64).collect();
        assert_eq!(waits, vec![1000, 2000, 4000, 8000]);
        assert_eq!(backoff(&cfg, 40), Duration::from_secs(24 * 3600));
    }
}
