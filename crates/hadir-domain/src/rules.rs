//! Rule sets: the regency's deduction rules as data, each with an effective-from date.
//!
//! Choices (documented here because clerks will ask):
//! - Percentages are [`Percent`] (integer hundredths of a percent); JSON shows `0.5`, `1.25`.
//! - Grace: lateness counts only when `minutes_late > grace_minutes`; once it counts, the code
//!   comes from the *actual* minutes late (grace 5, 31 minutes late → TL2, not TL1), so grace
//!   never shifts the brackets a regency published. Early leave has its own grace.
//! - Brackets are matched by upper bound: the first bracket whose `up_to_minutes` ≥ minutes,
//!   the last one unbounded (`null`).

use crate::percent::Percent;
use crate::status::AbsenceKind;
use jiff::civil::{Date, date};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum EmployeeCategory {
    Pns,
    Pppk,
    Honorer,
}

impl EmployeeCategory {
    pub fn code(self) -> &'static str {
        match self {
            EmployeeCategory::Pns => "PNS",
            EmployeeCategory::Pppk => "PPPK",
            EmployeeCategory::Honorer => "HONORER",
        }
    }

    pub fn from_code(s: &str) -> Option<EmployeeCategory> {
        match s.trim().to_ascii_uppercase().as_str() {
            "PNS" => Some(EmployeeCategory::Pns),
            "PPPK" => Some(EmployeeCategory::Pppk),
            "HONORER" => Some(EmployeeCategory::Honorer),
            _ => None,
        }
    }
}

/// Minutes up to and including `up_to_minutes` (`null`: no upper bound) give `code`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Bracket {
    pub up_to_minutes: Option<u32>,
    pub code: String,
    pub percent: Percent,
}

/// What a missing punch counts as.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Penalty {
    pub code: String,
    pub percent: Percent,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleSet {
    pub name: String,
    pub effective_from: Date,
    pub late: Vec<Bracket>,
    pub early_leave: Vec<Bracket>,
    #[serde(default)]
    pub grace_minutes: u32,
    #[serde(default)]
    pub early_grace_minutes: u32,
    pub missing_check_in: Penalty,
    pub missing_check_out: Penalty,
    /// A missed presence checkpoint (e.g. `siang`). DOMAIN.md sets no national number, so the
    /// default is 0% (still shown as code `TPS`); a regency requiring three punches sets it.
    pub missing_presence: Penalty,
    pub tk_per_day: Percent,
    pub monthly_cap: Percent,
    /// The attendance share of TPP the percentages apply to (commonly 40%).
    pub tpp_attendance_share: Percent,
    pub categories: Vec<EmployeeCategory>,
    /// Uji coba: deductions computed and shown, not applied.
    #[serde(default)]
    pub trial_mode: bool,
    /// Per-day deduction for absence kinds that deduct (default: none).
    #[serde(default)]
    pub leave_deductions: BTreeMap<AbsenceKind, Percent>,
    /// Perbup option (issue 19), cumulative minutes: late and early-leave minutes of the days
    /// under this rule set are summed over the month, and each full `cumulative_minutes`
    /// (e.g. 450 = one working day) costs `tk_per_day`, instead of the TL/PSW bracket
    /// percentages. Missing punches keep their own codes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cumulative_minutes: Option<u32>,
    /// Perbup option, escalation by count: the nth late arrival of the month costs the percent
    /// of the last step whose `from_count` ≤ n, instead of its bracket percent (ascending).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub late_escalation: Vec<EscalationStep>,
    /// Perbup option, position class: the month's deduction is scaled by the `percent` of the
    /// first range holding the employee's kelas jabatan (no grade or no range: 100%).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub grade_scale: Vec<GradeScale>,
    /// Issue 21: a missed mandatory apel or upacara (DOMAIN.md default 2%). Left out of the
    /// JSON while it is the default, so older rule sets read and hash as before.
    #[serde(default = "default_apel", skip_serializing_if = "is_default_apel")]
    pub apel_deduction: Percent,
}

fn default_apel() -> Percent {
    crate::sessions::DEFAULT_APEL_DEDUCTION
}

fn is_default_apel(p: &Percent) -> bool {
    *p == crate::sessions::DEFAULT_APEL_DEDUCTION
}

/// From the `from_count`th late arrival in a month on, each costs `percent`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct EscalationStep {
    pub from_count: u32,
    pub percent: Percent,
}

/// Kelas jabatan `grade_from`–`grade_to` (inclusive): the month's deduction × `percent`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct GradeScale {
    pub grade_from: i16,
    pub grade_to: i16,
    pub percent: Percent,
}

fn brackets(prefix: &str, pcts: [u32; 4]) -> Vec<Bracket> {
    [Some(30), Some(60), Some(90), None]
        .into_iter()
        .zip(pcts)
        .enumerate()
        .map(|(i, (up_to_minutes, h))| Bracket {
            up_to_minutes,
            code: format!("{prefix}{}", i + 1),
            percent: Percent::from_hundredths(h),
        })
        .collect()
}

