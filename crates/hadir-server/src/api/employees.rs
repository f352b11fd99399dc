use super::Paging;
use crate::auth::{Caller, password};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::import::{ImportReport, import_employees_csv};
use crate::import_jobs::{self, ImportJobView, Job, JobState, data_lines};
use crate::json::ApiJson;
use crate::org::{EmployeeInput, NO_PASSWORD, check_password, today_jakarta, validate_employee, validate_rule_facts};
use crate::state::AppState;
use axum::Json;
use axum::body::{Body, Bytes};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use hadir_domain::Nip;
use hadir_store::{Audit, Category, Employee, EmployeeFilter, EmployeeUpdate, EndReason, Page, PasswordResetMark};
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use std::time::Duration;
use utoipa::{IntoParams, ToSchema};

#[derive(Serialize, ToSchema)]
pub struct EmployeeView {
    pub id: i64,
    pub nip: Option<String>,
    /// NIP as printed: `19860926 201505 1 001`.
    pub nip_formatted: Option<String>,
    pub login: String,
    pub name: String,
    pub category: String,
    pub unit_code: String,
    pub unit_name: String,
    pub timezone: String,
    pub position: Option<String>,
    pub tpp_base: Option<i64>,
    pub device_pin: Option<String>,
    pub active: bool,
    pub start_date: Option<String>,
    /// The last day employed (`YYYY-MM-DD`), once employment has ended.
    pub end_date: Option<String>,
    /// pensiun, mutasi_keluar, meninggal or berhenti.
    pub end_reason: Option<String>,
    /// What a change just made does to recorded days (only in the answer to a change).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub effect: Option<ChangeEffect>,
    /// Issue 19: TMT service counts from, when set (overrides the NIP's).
    pub service_start: Option<String>,
    /// `L` or `P`, when set (overrides the NIP's gender digit).
    pub gender: Option<String>,
    /// Kelas jabatan 1–17.
    pub grade: Option<i16>,
}

/// What a dated change does (issue 19): from which date it applies and how many recorded days
/// it re-evaluates (only days on or after that date; earlier days never change).
#[derive(Serialize, ToSchema, Clone, Debug)]
pub struct ChangeEffect {
    /// `YYYY-MM-DD`: the first day the change applies to.
    pub applies_from: String,
    /// Days already recorded on or after that date, which are evaluated again (for an end of
    /// employment: removed).
    pub days_reevaluated: u64,
    /// The same in Indonesian, for a confirmation.
    pub message: String,
}

impl EmployeeView {
    pub fn with_effect(mut self, effect: Option<ChangeEffect>) -> Self {
        self.effect = effect;
        self
    }
}

/// Recorded days of these employees from `from` on (what a change from `from` re-evaluates).
pub(crate) async fn recorded_days_from(s: &AppState, ids: &[hadir_store::Id], from: Date) -> ApiResult<u64> {
    let to = crate::days::latest_today();
    if from > to || ids.is_empty() {
        return Ok(0);
    }
    Ok(s.store.day_records_of(ids, from, to).await?.len() as u64)
}

/// 422 `month_locked` when a month from that of `d` up to the current one is locked for the
/// unit at `path` (a change from `d` would re-evaluate its days).
pub(crate) async fn refuse_locked_month(s: &AppState, path: &str, d: Date, field: &'static str) -> ApiResult<()> {
    let last = crate::days::latest_today().first_of_month();
    let mut m = d.first_of_month();
    loop {
        let month = crate::recap::month_key(m);
        if s.store.is_month_locked(&month, path).await? {
            return Err(ApiError::unprocessable(
                "month_locked",
                format!("Rekap bulan {month} sudah dikunci; perubahan tidak dapat berlaku mulai {d}."),
            )
            .with_details(serde_json::json!({"field": field, "month": month})));
        }
        match m.checked_add(jiff::Span::new().months(1)) {
            Ok(n) if n <= last => m = n,
            _ => return Ok(()),
        }
    }
}

/// Today where the employee works: a clerk in WITA or WIT may date a change "today" before
/// Jakarta's midnight, and a WIB employee's change cannot be dated a day that has not begun there.
fn employee_today(e: &Employee) -> Date {
    crate::days::date_in_zone(&e.timezone, jiff::Timestamp::now())
}

