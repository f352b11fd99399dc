//! Daily work reports over HTTP (laporan kinerja harian, issue 22).
//!
//! - The employee files activities for a day they were counted present on (or on approved duty
//!   away), edits or deletes them until they are approved, and may attach one photo or PDF.
//! - Heads and operators of the employee's unit subtree (and admins) list and validate them:
//!   approve, or return with a note, one by one, as a list of ids, or per person-week. Nobody
//!   validates their own. Outside the caller's scope an activity does not exist (404).
//!
//! The rules are `hadir_domain::kinerja`; every write is audited in the store's transaction.

use crate::auth::Caller;
use crate::days::{evaluate_days, today_in};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::json::ApiJson;
use crate::state::AppState;
use axum::Json;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use hadir_domain::kinerja::{
    self as rules, ActivityInput, ActivityRefusal, ActivityState, PER_DAY_MAX, check_activity, check_date, hhmm,
    parse_hhmm, status_allows_report,
};
use hadir_domain::requests::{ATTACHMENT_MAX_BYTES, evidence_type};
use hadir_domain::zone::rfc3339_local;
use hadir_store::{
    Activity, ActivityAttachment, ActivityDecision, ActivityFields, ActivityFilter, Audit, Employee, Id, NewActivity,
    StoreError,
};
use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::TimeZone;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use utoipa::{IntoParams, ToSchema};

impl From<ActivityRefusal> for ApiError {
    fn from(r: ActivityRefusal) -> Self {
        let status = if r.is_forbidden() {
            StatusCode::FORBIDDEN
        } else if r.is_conflict() {
            StatusCode::CONFLICT
        } else {
            StatusCode::UNPROCESSABLE_ENTITY
        };
        ApiError::new(status, r.code(), r.to_string())
    }
}

