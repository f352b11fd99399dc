//! Apel and upacara sessions (issue 21 point 3).
//!
//! - An operator of the units (or an admin) creates, edits and cancels a session: date, local
//!   window, place (a geofence and/or the session's own QR code), the units that must attend
//!   (each with its subtree), mandatory or not. Audited (`apel_session`); refused with 422
//!   `month_locked` when the session's month is locked for any unit it concerns.
//! - An attendee checks in during the window at the place: a position inside the geofence, or
//!   a fresh code of this session (`GET …/code` shows it; `sessions.rs` signs and checks it).
//!   Refusals are 4xx with an Indonesian message and store nothing.
//! - A head or operator marks attendance from the list in bulk: people of their subtree whom
//!   the session concerns, never themselves; audited (`apel_attendance`). All or nothing.
//!
//! Every change queues the session date's recompute for the people concerned; the day record
//! then carries the outcome and a missed mandatory session costs the rule set's apel deduction.

use crate::auth::Caller;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::json::ApiJson;
use crate::sessions::{CodeError, parse_hm, verify_code, window};
use crate::state::AppState;
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use hadir_domain::geo::{GeoPoint, distance_m};
use hadir_domain::unit_zone;
use hadir_domain::zone::zone_abbreviation;
use hadir_store::{
    Audit, Employee, EmployeeFilter, Id, NewSession, RecomputeTarget, Scope, SessionMark, StoreError, StoredSession,
};
use jiff::Timestamp;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use utoipa::{IntoParams, ToSchema};

/// Widest geofence a session may have (a square or a field, not a district).
const MAX_RADIUS_M: f64 = 2000.0;
/// How many people one bulk marking may name.
const MAX_MARKS: usize = 2000;

#[derive(Deserialize, ToSchema)]
pub struct SessionInput {
    /// `apel` or `upacara`.
    pub kind: String,
    /// E.g. "Apel pagi", "Upacara 17 Desember".
    pub name: String,
    #[schema(value_type = String, example = "2026-12-07")]
    pub date: String,
    /// Local `HH:MM` in the zone of `unit_code`.
    #[schema(example = "07:30")]
    pub start: String,
    #[schema(example = "08:00")]
    pub end: String,
    /// The unit that holds the session (its zone is the session's).
    pub unit_code: String,
    /// The units that must attend, each with its sub-units (default: `unit_code`).
    #[serde(default)]
    pub unit_codes: Vec<String>,
    /// Geofence centre and radius (metres); optional when `qr` is set.
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub radius_m: Option<f64>,
    /// Offer the session's own QR code (shown by `GET /api/v1/sessions/{id}/code`).
    #[serde(default)]
    pub qr: bool,
    /// A missed mandatory session costs the rule set's apel deduction (default true).
    #[serde(default = "yes")]
    pub mandatory: bool,
}

fn yes() -> bool {
    true
}

#[derive(Serialize, ToSchema)]
pub struct SessionView {
    pub id: i64,
    pub kind: String,
    pub name: String,
    #[schema(value_type = String)]
    pub date: Date,
    pub start: String,
    pub end: String,
    /// `WIB`, `WITA` or `WIT`.
    pub zone: String,
    /// E.g. "Apel pagi 07:30–08:00 WITA".
    pub label: String,
    pub unit_code: String,
    pub unit_codes: Vec<String>,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub radius_m: Option<f64>,
    pub qr: bool,
    pub mandatory: bool,
    pub cancelled: bool,
    /// For staff: people who attended so far (checked in or marked).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attended: Option<u64>,
    /// For an employee: their own attendance (`position`, `qr`, `marked`), if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub my_attendance: Option<String>,
    /// Whether `date` is today in the unit's own zone (the console board's "today").
    #[serde(skip)]
    pub held_today: bool,
}