/// Parses an optional `YYYY-MM-DD` effective date (default `today`); refuses future dates.
pub(crate) fn effective_date(v: Option<&str>, field: &'static str, today: Date) -> ApiResult<Date> {
    let d = match v.map(str::trim).filter(|v| !v.is_empty()) {
        None => return Ok(today),
        Some(v) => hadir_domain::years::parse_date(v).map_err(|_| {
            ApiError::unprocessable("invalid_date", "Tanggal berlaku harus berformat TTTT-BB-HH, misalnya 2026-01-02.")
                .with_details(serde_json::json!({"field": field}))
        })?,
    };
    if d > today {
        return Err(ApiError::unprocessable(
            "date_in_future",
            format!("Tanggal berlaku {d} belum tiba; isi tanggal hari ini ({today}) atau sebelumnya."),
        )
        .with_details(serde_json::json!({"field": field})));
    }
    Ok(d)
}

impl From<Employee> for EmployeeView {
    fn from(e: Employee) -> Self {
        let nip_formatted = e.nip.as_deref().and_then(|n| Nip::parse(n, today_jakarta()).ok()).map(|n| n.formatted());
        EmployeeView {
            id: e.id,
            nip_formatted,
            nip: e.nip,
            login: e.login,
            name: e.name,
            category: e.category.as_str().into(),
            unit_code: e.unit_code,
            unit_name: e.unit_name,
            timezone: e.timezone,
            position: e.position,
            tpp_base: e.tpp_base,
            device_pin: e.device_pin,
            active: e.active,
            start_date: e.start_date.map(|d| d.to_string()),
            end_date: e.end_date.map(|d| d.to_string()),
            end_reason: e.end_reason.map(|r| r.as_str().to_string()),
            effect: None,
            service_start: e.service_start.map(|d| d.to_string()),
            gender: e.gender,
            grade: e.grade,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct EmployeePage {
    pub items: Vec<EmployeeView>,
    pub total: u64,
    pub offset: u32,
    pub limit: u32,
}

impl From<Page<Employee>> for EmployeePage {
    fn from(p: Page<Employee>) -> Self {
        EmployeePage {
            items: p.items.into_iter().map(Into::into).collect(),
            total: p.total,
            offset: p.offset,
            limit: p.limit,
        }
    }
}

/// Loads an employee by NIP/login and checks the caller may read them.
pub(crate) async fn employee_in_scope(s: &AppState, caller: &Caller, login: &str) -> ApiResult<Employee> {
    let login: String = login.chars().filter(|c| *c != ' ' && *c != '.').collect();
    let e = s.store.employee_by_login(&login).await?;
    if caller.employee_id == Some(e.id) {
        return Ok(e);
    }
    let unit = s.store.unit_by_id(e.unit_id).await?;
    if caller.can_read_unit(&unit.path) {
        Ok(e)
    } else {
        // Outside the caller's scope the employee does not exist.
        Err(ApiError::not_found("Pegawai"))
    }
}

async fn require_manage_unit(s: &AppState, caller: &Caller, unit_code: &str) -> ApiResult<()> {
    let unit = s.store.unit_by_code(unit_code).await.map_err(|_| {
        ApiError::unprocessable("unknown_unit", format!("Unit kerja '{unit_code}' tidak ditemukan."))
            .with_details(serde_json::json!({"field": "unit_code"}))
    })?;
    if caller.can_manage_unit(&unit.path) { Ok(()) } else { Err(ApiError::forbidden()) }
}

/// Only admins change their own employee record, roster, extra locations or device PIN
/// (issue 16): an operator or head never edits what their own pay and attendance rest on.
pub(crate) fn forbid_own_record(caller: &Caller, employee_id: hadir_store::Id) -> ApiResult<()> {
    if !caller.is_admin && caller.employee_id == Some(employee_id) {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "own_record",
            "Anda tidak dapat mengubah data kepegawaian, jadwal, lokasi atau PIN mesin Anda sendiri; mintalah admin BKD.",
        ));
    }
    Ok(())
}

/// TPP base, category and start date decide pay and which months count: admins only (issue 16).
pub(crate) fn admin_only_field(field: &'static str) -> ApiError {
    let label = match field {
        "tpp_base" => "besaran TPP",
        "category" => "kategori pegawai",
        "grade" => "kelas jabatan",
        _ => "tanggal mulai bertugas",
    };
    ApiError::new(StatusCode::FORBIDDEN, "admin_only_field", format!("Hanya admin BKD yang dapat mengubah {label}."))
        .with_details(serde_json::json!({"field": field}))
}

/// Register an employee (admin, or operator of the unit).
#[utoipa::path(post, path = "/api/v1/employees", tag = "employees", request_body = EmployeeInput,
    responses((status = 201, body = EmployeeView), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_employee(
    State(s): State<AppState>,
    caller: Caller,
    ApiJson(input): ApiJson<EmployeeInput>,
) -> ApiResult<(StatusCode, Json<EmployeeView>)> {
    caller.require_staff()?;
    let mut ne = validate_employee(&input, today_jakarta())?;
    // Without a start date the employment starts today, never earlier (no TK before it).
    ne.start_date.get_or_insert_with(today_jakarta);
    require_manage_unit(&s, &caller, &ne.unit_code).await?;
    // An operator registers a new person (category and start date included), but the TPP base
    // is set by an admin.
    if !caller.is_admin && ne.tpp_base.is_some() {
        return Err(admin_only_field("tpp_base"));
    }
    let facts =
        validate_rule_facts(input.service_start.as_deref(), input.gender.as_deref(), input.grade, today_jakarta())?;
    if !caller.is_admin && facts.grade.is_some() {
        return Err(admin_only_field("grade"));
    }
    ne.password_hash = match input.password.as_deref().filter(|p| !p.is_empty()) {
        Some(p) => {
            check_password(p)?;
            password::hash(p.to_string()).await
        }
        None => NO_PASSWORD.to_string(),
    };
    let audit = Audit::new(caller.actor(), "create", "employee", &ne.login);
    let mut e = s.store.create_employee(&ne, audit).await?;
    if !facts.is_empty() {
        // The store's create keeps its shape (the demo and tools build it); issue 19's facts
        // follow as an audited update of the new record.
        let audit = Audit::new(caller.actor(), "update", "employee", &e.login);
        e = s.store.update_employee(e.id, &facts.update(), audit).await?;
    }
    crate::iclock::punches::match_pin_and_recompute(&s, &e).await;
    Ok((StatusCode::CREATED, Json(e.into())))
}

#[derive(Deserialize, IntoParams)]
pub struct EmployeeQuery {
    /// Unit code: that unit and its sub-units.
    pub unit: Option<String>,
    /// Search in name, NIP or login.
    pub q: Option<String>,
    /// PNS, PPPK or HONORER.
    pub category: Option<String>,
    pub active: Option<bool>,
    pub offset: Option<u32>,
    pub limit: Option<u32>,
}

/// Employees in the caller's scope, filtered and paged.
#[utoipa::path(get, path = "/api/v1/employees", tag = "employees", params(EmployeeQuery),
    responses((status = 200, body = EmployeePage)))]
