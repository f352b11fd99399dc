//! The monthly recap over HTTP (issue 8): the recap of a month per employee and unit as JSON,
//! CSV or XLSX; lock, audited reopen and the objection deadline; the PP 94/2021 watch.
//!
//! Who: heads and operators read their subtrees (a unit is then required), admins everything.
//! Locking, reopening and deadlines are the BKD's (admins).

use crate::api::days::policies_ready;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::json::ApiJson;
use crate::recap::{self, DisciplineRow, MonthRecap, RecapFail};
use crate::recap_export;
use crate::state::AppState;
use axum::Json;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use hadir_store::{RecomputeTarget, Unit};
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Deserialize, IntoParams)]
pub struct RecapQuery {
    /// `YYYY-MM`.
    pub month: String,
    /// Unit code: that unit and its sub-units (required unless admin).
    pub unit: Option<String>,
    /// `json` (default), `csv` (UTF-8 with BOM, `;`-separated, decimal comma, for Excel id-ID)
    /// or `xlsx`.
    pub format: Option<String>,
}

#[derive(Deserialize, ToSchema, Default)]
pub struct LockBody {
    /// `YYYY-MM`.
    pub month: String,
    /// Lock only this unit's subtree; absent: every unit.
    pub unit_code: Option<String>,
    /// Decide every pending objection of the month (in the scope) not named in `decisions`
    /// in the same step: only `reject` (approving needs a correction per objection), with `note`.
    #[serde(default)]
    pub decide_pending: Option<String>,
    /// The reason given for objections rejected by `decide_pending`.
    #[serde(default)]
    pub note: Option<String>,
    /// Decisions for named pending objections, applied before the lock.
    #[serde(default)]
    pub decisions: Vec<LockDecision>,
}

/// One pending objection decided by the lock.
#[derive(Deserialize, ToSchema)]
pub struct LockDecision {
    /// The objection (request id).
    pub id: hadir_store::Id,
    pub approve: bool,
    /// Required when rejecting.
    pub comment: Option<String>,
    /// Required when approving: the correction accepted.
    pub correction: Option<crate::api::requests::CorrectionInput>,
}

#[derive(Deserialize, ToSchema)]
pub struct ReopenBody {
    pub month: String,
    /// The lock to remove (absent: the lock of every unit).
    pub unit_code: Option<String>,
    /// Why (kept in the audit trail and the recap's reopen list).
    pub reason: String,
}

#[derive(Deserialize, ToSchema)]
pub struct DeadlineBody {
    pub month: String,
    /// Last day (inclusive) on which objections may be filed.
    #[schema(value_type = String, format = Date)]
    pub objection_until: Date,
}

#[derive(Serialize, ToSchema)]
pub struct LockResult {
    pub month: String,
    pub unit_code: Option<String>,
    /// Employees whose figures were frozen (or released, on reopen).
    pub employees: u64,
    /// Objections the lock decided (issue 19).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub decided: Vec<hadir_store::Id>,
}

