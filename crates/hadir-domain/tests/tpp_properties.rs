//! Properties of the TPP formula (issue 22) over random months: the explanation's lines add up
//! to the amount, nothing is paid beyond the pro-rated base or the cap, a better score never
//! pays less, a sanction never pays more.

use hadir_domain::Percent;
use hadir_domain::tpp::{ScoreStep, TppInput, TppPolicy, TppSanction, tpp_amount};
use jiff::civil::date;
use proptest::prelude::*;

fn policy(att: u32, cap: Option<i64>, trial: bool) -> TppPolicy {
    TppPolicy {
        effective_from: date(2026, 1, 1),
        attendance_weight: Percent::whole(att),
        performance_weight: Percent::whole(100 - att),
        steps: vec![
            ScoreStep { min_score: 8500, percent: Percent::whole(100) },
            ScoreStep { min_score: 7000, percent: Percent::whole(80) },
            ScoreStep { min_score: 5000, percent: Percent::whole(50) },
        ],
        cap,
        trial_mode: trial,
    }
}

proptest! {
    #[test]
    fn amounts_hold_together(
        base in 0i64..50_000_000,
        att in 0u32..=100,
        days in 0u32..=31,
        deduction in 0u32..=12_000,
        score in proptest::option::of(0u32..=10_000),
        sanctioned in any::<bool>(),
        cap in proptest::option::of(0i64..60_000_000),
        trial in any::<bool>(),
        month in 1i8..=12,
    ) {
        let m = date(2026, month, 1);
        let s = [TppSanction { from: date(2026, 1, 1), to: date(2026, 12, 31), cut: Percent::whole(25), label: "sanksi".into() }];
        let sanctions: &[TppSanction] = if sanctioned { &s } else { &[] };
        let p = policy(att, cap, trial);
        let i = TppInput { month: m, base, part_days: days, month_days: u32::from(m.days_in_month().unsigned_abs()), attendance_deduction: Percent::from_hundredths(deduction), score, sanctions };
        let a = tpp_amount(&p, &i);
        let part = days < u32::from(m.days_in_month().unsigned_abs());
        let sum: i64 = a.lines[usize::from(part)..].iter().map(|l| l.rupiah).sum();
        prop_assert_eq!(sum, a.amount, "{:?}", a.lines);
        prop_assert!(a.amount >= 0);
        prop_assert!(a.amount <= a.base_month, "{} > {}", a.amount, a.base_month);
        if let Some(c) = cap { prop_assert!(a.amount <= c); }
        prop_assert!(a.base_month <= base);
        // A better score never pays less; a sanction never pays more.
        let better = tpp_amount(&p, &TppInput { score: Some(10_000), ..i.clone() });
        prop_assert!(better.amount >= a.amount);
        let free = tpp_amount(&p, &TppInput { sanctions: &[], ..i.clone() });
        prop_assert!(free.amount >= a.amount);
    }
}
