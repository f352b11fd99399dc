//! Property tests: determinism, stray punches, and the cap.

mod common;

use common::Fx;
use hadir_domain::*;
use jiff::civil::{Date, date};
use proptest::prelude::*;

fn calendar(i: u8) -> Calendar {
    match i % 4 {
        0 => Calendar::perpres_21_2023(),
        1 => Calendar::three_punch(),
        2 => Calendar::school_six_day(),
        _ => {
            let mut c = Calendar::perpres_21_2023();
            c.overrides.push(ScheduleOverride::ramadan("Ramadan", date(2025, 11, 1), date(2025, 11, 30)));
            c
        }
    }
}

fn zone(i: u8) -> &'static str {
    ["Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura"][usize::from(i % 3)]
}

/// A rule set with arbitrary (valid) percentages and cap.
fn rules_strategy() -> impl Strategy<Value = RuleSet> {
    (prop::array::uniform4(0u32..=5000), prop::array::uniform4(0u32..=5000), 0u32..=5000, 0u32..=10, 1u32..=10_000)
        .prop_map(|(late, early, tk, grace, cap)| {
            let mut r = RuleSet::default();
            for (b, h) in r.late.iter_mut().zip(late) {
                b.percent = Percent::from_hundredths(h);
            }
            for (b, h) in r.early_leave.iter_mut().zip(early) {
                b.percent = Percent::from_hundredths(h);
            }
            r.missing_check_in.percent = Percent::from_hundredths(late[3]);
            r.missing_check_out.percent = Percent::from_hundredths(early[3]);
            r.missing_presence.percent = Percent::from_hundredths(late[0]);
            r.tk_per_day = Percent::from_hundredths(tk);
            r.grace_minutes = grace;
            r.monthly_cap = Percent::from_hundredths(cap);
            r
        })
}

#[derive(Debug, Clone)]
struct Case {
    cal: u8,
    zone: u8,
    day: i8,
    minutes: Vec<u16>,
    now_minute: Option<u16>,
    rules: RuleSet,
}

fn case_strategy() -> impl Strategy<Value = Case> {
    (
        any::<u8>(),
        any::<u8>(),
        1i8..=30,
        prop::collection::vec(0u16..1440, 0..7),
        prop::option::of(0u16..1440),
        rules_strategy(),
    )
        .prop_map(|(cal, zone, day, minutes, now_minute, rules)| Case {
            cal,
            zone,
            day,
            minutes,
            now_minute,
            rules,
        })
}

impl Case {
    fn date(&self) -> Date {
        date(2025, 11, self.day)
    }

