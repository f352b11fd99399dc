//! The monthly recap (issue 8): per employee and per unit, with the month's lifecycle.
//!
//! - Figures come from the same day records the employee sees: [`crate::days::evaluate_days`]
//!   (punches, approved requests, calendars, holidays and the rule set in force each day), then
//!   the domain's [`monthly_recap`] (caps, trial mode, categories, rupiah to the cent).
//! - Lifecycle: *open* while the month runs → *objection* window until the deadline (default
//!   the 5th of the next month, settable per month) → *ready* to lock → *locked*. Locking
//!   freezes each employee's row (with the rule sets in force and the hash of the day records it
//!   came from); a locked recap is read from those snapshots, so a late punch changes nothing.
//!   Only an admin's reopen (with a reason, audited) makes it live again.
//! - Attendance rate of a unit: (days present + days on duty) ÷ working days.

use crate::context::Policies;
use futures::StreamExt;
use hadir_domain::{
    DayRecord, DayStatus, EmployeeCategory, MonthlyRecap, Percent, RecapInput, RuleSet, SanctionStatus, monthly_recap,
    rule_in_force, tk_sanction,
};
use hadir_store::{
    Audit, DayRow, Employee, Id, MonthLock, NewRecapSnapshot, RecapReopen, Request, RequestFilter, RequestState, Scope,
    Store, StoreError, Unit,
};
use jiff::civil::Date;
use jiff::{Timestamp, ToSpan};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashMap};
use utoipa::ToSchema;

/// Per employee: the computed recap, or why it could not be computed.
type EmployeeOutcome = (Employee, Result<Result<Vec<Computed>, String>, StoreError>);
/// Per employee in the detail sheet: who, code counts, day marks.
type DetailRow = (RecapEmployee, BTreeMap<String, u32>, Vec<DayMark>);

/// Employees evaluated concurrently when a recap is computed live.
const CONCURRENCY: usize = 8;

/// Leave and permit statuses with their own column, in sheet order.
pub const LEAVE_COLUMNS: [DayStatus; 8] = [
    DayStatus::Izin,
    DayStatus::Sakit,
    DayStatus::CutiTahunan,
    DayStatus::CutiSakit,
    DayStatus::CutiBesar,
    DayStatus::CutiMelahirkan,
    DayStatus::CutiAlasanPenting,
    DayStatus::Cltn,
];

/// Where a month stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RecapState {
    /// The month is still running.
    Open,
    /// The month is over; objections may be filed until the deadline.
    Objection,
    /// The objection window has closed; the month can be locked.
    Ready,
    /// Final: figures frozen.
    Locked,
}

impl RecapState {
    /// The state on exports, in the console recap page's words.
    pub fn sheet_label(self) -> &'static str {
        match self {
            RecapState::Open => "Berjalan",
            RecapState::Objection => "Masa keberatan",
            RecapState::Ready => "Siap dikunci",
            RecapState::Locked => "Terkunci",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct RecapEmployee {
    pub employee_id: Id,
    pub nip: Option<String>,
    pub login: String,
    pub name: String,
    pub category: String,
    pub position: Option<String>,
    pub unit_id: Id,
    pub unit_code: String,
    pub unit_name: String,
}

/// One day of the detail sheet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct DayMark {
    #[schema(value_type = String)]
    pub date: Date,
    /// The day status code (`HADIR`, `TK`, `CUTI_TAHUNAN`, …).
    pub status: String,
    /// Short mark for the sheet: `H`, `TL2`, `TL1/PSW1`, `TK`, `L`, `CT`, `DL`, …
    pub mark: String,
    #[schema(value_type = f64)]
    pub deduction: Percent,
}

/// One employee's month.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct RecapRow {
    pub employee: RecapEmployee,
    #[schema(value_type = Object)]
    pub recap: MonthlyRecap,
    pub days: Vec<DayMark>,
    /// Read from the frozen snapshot of a locked month.
    pub locked: bool,
    #[schema(value_type = Option<String>)]
    pub frozen_at: Option<Timestamp>,
    /// SHA-256 of the day records the figures came from (set when frozen).
    pub inputs_hash: Option<String>,
}

impl RecapRow {
    pub fn leave_days(&self, s: DayStatus) -> u32 {
        self.recap.absence_days.get(&s).copied().unwrap_or(0)
    }
    pub fn code(&self, c: &str) -> u32 {
        self.recap.code_counts.get(c).copied().unwrap_or(0)
    }
}