pub async fn list_employees(
    State(s): State<AppState>,
    caller: Caller,
    Query(q): Query<EmployeeQuery>,
) -> ApiResult<Json<EmployeePage>> {
    let paging = Paging { offset: q.offset, limit: q.limit };
    let category = match q.category.as_deref() {
        Some(c) => Some(
            Category::parse(c)
                .ok_or_else(|| ApiError::bad_request("invalid_category", "Kategori harus PNS, PPPK atau HONORER."))?,
        ),
        None => None,
    };
    let f = EmployeeFilter {
        unit_code: q.unit.filter(|u| !u.is_empty()),
        q: q.q.filter(|v| !v.trim().is_empty()),
        category,
        active: q.active,
        offset: paging.offset(),
        limit: paging.limit(),
    };
    let page = match s.store.list_employees(&caller.read_scope(), &f).await {
        Err(hadir_store::StoreError::NotFound(_)) => Page { items: vec![], total: 0, offset: f.offset, limit: f.limit },
        r => r?,
    };
    Ok(Json(page.into()))
}

/// One employee by NIP (or honorer login).
#[utoipa::path(get, path = "/api/v1/employees/{nip}", tag = "employees", params(("nip" = String, Path)),
    responses((status = 200, body = EmployeeView), (status = 404, body = ErrorBody)))]
