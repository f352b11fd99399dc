//! Policies over HTTP: work calendars and their assignment, holidays, rule sets (admin writes,
//! operators and heads read) and shift rosters (operators of the unit write).
//!
//! After every change the in-memory policies are reloaded before answering (the next check-in
//! sees it) and the affected days are queued for recomputation in the background.

use crate::api::days::policies_ready;
use crate::auth::Caller;
use crate::days::{latest_today, policy_recompute_from};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::json::ApiJson;
use crate::state::AppState;
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use hadir_domain::{Calendar, Holiday, HolidayKind, RuleSet};
use hadir_store::{
    Audit, CalendarTarget, Employee, Id, NewHoliday, RecomputeTarget, RosterRow, StoreError, StoredCalendar,
    StoredHoliday, StoredRuleSet,
};
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use utoipa::{IntoParams, ToSchema};

async fn reload(s: &AppState) -> ApiResult<()> {
    s.policies.reload(s.store.as_ref()).await?;
    Ok(())
}

fn conflict(code: &'static str, message: &'static str) -> impl Fn(StoreError) -> ApiError {
    move |e| match e {
        StoreError::Conflict(_) => ApiError::new(StatusCode::CONFLICT, code, message),
        e => e.into(),
    }
}

// ---------------------------------------------------------------- calendars

#[derive(Serialize, ToSchema)]
pub struct AssignmentView {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unit_code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nip: Option<String>,
    /// `YYYY-MM-DD`: in force from this date until the target's next assignment.
    pub effective_from: String,
}

#[derive(Serialize, ToSchema)]
pub struct CalendarView {
    pub id: Id,
    pub name: String,
    /// Used where no unit up the tree and no employee override assigns a calendar.
    pub is_default: bool,
    /// Required minutes of the regular week (2250 = 37 h 30 min).
    pub weekly_minutes: u32,
    /// The calendar: `name`, `weekly` (per weekday `null` or `{checkpoints, break_minutes}`),
    /// `overrides` (date ranges, e.g. Ramadan) and `shifts` (for rosters).
    #[schema(value_type = Object)]
    pub calendar: Calendar,
    pub assigned_to: Vec<AssignmentView>,
    pub updated_at: String,
}

async fn calendar_views(s: &AppState, cals: Vec<StoredCalendar>) -> ApiResult<Vec<CalendarView>> {
    let assignments = s.store.list_calendar_assignments().await?;
    Ok(cals
        .into_iter()
        .map(|c| CalendarView {
            id: c.id,
            name: c.calendar.name.clone(),
            is_default: c.is_default,
            weekly_minutes: c.calendar.weekly_minutes(),
            assigned_to: assignments
                .iter()
                .filter(|a| a.calendar_id == Some(c.id))
                .map(|a| AssignmentView {
                    unit_code: a.unit_code.clone(),
                    nip: a.employee_login.clone(),
                    effective_from: a.effective_from.to_string(),
                })
                .collect(),
            calendar: c.calendar,
            updated_at: c.updated_at.to_string(),
        })
        .collect())
}

fn validate_calendar(mut c: Calendar) -> ApiResult<Calendar> {
    c.name = c.name.trim().to_string();
    if c.name.is_empty() || c.name.chars().count() > 100 {
        return Err(ApiError::unprocessable("calendar_name_required", "Nama kalender wajib diisi (1–100 karakter)."));
    }
    c.validate().map_err(|e| {
        ApiError::unprocessable(e.code(), format!("Jadwal tidak valid: {e}."))
            .with_details(serde_json::json!({"field": "calendar"}))
    })?;
    for o in &c.overrides {
        crate::dates::check_date(o.date_from, "overrides.date_from")?;
        crate::dates::check_date(o.date_to, "overrides.date_to")?;
    }
    if c.shifts.iter().enumerate().any(|(i, s)| c.shifts[..i].iter().any(|o| o.code == s.code)) {
        return Err(ApiError::unprocessable("schedule_duplicate_shift", "Kode shift tidak boleh dipakai dua kali."));
    }
    c.check_weekly_hours().map_err(|e| {
        ApiError::unprocessable(e.code(), e.to_string()).with_details(
            serde_json::json!({"field": "calendar", "weekly_minutes": e.minutes, "minimum_minutes": e.minimum}),
        )
    })?;
    Ok(c)
}

