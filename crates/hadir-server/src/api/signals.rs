//! Fraud signals for people (issue 23): the BKD's monthly view per unit (how many, which kinds,
//! who accepted or rejected the punches they held) and where the background analyser stands.
//! The signals of each held punch are listed with it in the review queue (`api/review.rs`).

use crate::auth::Caller;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::signals::kind_label;
use crate::state::AppState;
use axum::Json;
use axum::extract::{Query, State};
use hadir_store::Signal;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::{IntoParams, ToSchema};

/// One signal on a punch, as a reviewer reads it.
#[derive(Serialize, ToSchema, Clone)]
pub struct SignalView {
    /// `photo_similar`, `photo_not_camera`, `photo_unreadable`, `impossible_travel`,
    /// `same_position`, `at_centre`, `mock_accuracy`.
    pub kind: String,
    pub label: String,
    pub detail: String,
    pub score: Option<f64>,
    /// `accepted` / `rejected` once the punch was decided.
    pub decision: Option<String>,
    pub decided_by: Option<String>,
}

impl From<&Signal> for SignalView {
    fn from(s: &Signal) -> Self {
        SignalView {
            kind: s.s.kind.clone(),
            label: kind_label(&s.s.kind).into(),
            detail: s.s.detail.clone(),
            score: s.s.score,
            decision: s.decision.clone(),
            decided_by: s.decided_by.clone(),
        }
    }
}

#[derive(Deserialize, IntoParams)]
pub struct SummaryQuery {
    /// `YYYY-MM` (the month the punches were taken, WIB).
    pub month: String,
    /// Only this unit's subtree (code).
    pub unit: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct KindCount {
    pub kind: String,
    pub label: String,
    pub count: i64,
}

#[derive(Serialize, ToSchema)]
pub struct DeciderCount {
    /// The reviewer's user name.
    pub by: String,
    pub count: i64,
}

#[derive(Serialize, ToSchema)]
pub struct UnitSignals {
    pub unit_code: String,
    pub unit_name: String,
    pub total: i64,
    pub kinds: Vec<KindCount>,
    /// Signals whose punch was accepted (counts after all), rejected, or still waiting.
    pub accepted: i64,
    pub rejected: i64,
    pub pending: i64,
    pub accepted_by: Vec<DeciderCount>,
    pub rejected_by: Vec<DeciderCount>,
}

#[derive(Serialize, ToSchema)]
pub struct SignalSummary {
    pub month: String,
    pub units: Vec<UnitSignals>,
}

/// Fraud signals of a month per unit: how many, which kinds, who accepted or rejected the
/// punches they held. Admins see every unit; heads and operators their subtrees.
#[utoipa::path(get, path = "/api/v1/signals/summary", tag = "punches", params(SummaryQuery),
    responses((status = 200, body = SignalSummary), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 422, body = ErrorBody)))]
pub async fn signal_summary(
    State(s): State<AppState>,
    caller: Caller,
    Query(q): Query<SummaryQuery>,
) -> ApiResult<Json<SignalSummary>> {
    let (first, last) = crate::dates::month(&q.month)?;
    let mut paths = if caller.is_admin {
        None
    } else {
        let p = caller.decide_paths();
        if p.is_empty() {
            return Err(ApiError::forbidden());
        }
        Some(p)
    };
    if let Some(code) = q.unit.as_deref().filter(|c| !c.is_empty()) {
        let unit = s.store.unit_by_code(code).await.map_err(|_| ApiError::not_found("Unit kerja"))?;
        if let Some(p) = &paths
            && !p.iter().any(|p| unit.path.starts_with(p.as_str()))
        {
            return Err(ApiError::not_found("Unit kerja"));
        }
        paths = Some(vec![unit.path]);
    }
    let tz = s.config.regency_zone();
    let start = |d: jiff::civil::Date| Ok::<_, ApiError>(crate::days::day_start(&tz, d));
    let (from, to) = (start(first)?, start(last.tomorrow().map_err(|_| ApiError::internal())?)?);
    let rows = s.store.signal_counts(paths.as_deref(), from, to).await?;
    let mut units: BTreeMap<String, UnitSignals> = BTreeMap::new();
    for r in rows {
        let u = units.entry(r.unit_code.clone()).or_insert_with(|| UnitSignals {
            unit_code: r.unit_code.clone(),
            unit_name: r.unit_name.clone(),
            total: 0,
            kinds: Vec::new(),
            accepted: 0,
            rejected: 0,
            pending: 0,
            accepted_by: Vec::new(),
            rejected_by: Vec::new(),
        });
        u.total += r.count;
        match u.kinds.iter_mut().find(|k| k.kind == r.kind) {
            Some(k) => k.count += r.count,
            None => u.kinds.push(KindCount { label: kind_label(&r.kind).into(), kind: r.kind.clone(), count: r.count }),
        }
        let (n, list) = match r.decision.as_deref() {
            Some("accepted") => (&mut u.accepted, Some(&mut u.accepted_by)),
            Some("rejected") => (&mut u.rejected, Some(&mut u.rejected_by)),
            _ => (&mut u.pending, None),
        };
        *n += r.count;
        if let Some(list) = list {
            let by = r.decided_by.clone().unwrap_or_default();
            match list.iter_mut().find(|d| d.by == by) {
                Some(d) => d.count += r.count,
                None => list.push(DeciderCount { by, count: r.count }),
            }
        }
    }
    Ok(Json(SignalSummary { month: q.month, units: units.into_values().collect() }))
}

