//! `DayRecord`, the output of `evaluate_day`: derived, stored, recomputable and explained.

use crate::day_time::DayTime;
use crate::holiday::Holiday;
use crate::percent::Percent;
use crate::schedule::{CheckpointKind, ScheduleSource};
use crate::status::DayStatus;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckpointOutcome {
    OnTime,
    Late,
    Early,
    Present,
    /// No punch and the window has closed.
    Missing,
    /// No punch yet and the window is still open.
    Pending,
    /// Late, early or missing but excused by an approved request.
    Excused,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MatchedPunch {
    pub punch_id: Option<i64>,
    /// Set when the "punch" is an approved entry or correction.
    pub request_id: Option<i64>,
    pub source: String,
    /// RFC 3339 with the unit's offset.
    pub at: String,
    /// Local clock time, `07:42`.
    pub time: String,
    /// The punch is on the day after the schedule date (overnight shift).
    pub next_day: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckpointResult {
    pub name: String,
    pub kind: CheckpointKind,
    pub due: DayTime,
    pub window_start: DayTime,
    pub window_end: DayTime,
    pub outcome: CheckpointOutcome,
    pub punch: Option<MatchedPunch>,
    pub minutes_late: Option<u32>,
    pub minutes_early: Option<u32>,
    /// `TL1`…`TL4`, `PSW1`…`PSW4`, or the missing-presence code; `null` when nothing counts.
    pub code: Option<String>,
    pub deduction: Percent,
    pub explanation: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IgnoreReason {
    /// Inside a checkpoint's window, but another punch was used for it.
    Duplicate,
    /// Outside every window of the day.
    OutsideWindows,
    /// The day is not a working day (holiday, weekend, roster off).
    NonWorkingDay,
    /// The day is covered by an approved absence or a status correction.
    ExcusedDay,
    /// Before the employee's start date, or attendance not recorded yet (channel policy).
    NotActive,
    /// Through a channel that does not count for the person (channel policy, issue 25).
    ChannelNotCounted,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IgnoredPunch {
    pub punch: MatchedPunch,
    pub reason: IgnoreReason,
    pub explanation: String,
}

/// The evaluated day: derived, recomputable, and explained in Indonesian.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DayRecord {
    pub date: Date,
    pub status: DayStatus,
    /// After the day's last window (or the end of a non-working day): the record is final
    /// unless an input changes.
    pub closed: bool,
    pub timezone: String,
    /// `WIB`, `WITA`, `WIT`.
    pub zone: String,
    pub schedule_source: ScheduleSource,
    pub schedule_label: String,
    pub holiday: Option<Holiday>,
    pub checkpoints: Vec<CheckpointResult>,
    pub ignored_punches: Vec<IgnoredPunch>,
    /// The day's deduction, never above the rule set's monthly cap.
    pub deduction: Percent,
    /// The schedule's required minutes (0 on non-working days).
    pub required_minutes: u32,
    /// Check-in to check-out less the break (HADIR), the required minutes (duty away, or a
    /// status correction to HADIR), else 0.
    pub worked_minutes: u32,
    pub rule_set: String,
    pub rule_effective_from: Date,
    /// Approved requests that shaped this record (ascending, unique).
    pub request_ids: Vec<i64>,
    pub explanation: String,
    /// Apel and upacara sessions of the day that concern the person (issue 21); a missed
    /// mandatory one adds the rule set's apel deduction to `deduction`. Absent when none, so
    /// records of days without sessions hash as before.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sessions: Vec<crate::sessions::SessionResult>,
}