pub async fn get_employee(
    State(s): State<AppState>,
    caller: Caller,
    Path(nip): Path<String>,
) -> ApiResult<Json<EmployeeView>> {
    Ok(Json(employee_in_scope(&s, &caller, &nip).await?.into()))
}

#[derive(Deserialize, ToSchema, Default)]
pub struct EmployeePatch {
    pub name: Option<String>,
    pub unit_code: Option<String>,
    pub category: Option<String>,
    pub position: Option<String>,
    pub tpp_base: Option<i64>,
    /// Empty string clears the PIN.
    pub device_pin: Option<String>,
    pub start_date: Option<String>,
    /// `false` ends employment today (reason berhenti; use `POST …/deactivate` for another date
    /// or reason); `true` employs again (clears the end).
    pub active: Option<bool>,
    /// With `unit_code`: the date the transfer takes effect (`YYYY-MM-DD`, default today, not in
    /// the future nor in a locked month). Days before it keep the old unit.
    pub unit_from: Option<String>,
    /// Issue 19: TMT service counts from (empty string clears).
    #[serde(default)]
    pub service_start: Option<String>,
    /// `L` or `P` (empty string clears).
    #[serde(default)]
    pub gender: Option<String>,
    /// Kelas jabatan 1–17 (0 clears; admins only).
    #[serde(default)]
    pub grade: Option<i16>,
}

