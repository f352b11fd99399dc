//! Outgoing webhooks (issue 25): endpoints and the durable outbox of their deliveries.

use crate::{Audit, Id, Result};
use async_trait::async_trait;
use jiff::Timestamp;

#[derive(Debug, Clone, PartialEq)]
pub struct WebhookEndpoint {
    pub id: Id,
    pub name: String,
    pub url: String,
    /// The shared secret of the signature; never shown after creation.
    pub secret: String,
    /// Event kinds it receives; `["*"]`: every kind.
    pub events: Vec<String>,
    pub active: bool,
    pub created_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewWebhookEndpoint {
    pub name: String,
    pub url: String,
    pub secret: String,
    pub events: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryState {
    Pending,
    Delivered,
    /// Gave up after the last attempt.
    Failed,
}

impl DeliveryState {
    pub fn as_str(&self) -> &'static str {
        match self {
            DeliveryState::Pending => "pending",
            DeliveryState::Delivered => "delivered",
            DeliveryState::Failed => "failed",
        }
    }
    pub fn parse(s: &str) -> DeliveryState {
        match s {
            "delivered" => DeliveryState::Delivered,
            "failed" => DeliveryState::Failed,
            _ => DeliveryState::Pending,
        }
    }
}

/// One event for one endpoint, with its attempts so far.
#[derive(Debug, Clone, PartialEq)]
pub struct WebhookDelivery {
    pub id: Id,
    pub endpoint_id: Id,
    pub endpoint_name: String,
    pub url: String,
    pub secret: String,
    pub event_kind: String,
    /// JSON text.
    pub payload: String,
    pub created_at: Timestamp,
    pub state: DeliveryState,
    pub attempts: i64,
    pub next_attempt_at: Timestamp,
    pub last_status: Option<i64>,
    pub last_error: Option<String>,
    pub delivered_at: Option<Timestamp>,
}

/// The result of one attempt.
#[derive(Debug, Clone, PartialEq)]
pub struct DeliveryAttempt {
    pub delivered: bool,
    pub status: Option<i64>,
    pub error: Option<String>,
    /// When to try again; `None` with `delivered == false`: give up (failed).
    pub retry_at: Option<Timestamp>,
}

#[async_trait]
pub trait WebhookStore: Send + Sync {
    async fn create_webhook(&self, e: &NewWebhookEndpoint, audit: Audit) -> Result<WebhookEndpoint>;
    async fn list_webhooks(&self) -> Result<Vec<WebhookEndpoint>>;
    /// Queues `payload` (JSON text) for every active endpoint that takes `kind`, due at `now`;
    /// returns how many deliveries were queued.
    async fn enqueue_webhook_event(&self, kind: &str, payload: &str, now: Timestamp) -> Result<u64>;
    /// Pending deliveries due at `now`, oldest first, each leased until `lease_until` (another
    /// instance does not take them meanwhile).
    async fn claim_due_webhooks(
        &self,
        now: Timestamp,
        lease_until: Timestamp,
        limit: u32,
    ) -> Result<Vec<WebhookDelivery>>;
    async fn record_webhook_attempt(&self, id: Id, a: &DeliveryAttempt, now: Timestamp) -> Result<()>;
    /// The delivery log, newest first.
    async fn list_webhook_deliveries(&self, limit: u32) -> Result<Vec<WebhookDelivery>>;
}