/// Store conflicts of this area in the domain's words.
fn store_err(e: StoreError) -> ApiError {
    match e {
        StoreError::Conflict(c) if c == "already_approved" => ActivityRefusal::AlreadyApproved.into(),
        StoreError::Conflict(c) if c == "not_waiting" => ActivityRefusal::NotWaiting.into(),
        StoreError::NotFound(_) => ApiError::not_found("Kegiatan"),
        e => e.into(),
    }
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ActivityBody {
    /// `YYYY-MM-DD` (default: today in the employee's zone). Ignored when editing.
    #[schema(format = Date)]
    pub date: Option<String>,
    /// What was done (uraian kegiatan).
    pub description: String,
    /// The result (hasil kerja), e.g. "RPP kelas 4".
    pub output: String,
    /// How much, e.g. 3.
    pub volume: f64,
    /// Its unit, e.g. "dokumen".
    pub volume_unit: String,
    /// Local `HH:MM`.
    pub start: String,
    pub end: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ActivityView {
    pub id: Id,
    pub employee_login: String,
    pub employee_name: String,
    #[schema(format = Date)]
    pub date: String,
    pub description: String,
    pub output: String,
    pub volume: f64,
    pub volume_unit: String,
    pub start: String,
    pub end: String,
    pub minutes: u32,
    /// `submitted`, `approved` or `returned`.
    pub state: String,
    /// The state in words (Indonesian).
    pub state_label: String,
    /// The validator's note when returned.
    pub note: Option<String>,
    /// The attached file, through an authorised URL.
    pub attachment_url: Option<String>,
    pub attachment_name: Option<String>,
    pub validated_by: Option<String>,
    pub validated_at: Option<String>,
    /// The caller may still edit it (its employee, while not approved).
    pub can_edit: bool,
    /// The caller may validate it now.
    pub can_validate: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ActivityList {
    pub items: Vec<ActivityView>,
    /// Minutes of the listed activities, and of the approved ones among them.
    pub minutes: u32,
    pub approved_minutes: u32,
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct MyActivitiesQuery {
    /// One day `YYYY-MM-DD`, or
    pub date: Option<String>,
    /// a month `YYYY-MM` (default: this month).
    pub month: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct ActivitiesQuery {
    /// NIP or login of one employee.
    pub employee: Option<String>,
    /// `submitted` (default), `approved`, `returned` or `all`.
    pub state: Option<String>,
    /// `YYYY-MM-DD`, inclusive (default: 31 days back).
    pub from: Option<String>,
    pub to: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ValidateBody {
    /// These activities, or
    pub ids: Option<Vec<Id>>,
    /// every waiting activity of this employee (NIP or login)
    pub employee: Option<String>,
    /// in the ISO week (Monday–Sunday) of this date.
    #[schema(format = Date)]
    pub week_of: Option<String>,
    pub approve: bool,
    /// Required when returning.
    pub note: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ValidateResult {
    pub validated: usize,
    pub items: Vec<ActivityView>,
}

fn own_employee(caller: &Caller) -> ApiResult<Id> {
    caller.employee_id.ok_or_else(|| {
        ApiError::new(StatusCode::FORBIDDEN, "not_an_employee", "Hanya pegawai yang mengisi laporan kinerja.")
    })
}

fn parse_date(s: &str, field: &'static str) -> ApiResult<Date> {
    s.trim().parse::<Date>().map_err(|_| {
        ApiError::unprocessable("invalid_date", "Tanggal harus ditulis TTTT-BB-HH, misalnya 2026-11-20.")
            .with_details(serde_json::json!({ "field": field }))
    })
}

fn tz_of(e: &Employee) -> TimeZone {
    TimeZone::get(&e.timezone).unwrap_or(TimeZone::UTC)
}

fn fields_of(b: &ActivityBody) -> ApiResult<ActivityFields> {
    let input = ActivityInput {
        description: b.description.clone(),
        output: b.output.clone(),
        volume: b.volume,
        volume_unit: b.volume_unit.clone(),
        start_minute: parse_hhmm(&b.start)?,
        end_minute: parse_hhmm(&b.end)?,
    };
    let a = check_activity(&input)?;
    Ok(ActivityFields {
        description: a.description,
        output: a.output,
        volume: a.volume,
        volume_unit: a.volume_unit,
        start_minute: a.start_minute,
        end_minute: a.end_minute,
    })
}

/// Refuses a day the employee was not counted present on (nor on approved duty away).
async fn require_presence(s: &AppState, e: &Employee, date: Date) -> ApiResult<()> {
    crate::api::days::policies_ready(s).await;
    let records = evaluate_days(s.store.as_ref(), &s.policies, e, date, date, Timestamp::now()).await?;
    let status = records.first().map(|r| r.status).ok_or_else(ApiError::internal)?;
    if status_allows_report(status) {
        Ok(())
    } else {
        Err(ActivityRefusal::NotPresent { status: status.code().to_string() }.into())
    }
}

/// Refuses an activity that overlaps another of the same day, or one too many.
async fn require_room(s: &AppState, e: &Employee, date: Date, f: &ActivityFields, except: Option<Id>) -> ApiResult<()> {
    let same_day = s
        .store
        .list_activities(&ActivityFilter {
            employee_id: Some(e.id),
            from: Some(date),
            to: Some(date),
            limit: 1000,
            ..Default::default()
        })
        .await?;
    let others: Vec<(u32, u32)> =
        same_day.iter().filter(|a| Some(a.id) != except).map(|a| (a.start_minute, a.end_minute)).collect();
    if except.is_none() && others.len() >= PER_DAY_MAX {
        return Err(ActivityRefusal::TooMany.into());
    }
    if let Some((s0, e0)) = rules::overlapping(f.start_minute, f.end_minute, &others) {
        return Err(ActivityRefusal::Overlap { other_start: hhmm(s0), other_end: hhmm(e0) }.into());
    }
    Ok(())
}

/// May the caller validate activities of the unit at `path` (heads, operators, admins)?
fn may_validate(caller: &Caller, a: &Activity) -> bool {
    caller.employee_id != Some(a.employee_id) && caller.can_read_unit(&a.unit_path)
}

/// The activity if the caller may see it (its employee, or a reader of its unit); else 404.
async fn activity_in_scope(s: &AppState, caller: &Caller, id: Id) -> ApiResult<Activity> {
    let a = s.store.activity_by_id(id).await.map_err(store_err)?;
    if caller.employee_id == Some(a.employee_id) || caller.can_read_unit(&a.unit_path) {
        Ok(a)
    } else {
        Err(ApiError::not_found("Kegiatan"))
    }
}

fn view(a: &Activity, e: Option<&Employee>, caller: &Caller, tz: &TimeZone) -> ActivityView {
    ActivityView {
        id: a.id,
        employee_login: e.map(|e| e.login.clone()).unwrap_or_default(),
        employee_name: e.map(|e| e.name.clone()).unwrap_or_default(),
        date: a.date.to_string(),
        description: a.description.clone(),
        output: a.output.clone(),
        volume: a.volume,
        volume_unit: a.volume_unit.clone(),
        start: hhmm(a.start_minute),
        end: hhmm(a.end_minute),
        minutes: rules::minutes(a.start_minute, a.end_minute),
        state: a.state.as_str().into(),
        state_label: a.state.label().into(),
        note: a.note.clone(),
        attachment_url: a.attachment.as_ref().map(|_| format!("/api/v1/activities/{}/attachment", a.id)),
        attachment_name: a.attachment.as_ref().map(|x| x.filename.clone()),
        validated_by: a.validated_by_name.clone(),
        validated_at: a.validated_at.map(|t| rfc3339_local(tz, t)),
        can_edit: caller.employee_id == Some(a.employee_id) && a.state.editable(),
        can_validate: a.state == ActivityState::Submitted && may_validate(caller, a),
    }
}

async fn views(s: &AppState, caller: &Caller, list: &[Activity]) -> ApiResult<ActivityList> {
    let mut ids: Vec<Id> = list.iter().map(|a| a.employee_id).collect();
    ids.sort_unstable();
    ids.dedup();
    let people: HashMap<Id, Employee> = s.store.employees_by_ids(&ids).await?.into_iter().map(|e| (e.id, e)).collect();
    let items: Vec<ActivityView> = list
        .iter()
        .map(|a| {
            let e = people.get(&a.employee_id);
            let tz = e.map(tz_of).unwrap_or(TimeZone::UTC);
            view(a, e, caller, &tz)
        })
        .collect();
    let minutes = items.iter().map(|v| v.minutes).sum();
    let approved_minutes = items.iter().filter(|v| v.state == "approved").map(|v| v.minutes).sum();
    Ok(ActivityList { items, minutes, approved_minutes })
}

/// File an activity of your own work report (laporan kinerja harian).
#[utoipa::path(post, path = "/api/v1/me/activities", tag = "kinerja", request_body = ActivityBody,
    responses((status = 201, body = ActivityView), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn create_activity(
    State(s): State<AppState>,
    caller: Caller,
    ApiJson(b): ApiJson<ActivityBody>,
) -> ApiResult<(StatusCode, Json<ActivityView>)> {
    let e = s.store.employee_by_id(own_employee(&caller)?).await?;
    let tz = tz_of(&e);
    let date = match b.date.as_deref() {
        Some(d) if !d.trim().is_empty() => parse_date(d, "date")?,
        _ => today_in(&tz),
    };
    check_date(date, today_in(&tz))?;
    let fields = fields_of(&b)?;
    require_presence(&s, &e, date).await?;
    require_room(&s, &e, date, &fields, None).await?;
    let audit = Audit::new(caller.actor(), "kinerja.create", "activity", "");
    let a = s
        .store
        .create_activity(
            &NewActivity { employee_id: e.id, unit_id: e.unit_id, date, fields, created_by: caller.account_id },
            audit,
        )
        .await
        .map_err(store_err)?;
    Ok((StatusCode::CREATED, Json(view(&a, Some(&e), &caller, &tz))))
}

/// Your activities of a day or a month.
#[utoipa::path(get, path = "/api/v1/me/activities", tag = "kinerja", params(MyActivitiesQuery),
    responses((status = 200, body = ActivityList), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn my_activities(
    State(s): State<AppState>,
    caller: Caller,
    Query(q): Query<MyActivitiesQuery>,
) -> ApiResult<Json<ActivityList>> {
    let e = s.store.employee_by_id(own_employee(&caller)?).await?;
    let (from, to) = if let Some(d) = q.date.as_deref() {
        let d = parse_date(d, "date")?;
        (d, d)
    } else {
        let first = match q.month.as_deref() {
            Some(m) => parse_date(&format!("{}-01", m.trim()), "month")?,
            None => today_in(&tz_of(&e)).first_of_month(),
        };
        (first, first.last_of_month())
    };
    let list = s
        .store
        .list_activities(&ActivityFilter {
            employee_id: Some(e.id),
            from: Some(from),
            to: Some(to),
            limit: 5000,
            ..Default::default()
        })
        .await?;
    Ok(Json(views(&s, &caller, &list).await?))
}

/// The activity if it is the caller's own (others': 404, as if it did not exist).
async fn own_activity(s: &AppState, caller: &Caller, id: Id) -> ApiResult<(Activity, Employee)> {
    let me = own_employee(caller)?;
    let a = s.store.activity_by_id(id).await.map_err(store_err)?;
    if a.employee_id != me {
        return Err(ApiError::not_found("Kegiatan"));
    }
    if !a.state.editable() {
        return Err(ActivityRefusal::AlreadyApproved.into());
    }
    Ok((a, s.store.employee_by_id(me).await?))
}

/// Change one of your activities while it is not approved (a returned one is submitted again).
#[utoipa::path(put, path = "/api/v1/me/activities/{id}", tag = "kinerja", params(("id" = i64, Path)),
    request_body = ActivityBody,
    responses((status = 200, body = ActivityView), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn update_activity(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<Id>,
    ApiJson(b): ApiJson<ActivityBody>,
) -> ApiResult<Json<ActivityView>> {
    let (a, e) = own_activity(&s, &caller, id).await?;
    let fields = fields_of(&b)?;
    require_room(&s, &e, a.date, &fields, Some(a.id)).await?;
    let audit = Audit::new(caller.actor(), "kinerja.update", "activity", "");
    let a = s.store.update_activity(id, &fields, audit).await.map_err(store_err)?;
    Ok(Json(view(&a, Some(&e), &caller, &tz_of(&e))))
}

/// Delete one of your activities while it is not approved.
#[utoipa::path(delete, path = "/api/v1/me/activities/{id}", tag = "kinerja", params(("id" = i64, Path)),
    responses((status = 204), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn delete_activity(State(s): State<AppState>, caller: Caller, Path(id): Path<Id>) -> ApiResult<StatusCode> {
    own_activity(&s, &caller, id).await?;
    let audit = Audit::new(caller.actor(), "kinerja.delete", "activity", "");
    s.store.delete_activity(id, audit).await.map_err(store_err)?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(ToSchema)]
#[allow(dead_code)]
pub struct ActivityFileForm {
    /// One photo (JPEG/PNG) or PDF, at most 3 MB.
    #[schema(format = Binary)]
    file: String,
}

fn clean_name(name: Option<&str>, mime: &str) -> String {
    let base: String = name
        .unwrap_or("")
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or("")
        .chars()
        .filter(|c| !c.is_control() && *c != '"')
        .take(100)
        .collect();
    if base.trim().is_empty() {
        match mime {
            "application/pdf" => "lampiran.pdf".into(),
            "image/png" => "lampiran.png".into(),
            _ => "lampiran.jpg".into(),
        }
    } else {
        base
    }
}

/// Attach (or replace) the photo or file of one of your activities while it is not approved.
#[utoipa::path(post, path = "/api/v1/me/activities/{id}/attachment", tag = "kinerja", params(("id" = i64, Path)),
    request_body(content = ActivityFileForm, content_type = "multipart/form-data"),
    responses((status = 200, body = ActivityView), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn attach_file(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<Id>,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> ApiResult<Json<ActivityView>> {
    let (_, e) = own_activity(&s, &caller, id).await?;
    let mut mp = multipart.map_err(|_| {
        ApiError::bad_request("multipart_required", "Kirim sebagai multipart/form-data dengan bagian 'file'.")
    })?;
    let mut file = None;
    loop {
        let field = match mp.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(_) => {
                return Err(ApiError::bad_request(
                    "invalid_multipart",
                    "Data formulir (multipart) rusak atau terpotong.",
                ));
            }
        };
        if field.name() != Some("file") {
            continue;
        }
        let name = field.file_name().map(str::to_string);
        let bytes = field.bytes().await.map_err(|_| {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "attachment_too_large",
                "Lampiran terlalu besar (paling besar 3 MB).",
            )
        })?;
        file = Some((name, bytes));
        break;
    }
    let (name, bytes): (Option<String>, Bytes) =
        file.ok_or_else(|| ApiError::unprocessable("file_required", "Sertakan berkas pada bagian 'file'."))?;
    if bytes.len() > ATTACHMENT_MAX_BYTES {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "attachment_too_large",
            "Lampiran terlalu besar (paling besar 3 MB).",
        ));
    }
    let mime = evidence_type(&bytes)
        .ok_or_else(|| ApiError::unprocessable("attachment_type", "Lampiran harus berupa foto JPEG/PNG atau PDF."))?;
    if mime.starts_with("image/") {
        crate::images::check_pixels(&bytes, s.config.checkin.max_image_pixels, "Gambar lampiran")?;
    }
    let size = bytes.len() as i64;
    let hash = s.blob.put("evidence", bytes).await.map_err(|err| {
        tracing::error!(error = %err, "evidence store failed");
        ApiError::internal()
    })?;
    // The file is durable before the database names it.
    s.blob.sync().await.map_err(|err| {
        tracing::error!(error = %err, "evidence sync failed");
        ApiError::internal()
    })?;
    let att =
        ActivityAttachment { blob_hash: hash, mime: mime.into(), filename: clean_name(name.as_deref(), mime), size };
    let audit = Audit::new(caller.actor(), "kinerja.attach", "activity", "");
    let a = s.store.set_activity_attachment(id, &att, audit).await.map_err(store_err)?;
    Ok(Json(view(&a, Some(&e), &caller, &tz_of(&e))))
}

/// An activity's attached file, for its employee and those who may read its unit.
#[utoipa::path(get, path = "/api/v1/activities/{id}/attachment", tag = "kinerja", params(("id" = i64, Path)),
    responses((status = 200, content_type = "application/octet-stream", description = "The file"), (status = 404, body = ErrorBody)))]
pub async fn get_attachment(State(s): State<AppState>, caller: Caller, Path(id): Path<Id>) -> ApiResult<Response> {
    let a = activity_in_scope(&s, &caller, id).await?;
    let att = a.attachment.as_ref().ok_or_else(|| ApiError::not_found("Lampiran"))?;
    crate::privacy::record_views(
        &s,
        &caller,
        std::iter::once(a.employee_id),
        hadir_store::AccessKind::Evidence,
        format!("activity:{id}/attachment"),
    )
    .await?;
    let bytes = s.blob.get("evidence", &att.blob_hash).await.map_err(|_| ApiError::not_found("Lampiran"))?;
    Ok((
        [
            (header::CONTENT_TYPE, att.mime.clone()),
            (header::CONTENT_DISPOSITION, format!("inline; filename=\"{}\"", att.filename.replace('"', ""))),
            (header::CACHE_CONTROL, "private, max-age=3600".into()),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff".into()),
        ],
        bytes,
    )
        .into_response())
}

/// Activities of the caller's unit subtrees (heads, operators; admins everything), for
/// validation. Default: waiting ones of the last 31 days.
#[utoipa::path(get, path = "/api/v1/activities", tag = "kinerja", params(ActivitiesQuery),
    responses((status = 200, body = ActivityList), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn list_activities(
    State(s): State<AppState>,
    caller: Caller,
    Query(q): Query<ActivitiesQuery>,
) -> ApiResult<Json<ActivityList>> {
    caller.require_staff()?;
    let filter = staff_filter(&s, &caller, &q).await?;
    let list = s.store.list_activities(&filter).await?;
    Ok(Json(views(&s, &caller, &list).await?))
}

async fn staff_filter(s: &AppState, caller: &Caller, q: &ActivitiesQuery) -> ApiResult<ActivityFilter> {
    let state = match q.state.as_deref().map(str::trim) {
        None | Some("") => Some(ActivityState::Submitted),
        Some("all") => None,
        Some(x) => Some(ActivityState::parse(x).ok_or_else(|| {
            ApiError::unprocessable("invalid_state", "Status harus submitted, approved, returned atau all.")
        })?),
    };
    let to = match q.to.as_deref() {
        Some(d) => parse_date(d, "to")?,
        None => crate::days::latest_today(),
    };
    let from = match q.from.as_deref() {
        Some(d) => parse_date(d, "from")?,
        None => to.checked_sub(jiff::Span::new().days(31)).unwrap_or(to),
    };
    let employee_id = match q.employee.as_deref().filter(|x| !x.trim().is_empty()) {
        Some(login) => Some(crate::api::employees::employee_in_scope(s, caller, login).await?.id),
        None => None,
    };
    let unit_paths =
        if caller.is_admin { None } else { Some(caller.grants.iter().map(|g| g.unit_path.clone()).collect()) };
    Ok(ActivityFilter { employee_id, unit_paths, from: Some(from), to: Some(to), state, limit: 2000 })
}

/// Approve, or return with a note, activities: a list of ids, or every waiting activity of one
/// employee in one week. All or nothing: one that may not be validated refuses the whole call.
#[utoipa::path(post, path = "/api/v1/activities/validate", tag = "kinerja", request_body = ValidateBody,
    responses((status = 200, body = ValidateResult), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn validate(
    State(s): State<AppState>,
    caller: Caller,
    ApiJson(b): ApiJson<ValidateBody>,
) -> ApiResult<Json<ValidateResult>> {
    caller.require_staff()?;
    let note =
        b.note.as_deref().map(str::trim).filter(|n| !n.is_empty()).map(|n| n.chars().take(500).collect::<String>());
    if !b.approve && note.is_none() {
        return Err(ActivityRefusal::NoteRequired.into());
    }
    let mut targets: Vec<Activity> = Vec::new();
    if let Some(ids) = &b.ids {
        if ids.len() > 500 {
            return Err(ApiError::unprocessable("too_many", "Paling banyak 500 kegiatan sekali validasi."));
        }
        for &id in ids {
            targets.push(activity_in_scope(&s, &caller, id).await?);
        }
    } else if let (Some(login), Some(week)) = (b.employee.as_deref(), b.week_of.as_deref()) {
        let e = crate::api::employees::employee_in_scope(&s, &caller, login).await?;
        let d = parse_date(week, "week_of")?;
        let monday = d.checked_sub(jiff::Span::new().days(i64::from(d.weekday().to_monday_zero_offset()))).unwrap_or(d);
        let sunday = monday.checked_add(jiff::Span::new().days(6)).unwrap_or(monday);
        targets = s
            .store
            .list_activities(&ActivityFilter {
                employee_id: Some(e.id),
                from: Some(monday),
                to: Some(sunday),
                state: Some(ActivityState::Submitted),
                limit: 1000,
                ..Default::default()
            })
            .await?;
    } else {
        return Err(ApiError::unprocessable(
            "target_required",
            "Sebutkan kegiatan (ids) atau pegawai dan minggunya (employee, week_of).",
        ));
    }
    targets.sort_by_key(|a| a.id);
    targets.dedup_by_key(|a| a.id);
    for a in &targets {
        if caller.employee_id == Some(a.employee_id) {
            return Err(ActivityRefusal::OwnActivity.into());
        }
        if !may_validate(&caller, a) {
            return Err(ApiError::not_found("Kegiatan"));
        }
        if a.state != ActivityState::Submitted {
            return Err(ActivityRefusal::NotWaiting.into());
        }
    }
    let ids: Vec<Id> = targets.iter().map(|a| a.id).collect();
    let done = if ids.is_empty() {
        Vec::new()
    } else {
        let d = ActivityDecision {
            approve: b.approve,
            note,
            validator: caller.account_id,
            validator_name: caller.name.clone(),
        };
        s.store.validate_activities(&ids, &d).await.map_err(store_err)?
    };
    let list = views(&s, &caller, &done).await?;
    if !list.items.is_empty() {
        // Pushed to the regency's e-kinerja site when it subscribed (issue 22 point 3): signed,
        // retried with backoff, logged on the console's integration page.
        let event = serde_json::json!({
            "approved": b.approve,
            "note": b.note,
            "validator": {"account_id": caller.account_id, "name": caller.name},
            "activities": list.items,
        });
        crate::webhooks::enqueue_or_log(s.store.as_ref(), "kinerja.activities_validated", &event).await;
    }
    Ok(Json(ValidateResult { validated: list.items.len(), items: list.items }))
}