/// Change an employee (operator of their unit, and of the target unit when moving them).
#[utoipa::path(patch, path = "/api/v1/employees/{nip}", tag = "employees", params(("nip" = String, Path)), request_body = EmployeePatch,
    responses((status = 200, body = EmployeeView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update_employee(
    State(s): State<AppState>,
    caller: Caller,
    Path(nip): Path<String>,
    ApiJson(p): ApiJson<EmployeePatch>,
) -> ApiResult<Json<EmployeeView>> {
    let e = employee_in_scope(&s, &caller, &nip).await?;
    forbid_own_record(&caller, e.id)?;
    require_manage_unit(&s, &caller, &e.unit_code).await?;
    if let Some(u) = &p.unit_code {
        require_manage_unit(&s, &caller, u).await?;
    }
    // Reuse the creation rules for the fields being changed.
    let merged = EmployeeInput {
        nip: e.nip.clone(),
        login: Some(e.login.clone()),
        name: p.name.clone().unwrap_or(e.name.clone()),
        category: p.category.clone().unwrap_or(e.category.as_str().into()),
        unit_code: p.unit_code.clone().unwrap_or(e.unit_code.clone()),
        password: None,
        device_pin: p.device_pin.clone().or(e.device_pin.clone()),
        start_date: p.start_date.clone().or(e.start_date.map(|d| d.to_string())),
        position: p.position.clone().or(e.position.clone()),
        tpp_base: p.tpp_base.or(e.tpp_base),
        service_start: None,
        gender: None,
        grade: None,
    };
    let facts = validate_rule_facts(p.service_start.as_deref(), p.gender.as_deref(), p.grade, today_jakarta())?;
    if !caller.is_admin && facts.grade.is_some_and(|g| g != e.grade) {
        return Err(admin_only_field("grade"));
    }
    if !caller.is_admin {
        // Checked before validation, so a refused field is refused whatever its value; sending
        // the stored value again is not a change.
        if p.tpp_base.is_some() && p.tpp_base != e.tpp_base {
            return Err(admin_only_field("tpp_base"));
        }
        if let Some(c) = &p.category
            && Category::parse(c.trim()) != Some(e.category)
        {
            return Err(admin_only_field("category"));
        }
        if let Some(d) = &p.start_date {
            let d = d.trim();
            let same =
                if d.is_empty() { e.start_date.is_none() } else { d.parse::<jiff::civil::Date>().ok() == e.start_date };
            if !same {
                return Err(admin_only_field("start_date"));
            }
        }
    }
    let v = validate_employee(&merged, today_jakarta())?;
    let today = employee_today(&e);
    let moving = p.unit_code.as_ref().is_some_and(|_| v.unit_code != e.unit_code);
    let unit_from = if moving {
        let from = effective_date(p.unit_from.as_deref(), "unit_from", today)?;
        let old = s.store.unit_by_id(e.unit_id).await?;
        refuse_locked_month(&s, &old.path, from, "unit_from").await?;
        let new = s.store.unit_by_code(&v.unit_code).await?;
        refuse_locked_month(&s, &new.path, from, "unit_from").await?;
        Some(from)
    } else {
        None
    };
    let end = match p.active {
        Some(false) if e.active => Some(Some((today, EndReason::Berhenti))),
        _ => None,
    };
    let effect = match unit_from {
        Some(from) => {
            let n = recorded_days_from(&s, &[e.id], from).await?;
            Some(ChangeEffect {
                applies_from: from.to_string(),
                days_reevaluated: n,
                message: format!(
                    "Pindah ke {} berlaku mulai {from}; {n} hari yang sudah tercatat sejak tanggal itu dihitung ulang. \
                     Hari sebelumnya tetap di unit lama.",
                    v.unit_code
                ),
            })
        }
        None => None,
    };
    let u = EmployeeUpdate {
        name: p.name.as_ref().map(|_| v.name.clone()),
        unit_code: p.unit_code.as_ref().map(|_| v.unit_code.clone()),
        position: p.position.as_ref().map(|_| v.position.clone()),
        tpp_base: p.tpp_base.map(|_| v.tpp_base),
        device_pin: p.device_pin.as_ref().map(|_| v.device_pin.clone()),
        start_date: p.start_date.as_ref().map(|_| v.start_date),
        active: p.active,
        category: p.category.as_ref().map(|_| v.category),
        unit_from,
        end,
        service_start: facts.service_start,
        gender: facts.gender,
        grade: facts.grade,
    };
    let audit = Audit::new(caller.actor(), "update", "employee", &e.login);
    let updated = s.store.update_employee(e.id, &u, audit).await?;
    if p.device_pin.is_some() {
        crate::iclock::punches::match_pin_and_recompute(&s, &updated).await;
    }
    s.forget_account(e.account_id);
    if unit_from.is_some() || p.device_pin.is_some() || p.active.is_some() || end.is_some() {
        // The terminals holding the employee's templates follow the change (issue 25).
        crate::templates::follow_in_background(&s, e.id);
    }
    if let Some(from) = unit_from {
        // Another unit (calendar, holidays, zone) from a date: only days from then on change.
        let target = hadir_store::RecomputeTarget::Employees(vec![e.id]);
        s.recompute.enqueue_in_background(target, from, crate::days::latest_today());
    }
    if p.start_date.is_some() || p.active.is_some() {
        // Another start date, or employed again: the open days change.
        let from = crate::days::policy_recompute_from(jiff::civil::Date::MIN);
        let target = hadir_store::RecomputeTarget::Employees(vec![e.id]);
        s.recompute.enqueue_in_background(target, from, crate::days::latest_today());
    }
    Ok(Json(EmployeeView::from(updated).with_effect(effect)))
}

/// The end of employment (`POST …/deactivate`); both fields optional.
#[derive(Deserialize, ToSchema, Default)]
pub struct EndInput {
    /// The last day employed (`YYYY-MM-DD`, default today; not in the future nor before the
    /// start; the days after it must not be in a locked month).
    pub end_date: Option<String>,
    /// pensiun, mutasi_keluar, meninggal or berhenti (default).
    pub end_reason: Option<String>,
}

/// End an employee's employment on a date with a reason (deactivation): they can no longer log
/// in or punch; they have no days after the end and stay in every recap before it.
#[utoipa::path(post, path = "/api/v1/employees/{nip}/deactivate", tag = "employees", params(("nip" = String, Path)),
    request_body(content = Option<EndInput>, description = "Optional: without a body, today and `berhenti`."),
    responses((status = 200, body = EmployeeView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn deactivate_employee(
    State(s): State<AppState>,
    caller: Caller,
    Path(nip): Path<String>,
    body: Bytes,
) -> ApiResult<Json<EmployeeView>> {
    let input: EndInput = if body.iter().all(u8::is_ascii_whitespace) {
        EndInput::default()
    } else {
        serde_json::from_slice(&body).map_err(|_| {
            ApiError::unprocessable(
                "invalid_body",
                "Isi permintaan harus JSON: {\"end_date\": \"TTTT-BB-HH\", \"end_reason\": \"pensiun\"}.",
            )
        })?
    };
    end_employment(&s, caller, &nip, &input).await.map(Json)
}

/// Ends employment (the API's deactivate and the console's form).
pub async fn end_employment(s: &AppState, caller: Caller, nip: &str, input: &EndInput) -> ApiResult<EmployeeView> {
    let e = employee_in_scope(s, &caller, nip).await?;
    forbid_own_record(&caller, e.id)?;
    require_manage_unit(s, &caller, &e.unit_code).await?;
    let today = employee_today(&e);
    let end = effective_date(input.end_date.as_deref(), "end_date", today)?;
    let reason = match input.end_reason.as_deref().map(str::trim).filter(|r| !r.is_empty()) {
        None => EndReason::Berhenti,
        Some(r) => EndReason::parse(r).ok_or_else(|| {
            ApiError::unprocessable(
                "invalid_end_reason",
                "Alasan berhenti harus salah satu: pensiun, mutasi_keluar, meninggal, berhenti.",
            )
            .with_details(serde_json::json!({"field": "end_reason"}))
        })?,
    };
    if let Some(start) = e.start_date
        && end < start
    {
        return Err(ApiError::unprocessable(
            "end_before_start",
            format!("Tanggal berhenti {end} sebelum tanggal mulai bekerja {start}."),
        )
        .with_details(serde_json::json!({"field": "end_date"})));
    }
    let first_gone = end.tomorrow().unwrap_or(end);
    let unit = s.store.unit_by_id(e.unit_id).await?;
    refuse_locked_month(s, &unit.path, first_gone, "end_date").await?;
    let removed = recorded_days_from(s, &[e.id], first_gone).await?;
    let audit = Audit::new(caller.actor(), "deactivate", "employee", &e.login);
    let u = EmployeeUpdate { end: Some(Some((end, reason))), ..Default::default() };
    let updated = s.store.update_employee(e.id, &u, audit).await?;
    s.forget_account(e.account_id);
    let effect = ChangeEffect {
        applies_from: first_gone.to_string(),
        days_reevaluated: removed,
        message: format!(
            "Berhenti bekerja ({}) sejak {first_gone}: hari terakhir {end}; {removed} hari yang sudah tercatat sesudahnya \
             dihapus. Hari sebelumnya tetap dalam rekap.",
            reason.label()
        ),
    };
    Ok(EmployeeView::from(updated).with_effect(Some(effect)))
}

#[derive(Deserialize, ToSchema)]
pub struct PasswordReset {
    pub password: String,
}

/// Reset another person's password (operator of their unit for accounts holding no role;
/// admin for anyone). The owner is shown who reset it at their next login. One's own password is
/// changed with the current one at `POST /api/v1/me/password`, never here.
#[utoipa::path(post, path = "/api/v1/employees/{nip}/password", tag = "employees", params(("nip" = String, Path)), request_body = PasswordReset,
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn reset_password(
    State(s): State<AppState>,
    caller: Caller,
    Path(nip): Path<String>,
    ApiJson(p): ApiJson<PasswordReset>,
) -> ApiResult<StatusCode> {
    let e = employee_in_scope(&s, &caller, &nip).await?;
    if caller.employee_id == Some(e.id) {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "own_password",
            "Kata sandi Anda sendiri diganti lewat menu ganti kata sandi, dengan kata sandi lama.",
        ));
    }
    require_manage_unit(&s, &caller, &e.unit_code).await?;
    if !caller.is_admin {
        let target = s.store.account_by_id(e.account_id).await?;
        if target.is_admin || !s.store.roles_of(e.account_id).await?.is_empty() {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "role_holder",
                "Kata sandi pemegang peran (kepala unit, operator, admin) hanya dapat diatur ulang oleh admin BKD.",
            ));
        }
    }
    check_password(&p.password)?;
    let hash = password::hash(p.password).await;
    let mark = PasswordResetMark {
        at: jiff::Timestamp::now(),
        by_account_id: caller.account_id,
        by_name: caller.name.clone(),
    };
    let audit = Audit::new(caller.actor(), "reset_password", "employee", &e.login);
    s.store.set_password(e.account_id, &hash, Some(&mark), audit).await?;
    s.forget_account(e.account_id);
    Ok(StatusCode::NO_CONTENT)
}