fn view(s: &StoredSession) -> SessionView {
    let tz = unit_zone(&s.unit_timezone).ok();
    let zone = tz
        .as_ref()
        .map(|tz| zone_abbreviation(tz, window(s).map(|w| w.0).unwrap_or_else(Timestamp::now)))
        .unwrap_or_default();
    let held_today = tz.is_some_and(|tz| crate::days::today_in(&tz) == s.s.date);
    SessionView {
        id: s.id,
        kind: s.s.kind.clone(),
        name: s.s.name.clone(),
        date: s.s.date,
        start: s.s.start.clone(),
        end: s.s.end.clone(),
        label: format!("{} {}–{} {zone}", s.s.name, s.s.start, s.s.end),
        zone,
        unit_code: s.unit_code.clone(),
        unit_codes: s.target_codes.clone(),
        lat: s.s.lat,
        lon: s.s.lon,
        radius_m: s.s.radius_m,
        qr: s.s.qr,
        mandatory: s.s.mandatory,
        cancelled: s.cancelled,
        attended: None,
        my_attendance: None,
        held_today,
    }
}

#[derive(Serialize, ToSchema)]
pub struct SessionList {
    pub items: Vec<SessionView>,
}

fn field_error(code: &'static str, message: impl Into<String>, field: &str) -> ApiError {
    ApiError::unprocessable(code, message).with_details(serde_json::json!({"field": field}))
}

fn not_found() -> ApiError {
    ApiError::not_found("Sesi apel/upacara")
}

/// 422 `month_locked` when the month of `date` is locked for any unit whose subtree meets one
/// of `paths` (a lock of the whole regency, of an ancestor, or of a sub-unit).
async fn refuse_locked(s: &AppState, date: Date, paths: &[String]) -> ApiResult<()> {
    let month = crate::recap::month_key(date);
    for lock in s.store.month_locks(&month).await? {
        let hit = match &lock.unit_path {
            None => true,
            Some(lp) => paths.iter().any(|p| p.starts_with(lp.as_str()) || lp.starts_with(p.as_str())),
        };
        if hit {
            return Err(ApiError::unprocessable(
                "month_locked",
                format!("Rekap bulan {month} sudah dikunci; sesi pada {date} tidak dapat diubah."),
            )
            .with_details(serde_json::json!({"field": "date", "month": month})));
        }
    }
    Ok(())
}

/// Checks the input against the caller's rights: every unit named must be one they manage.
async fn checked(s: &AppState, caller: &Caller, input: SessionInput) -> ApiResult<(NewSession, Vec<String>)> {
    let kind = input.kind.trim().to_ascii_lowercase();
    if kind != "apel" && kind != "upacara" {
        return Err(field_error("invalid_kind", "Jenis sesi harus 'apel' atau 'upacara'.", "kind"));
    }
    let name = input.name.trim().to_string();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(field_error("invalid_name", "Nama sesi wajib diisi (1–100 karakter).", "name"));
    }
    let date: Date = crate::dates::date(input.date.trim(), "date")?;
    let (Some(start), Some(end)) = (parse_hm(&input.start), parse_hm(&input.end)) else {
        return Err(field_error("invalid_time", "Jam mulai dan selesai harus berformat JJ:MM, mis. 07:30.", "start"));
    };
    if start >= end {
        return Err(field_error("invalid_time", "Jam selesai harus setelah jam mulai.", "end"));
    }
    let geofence = match (input.lat, input.lon, input.radius_m) {
        (None, None, None) => None,
        (Some(lat), Some(lon), Some(r)) => {
            if !GeoPoint::new(lat, lon).is_valid() {
                return Err(field_error("invalid_location", "Koordinat tempat sesi tidak valid.", "lat"));
            }
            if !(r.is_finite() && (10.0..=MAX_RADIUS_M).contains(&r)) {
                return Err(field_error(
                    "invalid_radius",
                    format!("Radius tempat sesi harus 10–{MAX_RADIUS_M} meter."),
                    "radius_m",
                ));
            }
            Some((lat, lon, r))
        }
        _ => {
            return Err(field_error(
                "invalid_location",
                "Tempat sesi: isi lintang, bujur dan radius sekaligus, atau kosongkan dan pakai QR sesi.",
                "lat",
            ));
        }
    };
    if geofence.is_none() && !input.qr {
        return Err(field_error(
            "place_required",
            "Tentukan tempat sesi: titik dan radius lokasi, atau QR sesi (atau keduanya).",
            "qr",
        ));
    }
    let unknown =
        |code: &str, field: &str| field_error("unknown_unit", format!("Unit kerja '{code}' tidak ditemukan."), field);
    let unit_code = input.unit_code.trim();
    let unit = s.store.unit_by_code(unit_code).await.map_err(|_| unknown(unit_code, "unit_code"))?;
    if !caller.can_read_unit(&unit.path) {
        return Err(unknown(unit_code, "unit_code"));
    }
    if !caller.can_manage_unit(&unit.path) {
        return Err(ApiError::forbidden());
    }
    let mut codes: Vec<String> = input.unit_codes.iter().map(|c| c.trim().to_string()).collect();
    if codes.is_empty() {
        codes.push(unit.code.clone());
    }
    if codes.len() > 200 {
        return Err(field_error("too_many_units", "Paling banyak 200 unit per sesi.", "unit_codes"));
    }
    let mut ids = Vec::new();
    let mut paths = vec![unit.path.clone()];
    for c in &codes {
        let u = s.store.unit_by_code(c).await.map_err(|_| unknown(c, "unit_codes"))?;
        if !caller.can_read_unit(&u.path) {
            return Err(unknown(c, "unit_codes"));
        }
        if !caller.can_manage_unit(&u.path) {
            return Err(ApiError::forbidden());
        }
        ids.push(u.id);
        paths.push(u.path);
    }
    let hm = |t: jiff::civil::Time| format!("{:02}:{:02}", t.hour(), t.minute());
    Ok((
        NewSession {
            kind,
            name,
            date,
            start: hm(start),
            end: hm(end),
            unit_id: unit.id,
            unit_ids: ids,
            lat: geofence.map(|g| g.0),
            lon: geofence.map(|g| g.1),
            radius_m: geofence.map(|g| g.2),
            qr: input.qr,
            mandatory: input.mandatory,
        },
        paths,
    ))
}

