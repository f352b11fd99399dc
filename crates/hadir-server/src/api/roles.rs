use crate::auth::Caller;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::json::ApiJson;
use crate::state::AppState;
use axum::Json;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use hadir_store::{Audit, Role};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Deserialize, ToSchema)]
pub struct RoleRequest {
    /// The employee's NIP or login.
    pub login: String,
    /// `operator` or `head`.
    pub role: String,
    pub unit_code: String,
}

#[derive(Serialize, ToSchema)]
pub struct RoleView {
    pub login: String,
    pub role: String,
    pub unit_code: String,
}

fn parse_role(r: &str) -> ApiResult<Role> {
    Role::parse(r).ok_or_else(|| ApiError::unprocessable("invalid_role", "Peran harus 'operator' atau 'head'."))
}

/// Grant an employee the operator or head role on a unit subtree (admin).
#[utoipa::path(post, path = "/api/v1/roles", tag = "roles", request_body = RoleRequest,
    responses((status = 201, body = RoleView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn grant_role(
    State(s): State<AppState>,
    caller: Caller,
    ApiJson(r): ApiJson<RoleRequest>,
) -> ApiResult<(StatusCode, Json<RoleView>)> {
    caller.require_admin()?;
    let role = parse_role(&r.role)?;
    let e = s.store.employee_by_login(r.login.trim()).await?;
    let audit = Audit::new(caller.actor(), "grant_role", "account", &e.login)
        .after(serde_json::json!({"role": role.as_str(), "unit": r.unit_code}));
    let g = s.store.grant_role(e.account_id, role, &r.unit_code, audit).await?;
    s.forget_account(e.account_id);
    Ok((StatusCode::CREATED, Json(RoleView { login: e.login, role: g.role.as_str().into(), unit_code: g.unit_code })))
}

/// Revoke a role (admin).
#[utoipa::path(post, path = "/api/v1/roles/revoke", tag = "roles", request_body = RoleRequest,
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn revoke_role(
    State(s): State<AppState>,
    caller: Caller,
    ApiJson(r): ApiJson<RoleRequest>,
) -> ApiResult<StatusCode> {
    caller.require_admin()?;
    let role = parse_role(&r.role)?;
    let e = s.store.employee_by_login(r.login.trim()).await?;
    let audit = Audit::new(caller.actor(), "revoke_role", "account", &e.login)
        .before(serde_json::json!({"role": role.as_str(), "unit": r.unit_code}));
    s.store.revoke_role(e.account_id, role, &r.unit_code, audit).await?;
    s.forget_account(e.account_id);
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, IntoParams)]
pub struct RoleQuery {
    pub login: String,
}

/// Roles held by an employee (admin).
#[utoipa::path(get, path = "/api/v1/roles", tag = "roles", params(RoleQuery), responses((status = 200, body = Vec<RoleView>)))]
pub async fn list_roles(
    State(s): State<AppState>,
    caller: Caller,
    Query(q): Query<RoleQuery>,
) -> ApiResult<Json<Vec<RoleView>>> {
    caller.require_admin()?;
    let e = s.store.employee_by_login(q.login.trim()).await?;
    let grants = s.store.roles_of(e.account_id).await?;
    Ok(Json(
        grants
            .into_iter()
            .map(|g| RoleView { login: e.login.clone(), role: g.role.as_str().into(), unit_code: g.unit_code })
            .collect(),
    ))
}
