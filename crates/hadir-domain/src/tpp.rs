//! The whole TPP (tambahan penghasilan pegawai, issue 22): one month's amount of one employee
//! from the base, the attendance share (less the month's attendance deduction, as the recap
//! computes it), the performance share (from the month's score by a step table), pro-rating
//! for a part month, the PP 94/2021 allowance cut while a sanction runs, trial mode and a cap.
//!
//! ```text
//! base_month   = base × part days / month days                         (pro-rating)
//! attendance   = base_month × attendance weight × (100 % − deduction)
//! performance  = base_month × performance weight × step(score)
//! computed     = (attendance + performance) × (100 % − sanction cut)
//! amount       = min(computed, cap)            — trial mode pays min(base_month, cap)
//! ```
//! Each product is rounded half up to the rupiah once, at the end of its line, so the lines
//! of the explanation add up to the amount exactly.

use crate::Percent;
use jiff::civil::Date;

/// One step of the performance table: a score of at least `min_score` (hundredths of a point,
/// 8500 = 85.00) earns `percent` of the performance share.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ScoreStep {
    pub min_score: u32,
    pub percent: Percent,
}

/// How TPP is paid in a regency (a Perbup), in force from a date.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct TppPolicy {
    pub effective_from: Date,
    pub attendance_weight: Percent,
    pub performance_weight: Percent,
    /// Any order; the highest step whose `min_score` the score reaches applies; below every
    /// step: 0 %.
    pub steps: Vec<ScoreStep>,
    /// Most paid to one employee in a month, in rupiah.
    pub cap: Option<i64>,
    /// Computed but not applied: the full (pro-rated) base is paid.
    pub trial_mode: bool,
}

/// A PP 94/2021 sanction that cuts the allowance (e.g. 25 % for 6, 9 or 12 months), from its
/// first to its last day, inclusive.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct TppSanction {
    pub from: Date,
    pub to: Date,
    pub cut: Percent,
    /// In words: "Pemotongan tunjangan 25 % selama 6 bulan (PP 94/2021), SK …".
    pub label: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TppInput<'a> {
    /// The first day of the month.
    pub month: Date,
    pub base: i64,
    /// Pro-rating for a part month: the (working) days counted, of `month_days`; `part_days >=
    /// month_days` is a whole month.
    pub part_days: u32,
    pub month_days: u32,
    /// The month's applied attendance deduction (the recap's `deduction_applied`).
    pub attendance_deduction: Percent,
    /// The month's performance score in hundredths (8650 = 86.50); `None`: no score yet.
    pub score: Option<u32>,
    pub sanctions: &'a [TppSanction],
}

/// One line of the explanation: words and the rupiah it contributes.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct TppLine {
    pub label: String,
    pub rupiah: i64,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct TppAmount {
    pub base: i64,
    pub base_month: i64,
    pub attendance_share: i64,
    pub performance_percent: Percent,
    pub performance_share: i64,
    pub sanction_cut: Percent,
    pub sanction_rupiah: i64,
    /// What the formula gives, before the cap and trial mode.
    pub computed: i64,
    pub capped: bool,
    pub trial_mode: bool,
    /// What is paid.
    pub amount: i64,
    pub lines: Vec<TppLine>,
    /// One sentence: base × shares × factors = amount.
    pub explanation: String,
}

/// `value × num / den`, rounded half up (non-negative inputs).
fn mul_div(value: i64, num: i128, den: i128) -> i64 {
    let n = i128::from(value.max(0)) * num;
    ((n + den / 2) / den) as i64
}

fn pct(p: Percent) -> String {
    let h = p.hundredths();
    if h.is_multiple_of(100) { format!("{} %", h / 100) } else { format!("{},{:02} %", h / 100, h % 100) }
}

/// `Rp 4.250.000`.
pub fn rupiah(v: i64) -> String {
    let digits = v.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('.');
        }
        out.push(c);
    }
    format!("{}Rp {out}", if v < 0 { "−" } else { "" })
}

/// The step table's percent for a score.
pub fn step_percent(steps: &[ScoreStep], score: u32) -> Percent {
    steps.iter().filter(|s| score >= s.min_score).max_by_key(|s| s.min_score).map_or(Percent::ZERO, |s| s.percent)
}

/// The largest cut of the sanctions that run on any day of the month.
pub fn sanction_in_month(sanctions: &[TppSanction], month: Date) -> Option<&TppSanction> {
    let first = month.first_of_month();
    let last = month.last_of_month();
    sanctions.iter().filter(|s| s.from <= last && s.to >= first).max_by_key(|s| s.cut)
}