/// Sums of a unit (or of the whole recap).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct RecapTotals {
    pub unit_id: Option<Id>,
    pub unit_code: String,
    pub unit_name: String,
    pub state: Option<RecapState>,
    pub employees: u32,
    pub working_days: u32,
    pub days_present: u32,
    pub days_duty: u32,
    pub days_tk: u32,
    /// Leave and permit days per status code.
    pub leave_days: BTreeMap<String, u32>,
    pub code_counts: BTreeMap<String, u32>,
    pub minutes_required: u64,
    pub minutes_present: u64,
    /// (present + duty) ÷ working days, 0–1.
    pub attendance_rate: f64,
    pub tpp_base: i64,
    pub rupiah_computed: i64,
    pub rupiah_applied: i64,
}

impl RecapTotals {
    fn add(&mut self, r: &RecapRow) {
        let m = &r.recap;
        self.employees += 1;
        self.working_days += m.working_days;
        self.days_present += m.days_present;
        self.days_duty += m.days_duty;
        self.days_tk += m.days_tk;
        for s in LEAVE_COLUMNS {
            *self.leave_days.entry(s.code().to_string()).or_default() += r.leave_days(s);
        }
        for (c, n) in &m.code_counts {
            *self.code_counts.entry(c.clone()).or_default() += n;
        }
        self.minutes_required += u64::from(m.minutes_required);
        self.minutes_present += u64::from(m.minutes_present);
        self.tpp_base += m.tpp_base.unwrap_or(0);
        self.rupiah_computed += m.rupiah_computed.unwrap_or(0);
        self.rupiah_applied += m.rupiah_applied.unwrap_or(0);
    }

    fn finish(&mut self) {
        self.attendance_rate = if self.working_days == 0 {
            0.0
        } else {
            f64::from(self.days_present + self.days_duty) / f64::from(self.working_days)
        };
    }
}

/// An employee left out of the recap, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct RecapSkipped {
    pub login: String,
    pub name: String,
    pub reason: String,
}

/// The recap of a month for a unit subtree (or everything).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct MonthRecap {
    pub regency: String,
    /// `YYYY-MM`.
    pub month: String,
    pub unit_code: Option<String>,
    pub unit_name: Option<String>,
    pub state: RecapState,
    /// Last day (inclusive) on which objections may be filed.
    #[schema(value_type = String)]
    pub objection_until: Date,
    #[schema(value_type = Vec<Object>)]
    pub locks: Vec<MonthLock>,
    #[schema(value_type = Vec<Object>)]
    pub reopens: Vec<RecapReopen>,
    #[schema(value_type = String)]
    pub generated_at: Timestamp,
    /// The zone the recap's own times are shown in: the unit's, or the regency's for a recap
    /// of everything (IANA name).
    #[serde(default)]
    pub timezone: String,
    /// Per unit (the employees' own units), ordered by the unit tree.
    pub units: Vec<RecapTotals>,
    pub total: RecapTotals,
    pub employees: Vec<RecapRow>,
    pub skipped: Vec<RecapSkipped>,
    /// Objections to days of the month still awaiting a decision (issue 19): the month cannot
    /// be locked until they are decided (or decided by the lock itself).
    #[serde(default)]
    pub pending_objections: Vec<PendingObjection>,
}

/// An objection awaiting a decision, as the lock refusal and the console name it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PendingObjection {
    pub id: Id,
    pub employee_nip: Option<String>,
    pub employee_name: Option<String>,
    pub unit_code: String,
    #[schema(value_type = String, format = Date)]
    pub date: Date,
    pub reason: String,
}

impl PendingObjection {
    fn of(r: &Request) -> PendingObjection {
        PendingObjection {
            id: r.id,
            employee_nip: r.employee_login.clone(),
            employee_name: r.employee_name.clone(),
            unit_code: r.unit_code.clone(),
            date: r.date_from,
            reason: r.reason.clone(),
        }
    }

