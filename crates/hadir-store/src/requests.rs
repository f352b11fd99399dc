//! Requests and approvals (issue 7): leave, izin, sakit, special attendance, manual attendance,
//! outage windows and objections. One model for every type:
//!
//! - a request belongs to an employee (leave, duty, objection) or to a unit (manual attendance,
//!   outage); `unit_id` is the unit whose head decides (the employee's unit when filed);
//! - states: `draft` → `submitted` → `approved` | `rejected`; `cancelled` by the submitter while
//!   draft or submitted. Every change is a [`RequestEvent`] (who, when, comment) and an [`Audit`]
//!   record, written in the same transaction;
//! - attachments are blobs (content hash) with their sniffed type;
//! - manual attendance carries [`RequestLine`]s (employee + instant, optionally a checkpoint);
//! - an accepted objection carries its correction (a new fact; raw punches are never edited).
//!
//! Months can be locked (the recap is final): objections for a locked month are refused.

use crate::Result;
use crate::types::{Audit, Id, Page};
use async_trait::async_trait;
use hadir_domain::CorrectionFix;
use jiff::Timestamp;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

/// A request's state and its transitions (domain rules: `hadir_domain::requests`).
pub use hadir_domain::requests::RequestState;

/// Who decides (a domain rule: `hadir_domain::requests::decider_for`).
pub use hadir_domain::requests::Decider;

/// One attendance line of a manual-attendance request (or the instant of a special punch).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestLine {
    pub employee_id: Id,
    pub at: Timestamp,
    pub checkpoint: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attachment {
    pub id: Id,
    pub request_id: Id,
    /// Content hash in the blob store (kind `evidence`).
    pub blob_hash: String,
    /// Sniffed from the bytes: `application/pdf`, `image/jpeg`, `image/png`.
    pub mime: String,
    pub size: i64,
    pub filename: String,
    pub uploaded_by: Id,
    pub uploaded_at: Timestamp,
    /// When the retention purge deleted the file (the row and its hash stay).
    #[serde(default)]
    pub purged_at: Option<Timestamp>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAttachment {
    pub blob_hash: String,
    pub mime: String,
    pub size: i64,
    pub filename: String,
    pub uploaded_by: Id,
}

/// One step of a request's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestEvent {
    pub at: Timestamp,
    pub actor_account_id: Option<Id>,
    pub actor_name: String,
    /// `create`, `submit`, `approve`, `reject`, `cancel`, `attach`.
    pub action: String,
    pub from_state: Option<RequestState>,
    pub to_state: RequestState,
    pub comment: Option<String>,
}

/// A request to store. `kind` is the request type (`CUTI_TAHUNAN`, `IZIN`, `DINAS_LUAR`,
/// `MANUAL`, `OUTAGE`, `KEBERATAN`, …); the server validates it.
#[derive(Debug, Clone, PartialEq)]
pub struct NewRequest {
    pub kind: String,
    pub state: RequestState,
    pub employee_id: Option<Id>,
    pub unit_id: Id,
    pub date_from: Date,
    pub date_to: Date,
    /// Outage window, or the instant of special attendance.
    pub start_at: Option<Timestamp>,
    pub end_at: Option<Timestamp>,
    pub reason: String,
    /// Checkpoints a partial izin excuses (empty: the whole day).
    pub checkpoints: Vec<String>,
    pub decider: Decider,
    /// Working days covered (leave quota).
    pub days: Option<i64>,
    /// The special punch this request approves (unique: one request per punch).
    pub punch_id: Option<Id>,
    pub lines: Vec<RequestLine>,
    pub submitted_by: Id,
    pub submitted_by_name: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Request {
    pub id: Id,
    pub kind: String,
    pub state: RequestState,
    pub employee_id: Option<Id>,
    pub employee_login: Option<String>,
    pub employee_name: Option<String>,
    pub unit_id: Id,
    pub unit_code: String,
    pub unit_path: String,
    pub date_from: Date,
    pub date_to: Date,
    pub start_at: Option<Timestamp>,
    pub end_at: Option<Timestamp>,
    pub reason: String,
    pub checkpoints: Vec<String>,
    pub decider: Decider,
    pub days: Option<i64>,
    pub punch_id: Option<Id>,
    pub submitted_by: Id,
    pub submitted_by_name: String,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub decided_by: Option<Id>,
    pub decided_by_name: Option<String>,
    pub decided_at: Option<Timestamp>,
    pub decision_comment: Option<String>,
    pub correction: Option<CorrectionFix>,
    pub lines: Vec<RequestLine>,
    pub attachments: Vec<Attachment>,
    pub history: Vec<RequestEvent>,
}

/// A state change, applied only if the request is in one of `from` (else `Conflict("state")`).
#[derive(Debug, Clone, PartialEq)]
pub struct Transition {
    pub from: Vec<RequestState>,
    pub to: RequestState,
    pub actor_account_id: Id,
    pub actor_name: String,
    /// History action: `submit`, `approve`, `reject`, `cancel`.
    pub action: String,
    pub comment: Option<String>,
    /// Approve/reject: recorded as the decision.
    pub decision: bool,
    pub correction: Option<CorrectionFix>,
}

/// A days limit the server computed (annual leave: entitlement plus carry-over), checked by the
/// store inside the transaction that writes the request (issue 17: parallel requests cannot all
/// pass a check made before the insert). After the write, the days of the request's employee
/// and kind with `date_from` in `year`, submitted or approved, may sum to at most `max_days`;
/// otherwise the write is rolled back with [`StoreError::LimitExceeded`](crate::StoreError)
/// (`limit` = `leave_days`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DaysLimit {
    pub year: i16,
    pub max_days: i64,
}

