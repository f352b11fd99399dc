//! The review queue (issue 16): punches stored but not counted because their channel did not
//! prove the person was there then (a late phone capture, a terminal backlog, a PIN outside the
//! terminal's unit, …). An operator or head of the employee's unit subtree, or an admin, accepts
//! or rejects them with a note; the day is recomputed. Nobody decides their own punches.
//! A colleague's check-in (issue 21) counts at once and is listed here too: rejecting it
//! takes it out of the day; accepting it only confirms it (it leaves the list).

use crate::api::punches::parse_day;
use crate::api::requests::DecisionInput;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::json::ApiJson;
use crate::state::AppState;
use crate::views::PunchView;
use axum::Json;
use axum::extract::Path;
use axum::extract::{Query, State};
use hadir_domain::unit_zone;
use hadir_store::{Employee, Id, Punch, PunchFilter, PunchHold, PunchSource};
use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::TimeZone;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use utoipa::{IntoParams, ToSchema};

/// Most punches one decision may cover (a 2-day backlog of a busy terminal fits).
pub const MAX_DECIDE: usize = 5000;
const MAX_LIST: u32 = 500;

/// Why a punch waits, in Indonesian.
pub fn reason_label(reason: &str) -> &'static str {
    match reason {
        "offline_gap" => "Dikirim terlambat dari ponsel",
        "clock_fault" => "Jam mesin tidak wajar",
        "backlog" => "Data lama dari mesin",
        "future" => "Waktu di depan jam server",
        "pin_out_of_unit" => "PIN di luar unit mesin",
        "special_pending" => "Absen khusus (diputus bersama permohonannya)",
        "colleague" => "Diabsenkan rekan",
        "signal" => "Tanda kecurangan (lihat rincian)",
        _ => "Perlu diperiksa",
    }
}

#[derive(Deserialize, IntoParams, Default)]
pub struct ReviewQuery {
    /// Only employees of this unit's subtree (code).
    pub unit: Option<String>,
    /// Only this reason (`offline_gap`, `backlog`, `pin_out_of_unit`, `future`, `clock_fault`).
    pub reason: Option<String>,
    /// Only this terminal's punches.
    pub device_sn: Option<String>,
    /// First day (YYYY-MM-DD, WIB).
    #[param(format = Date)]
    pub from: Option<String>,
    /// Last day, inclusive.
    #[param(format = Date)]
    pub to: Option<String>,
    pub offset: Option<u32>,
    pub limit: Option<u32>,
}

#[derive(Serialize, ToSchema)]
pub struct ReviewItem {
    pub punch: PunchView,
    pub employee_id: Option<i64>,
    pub nip: Option<String>,
    pub name: Option<String>,
    pub unit_code: Option<String>,
    pub unit_name: Option<String>,
    pub reason: String,
    pub reason_label: String,
    /// Fraud signals found on the punch after it was stored (issue 23).
    pub signals: Vec<crate::api::signals::SignalView>,
}

#[derive(Serialize, ToSchema)]
pub struct ReviewList {
    pub items: Vec<ReviewItem>,
    pub offset: u32,
    pub limit: u32,
}

/// Unit subtrees the caller reviews in (`None`: everywhere, for admins).
fn review_paths(caller: &Caller) -> ApiResult<Option<Vec<String>>> {
    if caller.is_admin {
        return Ok(None);
    }
    let paths = caller.decide_paths();
    if paths.is_empty() { Err(ApiError::forbidden()) } else { Ok(Some(paths)) }
}

fn wib() -> TimeZone {
    unit_zone("Asia/Jakarta").unwrap_or(TimeZone::UTC)
}

/// The held punches a query selects in the caller's review scope, the caller's own left out.
async fn select(s: &AppState, caller: &Caller, q: &ReviewQuery, limit: u32) -> ApiResult<Vec<Punch>> {
    let mut subtrees = review_paths(caller)?;
    if let Some(code) = q.unit.as_deref().filter(|c| !c.is_empty()) {
        let unit = s.store.unit_by_code(code).await.map_err(|_| ApiError::not_found("Unit kerja"))?;
        if !(caller.is_admin || caller.decide_paths().iter().any(|p| unit.path.starts_with(p.as_str()))) {
            return Err(ApiError::not_found("Unit kerja"));
        }
        subtrees = Some(vec![unit.path]);
    }
    let tz = wib();
    let start = |d: Date| d.to_zoned_datetime(tz.clone()).map(|z| z.timestamp()).ok();
    let f = PunchFilter {
        hold: Some(PunchHold::Pending),
        // Colleague check-ins count at once and stay listed until decided.
        or_counted_review: Some("colleague".into()),
        subtrees,
        device_sn: q.device_sn.clone().filter(|v| !v.is_empty()),
        from: parse_day(&q.from, "from")?.and_then(start),
        to: parse_day(&q.to, "to")?.and_then(|d| d.tomorrow().ok()).and_then(start),
        offset: q.offset.unwrap_or(0),
        limit,
        ..Default::default()
    };
    let reason = q.reason.as_deref().filter(|r| !r.is_empty());
    Ok(s.store
        .list_punches(&f)
        .await?
        .into_iter()
        .filter(|p| p.p.employee_id.is_none() || p.p.employee_id != caller.employee_id)
        .filter(|p| reason.is_none() || p.p.review.as_deref() == reason)
        .collect())
}

