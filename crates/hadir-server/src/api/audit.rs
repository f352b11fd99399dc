use crate::auth::Caller;
use crate::error::ApiResult;
use crate::state::AppState;
use axum::Json;
use axum::extract::{Query, State};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Deserialize, IntoParams)]
pub struct AuditQuery {
    /// e.g. `employee`, `unit`, `account`.
    pub entity: Option<String>,
    pub offset: Option<u32>,
    pub limit: Option<u32>,
}

#[derive(Serialize, ToSchema)]
pub struct AuditView {
    pub id: i64,
    pub at: String,
    pub actor: String,
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
    let page = s.store.list_audit(q.entity.as_deref(), paging.offset(), paging.limit()).await?;
    Ok(Json(AuditPage {
        total: page.total,
        items: page
            .items
            .into_iter()
            .map(|e| AuditView {
                id: e.id,
                at: e.at.to_string(),
                actor: e.actor_name,
                action: e.action,
                entity: e.entity,
                entity_id: e.entity_id,
                before: e.before,
                after: e.after,
            })
            .collect(),
    }))
}
