//! Daily work reports (laporan kinerja harian, issue 22): activities filed by employees and
//! validated by heads or operators. The rules are in `hadir_domain::kinerja`; the store guards
//! the state changes inside its transactions (an approved activity is never changed) and
//! audits every write in the same transaction.

use crate::Result;
use crate::types::{Audit, Id};
use async_trait::async_trait;
use hadir_domain::kinerja::ActivityState;
use jiff::Timestamp;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

/// A file attached to an activity (a photo or PDF in the blob store, kind `evidence`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ActivityAttachment {
    pub blob_hash: String,
    pub mime: String,
    pub filename: String,
    pub size: i64,
}

/// What the employee typed (already checked by `hadir_domain::kinerja::check_activity`).
#[derive(Debug, Clone, PartialEq)]
pub struct ActivityFields {
    pub description: String,
    pub output: String,
    pub volume: f64,
    pub volume_unit: String,
    pub start_minute: u32,
    pub end_minute: u32,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewActivity {
    pub employee_id: Id,
    /// The employee's unit when filed (decides who validates).
    pub unit_id: Id,
    pub date: Date,
    pub fields: ActivityFields,
    pub created_by: Id,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Activity {
    pub id: Id,
    pub employee_id: Id,
    pub unit_id: Id,
    pub unit_path: String,
    pub date: Date,
    pub description: String,
    pub output: String,
    pub volume: f64,
    pub volume_unit: String,
    pub start_minute: u32,
    pub end_minute: u32,
    pub state: ActivityState,
    /// The validator's note when returned (kept after a later approval).
    pub note: Option<String>,
    pub attachment: Option<ActivityAttachment>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub validated_by: Option<Id>,
    pub validated_by_name: Option<String>,
    pub validated_at: Option<Timestamp>,
}

/// Which activities to list (all given conditions hold).
#[derive(Debug, Clone, Default)]
pub struct ActivityFilter {
    pub employee_id: Option<Id>,
    /// Activities of these unit subtrees (materialised paths); `Some(empty)` selects nothing.
    pub unit_paths: Option<Vec<String>>,
    pub from: Option<Date>,
    pub to: Option<Date>,
    pub state: Option<ActivityState>,
    /// At most this many, by date then start (default 500 when 0).
    pub limit: u32,
}

/// A validation of several activities, all or none.
#[derive(Debug, Clone, PartialEq)]
pub struct ActivityDecision {
    pub approve: bool,
    pub note: Option<String>,
    pub validator: Id,
    pub validator_name: String,
}

/// A TPP base: for a kelas jabatan (`grade`) or one employee, from a date.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TppBase {
    pub id: Id,
    pub grade: Option<i16>,
    pub employee_id: Option<Id>,
    pub amount: i64,
    pub effective_from: Date,
}

/// A TPP policy as stored: its JSON (`hadir_server::tpp::PolicyBody`) and its date.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StoredTppPolicy {
    pub id: Id,
    pub effective_from: Date,
    pub policy_json: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StoredSanction {
    pub id: Id,
    pub employee_id: Id,
    pub from: Date,
    pub to: Date,
    /// Hundredths of a percent.
    pub cut: u32,
    pub label: String,
}

/// A month's performance score of one employee (hundredths of a point).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KinerjaScore {
    pub employee_id: Id,
    /// `YYYY-MM`.
    pub month: String,
    pub score: u32,
    /// `import`, `api` or `manual`.
    pub source: String,
    pub note: Option<String>,
    pub updated_by_name: String,
    pub updated_at: Timestamp,
}

/// An integration credential (the e-kinerja system), found by its token's hash.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Integration {
    pub id: Id,
    pub name: String,
    pub scopes: Vec<String>,
    pub created_at: Timestamp,
    pub revoked_at: Option<Timestamp>,
}

#[async_trait]
pub trait KinerjaStore: Send + Sync {
    async fn create_integration(
        &self,
        name: &str,
        token_hash: &[u8],
        scopes: &[String],
        audit: Audit,
    ) -> Result<Integration>;
    /// The credential with this token hash, revoked or not (`NotFound` when none).
    async fn integration_by_hash(&self, token_hash: &[u8]) -> Result<Integration>;
    async fn list_integrations(&self) -> Result<Vec<Integration>>;
    async fn revoke_integration(&self, id: Id, audit: Audit) -> Result<Integration>;
    async fn tpp_policies(&self) -> Result<Vec<StoredTppPolicy>>;
    /// `Conflict("effective_from")` when a policy already starts that day.
    async fn add_tpp_policy(&self, effective_from: Date, policy_json: &str, audit: Audit) -> Result<StoredTppPolicy>;
    async fn tpp_bases(&self) -> Result<Vec<TppBase>>;
    async fn add_tpp_base(&self, b: &TppBase, audit: Audit) -> Result<TppBase>;
    async fn tpp_sanctions(&self) -> Result<Vec<StoredSanction>>;
    async fn add_tpp_sanction(&self, s: &StoredSanction, audit: Audit) -> Result<StoredSanction>;
    async fn kinerja_scores(&self, month: &str) -> Result<Vec<KinerjaScore>>;
    /// Minutes of approved activities per employee in `from..=to`.
    async fn approved_minutes(&self, from: Date, to: Date) -> Result<Vec<(Id, i64)>>;
    /// Inserts or replaces these scores in one transaction, one audit record each.
    async fn put_kinerja_scores(&self, scores: &[KinerjaScore], actor: (Option<Id>, &str)) -> Result<u64>;

    async fn create_activity(&self, a: &NewActivity, audit: Audit) -> Result<Activity>;
    async fn activity_by_id(&self, id: Id) -> Result<Activity>;
    /// Replaces the fields of an activity that is not approved; a returned one is submitted
    /// again. `Conflict("already_approved")` when it is approved (checked in the transaction).
    async fn update_activity(&self, id: Id, f: &ActivityFields, audit: Audit) -> Result<Activity>;
    /// Sets (or replaces) the attachment of an activity that is not approved.
    async fn set_activity_attachment(&self, id: Id, att: &ActivityAttachment, audit: Audit) -> Result<Activity>;
    /// Deletes an activity that is not approved.
    async fn delete_activity(&self, id: Id, audit: Audit) -> Result<()>;
    async fn list_activities(&self, f: &ActivityFilter) -> Result<Vec<Activity>>;
    /// Approves or returns these activities in one transaction: every one must be `submitted`
    /// (else `Conflict("not_waiting")` and nothing changes). One audit record per activity.
    async fn validate_activities(&self, ids: &[Id], d: &ActivityDecision) -> Result<Vec<Activity>>;
}
