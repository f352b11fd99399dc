//! Monthly recap math: counts, minutes and the TPP deduction of one employee's month.
//!
//! - Each day's deduction was computed with the rule set in force that day; the month sums
//!   them and caps the sum with the monthly cap of the rule set in force on the month's last
//!   record ("governing" rule set), whose TPP share is also used.
//! - A day is *applied* only if its own rule set covers the employee's category and is not in
//!   trial mode; otherwise it is computed and shown but not applied.
//! - Minutes required: the schedule minutes of HADIR, TK and duty-away days (leave and permit
//!   days are excused, pending days are not over). Minutes present: worked minutes of HADIR
//!   days plus the required minutes of duty-away days.
//! - Rupiah = base × share × percent, in exact integer arithmetic, rounded half up to the
//!   rupiah once at the end (never per day).
//! - Perbup options of the day's rule set (issue 19), each explained in `notes`: cumulative
//!   minutes (the month's late and early minutes, each full block costs a TK day, replacing
//!   the TL/PSW bracket percentages), escalation by count (the nth late arrival costs the
//!   step's percent instead of its bracket's), and a scale by kelas jabatan (governing rule
//!   set) applied to the month's sum before the cap.

use crate::day_record::{CheckpointOutcome, DayRecord};
use crate::percent::Percent;
use crate::rules::{EmployeeCategory, RuleSet, rule_in_force};
use crate::status::DayStatus;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Codes always present in `code_counts`, so exports have fixed columns.
pub const STANDARD_CODES: [&str; 8] = ["TL1", "TL2", "TL3", "TL4", "PSW1", "PSW2", "PSW3", "PSW4"];

#[derive(Debug, Clone)]
pub struct RecapInput<'a> {
    /// The month's day records (any order, one per date).
    pub records: &'a [DayRecord],
    /// All rule sets; the one in force is picked per date.
    pub rules: &'a [RuleSet],
    pub category: EmployeeCategory,
    /// Monthly TPP in rupiah, if known.
    pub tpp_base: Option<i64>,
    /// Kelas jabatan 1–17, if known (rule sets may scale the deduction by it).
    pub grade: Option<i16>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MonthlyRecap {
    pub days: u32,
    pub working_days: u32,
    pub days_present: u32,
    pub days_duty: u32,
    pub days_tk: u32,
    pub days_libur: u32,
    pub days_not_active: u32,
    pub days_pending: u32,
    /// Leave, permit and duty days per status code.
    pub absence_days: BTreeMap<DayStatus, u32>,
    /// Checkpoint codes (TL1–TL4, PSW1–PSW4 always present, plus any other code used).
    pub code_counts: BTreeMap<String, u32>,
    pub minutes_required: u32,
    pub minutes_present: u32,
    pub deduction_uncapped: Percent,
    /// Sum of daily deductions, capped.
    pub deduction_computed: Percent,
    /// What is actually deducted (0 in trial mode or for categories not covered).
    pub deduction_applied: Percent,
    pub monthly_cap: Percent,
    pub capped: bool,
    pub trial_mode: bool,
    pub category_covered: bool,
    pub tpp_attendance_share: Percent,
    pub tpp_base: Option<i64>,
    pub rupiah_computed: Option<i64>,
    pub rupiah_applied: Option<i64>,
    pub rule_set: String,
    pub rule_effective_from: Date,
    /// Indonesian notes for the recap sheet.
    pub notes: Vec<String>,
    /// Apel/upacara sessions attended and missed (issue 21); absent in older snapshots.
    #[serde(default)]
    pub sessions_attended: u32,
    #[serde(default)]
    pub sessions_missed: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RecapError {
    #[error("tidak ada data hari untuk direkap")]
    NoRecords,
    #[error("tidak ada aturan potongan yang berlaku pada {0}")]
    NoRuleSet(Date),
}

impl RecapError {
    pub fn code(&self) -> &'static str {
        match self {
            RecapError::NoRecords => "recap_no_records",
            RecapError::NoRuleSet(_) => "recap_no_rule_set",
        }
    }
}

/// `base × share × percent`, each percent in hundredths, rounded half up to the rupiah.
pub fn deduction_rupiah(base: i64, share: Percent, percent: Percent) -> i64 {
    let num = i128::from(base) * i128::from(share.hundredths()) * i128::from(percent.hundredths());
    let den: i128 = 100_000_000; // (100 × 100) for each of the two percentages
    let q = (num.abs() + den / 2) / den;
    (if num < 0 { -q } else { q }) as i64
}