pub fn tpp_amount(policy: &TppPolicy, input: &TppInput<'_>) -> TppAmount {
    let days_in_month = input.month_days.max(1);
    let days = input.part_days.min(days_in_month);
    let base = input.base.max(0);
    let base_month = mul_div(base, i128::from(days), i128::from(days_in_month));
    let kept = Percent::HUNDRED.hundredths().saturating_sub(input.attendance_deduction.hundredths());
    let attendance_share =
        mul_div(base_month, i128::from(policy.attendance_weight.hundredths()) * i128::from(kept), 100_000_000);
    let performance_percent = input.score.map_or(Percent::ZERO, |s| step_percent(&policy.steps, s));
    let performance_share = mul_div(
        base_month,
        i128::from(policy.performance_weight.hundredths()) * i128::from(performance_percent.hundredths()),
        100_000_000,
    );
    let subtotal = attendance_share + performance_share;
    let sanction = sanction_in_month(input.sanctions, input.month);
    let sanction_cut = sanction.map_or(Percent::ZERO, |s| s.cut);
    let sanction_rupiah = mul_div(subtotal, i128::from(sanction_cut.hundredths()), 10_000);
    let computed = subtotal - sanction_rupiah;
    let due = if policy.trial_mode { base_month } else { computed };
    let (amount, capped) = match policy.cap {
        Some(c) if due > c => (c.max(0), true),
        _ => (due, false),
    };

    let mut lines = Vec::new();
    if days < days_in_month {
        lines.push(TppLine {
            label: format!("Dasar TPP {} × {days}/{days_in_month} hari kerja", rupiah(base)),
            rupiah: base_month,
        });
    }
    lines.push(TppLine {
        label: format!(
            "Bagian kehadiran {} × {} × (100 % − potongan {})",
            rupiah(base_month),
            pct(policy.attendance_weight),
            pct(input.attendance_deduction)
        ),
        rupiah: attendance_share,
    });
    lines.push(TppLine {
        label: match input.score {
            Some(s) => format!(
                "Bagian kinerja {} × {} × {} (nilai {},{:02})",
                rupiah(base_month),
                pct(policy.performance_weight),
                pct(performance_percent),
                s / 100,
                s % 100
            ),
            None => format!(
                "Bagian kinerja {} × {} × 0 % (nilai kinerja belum ada)",
                rupiah(base_month),
                pct(policy.performance_weight)
            ),
        },
        rupiah: performance_share,
    });
    if let Some(s) = sanction {
        lines.push(TppLine { label: format!("Potongan {} karena {}", pct(s.cut), s.label), rupiah: -sanction_rupiah });
    }
    let mut explanation = format!(
        "{} × ({} × {} + {} × {})",
        rupiah(base_month),
        pct(policy.attendance_weight),
        pct(Percent::from_hundredths(kept)),
        pct(policy.performance_weight),
        pct(performance_percent)
    );
    if sanction.is_some() {
        explanation.push_str(&format!(" × (100 % − {})", pct(sanction_cut)));
    }
    explanation.push_str(&format!(" = {}", rupiah(computed)));
    if policy.trial_mode {
        explanation.push_str(&format!("; masa uji coba: dibayar penuh {}", rupiah(base_month)));
        lines.push(TppLine { label: "Masa uji coba: potongan tidak diterapkan".into(), rupiah: base_month - computed });
    }
    if capped {
        explanation.push_str(&format!("; dibatasi pagu {}", rupiah(amount)));
        lines.push(TppLine { label: format!("Dibatasi pagu {}", rupiah(amount)), rupiah: amount - due });
    }
    explanation.push_str(&format!(". Dibayar {}.", rupiah(amount)));
    TppAmount {
        base,
        base_month,
        attendance_share,
        performance_percent,
        performance_share,
        sanction_cut,
        sanction_rupiah,
        computed,
        capped,
        trial_mode: policy.trial_mode,
        amount,
        lines,
        explanation,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn policy() -> TppPolicy {
        TppPolicy {
            effective_from: date(2026, 1, 1),
            attendance_weight: Percent::whole(40),
            performance_weight: Percent::whole(60),
            steps: vec![
                ScoreStep { min_score: 8500, percent: Percent::whole(100) },
                ScoreStep { min_score: 7000, percent: Percent::whole(80) },
                ScoreStep { min_score: 5000, percent: Percent::whole(50) },
            ],
            cap: None,
            trial_mode: false,
        }
    }

    fn input(sanctions: &[TppSanction]) -> TppInput<'_> {
        TppInput {
            month: date(2026, 11, 1),
            base: 4_250_000,
            part_days: 30,
            month_days: 30,
            attendance_deduction: Percent::ZERO,
            score: Some(9000),
            sanctions,
        }
    }

    #[test]
    fn table() {
        let cut = [TppSanction {
            from: date(2026, 9, 1),
            to: date(2027, 2, 28),
            cut: Percent::whole(25),
            label: "hukuman disiplin sedang (PP 94/2021)".into(),
        }];
        let later = [TppSanction { from: date(2026, 12, 1), ..cut[0].clone() }];
        // (what, change, amount)
        type Case = (&'static str, Box<dyn Fn(&mut TppPolicy, &mut TppInput<'static>)>, i64);
        let cut: &'static [TppSanction] = Box::leak(Box::new(cut));
        let later: &'static [TppSanction] = Box::leak(Box::new(later));
        let cases: Vec<Case> = vec![
            ("full", Box::new(|_, _| {}), 4_250_000),
            // 40 % × (100 − 7,5) % = 1.572.500 + 60 % × 100 % = 2.550.000
            (
                "attendance deduction 7.5 %",
                Box::new(|_, i| i.attendance_deduction = Percent::from_hundredths(750)),
                4_122_500,
            ),
            ("score 85.00 is the 100 % step", Box::new(|_, i| i.score = Some(8500)), 4_250_000),
            ("score 84.99 falls to 80 %", Box::new(|_, i| i.score = Some(8499)), 1_700_000 + 2_040_000),
            ("score below every step", Box::new(|_, i| i.score = Some(4999)), 1_700_000),
            ("no score yet", Box::new(|_, i| i.score = None), 1_700_000),
            (
                "weights 50/50",
                Box::new(|p, _| {
                    p.attendance_weight = Percent::whole(50);
                    p.performance_weight = Percent::whole(50);
                }),
                4_250_000,
            ),
            // 4.250.000 × 17/30 = 2.408.333,33 → 2.408.333
            ("started on the 14th", Box::new(|_, i| i.part_days = 17), 2_408_333),
            ("sanction running", Box::new(move |_, i| i.sanctions = cut), 3_187_500),
            ("sanction starts next month", Box::new(move |_, i| i.sanctions = later), 4_250_000),
            ("cap", Box::new(|p, _| p.cap = Some(4_000_000)), 4_000_000),
            (
                "trial mode pays the base",
                Box::new(|p, i| {
                    p.trial_mode = true;
                    i.score = None;
                    i.attendance_deduction = Percent::whole(20);
                }),
                4_250_000,
            ),
            (
                "trial mode pro-rated and capped",
                Box::new(|p, i| {
                    p.trial_mode = true;
                    p.cap = Some(2_000_000);
                    i.part_days = 17;
                }),
                2_000_000,
            ),
            (
                "deduction over 100 % keeps nothing of attendance",
                Box::new(|_, i| i.attendance_deduction = Percent::whole(150)),
                2_550_000,
            ),
        ];
        for (what, change, want) in cases {
            let mut p = policy();
            let mut i = input(&[]);
            change(&mut p, &mut i);
            let a = tpp_amount(&p, &i);
            assert_eq!(a.amount, want, "{what}: {}", a.explanation);
            // The lines add up to the amount, to the rupiah.
            let first = if i.part_days < 30 { 1 } else { 0 };
            let sum: i64 = a.lines[first..].iter().map(|l| l.rupiah).sum();
            assert_eq!(sum, a.amount, "{what}: {:?}", a.lines);
            assert!(a.explanation.ends_with(&format!("Dibayar {}.", rupiah(a.amount))), "{what}: {}", a.explanation);
        }
    }

    #[test]
    fn words() {
        let a = tpp_amount(&policy(), &TppInput { attendance_deduction: Percent::from_hundredths(750), ..input(&[]) });
        assert_eq!(
            a.explanation,
            "Rp 4.250.000 × (40 % × 92,50 % + 60 % × 100 %) = Rp 4.122.500. Dibayar Rp 4.122.500."
        );
        assert_eq!(a.lines[0].label, "Bagian kehadiran Rp 4.250.000 × 40 % × (100 % − potongan 7,50 %)");
        assert_eq!(a.lines[1].label, "Bagian kinerja Rp 4.250.000 × 60 % × 100 % (nilai 90,00)");
        assert_eq!(rupiah(1_234_567_890), "Rp 1.234.567.890");
        assert_eq!(rupiah(0), "Rp 0");
    }

    #[test]
    fn steps_in_any_order() {
        let mut steps = policy().steps;
        steps.reverse();
        assert_eq!(step_percent(&steps, 8600), Percent::whole(100));
        assert_eq!(step_percent(&steps, 7000), Percent::whole(80));
        assert_eq!(step_percent(&[], 10000), Percent::ZERO);
    }
}
