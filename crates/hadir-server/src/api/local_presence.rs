//! "Presensi lokal: http://…" (issue 21 point 4): the office-network addresses of the relays
//! whose unit subtree holds the employee, so people know where to check in when the internet is
//! down. The app keeps the answer for offline starts.

use crate::auth::Caller;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Serialize, ToSchema)]
pub struct LocalPresence {
    /// The relay's name, e.g. "Relay Kantor Camat Pijo".
    pub name: String,
    pub unit_code: String,
    /// The address to open on the office network, e.g. `http://192.168.1.10:8080`.
    pub url: String,
}

#[derive(Serialize, ToSchema)]
pub struct LocalPresenceList {
    pub items: Vec<LocalPresence>,
}

/// The office-network addresses for the signed-in employee's unit (relays of the unit or an
/// ancestor that reported one, not revoked), nearest unit first.
#[utoipa::path(get, path = "/api/v1/me/local-presence", tag = "relays",
    responses((status = 200, body = LocalPresenceList), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn my_local_presence(State(s): State<AppState>, caller: Caller) -> ApiResult<Json<LocalPresenceList>> {
    let employee_id = caller.employee_id.ok_or_else(ApiError::forbidden)?;
    let e = s.employee(employee_id).await?;
    let unit = s.unit(e.unit_id).await?;
    let mut relays: Vec<_> = s
        .store
        .list_relays()
        .await?
        .into_iter()
        .filter(|r| !r.revoked && r.local_url.is_some() && unit.path.starts_with(&r.unit_path))
        .collect();
    relays.sort_by(|a, b| b.unit_path.len().cmp(&a.unit_path.len()).then(a.id.cmp(&b.id)));
    let items = relays
        .into_iter()
        .filter_map(|r| Some(LocalPresence { url: r.local_url?, name: r.name, unit_code: r.unit_code }))
        .collect();
    Ok(Json(LocalPresenceList { items }))
}