pub fn monthly_recap(input: &RecapInput<'_>) -> Result<MonthlyRecap, RecapError> {
    let last = input.records.iter().map(|r| r.date).max().ok_or(RecapError::NoRecords)?;
    let gov = rule_in_force(input.rules, last).ok_or(RecapError::NoRuleSet(last))?;
    let mut code_counts: BTreeMap<String, u32> = STANDARD_CODES.iter().map(|c| (c.to_string(), 0)).collect();
    let mut r = MonthlyRecap {
        days: 0,
        working_days: 0,
        days_present: 0,
        days_duty: 0,
        days_tk: 0,
        days_libur: 0,
        days_not_active: 0,
        days_pending: 0,
        absence_days: BTreeMap::new(),
        code_counts: BTreeMap::new(),
        minutes_required: 0,
        minutes_present: 0,
        deduction_uncapped: Percent::ZERO,
        deduction_computed: Percent::ZERO,
        deduction_applied: Percent::ZERO,
        monthly_cap: gov.monthly_cap,
        capped: false,
        trial_mode: gov.trial_mode,
        category_covered: gov.applies_to(input.category),
        tpp_attendance_share: gov.tpp_attendance_share,
        tpp_base: input.tpp_base,
        rupiah_computed: None,
        rupiah_applied: None,
        rule_set: gov.name.clone(),
        rule_effective_from: gov.effective_from,
        notes: Vec::new(),
        sessions_attended: 0,
        sessions_missed: 0,
    };
    let mut applied_sum = Percent::ZERO;
    let mut trial_days = 0;
    let mut uncovered_days = 0;
    // Perbup options: minutes pooled (and the bracket deductions they replace), late arrivals
    // counted for escalation.
    let mut pool_minutes: u32 = 0;
    let mut pool_replaced: u32 = 0;
    let mut pool_applies = false;
    let mut pool_block: Option<u32> = None;
    let mut esc_steps: Option<&RuleSet> = None;
    let mut late_count: u32 = 0;
    let mut esc_replaced: u32 = 0;
    let mut esc_charged: u32 = 0;
    let mut records: Vec<&DayRecord> = input.records.iter().collect();
    records.sort_by_key(|d| d.date);
    for d in records {
        r.days += 1;
        if d.status.is_working_day() {
            r.working_days += 1;
        }
        match d.status {
            DayStatus::Hadir => {
                r.days_present += 1;
                r.minutes_required += d.required_minutes;
                r.minutes_present += d.worked_minutes;
            }
            DayStatus::Tk => {
                r.days_tk += 1;
                r.minutes_required += d.required_minutes;
            }
            DayStatus::Libur => r.days_libur += 1,
            DayStatus::BelumAktif => r.days_not_active += 1,
            DayStatus::BelumSelesai => r.days_pending += 1,
            s => {
                *r.absence_days.entry(s).or_default() += 1;
                if s.absence().is_some_and(|k| k.is_duty()) {
                    r.days_duty += 1;
                    r.minutes_required += d.required_minutes;
                    r.minutes_present += d.required_minutes;
                }
            }
        }
        let (attended, missed) = crate::sessions::counts(d.sessions.iter().map(|s| &s.outcome));
        r.sessions_attended += attended;
        r.sessions_missed += missed;
        for code in d.checkpoints.iter().filter_map(|c| c.code.as_ref()) {
            *code_counts.entry(code.clone()).or_default() += 1;
        }
        let day_rules = rule_in_force(input.rules, d.date).unwrap_or(gov);
        let day_applies = !day_rules.trial_mode && day_rules.applies_to(input.category);
        // The day's deduction under the Perbup options, in hundredths.
        let mut day = i64::from(d.deduction.hundredths());
        if d.status == DayStatus::Hadir {
            for c in &d.checkpoints {
                let minutes = match c.outcome {
                    CheckpointOutcome::Late => c.minutes_late.unwrap_or(0),
                    CheckpointOutcome::Early => c.minutes_early.unwrap_or(0),
                    _ => continue,
                };
                let old = c.deduction.hundredths();
                if let Some(block) = day_rules.cumulative_minutes {
                    pool_block = Some(block);
                    pool_minutes = pool_minutes.saturating_add(minutes);
                    pool_replaced = pool_replaced.saturating_add(old);
                    pool_applies |= day_applies;
                    day -= i64::from(old);
                } else if c.outcome == CheckpointOutcome::Late
                    && let Some(p) = day_rules.escalated_late(late_count + 1)
                {
                    esc_steps = Some(day_rules);
                    late_count += 1;
                    esc_replaced = esc_replaced.saturating_add(old);
                    esc_charged = esc_charged.saturating_add(p.hundredths());
                    day += i64::from(p.hundredths()) - i64::from(old);
                }
            }
        }
        let day = Percent::from_hundredths(u32::try_from(day.max(0)).unwrap_or(u32::MAX));
        r.deduction_uncapped = r.deduction_uncapped.saturating_add(day);
        if day > Percent::ZERO {
            if day_rules.trial_mode {
                trial_days += 1;
            } else if !day_rules.applies_to(input.category) {
                uncovered_days += 1;
            } else {
                applied_sum = applied_sum.saturating_add(day);
            }
        }
    }
    if let Some(block) = pool_block {
        let blocks = pool_minutes / block.max(1);
        let cost = Percent::from_hundredths(blocks.saturating_mul(gov.tk_per_day.hundredths()));
        r.deduction_uncapped = r.deduction_uncapped.saturating_add(cost);
        if pool_applies {
            applied_sum = applied_sum.saturating_add(cost);
        }
        r.notes.push(format!(
            "Menit kumulatif (Perbup): terlambat dan pulang sebelum waktunya {pool_minutes} menit sebulan = {blocks} × \
             {block} menit → {blocks} × potongan TK {} = {cost}, menggantikan potongan TL/PSW per kejadian ({}).",
            gov.tk_per_day,
            Percent::from_hundredths(pool_replaced)
        ));
    }
    if late_count > 0 {
        let steps: Vec<String> = esc_steps
            .map(|x| x.late_escalation.iter().map(|s| format!("ke-{} {}", s.from_count, s.percent)).collect())
            .unwrap_or_default();
        r.notes.push(format!(
            "Keterlambatan bertingkat (Perbup: {}): {late_count} kali terlambat → {}, menggantikan potongan TL menurut \
             lamanya ({}).",
            steps.join(", "),
            Percent::from_hundredths(esc_charged),
            Percent::from_hundredths(esc_replaced)
        ));
    }
    if let Some(scale) = gov.grade_percent(input.grade) {
        let scaled = |p: Percent| {
            let h = (u64::from(p.hundredths()) * u64::from(scale.hundredths()) + 5_000) / 10_000;
            Percent::from_hundredths(u32::try_from(h).unwrap_or(u32::MAX))
        };
        let before = r.deduction_uncapped;
        r.deduction_uncapped = scaled(before);
        applied_sum = scaled(applied_sum);
        r.notes.push(format!(
            "Kelas jabatan {} (Perbup): potongan × {scale} ({before} → {}).",
            input.grade.unwrap_or_default(),
            r.deduction_uncapped
        ));
    }
    r.code_counts = code_counts;
    r.deduction_computed = r.deduction_uncapped.min(gov.monthly_cap);
    r.capped = r.deduction_uncapped > gov.monthly_cap;
    r.deduction_applied = applied_sum.min(gov.monthly_cap);
    if let Some(base) = input.tpp_base {
        r.rupiah_computed = Some(deduction_rupiah(base, gov.tpp_attendance_share, r.deduction_computed));
        r.rupiah_applied = Some(deduction_rupiah(base, gov.tpp_attendance_share, r.deduction_applied));
    }
    if r.capped {
        r.notes.push(format!("Jumlah potongan {} dibatasi {} per bulan.", r.deduction_uncapped, gov.monthly_cap));
    }
    if trial_days > 0 {
        r.notes.push(format!("Masa uji coba: potongan {trial_days} hari dihitung dan ditampilkan, tidak diterapkan."));
    }
    if uncovered_days > 0 {
        r.notes.push(format!(
            "Aturan potongan tidak berlaku untuk kategori {}: potongan {uncovered_days} hari tidak diterapkan.",
            input.category.code()
        ));
    }
    r.notes.push(format!(
        "Potongan dihitung dari porsi kehadiran TPP {} menurut aturan berlaku sejak {}.",
        gov.tpp_attendance_share, gov.effective_from
    ));
    Ok(r)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rupiah_rounding() {
        let share = Percent::whole(40);
        assert_eq!(deduction_rupiah(5_000_000, share, Percent::from_hundredths(450)), 90_000);
        // 3_333_333 × 0.4 × 0.005 = 6_666.666 → 6_667
        assert_eq!(deduction_rupiah(3_333_333, share, Percent::from_hundredths(50)), 6_667);
        // exactly half rounds up: 1_250 × 0.4 × 0.01 = 5.0; 125 × 0.4 × 0.01 = 0.5 → 1
        assert_eq!(deduction_rupiah(125, share, Percent::whole(1)), 1);
        assert_eq!(deduction_rupiah(5_000_000, share, Percent::ZERO), 0);
    }
}
