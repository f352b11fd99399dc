//! Calendars, holidays, rule sets and the derived day records.
//!
//! Policies are data with an audit trail: every change is written with its [`Audit`] in one
//! transaction. Day records are derived (recomputable at any time); the recompute queue lists
//! the (employee, date) pairs whose inputs changed, idempotently: enqueueing a pair twice keeps
//! one row, and a pair re-enqueued while it is being recomputed is recomputed again.

use crate::Result;
use crate::types::{Audit, Id};
use async_trait::async_trait;
use hadir_domain::{Calendar, DayRecord, DayStatus, Holiday, RuleSet};
use jiff::Timestamp;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredCalendar {
    pub id: Id,
    /// The calendar used where no unit up the tree and no employee override assigns one.
    pub is_default: bool,
    pub calendar: Calendar,
    pub updated_at: Timestamp,
}

/// Who a calendar is assigned to: a unit (inherited by its subtree) or one employee (override).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum CalendarTarget {
    Unit(Id),
    Employee(Id),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CalendarAssignment {
    /// `None`: from this date the target has no calendar of its own (it inherits again).
    pub calendar_id: Option<Id>,
    pub target: CalendarTarget,
    /// In force from this date until the target's next assignment (issue 19).
    pub effective_from: Date,
    /// For unit assignments: the unit's code and materialised path.
    pub unit_code: Option<String>,
    pub unit_path: Option<String>,
    /// For employee overrides: the employee's login.
    pub employee_login: Option<String>,
}

