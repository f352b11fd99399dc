//! The server's own unavailability. A phone capture sent long after it was taken counts at once
//! only when the gap is the server's fault (it was down after an unclean stop, or answered 503
//! while overloaded) or a declared outage; these windows are the server's record of its faults.
//!
//! Each running instance records its run (start, last heartbeat, clean stop). The server was
//! down at an instant that no run covers when the last run before it ended without a clean stop
//! (`hadir_domain::availability` decides this). Overload windows are written by the instance
//! that answered 503.

use crate::Result;
use async_trait::async_trait;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum UnavailableKind {
    /// Not running: between an unclean stop and the next start.
    Down,
    /// Running but refusing check-ins (503).
    Overloaded,
}

impl UnavailableKind {
    pub fn as_str(&self) -> &'static str {
        match self {
            UnavailableKind::Down => "down",
            UnavailableKind::Overloaded => "overloaded",
        }
    }
    pub fn parse(s: &str) -> Option<UnavailableKind> {
        match s {
            "down" => Some(UnavailableKind::Down),
            "overloaded" => Some(UnavailableKind::Overloaded),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UnavailableWindow {
    pub kind: UnavailableKind,
    pub start: Timestamp,
    pub end: Timestamp,
}

/// One run of one server instance: from its start to its last heartbeat; `clean` once it
/// stopped cleanly (a planned stop is not the server's fault towards a queued capture).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServerRun {
    pub instance: String,
    pub started_at: Timestamp,
    pub last_alive: Timestamp,
    pub clean: bool,
}

#[async_trait]
pub trait AvailabilityStore: Send + Sync {
    /// This instance (started at `started_at`) is alive at `now`; the first beat creates its run.
    async fn heartbeat(&self, instance: &str, started_at: Timestamp, now: Timestamp) -> Result<()>;
    /// This instance stops cleanly at `now`.
    async fn clean_stop(&self, instance: &str, now: Timestamp) -> Result<()>;
    /// Runs that overlap `from..=to`, by start (at most 1,000).
    async fn runs_between(&self, from: Timestamp, to: Timestamp) -> Result<Vec<ServerRun>>;
    /// Forgets runs and windows that ended before `before` (older than any capture that may
    /// still be sent).
    async fn prune_availability(&self, before: Timestamp) -> Result<()>;
    async fn record_unavailable(&self, w: &UnavailableWindow) -> Result<()>;
    /// Windows that overlap `from..=to`, oldest first (at most 1,000).
    async fn unavailable_between(&self, from: Timestamp, to: Timestamp) -> Result<Vec<UnavailableWindow>>;
}
