//! The whole TPP of a month (issue 22): the recap's rows (attendance deduction, the base
//! pro-rated for part months) joined with the month's performance score (imported, or from
//! validated activity minutes against the required minutes), the TPP policy in force, the
//! effective-dated bases and the PP 94/2021 sanctions; the amounts by `hadir_domain::tpp`.

use crate::context::Policies;
use crate::recap::{self, MonthRecap, RecapState};
use hadir_domain::Percent;
use hadir_domain::tpp::{ScoreStep, TppInput, TppLine, TppPolicy, TppSanction, tpp_amount};
use hadir_store::{Employee, Id, Store, StoreError, TppBase, Unit};
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use utoipa::ToSchema;

/// A TPP policy as sent and stored (percent as numbers, e.g. 40 or 7.5).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PolicyBody {
    #[schema(value_type = String, format = Date)]
    pub effective_from: Date,
    /// Attendance share, percent of the base (e.g. 40).
    pub attendance_weight: f64,
    /// Performance share, percent of the base (e.g. 60).
    pub performance_weight: f64,
    /// Score steps: `min_score` (0–100) earns `percent` of the performance share.
    pub steps: Vec<StepBody>,
    /// Most paid a month, in rupiah.
    pub cap: Option<i64>,
    #[serde(default)]
    pub trial_mode: bool,
    /// Score formula when no score is imported: validated activity minutes against this
    /// percent of the month's required minutes give 100 points (default 100).
    #[serde(default = "hundred")]
    pub minutes_target: f64,
}

