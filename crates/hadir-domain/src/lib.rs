//! Hadir's pure domain: identifiers, geometry, schedules, rule sets and the day evaluator.
//!
//! Nothing in this crate performs I/O; every function is deterministic given its inputs, so
//! day records and recaps can always be recomputed and explained.
//!
//! The flow the server drives: [`Calendar::resolve`] gives the schedule of a date (roster >
//! override > weekly pattern); [`rule_in_force`] picks the rule set; [`evaluate_day`] turns
//! schedule, holidays, rules, punches and approved requests into a [`DayRecord`];
//! [`monthly_recap`] sums a month of records into the TPP deduction; [`tk_sanction`] places
//! the year's TK days on the PP 94/2021 ladder. [`punch_verdict`] answers a check-in.
//! [`requests`] and [`leave`] hold the rules of requests and approvals: types, deciders,
//! evidence, entitlements, the annual-leave balance and working days.

pub mod capture;
pub mod channels;
pub mod day_input;
pub mod day_record;
pub mod day_time;
pub mod discipline;
pub mod evaluate;
pub mod geo;
pub mod holiday;
pub mod kinerja;
pub mod leave;
mod matching;
pub mod nip;
pub mod percent;
pub mod recap;
pub mod reminders;
pub mod requests;
pub mod rules;
pub mod schedule;
pub mod sessions;
pub mod signals;
pub mod status;
pub mod tpp;
pub mod verdict;
pub mod years;
pub mod zone;

pub use day_input::{ApprovedAbsence, Correction, CorrectionFix, DayInput, OutageWindow, PresenceEntry, Punch};
pub use day_record::{CheckpointOutcome, CheckpointResult, DayRecord, IgnoreReason, IgnoredPunch, MatchedPunch};
pub use day_time::DayTime;
pub use discipline::{SanctionLevel, SanctionStatus, SanctionStep, longest_tk_run, tk_sanction};
pub use evaluate::evaluate_day;
pub use geo::{GeoPoint, distance_m};
pub use holiday::{DEFAULT_HOLIDAYS_CSV, Holiday, HolidayCsvError, HolidayKind, holiday_on, parse_holiday_csv};
pub use nip::{Nip, NipError, NipKind};
pub use percent::Percent;
pub use recap::{MonthlyRecap, RecapError, RecapInput, deduction_rupiah, monthly_recap};
pub use rules::{Bracket, EmployeeCategory, EscalationStep, GradeScale, Penalty, RuleSet, RuleSetError, rule_in_force};
pub use schedule::{
    Calendar, Checkpoint, CheckpointKind, DaySchedule, PeriodKind, RAMADAN_WEEKLY_MINUTES_MIN, ResolvedSchedule,
    RosterEntry, ScheduleError, ScheduleOverride, ScheduleSource, Shift, WEEKLY_MINUTES_MIN, WeeklyHoursError,
    WeeklyPattern, hours_text,
};
pub use status::{AbsenceKind, DayStatus};
pub use verdict::{PunchVerdict, punch_date, punch_verdict};
pub use years::{DateInputError, accepted_date, accepted_datetime, accepted_instant, accepted_year};
pub use zone::{ZoneError, unit_zone, zone_abbreviation};