#[derive(Serialize, ToSchema)]
pub struct AnalyserStatus {
    pub enabled: bool,
    /// The last punch id analysed.
    pub analysed_up_to: i64,
    /// Punches not analysed yet.
    pub backlog: i64,
}

/// Where the fraud-signal analyser stands (admins).
#[utoipa::path(get, path = "/api/v1/signals/status", tag = "punches",
    responses((status = 200, body = AnalyserStatus), (status = 403, body = ErrorBody)))]
pub async fn analyser_status(State(s): State<AppState>, caller: Caller) -> ApiResult<Json<AnalyserStatus>> {
    caller.require_admin()?;
    let (analysed_up_to, backlog) = s.store.signal_backlog().await?;
    Ok(Json(AnalyserStatus { enabled: s.config.signals.enabled, analysed_up_to, backlog }))
}

#[derive(Deserialize, ToSchema)]
pub struct NewDeviceKey {
    /// The app's ECDSA P-256 public key: the raw uncompressed point (65 bytes, WebCrypto
    /// `exportKey("raw")`), base64 or base64url.
    pub public_key: String,
}

#[derive(Serialize, ToSchema)]
pub struct DeviceKeyView {
    pub id: i64,
    /// Hex SHA-256 of the public key; the app sends it with each check-in.
    pub key_id: String,
    /// `trusted` (the first device), `pending` (a new device, until an operator accepts it),
    /// `accepted`, `rejected`.
    pub state: String,
    pub created_at: String,
    pub employee_nip: Option<String>,
    pub employee_name: Option<String>,
    pub unit_code: Option<String>,
    pub decided_by: Option<String>,
}

fn key_view(k: &hadir_store::DeviceKey, e: Option<&hadir_store::Employee>) -> DeviceKeyView {
    DeviceKeyView {
        id: k.id,
        key_id: k.key_id.clone(),
        state: k.state.clone(),
        created_at: k.created_at.to_string(),
        employee_nip: e.and_then(|e| e.nip.clone()),
        employee_name: e.map(|e| e.name.clone()),
        unit_code: e.map(|e| e.unit_code.clone()),
        decided_by: k.decided_by.clone(),
    }
}

