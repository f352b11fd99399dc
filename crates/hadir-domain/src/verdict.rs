//! The check-in response: what one new punch means, right now, in one Indonesian sentence
//! ("Masuk 07:42 WITA — terlambat 12 menit (TL1)"). It re-evaluates the day with the punch
//! included, so it always agrees with the day record the employee will see later.

use crate::day_input::{DayInput, Punch};
use crate::day_record::{CheckpointOutcome, DayRecord, IgnoreReason};
use crate::evaluate::{evaluate_day, title};
use crate::schedule::{CheckpointKind, ResolvedSchedule};
use crate::status::DayStatus;
use crate::zone::{clock, schedule_minute, zone_abbreviation};
use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::TimeZone;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PunchVerdict {
    /// The checkpoint the punch matched (`masuk`, `pulang`, …), if any.
    pub checkpoint: Option<String>,
    pub kind: Option<CheckpointKind>,
    pub time: String,
    pub zone: String,
    pub minutes_late: Option<u32>,
    pub minutes_early: Option<u32>,
    pub code: Option<String>,
    /// Why the punch matched nothing, when it did not.
    pub ignored: Option<IgnoreReason>,
    /// Later punches may still change it (a later check-out replaces this one).
    pub provisional: bool,
    pub message: String,
}

/// The provisional verdict for `punch` on `input.date` (added to `input.punches` unless a
/// punch with the same id is already there). Pick the date the caller shows the punch under:
/// normally the punch's local date; for the morning end of a night shift, the shift's date.
pub fn punch_verdict(input: &DayInput<'_>, punch: &Punch) -> PunchVerdict {
    let mut punches = input.punches.to_vec();
    if !punches.iter().any(|p| p.id == punch.id) {
        punches.push(punch.clone());
    }
    let with = DayInput { punches: &punches, ..input.clone() };
    let record = evaluate_day(&with);
    verdict_from(&record, input, punch)
}

/// The date a punch is shown under: the previous day when it falls inside a window of the
/// previous day's schedule (the morning end of a night shift), else its local date.
pub fn punch_date(tz: &TimeZone, at: Timestamp, previous_day: &ResolvedSchedule) -> Date {
    let local = tz.to_datetime(at).date();
    let Ok(prev) = local.yesterday() else {
        return local;
    };
    let minute = schedule_minute(tz, prev, at);
    let in_prev = previous_day
        .day
        .as_ref()
        .is_some_and(|d| d.checkpoints.iter().any(|c| c.window_end.day_offset() > 0 && c.window_contains(minute)));
    if in_prev { prev } else { local }
}

