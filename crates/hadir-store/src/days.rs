//! Calendars, holidays, rule sets and the derived day records.

use async_trait::async_trait;

/// Policies (calendars, holidays, rule sets) and stored day records. (Filled in by the
/// schedules/evaluator work.)
#[async_trait]
pub trait DayStore: Send + Sync {}
