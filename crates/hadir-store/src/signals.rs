//! Fraud signals (issue 23): what a background analyser noticed about a punch after it was
//! committed (a near-duplicate or non-camera selfie, an impossible journey, a mock-looking
//! position). A signal never refuses a punch; the analyser holds a counted punch for review
//! (`hold = pending`, reason `signal`) in the same transaction that records the signals and
//! moves its durable marker, so nothing is analysed twice or lost on restart.

use crate::Result;
use crate::types::{Audit, Id, Punch};
use async_trait::async_trait;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

/// A signal the analyser found on one punch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewSignal {
    pub punch_id: Id,
    pub employee_id: Option<Id>,
    /// `photo_similar`, `photo_not_camera`, `photo_unreadable`, `impossible_travel`,
    /// `same_position`, `at_centre`, `mock_accuracy`.
    pub kind: String,
    /// For the reviewer, in Indonesian (may name the other punch).
    pub detail: String,
    /// The measured value behind it (Hamming distance, km/h, metres, accuracy).
    pub score: Option<f64>,
}

/// A stored signal with the decision taken on its punch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Signal {
    pub id: Id,
    pub s: NewSignal,
    pub created_at: Timestamp,
    /// `accepted` / `rejected` once someone decided the punch it held.
    pub decision: Option<String>,
    pub decided_by: Option<String>,
    pub decided_at: Option<Timestamp>,
}

/// The perceptual hash of one analysed selfie.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PhotoPrint {
    pub punch_id: Id,
    pub employee_id: Option<Id>,
    pub dhash: u64,
}

/// An app's device key registered by an employee.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeviceKey {
    pub id: Id,
    pub employee_id: Id,
    /// Hex SHA-256 of the public key.
    pub key_id: String,
    /// The raw uncompressed P-256 point (65 bytes).
    pub public_key: Vec<u8>,
    /// `trusted` (the first), `pending`, `accepted`, `rejected`.
    pub state: String,
    pub created_at: Timestamp,
    pub decided_by: Option<String>,
    pub decided_at: Option<Timestamp>,
}

/// Which key signed a punch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PunchDevice {
    pub punch_id: Id,
    pub employee_id: Id,
    pub key_id: String,
    /// The employee's local date, `YYYY-MM-DD`.
    pub day: String,
    pub verified: bool,
}

/// An employee's reference face (issue 23, point 2): the embedding each selfie is compared with.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReferenceFace {
    pub employee_id: Id,
    /// The model (and crop) the embedding was computed with.
    pub model: String,
    /// The embedding as stored (little-endian f32s); never shown in an API answer.
    pub embedding: Vec<u8>,
    /// `punch` (from `punch_id`'s photo) or `upload`.
    pub source: String,
    pub punch_id: Option<Id>,
    pub enrolled_by_account: Option<Id>,
    pub enrolled_by: String,
    pub enrolled_at: Timestamp,
}

/// One batch's analysis, written at once.
#[derive(Debug, Clone, Default)]
pub struct Analysis {
    /// The marker before the batch (compare-and-set: another instance may have done it).
    pub from: Id,
    /// The last punch id analysed.
    pub to: Id,
    pub signals: Vec<NewSignal>,
    pub prints: Vec<PhotoPrint>,
    pub devices: Vec<PunchDevice>,
    /// Whether a signal puts a counted punch in the review queue.
    pub hold: bool,
    /// The employee's reason per held punch (signal labels, no names), by punch id.
    pub reasons: Vec<(Id, String)>,
    pub at: Option<Timestamp>,
}

/// Signals grouped for the BKD's monthly view: one row per unit, kind and decision.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SignalCount {
    pub unit_code: String,
    pub unit_name: String,
    pub kind: String,
    pub decision: Option<String>,
    pub decided_by: Option<String>,
    pub count: i64,
}