async fn employees_of(s: &AppState, punches: &[Punch]) -> ApiResult<HashMap<Id, Employee>> {
    let mut ids: Vec<Id> = punches.iter().filter_map(|p| p.p.employee_id).collect();
    ids.sort_unstable();
    ids.dedup();
    Ok(s.store.employees_by_ids(&ids).await?.into_iter().map(|e| (e.id, e)).collect())
}

/// Punches waiting for a decision in your units (operators and heads: their subtrees; admins:
/// all), oldest first, with the reason, photo, position and distance, and both times.
#[utoipa::path(get, path = "/api/v1/review/punches", tag = "punches", params(ReviewQuery),
    responses((status = 200, body = ReviewList), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn list_review(
    State(s): State<AppState>,
    caller: Caller,
    Query(q): Query<ReviewQuery>,
) -> ApiResult<Json<ReviewList>> {
    let limit = q.limit.unwrap_or(100).clamp(1, MAX_LIST);
    let punches = select(&s, &caller, &q, limit).await?;
    let people = employees_of(&s, &punches).await?;
    let ids: Vec<Id> = punches.iter().map(|p| p.id).collect();
    let mut signals: HashMap<Id, Vec<crate::api::signals::SignalView>> = HashMap::new();
    for sig in s.store.signals_of(&ids).await? {
        signals.entry(sig.s.punch_id).or_default().push((&sig).into());
    }
    // The queue shows positions and photos of others: logged per person (issue 17).
    let shown = punches.iter().filter(|p| p.position_purged_at.is_none() && p.p.lat.is_some());
    crate::privacy::record_views(
        &s,
        &caller,
        shown.filter_map(|p| p.p.employee_id),
        hadir_store::AccessKind::Position,
        "review".into(),
    )
    .await?;
    let items = punches
        .iter()
        .map(|p| {
            let e = p.p.employee_id.and_then(|id| people.get(&id));
            let tz = e.and_then(|e| unit_zone(&e.timezone).ok()).unwrap_or_else(wib);
            let reason = p.p.review.clone().unwrap_or_default();
            ReviewItem {
                punch: PunchView::new(p, &tz),
                employee_id: p.p.employee_id,
                nip: e.and_then(|e| e.nip.clone()),
                name: e.map(|e| e.name.clone()),
                unit_code: e.map(|e| e.unit_code.clone()),
                unit_name: e.map(|e| e.unit_name.clone()),
                reason_label: reason_label(&reason).into(),
                reason,
                signals: signals.remove(&p.id).unwrap_or_default(),
            }
        })
        .collect();
    Ok(Json(ReviewList { items, offset: q.offset.unwrap_or(0), limit }))
}

#[derive(Deserialize, ToSchema)]
pub struct DecideHeld {
    /// The punches to decide; or leave out and give `filter` (e.g. one terminal's backlog).
    pub ids: Option<Vec<i64>>,
    pub filter: Option<DecideFilter>,
    /// `true` accepts (the punches count), `false` rejects.
    pub accept: bool,
    /// Required when rejecting; shown to the employee.
    pub note: Option<String>,
}

#[derive(Deserialize, ToSchema, Default)]
pub struct DecideFilter {
    pub unit: Option<String>,
    pub reason: Option<String>,
    pub device_sn: Option<String>,
    #[schema(format = Date)]
    pub from: Option<String>,
    #[schema(format = Date)]
    pub to: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct DecideResult {
    /// How many punches were decided now (ones decided meanwhile by someone else are skipped).
    pub decided: usize,
    pub ids: Vec<i64>,
}

/// Accept or reject held punches (by id, or all matching a filter), with a note; the days are
/// recomputed. Refused for your own punches and punches in a locked month.
#[utoipa::path(post, path = "/api/v1/review/punches/decide", tag = "punches", request_body = DecideHeld,
    responses((status = 200, body = DecideResult), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn decide_review(
    State(s): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<DecideHeld>,
) -> ApiResult<Json<DecideResult>> {
    let paths = review_paths(&caller)?;
    let note = body.note.as_deref().map(str::trim).filter(|n| !n.is_empty());
    if note.is_some_and(|n| n.chars().count() > 500 || n.contains('\0')) {
        return Err(ApiError::unprocessable("invalid_note", "Catatan paling banyak 500 karakter."));
    }
    if !body.accept && note.is_none() {
        return Err(ApiError::unprocessable("note_required", "Tuliskan alasan penolakan; pegawai akan membacanya."));
    }
    let punches: Vec<Punch> = match (&body.ids, &body.filter) {
        (Some(ids), None) => {
            if ids.is_empty() || ids.len() > MAX_DECIDE {
                return Err(ApiError::unprocessable(
                    "invalid_ids",
                    format!("Pilih 1 sampai {MAX_DECIDE} absen sekaligus."),
                ));
            }
            let mut out = Vec::with_capacity(ids.len());
            for id in ids {
                let p = s.store.punch_by_id(*id).await.map_err(|_| ApiError::not_found("Absen"))?;
                out.push(p);
            }
            out
        }
        (None, Some(f)) => {
            let q = ReviewQuery {
                unit: f.unit.clone(),
                reason: f.reason.clone(),
                device_sn: f.device_sn.clone(),
                from: f.from.clone(),
                to: f.to.clone(),
                ..Default::default()
            };
            select(&s, &caller, &q, MAX_DECIDE as u32).await?
        }
        _ => {
            return Err(ApiError::unprocessable(
                "ids_or_filter",
                "Sebutkan absen yang diputus (ids) atau saringannya (filter).",
            ));
        }
    };
    let people = employees_of(&s, &punches).await?;
    let mut locked: HashMap<(String, String), bool> = HashMap::new();
    for p in &punches {
        if p.p.employee_id.is_some() && p.p.employee_id == caller.employee_id {
            return Err(ApiError::new(
                axum::http::StatusCode::FORBIDDEN,
                "own_punch",
                "Anda tidak dapat memutus absen Anda sendiri.",
            ));
        }
        let e = p.p.employee_id.and_then(|id| people.get(&id));
        let in_scope = match (&paths, e) {
            (None, _) => true,
            (Some(paths), Some(e)) => {
                let unit = s.unit(e.unit_id).await?;
                paths.iter().any(|path| unit.path.starts_with(path.as_str()))
            }
            (Some(_), None) => false,
        };
        if !in_scope {
            // Outside the caller's scope the punch does not exist.
            return Err(ApiError::not_found("Absen"));
        }
        let counted_colleague = p.p.hold.is_none() && p.p.review.as_deref() == Some("colleague");
        if p.p.hold != Some(PunchHold::Pending) && !counted_colleague {
            return Err(ApiError::new(
                axum::http::StatusCode::CONFLICT,
                "not_pending",
                format!("Absen #{} tidak sedang menunggu pemeriksaan (sudah diputus atau dihitung).", p.id),
            ));
        }
        if let Some(e) = e {
            let tz = unit_zone(&e.timezone).unwrap_or_else(|_| wib());
            let d = p.p.punched_at.to_zoned_datetime(tz).date();
            let month = format!("{:04}-{:02}", d.year(), d.month());
            let unit = s.unit(e.unit_id).await?;
            let key = (month.clone(), unit.path.clone());
            let is_locked = match locked.get(&key) {
                Some(v) => *v,
                None => {
                    let v = s.store.is_month_locked(&month, &unit.path).await?;
                    locked.insert(key, v);
                    v
                }
            };
            if is_locked {
                return Err(ApiError::unprocessable(
                    "month_locked",
                    format!("Rekap bulan {month} sudah dikunci; absen #{} tidak dapat diputus lagi.", p.id),
                ));
            }
        }
    }
    // Special attendance is decided through its request (the request's rules, its presence
    // entry, its history); the punch's hold follows the request.
    let mut done: Vec<i64> = Vec::new();
    let mut plain: Vec<Id> = Vec::new();
    for p in &punches {
        // Only a special punch has a request: the others need no lookup.
        let request = match p.p.source {
            PunchSource::Special => s.store.request_by_punch(p.id).await?,
            _ => None,
        };
        match request {
            Some(r) => {
                let input = DecisionInput { approve: body.accept, comment: note.map(str::to_string), correction: None };
                let _request =
                    crate::api::requests::decide_request(State(s.clone()), caller.clone(), Path(r.id), ApiJson(input))
                        .await?;
                done.push(p.id);
            }
            _ => plain.push(p.id),
        }
    }
    let decided = s.store.decide_held_punches(&plain, body.accept, note, Timestamp::now(), caller.actor()).await?;
    crate::iclock::punches::days_dirty(&s, &decided);
    crate::notifications::held_punch_notices(&s, &decided, body.accept, note).await;
    done.extend(decided.iter().map(|p| p.id));
    tracing::info!(by = %caller.username, accept = body.accept, punches = done.len(), "held punches decided");
    Ok(Json(DecideResult { decided: done.len(), ids: done }))
}