/// Work calendars with their assignments (admin, operators and heads).
#[utoipa::path(get, path = "/api/v1/calendars", tag = "policies",
    responses((status = 200, body = Vec<CalendarView>), (status = 403, body = ErrorBody)))]
pub async fn list_calendars(State(s): State<AppState>, caller: Caller) -> ApiResult<Json<Vec<CalendarView>>> {
    caller.require_staff()?;
    policies_ready(&s).await;
    let cals = s.store.list_calendars().await?;
    Ok(Json(calendar_views(&s, cals).await?))
}

/// Create a work calendar (admin). Body: the calendar JSON.
#[utoipa::path(post, path = "/api/v1/calendars", tag = "policies",
    request_body(content = Object, description = "A work calendar: per weekday `null` (day off) or its checkpoints (check_in / presence / check_out, due time inside its window, in order); optional `overrides` (named periods with their own weekly pattern, dates 2000–2100) and `shifts` for rosters.", example = json!({"name": "Lima hari kerja", "weekly": {
        "monday": {"checkpoints": [
            {"name": "masuk", "kind": "check_in", "due": "07:30", "window_start": "06:00", "window_end": "10:00"},
            {"name": "pulang", "kind": "check_out", "due": "16:00", "window_start": "12:00", "window_end": "18:00"}],
            "break_minutes": 60},
        "tuesday": null, "wednesday": null, "thursday": null,
        "friday": {"checkpoints": [
            {"name": "masuk", "kind": "check_in", "due": "07:30", "window_start": "06:00", "window_end": "10:00"},
            {"name": "pulang", "kind": "check_out", "due": "16:30", "window_start": "12:00", "window_end": "18:00"}],
            "break_minutes": 90},
        "saturday": null, "sunday": null},
        "overrides": [], "shifts": []})),
    responses((status = 201, body = CalendarView), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_calendar(
    State(s): State<AppState>,
    caller: Caller,
    ApiJson(c): ApiJson<Calendar>,
) -> ApiResult<(StatusCode, Json<CalendarView>)> {
    caller.require_admin()?;
    let c = validate_calendar(c)?;
    let audit = Audit::new(caller.actor(), "create", "calendar", &c.name);
    let stored = s
        .store
        .create_calendar(&c, audit)
        .await
        .map_err(conflict("calendar_exists", "Nama kalender sudah dipakai."))?;
    reload(&s).await?;
    let view = calendar_views(&s, vec![stored]).await?.remove(0);
    Ok((StatusCode::CREATED, Json(view)))
}

/// Change a work calendar (admin); the days of everyone using it are recomputed.
#[utoipa::path(put, path = "/api/v1/calendars/{id}", tag = "policies", params(("id" = i64, Path)),
    request_body(content = Object, description = "A work calendar: per weekday `null` (day off) or its checkpoints (check_in / presence / check_out, due time inside its window, in order); optional `overrides` (named periods with their own weekly pattern, dates 2000–2100) and `shifts` for rosters.", example = json!({"name": "Lima hari kerja", "weekly": {
        "monday": {"checkpoints": [
            {"name": "masuk", "kind": "check_in", "due": "07:30", "window_start": "06:00", "window_end": "10:00"},
            {"name": "pulang", "kind": "check_out", "due": "16:00", "window_start": "12:00", "window_end": "18:00"}],
            "break_minutes": 60},
        "tuesday": null, "wednesday": null, "thursday": null,
        "friday": {"checkpoints": [
            {"name": "masuk", "kind": "check_in", "due": "07:30", "window_start": "06:00", "window_end": "10:00"},
            {"name": "pulang", "kind": "check_out", "due": "16:30", "window_start": "12:00", "window_end": "18:00"}],
            "break_minutes": 90},
        "saturday": null, "sunday": null},
        "overrides": [], "shifts": []})),
    responses((status = 200, body = CalendarView), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update_calendar(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<Id>,
    ApiJson(c): ApiJson<Calendar>,
) -> ApiResult<Json<CalendarView>> {
    caller.require_admin()?;
    let c = validate_calendar(c)?;
    let audit = Audit::new(caller.actor(), "update", "calendar", &id.to_string());
    let stored = s.store.update_calendar(id, &c, audit).await.map_err(|e| match e {
        StoreError::NotFound(_) => ApiError::not_found("Kalender kerja"),
        StoreError::Conflict(_) => {
            ApiError::new(StatusCode::CONFLICT, "calendar_exists", "Nama kalender sudah dipakai.")
        }
        e => e.into(),
    })?;
    reload(&s).await?;
    let target = if stored.is_default {
        RecomputeTarget::All
    } else {
        let a = s.store.list_calendar_assignments().await?;
        let mine = a.iter().filter(|a| a.calendar_id == Some(id));
        let paths: Vec<String> = mine.clone().filter_map(|a| a.unit_path.clone()).collect();
        let emps: Vec<Id> = mine
            .filter_map(|a| match a.target {
                CalendarTarget::Employee(e) => Some(e),
                CalendarTarget::Unit(_) => None,
            })
            .collect();
        if !emps.is_empty() {
            s.recompute.enqueue_in_background(
                RecomputeTarget::Employees(emps),
                policy_recompute_from(Date::MIN),
                latest_today(),
            );
        }
        RecomputeTarget::Subtrees(paths)
    };
    s.recompute.enqueue_in_background(target, policy_recompute_from(Date::MIN), latest_today());
    Ok(Json(calendar_views(&s, vec![stored]).await?.remove(0)))
}

#[derive(Deserialize, ToSchema)]
pub struct AssignInput {
    /// Assign to this unit and its sub-units…
    pub unit_code: Option<String>,
    /// …or to one employee (overrides the unit's calendar).
    pub nip: Option<String>,
    /// Remove the target's assignment instead (it inherits again from `effective_from`).
    #[serde(default)]
    pub remove: bool,
    /// `YYYY-MM-DD`, default today: the first day the assignment applies. Earlier days keep the
    /// calendar they had (never in a locked month).
    #[serde(default)]
    pub effective_from: Option<String>,
}

/// What an assignment does (issue 19).
#[derive(Serialize, ToSchema)]
pub struct AssignResult {
    /// `YYYY-MM-DD`: the first day it applies to.
    pub applies_from: String,
    /// Days already recorded on or after that date for the people concerned, evaluated again.
    pub days_reevaluated: u64,
    pub message: String,
}

/// Assign a calendar to a unit subtree or one employee from a date (admin).
#[utoipa::path(post, path = "/api/v1/calendars/{id}/assign", tag = "policies", params(("id" = i64, Path)), request_body = AssignInput,
    responses((status = 200, body = AssignResult), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn assign_calendar(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<Id>,
    ApiJson(input): ApiJson<AssignInput>,
) -> ApiResult<Json<AssignResult>> {
    caller.require_admin()?;
    let unit_code = input.unit_code.as_deref().map(str::trim).filter(|v| !v.is_empty());
    let nip = input.nip.as_deref().map(str::trim).filter(|v| !v.is_empty());
    let given = match input.effective_from.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
        None => None,
        Some(v) => Some(hadir_domain::years::parse_date(v).map_err(|_| {
            ApiError::unprocessable("invalid_date", "Tanggal berlaku harus berformat TTTT-BB-HH, misalnya 2026-01-02.")
                .with_details(serde_json::json!({"field": "effective_from"}))
        })?),
    };
    // Without a date: today where the target works (a WITA unit's today starts an hour before
    // Jakarta's, so Jakarta's date would rewrite its finished yesterday).
    let today_for = |zone: &str| given.unwrap_or_else(|| crate::days::date_in_zone(zone, jiff::Timestamp::now()));
    let (target, recompute, label, lock_path, people, from) = match (unit_code, nip) {
        (Some(code), None) => {
            let u = s.store.unit_by_code(code).await.map_err(|_| {
                ApiError::unprocessable("unknown_unit", format!("Unit kerja '{code}' tidak ditemukan."))
                    .with_details(serde_json::json!({"field": "unit_code"}))
            })?;
            let from = today_for(&u.timezone);
            let people = s.store.employees_in_units_during(Some(&u.path), from, latest_today().max(from)).await?;
            (
                CalendarTarget::Unit(u.id),
                RecomputeTarget::Subtrees(vec![u.path.clone()]),
                format!("unit:{code}"),
                u.path,
                people,
                from,
            )
        }
        (None, Some(nip)) => {
            let login: String = nip.chars().filter(|c| *c != ' ' && *c != '.').collect();
            let e = s.store.employee_by_login(&login).await.map_err(|_| {
                ApiError::unprocessable("unknown_employee", format!("Pegawai '{nip}' tidak ditemukan."))
                    .with_details(serde_json::json!({"field": "nip"}))
            })?;
            let path = s.store.unit_by_id(e.unit_id).await?.path;
            (
                CalendarTarget::Employee(e.id),
                RecomputeTarget::Employees(vec![e.id]),
                format!("employee:{login}"),
                path,
                vec![e.id],
                today_for(&e.timezone),
            )
        }
        _ => {
            return Err(ApiError::unprocessable(
                "assign_target_required",
                "Isi salah satu: unit_code (unit dan sub-unitnya) atau nip (satu pegawai).",
            ));
        }
    };
    crate::api::employees::refuse_locked_month(&s, &lock_path, from, "effective_from").await?;
    let audit =
        Audit::new(caller.actor(), if input.remove { "unassign" } else { "assign" }, "calendar", &id.to_string())
            .after(serde_json::json!({"target": label, "effective_from": from.to_string()}));
    let calendar = if input.remove { None } else { Some(id) };
    let days = crate::api::employees::recorded_days_from(&s, &people, from).await?;
    s.store.assign_calendar(calendar, target, from, audit).await.map_err(|e| match e {
        StoreError::NotFound(_) => ApiError::not_found("Kalender kerja"),
        e => e.into(),
    })?;
    reload(&s).await?;
    if from <= latest_today() {
        s.recompute.enqueue_in_background(recompute, policy_recompute_from(from), latest_today());
    }
    let what = if input.remove { "Penghapusan kalender" } else { "Kalender" };
    Ok(Json(AssignResult {
        applies_from: from.to_string(),
        days_reevaluated: days,
        message: format!(
            "{what} berlaku mulai {from}; {days} hari yang sudah tercatat sejak tanggal itu dihitung ulang. \
             Hari sebelumnya tidak berubah."
        ),
    }))
}

// ---------------------------------------------------------------- holidays

#[derive(Serialize, ToSchema)]
pub struct HolidayView {
    pub id: Id,
    pub date: String,
    /// libur_nasional, cuti_bersama or regional.
    pub kind: String,
    pub name: String,
    /// For regional holidays: the unit whose subtree is off.
    pub unit_code: Option<String>,
}

impl From<StoredHoliday> for HolidayView {
    fn from(h: StoredHoliday) -> Self {
        HolidayView {
            id: h.id,
            date: h.holiday.date.to_string(),
            kind: h.holiday.kind.code().into(),
            name: h.holiday.name,
            unit_code: h.unit_code,
        }
    }
}

#[derive(Deserialize, IntoParams)]
pub struct YearQuery {
    pub year: Option<i16>,
}

/// Holidays (national, cuti bersama, regional); anyone signed in may read them.
#[utoipa::path(get, path = "/api/v1/holidays", tag = "policies", params(YearQuery),
    responses((status = 200, body = Vec<HolidayView>), (status = 422, body = ErrorBody)))]