fn verdict_from(record: &DayRecord, input: &DayInput<'_>, punch: &Punch) -> PunchVerdict {
    let zone = zone_abbreviation(input.tz, punch.at);
    let time = clock(input.tz, punch.at);
    let mut v = PunchVerdict {
        checkpoint: None,
        kind: None,
        time: time.clone(),
        zone: zone.clone(),
        minutes_late: None,
        minutes_early: None,
        code: None,
        ignored: None,
        provisional: !record.closed,
        message: String::new(),
    };
    let hit = record.checkpoints.iter().find(|c| c.punch.as_ref().is_some_and(|p| p.punch_id == Some(punch.id)));
    if let Some(cp) = hit {
        v.checkpoint = Some(cp.name.clone());
        v.kind = Some(cp.kind);
        v.minutes_late = cp.minutes_late;
        v.minutes_early = cp.minutes_early;
        v.code = cp.code.clone();
        let what = match (cp.kind, cp.minutes_late, cp.minutes_early) {
            (CheckpointKind::Presence, _, _) => "tercatat".to_string(),
            (_, Some(0), _) | (_, _, Some(0)) => "tepat waktu".to_string(),
            (_, Some(m), _) => format!("terlambat {m} menit"),
            (_, _, Some(m)) => format!("pulang {m} menit lebih awal"),
            _ => "tercatat".to_string(),
        };
        let tail = match (&cp.code, cp.outcome) {
            (Some(code), _) => format!(" ({code})"),
            (None, CheckpointOutcome::Excused) => " (dikecualikan)".to_string(),
            (None, CheckpointOutcome::OnTime) if what != "tepat waktu" => " (dalam toleransi)".to_string(),
            _ => String::new(),
        };
        v.message = format!("{} {time} {zone} — {what}{tail}", title(&cp.name));
        return v;
    }
    let ignored = record.ignored_punches.iter().find(|i| i.punch.punch_id == Some(punch.id));
    v.ignored = ignored.map(|i| i.reason);
    let why = match (record.status, ignored.map(|i| i.reason)) {
        (DayStatus::Libur, _) => match &record.holiday {
            Some(h) => format!("hari ini libur ({})", h.name),
            None => "hari ini bukan hari kerja".to_string(),
        },
        (DayStatus::BelumAktif, _) => "sebelum tanggal mulai presensi".to_string(),
        (_, Some(IgnoreReason::ExcusedDay)) => {
            format!("hari ini tercatat {}", record.status.label())
        }
        (_, Some(IgnoreReason::Duplicate)) => ignored
            .map(|i| match i.explanation.split_once(": ") {
                Some((_, rest)) => rest.to_string(),
                None => "presensi ganda".to_string(),
            })
            .unwrap_or_default(),
        _ => "di luar jendela presensi jadwal hari ini".to_string(),
    };
    v.message = format!("Presensi {time} {zone} tercatat — {why}");
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::RuleSet;
    use crate::schedule::Calendar;
    use jiff::civil::date;

    #[test]
    fn night_shift_morning_punch_belongs_to_yesterday() {
        let tz = TimeZone::get("Asia/Jakarta").unwrap();
        let cal = Calendar::health_shifts();
        let roster = [crate::schedule::RosterEntry { date: date(2025, 11, 3), shift: Some("M".into()) }];
        let prev = cal.resolve(date(2025, 11, 3), &roster).unwrap();
        let at: Timestamp = "2025-11-04T06:55:00+07:00".parse().unwrap();
        assert_eq!(punch_date(&tz, at, &prev), date(2025, 11, 3));
        let weekday = cal.resolve(date(2025, 11, 3), &[]).unwrap();
        assert_eq!(punch_date(&tz, at, &weekday), date(2025, 11, 4));
    }

    #[test]
    fn messages() {
        let tz = TimeZone::get("Asia/Makassar").unwrap();
        let cal = Calendar::perpres_21_2023();
        let d = date(2025, 3, 4);
        let sched = cal.resolve(d, &[]).unwrap();
        let rules = RuleSet::default();
        let at = |s: &str| {
            d.at(s[..2].parse().unwrap(), s[3..].parse().unwrap(), 0, 0)
                .to_zoned_datetime(tz.clone())
                .unwrap()
                .timestamp()
        };
        let input = DayInput::new(d, &tz, &sched, &rules, at("07:42"));
        let p = |id, t| Punch { id, at: at(t), source: "mobile".into() };
        let v = punch_verdict(&input, &p(1, "07:42"));
        assert_eq!(v.message, "Masuk 07:42 WITA — terlambat 12 menit (TL1)");
        assert!(v.provisional);
        let earlier = [p(1, "07:20")];
        let input2 = DayInput { punches: &earlier, ..input.clone() };
        let v = punch_verdict(&input2, &p(2, "07:50"));
        assert_eq!(v.message, "Presensi 07:50 WITA tercatat — masuk sudah tercatat pukul 07:20");
        let v = punch_verdict(&input2, &p(3, "16:05"));
        assert_eq!(v.message, "Pulang 16:05 WITA — tepat waktu");
        let v = punch_verdict(&input2, &p(4, "15:40"));
        assert_eq!(v.message, "Pulang 15:40 WITA — pulang 20 menit lebih awal (PSW1)");
        let v = punch_verdict(&input2, &p(5, "05:10"));
        assert_eq!(v.message, "Presensi 05:10 WITA tercatat — di luar jendela presensi jadwal hari ini");
    }
}
