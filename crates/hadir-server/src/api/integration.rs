//! The e-kinerja integration (issue 22): credentials created by the BKD (only the token's
//! SHA-256 is stored, shown once), each with scopes; with `kinerja:read` the regency's
//! e-kinerja site pulls validated activities and attendance per employee and month, with
//! `scores:write` it pushes the month's performance scores. An integration token is not a
//! session: it opens only these two routes, and a session token does not open them.

use crate::api::days::policies_ready;
use crate::api::tpp::{ScoreItem, ScoreReport, store_scores};
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::json::ApiJson;
use crate::state::AppState;
use axum::Json;
use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use hadir_domain::kinerja::ActivityState;
use hadir_domain::kinerja::hhmm;
use hadir_store::{ActivityFilter, Audit, Id, Integration};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use utoipa::{IntoParams, ToSchema};

pub const SCOPES: &[&str] = &["kinerja:read", "scores:write"];

/// The integration calling, from `Authorization: Bearer <token>`.
pub struct IntegrationCaller(pub Integration);

impl FromRequestParts<AppState> for IntegrationCaller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let token = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|s| s.strip_prefix("Bearer ").or_else(|| s.strip_prefix("bearer ")))
            .map(str::trim)
            .ok_or_else(ApiError::unauthorized)?;
        let hash = crate::auth::token::hash(token);
        match state.store.integration_by_hash(&hash).await {
            Ok(i) if i.revoked_at.is_none() => Ok(IntegrationCaller(i)),
            Ok(_) | Err(hadir_store::StoreError::NotFound(_)) => Err(ApiError::unauthorized()),
            Err(e) => Err(e.into()),
        }
    }
}

impl IntegrationCaller {
    fn require(&self, scope: &str) -> ApiResult<()> {
        if self.0.scopes.iter().any(|s| s == scope) {
            Ok(())
        } else {
            Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "scope_missing",
                format!("Kredensial integrasi ini tidak memiliki izin '{scope}'."),
            ))
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct NewIntegration {
    /// e.g. "e-Kinerja Kabupaten".
    pub name: String,
    /// `kinerja:read` (pull activities and attendance), `scores:write` (push scores).
    pub scopes: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct IntegrationView {
    pub id: Id,
    pub name: String,
    pub scopes: Vec<String>,
    pub created_at: String,
    pub revoked_at: Option<String>,
    /// Only in the answer that creates it: store it now, it is not shown again.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
}

fn view(i: Integration, token: Option<String>) -> IntegrationView {
    IntegrationView {
        id: i.id,
        name: i.name,
        scopes: i.scopes,
        created_at: i.created_at.to_string(),
        revoked_at: i.revoked_at.map(|t| t.to_string()),
        token,
    }
}

/// Create an integration credential (admins). The token is in this answer only.
#[utoipa::path(post, path = "/api/v1/integrations", tag = "integration", request_body = NewIntegration,
    responses((status = 201, body = IntegrationView), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_integration(
    State(s): State<AppState>,
    caller: Caller,
    ApiJson(b): ApiJson<NewIntegration>,
) -> ApiResult<(StatusCode, Json<IntegrationView>)> {
    caller.require_admin()?;
    let name = b.name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(ApiError::unprocessable("name_required", "Nama integrasi wajib diisi (paling banyak 100 huruf)."));
    }
    let mut scopes: Vec<String> = b.scopes.iter().map(|x| x.trim().to_string()).collect();
    scopes.sort();
    scopes.dedup();
    if scopes.is_empty() || scopes.iter().any(|x| !SCOPES.contains(&x.as_str())) {
        return Err(ApiError::unprocessable(
            "invalid_scope",
            format!("Izin harus salah satu dari: {}.", SCOPES.join(", ")),
        ));
    }
    let token = format!("hki_{}", crate::auth::token::generate());
    let i = s
        .store
        .create_integration(
            name,
            &crate::auth::token::hash(&token),
            &scopes,
            Audit::new(caller.actor(), "integration.create", "integration", ""),
        )
        .await?;
    Ok((StatusCode::CREATED, Json(view(i, Some(token)))))
}

/// Integration credentials (admins), without their tokens.
#[utoipa::path(get, path = "/api/v1/integrations", tag = "integration",
    responses((status = 200, body = [IntegrationView]), (status = 403, body = ErrorBody)))]
pub async fn list_integrations(State(s): State<AppState>, caller: Caller) -> ApiResult<Json<Vec<IntegrationView>>> {
    caller.require_admin()?;
    Ok(Json(s.store.list_integrations().await?.into_iter().map(|i| view(i, None)).collect()))
}

