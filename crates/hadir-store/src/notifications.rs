//! Notifications (issue 25): Web Push subscriptions, per-person preferences and the durable
//! outbox of notifications and their push deliveries.

use crate::{DeliveryState, Id, Result};
use async_trait::async_trait;
use jiff::Timestamp;

/// A browser's push subscription (`PushSubscription.toJSON()`), owned by one account.
#[derive(Debug, Clone, PartialEq)]
pub struct PushSubscription {
    pub id: Id,
    pub account_id: Id,
    pub endpoint: String,
    /// The browser's P-256 public key, base64url.
    pub p256dh: String,
    /// The browser's 16-byte auth secret, base64url.
    pub auth: String,
    pub created_at: Timestamp,
}

/// Something to tell one person, queued once per `dedup_key`.
#[derive(Debug, Clone, PartialEq)]
pub struct NewNotification {
    /// Unique: e.g. `reminder:<employee>:<date>:<checkpoint>:open`. A second queue with the
    /// same key (a second tick, a second instance) adds nothing.
    pub dedup_key: String,
    pub account_id: Id,
    pub kind: String,
    /// JSON text (what the service worker shows).
    pub payload: String,
}

/// One push of one notification to one subscription, with its attempts so far.
#[derive(Debug, Clone, PartialEq)]
pub struct PushDelivery {
    pub id: Id,
    pub notification_id: Id,
    pub subscription_id: Id,
    pub account_id: Id,
    pub endpoint: String,
    pub p256dh: String,
    pub auth: String,
    pub kind: String,
    pub payload: String,
    pub state: DeliveryState,
    pub attempts: i64,
    pub last_status: Option<i64>,
    pub last_error: Option<String>,
}

/// Someone who holds a role over a unit (an alert's recipient).
#[derive(Debug, Clone, PartialEq)]
pub struct RoleHolder {
    pub account_id: Id,
    pub login: String,
    pub name: String,
    pub nip: Option<String>,
}

/// Held punches of one employee waiting for a decision since before some instant (the review
/// queue's items waiting too long), with where the employee works now.
#[derive(Debug, Clone, PartialEq)]
pub struct HeldWaiting {
    pub employee_id: Id,
    /// The employee's own account: never told about their own punches.
    pub account_id: Id,
    pub unit_id: Id,
    pub unit_path: String,
    pub count: i64,
    /// When the oldest of them was received.
    pub oldest: Timestamp,
}

#[async_trait]
pub trait NotificationStore: Send + Sync {
    /// Adds (or, for an endpoint already known, takes over for `account_id` with new keys) a
    /// subscription; beyond `max_per_account` the account's oldest are removed.
    async fn upsert_push_subscription(
        &self,
        account_id: Id,
        endpoint: &str,
        p256dh: &str,
        auth: &str,
        max_per_account: u32,
        now: Timestamp,
    ) -> Result<PushSubscription>;
    /// Removes the account's subscription with this endpoint (with its pending deliveries);
    /// whether there was one. Another account's endpoint is left alone.
    async fn delete_push_subscription(&self, account_id: Id, endpoint: &str) -> Result<bool>;
    /// Removes a subscription the push service said is gone (404/410), with its deliveries.
    async fn drop_push_subscription(&self, id: Id) -> Result<()>;
    async fn push_subscriptions_of(&self, account_id: Id) -> Result<Vec<PushSubscription>>;
    /// The kinds the person chose; `None`: never chosen (the defaults apply).
    async fn notification_prefs(&self, account_id: Id) -> Result<Option<Vec<String>>>;
    async fn set_notification_prefs(&self, account_id: Id, kinds: &[String], now: Timestamp) -> Result<()>;
    /// Queues `n` and one push delivery per subscription of its account, in one transaction;
    /// `None` when its `dedup_key` was queued before (nothing added).
    async fn queue_notification(&self, n: &NewNotification, now: Timestamp) -> Result<Option<Id>>;
    /// Pending push deliveries due at `now`, oldest first, each leased until `lease_until`.
    async fn claim_due_pushes(&self, now: Timestamp, lease_until: Timestamp, limit: u32) -> Result<Vec<PushDelivery>>;
    async fn record_push_attempt(&self, id: Id, a: &crate::DeliveryAttempt, now: Timestamp) -> Result<()>;
    /// Active accounts holding `role` (`operator`, `head`) on the unit of `unit_path` or one
    /// of its ancestors (their scope covers it), by account id.
    async fn role_holders_over(&self, unit_path: &str, role: &str) -> Result<Vec<RoleHolder>>;
    /// Punches held for a decision (`hold = 'pending'`, not quarantined) received at or before
    /// `received_before`, counted per employee, by unit then employee.
    async fn held_waiting(&self, received_before: Timestamp) -> Result<Vec<HeldWaiting>>;
    /// The account's push deliveries, newest first (their own log).
    async fn push_deliveries_of(&self, account_id: Id, limit: u32) -> Result<Vec<PushDelivery>>;
}
