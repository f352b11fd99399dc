//! Apel and upacara (issue 21, point 3): attendance sessions at their own place and time
//! (DOMAIN.md). This module is the pure rule only: what a session means for one person on its
//! date, and how the outcomes enter a day record ([`apply_to_day`]). Storage and the API are in
//! `hadir-store` (`SessionStore`) and `hadir-server` (`api/sessions.rs`).
//!
//! The rule, in order:
//! 1. a person not employed on the date, or of a unit that need not attend, is not concerned;
//! 2. a check-in inside the session's window (its local start to end, inclusive), or the head
//!    marking them present, is attendance;
//! 3. an approved request covering the date (leave, duty away, sick) excuses the absence;
//! 4. before the window has closed, the session is still open (no verdict yet);
//! 5. otherwise the session was missed: a mandatory one costs the rule set's apel deduction
//!    (DOMAIN.md default 2 %), a voluntary one nothing.
//!
//! Sessions are not skipped on holidays: the 17 August ceremony is on a national holiday.

use crate::percent::Percent;
use jiff::Timestamp;
use jiff::civil::{Date, DateTime, Time};
use jiff::tz::TimeZone;
use serde::{Deserialize, Serialize};

/// DOMAIN.md's default deduction for a missed assembly or ceremony.
pub const DEFAULT_APEL_DEDUCTION: Percent = Percent::whole(2);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SessionKind {
    /// Morning assembly (e.g. every Monday).
    Apel,
    /// Flag ceremony (e.g. the 17th of each month, national days).
    Upacara,
}

impl SessionKind {
    pub fn label(self) -> &'static str {
        match self {
            SessionKind::Apel => "Apel",
            SessionKind::Upacara => "Upacara",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Session {
    pub kind: SessionKind,
    pub name: String,
    pub date: Date,
    /// Local wall-clock window of the place's zone.
    pub start: Time,
    pub end: Time,
    pub mandatory: bool,
}

/// What the person did about the session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attendance {
    /// Checked in at the place (position or the session's code) at this instant.
    CheckedIn(Timestamp),
    /// Marked present by the head from the list.
    MarkedByHead,
    Nothing,
}

/// The facts about one person and one session.
#[derive(Debug, Clone, Copy)]
pub struct SessionInput<'a> {
    pub session: &'a Session,
    pub tz: &'a TimeZone,
    /// The person's unit is among those that must attend.
    pub required: bool,
    /// Employed on the session's date.
    pub employed: bool,
    pub attendance: Attendance,
    /// An approved request covering the date (its id).
    pub excused_by: Option<i64>,
    pub now: Timestamp,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum SessionOutcome {
    NotConcerned,
    Attended,
    Excused { request_id: i64 },
    Open,
    Missed { deduction: Percent },
}

impl SessionOutcome {
    /// The deduction this outcome costs (only a missed mandatory session costs anything).
    pub fn deduction(&self) -> Percent {
        match self {
            SessionOutcome::Missed { deduction } => *deduction,
            _ => Percent::ZERO,
        }
    }
}

fn local(tz: &TimeZone, date: Date, t: Time) -> Option<Timestamp> {
    DateTime::from_parts(date, t).to_zoned_datetime(tz.clone()).ok().map(|z| z.timestamp())
}

/// The outcome of `input` (see the module's rule), with `apel` the rule set's deduction.
pub fn session_outcome(input: &SessionInput<'_>, apel: Percent) -> SessionOutcome {
    let s = input.session;
    if !input.required || !input.employed {
        return SessionOutcome::NotConcerned;
    }
    let (Some(start), Some(end)) = (local(input.tz, s.date, s.start), local(input.tz, s.date, s.end)) else {
        return SessionOutcome::NotConcerned;
    };
    match input.attendance {
        Attendance::MarkedByHead => return SessionOutcome::Attended,
        Attendance::CheckedIn(at) if start <= at && at <= end => return SessionOutcome::Attended,
        _ => {}
    }
    if let Some(request_id) = input.excused_by {
        return SessionOutcome::Excused { request_id };
    }
    if input.now <= end {
        return SessionOutcome::Open;
    }
    SessionOutcome::Missed { deduction: if s.mandatory { apel } else { Percent::ZERO } }
}

/// The outcome in words for the day's explanation, e.g. "Apel Senin 07:30–08:00: tidak hadir
/// (wajib), potongan 2%".
pub fn explain(s: &Session, outcome: &SessionOutcome) -> String {
    let head = format!(
        "{} {} {:02}:{:02}–{:02}:{:02}",
        s.kind.label(),
        s.name,
        s.start.hour(),
        s.start.minute(),
        s.end.hour(),
        s.end.minute()
    );
    match outcome {
        SessionOutcome::NotConcerned => format!("{head}: tidak wajib bagi unit Anda"),
        SessionOutcome::Attended => format!("{head}: hadir"),
        SessionOutcome::Excused { request_id } => format!("{head}: tidak hadir, dimaafkan (permohonan #{request_id})"),
        SessionOutcome::Open => format!("{head}: belum selesai"),
        SessionOutcome::Missed { deduction } if *deduction == Percent::ZERO => {
            format!("{head}: tidak hadir (tidak wajib, tanpa potongan)")
        }
        SessionOutcome::Missed { deduction } => {
            format!("{head}: tidak hadir (wajib), potongan {}%", deduction.as_f64())
        }
    }
}

/// One session in a day record: what it was and what it meant for the person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionResult {
    pub session_id: i64,
    pub kind: SessionKind,
    pub name: String,
    /// Local `HH:MM`.
    pub start: String,
    pub end: String,
    pub mandatory: bool,
    #[serde(flatten)]
    pub outcome: SessionOutcome,
    /// How the attendance was recorded (`position`, `qr`, `marked`), if it was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub how: Option<String>,
    pub explanation: String,
}