/// The name [`StoreError::LimitExceeded`](crate::StoreError) carries for a [`DaysLimit`].
pub const LIMIT_LEAVE_DAYS: &str = "leave_days";
/// The name [`StoreError::LimitExceeded`](crate::StoreError) carries for the attachment count.
pub const LIMIT_ATTACHMENTS: &str = "attachments";

#[derive(Debug, Clone, Default)]
pub struct RequestFilter {
    pub state: Option<RequestState>,
    pub kind: Option<String>,
    /// Requests about this employee or submitted by this account (`mine`).
    pub mine: Option<(Option<Id>, Id)>,
    /// Requests of units inside these subtrees (materialised paths); `None`: everywhere.
    pub unit_paths: Option<Vec<String>>,
    pub decider: Option<Decider>,
    /// Leave out requests about this employee or submitted by this account (a decider's own).
    pub exclude_own: Option<(Option<Id>, Id)>,
    pub employee_id: Option<Id>,
    pub offset: u32,
    pub limit: u32,
}

/// Requests with their lines, attachments and history.
#[async_trait]
pub trait RequestStore: Send + Sync {
    /// Creates the request with its `create` event (and `submit`, when created submitted).
    /// A second request for the same special punch is `Conflict("punch_id")`.
    async fn create_request(&self, r: &NewRequest, audit: Audit) -> Result<Request> {
        self.create_request_within(r, None, audit).await
    }
    /// [`create_request`](Self::create_request), refused with `LimitExceeded` when the request
    /// would take its employee past `limit` (see [`DaysLimit`]); race-free.
    async fn create_request_within(&self, r: &NewRequest, limit: Option<DaysLimit>, audit: Audit) -> Result<Request>;
    async fn request_by_id(&self, id: Id) -> Result<Request>;
    async fn request_by_punch(&self, punch_id: Id) -> Result<Option<Request>>;
    /// Newest first; items carry lines and attachments, not history.
    async fn list_requests(&self, f: &RequestFilter) -> Result<Page<Request>>;
    async fn transition_request(&self, id: Id, t: &Transition, audit: Audit) -> Result<Request> {
        self.transition_request_within(id, t, None, audit).await
    }
    /// [`transition_request`](Self::transition_request), refused with `LimitExceeded` when the
    /// new state takes the employee past `limit` (submitting a draft of annual leave).
    async fn transition_request_within(
        &self,
        id: Id,
        t: &Transition,
        limit: Option<DaysLimit>,
        audit: Audit,
    ) -> Result<Request>;
    async fn add_attachment(&self, request_id: Id, a: &NewAttachment, audit: Audit) -> Result<Attachment> {
        let mut added = self.add_attachments(request_id, std::slice::from_ref(a), usize::MAX, audit).await?;
        added.pop().ok_or_else(|| crate::StoreError::Backend("attachment not stored".into()))
    }
    /// Adds the attachments in one transaction (an `attach` event and an audit record each),
    /// refused whole with `LimitExceeded` (`limit` = `attachments`) when the request would then
    /// hold more than `max_total`; the count is taken inside the transaction (race-free).
    async fn add_attachments(
        &self,
        request_id: Id,
        a: &[NewAttachment],
        max_total: usize,
        audit: Audit,
    ) -> Result<Vec<Attachment>>;
    /// Approved requests shaping `employee_id`'s days `from..=to`: their own, outages of any
    /// unit on `unit_path` (the employee's unit and its ancestors), and manual attendance with
    /// a line for them (only their lines are returned).
    async fn approved_requests_for(
        &self,
        employee_id: Id,
        unit_path: &str,
        from: Date,
        to: Date,
    ) -> Result<Vec<Request>>;
    /// [`approved_requests_for`](Self::approved_requests_for) for many employees (id, unit path)
    /// at once; an employee with none may be absent from the map.
    async fn approved_requests_for_many(
        &self,
        employees: &[(Id, String)],
        from: Date,
        to: Date,
    ) -> Result<std::collections::HashMap<Id, Vec<Request>>> {
        let mut out = std::collections::HashMap::new();
        for (id, path) in employees {
            out.insert(*id, self.approved_requests_for(*id, path, from, to).await?);
        }
        Ok(out)
    }
    /// Sum of `days` of the employee's requests of `kind` with `date_from` in `year`, in `states`.
    async fn request_days(&self, employee_id: Id, kind: &str, year: i16, states: &[RequestState]) -> Result<i64>;

    /// Locks `month` (`YYYY-MM`) for one unit's subtree or, with `None`, everywhere.
    async fn lock_month(&self, month: &str, unit_id: Option<Id>, audit: Audit) -> Result<()>;
    /// Whether `month` is locked for a unit at `unit_path` (a lock of it or any ancestor, or global).
    async fn is_month_locked(&self, month: &str, unit_path: &str) -> Result<bool>;
}