/// Import employees from CSV (header: `nip,login,name,category,unit_code,password,device_pin,start_date,position,tpp_base`).
/// Good lines are imported; each bad line is reported with its line number, field and reason;
/// a line whose employee is already registered the same way is left unchanged, so sending the
/// same file again changes nothing. The import runs as a background job: the answer is the
/// report (200) when it finishes within a few seconds, otherwise the job's progress (202), to
/// be read at `GET /api/v1/imports/{id}` until it is done.
#[utoipa::path(post, path = "/api/v1/employees/import", tag = "employees", request_body(content = String, content_type = "text/csv"),
    responses((status = 200, body = ImportReport), (status = 202, body = ImportJobView), (status = 400, body = ErrorBody),
        (status = 413, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn import_employees(State(s): State<AppState>, caller: Caller, body: Body) -> ApiResult<Response> {
    caller.require_staff()?;
    let data = read_import_file(body, s.config.import.max_bytes).await?;
    let job = start_employee_import(&s, &caller, data)?;
    job.wait(Duration::from_millis(s.config.import.answer_within_ms)).await;
    match job.state() {
        JobState::Done(report) => Ok(Json(report).into_response()),
        JobState::Failed(e) => Err(e),
        JobState::Running => Ok((StatusCode::ACCEPTED, Json(job.view())).into_response()),
    }
}

/// Progress and, once done, the per-line report of an import started by the caller (admins:
/// any import).
#[utoipa::path(get, path = "/api/v1/imports/{id}", tag = "employees", params(("id" = String, Path)),
    responses((status = 200, body = ImportJobView), (status = 404, body = ErrorBody)))]
