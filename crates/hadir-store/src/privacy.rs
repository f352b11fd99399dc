//! Personal data kept as UU 27/2022 (PDP) asks: retention purges and the access log.
//!
//! - **Purges** never touch a punch's hashed facts (the chain must keep verifying): a purge sets
//!   a marker (`photo_purged_at`, `position_purged_at`, an attachment's `purged_at`) and queues the
//!   blob for deletion in the same transaction. The server deletes queued blobs and then calls
//!   [`PrivacyStore::blob_deleted`]; a crash in between leaves the blob queued, so it is deleted
//!   on the next run. A blob still named by an unpurged punch (or attachment) is not queued.
//! - **The access log** is append-only (both backends refuse updates and deletes): who viewed
//!   whose selfie, position or evidence file, when.

use crate::Result;
use crate::types::{Id, Page};
use async_trait::async_trait;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

/// What someone viewed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AccessKind {
    /// A punch's selfie (full size or thumbnail).
    Photo,
    /// A punch's position (latitude, longitude, accuracy) in a list or the review queue.
    Position,
    /// A request's evidence file.
    Evidence,
}

impl AccessKind {
    pub fn as_str(self) -> &'static str {
        match self {
            AccessKind::Photo => "photo",
            AccessKind::Position => "position",
            AccessKind::Evidence => "evidence",
        }
    }
    pub fn parse(s: &str) -> Option<AccessKind> {
        match s {
            "photo" => Some(AccessKind::Photo),
            "position" => Some(AccessKind::Position),
            "evidence" => Some(AccessKind::Evidence),
            _ => None,
        }
    }
}

/// One view of someone's personal data by someone else.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewAccess {
    pub at: Timestamp,
    pub viewer_account_id: Option<Id>,
    /// The viewer's username and name at the time (kept even if the account changes).
    pub viewer_username: String,
    pub viewer_name: String,
    /// Whose data.
    pub subject_employee_id: Id,
    pub kind: AccessKind,
    /// Which item: `punch:42`, `punches:2025-11-01..2025-11-30` (a list), `request:7/attachment:3`.
    pub item: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccessEntry {
    pub id: Id,
    #[serde(flatten)]
    pub a: NewAccess,
}

/// Which access-log entries to list, newest first.
#[derive(Debug, Clone, Default)]
pub struct AccessFilter {
    /// Only views of this employee's data.
    pub subject_employee_id: Option<Id>,
    /// Only views by this account.
    pub viewer_account_id: Option<Id>,
    pub offset: u32,
    pub limit: u32,
}

/// A blob the purge queued for deletion.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct BlobPurge {
    /// Blob kind: `photos` or `evidence`.
    pub kind: String,
    pub hash: String,
}

#[async_trait]
pub trait PrivacyStore: Send + Sync {
    /// Appends views to the access log (one transaction).
    async fn record_access(&self, entries: &[NewAccess]) -> Result<()>;
    async fn list_access(&self, f: &AccessFilter) -> Result<Page<AccessEntry>>;

    /// Marks up to `limit` punches with `punched_at < before` whose photo is not yet purged as
    /// purged at `at`, and queues each photo no unpurged punch names any more for deletion.
    /// Returns how many punches were marked (call again until 0).
    async fn purge_punch_photos(&self, before: Timestamp, at: Timestamp, limit: u32) -> Result<u64>;
    /// Marks up to `limit` punches with `punched_at < before` and a position as position-purged:
    /// the position is no longer served (its columns stay: they are hashed into the chain).
    async fn purge_punch_positions(&self, before: Timestamp, at: Timestamp, limit: u32) -> Result<u64>;
    /// Marks up to `limit` attachments uploaded before `before` as purged and queues their
    /// files (unless another unpurged attachment names the same file).
    async fn purge_attachments(&self, before: Timestamp, at: Timestamp, limit: u32) -> Result<u64>;
    /// Blobs queued for deletion, oldest first.
    async fn pending_blob_purges(&self, limit: u32) -> Result<Vec<BlobPurge>>;
    /// The blob is gone from the blob store: take it off the queue.
    async fn blob_deleted(&self, p: &BlobPurge) -> Result<()>;
}