    /// `Budi Santoso (2025-12-03, #12)`.
    pub fn label(&self) -> String {
        format!("{} ({}, #{})", self.employee_name.as_deref().unwrap_or("-"), self.date, self.id)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum RecapFail {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{0}")]
    Refused(&'static str, String),
    /// Objections of the month are still pending (answered 409 `pending_objections`).
    #[error("{}", pending_message(.0))]
    Pending(Vec<PendingObjection>),
}

/// The lock refusal's message, naming every pending objection.
pub fn pending_message(p: &[PendingObjection]) -> String {
    let names: Vec<String> = p.iter().map(PendingObjection::label).collect();
    format!(
        "Rekap belum dapat dikunci: {} keberatan masih menunggu keputusan: {}. Putuskan dahulu, atau putuskan \
         sekaligus saat mengunci.",
        p.len(),
        names.join("; ")
    )
}

/// Objections (`KEBERATAN`) to days of the month starting `first` that await a decision, in
/// the unit's subtree (or everywhere), oldest day first.
pub async fn pending_objections(
    store: &dyn Store,
    first: Date,
    unit: Option<&Unit>,
) -> Result<Vec<PendingObjection>, StoreError> {
    let last = first.last_of_month();
    let mut out = Vec::new();
    let mut offset = 0u32;
    loop {
        let f = RequestFilter {
            state: Some(RequestState::Submitted),
            kind: Some("KEBERATAN".into()),
            unit_paths: unit.map(|u| vec![u.path.clone()]),
            offset,
            limit: 500,
            ..Default::default()
        };
        let page = store.list_requests(&f).await?;
        if page.items.is_empty() {
            break;
        }
        offset += page.items.len() as u32;
        out.extend(page.items.iter().filter(|r| r.date_from >= first && r.date_from <= last).map(PendingObjection::of));
        if u64::from(offset) >= page.total {
            break;
        }
    }
    out.sort_by_key(|p| (p.date, p.id));
    Ok(out)
}

/// First and last day of `YYYY-MM` (years 2000–2100 only, issue 17).
pub fn month_bounds(month: &str) -> Option<(Date, Date)> {
    let first = hadir_domain::years::parse_month(month).ok()?;
    Some((first, first.last_of_month()))
}

pub fn month_key(d: Date) -> String {
    format!("{:04}-{:02}", d.year(), d.month())
}

/// Default objection deadline: the 5th of the next month.
pub fn default_deadline(first: Date) -> Date {
    first.checked_add(1.month()).map(|d| d.first_of_month()).unwrap_or(first).checked_add(4.days()).unwrap_or(first)
}

/// `November 2025`.
pub fn month_label(first: Date) -> String {
    const NAMES: [&str; 12] = [
        "Januari",
        "Februari",
        "Maret",
        "April",
        "Mei",
        "Juni",
        "Juli",
        "Agustus",
        "September",
        "Oktober",
        "November",
        "Desember",
    ];
    format!("{} {}", NAMES[(first.month() - 1) as usize], first.year())
}

fn category(e: &Employee) -> EmployeeCategory {
    EmployeeCategory::from_code(e.category.as_str()).unwrap_or(EmployeeCategory::Pns)
}

pub fn recap_employee(e: &Employee) -> RecapEmployee {
    RecapEmployee {
        employee_id: e.id,
        nip: e.nip.clone(),
        login: e.login.clone(),
        name: e.name.clone(),
        category: e.category.as_str().to_string(),
        position: e.position.clone(),
        unit_id: e.unit_id,
        unit_code: e.unit_code.clone(),
        unit_name: e.unit_name.clone(),
    }
}

fn short_status(s: DayStatus) -> &'static str {
    match s {
        DayStatus::Hadir => "H",
        DayStatus::Tk => "TK",
        DayStatus::Libur => "L",
        DayStatus::BelumAktif => "-",
        DayStatus::BelumSelesai => "?",
        DayStatus::Izin => "I",
        DayStatus::Sakit => "S",
        DayStatus::CutiTahunan => "CT",
        DayStatus::CutiSakit => "CS",
        DayStatus::CutiBesar => "CB",
        DayStatus::CutiMelahirkan => "CM",
        DayStatus::CutiAlasanPenting => "CAP",
        DayStatus::Cltn => "CLTN",
        DayStatus::Dl => "DL",
        DayStatus::Diklat => "DIK",
        DayStatus::TugasBelajar => "TB",
    }
}

/// The legend of the detail sheet's marks.
pub const MARK_LEGEND: &str = "H hadir tepat waktu; TL1–TL4 terlambat; PSW1–PSW4 pulang sebelum waktunya; TK tanpa \
     keterangan; L libur; I izin; S sakit; CT cuti tahunan; CS cuti sakit; CB cuti besar; CM cuti melahirkan; CAP cuti \
     alasan penting; CLTN cuti di luar tanggungan negara; DL dinas luar; DIK diklat; TB tugas belajar; - belum aktif; \
     ? hari belum selesai";

pub fn day_mark(r: &DayRecord) -> DayMark {
    let codes: Vec<&str> = r.checkpoints.iter().filter_map(|c| c.code.as_deref()).collect();
    let mark = if r.status == DayStatus::Hadir && !codes.is_empty() {
        codes.join("/")
    } else {
        short_status(r.status).to_string()
    };
    DayMark { date: r.date, status: r.status.code().to_string(), mark, deduction: r.deduction }
}

/// One employee's row from their day records (pure: the benchmark calls it directly).
pub fn row_from_records(e: &Employee, records: &[DayRecord], rules: &[RuleSet]) -> Result<RecapRow, String> {
    let recap =
        monthly_recap(&RecapInput { records, rules, category: category(e), tpp_base: e.tpp_base, grade: e.grade })
            .map_err(|err| err.to_string())?;
    Ok(RecapRow {
        employee: recap_employee(e),
        recap,
        days: records.iter().map(day_mark).collect(),
        locked: false,
        frozen_at: None,
        inputs_hash: None,
    })
}

/// The rule sets in force on the records' dates (distinct, in date order), as frozen with a lock.
fn rules_used(records: &[DayRecord], rules: &[RuleSet]) -> Vec<RuleSet> {
    let mut out: Vec<RuleSet> = Vec::new();
    for r in records {
        if let Some(rs) = rule_in_force(rules, r.date)
            && !out.iter().any(|o| o.name == rs.name && o.effective_from == rs.effective_from)
        {
            out.push(rs.clone());
        }
    }
    out
}

/// SHA-256 over the stored hashes of the day records (the inputs' version).
fn inputs_hash(employee_id: Id, records: &[DayRecord]) -> String {
    let mut h = Sha256::new();
    for r in records {
        h.update(DayRow::new(employee_id, r.clone()).hash.as_bytes());
        h.update(b"\n");
    }
    hex::encode(h.finalize())
}

struct Computed {
    row: RecapRow,
    rules: Vec<RuleSet>,
    records: Vec<DayRecord>,
}

/// The TPP base of a part month: `base × part ÷ month` working days, rounded to the rupiah.
pub fn prorated_tpp(base: i64, part_days: u32, month_days: u32) -> i64 {
    if month_days == 0 || part_days >= month_days {
        return base;
    }
    let num = i128::from(base) * i128::from(part_days);
    let den = i128::from(month_days);
    ((num * 2 + den) / (den * 2)) as i64
}

/// One employee's month, split by the unit each day was spent in (issue 19): one row per unit,
/// each with its own days; the TPP base is pro-rated when the row covers fewer working days
/// than the month has for the person (start, end or transfer within the month).
async fn compute_employee(
    store: &dyn Store,
    policies: &Policies,
    units: &HashMap<Id, Unit>,
    e: &Employee,
    first: Date,
    last: Date,
    now: Timestamp,
) -> Result<Result<Vec<Computed>, String>, StoreError> {
    let history = store.unit_history(&[e.id]).await?;
    let tl = crate::days::timeline(store, policies, e, &history, first, last).await?;
    let records = crate::days::evaluate_days_on(store, &tl, e, first, last, now).await?;
    let rules = policies.context_for(e).rules;
    // Records by unit, in the order the units were first met.
    let mut parts: Vec<(Id, Vec<DayRecord>)> = Vec::new();
    for r in records {
        let u = tl.unit_on(r.date);
        match parts.iter_mut().find(|(id, _)| *id == u) {
            Some((_, rs)) => rs.push(r),
            None => parts.push((u, vec![r])),
        }
    }
    if parts.is_empty() {
        return Ok(Err(hadir_domain::RecapError::NoRecords.to_string()));
    }
    let part_month = parts.len() > 1 || e.start_date.is_some_and(|d| d > first) || e.end_date.is_some_and(|d| d < last);
    let month_days = if part_month && e.tpp_base.is_some() {
        // The working days the month has for this person as if employed all month.
        let whole = Employee { start_date: None, end_date: None, ..e.clone() };
        crate::days::evaluate_with(&tl, &[], &whole, &[], &Default::default(), first, last, now)
            .iter()
            .filter(|r| r.status.is_working_day())
            .count() as u32
    } else {
        0
    };
    let mut out = Vec::new();
    for (unit_id, recs) in parts {
        let mut pe = e.clone();
        if let Some(u) = units.get(&unit_id) {
            pe.unit_id = u.id;
            pe.unit_code = u.code.clone();
            pe.unit_name = u.name.clone();
        }
        let part_days = recs.iter().filter(|r| r.status.is_working_day()).count() as u32;
        let mut note = None;
        if let Some(base) = e.tpp_base
            && part_month
            && part_days < month_days
        {
            pe.tpp_base = Some(prorated_tpp(base, part_days, month_days));
            let (from, to) = (recs[0].date, recs[recs.len() - 1].date);
            note = Some(format!(
                "TPP sebagian bulan: {part_days} dari {month_days} hari kerja ({from} s.d. {to} di {}), \
                 Rp {base} × {part_days}/{month_days} = Rp {}.",
                pe.unit_name,
                pe.tpp_base.unwrap_or(0)
            ));
        }
        match row_from_records(&pe, &recs, &rules) {
            Ok(mut row) => {
                if let Some(n) = note {
                    row.recap.notes.insert(0, n);
                }
                out.push(Computed { row, rules: rules_used(&recs, &rules), records: recs });
            }
            Err(reason) => return Ok(Err(reason)),
        }
    }
    Ok(Ok(out))
}

/// The employees who spent a day of the month in the subtree (or anywhere) while employed
/// (issue 19: an employee who left in December is still in November's recap; one who moved
/// mid-month is in both units').
async fn employees_in(
    store: &dyn Store,
    unit: Option<&Unit>,
    first: Date,
    last: Date,
) -> Result<Vec<Employee>, StoreError> {
    let ids = store.employees_in_units_during(unit.map(|u| u.path.as_str()), first, last).await?;
    let mut out = store.employees_by_ids(&ids).await?;
    out.sort_by_key(|e| e.id);
    // The TPP bases in force at the month's end (issue 22), when any are stored.
    crate::tpp::with_effective_bases(store, out, last).await
}

/// Whether the unit lies in the subtree at `unit` (everything: `None`).
fn in_subtree(units: &HashMap<Id, Unit>, unit: Option<&Unit>, id: Id) -> bool {
    match unit {
        None => true,
        Some(root) => units.get(&id).is_some_and(|u| u.path.starts_with(&root.path)),
    }
}

/// The month's state for the subtree at `unit` (or everything).
async fn state_of(
    store: &dyn Store,
    month: &str,
    unit: Option<&Unit>,
    last: Date,
    deadline: Date,
    locks: &[MonthLock],
) -> Result<RecapState, StoreError> {
    let locked = match unit {
        Some(u) => store.is_month_locked(month, &u.path).await?,
        None => locks.iter().any(|l| l.unit_id.is_none()),
    };
    let today = crate::org::today_jakarta();
    Ok(if locked {
        RecapState::Locked
    } else if today <= last {
        RecapState::Open
    } else if today <= deadline {
        RecapState::Objection
    } else {
        RecapState::Ready
    })
}

/// The objection deadline of the month starting `first`.
pub async fn deadline_of(store: &dyn Store, first: Date) -> Result<Date, StoreError> {
    Ok(store.objection_deadline(&month_key(first)).await?.unwrap_or_else(|| default_deadline(first)))
}

/// Computes the recap: frozen rows of locked units from their snapshots, the rest live.
pub async fn build_recap(
    store: &dyn Store,
    policies: &Policies,
    regency: &str,
    first: Date,
    unit: Option<&Unit>,
) -> Result<MonthRecap, StoreError> {
    let last = first.last_of_month();
    let month = month_key(first);
    let now = Timestamp::now();
    let deadline = deadline_of(store, first).await?;
    let locks = store.month_locks(&month).await?;
    let state = state_of(store, &month, unit, last, deadline, &locks).await?;

    let mut rows: Vec<RecapRow> = Vec::new();
    let mut frozen: HashMap<(Id, Id), ()> = HashMap::new();
    for s in store.recap_snapshots(&month, unit.map(|u| u.path.as_str())).await? {
        match serde_json::from_str::<RecapRow>(&s.data_json) {
            Ok(mut row) => {
                row.locked = true;
                row.frozen_at = Some(s.frozen_at);
                row.inputs_hash = Some(s.inputs_hash);
                frozen.insert((s.employee_id, s.unit_id), ());
                rows.push(row);
            }
            Err(err) => return Err(StoreError::Backend(format!("bad recap snapshot {}: {err}", s.id))),
        }
    }
    let units = store.list_units(&Scope::All).await?;
    let by_id: HashMap<Id, Unit> = units.iter().map(|u| (u.id, u.clone())).collect();
    let by_id = &by_id;
    let employees = employees_in(store, unit, first, last).await?;
    let mut skipped = Vec::new();
    let results: Vec<EmployeeOutcome> = futures::stream::iter(employees)
        .map(|e| async move {
            let r = compute_employee(store, policies, by_id, &e, first, last, now).await;
            (e, r)
        })
        .buffered(CONCURRENCY)
        .collect()
        .await;
    for (e, r) in results {
        match r? {
            Ok(parts) => rows.extend(
                parts
                    .into_iter()
                    .filter(|c| in_subtree(by_id, unit, c.row.employee.unit_id))
                    .filter(|c| !frozen.contains_key(&(e.id, c.row.employee.unit_id)))
                    .map(|c| c.row),
            ),
            Err(reason) => skipped.push(RecapSkipped { login: e.login, name: e.name, reason }),
        }
    }
    let pending = pending_objections(store, first, unit).await?;
    let mut recap = assemble(
        regency,
        &month,
        unit,
        state,
        deadline,
        locks,
        store.list_reopens(&month).await?,
        &units,
        rows,
        skipped,
    );
    recap.pending_objections = pending;
    Ok(recap)
}

/// Sorts rows by unit (tree order) then name, and sums them per unit and in total.
#[allow(clippy::too_many_arguments)]
pub fn assemble(
    regency: &str,
    month: &str,
    unit: Option<&Unit>,
    state: RecapState,
    objection_until: Date,
    locks: Vec<MonthLock>,
    reopens: Vec<RecapReopen>,
    units: &[Unit],
    mut rows: Vec<RecapRow>,
    skipped: Vec<RecapSkipped>,
) -> MonthRecap {
    let order: HashMap<Id, (usize, &Unit)> = units.iter().enumerate().map(|(i, u)| (u.id, (i, u))).collect();
    rows.sort_by(|a, b| {
        let ka = order.get(&a.employee.unit_id).map(|x| x.0).unwrap_or(usize::MAX);
        let kb = order.get(&b.employee.unit_id).map(|x| x.0).unwrap_or(usize::MAX);
        (ka, &a.employee.name, &a.employee.login).cmp(&(kb, &b.employee.name, &b.employee.login))
    });
    let mut per_unit: Vec<RecapTotals> = Vec::new();
    let mut total = RecapTotals {
        unit_id: unit.map(|u| u.id),
        unit_code: unit.map(|u| u.code.clone()).unwrap_or_else(|| "SEMUA".into()),
        unit_name: unit.map(|u| u.name.clone()).unwrap_or_else(|| regency.to_string()),
        state: Some(state),
        ..Default::default()
    };
    for r in &rows {
        if per_unit.last().is_none_or(|t| t.unit_id != Some(r.employee.unit_id)) {
            per_unit.push(RecapTotals {
                unit_id: Some(r.employee.unit_id),
                unit_code: r.employee.unit_code.clone(),
                unit_name: r.employee.unit_name.clone(),
                ..Default::default()
            });
        }
        if let Some(t) = per_unit.last_mut() {
            t.add(r);
        }
        total.add(r);
    }
    for t in &mut per_unit {
        let unit_rows = rows.iter().filter(|r| Some(r.employee.unit_id) == t.unit_id);
        let all_locked = unit_rows.clone().all(|r| r.locked);
        t.state = Some(if all_locked && unit_rows.count() > 0 {
            RecapState::Locked
        } else if state == RecapState::Locked {
            RecapState::Ready
        } else {
            state
        });
        t.finish();
    }
    total.finish();
    MonthRecap {
        regency: regency.to_string(),
        month: month.to_string(),
        unit_code: unit.map(|u| u.code.clone()),
        unit_name: unit.map(|u| u.name.clone()),
        state,
        objection_until,
        locks,
        reopens,
        generated_at: Timestamp::now(),
        timezone: unit.map(|u| u.timezone.clone()).unwrap_or_default(),
        units: per_unit,
        total,
        employees: rows,
        skipped,
        pending_objections: Vec::new(),
    }
}

/// Whether the month may be locked as far as time goes: it is over and its objection window
/// has closed.
pub async fn lock_window(store: &dyn Store, first: Date) -> Result<(), RecapFail> {
    let month = month_key(first);
    let deadline = deadline_of(store, first).await?;
    let today = crate::org::today_jakarta();
    if today <= first.last_of_month() {
        return Err(RecapFail::Refused("month_not_over", format!("Bulan {month} belum berakhir.")));
    }
    if today <= deadline {
        return Err(RecapFail::Refused(
            "objection_window_open",
            format!("Masa keberatan bulan {month} berlangsung sampai {deadline}; rekap dapat dikunci sesudahnya."),
        ));
    }
    Ok(())
}

/// Locks the month for the subtree (or everywhere), freezing each employee's row. Refused while
/// the month runs or its objection window is open, while objections of the month in the
/// subtree are pending (issue 19: they would stay undecidable), and when already locked.
pub async fn lock_month(
    store: &dyn Store,
    policies: &Policies,
    first: Date,
    unit: Option<&Unit>,
    actor: (Option<Id>, &str),
) -> Result<u64, RecapFail> {
    let last = first.last_of_month();
    let month = month_key(first);
    lock_window(store, first).await?;
    let pending = pending_objections(store, first, unit).await?;
    if !pending.is_empty() {
        return Err(RecapFail::Pending(pending));
    }
    let now = Timestamp::now();
    let frozen: HashMap<(Id, Id), ()> = store
        .recap_snapshots(&month, unit.map(|u| u.path.as_str()))
        .await?
        .into_iter()
        .map(|s| ((s.employee_id, s.unit_id), ()))
        .collect();
    let units = store.list_units(&Scope::All).await?;
    let by_id: HashMap<Id, Unit> = units.iter().map(|u| (u.id, u.clone())).collect();
    let by_id = &by_id;
    let employees = employees_in(store, unit, first, last).await?;
    let results: Vec<EmployeeOutcome> = futures::stream::iter(employees)
        .map(|e| async move {
            let r = compute_employee(store, policies, by_id, &e, first, last, now).await;
            (e, r)
        })
        .buffered(CONCURRENCY)
        .collect()
        .await;
    let mut snaps = Vec::new();
    for (e, r) in results {
        let Ok(parts) = r? else { continue };
        for c in parts {
            let unit_id = c.row.employee.unit_id;
            if !in_subtree(by_id, unit, unit_id) || frozen.contains_key(&(e.id, unit_id)) {
                continue;
            }
            snaps.push(NewRecapSnapshot {
                employee_id: e.id,
                unit_id,
                data_json: to_json(&c.row)?,
                rules_json: to_json(&c.rules)?,
                inputs_hash: inputs_hash(e.id, &c.records),
            });
        }
    }
    let entity = match unit {
        Some(u) => format!("{month}/{}", u.code),
        None => month.clone(),
    };
    let audit = Audit::new(actor, "recap.lock", "recap", &entity);
    match store.freeze_month(&month, unit.map(|u| u.id), &snaps, audit).await {
        Ok(n) => Ok(n),
        Err(StoreError::Conflict(_)) => {
            Err(RecapFail::Refused("already_locked", format!("Rekap bulan {month} sudah dikunci untuk unit ini.")))
        }
        Err(e) => Err(e.into()),
    }
}

fn to_json<T: Serialize>(v: &T) -> Result<String, StoreError> {
    serde_json::to_string(v).map_err(|err| StoreError::Backend(err.to_string()))
}

/// Reopens a lock (admin, with a reason): the recap is live again; the stored day records of
/// the month are queued for recomputation.
pub async fn reopen_month(
    store: &dyn Store,
    first: Date,
    unit: Option<&Unit>,
    reason: &str,
    actor: (Option<Id>, &str),
) -> Result<u64, RecapFail> {
    let month = month_key(first);
    let reason = reason.trim();
    if reason.chars().count() < 5 {
        return Err(RecapFail::Refused("reason_required", "Alasan membuka kembali rekap wajib diisi.".into()));
    }
    let entity = match unit {
        Some(u) => format!("{month}/{}", u.code),
        None => month.clone(),
    };
    let audit = Audit::new(actor, "recap.reopen", "recap", &entity);
    match store.reopen_month(&month, unit.map(|u| u.id), reason, audit).await {
        Ok(n) => Ok(n),
        Err(StoreError::NotFound(_)) => Err(RecapFail::Refused(
            "not_locked",
            format!("Rekap bulan {month} tidak dikunci untuk unit ini (kunci unit induk dibuka di unit induk)."),
        )),
        Err(e) => Err(e.into()),
    }
}

/// One PNS on the PP 94/2021 ladder.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct DisciplineRow {
    pub employee: RecapEmployee,
    /// TK days this calendar year, per month (`YYYY-MM` → days).
    pub tk_by_month: BTreeMap<String, u32>,
    #[schema(value_type = Object)]
    pub sanction: SanctionStatus,
    /// A step is reached, or the next one is one TK day away (or a run of 8+ consecutive days).
    pub warn: bool,
}

/// Cumulative TK days of the year per PNS (months up to the current one), with the sanction
/// step reached and the next one; locked months count from their frozen figures.
pub async fn discipline(
    store: &dyn Store,
    policies: &Policies,
    regency: &str,
    year: i16,
    unit: Option<&Unit>,
) -> Result<Vec<DisciplineRow>, StoreError> {
    let today = crate::org::today_jakarta();
    let mut per: BTreeMap<Id, DetailRow> = BTreeMap::new();
    for m in 1..=12i8 {
        let Ok(first) = Date::new(year, m, 1) else { continue };
        if first > today {
            break;
        }
        let recap = build_recap(store, policies, regency, first, unit).await?;
        for row in recap.employees {
            if row.employee.category != "PNS" {
                continue;
            }
            let entry = per
                .entry(row.employee.employee_id)
                .or_insert_with(|| (row.employee.clone(), BTreeMap::new(), Vec::new()));
            entry.1.insert(month_key(first), row.recap.days_tk);
            entry.2.extend(row.days);
        }
    }
    let mut out: Vec<DisciplineRow> = per
        .into_values()
        .map(|(employee, tk_by_month, days)| {
            let tk: u32 = tk_by_month.values().sum();
            let run = longest_run(&days);
            let sanction = tk_sanction(tk, run);
            let warn = sanction.current.is_some() || sanction.days_to_next.is_some_and(|d| d <= 1) || run >= 8;
            DisciplineRow { employee, tk_by_month, sanction, warn }
        })
        .collect();
    out.sort_by(|a, b| {
        (b.sanction.tk_days, b.sanction.consecutive_tk_days, &a.employee.name).cmp(&(
            a.sanction.tk_days,
            a.sanction.consecutive_tk_days,
            &b.employee.name,
        ))
    });
    Ok(out)
}

/// The longest run of TK working days over day marks (`hadir_domain::longest_tk_run`'s rule:
/// LIBUR and BELUM_AKTIF neither extend nor break a run).
fn longest_run(days: &[DayMark]) -> u32 {
    let mut sorted: Vec<&DayMark> = days.iter().collect();
    sorted.sort_by_key(|d| d.date);
    let (mut best, mut run) = (0, 0);
    for d in sorted {
        match d.status.as_str() {
            "TK" => {
                run += 1;
                best = best.max(run);
            }
            "LIBUR" | "BELUM_AKTIF" => {}
            _ => run = 0,
        }
    }
    best
}

/// Percent as a spreadsheet fraction (4.5% → 0.045).
pub fn fraction(p: Percent) -> f64 {
    f64::from(p.hundredths()) / 10_000.0
}

#[cfg(test)]
mod tests {
    use super::prorated_tpp;

    #[test]
    fn tpp_is_prorated_by_working_days_to_the_rupiah() {
        // Rp 4.000.000 × 8/21 = Rp 1.523.809,52 → Rp 1.523.810 (half up).
        assert_eq!(prorated_tpp(4_000_000, 8, 21), 1_523_810);
        // Rp 3.000.000 × 2/20 = Rp 300.000 exactly.
        assert_eq!(prorated_tpp(3_000_000, 2, 20), 300_000);
        // A whole month (or nothing to divide by) keeps the base.
        assert_eq!(prorated_tpp(4_000_000, 21, 21), 4_000_000);
        assert_eq!(prorated_tpp(4_000_000, 0, 0), 4_000_000);
        assert_eq!(prorated_tpp(4_000_000, 0, 21), 0);
    }
}