    fn fixture(&self) -> Fx {
        let mut fx = Fx::new(zone(self.zone));
        fx.calendar = calendar(self.cal);
        fx.rules = self.rules.clone();
        let d = self.date();
        let times: Vec<String> = self.minutes.iter().map(|m| format!("{:02}:{:02}", m / 60, m % 60)).collect();
        let refs: Vec<&str> = times.iter().map(String::as_str).collect();
        fx.punch(d, &refs);
        if let Some(n) = self.now_minute {
            fx.now = fx.at(d, &format!("{:02}:{:02}", n / 60, n % 60));
        }
        fx
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn evaluating_twice_gives_the_same_record(case in case_strategy()) {
        let fx = case.fixture();
        let a = fx.eval(case.date());
        let b = fx.eval(case.date());
        prop_assert_eq!(&a, &b);
        // And the JSON round trip is lossless (stored records recompute identically).
        let back: DayRecord = serde_json::from_str(&serde_json::to_string(&a).unwrap()).unwrap();
        prop_assert_eq!(a, back);
    }

    #[test]
    fn a_stray_punch_outside_every_window_changes_no_matched_checkpoint(
        case in case_strategy(),
        stray in 0u16..1440,
    ) {
        let fx = case.fixture();
        let d = case.date();
        let schedule = fx.calendar.resolve(d, &[]).unwrap();
        let in_window = schedule.day.as_ref().is_some_and(|s| {
            s.checkpoints.iter().any(|c| c.window_contains(i64::from(stray)))
        });
        prop_assume!(!in_window);
        let before = fx.eval(d);
        let mut with = case.fixture();
        with.punch(d, &[&format!("{:02}:{:02}", stray / 60, stray % 60)]);
        let after = with.eval(d);
        if before.status == DayStatus::Tk {
            // The only change it may make: a TK day becomes a present day (issue 19).
            prop_assert_eq!(after.status, DayStatus::Hadir);
        } else {
            prop_assert_eq!(before.status, after.status);
            prop_assert_eq!(before.deduction, after.deduction);
            prop_assert_eq!(before.checkpoints, after.checkpoints);
        }
    }

    #[test]
    fn a_closed_day_with_any_punch_is_never_tk(case in case_strategy(), extra in 0u16..1440) {
        let mut fx = case.fixture();
        let d = case.date();
        fx.punch(d, &[&format!("{:02}:{:02}", extra / 60, extra % 60)]);
        let r = fx.eval(d);
        prop_assert_ne!(r.status, DayStatus::Tk);
        if r.status == DayStatus::Hadir && r.closed {
            // Every checkpoint without a punch carries its missing code (or is excused).
            for c in r.checkpoints.iter().filter(|c| c.punch.is_none()) {
                prop_assert!(c.code.is_some(), "{:?}", c);
            }
        }
    }

    #[test]
    fn daily_deduction_never_exceeds_the_cap(case in case_strategy()) {
        let r = case.fixture().eval(case.date());
        prop_assert!(r.deduction <= case.rules.monthly_cap);
    }

    #[test]
    fn monthly_deduction_never_exceeds_the_cap(
        rules in rules_strategy(),
        days in prop::collection::vec(prop::collection::vec(0u16..1440, 0..5), 30),
        trial in any::<bool>(),
        base in prop::option::of(0i64..50_000_000),
    ) {
        let mut fx = Fx::wib();
        fx.rules = RuleSet { trial_mode: trial, ..rules };
        for (i, minutes) in days.iter().enumerate() {
            let d = date(2025, 11, i as i8 + 1);
            let times: Vec<String> =
                minutes.iter().map(|m| format!("{:02}:{:02}", m / 60, m % 60)).collect();
            let refs: Vec<&str> = times.iter().map(String::as_str).collect();
            fx.punch(d, &refs);
        }
        let records: Vec<DayRecord> =
            (1..=30).map(|day| fx.eval(date(2025, 11, day))).collect();
        let rules = [fx.rules.clone()];
        let recap = monthly_recap(&RecapInput {
            records: &records,
            rules: &rules,
            category: EmployeeCategory::Pns,
            tpp_base: base,
            grade: None,
        })
        .unwrap();
        prop_assert!(recap.deduction_computed <= fx.rules.monthly_cap);
        prop_assert!(recap.deduction_applied <= recap.deduction_computed);
        if trial {
            prop_assert_eq!(recap.deduction_applied, Percent::ZERO);
        }
        if let (Some(b), Some(rp)) = (base, recap.rupiah_applied) {
            prop_assert!(rp <= b);
        }
        prop_assert_eq!(recap.working_days, 20);
    }

    #[test]
    fn weekly_hours_are_refused_exactly_below_the_minimum_of_their_kind(
        ends in prop::collection::vec(prop::option::of(600u16..1080), 7),
        kind in prop::sample::select(vec![PeriodKind::Regular, PeriodKind::Ramadan, PeriodKind::Roster]),
        extra in 1u16..120,
    ) {
        // Each working day: check-in due 07:30, check-out due at `end` minutes, 60-minute break.
        let day = |end: u16| DaySchedule::two_punch(
            DayTime::hm(7, 30),
            (DayTime::hm(6, 0), DayTime::hm(10, 0)),
            DayTime::from_minutes(end).unwrap(),
            (DayTime::hm(9, 0), DayTime::hm(20, 0)),
            60,
        );
        let mut w = WeeklyPattern::default();
        let slots = [&mut w.monday, &mut w.tuesday, &mut w.wednesday, &mut w.thursday, &mut w.friday, &mut w.saturday, &mut w.sunday];
        for (slot, end) in slots.into_iter().zip(&ends) {
            *slot = end.map(day);
        }
        let cal = Calendar { kind, ..Calendar::with_weekly("Uji", w.clone()) };
        let refused = cal.check_weekly_hours().is_err();
        let expected = kind.weekly_minimum().is_some_and(|m| w.weekly_minutes() < m);
        prop_assert_eq!(refused, expected);
        // Working longer never turns an accepted calendar into a refused one.
        if !refused {
            let mut longer = cal.clone();
            if let Some(d) = longer.weekly.monday.as_mut() {
                d.checkpoints[1].due = d.checkpoints[1].due.shifted(i32::from(extra));
            } else {
                longer.weekly.monday = Some(day(1000));
            }
            prop_assert!(longer.check_weekly_hours().is_ok());
        }
    }

    #[test]
    fn perbup_options_keep_the_cap_and_a_neutral_scale_changes_nothing(
        rules in rules_strategy(),
        days in prop::collection::vec(prop::collection::vec(0u16..1440, 0..4), 30),
        block in prop::option::of(1u32..1000),
        steps in prop::collection::vec(0u32..=5000, 0..4),
        grade in prop::option::of(1i16..=17),
        scale in 0u32..=20_000,
    ) {
        let mut fx = Fx::wib();
        fx.rules = rules;
        for (i, minutes) in days.iter().enumerate() {
            let times: Vec<String> = minutes.iter().map(|m| format!("{:02}:{:02}", m / 60, m % 60)).collect();
            let refs: Vec<&str> = times.iter().map(String::as_str).collect();
            fx.punch(date(2025, 11, i as i8 + 1), &refs);
        }
        let records: Vec<DayRecord> = (1..=30).map(|day| fx.eval(date(2025, 11, day))).collect();
        let input = |rules: &[RuleSet], grade| {
            monthly_recap(&RecapInput { records: &records, rules, category: EmployeeCategory::Pns, tpp_base: Some(4_000_000), grade })
                .unwrap()
        };
        let with = RuleSet {
            cumulative_minutes: block,
            late_escalation: steps
                .iter()
                .enumerate()
                .map(|(i, h)| EscalationStep { from_count: 1 + 2 * i as u32, percent: Percent::from_hundredths(*h) })
                .collect(),
            grade_scale: vec![GradeScale { grade_from: 1, grade_to: 17, percent: Percent::from_hundredths(scale) }],
            ..fx.rules.clone()
        };
        let r = input(std::slice::from_ref(&with), grade);
        prop_assert!(r.deduction_computed <= with.monthly_cap);
        prop_assert!(r.deduction_applied <= r.deduction_computed);
        // A 100% scale is no scale.
        let neutral = RuleSet {
            grade_scale: vec![GradeScale { grade_from: 1, grade_to: 17, percent: Percent::HUNDRED }],
            ..fx.rules.clone()
        };
        let plain = input(std::slice::from_ref(&fx.rules), grade);
        let scaled = input(std::slice::from_ref(&neutral), grade);
        prop_assert_eq!(plain.deduction_computed, scaled.deduction_computed);
        prop_assert_eq!(plain.rupiah_applied, scaled.rupiah_applied);
    }
}