pub async fn import_status(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<ImportJobView>> {
    Ok(Json(import_job_of(&s, &caller, &id)?.view()))
}

/// The job `id` if the caller may read it; someone else's job is "not found".
pub fn import_job_of(s: &AppState, caller: &Caller, id: &str) -> ApiResult<Arc<Job>> {
    caller.require_staff()?;
    s.imports
        .get(id)
        .filter(|j| caller.is_admin || j.owner == caller.account_id)
        .ok_or_else(|| ApiError::not_found("Impor"))
}

/// Reads an import file up to `max_bytes` (the import's own limit, larger than other bodies).
pub async fn read_import_file(body: Body, max_bytes: usize) -> ApiResult<Bytes> {
    axum::body::to_bytes(body, max_bytes).await.map_err(|_| too_large(max_bytes))
}

pub fn too_large(max_bytes: usize) -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "file_too_large",
        format!(
            "Berkas impor terlalu besar (paling besar {} MB); bagi menjadi beberapa berkas.",
            max_bytes / (1024 * 1024)
        ),
    )
}

/// Starts the import of `data` as a background job of the caller (shared by the console).
pub fn start_employee_import(s: &AppState, caller: &Caller, data: Bytes) -> ApiResult<Arc<Job>> {
    let total = data_lines(&data);
    if total > s.config.import.max_lines {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_many_lines",
            format!(
                "Berkas berisi {total} baris; paling banyak {} baris sekali impor. Bagi menjadi beberapa berkas.",
                s.config.import.max_lines
            ),
        ));
    }
    let store = s.store.clone();
    let c = caller.clone();
    let file = data.clone();
    s.imports.start(caller.account_id, &file, total, move |job| {
        let progress = import_jobs::progress(&job);
        async move {
            let scope = c.clone();
            import_employees_csv(
                store.as_ref(),
                &data,
                c.actor(),
                move |unit_path: &str| scope.can_manage_unit(unit_path),
                c.is_admin,
                progress,
            )
            .await
        }
    })
}