/// The session, if the caller may manage it (404 when out of sight, 403 when only readable).
async fn managed(s: &AppState, caller: &Caller, id: Id) -> ApiResult<StoredSession> {
    caller.require_staff()?;
    let session = s.store.apel_session_by_id(id).await.map_err(|e| match e {
        StoreError::NotFound(_) => not_found(),
        e => e.into(),
    })?;
    if !sees(caller, &session) {
        return Err(not_found());
    }
    if !caller.can_manage_unit(&session.unit_path) || !session.target_paths.iter().all(|p| caller.can_manage_unit(p)) {
        return Err(ApiError::forbidden());
    }
    Ok(session)
}

/// Staff see a session held by a unit they read, or one that concerns people they read (a
/// head of a school sees the agency's apel its pupils' teachers must attend).
fn sees(caller: &Caller, session: &StoredSession) -> bool {
    caller.can_read_unit(&session.unit_path)
        || session.target_paths.iter().any(|p| {
            caller.can_read_unit(p)
                || caller.grants.iter().any(|g| {
                    matches!(g.role, hadir_store::Role::Head | hadir_store::Role::Operator)
                        && g.unit_path.starts_with(p.as_str())
                })
        })
}

fn requeue(s: &AppState, session: &StoredSession) {
    s.recompute.enqueue_in_background(
        RecomputeTarget::Subtrees(session.target_paths.clone()),
        session.s.date,
        session.s.date,
    );
}