impl SessionResult {
    pub fn new(id: i64, s: &Session, outcome: SessionOutcome, how: Option<String>) -> SessionResult {
        let hm = |t: Time| format!("{:02}:{:02}", t.hour(), t.minute());
        SessionResult {
            session_id: id,
            kind: s.kind,
            name: s.name.clone(),
            start: hm(s.start),
            end: hm(s.end),
            mandatory: s.mandatory,
            outcome,
            how,
            explanation: explain(s, &outcome),
        }
    }
}

/// Adds the sessions that concern the person to their day: the deductions of missed mandatory
/// ones are added to the day's (never above `cap`), and each outcome is one more sentence of
/// the explanation. Sessions that do not concern the person are left out.
pub fn apply_to_day(record: &mut crate::DayRecord, results: Vec<SessionResult>, cap: Percent) {
    for r in results {
        if r.outcome == SessionOutcome::NotConcerned {
            continue;
        }
        record.deduction = record.deduction.saturating_add(r.outcome.deduction()).min(cap);
        if !record.explanation.is_empty() && !record.explanation.ends_with(' ') {
            record.explanation.push(' ');
        }
        record.explanation.push_str(&r.explanation);
        record.explanation.push('.');
        record.sessions.push(r);
    }
}

/// (attended, missed) over outcomes, for the recap's counts.
pub fn counts<'a>(outcomes: impl IntoIterator<Item = &'a SessionOutcome>) -> (u32, u32) {
    outcomes.into_iter().fold((0, 0), |(a, m), o| match o {
        SessionOutcome::Attended => (a + 1, m),
        SessionOutcome::Missed { .. } => (a, m + 1),
        _ => (a, m),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::{date, time};

    fn wita() -> TimeZone {
        TimeZone::get("Asia/Makassar").unwrap()
    }

    fn at(h: i8, m: i8) -> Timestamp {
        date(2026, 12, 7).at(h, m, 0, 0).to_zoned_datetime(wita()).unwrap().timestamp()
    }

    /// (what, session, required, employed, attendance, excused by, now, expected)
    type Case<'a> = (&'a str, &'a Session, bool, bool, Attendance, Option<i64>, Timestamp, SessionOutcome);

    #[test]
    fn the_rule_table() {
        let monday_apel = Session {
            kind: SessionKind::Apel,
            name: "Senin".into(),
            date: date(2026, 12, 7),
            start: time(7, 30, 0, 0),
            end: time(8, 0, 0, 0),
            mandatory: true,
        };
        let voluntary = Session { mandatory: false, ..monday_apel.clone() };
        let tz = wita();
        let two = Percent::whole(2);
        let after = at(9, 0);
        #[rustfmt::skip]
        let cases: Vec<Case> = vec![
            ("unit not required", &monday_apel, false, true, Attendance::Nothing, None, after, SessionOutcome::NotConcerned),
            ("not employed yet", &monday_apel, true, false, Attendance::Nothing, None, after, SessionOutcome::NotConcerned),
            ("checked in at the start", &monday_apel, true, true, Attendance::CheckedIn(at(7, 30)), None, after, SessionOutcome::Attended),
            ("checked in at the end", &monday_apel, true, true, Attendance::CheckedIn(at(8, 0)), None, after, SessionOutcome::Attended),
            ("checked in too early", &monday_apel, true, true, Attendance::CheckedIn(at(7, 29)), None, after, SessionOutcome::Missed { deduction: two }),
            ("checked in too late", &monday_apel, true, true, Attendance::CheckedIn(at(8, 1)), None, after, SessionOutcome::Missed { deduction: two }),
            ("marked by the head", &monday_apel, true, true, Attendance::MarkedByHead, None, after, SessionOutcome::Attended),
            ("excused by leave", &monday_apel, true, true, Attendance::Nothing, Some(42), after, SessionOutcome::Excused { request_id: 42 }),
            ("attended beats excused", &monday_apel, true, true, Attendance::MarkedByHead, Some(42), after, SessionOutcome::Attended),
            ("still open", &monday_apel, true, true, Attendance::Nothing, None, at(7, 45), SessionOutcome::Open),
            ("open until the end minute", &monday_apel, true, true, Attendance::Nothing, None, at(8, 0), SessionOutcome::Open),
            ("missed, mandatory", &monday_apel, true, true, Attendance::Nothing, None, after, SessionOutcome::Missed { deduction: two }),
            ("missed, voluntary", &voluntary, true, true, Attendance::Nothing, None, after, SessionOutcome::Missed { deduction: Percent::ZERO }),
        ];
        for (what, s, required, employed, attendance, excused_by, now, want) in cases {
            let input = SessionInput { session: s, tz: &tz, required, employed, attendance, excused_by, now };
            assert_eq!(session_outcome(&input, two), want, "{what}");
        }
    }

    #[test]
    fn deductions_explanations_and_counts() {
        let s = Session {
            kind: SessionKind::Upacara,
            name: "17 Desember".into(),
            date: date(2026, 12, 17),
            start: time(7, 0, 0, 0),
            end: time(8, 30, 0, 0),
            mandatory: true,
        };
        let missed = SessionOutcome::Missed { deduction: DEFAULT_APEL_DEDUCTION };
        assert_eq!(missed.deduction(), Percent::whole(2));
        assert_eq!(SessionOutcome::Attended.deduction(), Percent::ZERO);
        assert_eq!(explain(&s, &missed), "Upacara 17 Desember 07:00–08:30: tidak hadir (wajib), potongan 2%");
        assert_eq!(
            explain(&s, &SessionOutcome::Excused { request_id: 9 }),
            "Upacara 17 Desember 07:00–08:30: tidak hadir, dimaafkan (permohonan #9)"
        );
        let all = [
            SessionOutcome::Attended,
            missed,
            SessionOutcome::Open,
            SessionOutcome::Attended,
            SessionOutcome::NotConcerned,
        ];
        assert_eq!(counts(&all), (2, 1));
    }

    #[test]
    fn a_day_gets_the_deduction_capped_the_sentence_and_round_trips() {
        use crate::{Calendar, DayInput, RuleSet, evaluate_day};
        let tz = wita();
        let d = date(2026, 12, 7);
        let cal = Calendar::perpres_21_2023();
        let sched = cal.resolve(d, &[]).unwrap();
        let rules = RuleSet::default();
        let mut rec = evaluate_day(&DayInput::new(d, &tz, &sched, &rules, at(23, 0)));
        let plain = serde_json::to_value(&rec).unwrap();
        assert!(plain.get("sessions").is_none(), "a day without sessions serialises as before");
        let before = rec.deduction;
        let s = Session {
            kind: SessionKind::Apel,
            name: "Senin".into(),
            date: d,
            start: time(7, 30, 0, 0),
            end: time(8, 0, 0, 0),
            mandatory: true,
        };
        let missed = SessionResult::new(1, &s, SessionOutcome::Missed { deduction: Percent::whole(2) }, None);
        let nobody = SessionResult::new(2, &s, SessionOutcome::NotConcerned, None);
        apply_to_day(&mut rec, vec![missed, nobody], Percent::HUNDRED);
        assert_eq!(rec.deduction, before.saturating_add(Percent::whole(2)));
        assert_eq!(rec.sessions.len(), 1, "not concerned is left out");
        assert!(
            rec.explanation.ends_with("Apel Senin 07:30–08:00: tidak hadir (wajib), potongan 2%."),
            "{}",
            rec.explanation
        );
        let back: crate::DayRecord = serde_json::from_value(serde_json::to_value(&rec).unwrap()).unwrap();
        assert_eq!(back, rec);
        // The cap holds.
        let mut capped = evaluate_day(&DayInput::new(d, &tz, &sched, &rules, at(23, 0)));
        let again = SessionResult::new(1, &s, SessionOutcome::Missed { deduction: Percent::whole(2) }, None);
        apply_to_day(&mut capped, vec![again], before);
        assert_eq!(capped.deduction, before);
    }
}
