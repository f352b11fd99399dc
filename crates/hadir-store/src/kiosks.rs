//! Office QR kiosks (issue 21): a browser at an office entrance that shows a QR code changing
//! every 30 s. A kiosk is registered by an operator for one unit with a token shown once (only
//! its SHA-256 is stored) and can be revoked. The codes are signed with a server secret kept in
//! the store, so every server instance signs and checks with the same key.

use crate::Result;
use crate::types::{Audit, Id};
use async_trait::async_trait;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Kiosk {
    pub id: Id,
    pub name: String,
    pub unit_id: Id,
    pub unit_code: String,
    pub unit_name: String,
    pub unit_path: String,
    pub unit_timezone: String,
    pub revoked: bool,
    pub created_at: Timestamp,
    /// The account that registered it.
    pub created_by: Option<Id>,
}

#[async_trait]
pub trait KioskStore: Send + Sync {
    /// Stores a kiosk of the unit under the SHA-256 of its token, audited in the same transaction.
    async fn create_kiosk(&self, name: &str, unit_id: Id, token_hash: &[u8], audit: Audit) -> Result<Kiosk>;
    /// A kiosk that is not revoked.
    async fn kiosk_by_token(&self, token_hash: &[u8]) -> Result<Kiosk>;
    /// Any kiosk, revoked or not.
    async fn kiosk_by_id(&self, id: Id) -> Result<Kiosk>;
    /// Revokes it (idempotent), audited in the same transaction.
    async fn revoke_kiosk(&self, id: Id, audit: Audit) -> Result<Kiosk>;
    /// Kiosks of units whose path starts with one of `subtrees` (all when `None`).
    async fn list_kiosks(&self, subtrees: Option<&[String]>) -> Result<Vec<Kiosk>>;
    /// The named server secret: the stored one, or `fresh` stored now when there is none yet
    /// (the first instance to ask wins; every instance then reads the same bytes).
    async fn server_secret(&self, name: &str, fresh: &[u8]) -> Result<Vec<u8>>;
    /// The current version of the employee's personal QR card, if one was ever issued.
    async fn qr_card_version(&self, employee_id: Id) -> Result<Option<i64>>;
    /// Issues the employee's card: version 1, or the current version + 1 (every older card is
    /// then refused). Audited in the same transaction. Returns the new version.
    async fn issue_qr_card(&self, employee_id: Id, audit: Audit) -> Result<i64>;
    /// Takes the first free of the witness's `cap` colleague check-in slots of `day` for the
    /// punch `key` (the slot it already holds, for a retry). `None`: all taken. Atomic: two
    /// callers never get the same slot.
    async fn reserve_colleague_slot(&self, witness_id: Id, day: &str, cap: u32, key: &str) -> Result<Option<i64>>;
    /// Gives back the slot held for `key` (its check-in was refused after the reservation).
    async fn release_colleague_slot(&self, witness_id: Id, day: &str, key: &str) -> Result<()>;
}
