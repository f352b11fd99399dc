use crate::api::employees::employee_in_scope;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::privacy::record_view;
use crate::state::AppState;
use crate::views::PunchView;
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use hadir_domain::unit_zone;
use hadir_store::{AccessKind, PunchFilter};
use jiff::civil::Date;
use jiff::tz::TimeZone;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Deserialize, IntoParams)]
pub struct PunchQuery {
    /// NIP or login; default: yourself.
    pub employee: Option<String>,
    /// First day (YYYY-MM-DD, in the employee's zone).
    #[param(format = Date)]
    pub from: Option<String>,
    /// Last day, inclusive.
    #[param(format = Date)]
    pub to: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct PunchList {
    pub items: Vec<PunchView>,
}

/// An optional day from a query string, in 2000–2100 (422 `invalid_date` otherwise).
pub(crate) fn parse_day(s: &Option<String>, field: &str) -> ApiResult<Option<Date>> {
    crate::dates::opt_date(s.as_deref(), field)
}

/// Raw punches of one employee (yourself, or someone in your scope) with source and times.
#[utoipa::path(get, path = "/api/v1/punches", tag = "punches", params(PunchQuery),
    responses((status = 200, body = PunchList), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn list_punches(
    State(s): State<AppState>,
    caller: Caller,
    Query(q): Query<PunchQuery>,
) -> ApiResult<Json<PunchList>> {
    let e = match (&q.employee, caller.employee_id) {
        (Some(login), _) => employee_in_scope(&s, &caller, login).await?,
        (None, Some(id)) => s.store.employee_by_id(id).await?,
        (None, None) => return Err(ApiError::bad_request("employee_required", "Sebutkan pegawai (employee=NIP).")),
    };
    let tz = unit_zone(&e.timezone).unwrap_or(TimeZone::UTC);
    let start = |d: Date| d.to_zoned_datetime(tz.clone()).map(|z| z.timestamp()).ok();
    let from = parse_day(&q.from, "from")?.and_then(start);
    let to = parse_day(&q.to, "to")?.and_then(|d| d.tomorrow().ok()).and_then(start);
    let punches = s
        .store
        .list_punches(&PunchFilter { employee_id: Some(e.id), from, to, limit: 5000, ..Default::default() })
        .await?;
    // Someone else's positions: the view is logged (issue 17); the owner's own views are not.
    if punches.iter().any(|p| p.position_purged_at.is_none() && p.p.lat.is_some()) {
        let range = format!("punches:{}..{}", q.from.as_deref().unwrap_or(""), q.to.as_deref().unwrap_or(""));
        record_view(&s, &caller, Some(e.id), AccessKind::Position, range).await?;
    }
    let items = punches
        .iter()
        .map(|p| {
            let mut v = PunchView::new(p, &tz);
            let day = tz.to_datetime(p.p.punched_at).date();
            if let Some(policy) = s.policies.channel_policy_on(&e, day)
                && !hadir_domain::channels::source_counts(Some(&policy), p.p.source.as_str())
            {
                let label = hadir_domain::channels::Channel::of_source(p.p.source.as_str()).map_or("", |c| c.label());
                v.channel_not_counted = Some(format!(
                    "Tersimpan, tetapi tidak dihitung: presensi lewat {label} tidak berlaku bagi pegawai ini sejak {}.",
                    policy.effective_from
                ));
            }
            v
        })
        .collect();
    Ok(Json(PunchList { items }))
}

#[derive(Deserialize, IntoParams)]
pub struct PhotoQuery {
    /// `thumb` for a small JPEG (at most 160 px) for lists.
    pub size: Option<String>,
}

/// A punch's photo, only for the employee, their unit's operator/head, and admins.
#[utoipa::path(get, path = "/api/v1/punches/{id}/photo", tag = "punches", params(("id" = i64, Path), PhotoQuery),
    responses((status = 200, content_type = "image/jpeg", description = "The photo"), (status = 404, body = ErrorBody),
        (status = 410, body = ErrorBody, description = "Deleted at the end of its retention period")))]
pub async fn punch_photo(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    Query(q): Query<PhotoQuery>,
) -> ApiResult<Response> {
    let p = s.store.punch_by_id(id).await.map_err(|_| ApiError::not_found("Foto"))?;
    let allowed = match p.p.employee_id {
        Some(eid) if caller.employee_id == Some(eid) => true,
        Some(eid) => {
            let e = s.store.employee_by_id(eid).await?;
            let unit = s.store.unit_by_id(e.unit_id).await?;
            caller.can_read_unit(&unit.path)
        }
        None => caller.is_admin,
    };
    let hash = p.p.photo_hash.filter(|_| allowed).ok_or_else(|| ApiError::not_found("Foto"))?;
    if p.photo_purged_at.is_some() {
        return Err(photo_purged());
    }
    record_view(&s, &caller, p.p.employee_id, AccessKind::Photo, format!("punch:{id}")).await?;
    let bytes = if q.size.as_deref() == Some("thumb") {
        crate::thumbs::thumbnail(&s.blob, &hash).await?
    } else {
        s.blob.get("photos", &hash).await.map_err(|_| ApiError::not_found("Foto"))?
    };
    let mime = crate::api::checkins::sniff_image(&bytes).unwrap_or("application/octet-stream");
    Ok(([(header::CONTENT_TYPE, mime), (header::CACHE_CONTROL, "private, max-age=86400")], bytes).into_response())
}

/// 410 Gone: a photo deleted at the end of its retention period (its hash stays in the chain).
pub fn photo_purged() -> ApiError {
    ApiError::new(
        StatusCode::GONE,
        "photo_purged",
        "Foto ini sudah dihapus karena masa simpannya berakhir (UU 27/2022 tentang Pelindungan Data Pribadi).",
    )
}