#[async_trait]
pub trait SignalStore: Send + Sync {
    /// The last punch id the analyser finished.
    async fn signal_cursor(&self) -> Result<Id>;
    /// Up to `limit` punches with ids after `after`, in id order (quarantined ones included:
    /// the analyser skips them but moves past).
    async fn punches_after(&self, after: Id, limit: u32) -> Result<Vec<Punch>>;
    /// Writes a batch's signals and prints, holds the flagged punches that counted (appends the
    /// reason to ones already waiting) and moves the marker from `a.from` to `a.to`, in one
    /// transaction. `None` (nothing written) when the marker was no longer at `a.from`;
    /// otherwise the punches newly held (their days need recomputing).
    async fn record_analysis(&self, a: &Analysis) -> Result<Option<Vec<Punch>>>;
    /// Stored prints of punches after `after` (the analyser's in-memory index catches up).
    async fn photo_prints_after(&self, after: Id) -> Result<Vec<PhotoPrint>>;
    /// The signals of these punches.
    async fn signals_of(&self, punch_ids: &[Id]) -> Result<Vec<Signal>>;
    /// Registers an employee's device key (idempotent): their first is `trusted`, later ones
    /// `pending` (decided in one transaction, so two first keys at once cannot both be trusted
    /// on SQLite's one writer; PostgreSQL locks the employee row).
    async fn register_device_key(
        &self,
        employee_id: Id,
        key_id: &str,
        public_key: &[u8],
        at: Timestamp,
    ) -> Result<DeviceKey>;
    /// Every registration of these keys (by anyone).
    async fn device_keys_by_key(&self, key_ids: &[String]) -> Result<Vec<DeviceKey>>;
    async fn device_key(&self, id: Id) -> Result<DeviceKey>;
    /// Registrations in a state (e.g. `pending`) of employees in these unit subtrees (`None`: all).
    async fn list_device_keys(&self, state: &str, subtrees: Option<&[String]>) -> Result<Vec<DeviceKey>>;
    /// Accepts or rejects a pending key and writes `audit` (with the state before and after) in
    /// the same transaction; `None` (nothing written) when it is not pending.
    async fn decide_device_key(
        &self,
        id: Id,
        accept: bool,
        by: &str,
        at: Timestamp,
        audit: Audit,
    ) -> Result<Option<DeviceKey>>;
    /// The latest punches (up to 1000) signed with these keys, by anyone, newest first.
    async fn punch_devices_of(&self, key_ids: &[String]) -> Result<Vec<PunchDevice>>;
    /// Punches signed with these keys on these days.
    async fn punch_devices_on(&self, key_ids: &[String], days: &[String]) -> Result<Vec<PunchDevice>>;
    /// The marker and how many punches wait after it.
    async fn signal_backlog(&self) -> Result<(Id, i64)>;
    /// Counts of signals on punches taken in `from..to`, per unit of the punch's employee, kind
    /// and decision (who decided), within the unit subtrees given (`None`: all).
    async fn signal_counts(
        &self,
        subtrees: Option<&[String]>,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<Vec<SignalCount>>;
    /// Sets (or replaces) an employee's reference face and writes `audit` (with the source
    /// before and after, never the embedding) in the same transaction.
    async fn set_reference_face(&self, r: &ReferenceFace, audit: Audit) -> Result<ReferenceFace>;
    /// An employee's reference face, if any.
    async fn reference_face(&self, employee_id: Id) -> Result<Option<ReferenceFace>>;
    /// The reference faces of these employees (those that have one).
    async fn reference_faces_of(&self, employee_ids: &[Id]) -> Result<Vec<ReferenceFace>>;
    /// Removes an employee's reference face and writes `audit` in the same transaction; `false`
    /// (nothing written) when there was none.
    async fn remove_reference_face(&self, employee_id: Id, audit: Audit) -> Result<bool>;
    /// The retention purge (UU 27/2022: a face embedding is biometric data): removes at most
    /// `limit` reference faces of employees of units in zone `timezone` whose employment ended
    /// before `ended_before` (`YYYY-MM-DD`, that zone's date today), with one audit record each
    /// (`purge_reference_face` by "sistem retensi", the source and end date), in one
    /// transaction; how many.
    async fn purge_ended_reference_faces(&self, timezone: &str, ended_before: &str, limit: u32) -> Result<u64>;
}
