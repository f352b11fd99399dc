//! Apel and upacara sessions (issue 21 point 3): a session has its own date, local time window
//! and place (a geofence and/or its own signed QR code) and names the units that must attend
//! (each with its subtree). Attendance is one row per person and session: by position, by the
//! session's QR code, or marked by a head or operator from the list.

use crate::Result;
use crate::types::{Audit, Id};
use async_trait::async_trait;
use jiff::Timestamp;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

/// What a session is (the caller has checked it).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewSession {
    /// `apel` or `upacara`.
    pub kind: String,
    pub name: String,
    pub date: Date,
    /// Local `HH:MM` in the zone of `unit_id`.
    pub start: String,
    pub end: String,
    /// The unit that holds it (its zone is the session's).
    pub unit_id: Id,
    /// The units that must attend (each with its subtree).
    pub unit_ids: Vec<Id>,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub radius_m: Option<f64>,
    /// The session's own QR code is offered.
    pub qr: bool,
    pub mandatory: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredSession {
    pub id: Id,
    #[serde(flatten)]
    pub s: NewSession,
    pub unit_code: String,
    pub unit_path: String,
    pub unit_timezone: String,
    /// Materialised paths of the units that must attend.
    pub target_paths: Vec<String>,
    pub target_codes: Vec<String>,
    pub cancelled: bool,
    pub created_at: Timestamp,
    pub created_by: Option<Id>,
}

impl StoredSession {
    /// A person of the unit at `unit_path` must attend.
    pub fn concerns(&self, unit_path: &str) -> bool {
        self.target_paths.iter().any(|p| unit_path.starts_with(p.as_str()))
    }
}

/// One person's attendance at one session.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionMark {
    pub session_id: Id,
    pub employee_id: Id,
    /// `position`, `qr` or `marked`.
    pub how: String,
    pub at: Timestamp,
    /// The account that marked it (`marked`), else the person's own.
    pub by_account: Option<Id>,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
}

#[async_trait]
pub trait SessionStore: Send + Sync {
    /// Stores a session and its units, audited in the same transaction.
    async fn create_apel_session(&self, s: &NewSession, audit: Audit) -> Result<StoredSession>;
    /// Replaces a session's fields and units, audited (before and after).
    async fn update_apel_session(&self, id: Id, s: &NewSession, audit: Audit) -> Result<StoredSession>;
    /// Cancels it (it then concerns nobody), audited.
    async fn cancel_apel_session(&self, id: Id, audit: Audit) -> Result<StoredSession>;
    async fn apel_session_by_id(&self, id: Id) -> Result<StoredSession>;
    /// Sessions dated `from..=to`, cancelled ones included, by date and start.
    async fn list_apel_sessions(&self, from: Date, to: Date) -> Result<Vec<StoredSession>>;
    /// Records attendance; a person already recorded for a session keeps the first record.
    /// Audited when `audit` is given (marking by a head). Returns how many rows were new.
    async fn record_session_attendance(&self, marks: &[SessionMark], audit: Option<Audit>) -> Result<u64>;
    /// The attendance of the session.
    async fn session_attendance(&self, session_id: Id) -> Result<Vec<SessionMark>>;
    /// The attendance of these employees at the sessions with these ids.
    async fn attendance_of(&self, employee_ids: &[Id], session_ids: &[Id]) -> Result<Vec<SessionMark>>;
}
