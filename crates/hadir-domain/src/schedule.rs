//! Work calendars: weekly patterns of checkpoints, date-range overrides (Ramadan), named
//! shifts and per-date rosters, and the resolution "which schedule applies to this person on
//! this date" (roster entry > override covering the date > weekly pattern).
//!
//! Required hours: a day requires the minutes from the first check-in's due time to the last
//! check-out's due time minus `break_minutes`. The Perpres 21/2023 defaults give exactly
//! 37 h 30 min a week (Mon–Thu 07:30–16:00 less 60 min, Fri 07:30–16:30 less 90 min).

use crate::day_time::DayTime;
use jiff::civil::{Date, Weekday};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckpointKind {
    /// Lateness counted after `due`; the earliest punch in the window is used.
    CheckIn,
    /// Any punch inside the window counts; no minutes are computed.
    Presence,
    /// Early leave counted before `due`; the latest punch in the window is used.
    CheckOut,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Checkpoint {
    /// `masuk`, `siang`, `pulang`, … (shown to users, capitalised).
    pub name: String,
    pub kind: CheckpointKind,
    pub due: DayTime,
    pub window_start: DayTime,
    pub window_end: DayTime,
}

impl Checkpoint {
    pub fn new(
        name: &str,
        kind: CheckpointKind,
        due: DayTime,
        window_start: DayTime,
        window_end: DayTime,
    ) -> Checkpoint {
        Checkpoint { name: name.to_string(), kind, due, window_start, window_end }
    }

    /// Whether a punch at local minute `m` (minutes from the schedule date's midnight, the
    /// punch's seconds dropped) is inside the window. Both ends are inclusive.
    pub fn window_contains(&self, m: i64) -> bool {
        i64::from(self.window_start.minutes()) <= m && m <= i64::from(self.window_end.minutes())
    }
}

/// One working day: its checkpoints in chronological order and the unpaid break.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct DaySchedule {
    pub checkpoints: Vec<Checkpoint>,
    #[serde(default)]
    pub break_minutes: u16,
}

impl DaySchedule {
    /// `masuk` + `pulang`, the common two-punch day.
    pub fn two_punch(
        masuk_due: DayTime,
        masuk_window: (DayTime, DayTime),
        pulang_due: DayTime,
        pulang_window: (DayTime, DayTime),
        break_minutes: u16,
    ) -> DaySchedule {
        DaySchedule {
            checkpoints: vec![
                Checkpoint::new("masuk", CheckpointKind::CheckIn, masuk_due, masuk_window.0, masuk_window.1),
                Checkpoint::new("pulang", CheckpointKind::CheckOut, pulang_due, pulang_window.0, pulang_window.1),
            ],
            break_minutes,
        }
    }

    /// Adds a `siang` presence checkpoint (three-punch day), kept in chronological order.
    pub fn with_presence(mut self, name: &str, start: DayTime, end: DayTime) -> DaySchedule {
        let mid = start.shifted(i32::from(end.minutes() - start.minutes()) / 2);
        let cp = Checkpoint::new(name, CheckpointKind::Presence, mid, start, end);
        let pos = self.checkpoints.iter().position(|c| c.due > mid).unwrap_or(self.checkpoints.len());
        self.checkpoints.insert(pos, cp);
        self
    }

    /// Minutes required: first check-in due → last check-out due, less the break.
    pub fn required_minutes(&self) -> u32 {
        let start = self.checkpoints.iter().find(|c| c.kind == CheckpointKind::CheckIn).map(|c| c.due.minutes());
        let end = self.checkpoints.iter().rev().find(|c| c.kind == CheckpointKind::CheckOut).map(|c| c.due.minutes());
        match (start, end) {
            (Some(s), Some(e)) if e > s => u32::from(e - s).saturating_sub(u32::from(self.break_minutes)),
            _ => 0,
        }
    }

    /// The end of the last window: after it the day is closed.
    pub fn last_window_end(&self) -> Option<DayTime> {
        self.checkpoints.iter().map(|c| c.window_end).max()
    }

