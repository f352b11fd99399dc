//! When an employee is reminded to punch (issue 25), as a pure rule.
//!
//! For each checkpoint of the person's schedule on a local date there are two reminders: when
//! its window opens, and `before_close_minutes` before it closes. A reminder is due at a tick
//! when its time has come and is at most `catch_up_minutes` old (a server that was down at
//! 07:00 does not remind at 11:00), and none is due:
//! - on a holiday, a day without a schedule (non-working day), or a day of approved whole-day
//!   leave or duty; for a checkpoint an approved request excuses;
//! - when the person already punched inside the checkpoint's window;
//! - inside the quiet window (default 21:00–05:00 local time; nothing is sent at night).
//!
//! Times are the employee's local wall clock (WIB/WITA/WIT): [`local_now`] turns an instant
//! into the local date and minute in a zone. The caller keeps each reminder once (its key:
//! person, date, checkpoint, kind).

use crate::day_time::DayTime;
use crate::schedule::DaySchedule;
use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::TimeZone;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReminderKind {
    /// The checkpoint's window has opened.
    Open,
    /// The window closes soon and the person has not punched.
    Close,
}

impl ReminderKind {
    pub fn as_str(&self) -> &'static str {
        match self {
            ReminderKind::Open => "open",
            ReminderKind::Close => "close",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReminderSettings {
    pub before_close_minutes: u16,
    /// Nothing is sent from `quiet_start` to `quiet_end` (may wrap over midnight).
    pub quiet_start: DayTime,
    pub quiet_end: DayTime,
    /// How late a tick may still send a reminder.
    pub catch_up_minutes: u16,
}

impl Default for ReminderSettings {
    fn default() -> Self {
        ReminderSettings {
            before_close_minutes: 15,
            quiet_start: DayTime::hm(21, 0),
            quiet_end: DayTime::hm(5, 0),
            catch_up_minutes: 10,
        }
    }
}

/// One person's day as the rule needs it.
#[derive(Debug, Clone, Copy)]
pub struct ReminderDay<'a> {
    /// The schedule in force; `None`: not a working day.
    pub schedule: Option<&'a DaySchedule>,
    pub holiday: bool,
    /// Approved whole-day leave, sick leave or dated duty covers the date.
    pub whole_day_excused: bool,
    /// Checkpoints an approved request excuses (an IZIN for `pulang`).
    pub excused_checkpoints: &'a [String],
    /// Local minutes (from the date's midnight) of the day's counted punches.
    pub punches: &'a [u16],
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueReminder {
    pub checkpoint: String,
    pub kind: ReminderKind,
    /// When it was due (local).
    pub at: DayTime,
    /// When the window closes (local), for the message.
    pub closes: DayTime,
}

/// The local date and minute of `now` in `tz`.
pub fn local_now(now: Timestamp, tz: &TimeZone) -> (Date, u16) {
    let z = now.to_zoned_datetime(tz.clone());
    (z.date(), (z.hour() as u16) * 60 + z.minute() as u16)
}

/// Whether local minute `m` is inside the quiet window (alerts to operators keep it too).
pub fn quiet(s: &ReminderSettings, m: u16) -> bool {
    let m = m % (24 * 60);
    let (a, b) = (s.quiet_start.minutes() % 1440, s.quiet_end.minutes() % 1440);
    if a <= b { a <= m && m < b } else { m >= a || m < b }
}

/// The reminders due at local minute `now` of the day (see the module's rules).
pub fn due_reminders(day: &ReminderDay<'_>, s: &ReminderSettings, now: u16) -> Vec<DueReminder> {
    let Some(schedule) = day.schedule else {
        return Vec::new();
    };
    if day.holiday || day.whole_day_excused {
        return Vec::new();
    }
    let mut out = Vec::new();
    for c in &schedule.checkpoints {
        if day.excused_checkpoints.iter().any(|e| e == &c.name) {
            continue;
        }
        if day.punches.iter().any(|&p| c.window_contains(i64::from(p))) {
            continue;
        }
        let open = c.window_start;
        let close_at = c.window_end.shifted(-i32::from(s.before_close_minutes)).max(open);
        for (kind, at) in [(ReminderKind::Open, open), (ReminderKind::Close, close_at)] {
            if kind == ReminderKind::Close && close_at == open {
                continue; // a window shorter than the lead time: the opening reminder is enough
            }
            let due = at.minutes() <= now && now < at.minutes().saturating_add(s.catch_up_minutes.max(1));
            if due && now <= c.window_end.minutes() && !quiet(s, at.minutes()) {
                out.push(DueReminder { checkpoint: c.name.clone(), kind, at, closes: c.window_end });
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schedule::{Checkpoint, CheckpointKind};

    fn day() -> DaySchedule {
        DaySchedule {
            checkpoints: vec![
                Checkpoint::new(
                    "masuk",
                    CheckpointKind::CheckIn,
                    DayTime::hm(7, 30),
                    DayTime::hm(6, 0),
                    DayTime::hm(9, 0),
                ),
                Checkpoint::new(
                    "pulang",
                    CheckpointKind::CheckOut,
                    DayTime::hm(16, 0),
                    DayTime::hm(15, 0),
                    DayTime::hm(18, 0),
                ),
            ],
            break_minutes: 60,
        }
    }

    /// (what, the day, the local minute, the reminders due: checkpoint and kind)
    type Case<'a> = (&'a str, ReminderDay<'a>, u16, Vec<(&'a str, ReminderKind)>);

    fn m(h: u16, mi: u16) -> u16 {
        h * 60 + mi
    }

    #[test]
    fn reminders_table() {
        let sched = day();
        let night = DaySchedule {
            checkpoints: vec![Checkpoint::new(
                "masuk",
                CheckpointKind::CheckIn,
                DayTime::hm(22, 0),
                DayTime::hm(21, 30),
                DayTime::hm(23, 0),
            )],
            break_minutes: 0,
        };
        let none: &[String] = &[];
        let pulang = ["pulang".to_string()];
        let at_0720 = [m(7, 20)];
        let at_0500 = [m(5, 0)];
        let base = ReminderDay {
            schedule: Some(&sched),
            holiday: false,
            whole_day_excused: false,
            excused_checkpoints: none,
            punches: &[],
        };
        let s = ReminderSettings::default();
        // (what, day, now, expected (checkpoint, kind))
        let cases: Vec<Case<'_>> = vec![
            ("window opens", base, m(6, 0), vec![("masuk", ReminderKind::Open)]),
            ("a late tick still sends", base, m(6, 9), vec![("masuk", ReminderKind::Open)]),
            ("too late to catch up", base, m(6, 10), vec![]),
            ("before the window", base, m(5, 59), vec![]),
            ("15 minutes before close", base, m(8, 45), vec![("masuk", ReminderKind::Close)]),
            ("pulang opens", base, m(15, 0), vec![("pulang", ReminderKind::Open)]),
            ("pulang closes soon", base, m(17, 45), vec![("pulang", ReminderKind::Close)]),
            ("already punched masuk", ReminderDay { punches: &at_0720, ..base }, m(8, 45), vec![]),
            (
                "a punch outside the window is not masuk",
                ReminderDay { punches: &at_0500, ..base },
                m(8, 45),
                vec![("masuk", ReminderKind::Close)],
            ),
            ("holiday", ReminderDay { holiday: true, ..base }, m(6, 0), vec![]),
            ("non-working day", ReminderDay { schedule: None, ..base }, m(6, 0), vec![]),
            ("approved leave", ReminderDay { whole_day_excused: true, ..base }, m(6, 0), vec![]),
            ("izin excuses pulang only", ReminderDay { excused_checkpoints: &pulang, ..base }, m(17, 45), vec![]),
            (
                "izin for pulang leaves masuk",
                ReminderDay { excused_checkpoints: &pulang, ..base },
                m(6, 0),
                vec![("masuk", ReminderKind::Open)],
            ),
            (
                "quiet hours: a night shift opens at 21:30",
                ReminderDay { schedule: Some(&night), ..base },
                m(21, 30),
                vec![],
            ),
        ];
        for (what, d, now, want) in cases {
            let got: Vec<(String, ReminderKind)> =
                due_reminders(&d, &s, now).into_iter().map(|r| (r.checkpoint, r.kind)).collect();
            let want: Vec<(String, ReminderKind)> = want.into_iter().map(|(c, k)| (c.to_string(), k)).collect();
            assert_eq!(got, want, "{what}");
        }
        // Quiet hours are a setting: without them the night shift is reminded.
        let open_nights = ReminderSettings { quiet_start: DayTime::hm(0, 0), quiet_end: DayTime::hm(0, 0), ..s };
        let d = ReminderDay { schedule: Some(&night), ..base };
        assert_eq!(due_reminders(&d, &open_nights, m(21, 30)).len(), 1);
        // The lead time is a setting too.
        let thirty = ReminderSettings { before_close_minutes: 30, ..s };
        assert_eq!(due_reminders(&base, &thirty, m(8, 30))[0].kind, ReminderKind::Close);
        assert!(due_reminders(&base, &thirty, m(8, 45)).is_empty());
    }

    #[test]
    fn local_time_in_each_zone() {
        // 2026-03-02 23:30 UTC is 06:30 on 3 March in WIB, 07:30 in WITA, 08:30 in WIT.
        let t: Timestamp = "2026-03-02T23:30:00Z".parse().unwrap();
        let date: Date = "2026-03-03".parse().unwrap();
        for (zone, minute) in [("Asia/Jakarta", m(6, 30)), ("Asia/Makassar", m(7, 30)), ("Asia/Jayapura", m(8, 30))] {
            assert_eq!(local_now(t, &TimeZone::get(zone).unwrap()), (date, minute), "{zone}");
        }
        // At 06:00 WITA the masuk window opens for Makassar, while Jakarta (05:00) waits.
        let t: Timestamp = "2026-03-02T22:00:00Z".parse().unwrap();
        let sched = day();
        let d = ReminderDay {
            schedule: Some(&sched),
            holiday: false,
            whole_day_excused: false,
            excused_checkpoints: &[],
            punches: &[],
        };
        let s = ReminderSettings::default();
        let wita = local_now(t, &TimeZone::get("Asia/Makassar").unwrap()).1;
        let wib = local_now(t, &TimeZone::get("Asia/Jakarta").unwrap()).1;
        assert_eq!(due_reminders(&d, &s, wita).len(), 1);
        assert!(due_reminders(&d, &s, wib).is_empty());
    }
}
