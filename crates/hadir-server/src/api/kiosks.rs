//! Office QR kiosks (issue 21): an operator registers a kiosk for a unit (token shown once,
//! stored hashed, revocable, audited); the kiosk page fetches the current signed code with that
//! token and shows who checked in with it. The check-in itself is `POST /api/v1/checkins` with
//! `kiosk_code` in its meta (see `api/checkins.rs`).

use crate::auth::{Caller, token};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::json::ApiJson;
use crate::kiosk::{self, KioskCode};
use crate::state::AppState;
use axum::Json;
use axum::extract::{FromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use hadir_domain::unit_zone;
use hadir_domain::zone::{rfc3339_local, zone_abbreviation};
use hadir_store::{Audit, Kiosk, PunchFilter, Scope, StoreError};
use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Serialize, ToSchema)]
pub struct KioskView {
    pub id: i64,
    pub name: String,
    pub unit_code: String,
    pub unit_name: String,
    pub revoked: bool,
    /// RFC 3339, UTC.
    pub created_at: String,
}

impl From<Kiosk> for KioskView {
    fn from(k: Kiosk) -> Self {
        KioskView {
            id: k.id,
            name: k.name,
            unit_code: k.unit_code,
            unit_name: k.unit_name,
            revoked: k.revoked,
            created_at: rfc3339_local(&jiff::tz::TimeZone::UTC, k.created_at),
        }
    }
}

#[derive(Deserialize, ToSchema)]
pub struct KioskInput {
    /// Where it stands, e.g. "Lobi kantor".
    pub name: String,
    /// The unit whose employees check in with its codes (and those of its sub-units).
    pub unit_code: String,
}

#[derive(Serialize, ToSchema)]
pub struct KioskCreated {
    #[serde(flatten)]
    pub kiosk: KioskView,
    /// Shown once: type it on the kiosk page (`/kiosk`).
    pub token: String,
}

#[derive(Serialize, ToSchema)]
pub struct KioskList {
    pub items: Vec<KioskView>,
}

/// Register an office QR kiosk for a unit (admin, or an operator of the unit). The token is
/// returned once and stored only hashed.
#[utoipa::path(post, path = "/api/v1/kiosks", tag = "kiosks", request_body = KioskInput,
    responses((status = 201, body = KioskCreated), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_kiosk(
    State(s): State<AppState>,
    caller: Caller,
    ApiJson(input): ApiJson<KioskInput>,
) -> ApiResult<(StatusCode, Json<KioskCreated>)> {
    caller.require_staff()?;
    let name = input.name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(ApiError::unprocessable("invalid_name", "Nama kiosk wajib diisi (1–100 karakter).")
            .with_details(serde_json::json!({"field": "name"})));
    }
    let unit_code = input.unit_code.trim();
    let unknown = || {
        ApiError::unprocessable("unknown_unit", format!("Unit kerja '{unit_code}' tidak ditemukan."))
            .with_details(serde_json::json!({"field": "unit_code"}))
    };
    let unit = s.store.unit_by_code(unit_code).await.map_err(|_| unknown())?;
    if !caller.can_read_unit(&unit.path) {
        // Out of scope reads as absent.
        return Err(unknown());
    }
    if !caller.can_manage_unit(&unit.path) {
        return Err(ApiError::forbidden());
    }
    let secret = token::generate();
    let audit = Audit::new(caller.actor(), "create", "kiosk", name);
    let k = s.store.create_kiosk(name, unit.id, &token::hash(&secret), audit).await?;
    Ok((StatusCode::CREATED, Json(KioskCreated { kiosk: k.into(), token: secret })))
}

/// Kiosks of the caller's units (admins: all).
#[utoipa::path(get, path = "/api/v1/kiosks", tag = "kiosks",
    responses((status = 200, body = KioskList), (status = 403, body = ErrorBody)))]
pub async fn list_kiosks(State(s): State<AppState>, caller: Caller) -> ApiResult<Json<KioskList>> {
    caller.require_staff()?;
    let items = match caller.read_scope() {
        Scope::All => s.store.list_kiosks(None).await?,
        Scope::Subtrees(paths) => s.store.list_kiosks(Some(&paths)).await?,
        _ => Vec::new(),
    };
    Ok(Json(KioskList { items: items.into_iter().map(Into::into).collect() }))
}