    pub fn validate(&self) -> Result<(), ScheduleError> {
        if self.checkpoints.is_empty() {
            return Err(ScheduleError::NoCheckpoints);
        }
        for (i, c) in self.checkpoints.iter().enumerate() {
            if c.name.trim().is_empty() {
                return Err(ScheduleError::EmptyName);
            }
            if self.checkpoints[..i].iter().any(|o| o.name == c.name) {
                return Err(ScheduleError::DuplicateCheckpoint(c.name.clone()));
            }
            if !(c.window_start <= c.due && c.due <= c.window_end) {
                return Err(ScheduleError::DueOutsideWindow(c.name.clone()));
            }
            if i > 0 && self.checkpoints[i - 1].due > c.due {
                return Err(ScheduleError::NotChronological(c.name.clone()));
            }
        }
        Ok(())
    }
}

/// Per weekday either `null` (not a working day) or that day's schedule.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct WeeklyPattern {
    #[serde(default)]
    pub monday: Option<DaySchedule>,
    #[serde(default)]
    pub tuesday: Option<DaySchedule>,
    #[serde(default)]
    pub wednesday: Option<DaySchedule>,
    #[serde(default)]
    pub thursday: Option<DaySchedule>,
    #[serde(default)]
    pub friday: Option<DaySchedule>,
    #[serde(default)]
    pub saturday: Option<DaySchedule>,
    #[serde(default)]
    pub sunday: Option<DaySchedule>,
}

impl WeeklyPattern {
    pub fn day(&self, wd: Weekday) -> Option<&DaySchedule> {
        match wd {
            Weekday::Monday => self.monday.as_ref(),
            Weekday::Tuesday => self.tuesday.as_ref(),
            Weekday::Wednesday => self.wednesday.as_ref(),
            Weekday::Thursday => self.thursday.as_ref(),
            Weekday::Friday => self.friday.as_ref(),
            Weekday::Saturday => self.saturday.as_ref(),
            Weekday::Sunday => self.sunday.as_ref(),
        }
    }

    fn days(&self) -> [&Option<DaySchedule>; 7] {
        [&self.monday, &self.tuesday, &self.wednesday, &self.thursday, &self.friday, &self.saturday, &self.sunday]
    }

    /// Required minutes per week (37 h 30 min = 2250 for the Perpres default).
    pub fn weekly_minutes(&self) -> u32 {
        self.days().iter().filter_map(|d| d.as_ref()).map(DaySchedule::required_minutes).sum()
    }

    /// Perpres 21/2023: Mon–Thu 07:30–16:00 (break 60), Fri 07:30–16:30 (break 90),
    /// check-in window 06:00–10:00, check-out window 12:00–18:00.
    pub fn perpres_21_2023() -> WeeklyPattern {
        let masuk_window = (DayTime::hm(6, 0), DayTime::hm(10, 0));
        let pulang_window = (DayTime::hm(12, 0), DayTime::hm(18, 0));
        let mon_thu = DaySchedule::two_punch(DayTime::hm(7, 30), masuk_window, DayTime::hm(16, 0), pulang_window, 60);
        let fri = DaySchedule::two_punch(DayTime::hm(7, 30), masuk_window, DayTime::hm(16, 30), pulang_window, 90);
        WeeklyPattern::five_day(mon_thu, fri)
    }

    /// Ramadan: Mon–Thu 08:00–15:00 (break 30), Fri 08:00–15:30 (break 60) = 32 h 30 min.
    pub fn ramadan() -> WeeklyPattern {
        let masuk_window = (DayTime::hm(6, 30), DayTime::hm(10, 30));
        let pulang_window = (DayTime::hm(12, 0), DayTime::hm(18, 0));
        let mon_thu = DaySchedule::two_punch(DayTime::hm(8, 0), masuk_window, DayTime::hm(15, 0), pulang_window, 30);
        let fri = DaySchedule::two_punch(DayTime::hm(8, 0), masuk_window, DayTime::hm(15, 30), pulang_window, 60);
        WeeklyPattern::five_day(mon_thu, fri)
    }

