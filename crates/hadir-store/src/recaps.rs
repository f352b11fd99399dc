//! Monthly recaps (issue 8): the lifecycle of a month and its frozen figures.
//!
//! - A month is *open* while it runs, then in its *objection window* until a deadline
//!   (configurable per month; the server's default is the 5th of the next month), then it can
//!   be *locked*, for one unit subtree or everywhere. Month locks are the rows the requests
//!   area already reads (`is_month_locked`): objections for a locked month are refused.
//! - Locking freezes the figures: one snapshot per employee, stored with the rule sets and the
//!   hash of the day records they came from, in the same transaction as the lock and its audit
//!   record. A locked recap is read from its snapshots, so late punches do not change it.
//! - A locked month changes only by an audited reopen (with a reason): the lock is removed,
//!   its snapshots are kept as history (marked reopened) and the recap is live again.

use crate::Result;
use crate::types::{Audit, Id};
use async_trait::async_trait;
use jiff::Timestamp;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

/// A month lock: one unit's subtree, or everywhere (`unit_id` `None`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MonthLock {
    pub month: String,
    pub unit_id: Option<Id>,
    pub unit_code: Option<String>,
    pub unit_path: Option<String>,
    pub locked_at: Timestamp,
    pub locked_by: String,
}

/// One employee's frozen recap. `data_json` is the server's recap row (opaque to the store).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRecapSnapshot {
    pub employee_id: Id,
    /// The employee's unit when frozen (the recap sheet it appears on).
    pub unit_id: Id,
    pub data_json: String,
    /// The rule sets the figures came from, as JSON.
    pub rules_json: String,
    /// SHA-256 over the day records' hashes, in date order: the inputs' version.
    pub inputs_hash: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecapSnapshot {
    pub id: Id,
    pub month: String,
    pub employee_id: Id,
    pub unit_id: Id,
    /// The lock that froze it (`None`: the lock of every unit).
    pub lock_unit_id: Option<Id>,
    pub data_json: String,
    pub rules_json: String,
    pub inputs_hash: String,
    pub frozen_at: Timestamp,
    pub frozen_by: String,
}

/// An audited reopen of a locked month.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecapReopen {
    pub month: String,
    pub unit_id: Option<Id>,
    pub unit_code: Option<String>,
    pub reason: String,
    pub reopened_at: Timestamp,
    pub reopened_by: String,
    /// Snapshots released by the reopen.
    pub snapshots: u64,
}

#[async_trait]
pub trait RecapStore: Send + Sync {
    /// Sets the end (inclusive) of `month`'s objection window; audited.
    async fn set_objection_deadline(&self, month: &str, until: Date, audit: Audit) -> Result<()>;
    /// The deadline set for `month`, if any (the caller applies its default otherwise).
    async fn objection_deadline(&self, month: &str) -> Result<Option<Date>>;

    /// Locks `month` for `unit_id`'s subtree (or everywhere) and stores the snapshots, with the
    /// audit record, in one transaction. The same lock twice is `Conflict("month_lock")`; an
    /// unknown unit `NotFound("unit")`. An employee already frozen by another lock keeps that
    /// snapshot. Returns the number of snapshots stored.
    async fn freeze_month(
        &self,
        month: &str,
        unit_id: Option<Id>,
        snapshots: &[NewRecapSnapshot],
        audit: Audit,
    ) -> Result<u64>;
    /// Removes exactly this lock (`NotFound("month_lock")` if there is none) and releases its
    /// snapshots, recording the reason; audited. Returns the released snapshot count.
    async fn reopen_month(&self, month: &str, unit_id: Option<Id>, reason: &str, audit: Audit) -> Result<u64>;
    /// The locks of `month` (any unit), broadest first.
    async fn month_locks(&self, month: &str) -> Result<Vec<MonthLock>>;
    /// Live (not reopened) snapshots of `month` whose frozen unit is inside `unit_path`'s
    /// subtree (`None`: all), ordered by employee.
    async fn recap_snapshots(&self, month: &str, unit_path: Option<&str>) -> Result<Vec<RecapSnapshot>>;
    /// The reopens of `month`, oldest first.
    async fn list_reopens(&self, month: &str) -> Result<Vec<RecapReopen>>;
}