/// Revoke an integration credential (admins): its token stops working at once.
#[utoipa::path(post, path = "/api/v1/integrations/{id}/revoke", tag = "integration", params(("id" = i64, Path)),
    responses((status = 200, body = IntegrationView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn revoke_integration(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<Id>,
) -> ApiResult<Json<IntegrationView>> {
    caller.require_admin()?;
    let i = s.store.revoke_integration(id, Audit::new(caller.actor(), "integration.revoke", "integration", "")).await?;
    Ok(Json(view(i, None)))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct PullQuery {
    /// `YYYY-MM`.
    pub month: String,
    /// Unit code (its subtree); default the whole regency.
    pub unit: Option<String>,
    /// One employee (NIP or login).
    pub employee: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PulledActivity {
    pub id: Id,
    #[schema(format = Date)]
    pub date: String,
    pub description: String,
    pub output: String,
    pub volume: f64,
    pub volume_unit: String,
    pub start: String,
    pub end: String,
    pub minutes: u32,
    pub validated_by: Option<String>,
    pub validated_at: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PulledAttendance {
    pub working_days: u32,
    pub days_present: u32,
    pub days_duty: u32,
    pub days_absent: u32,
    pub minutes_required: u32,
    pub minutes_present: u32,
    /// The month's applied attendance deduction, percent.
    pub deduction_percent: f64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PulledEmployee {
    pub nip: Option<String>,
    pub login: String,
    pub name: String,
    pub unit_code: String,
    pub attendance: PulledAttendance,
    /// Validated (approved) activities of the month.
    pub activities: Vec<PulledActivity>,
    pub activity_minutes: u32,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PullAnswer {
    pub month: String,
    /// The recap's state: `Terkunci` once the month is final.
    pub state: String,
    pub employees: Vec<PulledEmployee>,
    /// 20,000 activities or more matched: ask per unit or employee.
    pub truncated: bool,
}

/// For the e-kinerja site (scope `kinerja:read`): validated activities and attendance per
/// employee for a month.
#[utoipa::path(get, path = "/api/v1/integration/kinerja", tag = "integration", params(PullQuery),
    security(("bearer" = [])),
    responses((status = 200, body = PullAnswer), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn pull(
    State(s): State<AppState>,
    ic: IntegrationCaller,
    Query(q): Query<PullQuery>,
) -> ApiResult<Json<PullAnswer>> {
    ic.require("kinerja:read")?;
    let (first, last) = crate::dates::month(&q.month)?;
    let unit = match q.unit.as_deref().map(str::trim).filter(|c| !c.is_empty()) {
        Some(c) => Some(s.store.unit_by_code(c).await?),
        None => None,
    };
    let only = match q.employee.as_deref().map(str::trim).filter(|c| !c.is_empty()) {
        Some(l) => Some(s.store.employee_by_login(l).await?.id),
        None => None,
    };
    policies_ready(&s).await;
    let r =
        crate::recap::build_recap(s.store.as_ref(), &s.policies, &s.config.regency_name, first, unit.as_ref()).await?;
    const MAX: u32 = 20_000;
    let acts = s
        .store
        .list_activities(&ActivityFilter {
            employee_id: only,
            unit_paths: unit.as_ref().map(|u| vec![u.path.clone()]),
            from: Some(first),
            to: Some(last),
            state: Some(ActivityState::Approved),
            limit: MAX,
        })
        .await?;
    let truncated = acts.len() as u32 >= MAX;
    let mut by_emp: HashMap<Id, Vec<PulledActivity>> = HashMap::new();
    for a in acts {
        by_emp.entry(a.employee_id).or_default().push(PulledActivity {
            id: a.id,
            date: a.date.to_string(),
            description: a.description,
            output: a.output,
            volume: a.volume,
            volume_unit: a.volume_unit,
            start: hhmm(a.start_minute),
            end: hhmm(a.end_minute),
            minutes: a.end_minute.saturating_sub(a.start_minute),
            validated_by: a.validated_by_name,
            validated_at: a.validated_at.map(|t| t.to_string()),
        });
    }
    let employees = r
        .employees
        .iter()
        .filter(|row| only.is_none_or(|id| id == row.employee.employee_id))
        .map(|row| {
            let activities = by_emp.remove(&row.employee.employee_id).unwrap_or_default();
            PulledEmployee {
                nip: row.employee.nip.clone(),
                login: row.employee.login.clone(),
                name: row.employee.name.clone(),
                unit_code: row.employee.unit_code.clone(),
                attendance: PulledAttendance {
                    working_days: row.recap.working_days,
                    days_present: row.recap.days_present,
                    days_duty: row.recap.days_duty,
                    days_absent: row.recap.days_tk,
                    minutes_required: row.recap.minutes_required,
                    minutes_present: row.recap.minutes_present,
                    deduction_percent: row.recap.deduction_applied.as_f64(),
                },
                activity_minutes: activities.iter().map(|a| a.minutes).sum(),
                activities,
            }
        })
        .collect();
    Ok(Json(PullAnswer { month: r.month, state: r.state.sheet_label().into(), employees, truncated }))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct PushedScore {
    /// NIP or login.
    pub employee: String,
    /// 0–100.
    pub score: f64,
    pub note: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct PushBody {
    /// `YYYY-MM`.
    pub month: String,
    pub scores: Vec<PushedScore>,
}

/// For the e-kinerja site (scope `scores:write`): the month's performance scores. Good items
/// are stored, bad ones reported (per item), as the CSV import does.
#[utoipa::path(post, path = "/api/v1/integration/scores", tag = "integration", request_body = PushBody,
    security(("bearer" = [])),
    responses((status = 200, body = ScoreReport), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn push_scores(
    State(s): State<AppState>,
    ic: IntegrationCaller,
    ApiJson(b): ApiJson<PushBody>,
) -> ApiResult<Json<ScoreReport>> {
    ic.require("scores:write")?;
    if b.scores.is_empty() || b.scores.len() > 20_000 {
        return Err(ApiError::unprocessable("invalid_count", "Kirim 1 sampai 20.000 nilai sekali kirim."));
    }
    let items = b
        .scores
        .into_iter()
        .enumerate()
        .map(|(i, x)| ScoreItem { line: i + 1, employee: x.employee, score: x.score.to_string(), note: x.note })
        .collect();
    let actor = format!("Integrasi {}", ic.0.name);
    Ok(Json(store_scores(&s, &b.month, items, "api", (None, &actor)).await?))
}
