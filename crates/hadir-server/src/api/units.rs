use crate::auth::Caller;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::json::ApiJson;
use crate::org::{LocationInput, UnitInput, validate_location, validate_unit};
use crate::state::AppState;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use hadir_store::{Audit, StoreError, Unit};
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Serialize, ToSchema)]
pub struct LocationView {
    pub id: i64,
    pub name: String,
    pub lat: f64,
    pub lon: f64,
    pub radius_m: f64,
}

#[derive(Serialize, ToSchema)]
pub struct UnitView {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub parent_code: Option<String>,
    pub timezone: String,
    pub locations: Vec<LocationView>,
}

impl From<hadir_store::Location> for LocationView {
    fn from(l: hadir_store::Location) -> Self {
        LocationView { id: l.id, name: l.name, lat: l.lat, lon: l.lon, radius_m: l.radius_m }
    }
}

impl From<Unit> for UnitView {
    fn from(u: Unit) -> Self {
        UnitView {
            id: u.id,
            code: u.code,
            name: u.name,
            parent_code: u.parent_code,
            timezone: u.timezone,
            locations: u.locations.into_iter().map(LocationView::from).collect(),
        }
    }
}

/// Create a unit (admin).
#[utoipa::path(post, path = "/api/v1/units", tag = "units", request_body = UnitInput,
    responses((status = 201, body = UnitView), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_unit(
    State(s): State<AppState>,
    caller: Caller,
    ApiJson(input): ApiJson<UnitInput>,
) -> ApiResult<(StatusCode, Json<UnitView>)> {
    caller.require_admin()?;
    let nu = validate_unit(&input)?;
    let audit = Audit::new(caller.actor(), "create", "unit", &nu.code);
    let unit = s.store.create_unit(&nu, audit).await?;
    s.policies.note_unit(unit.id, &unit.path, &unit.timezone);
    Ok((StatusCode::CREATED, Json(unit.into())))
}

/// Units the caller may see (admin: all; operator/head: their subtrees; employee: their own).
#[utoipa::path(get, path = "/api/v1/units", tag = "units", responses((status = 200, body = Vec<UnitView>)))]
pub async fn list_units(State(s): State<AppState>, caller: Caller) -> ApiResult<Json<Vec<UnitView>>> {
    let units = if caller.is_staff() {
        s.store.list_units(&caller.read_scope()).await?
    } else if let Some(id) = caller.employee_id {
        let e = s.store.employee_by_id(id).await?;
        vec![s.store.unit_by_id(e.unit_id).await?]
    } else {
        vec![]
    };
    Ok(Json(units.into_iter().map(Into::into).collect()))
}

/// One unit by code.
#[utoipa::path(get, path = "/api/v1/units/{code}", tag = "units", params(("code" = String, Path)),
    responses((status = 200, body = UnitView), (status = 404, body = ErrorBody)))]
pub async fn get_unit(
    State(s): State<AppState>,
    caller: Caller,
    Path(code): Path<String>,
) -> ApiResult<Json<UnitView>> {
    let unit = s.store.unit_by_code(&code).await?;
    let own = match caller.employee_id {
        Some(id) => s.store.employee_by_id(id).await?.unit_id == unit.id,
        None => false,
    };
    if !(own || caller.can_read_unit(&unit.path)) {
        // Out of scope looks the same as absent.
        return Err(ApiError::not_found("Unit kerja"));
    }
    Ok(Json(unit.into()))
}

/// The unit to change a location of (admin), and the location input checked: a name and
/// valid coordinates and radius.
async fn location_target(
    s: &AppState,
    caller: &Caller,
    code: &str,
    input: Option<&LocationInput>,
) -> ApiResult<(Unit, Option<hadir_store::NewLocation>)> {
    caller.require_admin()?;
    let unit = s.store.unit_by_code(code).await?;
    let l = match input {
        Some(i) => {
            if i.name.trim().is_empty() {
                return Err(ApiError::unprocessable("required", "Nama lokasi wajib diisi.")
                    .with_details(serde_json::json!({"field": "name"})));
            }
            Some(validate_location(i, "location")?)
        }
        None => None,
    };
    Ok((unit, l))
}

/// After a location change: check-ins read units and extra locations from short caches.
fn forget_locations(s: &AppState, unit_id: i64) {
    s.caches.units.remove_where(|id, _| *id == unit_id);
    s.caches.extra_locations.remove_where(|_, _| true);
}

/// Add a check-in location (geofence) to a unit (admin; audited).
#[utoipa::path(post, path = "/api/v1/units/{code}/locations", tag = "units", params(("code" = String, Path)),
    request_body = LocationInput,
    responses((status = 201, body = UnitView), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn add_location(
    State(s): State<AppState>,
    caller: Caller,
    Path(code): Path<String>,
    ApiJson(input): ApiJson<LocationInput>,
) -> ApiResult<(StatusCode, Json<UnitView>)> {
    let (unit, l) = location_target(&s, &caller, &code, Some(&input)).await?;
    let l = l.ok_or_else(ApiError::internal)?;
    let audit = Audit::new(caller.actor(), "add_location", "unit", &unit.code);
    let unit = s.store.add_location(unit.id, &l, audit).await?;
    forget_locations(&s, unit.id);
    Ok((StatusCode::CREATED, Json(unit.into())))
}

/// Change a location of a unit: name, coordinates, radius (admin; audited).
#[utoipa::path(put, path = "/api/v1/units/{code}/locations/{id}", tag = "units",
    params(("code" = String, Path), ("id" = i64, Path)), request_body = LocationInput,
    responses((status = 200, body = UnitView), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update_location(
    State(s): State<AppState>,
    caller: Caller,
    Path((code, id)): Path<(String, i64)>,
    ApiJson(input): ApiJson<LocationInput>,
) -> ApiResult<Json<UnitView>> {
    let (unit, l) = location_target(&s, &caller, &code, Some(&input)).await?;
    let l = l.ok_or_else(ApiError::internal)?;
    let audit = Audit::new(caller.actor(), "update_location", "unit", &unit.code);
    let unit = s.store.update_location(unit.id, id, &l, audit).await.map_err(location_error)?;
    forget_locations(&s, unit.id);
    Ok(Json(unit.into()))
}

/// Remove a location of a unit (admin; audited). Refused (409 `location_in_use`) while employees
/// have it as an extra check-in location.
#[utoipa::path(delete, path = "/api/v1/units/{code}/locations/{id}", tag = "units",
    params(("code" = String, Path), ("id" = i64, Path)),
    responses((status = 200, body = UnitView), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn delete_location(
    State(s): State<AppState>,
    caller: Caller,
    Path((code, id)): Path<(String, i64)>,
) -> ApiResult<Json<UnitView>> {
    let (unit, _) = location_target(&s, &caller, &code, None).await?;
    let audit = Audit::new(caller.actor(), "delete_location", "unit", &unit.code);
    let unit = s.store.delete_location(unit.id, id, audit).await.map_err(location_error)?;
    forget_locations(&s, unit.id);
    Ok(Json(unit.into()))
}

fn location_error(e: StoreError) -> ApiError {
    match e {
        StoreError::NotFound(_) => ApiError::not_found("Lokasi"),
        StoreError::Conflict(c) if c == "location_in_use" => ApiError::new(
            StatusCode::CONFLICT,
            "location_in_use",
            "Lokasi ini dipakai sebagai lokasi presensi tambahan pegawai; lepaskan dulu dari pegawai tersebut.",
        ),
        other => other.into(),
    }
}