    /// Six-day school week (example; each school sets its own): Mon–Thu and Sat 07:00–14:00
    /// with a 30-minute break, Fri 07:00–12:00 = 37 h 30 min.
    pub fn school_six_day() -> WeeklyPattern {
        let masuk_window = (DayTime::hm(5, 30), DayTime::hm(9, 30));
        let long = DaySchedule::two_punch(
            DayTime::hm(7, 0),
            masuk_window,
            DayTime::hm(14, 0),
            (DayTime::hm(10, 0), DayTime::hm(17, 0)),
            30,
        );
        let fri = DaySchedule::two_punch(
            DayTime::hm(7, 0),
            masuk_window,
            DayTime::hm(12, 0),
            (DayTime::hm(10, 0), DayTime::hm(16, 0)),
            0,
        );
        WeeklyPattern { saturday: Some(long.clone()), ..WeeklyPattern::five_day(long, fri) }
    }

    /// The Perpres week with a `siang` presence window 11:30–13:30 on every working day.
    pub fn three_punch() -> WeeklyPattern {
        let mut w = WeeklyPattern::perpres_21_2023();
        for d in [&mut w.monday, &mut w.tuesday, &mut w.wednesday, &mut w.thursday, &mut w.friday] {
            *d = d.take().map(|s| s.with_presence("siang", DayTime::hm(11, 30), DayTime::hm(13, 30)));
        }
        w
    }

    fn five_day(mon_thu: DaySchedule, fri: DaySchedule) -> WeeklyPattern {
        WeeklyPattern {
            monday: Some(mon_thu.clone()),
            tuesday: Some(mon_thu.clone()),
            wednesday: Some(mon_thu.clone()),
            thursday: Some(mon_thu),
            friday: Some(fri),
            saturday: None,
            sunday: None,
        }
    }

    pub fn validate(&self) -> Result<(), ScheduleError> {
        self.days().iter().filter_map(|d| d.as_ref()).try_for_each(DaySchedule::validate)
    }
}

/// Required weekly minutes (Perpres 21/2023): 37 h 30 min, breaks excluded.
pub const WEEKLY_MINUTES_MIN: u32 = 2250;
/// Required weekly minutes in Ramadan: 32 h 30 min.
pub const RAMADAN_WEEKLY_MINUTES_MIN: u32 = 1950;

/// What a weekly pattern is for, and so how many hours it must hold (issue 19).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PeriodKind {
    /// At least 37 h 30 min a week.
    #[default]
    Regular,
    /// A special period (Ramadan): at least 32 h 30 min a week.
    Ramadan,
    /// Only for a whole calendar: a roster/shift calendar whose hours come from the rostered
    /// shifts, so its weekly pattern has no minimum.
    Roster,
}

impl PeriodKind {
    pub fn is_regular(&self) -> bool {
        *self == PeriodKind::Regular
    }

    /// The weekly minimum, if any.
    pub fn weekly_minimum(self) -> Option<u32> {
        match self {
            PeriodKind::Regular => Some(WEEKLY_MINUTES_MIN),
            PeriodKind::Ramadan => Some(RAMADAN_WEEKLY_MINUTES_MIN),
            PeriodKind::Roster => None,
        }
    }
}

/// `2250` → `37 jam 30 menit`.
pub fn hours_text(minutes: u32) -> String {
    match minutes % 60 {
        0 => format!("{} jam", minutes / 60),
        m => format!("{} jam {m} menit", minutes / 60),
    }
}

/// A weekly pattern below its minimum (answered 422 `weekly_hours_too_short`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{pattern} hanya {} per minggu; paling sedikit {} (Perpres 21/2023{}). Bila ini periode khusus, \
     tandai sebagai Ramadan (paling sedikit 32 jam 30 menit), atau sebagai kalender shift bila jam kerja \
     mengikuti jadwal shift.",
    hours_text(*.minutes), hours_text(*.minimum), if *.minimum == RAMADAN_WEEKLY_MINUTES_MIN { ", bulan Ramadan" } else { "" }
)]
pub struct WeeklyHoursError {
    /// Which pattern, in Indonesian: `Pola mingguan kalender X`, `Periode Ramadan 1447 H`.
    pub pattern: String,
    pub minutes: u32,
    pub minimum: u32,
}