/// Revoke a kiosk (admin, or an operator of its unit): its page stops getting codes and the
/// codes it showed are refused at check-in.
#[utoipa::path(post, path = "/api/v1/kiosks/{id}/revoke", tag = "kiosks", params(("id" = i64, Path)),
    responses((status = 200, body = KioskView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn revoke_kiosk(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> ApiResult<Json<KioskView>> {
    caller.require_staff()?;
    let k = s.store.kiosk_by_id(id).await.map_err(|e| match e {
        StoreError::NotFound(_) => ApiError::not_found("Kiosk"),
        e => e.into(),
    })?;
    if !caller.can_read_unit(&k.unit_path) {
        return Err(ApiError::not_found("Kiosk"));
    }
    if !caller.can_manage_unit(&k.unit_path) {
        return Err(ApiError::forbidden());
    }
    let audit = Audit::new(caller.actor(), "revoke", "kiosk", &id.to_string());
    Ok(Json(s.store.revoke_kiosk(id, audit).await?.into()))
}

/// The kiosk calling, from `Authorization: Bearer <kiosk token>`.
pub struct KioskAuth(pub Kiosk);

fn invalid_token() -> ApiError {
    ApiError::new(
        StatusCode::UNAUTHORIZED,
        "invalid_kiosk_token",
        "Token kiosk tidak sah atau kiosk sudah dinonaktifkan. Minta token baru kepada operator.",
    )
}

impl FromRequestParts<AppState> for KioskAuth {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let t = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or_else(invalid_token)?;
        match state.store.kiosk_by_token(&token::hash(t)).await {
            Ok(k) => Ok(KioskAuth(k)),
            Err(StoreError::NotFound(_)) => Err(invalid_token()),
            Err(e) => Err(e.into()),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct KioskArrival {
    pub name: String,
    /// e.g. "07:12 WITA".
    pub time: String,
    /// "Selamat datang, Agus — 07:12 WITA".
    pub greeting: String,
}

#[derive(Serialize, ToSchema)]
pub struct KioskCodeView {
    pub kiosk_name: String,
    pub unit_name: String,
    /// The text inside the QR code.
    pub code: String,
    /// The QR code drawn as an SVG document.
    pub svg: String,
    /// Seconds until the next code.
    pub next_in_secs: i64,
    /// Check-ins with this kiosk's codes in the last 10 minutes, newest first (at most 6).
    pub recent: Vec<KioskArrival>,
}

/// The kiosk's current code (kiosk token). The page asks every few seconds.
#[utoipa::path(get, path = "/api/v1/kiosk/code", tag = "kiosks",
    responses((status = 200, body = KioskCodeView), (status = 401, body = ErrorBody)))]
pub async fn kiosk_code(State(s): State<AppState>, KioskAuth(k): KioskAuth) -> ApiResult<Response> {
    let now = Timestamp::now();
    let secret = s.kiosk_keys.secret(s.store.as_ref()).await?;
    let code = KioskCode { kiosk_id: k.id, unit_id: k.unit_id, slot: KioskCode::slot_of(now) };
    let text = kiosk::sign(secret, &code);
    let svg = kiosk::svg(&text).ok_or_else(ApiError::internal)?;
    let next_in_secs = kiosk::SLOT_SECS - now.as_second().rem_euclid(kiosk::SLOT_SECS);
    let tz = unit_zone(&k.unit_timezone).unwrap_or(jiff::tz::TimeZone::UTC);
    let recent = recent_arrivals(&s, &k, now, &tz).await?;
    let body = KioskCodeView { kiosk_name: k.name, unit_name: k.unit_name, code: text, svg, next_in_secs, recent };
    Ok(([(header::CACHE_CONTROL, "no-store")], Json(body)).into_response())
}

/// The dedup-key suffix a kiosk check-in carries: `#k<kiosk id>:<slot>`.
pub fn key_suffix(code: &KioskCode) -> String {
    format!("#k{}:{}", code.kiosk_id, code.slot)
}

async fn recent_arrivals(
    s: &AppState,
    k: &Kiosk,
    now: Timestamp,
    tz: &jiff::tz::TimeZone,
) -> ApiResult<Vec<KioskArrival>> {
    let marker = format!("#k{}:", k.id);
    let punches = s
        .store
        .list_punches(&PunchFilter {
            from: Some(now - SignedDuration::from_mins(10)),
            to: Some(now + SignedDuration::from_mins(1)),
            subtrees: Some(vec![k.unit_path.clone()]),
            limit: 2000,
            ..Default::default()
        })
        .await?;
    let mut out = Vec::new();
    for p in punches.iter().rev().filter(|p| p.p.dedup_key.contains(&marker)).take(6) {
        let Some(eid) = p.p.employee_id else { continue };
        let Ok(e) = s.employee(eid).await else { continue };
        let first = e.name.split_whitespace().next().unwrap_or(&e.name).to_string();
        let at = p.p.punched_at.to_zoned_datetime(tz.clone());
        let time = format!("{:02}:{:02} {}", at.hour(), at.minute(), zone_abbreviation(tz, p.p.punched_at));
        out.push(KioskArrival { greeting: format!("Selamat datang, {first} — {time}"), name: e.name, time });
    }
    Ok(out)
}