pub async fn list_holidays(
    State(s): State<AppState>,
    _caller: Caller,
    Query(q): Query<YearQuery>,
) -> ApiResult<Json<Vec<HolidayView>>> {
    if let Some(y) = q.year {
        crate::dates::year(y)?;
    }
    policies_ready(&s).await;
    Ok(Json(s.store.list_holidays(q.year).await?.into_iter().map(Into::into).collect()))
}

#[derive(Deserialize, ToSchema)]
pub struct HolidayInput {
    /// YYYY-MM-DD.
    #[schema(format = Date)]
    pub date: String,
    /// libur_nasional, cuti_bersama or regional.
    pub kind: String,
    pub name: String,
    /// Required for regional holidays: the unit whose subtree is off.
    pub unit_code: Option<String>,
}

fn holiday_target(h: &StoredHoliday) -> RecomputeTarget {
    match &h.unit_path {
        Some(p) => RecomputeTarget::Subtrees(vec![p.clone()]),
        None => RecomputeTarget::All,
    }
}

fn recompute_holiday(s: &AppState, h: &StoredHoliday) {
    if h.holiday.date <= latest_today() {
        s.recompute.enqueue_in_background(holiday_target(h), h.holiday.date, h.holiday.date);
    }
}

/// Add a holiday (admin): national, cuti bersama, or regional for a unit subtree.
#[utoipa::path(post, path = "/api/v1/holidays", tag = "policies", request_body = HolidayInput,
    responses((status = 201, body = HolidayView), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_holiday(
    State(s): State<AppState>,
    caller: Caller,
    ApiJson(input): ApiJson<HolidayInput>,
) -> ApiResult<(StatusCode, Json<HolidayView>)> {
    caller.require_admin()?;
    let date: Date = crate::dates::date(&input.date, "date")?;
    let kind = HolidayKind::from_code(&input.kind).ok_or_else(|| {
        ApiError::unprocessable("invalid_holiday_kind", "Jenis libur harus libur_nasional, cuti_bersama atau regional.")
            .with_details(serde_json::json!({"field": "kind"}))
    })?;
    let name = input.name.trim();
    if name.is_empty() || name.chars().count() > 200 {
        return Err(ApiError::unprocessable("holiday_name_required", "Nama hari libur wajib diisi (1–200 karakter).")
            .with_details(serde_json::json!({"field": "name"})));
    }
    let unit_code = input.unit_code.as_deref().map(str::trim).filter(|v| !v.is_empty());
    let unit_id = match (kind, unit_code) {
        (HolidayKind::Regional, None) => {
            return Err(ApiError::unprocessable(
                "unit_required",
                "Libur daerah harus menyebut unit kerja (unit_code) yang diliburkan.",
            )
            .with_details(serde_json::json!({"field": "unit_code"})));
        }
        (HolidayKind::Regional, Some(code)) => Some(
            s.store
                .unit_by_code(code)
                .await
                .map_err(|_| {
                    ApiError::unprocessable("unknown_unit", format!("Unit kerja '{code}' tidak ditemukan."))
                        .with_details(serde_json::json!({"field": "unit_code"}))
                })?
                .id,
        ),
        (_, Some(_)) => {
            return Err(ApiError::unprocessable(
                "unit_not_allowed",
                "Libur nasional dan cuti bersama berlaku untuk semua unit; kosongkan unit_code.",
            )
            .with_details(serde_json::json!({"field": "unit_code"})));
        }
        (_, None) => None,
    };
    let nh = NewHoliday { holiday: Holiday { date, kind, name: name.to_string() }, unit_id };
    let audit = Audit::new(caller.actor(), "create", "holiday", &date.to_string());
    let stored = s
        .store
        .create_holiday(&nh, audit)
        .await
        .map_err(conflict("holiday_exists", "Hari libur dengan tanggal dan nama ini sudah ada."))?;
    reload(&s).await?;
    recompute_holiday(&s, &stored);
    Ok((StatusCode::CREATED, Json(stored.into())))
}

/// Remove a holiday (admin); that date becomes a working day again.
#[utoipa::path(delete, path = "/api/v1/holidays/{id}", tag = "policies", params(("id" = i64, Path)),
    responses((status = 200, body = HolidayView), (status = 404, body = ErrorBody)))]