impl WeeklyHoursError {
    pub fn code(&self) -> &'static str {
        "weekly_hours_too_short"
    }
}

/// A named timetable in force on a date range (both ends inclusive), e.g. Ramadan.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ScheduleOverride {
    pub name: String,
    pub date_from: Date,
    pub date_to: Date,
    pub weekly: WeeklyPattern,
    /// `ramadan` marks a special period (32 h 30 min minimum); default `regular` (37 h 30 min).
    #[serde(default, skip_serializing_if = "PeriodKind::is_regular")]
    pub kind: PeriodKind,
}

impl ScheduleOverride {
    pub fn ramadan(name: &str, date_from: Date, date_to: Date) -> ScheduleOverride {
        ScheduleOverride {
            name: name.to_string(),
            date_from,
            date_to,
            weekly: WeeklyPattern::ramadan(),
            kind: PeriodKind::Ramadan,
        }
    }

    pub fn covers(&self, date: Date) -> bool {
        self.date_from <= date && date <= self.date_to
    }
}

/// A named shift for rosters (health units). No break is modelled: required minutes are the
/// whole shift.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Shift {
    /// Short code used in rosters (`P`, `S`, `M`).
    pub code: String,
    pub name: String,
    pub schedule: DaySchedule,
}

impl Shift {
    /// A two-punch shift from `start` to `end` (`end` may be next-day). Windows: check-in
    /// from 90 min before start up to 150 min after (at most half the shift); check-out from
    /// the shift's midpoint to 120 min after the end.
    pub fn new(code: &str, name: &str, start: DayTime, end: DayTime) -> Shift {
        let len = i32::from(end.minutes()) - i32::from(start.minutes());
        let half = len / 2;
        let schedule = DaySchedule::two_punch(
            start,
            (start.shifted(-90), start.shifted(150.min(half - 1))),
            end,
            (start.shifted(half), end.shifted(120)),
            0,
        );
        Shift { code: code.to_string(), name: name.to_string(), schedule }
    }

    pub fn pagi() -> Shift {
        Shift::new("P", "Pagi", DayTime::hm(7, 0), DayTime::hm(14, 0))
    }

    pub fn siang() -> Shift {
        Shift::new("S", "Siang", DayTime::hm(14, 0), DayTime::hm(21, 0))
    }

    pub fn malam() -> Shift {
        Shift::new("M", "Malam", DayTime::hm(21, 0), DayTime::next_day(7, 0))
    }
}

/// One roster line: on `date` the employee works `shift` (a shift code), or is off (`null`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct RosterEntry {
    pub date: Date,
    pub shift: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Calendar {
    pub name: String,
    pub weekly: WeeklyPattern,
    #[serde(default)]
    pub overrides: Vec<ScheduleOverride>,
    #[serde(default)]
    pub shifts: Vec<Shift>,
    /// `regular` (default; the weekly pattern holds at least 37 h 30 min), `ramadan` (a
    /// calendar for a special period, 32 h 30 min) or `roster` (a shift calendar: no minimum).
    #[serde(default, skip_serializing_if = "PeriodKind::is_regular")]
    pub kind: PeriodKind,
}

/// Where a date's schedule came from; roster days are worked even on public holidays.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ScheduleSource {
    Weekly,
    Override { name: String },
    Roster { shift: Option<String> },
}

