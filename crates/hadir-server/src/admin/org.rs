//! Employees: search and filters, create, edit, deactivate, reset password, CSV import with the
//! per-line report. Every change is the API's handler (validation, scope, audit).

use super::{CResult, Console, Nav, html};
use crate::api::employees::{EmployeePatch, EmployeeQuery, EmployeeView, PasswordReset};
use crate::import::ImportReport;
use crate::import_jobs::{Job, JobState};
use crate::json::ApiJson;
use crate::org::EmployeeInput;
use crate::state::AppState;
use askama::Template;
use axum::Form;
use axum::extract::{Multipart, Path, Query, State};
use serde::Deserialize;
use std::time::Duration;

#[derive(Deserialize, Default)]
pub struct EmployeesQuery {
    pub q: Option<String>,
    pub unit: Option<String>,
    pub category: Option<String>,
    pub status: Option<String>,
    pub offset: Option<u32>,
}

#[derive(Template)]
#[template(path = "admin/employees.html")]
struct EmployeesPage {
    nav: Nav,
    q: String,
    unit: String,
    category: String,
    status: String,
    units: Vec<(String, String)>,
    manage_units: Vec<(String, String)>,
    items: Vec<EmployeeView>,
    total: u64,
    next: Option<u32>,
    prev: Option<u32>,
}

impl EmployeesPage {
    fn rp(&self, v: &i64) -> String {
        super::rupiah(*v)
    }
}

#[derive(Template)]
#[template(path = "admin/employee_edit.html")]
struct EmployeePage {
    nav: Nav,
    e: EmployeeView,
    manage_units: Vec<(String, String)>,
    /// The caller may change this employee (their unit is in the caller's managed units).
    can_manage: bool,
    /// "Wajah acuan" (issue 23).
    face: super::faces::FaceSection,
}

impl EmployeePage {
    fn rp(&self, v: &i64) -> String {
        super::rupiah(*v)
    }
    /// The end reason in words (`mutasi_keluar` → "mutasi keluar").
    fn reason(&self, r: &str) -> String {
        hadir_store::EndReason::parse(r).map(|x| x.label().to_string()).unwrap_or_else(|| r.to_string())
    }
    /// The amount with thousands dots, for the input (the form accepts them back).
    fn digits(&self, v: &i64) -> String {
        super::rupiah(*v).replacen("Rp ", "", 1)
    }
}

/// `GET /admin/employees/{login}`: one employee's page with the edit form (the API's view,
/// same scope).
pub async fn employee(State(s): State<AppState>, Console(c): Console, Path(login): Path<String>) -> CResult {
    let axum::Json(e) = crate::api::employees::get_employee(State(s.clone()), c.clone(), Path(login)).await?;
    let manage_units: Vec<(String, String)> =
        super::manageable_units(&s, &c).await?.into_iter().map(|u| (u.code, u.name)).collect();
    let can_manage = manage_units.iter().any(|(code, _)| *code == e.unit_code);
    let face = super::faces::section(&s, &c, &s.store.employee_by_id(e.id).await?).await?;
    Ok(html(&EmployeePage { nav: Nav::new(&s, &c, "employees"), e, manage_units, can_manage, face }))
}

const PAGE: u32 = 50;

/// `GET /admin/employees`: the API's list with its filters.
pub async fn employees(State(s): State<AppState>, Console(c): Console, Query(q): Query<EmployeesQuery>) -> CResult {
    let status = q.status.clone().unwrap_or_else(|| "active".into());
    let eq = EmployeeQuery {
        unit: q.unit.clone().filter(|u| !u.is_empty()),
        q: q.q.clone(),
        category: q.category.clone().filter(|u| !u.is_empty()),
        active: match status.as_str() {
            "active" => Some(true),
            "inactive" => Some(false),
            _ => None,
        },
        offset: q.offset,
        limit: Some(PAGE),
    };
    let axum::Json(page) = crate::api::employees::list_employees(State(s.clone()), c.clone(), Query(eq)).await?;
    let units = super::readable_units(&s, &c).await?.into_iter().map(|u| (u.code, u.name)).collect();
    let manage_units = super::manageable_units(&s, &c).await?.into_iter().map(|u| (u.code, u.name)).collect();
    let offset = page.offset;
    Ok(html(&EmployeesPage {
        nav: Nav::new(&s, &c, "employees"),
        q: q.q.unwrap_or_default(),
        unit: q.unit.unwrap_or_default(),
        category: q.category.unwrap_or_default(),
        status,
        units,
        manage_units,
        next: (u64::from(offset + PAGE) < page.total).then_some(offset + PAGE),
        prev: (offset > 0).then(|| offset.saturating_sub(PAGE)),
        total: page.total,
        items: page.items,
    }))
}

fn opt(s: Option<String>) -> Option<String> {
    s.map(|v| v.trim().to_string()).filter(|v| !v.is_empty())
}

