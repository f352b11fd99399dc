//! Reference faces (issue 23, point 2): the face each selfie of an employee is compared with.
//! A head or operator of the employee's unit subtree (or an admin) enrols it, from a selfie of
//! one of the employee's punches or from an uploaded photo; never the employee themself (nobody
//! changes what decides their own attendance). Only the embedding is kept (never shown); the
//! answers say whether there is one, when and by whom.

use super::employees::employee_in_scope;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::signals::{embed, photo};
use crate::state::AppState;
use axum::Json;
use axum::extract::{FromRequest, Multipart, Path, Request, State};
use axum::http::{StatusCode, header};
use hadir_store::{Audit, Employee, Id, ReferenceFace, StoreError};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Whether an employee has a reference face (never the face itself).
#[derive(Serialize, ToSchema)]
pub struct ReferenceFaceView {
    pub has_reference: bool,
    /// `punch` or `upload`.
    pub source: Option<String>,
    pub punch_id: Option<Id>,
    /// Login of who enrolled it.
    pub enrolled_by: Option<String>,
    pub enrolled_at: Option<String>,
}

impl From<Option<&ReferenceFace>> for ReferenceFaceView {
    fn from(r: Option<&ReferenceFace>) -> Self {
        ReferenceFaceView {
            has_reference: r.is_some(),
            source: r.map(|r| r.source.clone()),
            punch_id: r.and_then(|r| r.punch_id),
            enrolled_by: r.map(|r| r.enrolled_by.clone()),
            enrolled_at: r.map(|r| r.enrolled_at.to_string()),
        }
    }
}

/// Enrol from a punch's selfie (or send `multipart/form-data` with a part `photo`).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FromPunch {
    pub punch_id: Id,
}

fn own_reference() -> ApiError {
    ApiError::new(
        StatusCode::FORBIDDEN,
        "own_reference",
        "Anda tidak dapat mengatur foto acuan wajah Anda sendiri; mintalah atasan atau operator unit Anda.",
    )
}

/// An employee whose reference face the caller may set or remove (only [`enrollable`] makes
/// one, so enrolment cannot skip the check).
pub(crate) struct Enrollable(pub Employee);

/// The employee, when the caller may set their reference face: a head or operator of their
/// unit subtree, or an admin; never the employee themself. Outside the caller's scope: 404.
pub(crate) async fn enrollable(s: &AppState, caller: &Caller, nip: &str) -> ApiResult<Enrollable> {
    let e = employee_in_scope(s, caller, nip).await?;
    if caller.employee_id == Some(e.id) {
        return Err(own_reference());
    }
    let unit = s.store.unit_by_id(e.unit_id).await?;
    if caller.can_decide_for_unit(&unit.path) { Ok(Enrollable(e)) } else { Err(ApiError::forbidden()) }
}

/// Where the reference face comes from.
pub(crate) enum FacePhoto {
    /// The selfie of one of the employee's punches.
    Punch(Id),
    /// An uploaded photo (not kept).
    Upload(Vec<u8>),
}

pub(crate) fn punch_not_usable() -> ApiError {
    ApiError::unprocessable(
        "punch_not_usable",
        "Absen ini tidak dapat dipakai: bukan swafoto pegawai ini, atau fotonya sudah tidak disimpan.",
    )
}

fn broken_multipart() -> ApiError {
    ApiError::bad_request("invalid_multipart", "Data formulir (multipart) rusak atau terpotong.")
}

