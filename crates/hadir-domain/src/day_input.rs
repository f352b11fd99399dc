//! Inputs of `evaluate_day`: punches (facts) and approved requests (new records, never edits).

use crate::holiday::Holiday;
use crate::rules::RuleSet;
use crate::schedule::ResolvedSchedule;
use crate::status::{AbsenceKind, DayStatus};
use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::TimeZone;
use serde::{Deserialize, Serialize};

/// A raw punch (terminal, phone, relay): a fact, never edited.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Punch {
    pub id: i64,
    pub at: Timestamp,
    /// `mesin:SN123`, `mobile`, `relay:kantor-camat`, … (shown in explanations).
    pub source: String,
}

/// An approved leave, permit or duty covering `date_from..=date_to`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApprovedAbsence {
    pub request_id: i64,
    pub kind: AbsenceKind,
    pub date_from: Date,
    pub date_to: Date,
    /// Empty: the whole day. Otherwise only these checkpoints are excused (an IZIN for coming
    /// late excuses `masuk`; the day is still evaluated from punches).
    #[serde(default)]
    pub checkpoints: Vec<String>,
}

impl ApprovedAbsence {
    pub fn covers(&self, date: Date) -> bool {
        self.date_from <= date && date <= self.date_to
    }
}

/// Special or manual attendance approved by the head: counts as a punch at `at`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PresenceEntry {
    pub request_id: i64,
    pub at: Timestamp,
    /// When set, the entry is that checkpoint's punch regardless of matching.
    #[serde(default)]
    pub checkpoint: Option<String>,
    /// `presensi manual`, `presensi khusus`, … (shown in explanations).
    pub label: String,
}

/// An approved outage (berita acara): checkpoints due inside it are not counted late or
/// missing when the person shows any punch or manual entry that day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutageWindow {
    pub request_id: i64,
    pub start: Timestamp,
    pub end: Timestamp,
}

/// An approved objection (keberatan) for one date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Correction {
    pub request_id: i64,
    pub date: Date,
    pub fix: CorrectionFix,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum CorrectionFix {
    /// The day's status is set: `HADIR` clears every deduction, `TK`/`LIBUR`/absence codes
    /// apply as if decided that way.
    Status { status: DayStatus },
    /// The checkpoint is taken as punched at `at`.
    CheckpointTime { checkpoint: String, at: Timestamp },
}

/// Everything `evaluate_day` needs. Slices may hold other dates' items: they are filtered.
#[derive(Debug, Clone)]
pub struct DayInput<'a> {
    pub date: Date,
    pub tz: &'a TimeZone,
    pub schedule: &'a ResolvedSchedule,
    pub holidays: &'a [Holiday],
    pub rules: &'a RuleSet,
    pub start_date: Option<Date>,
    pub punches: &'a [Punch],
    pub absences: &'a [ApprovedAbsence],
    pub presence_entries: &'a [PresenceEntry],
    pub outages: &'a [OutageWindow],
    pub corrections: &'a [Correction],
    pub now: Timestamp,
    /// The channel policy in force for the person on `date` (issue 25); `None`: every channel
    /// counts and attendance is recorded.
    pub channels: Option<&'a crate::channels::ChannelPolicy>,
}

impl<'a> DayInput<'a> {
    /// An input with no holidays, punches or requests; fill the rest with struct update.
    pub fn new(
        date: Date,
        tz: &'a TimeZone,
        schedule: &'a ResolvedSchedule,
        rules: &'a RuleSet,
        now: Timestamp,
    ) -> DayInput<'a> {
        DayInput {
            date,
            tz,
            schedule,
            holidays: &[],
            rules,
            start_date: None,
            punches: &[],
            absences: &[],
            presence_entries: &[],
            outages: &[],
            corrections: &[],
            now,
            channels: None,
        }
    }
}