#[derive(Deserialize, ToSchema)]
pub struct LocationAssignment {
    /// A location id from `GET /api/v1/units` (any unit's office).
    pub location_id: i64,
    /// `false` removes the assignment (default `true`).
    #[serde(default = "yes")]
    pub assign: bool,
}

fn yes() -> bool {
    true
}

/// Extra check-in locations of an employee, besides their unit's own.
#[utoipa::path(get, path = "/api/v1/employees/{nip}/locations", tag = "employees", params(("nip" = String, Path)),
    responses((status = 200, body = Vec<crate::api::units::LocationView>), (status = 404, body = ErrorBody)))]
pub async fn employee_locations(
    State(s): State<AppState>,
    caller: Caller,
    Path(nip): Path<String>,
) -> ApiResult<Json<Vec<crate::api::units::LocationView>>> {
    let e = employee_in_scope(&s, &caller, &nip).await?;
    let locs = s.store.employee_locations(e.id).await?;
    Ok(Json(locs.into_iter().map(crate::api::units::LocationView::from).collect()))
}

/// Assign (or remove) an extra check-in location, e.g. a teacher who also serves another school
/// (operator of the employee's unit who can see the location's unit, or admin).
#[utoipa::path(post, path = "/api/v1/employees/{nip}/locations", tag = "employees", params(("nip" = String, Path)), request_body = LocationAssignment,
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn assign_location(
    State(s): State<AppState>,
    caller: Caller,
    Path(nip): Path<String>,
    ApiJson(a): ApiJson<LocationAssignment>,
) -> ApiResult<StatusCode> {
    let e = employee_in_scope(&s, &caller, &nip).await?;
    forbid_own_record(&caller, e.id)?;
    require_manage_unit(&s, &caller, &e.unit_code).await?;
    let units = s.store.list_units(&hadir_store::Scope::All).await?;
    let owner = units
        .iter()
        .find(|u| u.locations.iter().any(|l| l.id == a.location_id))
        .ok_or_else(|| ApiError::not_found("Lokasi"))?;
    if !caller.can_read_unit(&owner.path) {
        return Err(ApiError::not_found("Lokasi"));
    }
    let audit =
        Audit::new(caller.actor(), if a.assign { "assign_location" } else { "remove_location" }, "employee", &e.login)
            .after(serde_json::json!({"location_id": a.location_id, "unit": owner.code}));
    s.store.set_employee_location(e.id, a.location_id, a.assign, audit).await?;
    s.caches.extra_locations.remove_where(|k, _| *k == e.id);
    Ok(StatusCode::NO_CONTENT)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// At 16:30 UTC it is already tomorrow in WITA and WIT but still today in WIB: a change to
    /// a WITA employee may be dated the WITA day, a WIB employee's may not.
    #[test]
    fn an_employees_today_is_the_date_where_they_work() {
        let at = |s: &str| s.parse::<jiff::Timestamp>().unwrap();
        let d = |s: &str| s.parse::<Date>().unwrap();
        let cases = [
            ("Asia/Jakarta", "2026-12-07T16:30:00Z", "2026-12-07"),
            ("Asia/Makassar", "2026-12-07T16:30:00Z", "2026-12-08"),
            ("Asia/Jayapura", "2026-12-07T15:30:00Z", "2026-12-08"),
            ("Asia/Makassar", "2026-12-07T15:30:00Z", "2026-12-07"),
            ("Asia/Jakarta", "2026-12-07T17:00:00Z", "2026-12-08"),
        ];
        for (zone, now, want) in cases {
            let today = crate::days::date_in_zone(zone, at(now));
            assert_eq!(today, d(want), "{zone} at {now}");
            assert!(effective_date(Some(want), "end_date", today).is_ok(), "{zone} at {now}");
            let next = today.tomorrow().unwrap().to_string();
            assert!(effective_date(Some(&next), "end_date", today).is_err(), "{zone} at {now}");
        }
    }
}