fn hundred() -> f64 {
    100.0
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct StepBody {
    pub min_score: f64,
    pub percent: f64,
}

impl PolicyBody {
    /// The regency's default until an admin stores one: 40/60, ≥ 85 → 100 %, ≥ 70 → 80 %,
    /// ≥ 50 → 50 %, no cap.
    pub fn default_policy() -> PolicyBody {
        PolicyBody {
            effective_from: Date::new(2000, 1, 1).unwrap_or_default(),
            attendance_weight: 40.0,
            performance_weight: 60.0,
            steps: vec![
                StepBody { min_score: 85.0, percent: 100.0 },
                StepBody { min_score: 70.0, percent: 80.0 },
                StepBody { min_score: 50.0, percent: 50.0 },
            ],
            cap: None,
            trial_mode: false,
            minutes_target: 100.0,
        }
    }

    /// Checks the numbers; `Err` is the Indonesian reason.
    pub fn to_domain(&self) -> Result<TppPolicy, String> {
        let p = |v: f64, what: &str| {
            Percent::try_from_f64(v)
                .filter(|p| *p <= Percent::HUNDRED)
                .ok_or_else(|| format!("{what} harus antara 0 dan 100."))
        };
        let attendance_weight = p(self.attendance_weight, "Bobot kehadiran")?;
        let performance_weight = p(self.performance_weight, "Bobot kinerja")?;
        if attendance_weight.hundredths() + performance_weight.hundredths() != 10_000 {
            return Err("Bobot kehadiran dan bobot kinerja harus berjumlah 100.".into());
        }
        let mut steps = Vec::new();
        for s in &self.steps {
            steps.push(ScoreStep {
                min_score: p(s.min_score, "Nilai minimal tangga")?.hundredths(),
                percent: p(s.percent, "Persentase tangga")?,
            });
        }
        if self.cap.is_some_and(|c| c < 0) {
            return Err("Pagu tidak boleh negatif.".into());
        }
        if !(self.minutes_target > 0.0 && self.minutes_target <= 100.0) {
            return Err("Target menit kegiatan harus lebih dari 0 dan paling besar 100.".into());
        }
        Ok(TppPolicy {
            effective_from: self.effective_from,
            attendance_weight,
            performance_weight,
            steps,
            cap: self.cap,
            trial_mode: self.trial_mode,
        })
    }
}

/// The policy in force on `day` (the latest stored one from on or before it), else the default.
pub async fn policy_on(store: &dyn Store, day: Date) -> Result<(PolicyBody, bool), StoreError> {
    let stored = store.tpp_policies().await?;
    let found = stored
        .iter()
        .filter(|p| p.effective_from <= day)
        .max_by_key(|p| p.effective_from)
        .and_then(|p| serde_json::from_str::<PolicyBody>(&p.policy_json).ok());
    Ok(match found {
        Some(p) => (p, true),
        None => (PolicyBody::default_policy(), false),
    })
}

/// The base in force on `day` for `e`: the employee's own row, else their grade's, else the
/// base on the employee record.
pub fn base_on(bases: &[TppBase], e: &Employee, day: Date) -> Option<i64> {
    let latest = |f: &dyn Fn(&TppBase) -> bool| {
        bases
            .iter()
            .filter(|b| b.effective_from <= day && f(b))
            .max_by_key(|b| (b.effective_from, b.id))
            .map(|b| b.amount)
    };
    latest(&|b| b.employee_id == Some(e.id))
        .or_else(|| e.grade.and_then(|g| latest(&|b| b.employee_id.is_none() && b.grade == Some(g))))
        .or(e.tpp_base)
}

/// Replaces each employee's `tpp_base` with the base in force at the end of the month (used by
/// the recap, so its attendance rupiah and the whole TPP rest on the same base).
pub async fn with_effective_bases(
    store: &dyn Store,
    mut employees: Vec<Employee>,
    last: Date,
) -> Result<Vec<Employee>, StoreError> {
    let bases = store.tpp_bases().await?;
    if bases.is_empty() {
        return Ok(employees);
    }
    for e in &mut employees {
        e.tpp_base = base_on(&bases, e, last);
    }
    Ok(employees)
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TppRow {
    pub nip: Option<String>,
    pub login: String,
    pub name: String,
    pub unit_code: String,
    pub unit_name: String,
    /// The month's base (pro-rated for a part month, as in the recap).
    pub base: i64,
    /// The applied attendance deduction, percent.
    pub attendance_deduction: f64,
    /// The score used (0–100), and where it came from: `import`, `api`, `manual`, `activities`.
    pub score: Option<f64>,
    pub score_source: String,
    /// Validated activity minutes and the month's required minutes.
    pub activity_minutes: i64,
    pub required_minutes: u32,
    pub performance_percent: f64,
    pub attendance_share: i64,
    pub performance_share: i64,
    pub sanction_percent: f64,
    pub sanction_rupiah: i64,
    pub computed: i64,
    pub amount: i64,
    pub locked: bool,
    pub lines: Vec<TppLineView>,
    /// base × shares × factors = amount, in words and numbers.
    pub explanation: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TppLineView {
    pub label: String,
    pub rupiah: i64,
}

impl From<TppLine> for TppLineView {
    fn from(l: TppLine) -> Self {
        TppLineView { label: l.label, rupiah: l.rupiah }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TppUnitTotal {
    pub unit_code: String,
    pub unit_name: String,
    pub employees: u32,
    pub base: i64,
    pub amount: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TppMonth {
    pub regency: String,
    pub month: String,
    pub unit_code: Option<String>,
    pub unit_name: Option<String>,
    /// The recap's state; a locked month's attendance figures are frozen.
    pub state: String,
    pub locked: bool,
    pub policy: PolicyBody,
    /// False while the default policy applies (none stored).
    pub policy_stored: bool,
    pub units: Vec<TppUnitTotal>,
    pub total_base: i64,
    pub total_amount: i64,
    pub employees: Vec<TppRow>,
}

fn score_from_minutes(approved: i64, required: u32, target: f64) -> Option<u32> {
    if required == 0 {
        return None;
    }
    let goal = f64::from(required) * target / 100.0;
    let v = (approved as f64 / goal * 10_000.0).round();
    Some(v.clamp(0.0, 10_000.0) as u32)
}

/// The whole TPP of the month `first` for `unit`'s subtree (all units: `None`).
pub async fn build_tpp(
    store: &dyn Store,
    policies: &Policies,
    regency: &str,
    first: Date,
    unit: Option<&Unit>,
) -> Result<TppMonth, StoreError> {
    let last = first.last_of_month();
    let r: MonthRecap = recap::build_recap(store, policies, regency, first, unit).await?;
    let (policy_body, stored) = policy_on(store, last).await?;
    let policy = policy_body
        .to_domain()
        .unwrap_or_else(|_| PolicyBody::default_policy().to_domain().expect("the default policy is valid"));
    let month = recap::month_key(first);
    let scores: HashMap<Id, (u32, String)> =
        store.kinerja_scores(&month).await?.into_iter().map(|k| (k.employee_id, (k.score, k.source))).collect();
    let minutes: HashMap<Id, i64> = store.approved_minutes(first, last).await?.into_iter().collect();
    let sanctions = store.tpp_sanctions().await?;
    let mut employees = Vec::new();
    let mut units: Vec<TppUnitTotal> = Vec::new();
    for row in &r.employees {
        let id = row.employee.employee_id;
        let base = row.recap.tpp_base.unwrap_or(0);
        let activity_minutes = minutes.get(&id).copied().unwrap_or(0);
        let (score, score_source) = match scores.get(&id) {
            Some((s, src)) => (Some(*s), src.clone()),
            None => (
                score_from_minutes(activity_minutes, row.recap.minutes_required, policy_body.minutes_target),
                "activities".to_string(),
            ),
        };
        let own: Vec<TppSanction> = sanctions
            .iter()
            .filter(|s| s.employee_id == id)
            .map(|s| TppSanction {
                from: s.from,
                to: s.to,
                cut: Percent::from_hundredths(s.cut),
                label: format!("{} ({} s.d. {})", s.label, s.from, s.to),
            })
            .collect();
        let a = tpp_amount(
            &policy,
            &TppInput {
                month: first,
                base,
                part_days: 1,
                month_days: 1,
                attendance_deduction: row.recap.deduction_applied,
                score,
                sanctions: &own,
            },
        );
        let mut lines: Vec<TppLineView> = Vec::new();
        // A part month: the recap's note says how the base was pro-rated.
        if let Some(n) = row.recap.notes.iter().find(|n| n.starts_with("TPP sebagian bulan")) {
            lines.push(TppLineView { label: n.clone(), rupiah: base });
        }
        lines.extend(a.lines.into_iter().map(TppLineView::from));
        let unit_code = row.employee.unit_code.clone();
        match units.iter_mut().find(|u| u.unit_code == unit_code) {
            Some(u) => {
                u.employees += 1;
                u.base += base;
                u.amount += a.amount;
            }
            None => units.push(TppUnitTotal {
                unit_code: unit_code.clone(),
                unit_name: row.employee.unit_name.clone(),
                employees: 1,
                base,
                amount: a.amount,
            }),
        }
        employees.push(TppRow {
            nip: row.employee.nip.clone(),
            login: row.employee.login.clone(),
            name: row.employee.name.clone(),
            unit_code,
            unit_name: row.employee.unit_name.clone(),
            base,
            attendance_deduction: row.recap.deduction_applied.as_f64(),
            score: score.map(|s| f64::from(s) / 100.0),
            score_source,
            activity_minutes,
            required_minutes: row.recap.minutes_required,
            performance_percent: a.performance_percent.as_f64(),
            attendance_share: a.attendance_share,
            performance_share: a.performance_share,
            sanction_percent: a.sanction_cut.as_f64(),
            sanction_rupiah: a.sanction_rupiah,
            computed: a.computed,
            amount: a.amount,
            locked: row.locked,
            lines,
            explanation: a.explanation,
        });
    }
    let locked = r.state == RecapState::Locked;
    Ok(TppMonth {
        regency: regency.to_string(),
        month,
        unit_code: r.unit_code.clone(),
        unit_name: r.unit_name.clone(),
        state: r.state.sheet_label().to_string(),
        locked,
        policy: policy_body,
        policy_stored: stored,
        total_base: units.iter().map(|u| u.base).sum(),
        total_amount: units.iter().map(|u| u.amount).sum(),
        units,
        employees,
    })
}