#[derive(Deserialize, IntoParams)]
pub struct DisciplineQuery {
    pub year: i16,
    pub unit: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct DisciplineReport {
    pub year: i16,
    pub unit_code: Option<String>,
    /// PNS of the scope, most TK days first.
    pub employees: Vec<DisciplineRow>,
}

fn month_of(s: &str) -> ApiResult<Date> {
    crate::dates::month(s).map(|(first, _)| first)
}

/// The unit (if any) the caller may read; no unit is for admins only.
pub(crate) async fn readable_unit(s: &AppState, caller: &Caller, code: Option<&str>) -> ApiResult<Option<Unit>> {
    caller.require_staff()?;
    match code.map(str::trim).filter(|c| !c.is_empty()) {
        Some(c) => {
            let u = s.store.unit_by_code(c).await?;
            if !caller.can_read_unit(&u.path) {
                return Err(ApiError::forbidden());
            }
            Ok(Some(u))
        }
        None if caller.is_admin => Ok(None),
        None => Err(ApiError::unprocessable("unit_required", "Sebutkan unit kerja (parameter unit).")),
    }
}

async fn admin_unit(s: &AppState, caller: &Caller, code: Option<&str>) -> ApiResult<Option<Unit>> {
    caller.require_admin()?;
    match code.map(str::trim).filter(|c| !c.is_empty()) {
        Some(c) => Ok(Some(s.store.unit_by_code(c).await?)),
        None => Ok(None),
    }
}

fn fail(e: RecapFail) -> ApiError {
    match e {
        RecapFail::Store(e) => e.into(),
        RecapFail::Refused(code, msg) => ApiError::new(StatusCode::CONFLICT, code, msg),
        RecapFail::Pending(p) => ApiError::new(StatusCode::CONFLICT, "pending_objections", recap::pending_message(&p))
            .with_details(serde_json::json!({ "pending": p })),
    }
}

fn file_name(r: &MonthRecap, ext: &str) -> String {
    let unit = r.unit_code.as_deref().unwrap_or("semua");
    let unit: String = unit.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' { c } else { '_' }).collect();
    format!("rekap-{}-{unit}.{ext}", r.month)
}

/// The recap of a month: per employee (working days, present, TL1–TL4, PSW1–PSW4, TK, leave
/// per type, duty, hours, deduction % and rupiah) and per unit with the attendance rate; the
/// month's state (open, objection, ready, locked). Locked units come from their frozen figures.
#[utoipa::path(get, path = "/api/v1/recap", tag = "recap", params(RecapQuery),
    responses((status = 200, body = MonthRecap, description = "JSON, or a CSV/XLSX file with `format`"),
              (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn get_recap(State(s): State<AppState>, caller: Caller, Query(q): Query<RecapQuery>) -> ApiResult<Response> {
    let first = month_of(&q.month)?;
    let unit = readable_unit(&s, &caller, q.unit.as_deref()).await?;
    let format = q.format.as_deref().unwrap_or("json").trim().to_ascii_lowercase();
    if !["json", "csv", "xlsx"].contains(&format.as_str()) {
        return Err(ApiError::unprocessable("invalid_format", "Format harus json, csv atau xlsx."));
    }
    policies_ready(&s).await;
    let mut r = recap::build_recap(s.store.as_ref(), &s.policies, &s.config.regency_name, first, unit.as_ref()).await?;
    if r.timezone.is_empty() {
        r.timezone = s.config.timezone.clone();
    }
    let disposition = |ext: &str| format!("attachment; filename=\"{}\"", file_name(&r, ext));
    Ok(match format.as_str() {
        "csv" => {
            let body = recap_export::to_csv(&r);
            (
                [
                    (header::CONTENT_TYPE, recap_export::CSV_CONTENT_TYPE.to_string()),
                    (header::CONTENT_DISPOSITION, disposition("csv")),
                ],
                body,
            )
                .into_response()
        }
        "xlsx" => {
            let body = tokio::task::block_in_place(|| recap_export::to_xlsx(&r)).map_err(|e| {
                tracing::error!(error = %e, "xlsx export failed");
                ApiError::internal()
            })?;
            (
                [
                    (header::CONTENT_TYPE, recap_export::XLSX_CONTENT_TYPE.to_string()),
                    (header::CONTENT_DISPOSITION, disposition("xlsx")),
                ],
                body,
            )
                .into_response()
        }
        _ => Json(r).into_response(),
    })
}

/// Locks a month (admin) for one unit's subtree or every unit: the figures are frozen with the
/// rule sets and inputs they came from; objections are refused from then on. Refused while the
/// month runs or its objection window is open.
#[utoipa::path(post, path = "/api/v1/recap/lock", tag = "recap", request_body = LockBody,
    responses((status = 200, body = LockResult), (status = 409, body = ErrorBody)))]
pub async fn lock_recap(
    State(s): State<AppState>,
    caller: Caller,
    ApiJson(b): ApiJson<LockBody>,
) -> ApiResult<Json<LockResult>> {
    let first = month_of(&b.month)?;
    let unit = admin_unit(&s, &caller, b.unit_code.as_deref()).await?;
    policies_ready(&s).await;
    recap::lock_window(s.store.as_ref(), first).await.map_err(fail)?;
    let decided = decide_pending(&s, &caller, first, unit.as_ref(), &b).await?;
    let n =
        recap::lock_month(s.store.as_ref(), &s.policies, first, unit.as_ref(), caller.actor()).await.map_err(fail)?;
    Ok(Json(LockResult { month: recap::month_key(first), unit_code: unit.map(|u| u.code), employees: n, decided }))
}

/// The lock's own decisions on pending objections (issue 19): every pending one needs a
/// decision (named, or `decide_pending: "reject"` with a note), all checked before the first is
/// written; each is then decided by the request API's own handler (scope, audit, recompute),
/// and the month is locked right after. Without decisions, nothing is decided and the lock
/// answers 409 `pending_objections` naming them.
async fn decide_pending(
    s: &AppState,
    caller: &Caller,
    first: Date,
    unit: Option<&Unit>,
    b: &LockBody,
) -> ApiResult<Vec<hadir_store::Id>> {
    use crate::api::requests::{DecisionInput, decide_request};
    let bulk = match b.decide_pending.as_deref().map(str::trim).filter(|d| !d.is_empty()) {
        None => None,
        Some("reject") => {
            let note = b.note.as_deref().map(str::trim).filter(|n| !n.is_empty()).ok_or_else(|| {
                ApiError::unprocessable(
                    "reason_required",
                    "Tulis alasan penolakan (note) untuk keberatan yang ditolak saat mengunci.",
                )
            })?;
            Some(note.to_string())
        }
        Some(_) => {
            return Err(ApiError::unprocessable(
                "invalid_decide_pending",
                "decide_pending hanya dapat berisi \"reject\"; keberatan yang disetujui diputus satu per satu \
                 (decisions) dengan koreksinya.",
            ));
        }
    };
    let pending = recap::pending_objections(s.store.as_ref(), first, unit).await?;
    if let Some(d) = b.decisions.iter().find(|d| !pending.iter().any(|p| p.id == d.id)) {
        return Err(ApiError::unprocessable(
            "not_pending_objection",
            format!("Permohonan #{} bukan keberatan bulan ini yang menunggu keputusan.", d.id),
        ));
    }
    let mut plan: Vec<(hadir_store::Id, DecisionInput)> = Vec::new();
    let mut undecided = Vec::new();
    for p in &pending {
        match (b.decisions.iter().find(|d| d.id == p.id), &bulk) {
            (Some(d), _) => {
                let comment = d.comment.as_deref().map(str::trim).filter(|c| !c.is_empty());
                if !d.approve && comment.is_none() {
                    return Err(ApiError::unprocessable(
                        "reason_required",
                        format!("Tulis alasan penolakan keberatan {}.", p.label()),
                    ));
                }
                if d.approve && d.correction.is_none() {
                    return Err(ApiError::unprocessable(
                        "correction_required",
                        format!("Keberatan {} yang disetujui memerlukan koreksinya.", p.label()),
                    ));
                }
                plan.push((
                    p.id,
                    DecisionInput {
                        approve: d.approve,
                        comment: comment.map(str::to_string),
                        correction: d.correction.clone(),
                    },
                ));
            }
            (None, Some(note)) => {
                plan.push((p.id, DecisionInput { approve: false, comment: Some(note.clone()), correction: None }));
            }
            (None, None) => undecided.push(p.clone()),
        }
    }
    if !undecided.is_empty() {
        return Err(fail(RecapFail::Pending(undecided)));
    }
    let mut decided = Vec::new();
    for (id, d) in plan {
        let _decided = decide_request(State(s.clone()), caller.clone(), axum::extract::Path(id), ApiJson(d))
            .await
            .map_err(|mut e| {
                e.message = format!("Keberatan #{id}: {} (keputusan sebelumnya tetap tersimpan)", e.message);
                e
            })?;
        decided.push(id);
    }
    Ok(decided)
}

/// Reopens a locked month (admin, with a reason; audited): the recap is computed live again
/// and the month's stored day records are recomputed.
#[utoipa::path(post, path = "/api/v1/recap/reopen", tag = "recap", request_body = ReopenBody,
    responses((status = 200, body = LockResult), (status = 409, body = ErrorBody)))]