/// Registers this phone's device key (idempotent). The employee's first device is trusted; a
/// later one is flagged on each check-in until an operator of the unit accepts it.
#[utoipa::path(post, path = "/api/v1/me/device-keys", tag = "punches", request_body = NewDeviceKey,
    responses((status = 201, body = DeviceKeyView), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn register_device_key(
    State(s): State<AppState>,
    caller: Caller,
    crate::json::ApiJson(body): crate::json::ApiJson<NewDeviceKey>,
) -> ApiResult<(axum::http::StatusCode, Json<DeviceKeyView>)> {
    let Some(employee_id) = caller.employee_id else { return Err(ApiError::forbidden()) };
    use base64::Engine;
    let text = body.public_key.trim().trim_end_matches('=');
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(text)
        .or_else(|_| base64::engine::general_purpose::STANDARD_NO_PAD.decode(text))
        .unwrap_or_default();
    if !crate::signals::device::valid_public_key(&raw) {
        return Err(ApiError::unprocessable(
            "invalid_device_key",
            "Kunci perangkat tidak sah: kirim kunci publik ECDSA P-256 mentah (65 bita) dalam base64.",
        ));
    }
    let id = crate::signals::device::key_id(&raw);
    let k = s.store.register_device_key(employee_id, &id, &raw, jiff::Timestamp::now()).await?;
    Ok((axum::http::StatusCode::CREATED, Json(key_view(&k, None))))
}

#[derive(Deserialize, IntoParams)]
pub struct KeysQuery {
    /// `pending` (default), `trusted`, `accepted` or `rejected`.
    pub state: Option<String>,
}

/// Device keys of the employees you decide for (admins: all), by state (default: waiting for
/// acceptance).
#[utoipa::path(get, path = "/api/v1/device-keys", tag = "punches", params(KeysQuery),
    responses((status = 200, body = Vec<DeviceKeyView>), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn list_device_keys(
    State(s): State<AppState>,
    caller: Caller,
    Query(q): Query<KeysQuery>,
) -> ApiResult<Json<Vec<DeviceKeyView>>> {
    let state = q.state.unwrap_or_else(|| "pending".into());
    if !["pending", "trusted", "accepted", "rejected"].contains(&state.as_str()) {
        return Err(ApiError::unprocessable("invalid_state", "Status harus pending, trusted, accepted atau rejected."));
    }
    let paths = if caller.is_admin {
        None
    } else {
        let p = caller.decide_paths();
        if p.is_empty() {
            return Err(ApiError::forbidden());
        }
        Some(p)
    };
    let keys = s.store.list_device_keys(&state, paths.as_deref()).await?;
    let mut ids: Vec<i64> = keys.iter().map(|k| k.employee_id).collect();
    ids.sort_unstable();
    ids.dedup();
    let people: std::collections::HashMap<i64, hadir_store::Employee> =
        s.store.employees_by_ids(&ids).await?.into_iter().map(|e| (e.id, e)).collect();
    Ok(Json(
        keys.iter()
            .filter(|k| caller.is_admin || caller.employee_id != Some(k.employee_id))
            .map(|k| key_view(k, people.get(&k.employee_id)))
            .collect(),
    ))
}

#[derive(Deserialize, ToSchema)]
pub struct DecideKey {
    /// `true` accepts the new device (its check-ins are no longer flagged), `false` rejects it.
    pub accept: bool,
}

/// Accepts or rejects a new device of an employee of your unit subtree (heads, operators,
/// admins); never your own.
#[utoipa::path(post, path = "/api/v1/device-keys/{id}/decide", tag = "punches", params(("id" = i64, Path)),
    request_body = DecideKey,
    responses((status = 200, body = DeviceKeyView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 409, body = ErrorBody)))]
pub async fn decide_device_key(
    State(s): State<AppState>,
    caller: Caller,
    axum::extract::Path(id): axum::extract::Path<i64>,
    crate::json::ApiJson(body): crate::json::ApiJson<DecideKey>,
) -> ApiResult<Json<DeviceKeyView>> {
    Ok(Json(decide_key(&s, &caller, id, body.accept).await?))
}

/// The decision on a new device, for the API and the console alike: only within the caller's
/// unit subtrees (others' keys read as not found), never the caller's own device, and audited
/// in the same transaction as the decision.
pub async fn decide_key(s: &AppState, caller: &Caller, id: i64, accept: bool) -> ApiResult<DeviceKeyView> {
    let k = s.store.device_key(id).await.map_err(|_| ApiError::not_found("Kunci perangkat"))?;
    let e = s.store.employee_by_id(k.employee_id).await.map_err(|_| ApiError::not_found("Kunci perangkat"))?;
    let unit = s.unit(e.unit_id).await?;
    if !(caller.is_admin || caller.can_decide_for_unit(&unit.path)) {
        return Err(ApiError::not_found("Kunci perangkat"));
    }
    if caller.employee_id == Some(e.id) {
        return Err(ApiError::new(
            axum::http::StatusCode::FORBIDDEN,
            "own_device",
            "Anda tidak dapat menyetujui perangkat Anda sendiri.",
        ));
    }
    let action = if accept { "accept_device" } else { "reject_device" };
    let audit = hadir_store::Audit::new(caller.actor(), action, "employee", &e.login);
    let Some(k) = s.store.decide_device_key(id, accept, &caller.username, jiff::Timestamp::now(), audit).await? else {
        return Err(ApiError::new(
            axum::http::StatusCode::CONFLICT,
            "not_pending",
            "Perangkat ini sudah diputuskan atau tidak menunggu persetujuan.",
        ));
    };
    tracing::info!(by = %caller.username, key = id, accept, "device key decided");
    Ok(key_view(&k, Some(&e)))
}