pub async fn delete_holiday(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<Id>,
) -> ApiResult<Json<HolidayView>> {
    caller.require_admin()?;
    let audit = Audit::new(caller.actor(), "delete", "holiday", &id.to_string());
    let gone = s.store.delete_holiday(id, audit).await.map_err(|e| match e {
        StoreError::NotFound(_) => ApiError::not_found("Hari libur"),
        e => e.into(),
    })?;
    reload(&s).await?;
    recompute_holiday(&s, &gone);
    Ok(Json(gone.into()))
}

// ---------------------------------------------------------------- rule sets

#[derive(Serialize, ToSchema)]
pub struct RuleSetView {
    pub id: Id,
    pub name: String,
    pub effective_from: String,
    /// The rule set: brackets, percentages, grace, missing-punch penalties, TK per day,
    /// monthly cap, TPP share, categories, trial mode, leave deductions.
    #[schema(value_type = Object)]
    pub rules: RuleSet,
    pub created_at: String,
}

impl From<StoredRuleSet> for RuleSetView {
    fn from(r: StoredRuleSet) -> Self {
        RuleSetView {
            id: r.id,
            name: r.rules.name.clone(),
            effective_from: r.rules.effective_from.to_string(),
            rules: r.rules,
            created_at: r.created_at.to_string(),
        }
    }
}