/// The part `photo` of a multipart form (at most `checkin.photo_max_bytes`).
pub(crate) async fn uploaded_photo(s: &AppState, mut mp: Multipart) -> ApiResult<Vec<u8>> {
    let max = s.config.checkin.photo_max_bytes;
    let too_large = || {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "photo_too_large",
            format!("Ukuran foto melebihi batas {} KB.", max / 1024),
        )
    };
    while let Some(mut field) = mp.next_field().await.map_err(|_| broken_multipart())? {
        if field.name() != Some("photo") {
            continue;
        }
        let mut buf = Vec::new();
        while let Some(c) = field
            .chunk()
            .await
            .map_err(|e| if e.status() == StatusCode::PAYLOAD_TOO_LARGE { too_large() } else { broken_multipart() })?
        {
            if buf.len() + c.len() > max {
                return Err(too_large());
            }
            buf.extend_from_slice(&c);
        }
        if buf.is_empty() {
            break;
        }
        return Ok(buf);
    }
    Err(ApiError::unprocessable("photo_missing", "Sertakan foto wajah pada bagian 'photo'."))
}

/// The photo bytes of the request: a punch's selfie (JSON `{"punch_id": …}`) or an upload
/// (multipart part `photo`).
async fn photo_of(s: &AppState, req: Request) -> ApiResult<FacePhoto> {
    let multipart = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().starts_with("multipart/form-data"));
    if multipart {
        let mp = Multipart::from_request(req, s).await.map_err(|_| broken_multipart())?;
        return Ok(FacePhoto::Upload(uploaded_photo(s, mp).await?));
    }
    let body = axum::body::to_bytes(req.into_body(), 64 * 1024)
        .await
        .map_err(|_| ApiError::bad_request("invalid_body", "Isi permintaan tidak terbaca."))?;
    let FromPunch { punch_id } = serde_json::from_slice(&body).map_err(|_| {
        ApiError::unprocessable(
            "invalid_body",
            "Kirim {\"punch_id\": nomor absen} atau unggah foto (multipart, bagian 'photo').",
        )
    })?;
    Ok(FacePhoto::Punch(punch_id))
}

/// The bytes of a punch's selfie, when it is one of `e`'s punches, not quarantined and its
/// photo still kept.
async fn punch_photo(s: &AppState, e: &Employee, punch_id: Id) -> ApiResult<Vec<u8>> {
    let p = match s.store.punch_by_id(punch_id).await {
        Ok(p) => p,
        Err(StoreError::NotFound(_)) => return Err(punch_not_usable()),
        Err(err) => return Err(err.into()),
    };
    let hash = match &p.p.photo_hash {
        Some(h) if p.p.employee_id == Some(e.id) && !p.p.quarantined && p.photo_purged_at.is_none() => h.clone(),
        _ => return Err(punch_not_usable()),
    };
    let bytes = s.blob.get("photos", &hash).await.map_err(|_| punch_not_usable())?;
    Ok(bytes.to_vec())
}

/// Enrols (or replaces) the reference face of an employee the caller may enrol for: the photo
/// must show exactly one face; audited as `enrol_reference_face` in the same transaction. The
/// API and the console both come here.
pub(crate) async fn enrol(s: &AppState, caller: &Caller, e: &Enrollable, photo: FacePhoto) -> ApiResult<ReferenceFace> {
    let e = &e.0;
    let (bytes, punch_id) = match photo {
        FacePhoto::Punch(id) => (punch_photo(s, e, id).await?, Some(id)),
        FacePhoto::Upload(bytes) => (bytes, None),
    };
    let Some(models) = s.signals.face_models().await else {
        return Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "face_unavailable",
            "Pengenalan wajah tidak tersedia di server ini.",
        ));
    };
    let (max_pixels, cfg) = (s.config.checkin.max_image_pixels, s.config.signals.clone());
    let seen = tokio::task::spawn_blocking(move || {
        let img = photo::decode(&bytes, max_pixels)?;
        Some(models.see(&img, cfg.face_min_score, cfg.face_max_overlap, true))
    })
    .await
    .map_err(|_| ApiError::internal())?;
    let seen = match seen {
        None => {
            return Err(ApiError::unprocessable("photo_unreadable", "Foto tidak dapat dibuka sebagai gambar."));
        }
        Some(Err(err)) => {
            tracing::warn!(error = %err, "reference face: the face models failed");
            return Err(ApiError::internal());
        }
        Some(Ok(seen)) => seen,
    };
    let embedding = match (seen.faces.len(), seen.embedding) {
        (0, _) => {
            return Err(ApiError::unprocessable(
                "face_none",
                "Tidak ada wajah yang terlihat pada foto ini. Pilih foto dengan wajah pegawai terlihat jelas.",
            ));
        }
        (1, Some(e)) => e,
        (n, _) => {
            return Err(ApiError::unprocessable(
                "face_several",
                format!("Foto ini memuat {n} wajah. Pilih foto yang hanya memuat wajah pegawai itu sendiri."),
            ));
        }
    };
    let r = ReferenceFace {
        employee_id: e.id,
        model: embed::MODEL.into(),
        embedding: embed::to_bytes(&embedding),
        source: if punch_id.is_some() { "punch" } else { "upload" }.into(),
        punch_id,
        enrolled_by_account: Some(caller.account_id),
        enrolled_by: caller.username.clone(),
        enrolled_at: jiff::Timestamp::now(),
    };
    let audit = Audit::new(caller.actor(), "enrol_reference_face", "employee", &e.id.to_string());
    Ok(s.store.set_reference_face(&r, audit).await?)
}

