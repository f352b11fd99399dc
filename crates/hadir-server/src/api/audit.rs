use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use axum::Json;
use axum::extract::{Query, State};
use hadir_store::AuditFilter;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Deserialize, IntoParams)]
pub struct AuditQuery {
    /// e.g. `employee`, `unit`, `account`.
    pub entity: Option<String>,
    /// e.g. `update`, `create`, `deactivate`.
    pub action: Option<String>,
    /// Part of a name, or a NIP or login: who acted, or the employee acted on.
    pub person: Option<String>,
    /// Unit code: records about its subtree's employees and units.
    pub unit: Option<String>,
    /// First day (YYYY-MM-DD, in the regency's zone).
    #[param(format = Date)]
    pub from: Option<String>,
    /// Last day, inclusive.
    #[param(format = Date)]
    pub to: Option<String>,
    pub offset: Option<u32>,
    pub limit: Option<u32>,
}

#[derive(Serialize, ToSchema)]
pub struct AuditView {
    pub id: i64,
    pub at: String,
    pub actor: String,
    pub actor_account_id: Option<i64>,
    pub action: String,
    pub entity: String,
    pub entity_id: String,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
}

#[derive(Serialize, ToSchema)]
pub struct AuditPage {
    pub items: Vec<AuditView>,
    pub total: u64,
}

/// The audit trail of changes made by people, newest first (admin).
#[utoipa::path(get, path = "/api/v1/audit", tag = "audit", params(AuditQuery), responses((status = 200, body = AuditPage)))]
pub async fn list_audit(
    State(s): State<AppState>,
    caller: Caller,
    Query(q): Query<AuditQuery>,
) -> ApiResult<Json<AuditPage>> {
    caller.require_admin()?;
    let paging = super::Paging { offset: q.offset, limit: q.limit };
    let text = |v: &Option<String>| v.as_deref().map(str::trim).filter(|v| !v.is_empty()).map(str::to_string);
    let unit_path = match text(&q.unit) {
        Some(code) => Some(s.store.unit_by_code(&code).await.map_err(|_| ApiError::not_found("Unit kerja"))?.path),
        None => None,
    };
    let tz = s.config.regency_zone();
    let start = |d: jiff::civil::Date| d.to_zoned_datetime(tz.clone()).map(|z| z.timestamp()).ok();
    let f = AuditFilter {
        entity: text(&q.entity),
        action: text(&q.action),
        person: text(&q.person),
        unit_path,
        from: crate::api::punches::parse_day(&q.from, "from")?.and_then(start),
        to: crate::api::punches::parse_day(&q.to, "to")?.and_then(|d| d.tomorrow().ok()).and_then(start),
    };
    let page = s.store.search_audit(&f, paging.offset(), paging.limit()).await?;
    Ok(Json(AuditPage {
        total: page.total,
        items: page
            .items
            .into_iter()
            .map(|e| AuditView {
                id: e.id,
                at: e.at.to_string(),
                actor: e.actor_name,
                actor_account_id: e.actor_account_id,
                action: e.action,
                entity: e.entity,
                entity_id: e.entity_id,
                before: e.before,
                after: e.after,
            })
            .collect(),
    }))
}
