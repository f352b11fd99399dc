//! A hand-worked month: November 2025, Perpres calendar (20 working days, no holidays),
//! default rules, TPP Rp 5.000.000, attendance share 40%.
//!
//! | date | what                                   | code(s)     | deduction |
//! |------|----------------------------------------|-------------|-----------|
//! | 3    | 07:30–16:00                            | —           | 0         |
//! | 4    | 07:42–16:00 (12 late)                  | TL1         | 0.5       |
//! | 5    | 08:15–16:00 (45 late)                  | TL2         | 1.0       |
//! | 6    | 07:30–15:40 (20 early)                 | PSW1        | 0.5       |
//! | 7 F  | 07:30 only                             | PSW4        | 1.5       |
//! | 10   | nothing                                | TK          | 3.0       |
//! | 11   | cuti tahunan                           | —           | 0         |
//! | 12   | dinas luar                             | —           | 0         |
//! | 13   | 16:05 only                             | TL4         | 1.5       |
//! | 14 F | 09:05–14:50 (95 late, 100 early)       | TL4, PSW4   | 3.0       |
//! | rest | on time (10 days)                      | —           | 0         |
//! Total 11%; Rp 5.000.000 × 40% × 11% = Rp 220.000.
//!
//! Minutes required: 19 days (17 HADIR + TK + DL) × 450 = 8550. Present: 450 + 438 + 405 +
//! 430 + 0 + 450 (DL) + 0 + 255 + 10 × 450 = 6928.

mod common;

use common::{Fx, pct};
use hadir_domain::*;
use jiff::civil::date;

fn month() -> (Fx, Vec<DayRecord>) {
    let mut fx = Fx::wib();
    let d = |day| date(2025, 11, day);
    fx.punch(d(3), &["07:30", "16:00"]);
    fx.punch(d(4), &["07:42", "16:00"]);
    fx.punch(d(5), &["08:15", "16:00"]);
    fx.punch(d(6), &["07:30", "15:40"]);
    fx.punch(d(7), &["07:30"]);
    fx.punch(d(13), &["16:05"]);
    fx.punch(d(14), &["09:05", "14:50"]);
    for day in [17, 18, 19, 20, 24, 25, 26, 27] {
        fx.punch(d(day), &["07:30", "16:00"]);
    }
    for day in [21, 28] {
        fx.punch(d(day), &["07:30", "16:30"]);
    }
    for (id, kind, day) in [(1, AbsenceKind::CutiTahunan, 11), (2, AbsenceKind::Dl, 12)] {
        fx.absences.push(ApprovedAbsence {
            request_id: id,
            kind,
            date_from: d(day),
            date_to: d(day),
            checkpoints: vec![],
        });
    }
    let records = (1..=30).map(|day| fx.eval(d(day))).collect();
    (fx, records)
}

fn recap(records: &[DayRecord], rules: &[RuleSet], category: EmployeeCategory) -> MonthlyRecap {
    monthly_recap(&RecapInput { records, rules, category, tpp_base: Some(5_000_000) }).unwrap()
}

#[test]
fn hand_worked_month() {
    let (fx, records) = month();
    let r = recap(&records, std::slice::from_ref(&fx.rules), EmployeeCategory::Pns);
    assert_eq!(r.days, 30);
    assert_eq!(r.working_days, 20);
    assert_eq!(r.days_libur, 10);
    assert_eq!(r.days_present, 17);
    assert_eq!(r.days_tk, 1);
    assert_eq!(r.days_duty, 1);
    assert_eq!(r.absence_days.get(&DayStatus::CutiTahunan), Some(&1));
    assert_eq!(r.absence_days.get(&DayStatus::Dl), Some(&1));
    let counts: Vec<(&str, u32)> = r.code_counts.iter().map(|(k, v)| (k.as_str(), *v)).collect();
    assert_eq!(
        counts,
        [("PSW1", 1), ("PSW2", 0), ("PSW3", 0), ("PSW4", 2), ("TL1", 1), ("TL2", 1), ("TL3", 0), ("TL4", 2),]
    );
    assert_eq!(r.minutes_required, 8550);
    assert_eq!(r.minutes_present, 6928);
    assert_eq!(r.deduction_uncapped, pct(1100));
    assert_eq!(r.deduction_computed, pct(1100));
    assert_eq!(r.deduction_applied, pct(1100));
    assert!(!r.capped);
    assert_eq!(r.rupiah_computed, Some(220_000));
    assert_eq!(r.rupiah_applied, Some(220_000));
    assert_eq!(longest_tk_run(&records), 1);

    let v = serde_json::to_value(&r).unwrap();
    assert_eq!(v["deduction_applied"], 11.0);
    assert_eq!(v["absence_days"]["CUTI_TAHUNAN"], 1);
    assert_eq!(v["code_counts"]["TL4"], 2);
}

#[test]
fn cap_trial_mode_and_category() {
    let (fx, records) = month();

    let capped = RuleSet { monthly_cap: pct(500), ..fx.rules.clone() };
    let r = recap(&records, &[capped], EmployeeCategory::Pns);
    assert!(r.capped);
    assert_eq!(r.deduction_computed, pct(500));
    assert_eq!(r.rupiah_applied, Some(100_000));
    assert_eq!(r.notes[0], "Jumlah potongan 11% dibatasi 5% per bulan.");

    let trial = RuleSet { trial_mode: true, ..fx.rules.clone() };
    let r = recap(&records, &[trial], EmployeeCategory::Pns);
    assert!(r.trial_mode);
    assert_eq!(r.deduction_computed, pct(1100));
    assert_eq!(r.deduction_applied, Percent::ZERO);
    assert_eq!(r.rupiah_computed, Some(220_000));
    assert_eq!(r.rupiah_applied, Some(0));

    let pns_only = RuleSet { categories: vec![EmployeeCategory::Pns], ..fx.rules.clone() };
    let r = recap(&records, &[pns_only], EmployeeCategory::Honorer);
    assert!(!r.category_covered);
    assert_eq!(r.deduction_applied, Percent::ZERO);
    assert_eq!(r.deduction_computed, pct(1100));
}

#[test]
fn trial_month_ending_mid_month_applies_only_later_days() {
    let (fx, records) = month();
    let trial = RuleSet { trial_mode: true, ..fx.rules.clone() };
    let live = RuleSet { name: "Berlaku penuh".into(), effective_from: date(2025, 11, 14), ..fx.rules.clone() };
    let r = recap(&records, &[trial, live], EmployeeCategory::Pns);
    assert_eq!(r.rule_set, "Berlaku penuh");
    assert_eq!(r.deduction_computed, pct(1100));
    assert_eq!(r.deduction_applied, pct(300)); // only 14 November
    assert_eq!(r.rupiah_applied, Some(60_000));
}

#[test]
fn no_rule_set_is_an_error() {
    let (_, records) = month();
    let late = RuleSet { effective_from: date(2026, 1, 1), ..RuleSet::default() };
    let e = monthly_recap(&RecapInput {
        records: &records,
        rules: &[late],
        category: EmployeeCategory::Pns,
        tpp_base: None,
    })
    .unwrap_err();
    assert_eq!(e.code(), "recap_no_rule_set");
}