/// Removes the reference face of an employee the caller may enrol for (audited as
/// `remove_reference_face`); 404 when there is none.
pub(crate) async fn remove(s: &AppState, caller: &Caller, e: &Enrollable) -> ApiResult<()> {
    let audit = Audit::new(caller.actor(), "remove_reference_face", "employee", &e.0.id.to_string());
    if s.store.remove_reference_face(e.0.id, audit).await? {
        Ok(())
    } else {
        Err(ApiError::not_found("Foto acuan wajah"))
    }
}

/// An employee's reference face: whether there is one, from what, by whom and when.
#[utoipa::path(get, path = "/api/v1/employees/{nip}/reference-face", tag = "employees", params(("nip" = String, Path)),
    responses((status = 200, body = ReferenceFaceView), (status = 404, body = ErrorBody)))]
pub async fn get_reference_face(
    State(s): State<AppState>,
    caller: Caller,
    Path(nip): Path<String>,
) -> ApiResult<Json<ReferenceFaceView>> {
    let e = employee_in_scope(&s, &caller, &nip).await?;
    Ok(Json(s.store.reference_face(e.id).await?.as_ref().into()))
}

/// Enrol (or replace) an employee's reference face, from one of their punches' selfie
/// (`{"punch_id": …}`) or an uploaded photo (multipart, part `photo`) with exactly one face.
/// A head or operator of the employee's unit subtree, or an admin; never for oneself.
#[utoipa::path(post, path = "/api/v1/employees/{nip}/reference-face", tag = "employees", params(("nip" = String, Path)),
    request_body(content = FromPunch, description = "or multipart/form-data with a part `photo`"),
    responses((status = 201, body = ReferenceFaceView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 413, body = ErrorBody), (status = 422, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn enrol_reference_face(
    State(s): State<AppState>,
    caller: Caller,
    Path(nip): Path<String>,
    req: Request,
) -> ApiResult<(StatusCode, Json<ReferenceFaceView>)> {
    let e = enrollable(&s, &caller, &nip).await?;
    let photo = photo_of(&s, req).await?;
    let stored = enrol(&s, &caller, &e, photo).await?;
    Ok((StatusCode::CREATED, Json(Some(&stored).into())))
}

/// Remove an employee's reference face (selfies are then no longer compared). The same people
/// as enrolment; 404 when there is none.
#[utoipa::path(delete, path = "/api/v1/employees/{nip}/reference-face", tag = "employees", params(("nip" = String, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn remove_reference_face(
    State(s): State<AppState>,
    caller: Caller,
    Path(nip): Path<String>,
) -> ApiResult<StatusCode> {
    let e = enrollable(&s, &caller, &nip).await?;
    remove(&s, &caller, &e).await?;
    Ok(StatusCode::NO_CONTENT)
}