/// One roster line: on `date` the employee works `shift` (a shift code of their calendar), or
/// is off (`None`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RosterRow {
    pub employee_id: Id,
    pub date: Date,
    pub shift: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredHoliday {
    pub id: Id,
    pub holiday: Holiday,
    /// Regional holidays apply to this unit's subtree; national ones have none.
    pub unit_id: Option<Id>,
    pub unit_code: Option<String>,
    pub unit_path: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewHoliday {
    pub holiday: Holiday,
    pub unit_id: Option<Id>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredRuleSet {
    pub id: Id,
    pub rules: RuleSet,
    pub created_at: Timestamp,
}

/// What a fresh database starts with (seeded once, then editable).
#[derive(Debug, Clone)]
pub struct PolicyDefaults {
    pub calendar: Calendar,
    pub holidays: Vec<Holiday>,
    pub rules: RuleSet,
}

/// A day record to store, with the hash of its JSON (unchanged records are not rewritten).
#[derive(Debug, Clone, PartialEq)]
pub struct DayRow {
    pub employee_id: Id,
    pub record: DayRecord,
    pub json: String,
    pub hash: String,
}

impl DayRow {
    pub fn new(employee_id: Id, record: DayRecord) -> DayRow {
        let json = serde_json::to_string(&record).unwrap_or_default();
        let hash = hex::encode(Sha256::digest(json.as_bytes()));
        DayRow { employee_id, record, json, hash }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct StoredDay {
    pub employee_id: Id,
    pub record: DayRecord,
    pub record_hash: String,
    /// When this content was computed (unchanged recomputations keep the first time).
    pub computed_at: Timestamp,
}

/// A claimed (employee, date) pair; `seq` tells whether it was re-enqueued meanwhile.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RecomputeJob {
    pub employee_id: Id,
    pub date: Date,
    pub seq: i64,
}

/// Whose days to recompute.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecomputeTarget {
    /// Every active employee.
    All,
    /// Active employees of these unit subtrees (materialised paths).
    Subtrees(Vec<String>),
    /// These employees (active or not).
    Employees(Vec<Id>),
}

/// Policies (calendars, holidays, rule sets, rosters), stored day records and the recompute queue.
#[async_trait]
pub trait DayStore: Send + Sync {
    /// Seeds the defaults once per database; returns whether it did.
    async fn seed_policies(&self, d: &PolicyDefaults) -> Result<bool>;

    async fn list_calendars(&self) -> Result<Vec<StoredCalendar>>;
    async fn calendar_by_id(&self, id: Id) -> Result<StoredCalendar>;
    /// Names are unique (`Conflict("name")`).
    async fn create_calendar(&self, c: &Calendar, audit: Audit) -> Result<StoredCalendar>;
    async fn update_calendar(&self, id: Id, c: &Calendar, audit: Audit) -> Result<StoredCalendar>;
    /// Assigns from `effective_from` on, or with `None` removes the target's own calendar from
    /// then on (it inherits again). Earlier assignments stay (the days before keep them);
    /// the target's assignments on or after the date give way.
    async fn assign_calendar(
        &self,
        calendar_id: Option<Id>,
        target: CalendarTarget,
        effective_from: Date,
        audit: Audit,
    ) -> Result<()>;
    async fn list_calendar_assignments(&self) -> Result<Vec<CalendarAssignment>>;

    /// Sets roster lines (replacing the same employee and date) and clears others.
    async fn put_roster(&self, set: &[RosterRow], clear: &[(Id, Date)], audit: Audit) -> Result<u64>;
    /// Ordered by employee and date; `from..=to`.
    async fn list_roster(&self, employee_id: Option<Id>, from: Date, to: Date) -> Result<Vec<RosterRow>>;

    /// Ordered by date; `year` filters.
    async fn list_holidays(&self, year: Option<i16>) -> Result<Vec<StoredHoliday>>;
    /// The same date, name and unit twice is `Conflict("holiday")`.
    async fn create_holiday(&self, h: &NewHoliday, audit: Audit) -> Result<StoredHoliday>;
    async fn delete_holiday(&self, id: Id, audit: Audit) -> Result<StoredHoliday>;

    /// Ordered by `effective_from`, then creation (so `rule_in_force` prefers the newer edit).
    async fn list_rule_sets(&self) -> Result<Vec<StoredRuleSet>>;
    async fn create_rule_set(&self, r: &RuleSet, audit: Audit) -> Result<StoredRuleSet>;

    /// Upserts in one transaction; returns how many rows were new or changed.
    async fn upsert_day_records(&self, rows: &[DayRow]) -> Result<u64>;
    /// `from..=to`, ordered by date.
    async fn day_records(&self, employee_id: Id, from: Date, to: Date) -> Result<Vec<StoredDay>>;
    /// The stored records of these employees `from..=to`, ordered by employee and date: what
    /// [`day_records`](Self::day_records) gives per employee, in one read (unknown ids skipped).
    async fn day_records_of(&self, employee_ids: &[Id], from: Date, to: Date) -> Result<Vec<StoredDay>> {
        let mut ids = employee_ids.to_vec();
        ids.sort_unstable();
        ids.dedup();
        let mut out = Vec::new();
        for id in ids {
            out.extend(self.day_records(id, from, to).await?);
        }
        Ok(out)
    }
    /// Only the (employee, date, status) of those records, ordered the same way: for charts over
    /// many days without reading every record's JSON.
    async fn day_statuses_of(&self, employee_ids: &[Id], from: Date, to: Date) -> Result<Vec<(Id, Date, DayStatus)>> {
        Ok(self
            .day_records_of(employee_ids, from, to)
            .await?
            .into_iter()
            .map(|d| (d.employee_id, d.record.date, d.record.status))
            .collect())
    }

    /// Marks pairs dirty (idempotent); returns the number of pairs given.
    async fn enqueue_recompute(&self, items: &[(Id, Date)]) -> Result<u64>;
    /// Marks every date `from..=to` of the target's employees dirty.
    async fn enqueue_recompute_range(&self, target: &RecomputeTarget, from: Date, to: Date) -> Result<u64>;
    /// Marks dirty, for active employees, those of `dates` with no stored record or one not
    /// yet closed (day close: TK appears without any punch arriving).
    async fn enqueue_open_days(&self, dates: &[Date]) -> Result<u64>;
    /// Claims up to `limit` unclaimed (or lease-expired) pairs until `lease_until`.
    async fn claim_recompute(&self, limit: u32, now: Timestamp, lease_until: Timestamp) -> Result<Vec<RecomputeJob>>;
    /// Removes finished pairs, unless re-enqueued since they were claimed.
    async fn finish_recompute(&self, jobs: &[RecomputeJob]) -> Result<()>;
    async fn recompute_backlog(&self) -> Result<u64>;

    /// Claims once-only periodic work: the run of `job` for `period` (e.g. one sweep slot) goes
    /// to the first caller, leased to `holder` until `lease_until`; later callers get `false`
    /// until the lease expires without [`DayStore::finish_job`] (its holder died), when one of
    /// them may take it over. Several instances sharing a database use it so that each piece of
    /// work is done once.
    ///
    /// The default (no coordination: always `true`) suits a store only one process uses.
    async fn claim_job(
        &self,
        job: &str,
        period: &str,
        holder: &str,
        now: Timestamp,
        lease_until: Timestamp,
    ) -> Result<bool> {
        let _ = (job, period, holder, now, lease_until);
        Ok(true)
    }
    /// Marks a claimed run done: it is never handed out again.
    async fn finish_job(&self, job: &str, period: &str, at: Timestamp) -> Result<()> {
        let _ = (job, period, at);
        Ok(())
    }
}