#[derive(Deserialize)]
pub struct NewEmployeeForm {
    pub nip: Option<String>,
    pub login: Option<String>,
    pub name: String,
    pub category: String,
    pub unit_code: String,
    pub password: Option<String>,
    pub device_pin: Option<String>,
    pub start_date: Option<String>,
    pub position: Option<String>,
    #[serde(default)]
    pub service_start: Option<String>,
    #[serde(default)]
    pub gender: Option<String>,
    #[serde(default)]
    pub grade: Option<String>,
}

/// `POST /admin/employees`: the API's create.
pub async fn create_employee(
    State(s): State<AppState>,
    Console(c): Console,
    Form(f): Form<NewEmployeeForm>,
) -> CResult {
    let input = EmployeeInput {
        nip: opt(f.nip),
        login: opt(f.login),
        name: f.name,
        category: f.category,
        unit_code: f.unit_code,
        password: opt(f.password),
        device_pin: opt(f.device_pin),
        start_date: opt(f.start_date),
        position: opt(f.position),
        tpp_base: None,
        service_start: opt(f.service_start),
        gender: opt(f.gender),
        grade: opt(f.grade).and_then(|g| g.parse().ok()),
    };
    let (_, axum::Json(e)) = crate::api::employees::create_employee(State(s), c, ApiJson(input)).await?;
    Ok(super::notice(format!("Pegawai {} ({}) terdaftar di {}.", e.name, e.login, e.unit_name)))
}

#[derive(Deserialize)]
pub struct EditForm {
    pub name: Option<String>,
    pub unit_code: Option<String>,
    pub category: Option<String>,
    pub position: Option<String>,
    pub tpp_base: Option<String>,
    pub device_pin: Option<String>,
    pub start_date: Option<String>,
    pub active: Option<String>,
    /// When the unit changes: from which date (empty: today).
    pub unit_from: Option<String>,
    #[serde(default)]
    pub service_start: Option<String>,
    #[serde(default)]
    pub gender: Option<String>,
    #[serde(default)]
    pub grade: Option<String>,
}

/// The fields of the form that differ from the employee as stored: a patch with only those, so
/// an unchanged field is neither revalidated nor audited as a change.
pub fn patch_from(cur: &EmployeeView, f: EditForm) -> Result<EmployeePatch, crate::error::ApiError> {
    fn changed(new: Option<String>, old: Option<&str>) -> Option<String> {
        let new = new.map(|v| v.trim().to_string())?;
        (new != old.unwrap_or("")).then_some(new)
    }
    let tpp_base = match f.tpp_base.map(|v| v.trim().replace(['.', ','], "")).filter(|v| !v.is_empty()) {
        Some(v) => Some(v.parse::<i64>().map_err(|_| {
            crate::error::ApiError::unprocessable("invalid_tpp_base", "TPP dasar harus berupa angka rupiah.")
        })?)
        .filter(|t| Some(*t) != cur.tpp_base),
        None => None,
    };
    Ok(EmployeePatch {
        name: changed(f.name, Some(&cur.name)).filter(|v| !v.is_empty()),
        unit_code: changed(f.unit_code, Some(&cur.unit_code)).filter(|v| !v.is_empty()),
        category: changed(f.category, Some(&cur.category)).filter(|v| !v.is_empty()),
        position: changed(f.position, cur.position.as_deref()),
        tpp_base,
        device_pin: changed(f.device_pin, cur.device_pin.as_deref()),
        start_date: changed(f.start_date, cur.start_date.as_deref()).filter(|v| !v.is_empty()),
        active: f.active.map(|a| a == "true").filter(|a| *a != cur.active),
        unit_from: f.unit_from.map(|v| v.trim().to_string()).filter(|v| !v.is_empty()),
        service_start: changed(f.service_start, cur.service_start.as_deref()),
        gender: changed(f.gender, cur.gender.as_deref()),
        grade: match f.grade.map(|g| g.trim().to_string()) {
            None => None,
            Some(g) if g.is_empty() => cur.grade.map(|_| 0),
            Some(g) => Some(g.parse::<i16>().map_err(|_| {
                crate::error::ApiError::unprocessable("invalid_grade", "Kelas jabatan harus 1 sampai 17.")
            })?)
            .filter(|g| Some(*g) != cur.grade),
        },
    })
}