pub async fn reopen_recap(
    State(s): State<AppState>,
    caller: Caller,
    ApiJson(b): ApiJson<ReopenBody>,
) -> ApiResult<Json<LockResult>> {
    let first = month_of(&b.month)?;
    let unit = admin_unit(&s, &caller, b.unit_code.as_deref()).await?;
    let n =
        recap::reopen_month(s.store.as_ref(), first, unit.as_ref(), &b.reason, caller.actor()).await.map_err(fail)?;
    let target = match &unit {
        Some(u) => RecomputeTarget::Subtrees(vec![u.path.clone()]),
        None => RecomputeTarget::All,
    };
    s.recompute.enqueue_in_background(target, first, first.last_of_month());
    Ok(Json(LockResult {
        month: recap::month_key(first),
        unit_code: unit.map(|u| u.code),
        employees: n,
        decided: Vec::new(),
    }))
}

/// Sets the end of a month's objection window (admin; default: the 5th of the next month).
#[utoipa::path(post, path = "/api/v1/recap/deadline", tag = "recap", request_body = DeadlineBody,
    responses((status = 204), (status = 422, body = ErrorBody)))]
pub async fn set_deadline(
    State(s): State<AppState>,
    caller: Caller,
    ApiJson(b): ApiJson<DeadlineBody>,
) -> ApiResult<StatusCode> {
    caller.require_admin()?;
    let first = month_of(&b.month)?;
    crate::dates::check_date(b.objection_until, "objection_until")?;
    if b.objection_until <= first.last_of_month() {
        return Err(ApiError::unprocessable("invalid_deadline", "Batas keberatan harus sesudah akhir bulan."));
    }
    let month = recap::month_key(first);
    let audit = hadir_store::Audit::new(caller.actor(), "recap.deadline", "recap", &month);
    s.store.set_objection_deadline(&month, b.objection_until, audit).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// PP 94/2021 watch: TK days this calendar year per PNS with the sanction step reached and the
/// next one (locked months count from their frozen figures).
#[utoipa::path(get, path = "/api/v1/recap/discipline", tag = "recap", params(DisciplineQuery),
    responses((status = 200, body = DisciplineReport), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn discipline(
    State(s): State<AppState>,
    caller: Caller,
    Query(q): Query<DisciplineQuery>,
) -> ApiResult<Json<DisciplineReport>> {
    crate::dates::year(q.year)?;
    let unit = readable_unit(&s, &caller, q.unit.as_deref()).await?;
    policies_ready(&s).await;
    let employees =
        recap::discipline(s.store.as_ref(), &s.policies, &s.config.regency_name, q.year, unit.as_ref()).await?;
    Ok(Json(DisciplineReport { year: q.year, unit_code: unit.map(|u| u.code), employees }))
}
