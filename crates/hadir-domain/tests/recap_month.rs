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
    monthly_recap(&RecapInput { records, rules, category, tpp_base: Some(5_000_000), grade: None }).unwrap()
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
        grade: None,
    })
    .unwrap_err();
    assert_eq!(e.code(), "recap_no_rule_set");
}

fn recap_graded(records: &[DayRecord], rules: &[RuleSet], grade: Option<i16>) -> MonthlyRecap {
    let input = RecapInput { records, rules, category: EmployeeCategory::Pns, tpp_base: Some(5_000_000), grade };
    monthly_recap(&input).unwrap()
}

/// Issue 19, Perbup option: late and early minutes pooled (12 + 45 + 20 + 95 + 100 = 272
/// minutes), each full block costing a TK day (3%) instead of the TL/PSW brackets (5% of the
/// 11%); missing punches (TL4, PSW4) and TK stay.
#[test]
fn cumulative_minutes_replace_the_brackets() {
    let (fx, records) = month();
    // (minutes per block, deduction in hundredths, blocks)
    for (block, total, blocks) in [(450, 600, 0), (272, 900, 1), (200, 900, 1), (136, 1200, 2), (100, 1200, 2)] {
        let rules = RuleSet { cumulative_minutes: Some(block), ..fx.rules.clone() };
        let r = recap(&records, &[rules], EmployeeCategory::Pns);
        assert_eq!(r.deduction_computed, pct(total), "block {block}");
        assert_eq!(r.deduction_applied, pct(total), "block {block}");
        let note = r.notes.iter().find(|n| n.starts_with("Menit kumulatif")).unwrap();
        assert!(note.contains(&format!("272 menit sebulan = {blocks} × {block} menit")), "{note}");
        assert!(note.contains("(5%)"), "{note}");
    }
    // The codes are still counted; only their cost changes.
    let rules = RuleSet { cumulative_minutes: Some(450), ..fx.rules.clone() };
    assert_eq!(recap(&records, &[rules], EmployeeCategory::Pns).code_counts["TL4"], 2);
}

/// Perbup option: the nth late arrival of the month costs the step's percent (the 4th, 5th and
/// 14th are late; the 13th's missing check-in is not a late arrival).
#[test]
fn escalation_by_count() {
    let (fx, records) = month();
    let step = |from_count, h| EscalationStep { from_count, percent: pct(h) };
    // (steps, deduction in hundredths, charged for lateness)
    let table: &[(Vec<EscalationStep>, u32, &str)] = &[
        (vec![step(1, 50), step(3, 100), step(4, 200)], 1000, "→ 2%"),
        (vec![step(1, 100), step(2, 200), step(3, 300)], 1400, "→ 6%"),
        (vec![step(1, 0)], 800, "→ 0%"),
        (vec![], 1100, ""),
    ];
    for (steps, total, charged) in table {
        let rules = RuleSet { late_escalation: steps.clone(), ..fx.rules.clone() };
        let r = recap(&records, &[rules], EmployeeCategory::Pns);
        assert_eq!(r.deduction_computed, pct(*total), "{steps:?}");
        let note = r.notes.iter().find(|n| n.starts_with("Keterlambatan bertingkat"));
        match note {
            Some(n) => assert!(n.contains("3 kali terlambat") && n.contains(charged) && n.contains("(3%)"), "{n}"),
            None => assert!(steps.is_empty()),
        }
    }
}

/// Perbup option: the month's sum scaled by kelas jabatan, before the cap.
#[test]
fn position_class_scale() {
    let (fx, records) = month();
    let range = |grade_from, grade_to, h| GradeScale { grade_from, grade_to, percent: pct(h) };
    let rules = RuleSet {
        grade_scale: vec![range(1, 6, 5000), range(7, 12, 10000), range(13, 17, 15000)],
        monthly_cap: pct(1500),
        ..fx.rules.clone()
    };
    // (grade, computed, rupiah at 40% of Rp 5.000.000, note)
    let table = [
        (Some(5), 550, 110_000, true),
        (Some(9), 1100, 220_000, true),
        (Some(15), 1500, 300_000, true), // 16.5% capped at 15%
        (None, 1100, 220_000, false),
    ];
    for (grade, h, rp, note) in table {
        let r = recap_graded(&records, std::slice::from_ref(&rules), grade);
        assert_eq!((r.deduction_computed, r.rupiah_applied), (pct(h), Some(rp)), "{grade:?}");
        assert_eq!(r.notes.iter().any(|n| n.starts_with("Kelas jabatan")), note, "{grade:?}");
    }
    let r = recap_graded(&records, std::slice::from_ref(&rules), Some(15));
    assert!(r.capped);
    assert!(r.notes.iter().any(|n| n == "Kelas jabatan 15 (Perbup): potongan × 150% (11% → 16,5%)."), "{:?}", r.notes);
}

#[test]
fn perbup_options_are_validated() {
    let ok = RuleSet::default();
    let step = |from_count, h| EscalationStep { from_count, percent: pct(h) };
    let range = |grade_from, grade_to, h| GradeScale { grade_from, grade_to, percent: pct(h) };
    let cases: Vec<(RuleSet, Option<&str>)> = vec![
        (RuleSet { cumulative_minutes: Some(450), ..ok.clone() }, None),
        (RuleSet { cumulative_minutes: Some(0), ..ok.clone() }, Some("rules_cumulative_minutes")),
        (RuleSet { late_escalation: vec![step(1, 50), step(4, 100)], ..ok.clone() }, None),
        (RuleSet { late_escalation: vec![step(2, 50)], ..ok.clone() }, Some("rules_escalation")),
        (RuleSet { late_escalation: vec![step(1, 50), step(1, 100)], ..ok.clone() }, Some("rules_escalation")),
        (RuleSet { grade_scale: vec![range(1, 6, 8000), range(7, 17, 10000)], ..ok.clone() }, None),
        (
            RuleSet { grade_scale: vec![range(1, 8, 8000), range(7, 17, 10000)], ..ok.clone() },
            Some("rules_grade_scale"),
        ),
        (RuleSet { grade_scale: vec![range(0, 6, 8000)], ..ok.clone() }, Some("rules_grade_scale")),
        (RuleSet { grade_scale: vec![range(1, 6, 30000)], ..ok.clone() }, Some("rules_grade_scale")),
    ];
    for (i, (rules, want)) in cases.iter().enumerate() {
        assert_eq!(rules.validate().err().map(|e| e.code()), *want, "case {i}");
    }
    // Rule sets without options keep their JSON.
    let json = serde_json::to_value(&ok).unwrap();
    assert!(json.get("cumulative_minutes").is_none() && json.get("grade_scale").is_none());
}