/// `POST /admin/employees/{login}/edit`: the API's update with the changed fields.
pub async fn edit(
    State(s): State<AppState>,
    Console(c): Console,
    Path(login): Path<String>,
    Form(f): Form<EditForm>,
) -> CResult {
    let axum::Json(cur) = crate::api::employees::get_employee(State(s.clone()), c.clone(), Path(login.clone())).await?;
    let patch = patch_from(&cur, f)?;
    let changes = [
        patch.name.is_some(),
        patch.unit_code.is_some(),
        patch.category.is_some(),
        patch.position.is_some(),
        patch.tpp_base.is_some(),
        patch.device_pin.is_some(),
        patch.start_date.is_some(),
        patch.active.is_some(),
        patch.service_start.is_some(),
        patch.gender.is_some(),
        patch.grade.is_some(),
    ]
    .into_iter()
    .filter(|x| *x)
    .count();
    if changes == 0 {
        return Ok(super::notice(format!("Tidak ada perubahan untuk {} ({}).", cur.name, cur.login)));
    }
    let axum::Json(e) = crate::api::employees::update_employee(State(s), c, Path(login), ApiJson(patch)).await?;
    let effect = e.effect.as_ref().map(|x| format!(" {}", x.message)).unwrap_or_default();
    Ok(super::notice(format!("Data {} ({}) disimpan: {changes} kolom diubah.{effect}", e.name, e.login)))
}

#[derive(Deserialize, Default)]
pub struct EndForm {
    pub end_date: Option<String>,
    pub end_reason: Option<String>,
}

/// `POST /admin/employees/{login}/deactivate`: end of employment on a date with a reason.
pub async fn deactivate(
    State(s): State<AppState>,
    Console(c): Console,
    Path(login): Path<String>,
    Form(f): Form<EndForm>,
) -> CResult {
    let input = crate::api::employees::EndInput { end_date: f.end_date, end_reason: f.end_reason };
    let e = crate::api::employees::end_employment(&s, c, &login, &input).await?;
    let effect = e.effect.as_ref().map(|x| format!(" {}", x.message)).unwrap_or_default();
    Ok(super::notice(format!("{} ({}) dinonaktifkan.{effect}", e.name, e.login)))
}

#[derive(Deserialize)]
pub struct PasswordForm {
    pub password: String,
}

/// `POST /admin/employees/{login}/password`.
pub async fn reset_password(
    State(s): State<AppState>,
    Console(c): Console,
    Path(login): Path<String>,
    Form(f): Form<PasswordForm>,
) -> CResult {
    crate::api::employees::reset_password(
        State(s),
        c,
        Path(login.clone()),
        ApiJson(PasswordReset { password: f.password }),
    )
    .await?;
    Ok(super::notice(format!("Kata sandi {login} diganti.")))
}

#[derive(Template)]
#[template(path = "admin/import_report.html")]
struct ImportResult {
    r: ImportReport,
}

/// A running import: the fragment polls itself until the report replaces it.
#[derive(Template)]
#[template(path = "admin/import_progress.html")]
struct ImportProgress {
    id: String,
    done: u64,
    total: u64,
    percent: u64,
}

/// The report when the job is done, else its progress.
fn import_fragment(job: &Job) -> CResult {
    match job.state() {
        JobState::Done(r) => Ok(html(&ImportResult { r })),
        JobState::Failed(e) => Err(e.into()),
        JobState::Running => {
            let (done, total) = (job.done(), job.total);
            let percent = (done * 100).checked_div(total).unwrap_or(0);
            Ok(html(&ImportProgress { id: job.id.clone(), done, total, percent }))
        }
    }
}

/// `POST /admin/employees/import` (multipart, field `file`): starts the API's import job and
/// shows its report, or its progress while it runs.
pub async fn import(State(s): State<AppState>, Console(c): Console, mut m: Multipart) -> CResult {
    let max = s.config.import.max_bytes;
    let unreadable = || crate::error::ApiError::bad_request("bad_upload", "Berkas tidak terbaca; coba unggah lagi.");
    let mut body = None;
    while let Ok(Some(mut field)) = m.next_field().await {
        if field.name() == Some("file") {
            let mut buf = Vec::new();
            while let Some(chunk) = field.chunk().await.map_err(|_| unreadable())? {
                if buf.len() + chunk.len() > max {
                    return Err(crate::api::employees::too_large(max).into());
                }
                buf.extend_from_slice(&chunk);
            }
            body = Some(axum::body::Bytes::from(buf));
        }
    }
    let body = body.filter(|b| b.iter().any(|c| !c.is_ascii_whitespace())).ok_or_else(|| {
        crate::error::ApiError::unprocessable("file_required", "Pilih berkas CSV pegawai terlebih dahulu.")
    })?;
    c.require_staff()?;
    let job = crate::api::employees::start_employee_import(&s, &c, body)?;
    job.wait(Duration::from_millis(s.config.import.answer_within_ms.min(3_000))).await;
    import_fragment(&job)
}

/// `GET /admin/employees/import/{id}`: the running import's progress, or its report.
pub async fn import_status(State(s): State<AppState>, Console(c): Console, Path(id): Path<String>) -> CResult {
    let job = crate::api::employees::import_job_of(&s, &c, &id)?;
    import_fragment(&job)
}