/// The schedule of one employee on one date; `day: None` means not a working day.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ResolvedSchedule {
    pub source: ScheduleSource,
    /// Indonesian, for explanations: "pola mingguan Kalender Standar (Senin)", "shift Malam".
    pub label: String,
    pub day: Option<DaySchedule>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScheduleError {
    #[error("jadwal hari kerja harus punya paling sedikit satu titik presensi")]
    NoCheckpoints,
    #[error("nama titik presensi tidak boleh kosong")]
    EmptyName,
    #[error("titik presensi {0:?} muncul dua kali")]
    DuplicateCheckpoint(String),
    #[error("batas waktu titik presensi {0:?} harus di dalam jendelanya")]
    DueOutsideWindow(String),
    #[error("titik presensi {0:?} tidak urut waktu")]
    NotChronological(String),
    #[error("periode {0:?}: tanggal akhir sebelum tanggal awal")]
    BadRange(String),
    #[error("kode shift {0:?} tidak dikenal di kalender ini")]
    UnknownShift(String),
}

impl ScheduleError {
    pub fn code(&self) -> &'static str {
        match self {
            ScheduleError::NoCheckpoints => "schedule_no_checkpoints",
            ScheduleError::EmptyName => "schedule_empty_name",
            ScheduleError::DuplicateCheckpoint(_) => "schedule_duplicate_checkpoint",
            ScheduleError::DueOutsideWindow(_) => "schedule_due_outside_window",
            ScheduleError::NotChronological(_) => "schedule_not_chronological",
            ScheduleError::BadRange(_) => "schedule_bad_range",
            ScheduleError::UnknownShift(_) => "schedule_unknown_shift",
        }
    }
}

/// Indonesian weekday name.
pub fn hari(wd: Weekday) -> &'static str {
    match wd {
        Weekday::Monday => "Senin",
        Weekday::Tuesday => "Selasa",
        Weekday::Wednesday => "Rabu",
        Weekday::Thursday => "Kamis",
        Weekday::Friday => "Jumat",
        Weekday::Saturday => "Sabtu",
        Weekday::Sunday => "Minggu",
    }
}

impl Calendar {
    /// The national default (Perpres 21/2023), five days a week.
    pub fn perpres_21_2023() -> Calendar {
        Calendar::with_weekly("Standar Perpres 21/2023", WeeklyPattern::perpres_21_2023())
    }

    pub fn school_six_day() -> Calendar {
        Calendar::with_weekly("Sekolah 6 hari", WeeklyPattern::school_six_day())
    }

    pub fn three_punch() -> Calendar {
        Calendar::with_weekly("Tiga kali presensi", WeeklyPattern::three_punch())
    }

    /// Perpres week for non-roster days plus the Pagi / Siang / Malam shifts.
    pub fn health_shifts() -> Calendar {
        Calendar {
            shifts: vec![Shift::pagi(), Shift::siang(), Shift::malam()],
            ..Calendar::with_weekly("Shift layanan kesehatan", WeeklyPattern::perpres_21_2023())
        }
    }

    pub fn with_weekly(name: &str, weekly: WeeklyPattern) -> Calendar {
        Calendar {
            name: name.to_string(),
            weekly,
            overrides: Vec::new(),
            shifts: Vec::new(),
            kind: PeriodKind::Regular,
        }
    }

    pub fn shift(&self, code: &str) -> Option<&Shift> {
        self.shifts.iter().find(|s| s.code == code)
    }

    /// Which schedule applies on `date`: a roster entry for the date (if any), else the
    /// override covering it (the latest-starting one when several do), else the weekly
    /// pattern. Holidays are applied by the evaluator, not here.
    pub fn resolve(&self, date: Date, roster: &[RosterEntry]) -> Result<ResolvedSchedule, ScheduleError> {
        if let Some(entry) = roster.iter().rev().find(|r| r.date == date) {
            return match &entry.shift {
                None => Ok(ResolvedSchedule {
                    source: ScheduleSource::Roster { shift: None },
                    label: "libur menurut jadwal shift".to_string(),
                    day: None,
                }),
                Some(code) => {
                    let shift = self.shift(code).ok_or_else(|| ScheduleError::UnknownShift(code.clone()))?;
                    Ok(ResolvedSchedule {
                        source: ScheduleSource::Roster { shift: Some(code.clone()) },
                        label: format!("shift {}", shift.name),
                        day: Some(shift.schedule.clone()),
                    })
                }
            };
        }
        let wd = date.weekday();
        let over = self
            .overrides
            .iter()
            .enumerate()
            .filter(|(_, o)| o.covers(date))
            .max_by_key(|(i, o)| (o.date_from, *i))
            .map(|(_, o)| o);
        Ok(match over {
            Some(o) => ResolvedSchedule {
                source: ScheduleSource::Override { name: o.name.clone() },
                label: format!("jadwal {} ({})", o.name, hari(wd)),
                day: o.weekly.day(wd).cloned(),
            },
            None => ResolvedSchedule {
                source: ScheduleSource::Weekly,
                label: format!("pola mingguan {} ({})", self.name, hari(wd)),
                day: self.weekly.day(wd).cloned(),
            },
        })
    }