/// Create an apel or upacara session (admin, or an operator of the unit and of every unit that
/// must attend).
#[utoipa::path(post, path = "/api/v1/sessions", tag = "sessions", request_body = SessionInput,
    responses((status = 201, body = SessionView), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_session(
    State(s): State<AppState>,
    caller: Caller,
    ApiJson(input): ApiJson<SessionInput>,
) -> ApiResult<(StatusCode, Json<SessionView>)> {
    caller.require_staff()?;
    let (new, paths) = checked(&s, &caller, input).await?;
    refuse_locked(&s, new.date, &paths).await?;
    let audit = Audit::new(caller.actor(), "create", "apel_session", &new.name);
    let stored = s.store.create_apel_session(&new, audit).await?;
    requeue(&s, &stored);
    Ok((StatusCode::CREATED, Json(view(&stored))))
}

/// Change a session (same rights; neither its old nor its new date may be in a locked month).
#[utoipa::path(put, path = "/api/v1/sessions/{id}", tag = "sessions", params(("id" = i64, Path)),
    request_body = SessionInput,
    responses((status = 200, body = SessionView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn update_session(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    ApiJson(input): ApiJson<SessionInput>,
) -> ApiResult<Json<SessionView>> {
    let before = managed(&s, &caller, id).await?;
    if before.cancelled {
        return Err(ApiError::unprocessable("session_cancelled", "Sesi ini sudah dibatalkan."));
    }
    let (new, paths) = checked(&s, &caller, input).await?;
    let mut old_paths = before.target_paths.clone();
    old_paths.push(before.unit_path.clone());
    refuse_locked(&s, before.s.date, &old_paths).await?;
    refuse_locked(&s, new.date, &paths).await?;
    let audit = Audit::new(caller.actor(), "update", "apel_session", &id.to_string());
    let after = s.store.update_apel_session(id, &new, audit).await?;
    requeue(&s, &before);
    requeue(&s, &after);
    Ok(Json(view(&after)))
}

/// Cancel a session: it then concerns nobody (no deduction, no attendance).
#[utoipa::path(post, path = "/api/v1/sessions/{id}/cancel", tag = "sessions", params(("id" = i64, Path)),
    responses((status = 200, body = SessionView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn cancel_session(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> ApiResult<Json<SessionView>> {
    let session = managed(&s, &caller, id).await?;
    let mut paths = session.target_paths.clone();
    paths.push(session.unit_path.clone());
    refuse_locked(&s, session.s.date, &paths).await?;
    if session.cancelled {
        return Ok(Json(view(&session)));
    }
    let audit = Audit::new(caller.actor(), "cancel", "apel_session", &id.to_string()).before(view(&session));
    let after = s.store.cancel_apel_session(id, audit).await?;
    requeue(&s, &after);
    Ok(Json(view(&after)))
}

#[derive(Deserialize, IntoParams)]
pub struct RangeQuery {
    /// `YYYY-MM-DD`; default today in WIB (Indonesia's earliest date, so every zone's today is in).
    pub from: Option<String>,
    /// `YYYY-MM-DD`; default `from` + 31 days.
    pub to: Option<String>,
}

fn range(q: &RangeQuery) -> ApiResult<(Date, Date)> {
    // Default from the earliest "today" in Indonesia (WIB): from the latest (WIT), a WITA or WIB
    // employee lost today's sessions after 15:00 UTC, when Jayapura's date has moved on.
    let from = crate::dates::opt_date(q.from.as_deref(), "from")?.unwrap_or_else(crate::org::today_jakarta);
    let to = crate::dates::opt_date(q.to.as_deref(), "to")?
        .unwrap_or_else(|| from.checked_add(jiff::Span::new().days(31)).unwrap_or(from));
    if to < from || from.until(to).map(|sp| sp.get_days()).unwrap_or(i32::MAX) > 366 {
        return Err(ApiError::unprocessable(
            "invalid_range",
            "Rentang tanggal harus 0–366 hari, dengan 'from' sebelum 'to'.",
        ));
    }
    Ok((from, to))
}

/// Sessions of a date range: staff see those of their units (with attendance counts); an
/// employee sees those that concern them (with their own attendance).
#[utoipa::path(get, path = "/api/v1/sessions", tag = "sessions", params(RangeQuery),
    responses((status = 200, body = SessionList), (status = 400, body = ErrorBody)))]
pub async fn list_sessions(
    State(s): State<AppState>,
    caller: Caller,
    Query(q): Query<RangeQuery>,
) -> ApiResult<Json<SessionList>> {
    let (from, to) = range(&q)?;
    let all = s.store.list_apel_sessions(from, to).await?;
    let mut items = Vec::new();
    if caller.is_staff() {
        for session in all.iter().filter(|x| sees(&caller, x)) {
            let mut v = view(session);
            v.attended = Some(s.store.session_attendance(session.id).await?.len() as u64);
            items.push(v);
        }
    } else if let Some(eid) = caller.employee_id {
        let e = s.employee(eid).await?;
        let path = s.unit(e.unit_id).await?.path;
        let mine: Vec<&StoredSession> = all.iter().filter(|x| !x.cancelled && x.concerns(&path)).collect();
        let ids: Vec<Id> = mine.iter().map(|x| x.id).collect();
        let marks = s.store.attendance_of(&[eid], &ids).await?;
        for session in mine {
            let mut v = view(session);
            v.my_attendance = marks.iter().find(|m| m.session_id == session.id).map(|m| m.how.clone());
            items.push(v);
        }
    }
    Ok(Json(SessionList { items }))
}

#[derive(Serialize, ToSchema)]
pub struct SessionCode {
    /// `HS1.<session>.<slot>.<signature>`: valid 60 s.
    pub code: String,
    /// The code as a QR drawing.
    pub svg: String,
    pub seconds_left: i64,
}

/// The session's current QR code, to show on a screen at the place (staff of the session's
/// unit; the session must offer QR).
#[utoipa::path(get, path = "/api/v1/sessions/{id}/code", tag = "sessions", params(("id" = i64, Path)),
    responses((status = 200, body = SessionCode), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn session_code(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> ApiResult<Json<SessionCode>> {
    caller.require_staff()?;
    let session = s.store.apel_session_by_id(id).await.map_err(|e| match e {
        StoreError::NotFound(_) => not_found(),
        e => e.into(),
    })?;
    if !caller.can_read_unit(&session.unit_path) {
        return Err(not_found());
    }
    if !session.s.qr || session.cancelled {
        return Err(ApiError::unprocessable("session_no_qr", "Sesi ini tidak memakai QR atau sudah dibatalkan."));
    }
    Ok(Json(current_code(&s, id).await?))
}

/// The session's code of this 30-second slot.
async fn current_code(s: &AppState, id: i64) -> ApiResult<SessionCode> {
    let secret = s.kiosk_keys.secret(s.store.as_ref()).await?;
    let now = Timestamp::now();
    let code = crate::sessions::sign_code(secret, id, now);
    let svg = crate::kiosk::svg(&code).ok_or_else(ApiError::internal)?;
    let seconds_left = crate::kiosk::SLOT_SECS - now.as_second().rem_euclid(crate::kiosk::SLOT_SECS);
    Ok(SessionCode { code, svg, seconds_left })
}

/// The session's current QR code for a kiosk screen (kiosk token; the page `/kiosk?apel={id}`).
/// The kiosk's unit must be the session's unit or one of the units that must attend; otherwise
/// the session does not exist for it.
#[utoipa::path(get, path = "/api/v1/kiosk/sessions/{id}/code", tag = "sessions", params(("id" = i64, Path)),
    responses((status = 200, body = crate::api::kiosks::KioskCodeView), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn kiosk_session_code(
    State(s): State<AppState>,
    crate::api::kiosks::KioskAuth(k): crate::api::kiosks::KioskAuth,
    Path(id): Path<i64>,
) -> ApiResult<axum::response::Response> {
    use axum::response::IntoResponse;
    let session = s.store.apel_session_by_id(id).await.map_err(|e| match e {
        StoreError::NotFound(_) => not_found(),
        e => e.into(),
    })?;
    if !(session.concerns(&k.unit_path) || session.unit_path == k.unit_path) {
        return Err(not_found());
    }
    if !session.s.qr || session.cancelled {
        return Err(ApiError::unprocessable("session_no_qr", "Sesi ini tidak memakai QR atau sudah dibatalkan."));
    }
    let c = current_code(&s, id).await?;
    let body = crate::api::kiosks::KioskCodeView {
        kiosk_name: k.name,
        unit_name: view(&session).label,
        code: c.code,
        svg: c.svg,
        next_in_secs: c.seconds_left,
        recent: Vec::new(),
    };
    Ok(([(axum::http::header::CACHE_CONTROL, "no-store")], Json(body)).into_response())
}

#[derive(Deserialize, ToSchema)]
pub struct SessionCheckin {
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub accuracy_m: Option<f64>,
    /// The session's QR code, scanned at the place (instead of a position).
    pub code: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct SessionCheckinDone {
    pub session: SessionView,
    /// `position`, `qr` or `marked` (the first record counts; a repeat answers it again).
    pub how: String,
    /// RFC 3339, local.
    pub at: String,
    pub message: String,
}

fn local_time(session: &StoredSession, at: Timestamp) -> String {
    let tz = unit_zone(&session.unit_timezone).unwrap_or(jiff::tz::TimeZone::UTC);
    let z = at.to_zoned_datetime(tz.clone());
    format!("{:02}:{:02} {}", z.hour(), z.minute(), zone_abbreviation(&tz, at))
}

/// Check in to a session at its place: a position inside its geofence or a fresh code of this
/// session, during its window. The caller must be an employee whom the session concerns.
#[utoipa::path(post, path = "/api/v1/sessions/{id}/checkin", tag = "sessions", params(("id" = i64, Path)),
    request_body = SessionCheckin,
    responses((status = 201, body = SessionCheckinDone), (status = 200, body = SessionCheckinDone),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn checkin_session(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    ApiJson(input): ApiJson<SessionCheckin>,
) -> ApiResult<(StatusCode, Json<SessionCheckinDone>)> {
    let Some(eid) = caller.employee_id else {
        return Err(ApiError::new(StatusCode::FORBIDDEN, "not_an_employee", "Akun ini bukan akun pegawai."));
    };
    let e = s.employee(eid).await?;
    let path = s.unit(e.unit_id).await?.path;
    let session = match s.store.apel_session_by_id(id).await {
        Ok(x) if !x.cancelled && x.concerns(&path) => x,
        Ok(_) | Err(StoreError::NotFound(_)) => return Err(not_found()),
        Err(err) => return Err(err.into()),
    };
    if !e.active {
        return Err(ApiError::new(StatusCode::FORBIDDEN, "inactive_employee", "Pegawai tidak aktif."));
    }
    let done = |status, m: &SessionMark, session: &StoredSession| {
        let how = m.how.clone();
        let message = format!("Hadir {} tercatat pukul {}.", session.s.name, local_time(session, m.at));
        (status, Json(SessionCheckinDone { session: view(session), how, at: m.at.to_string(), message }))
    };
    if let Some(m) = s.store.attendance_of(&[eid], &[id]).await?.pop() {
        return Ok(done(StatusCode::OK, &m, &session));
    }
    let now = Timestamp::now();
    let (start, end) = window(&session).ok_or_else(ApiError::internal)?;
    if now < start {
        return Err(ApiError::unprocessable(
            "session_not_open",
            format!("{} belum dimulai (mulai {}).", session.s.name, local_time(&session, start)),
        ));
    }
    if now > end {
        return Err(ApiError::unprocessable(
            "session_closed",
            format!(
                "{} sudah selesai ({}); minta atasan menandai kehadiran Anda.",
                session.s.name,
                local_time(&session, end)
            ),
        ));
    }
    let here = match (input.lat, input.lon) {
        (Some(lat), Some(lon)) => {
            let p = GeoPoint::new(lat, lon);
            if !p.is_valid() {
                return Err(ApiError::unprocessable("invalid_location", "Koordinat lokasi tidak valid."));
            }
            Some(p)
        }
        (None, None) => None,
        _ => return Err(ApiError::unprocessable("invalid_location", "Kirim lintang dan bujur sekaligus.")),
    };
    let how = if let Some(code) = input.code.as_deref() {
        let secret = s.kiosk_keys.secret(s.store.as_ref()).await?;
        match verify_code(secret, code, id, now) {
            Ok(()) => "qr",
            Err(CodeError::Invalid) => {
                return Err(ApiError::unprocessable(
                    "session_code_invalid",
                    "Kode QR tidak dikenali. Pindai QR sesi yang tampil di layar tempat apel.",
                ));
            }
            Err(CodeError::OtherSession) => {
                return Err(ApiError::unprocessable(
                    "session_code_other",
                    "Kode QR ini milik sesi lain. Pindai QR sesi yang Anda ikuti.",
                ));
            }
            Err(CodeError::Expired) => {
                return Err(ApiError::unprocessable(
                    "session_code_expired",
                    "Kode QR sudah kedaluwarsa (berlaku 60 detik). Pindai kode yang sedang tampil.",
                ));
            }
        }
    } else {
        let (Some(lat), Some(lon), Some(radius)) = (session.s.lat, session.s.lon, session.s.radius_m) else {
            return Err(ApiError::unprocessable(
                "session_qr_only",
                "Sesi ini memakai QR: pindai QR sesi di tempat apel.",
            ));
        };
        let Some(here) = here else {
            return Err(ApiError::unprocessable(
                "location_required",
                "Lokasi (lat dan lon) wajib dikirim. Izinkan akses lokasi, atau pindai QR sesi.",
            ));
        };
        let max = s.config.checkin.max_accuracy_m;
        if let Some(a) = input.accuracy_m
            && (!a.is_finite() || a > max)
        {
            return Err(ApiError::unprocessable(
                "inaccurate_location",
                format!("Lokasi kurang akurat (±{} m; batas {max} m). Nyalakan GPS dan tunggu sebentar.", a.round()),
            ));
        }
        let d = distance_m(here, GeoPoint::new(lat, lon));
        if d > radius {
            return Err(ApiError::unprocessable(
                "outside_session_area",
                format!("Anda berada {} m dari tempat {} (batas {} m).", d.round(), session.s.name, radius.round()),
            )
            .with_details(serde_json::json!({"distance_m": d.round(), "radius_m": radius})));
        }
        "position"
    };
    let mark = SessionMark {
        session_id: id,
        employee_id: eid,
        how: how.into(),
        at: now,
        by_account: Some(caller.account_id),
        lat: here.map(|h| h.lat),
        lon: here.map(|h| h.lon),
    };
    s.store.record_session_attendance(std::slice::from_ref(&mark), None).await?;
    // The first record counts (a concurrent duplicate kept the other one).
    let stored = s.store.attendance_of(&[eid], &[id]).await?.pop().unwrap_or(mark);
    s.recompute.enqueue_recompute(&[eid], session.s.date, session.s.date).await?;
    Ok(done(StatusCode::CREATED, &stored, &session))
}

#[derive(Serialize, ToSchema)]
pub struct AttendeeView {
    pub nip: Option<String>,
    pub login: String,
    pub name: String,
    pub unit_code: String,
    /// `position`, `qr`, `marked`, or absent when not (yet) attended.
    pub how: Option<String>,
    /// RFC 3339.
    pub at: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct AttendanceList {
    pub session: SessionView,
    pub attended: u64,
    pub total: u64,
    pub items: Vec<AttendeeView>,
}

/// Who must attend and who did (staff; only the people of the caller's subtrees).
#[utoipa::path(get, path = "/api/v1/sessions/{id}/attendance", tag = "sessions", params(("id" = i64, Path)),
    responses((status = 200, body = AttendanceList), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn attendance(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> ApiResult<Json<AttendanceList>> {
    caller.require_staff()?;
    let session = s.store.apel_session_by_id(id).await.map_err(|e| match e {
        StoreError::NotFound(_) => not_found(),
        e => e.into(),
    })?;
    if !sees(&caller, &session) {
        return Err(not_found());
    }
    let people = concerned(&s, &caller, &session).await?;
    let marks: HashMap<Id, SessionMark> =
        s.store.session_attendance(id).await?.into_iter().map(|m| (m.employee_id, m)).collect();
    let items: Vec<AttendeeView> = people
        .iter()
        .map(|e| {
            let m = marks.get(&e.id);
            AttendeeView {
                nip: e.nip.clone(),
                login: e.login.clone(),
                name: e.name.clone(),
                unit_code: e.unit_code.clone(),
                how: m.map(|m| m.how.clone()),
                at: m.map(|m| m.at.to_string()),
            }
        })
        .collect();
    Ok(Json(AttendanceList {
        session: view(&session),
        attended: items.iter().filter(|i| i.how.is_some()).count() as u64,
        total: items.len() as u64,
        items,
    }))
}

/// Active employees the session concerns within the caller's sight, by unit then name.
async fn concerned(s: &AppState, caller: &Caller, session: &StoredSession) -> ApiResult<Vec<Employee>> {
    let mut out = Vec::new();
    for p in &session.target_paths {
        let f = EmployeeFilter { active: Some(true), limit: 100_000, ..Default::default() };
        for e in s.store.list_employees(&Scope::Subtrees(vec![p.clone()]), &f).await?.items {
            let path = s.unit(e.unit_id).await?.path;
            if caller.can_read_unit(&path) && !out.iter().any(|o: &Employee| o.id == e.id) {
                out.push(e);
            }
        }
    }
    out.sort_by(|a, b| (&a.unit_code, &a.name).cmp(&(&b.unit_code, &b.name)));
    Ok(out)
}

#[derive(Deserialize, ToSchema)]
pub struct MarkInput {
    /// NIPs (or logins) of the people present.
    pub nips: Vec<String>,
}

#[derive(Serialize, ToSchema)]
pub struct MarkDone {
    /// Newly marked (people already recorded keep their record).
    pub marked: u64,
    pub attended: u64,
}

/// Mark people present from the list (a head or operator of their units, or an admin): all or
/// nothing; never oneself; only people the session concerns; audited.
#[utoipa::path(post, path = "/api/v1/sessions/{id}/marks", tag = "sessions", params(("id" = i64, Path)),
    request_body = MarkInput,
    responses((status = 200, body = MarkDone), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn mark(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    ApiJson(input): ApiJson<MarkInput>,
) -> ApiResult<Json<MarkDone>> {
    caller.require_staff()?;
    let session = s.store.apel_session_by_id(id).await.map_err(|e| match e {
        StoreError::NotFound(_) => not_found(),
        e => e.into(),
    })?;
    if !sees(&caller, &session) {
        return Err(not_found());
    }
    if session.cancelled {
        return Err(ApiError::unprocessable("session_cancelled", "Sesi ini sudah dibatalkan."));
    }
    if input.nips.is_empty() || input.nips.len() > MAX_MARKS {
        return Err(field_error("invalid_nips", format!("Pilih 1–{MAX_MARKS} pegawai."), "nips"));
    }
    let (start, _) = window(&session).ok_or_else(ApiError::internal)?;
    let now = Timestamp::now();
    if now < start {
        return Err(ApiError::unprocessable(
            "session_not_open",
            format!("{} belum dimulai (mulai {}).", session.s.name, local_time(&session, start)),
        ));
    }
    refuse_locked(&s, session.s.date, &session.target_paths).await?;
    let mut marks = Vec::new();
    let mut logins = Vec::new();
    for nip in &input.nips {
        let key: String = nip.chars().filter(|c| !c.is_whitespace() && *c != '.').collect();
        let unknown = || {
            field_error(
                "unknown_employee",
                format!("Pegawai '{nip}' tidak ditemukan atau tidak wajib mengikuti sesi ini."),
                "nips",
            )
            .with_details(serde_json::json!({"field": "nips", "nip": nip}))
        };
        let e = s.store.employee_by_login(&key).await.map_err(|_| unknown())?;
        let path = s.unit(e.unit_id).await?.path;
        if !caller.can_read_unit(&path) {
            return Err(unknown());
        }
        if caller.employee_id == Some(e.id) {
            return Err(ApiError::unprocessable(
                "own_attendance",
                "Anda tidak dapat menandai kehadiran Anda sendiri; minta atasan atau operator lain.",
            )
            .with_details(serde_json::json!({"field": "nips", "nip": nip})));
        }
        if !caller.can_decide_for_unit(&path) {
            return Err(ApiError::forbidden());
        }
        if !e.active || !session.concerns(&path) {
            return Err(unknown());
        }
        logins.push(e.login.clone());
        marks.push(SessionMark {
            session_id: id,
            employee_id: e.id,
            how: "marked".into(),
            at: now,
            by_account: Some(caller.account_id),
            lat: None,
            lon: None,
        });
    }
    let audit = Audit::new(caller.actor(), "mark", "apel_attendance", &id.to_string())
        .after(serde_json::json!({"session_id": id, "logins": logins}));
    let marked = s.store.record_session_attendance(&marks, Some(audit)).await?;
    let ids: Vec<Id> = marks.iter().map(|m| m.employee_id).collect();
    s.recompute.enqueue_recompute(&ids, session.s.date, session.s.date).await?;
    let attended = s.store.session_attendance(id).await?.len() as u64;
    Ok(Json(MarkDone { marked, attended }))
}