impl Default for RuleSet {
    /// The DOMAIN.md table: TL/PSW 0.5 / 1 / 1.25 / 1.5%, missing check-in = TL4, missing
    /// check-out = PSW4, TK 3% a day, cap 100%, 40% share, all categories, no grace.
    fn default() -> RuleSet {
        RuleSet {
            name: "Standar (aturan bawaan)".to_string(),
            effective_from: date(2025, 1, 1),
            late: brackets("TL", [50, 100, 125, 150]),
            early_leave: brackets("PSW", [50, 100, 125, 150]),
            grace_minutes: 0,
            early_grace_minutes: 0,
            missing_check_in: Penalty { code: "TL4".to_string(), percent: Percent::from_hundredths(150) },
            missing_check_out: Penalty { code: "PSW4".to_string(), percent: Percent::from_hundredths(150) },
            missing_presence: Penalty { code: "TPS".to_string(), percent: Percent::ZERO },
            tk_per_day: Percent::whole(3),
            monthly_cap: Percent::HUNDRED,
            tpp_attendance_share: Percent::whole(40),
            categories: vec![EmployeeCategory::Pns, EmployeeCategory::Pppk, EmployeeCategory::Honorer],
            trial_mode: false,
            leave_deductions: BTreeMap::new(),
            cumulative_minutes: None,
            late_escalation: Vec::new(),
            grade_scale: Vec::new(),
            apel_deduction: crate::sessions::DEFAULT_APEL_DEDUCTION,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RuleSetError {
    #[error("daftar rentang {0} kosong")]
    NoBrackets(&'static str),
    #[error("rentang {0} harus naik dan hanya rentang terakhir tanpa batas atas")]
    BracketOrder(&'static str),
    #[error("persentase {0} melebihi batas potongan bulanan")]
    AboveCap(String),
    #[error("batas potongan bulanan harus antara 0% dan 100%")]
    Cap,
    #[error("menit kumulatif per hari harus antara 1 dan 1440")]
    CumulativeMinutes,
    #[error("tangga potongan keterlambatan harus mulai dari keterlambatan ke-1 dan naik")]
    Escalation,
    #[error("rentang kelas jabatan harus 1–17, tidak tumpang tindih, dengan persentase paling banyak 200%")]
    GradeScale,
}

impl RuleSetError {
    pub fn code(&self) -> &'static str {
        match self {
            RuleSetError::NoBrackets(_) => "rules_no_brackets",
            RuleSetError::BracketOrder(_) => "rules_bracket_order",
            RuleSetError::AboveCap(_) => "rules_above_cap",
            RuleSetError::Cap => "rules_cap",
            RuleSetError::CumulativeMinutes => "rules_cumulative_minutes",
            RuleSetError::Escalation => "rules_escalation",
            RuleSetError::GradeScale => "rules_grade_scale",
        }
    }
}

fn find_bracket(list: &[Bracket], minutes: u32) -> Option<&Bracket> {
    list.iter().find(|b| b.up_to_minutes.is_none_or(|u| minutes <= u))
}

fn validate_brackets(name: &'static str, list: &[Bracket]) -> Result<(), RuleSetError> {
    let Some(last) = list.last() else {
        return Err(RuleSetError::NoBrackets(name));
    };
    if last.up_to_minutes.is_some() {
        return Err(RuleSetError::BracketOrder(name));
    }
    let bounds: Vec<u32> = list[..list.len() - 1]
        .iter()
        .map(|b| b.up_to_minutes.ok_or(RuleSetError::BracketOrder(name)))
        .collect::<Result<_, _>>()?;
    if bounds.first() == Some(&0) || bounds.windows(2).any(|w| w[0] >= w[1]) {
        return Err(RuleSetError::BracketOrder(name));
    }
    Ok(())
}

impl RuleSet {
    /// The late bracket for `minutes_late`, or `None` when within grace (or not late).
    pub fn late_bracket(&self, minutes_late: u32) -> Option<&Bracket> {
        if minutes_late == 0 || minutes_late <= self.grace_minutes {
            return None;
        }
        find_bracket(&self.late, minutes_late)
    }

    /// The early-leave bracket for `minutes_early`, or `None` when within grace.
    pub fn early_bracket(&self, minutes_early: u32) -> Option<&Bracket> {
        if minutes_early == 0 || minutes_early <= self.early_grace_minutes {
            return None;
        }
        find_bracket(&self.early_leave, minutes_early)
    }

    pub fn applies_to(&self, category: EmployeeCategory) -> bool {
        self.categories.contains(&category)
    }

    pub fn leave_deduction(&self, kind: AbsenceKind) -> Percent {
        self.leave_deductions.get(&kind).copied().unwrap_or(Percent::ZERO)
    }

    pub fn validate(&self) -> Result<(), RuleSetError> {
        validate_brackets("terlambat", &self.late)?;
        validate_brackets("pulang sebelum waktunya", &self.early_leave)?;
        if self.monthly_cap > Percent::HUNDRED || self.tpp_attendance_share > Percent::HUNDRED {
            return Err(RuleSetError::Cap);
        }
        let all = self.late.iter().chain(&self.early_leave).map(|b| (b.code.as_str(), b.percent)).chain([
            (self.missing_check_in.code.as_str(), self.missing_check_in.percent),
            (self.missing_check_out.code.as_str(), self.missing_check_out.percent),
            (self.missing_presence.code.as_str(), self.missing_presence.percent),
            ("TK", self.tk_per_day),
        ]);
        for (code, p) in all {
            if p > self.monthly_cap {
                return Err(RuleSetError::AboveCap(code.to_string()));
            }
        }
        if self.cumulative_minutes.is_some_and(|m| !(1..=1440).contains(&m)) {
            return Err(RuleSetError::CumulativeMinutes);
        }
        let esc = &self.late_escalation;
        if !esc.is_empty()
            && (esc[0].from_count != 1
                || esc.windows(2).any(|w| w[1].from_count <= w[0].from_count)
                || esc.iter().any(|e| e.percent > self.monthly_cap))
        {
            return Err(RuleSetError::Escalation);
        }
        let g = &self.grade_scale;
        if g.iter().any(|r| !(1..=17).contains(&r.grade_from) || r.grade_to < r.grade_from || r.grade_to > 17)
            || g.iter().any(|r| r.percent > Percent::whole(200))
            || g.iter()
                .enumerate()
                .any(|(i, a)| g[..i].iter().any(|b| a.grade_from <= b.grade_to && b.grade_from <= a.grade_to))
        {
            return Err(RuleSetError::GradeScale);
        }
        Ok(())
    }

    /// The escalation percent of the `n`th late arrival of a month (1-based), if escalation is on.
    pub fn escalated_late(&self, n: u32) -> Option<Percent> {
        self.late_escalation.iter().rev().find(|s| s.from_count <= n).map(|s| s.percent)
    }

    /// The scale for kelas jabatan `grade`, if a range holds it.
    pub fn grade_percent(&self, grade: Option<i16>) -> Option<Percent> {
        let g = grade?;
        self.grade_scale.iter().find(|r| r.grade_from <= g && g <= r.grade_to).map(|r| r.percent)
    }
}

/// The rule set in force on `date`: the latest `effective_from` not after it (on a tie, the
/// one later in the list, i.e. the newer edit).
pub fn rule_in_force(rules: &[RuleSet], date: Date) -> Option<&RuleSet> {
    rules
        .iter()
        .enumerate()
        .filter(|(_, r)| r.effective_from <= date)
        .max_by_key(|(i, r)| (r.effective_from, *i))
        .map(|(_, r)| r)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_brackets_and_grace() {
        let mut r = RuleSet::default();
        r.validate().unwrap();
        let code = |r: &RuleSet, m| r.late_bracket(m).map(|b| b.code.clone());
        assert_eq!(code(&r, 0), None);
        assert_eq!(code(&r, 1).as_deref(), Some("TL1"));
        assert_eq!(code(&r, 30).as_deref(), Some("TL1"));
        assert_eq!(code(&r, 31).as_deref(), Some("TL2"));
        assert_eq!(code(&r, 91).as_deref(), Some("TL4"));
        r.grace_minutes = 5;
        assert_eq!(code(&r, 5), None);
        assert_eq!(code(&r, 6).as_deref(), Some("TL1"));
        assert_eq!(code(&r, 31).as_deref(), Some("TL2"));
    }

    #[test]
    fn validation_rejects_bad_brackets() {
        let mut r = RuleSet::default();
        r.late.swap(0, 1);
        assert_eq!(r.validate().unwrap_err().code(), "rules_bracket_order");
        let mut r = RuleSet::default();
        r.late.pop();
        assert!(r.validate().is_err());
        let r = RuleSet { monthly_cap: Percent::whole(1), ..RuleSet::default() };
        assert_eq!(r.validate().unwrap_err().code(), "rules_above_cap");
    }

    #[test]
    fn picks_latest_effective() {
        let a = RuleSet::default();
        let b = RuleSet { effective_from: date(2025, 7, 1), tk_per_day: Percent::whole(4), ..RuleSet::default() };
        let rules = [b.clone(), a.clone()];
        assert_eq!(rule_in_force(&rules, date(2025, 6, 30)), Some(&a));
        assert_eq!(rule_in_force(&rules, date(2025, 7, 1)), Some(&b));
        assert_eq!(rule_in_force(&rules, date(2024, 12, 31)), None);
    }

    #[test]
    fn json_shape_round_trips() {
        let mut r = RuleSet::default();
        r.leave_deductions.insert(AbsenceKind::Izin, Percent::from_hundredths(150));
        let v = serde_json::to_value(&r).unwrap();
        assert_eq!(v["late"][0]["percent"], 0.5);
        assert_eq!(v["late"][3]["up_to_minutes"], serde_json::Value::Null);
        assert_eq!(v["leave_deductions"]["IZIN"], 1.5);
        assert_eq!(v["categories"][0], "PNS");
        let back: RuleSet = serde_json::from_value(v).unwrap();
        assert_eq!(back, r);
    }
}
