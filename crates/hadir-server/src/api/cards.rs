//! Personal QR cards (issue 21, point 2): each employee's signed card for "Absen untuk rekan".
//! The employee prints it from the app; an operator of the unit (or an admin) prints and
//! reissues it too. Reissuing raises the version, so the old card is refused at check-in.

use super::employees::employee_in_scope;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::kiosk;
use crate::state::AppState;
use axum::Json;
use axum::extract::{Path, State};
use hadir_store::{Audit, Employee};
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Serialize, ToSchema)]
pub struct QrCardView {
    pub name: String,
    pub nip: Option<String>,
    pub unit_name: String,
    /// The text inside the QR code.
    pub code: String,
    /// The QR code drawn as an SVG document.
    pub svg: String,
    /// Raised by each reissue; older cards are refused.
    pub version: i64,
}

async fn view(s: &AppState, e: &Employee, version: i64) -> ApiResult<QrCardView> {
    let secret = s.kiosk_keys.secret(s.store.as_ref()).await?;
    let code = kiosk::sign_card(secret, e.id, version);
    let svg = kiosk::svg(&code).ok_or_else(ApiError::internal)?;
    Ok(QrCardView { name: e.name.clone(), nip: e.nip.clone(), unit_name: e.unit_name.clone(), code, svg, version })
}

async fn current_or_first(s: &AppState, caller: &Caller, e: &Employee) -> ApiResult<i64> {
    match s.store.qr_card_version(e.id).await? {
        Some(v) => Ok(v),
        None => {
            let audit = Audit::new(caller.actor(), "issue", "qr_card", &e.id.to_string());
            Ok(s.store.issue_qr_card(e.id, audit).await?)
        }
    }
}

fn own_employee(caller: &Caller) -> ApiResult<hadir_store::Id> {
    caller
        .employee_id
        .ok_or_else(|| ApiError::forbidden().with_details(serde_json::json!({"reason": "not_an_employee"})))
}

/// The caller's own QR card (issued on first request).
#[utoipa::path(get, path = "/api/v1/me/qr-card", tag = "checkins",
    responses((status = 200, body = QrCardView), (status = 403, body = ErrorBody)))]
pub async fn my_card(State(s): State<AppState>, caller: Caller) -> ApiResult<Json<QrCardView>> {
    let e = s.employee(own_employee(&caller)?).await?;
    let v = current_or_first(&s, &caller, &e).await?;
    Ok(Json(view(&s, &e, v).await?))
}

/// Reissue the caller's own card (a lost card): the old one is refused from now on.
#[utoipa::path(post, path = "/api/v1/me/qr-card/reissue", tag = "checkins",
    responses((status = 200, body = QrCardView), (status = 403, body = ErrorBody)))]
pub async fn reissue_my_card(State(s): State<AppState>, caller: Caller) -> ApiResult<Json<QrCardView>> {
    let e = s.employee(own_employee(&caller)?).await?;
    let audit = Audit::new(caller.actor(), "reissue", "qr_card", &e.id.to_string());
    let v = s.store.issue_qr_card(e.id, audit).await?;
    Ok(Json(view(&s, &e, v).await?))
}

async fn managed(s: &AppState, caller: &Caller, nip: &str) -> ApiResult<Employee> {
    let e = employee_in_scope(s, caller, nip).await?;
    let unit = s.store.unit_by_id(e.unit_id).await?;
    if caller.can_manage_unit(&unit.path) { Ok(e) } else { Err(ApiError::forbidden()) }
}

/// An employee's card, to print (admin, or an operator of the employee's unit).
#[utoipa::path(get, path = "/api/v1/employees/{nip}/qr-card", tag = "checkins", params(("nip" = String, Path)),
    responses((status = 200, body = QrCardView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn employee_card(
    State(s): State<AppState>,
    caller: Caller,
    Path(nip): Path<String>,
) -> ApiResult<Json<QrCardView>> {
    let e = managed(&s, &caller, &nip).await?;
    let v = current_or_first(&s, &caller, &e).await?;
    Ok(Json(view(&s, &e, v).await?))
}

/// Reissue an employee's card (admin, or an operator of the unit): the old one is refused.
#[utoipa::path(post, path = "/api/v1/employees/{nip}/qr-card/reissue", tag = "checkins", params(("nip" = String, Path)),
    responses((status = 200, body = QrCardView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn reissue_employee_card(
    State(s): State<AppState>,
    caller: Caller,
    Path(nip): Path<String>,
) -> ApiResult<Json<QrCardView>> {
    let e = managed(&s, &caller, &nip).await?;
    let audit = Audit::new(caller.actor(), "reissue", "qr_card", &e.id.to_string());
    let v = s.store.issue_qr_card(e.id, audit).await?;
    Ok(Json(view(&s, &e, v).await?))
}