    /// Required weekly minutes of the regular pattern (for the recap's "hours required").
    pub fn weekly_minutes(&self) -> u32 {
        self.weekly.weekly_minutes()
    }

    /// Weekly hours (issue 19): the weekly pattern and every override hold at least their
    /// period's minimum (37 h 30 min; Ramadan 32 h 30 min; a roster calendar none). An override
    /// of a roster calendar is held to its own kind.
    pub fn check_weekly_hours(&self) -> Result<(), WeeklyHoursError> {
        let check = |kind: PeriodKind, w: &WeeklyPattern, pattern: String| match kind.weekly_minimum() {
            Some(min) if w.weekly_minutes() < min => {
                Err(WeeklyHoursError { pattern, minutes: w.weekly_minutes(), minimum: min })
            }
            _ => Ok(()),
        };
        check(self.kind, &self.weekly, format!("Pola mingguan kalender {}", self.name))?;
        for o in &self.overrides {
            check(o.kind, &o.weekly, format!("Periode {}", o.name))?;
        }
        Ok(())
    }

    pub fn validate(&self) -> Result<(), ScheduleError> {
        self.weekly.validate()?;
        for o in &self.overrides {
            if o.date_to < o.date_from {
                return Err(ScheduleError::BadRange(o.name.clone()));
            }
            o.weekly.validate()?;
        }
        for s in &self.shifts {
            s.schedule.validate()?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn perpres_week_is_37_5_hours() {
        assert_eq!(WeeklyPattern::perpres_21_2023().weekly_minutes(), 2250);
        assert_eq!(WeeklyPattern::school_six_day().weekly_minutes(), 2250);
        assert_eq!(WeeklyPattern::ramadan().weekly_minutes(), 1950);
    }

    #[test]
    fn constructors_validate() {
        for c in [
            Calendar::perpres_21_2023(),
            Calendar::school_six_day(),
            Calendar::three_punch(),
            Calendar::health_shifts(),
        ] {
            c.validate().unwrap();
        }
        let m = Shift::malam().schedule;
        assert_eq!(m.checkpoints[1].due.to_string(), "07:00+1");
        assert_eq!(m.required_minutes(), 600);
        let names: Vec<_> =
            WeeklyPattern::three_punch().monday.unwrap().checkpoints.into_iter().map(|c| c.name).collect();
        assert_eq!(names, ["masuk", "siang", "pulang"]);
    }

    #[test]
    fn resolution_order_roster_override_weekly() {
        let mut cal = Calendar::health_shifts();
        cal.overrides.push(ScheduleOverride::ramadan("Ramadan 1446 H", date(2025, 3, 1), date(2025, 3, 30)));
        let roster = [RosterEntry { date: date(2025, 3, 3), shift: Some("M".into()) }];
        let r = cal.resolve(date(2025, 3, 3), &roster).unwrap();
        assert_eq!(r.label, "shift Malam");
        let r = cal.resolve(date(2025, 3, 4), &roster).unwrap();
        assert!(matches!(r.source, ScheduleSource::Override { .. }));
        assert_eq!(r.day.unwrap().checkpoints[0].due, DayTime::hm(8, 0));
        let r = cal.resolve(date(2025, 4, 8), &roster).unwrap();
        assert_eq!(r.source, ScheduleSource::Weekly);
        let bad = [RosterEntry { date: date(2025, 4, 8), shift: Some("X".into()) }];
        assert!(cal.resolve(date(2025, 4, 8), &bad).is_err());
    }

    #[test]
    fn weekly_hours_minimum() {
        let short_day = || {
            DaySchedule::two_punch(
                DayTime::hm(7, 30),
                (DayTime::hm(6, 0), DayTime::hm(10, 0)),
                DayTime::hm(14, 0),
                (DayTime::hm(12, 0), DayTime::hm(18, 0)),
                60,
            )
        };
        // 5.5 h a day, five days: 27 h 30 min.
        let short = WeeklyPattern::five_day(short_day(), short_day());
        assert_eq!(short.weekly_minutes(), 1650);
        // (calendar kind, pattern, override kind + pattern, ok)
        let ramadan = WeeklyPattern::ramadan();
        let perpres = WeeklyPattern::perpres_21_2023();
        type Row<'a> = (PeriodKind, &'a WeeklyPattern, Option<(PeriodKind, &'a WeeklyPattern)>, Option<u32>);
        let table: [Row<'_>; 10] = [
            (PeriodKind::Regular, &perpres, None, None),
            (PeriodKind::Regular, &short, None, Some(2250)),
            (PeriodKind::Regular, &ramadan, None, Some(2250)),
            (PeriodKind::Ramadan, &ramadan, None, None),
            (PeriodKind::Ramadan, &short, None, Some(1950)),
            (PeriodKind::Roster, &short, None, None),
            (PeriodKind::Roster, &WeeklyPattern::default(), None, None),
            (PeriodKind::Regular, &perpres, Some((PeriodKind::Ramadan, &ramadan)), None),
            (PeriodKind::Regular, &perpres, Some((PeriodKind::Regular, &ramadan)), Some(2250)),
            (PeriodKind::Roster, &perpres, Some((PeriodKind::Ramadan, &short)), Some(1950)),
        ];
        for (i, (kind, weekly, over, refused)) in table.into_iter().enumerate() {
            let mut cal = Calendar { kind, ..Calendar::with_weekly("Uji", weekly.clone()) };
            if let Some((k, w)) = over {
                cal.overrides.push(ScheduleOverride {
                    name: "Ramadan 1447 H".into(),
                    date_from: date(2026, 2, 18),
                    date_to: date(2026, 3, 19),
                    weekly: w.clone(),
                    kind: k,
                });
            }
            let r = cal.check_weekly_hours();
            assert_eq!(r.as_ref().err().map(|e| e.minimum), refused, "row {i}: {r:?}");
        }
        let e = Calendar::with_weekly("Uji", short).check_weekly_hours().unwrap_err();
        assert_eq!(e.code(), "weekly_hours_too_short");
        assert_eq!(
            e.to_string(),
            "Pola mingguan kalender Uji hanya 27 jam 30 menit per minggu; paling sedikit 37 jam 30 menit \
             (Perpres 21/2023). Bila ini periode khusus, tandai sebagai Ramadan (paling sedikit 32 jam 30 menit), \
             atau sebagai kalender shift bila jam kerja mengikuti jadwal shift."
        );
        // The shipped calendars pass, and the Ramadan constructor is marked.
        let mut with_ramadan = Calendar::perpres_21_2023();
        with_ramadan.overrides.push(ScheduleOverride::ramadan("Ramadan", date(2026, 2, 18), date(2026, 3, 19)));
        for c in [
            Calendar::perpres_21_2023(),
            Calendar::school_six_day(),
            Calendar::three_punch(),
            Calendar::health_shifts(),
            with_ramadan,
        ] {
            assert_eq!(c.check_weekly_hours(), Ok(()), "{}", c.name);
        }
        // Regular calendars keep their JSON (no `kind` written).
        assert!(serde_json::to_value(Calendar::perpres_21_2023()).unwrap().get("kind").is_none());
    }

    #[test]
    fn calendar_json_round_trip() {
        let cal = Calendar::health_shifts();
        let json = serde_json::to_string(&cal).unwrap();
        assert_eq!(serde_json::from_str::<Calendar>(&json).unwrap(), cal);
    }
}