/// Rule sets by effective date (admin, operators and heads).
#[utoipa::path(get, path = "/api/v1/rule-sets", tag = "policies",
    responses((status = 200, body = Vec<RuleSetView>), (status = 403, body = ErrorBody)))]
pub async fn list_rule_sets(State(s): State<AppState>, caller: Caller) -> ApiResult<Json<Vec<RuleSetView>>> {
    caller.require_staff()?;
    policies_ready(&s).await;
    Ok(Json(s.store.list_rule_sets().await?.into_iter().map(Into::into).collect()))
}

/// Add a rule set in force from its `effective_from` (admin). Days from that date are recomputed.
#[utoipa::path(post, path = "/api/v1/rule-sets", tag = "policies",
    request_body(content = Object, description = "A rule set: late and early-leave brackets (percent per bracket, the last open-ended), grace minutes, missing-punch penalties, TK per day, monthly cap, TPP attendance share, categories, trial mode, leave deductions; in force from `effective_from` (2000–2100).", example = json!({"name": "Aturan contoh", "effective_from": "2026-01-01",
        "late": [{"up_to_minutes": 30, "code": "TL1", "percent": 0.5}, {"up_to_minutes": 60, "code": "TL2", "percent": 1.0},
            {"up_to_minutes": 90, "code": "TL3", "percent": 1.25}, {"up_to_minutes": null, "code": "TL4", "percent": 1.5}],
        "early_leave": [{"up_to_minutes": 30, "code": "PSW1", "percent": 0.5}, {"up_to_minutes": 60, "code": "PSW2", "percent": 1.0},
            {"up_to_minutes": 90, "code": "PSW3", "percent": 1.25}, {"up_to_minutes": null, "code": "PSW4", "percent": 1.5}],
        "grace_minutes": 0, "early_grace_minutes": 0,
        "missing_check_in": {"code": "TL4", "percent": 1.5}, "missing_check_out": {"code": "PSW4", "percent": 1.5},
        "missing_presence": {"code": "TPS", "percent": 0.0},
        "tk_per_day": 3.0, "monthly_cap": 100.0, "tpp_attendance_share": 40.0,
        "categories": ["PNS", "PPPK", "HONORER"], "trial_mode": false, "leave_deductions": {}})),
    responses((status = 201, body = RuleSetView), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_rule_set(
    State(s): State<AppState>,
    caller: Caller,
    ApiJson(mut r): ApiJson<RuleSet>,
) -> ApiResult<(StatusCode, Json<RuleSetView>)> {
    caller.require_admin()?;
    r.name = r.name.trim().to_string();
    if r.name.is_empty() || r.name.chars().count() > 100 {
        return Err(ApiError::unprocessable("rules_name_required", "Nama aturan wajib diisi (1–100 karakter)."));
    }
    r.validate().map_err(|e| ApiError::unprocessable(e.code(), format!("Aturan tidak valid: {e}.")))?;
    crate::dates::check_date(r.effective_from, "effective_from")?;
    if r.categories.is_empty() {
        return Err(ApiError::unprocessable(
            "rules_no_categories",
            "Sebutkan paling sedikit satu kategori pegawai (PNS, PPPK, HONORER).",
        ));
    }
    let audit = Audit::new(caller.actor(), "create", "rule_set", &r.name);
    let stored = s.store.create_rule_set(&r, audit).await?;
    reload(&s).await?;
    if r.effective_from <= latest_today() {
        s.recompute.enqueue_in_background(
            RecomputeTarget::All,
            policy_recompute_from(r.effective_from),
            latest_today(),
        );
    }
    Ok((StatusCode::CREATED, Json(stored.into())))
}

// ---------------------------------------------------------------- rosters

#[derive(Deserialize, ToSchema)]
pub struct RosterEntryInput {
    pub nip: String,
    /// YYYY-MM-DD.
    #[schema(format = Date)]
    pub date: String,
    /// A shift code of the employee's calendar (`P`, `S`, `M`), or `null` for a day off.
    pub shift: Option<String>,
    /// Remove the roster line (the calendar's weekly pattern applies again).
    #[serde(default)]
    pub clear: bool,
}

#[derive(Deserialize, ToSchema)]
pub struct RosterInput {
    pub entries: Vec<RosterEntryInput>,
}

#[derive(Serialize, ToSchema)]
pub struct RosterResult {
    pub updated: u64,
}

const ROSTER_MAX: usize = 10_000;

/// Set shift rosters (admin, or operators of the employees' units). All or nothing.
#[utoipa::path(put, path = "/api/v1/roster", tag = "policies", request_body = RosterInput,
    responses((status = 200, body = RosterResult), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn put_roster(
    State(s): State<AppState>,
    caller: Caller,
    ApiJson(input): ApiJson<RosterInput>,
) -> ApiResult<Json<RosterResult>> {
    caller.require_staff()?;
    policies_ready(&s).await;
    if input.entries.is_empty() || input.entries.len() > ROSTER_MAX {
        return Err(ApiError::unprocessable("invalid_roster", format!("Kirim 1–{ROSTER_MAX} baris jadwal shift.")));
    }
    let mut people: HashMap<String, Option<Employee>> = HashMap::new();
    let mut errors = Vec::new();
    let mut set = Vec::new();
    let mut clear = Vec::new();
    for (i, row) in input.entries.iter().enumerate() {
        let mut fail = |code: &str, message: String| {
            errors.push(serde_json::json!({"index": i, "nip": row.nip, "code": code, "message": message}));
        };
        let login: String = row.nip.chars().filter(|c| *c != ' ' && *c != '.').collect();
        if !people.contains_key(&login) {
            let found = match s.store.employee_by_login(&login).await {
                Ok(e) => {
                    let u = s.store.unit_by_id(e.unit_id).await?;
                    caller.can_manage_unit(&u.path).then_some(e)
                }
                Err(StoreError::NotFound(_)) => None,
                Err(e) => return Err(e.into()),
            };
            people.insert(login.clone(), found);
        }
        let Some(Some(e)) = people.get(&login) else {
            fail("unknown_employee", format!("Pegawai '{}' tidak ditemukan di unit Anda.", row.nip));
            continue;
        };
        crate::api::employees::forbid_own_record(&caller, e.id)?;
        let date = match crate::dates::date(&row.date, "date") {
            Ok(d) => d,
            Err(e) => {
                fail("invalid_date", e.message);
                continue;
            }
        };
        if row.clear {
            clear.push((e.id, date));
            continue;
        }
        let shift = row.shift.as_deref().map(str::trim).filter(|v| !v.is_empty()).map(str::to_string);
        if let Some(code) = &shift {
            let ctx = s.policies.context_for(e);
            if ctx.calendar.shift(code).is_none() {
                let known: Vec<&str> = ctx.calendar.shifts.iter().map(|s| s.code.as_str()).collect();
                fail(
                    "unknown_shift",
                    if known.is_empty() {
                        format!("Kalender '{}' tidak punya shift; tetapkan kalender shift dahulu.", ctx.calendar.name)
                    } else {
                        format!(
                            "Kode shift '{code}' tidak ada di kalender '{}' ({}).",
                            ctx.calendar.name,
                            known.join(", ")
                        )
                    },
                );
                continue;
            }
        }
        set.push(RosterRow { employee_id: e.id, date, shift });
    }
    if !errors.is_empty() {
        return Err(ApiError::unprocessable(
            "invalid_roster",
            "Sebagian baris jadwal shift tidak valid; tidak ada yang disimpan.",
        )
        .with_details(serde_json::json!({"errors": errors})));
    }
    let audit = Audit::new(caller.actor(), "put", "roster", &format!("{} baris", input.entries.len()));
    let updated = s.store.put_roster(&set, &clear, audit).await?;
    reload(&s).await?;
    let mut ids: Vec<Id> = set.iter().map(|r| r.employee_id).chain(clear.iter().map(|c| c.0)).collect();
    ids.sort_unstable();
    ids.dedup();
    let dates = set.iter().map(|r| r.date).chain(clear.iter().map(|c| c.1));
    let (from, to) = dates.fold((Date::MAX, Date::MIN), |(a, b), d| (a.min(d), b.max(d)));
    // Overnight shifts reach into the next day.
    let to = to.tomorrow().unwrap_or(to);
    if from <= latest_today() {
        s.recompute.enqueue_in_background(RecomputeTarget::Employees(ids), from, to);
    }
    Ok(Json(RosterResult { updated }))
}
