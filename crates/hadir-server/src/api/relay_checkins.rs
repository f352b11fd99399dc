//! Office-network check-ins forwarded by a relay (issue 21 point 4): a phone on the office LAN
//! signed in at the relay (NIP + password against the argon2id hash from the roster), took a
//! selfie, and the relay recorded it with its own clock. The relay forwards it here with the
//! phone's idempotency key; the relay's network is the proof of place (no GPS).

use crate::api::relays::RelayAuth;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::ingest::IngestError;
use crate::state::AppState;
use axum::extract::{Multipart, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use hadir_store::{NewPunch, Punch, PunchHold, PunchInsert, PunchSource, StoreError};
use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The `meta` part of `POST /api/v1/relay/checkins`.
#[derive(Deserialize, ToSchema)]
pub struct RelayCheckinMeta {
    /// The employee's login (the NIP), as signed in at the relay.
    pub login: String,
    /// The phone's idempotency key (one per check-in, the same on every retry).
    pub idempotency_key: String,
    /// When the relay recorded it (RFC 3339), by the relay's clock corrected by its measured
    /// offset to the server.
    pub punched_at: String,
    pub note: Option<String>,
}

#[derive(ToSchema)]
#[allow(dead_code)]
pub struct RelayCheckinForm {
    /// JSON of [`RelayCheckinMeta`].
    meta: String,
    /// The selfie (JPEG, PNG or WebP).
    #[schema(format = Binary, content_media_type = "application/octet-stream")]
    photo: Vec<u8>,
}

#[derive(Serialize, Deserialize, ToSchema)]
pub struct RelayCheckinReply {
    pub punch_id: i64,
    /// `counted` or `pending` (waits for the head's review: `backlog` or `future`).
    pub state: String,
    pub message: String,
}

fn reply(p: &Punch) -> String {
    let pending = p.p.hold == Some(PunchHold::Pending);
    let body = RelayCheckinReply {
        punch_id: p.id,
        state: if pending { "pending" } else { "counted" }.into(),
        message: p.p.response.clone().unwrap_or_default(),
    };
    serde_json::to_string(&body).unwrap_or_default()
}

fn json(status: StatusCode, body: String) -> Response {
    (status, [(header::CONTENT_TYPE, "application/json")], body).into_response()
}

/// Store a check-in recorded by an office relay (relay token). Idempotent per (employee, the
/// phone's key, relay): a forward retried returns the first answer (200). The employee must
/// belong to the relay's unit subtree (422 `employee_other_unit`); a time more than
/// `terminals.backlog_hours` before receipt or `terminals.future_minutes` after it is stored
/// held (`backlog` / `future`), as for terminal punches. A revoked relay gets 401.
#[utoipa::path(post, path = "/api/v1/relay/checkins", tag = "relays",
    request_body(content = RelayCheckinForm, content_type = "multipart/form-data"),
    responses((status = 201, body = RelayCheckinReply), (status = 200, description = "Repeat of an earlier key", body = RelayCheckinReply),
        (status = 401, body = ErrorBody), (status = 413, body = ErrorBody), (status = 422, body = ErrorBody),
        (status = 503, body = ErrorBody)))]
pub async fn relay_checkin(
    State(s): State<AppState>,
    RelayAuth(relay): RelayAuth,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> ApiResult<Response> {
    let received_at =
        Timestamp::from_millisecond(Timestamp::now().as_millisecond()).unwrap_or_else(|_| Timestamp::now());
    let multipart = multipart.map_err(|_| {
        ApiError::bad_request(
            "multipart_required",
            "Kirim sebagai multipart/form-data dengan bagian 'meta' dan 'photo'.",
        )
    })?;
    let max = s.config.checkin.photo_max_bytes;
    let (meta, photo) = read_form(multipart, max).await?;
    let key = meta.idempotency_key.trim();
    if key.is_empty() || key.len() > 128 || key.chars().any(|c| c.is_control()) {
        return Err(ApiError::unprocessable(
            "invalid_idempotency_key",
            "Kunci idempoten wajib diisi (1–128 karakter).",
        ));
    }
    let e = match s.store.employee_by_login(meta.login.trim()).await {
        Ok(e) => e,
        Err(StoreError::NotFound(_)) => {
            return Err(ApiError::unprocessable("unknown_employee", "Pegawai dengan NIP ini tidak dikenal."));
        }
        Err(err) => return Err(err.into()),
    };
    let unit = s.unit(e.unit_id).await?;
    // The same answer for another unit's person as for a stranger: the relay learns nothing.
    if !unit.path.starts_with(&relay.unit_path) {
        tracing::warn!(relay = relay.id, employee = e.id, "relay check-in for an employee outside its unit refused");
        return Err(ApiError::unprocessable(
            "employee_other_unit",
            "Pegawai ini bukan pegawai unit relay ini; absen melalui jaringan kantor ini tidak diterima.",
        ));
    }
    let dedup_key = format!("m:{}:{key}#r{}", e.id, relay.id);
    if let Some(p) = s.store.punch_by_dedup_key(&dedup_key).await? {
        return Ok(json(StatusCode::OK, reply(&p)));
    }
    if !e.active {
        return Err(ApiError::unprocessable("employee_inactive", "Pegawai ini tidak aktif."));
    }
    let punched_at = meta
        .punched_at
        .trim()
        .parse::<Timestamp>()
        .ok()
        .filter(|t| hadir_domain::accepted_instant(*t))
        .ok_or_else(|| ApiError::unprocessable("invalid_time", "Waktu absen dari relay tidak valid."))?;
    let photo = photo.ok_or_else(|| ApiError::unprocessable("photo_required", "Foto swafoto wajib dilampirkan."))?;
    if super::checkins::sniff_image(&photo).is_none() {
        return Err(ApiError::unprocessable("photo_type", "Foto harus berupa gambar JPEG, PNG atau WebP."));
    }
    crate::images::check_pixels(&photo, s.config.checkin.max_image_pixels, "Foto")?;
    let terminals = &s.config.terminals;
    let backlog = SignedDuration::from_hours(terminals.backlog_hours.min(1_000_000) as i64);
    let ahead = SignedDuration::from_mins(terminals.future_minutes.min(1_000_000) as i64);
    let zone = hadir_domain::unit_zone(&unit.timezone).unwrap_or(jiff::tz::TimeZone::UTC);
    let shown = punched_at.to_zoned_datetime(zone).strftime("%Y-%m-%d %H:%M:%S %Z").to_string();
    let review = if punched_at > received_at + ahead {
        Some(("future", format!("Jam relay {} menunjukkan {shown}, di depan waktu server.", relay.name)))
    } else if punched_at < received_at - backlog {
        let hours = received_at.duration_since(punched_at).as_hours();
        Some(("backlog", format!("Absen {shown} di jaringan kantor {} diterima {hours} jam kemudian.", relay.name)))
    } else {
        None
    };
    let photo_hash = s.blob.put("photos", photo).await.map_err(|err| {
        tracing::error!(error = %err, "relay check-in photo store failed");
        ApiError::internal()
    })?;
    let message = match review {
        None => format!("Absen {} pukul {shown} tercatat melalui jaringan kantor {}.", e.name, relay.name),
        Some(_) => format!("Absen {} pukul {shown} menunggu pemeriksaan atasan.", e.name),
    };
    let note = meta.note.map(|n| n.trim().chars().take(500).collect::<String>()).filter(|n| !n.is_empty());
    let new = NewPunch {
        employee_id: Some(e.id),
        source: PunchSource::Relay,
        dedup_key,
        punched_at,
        received_at,
        captured_at: Some(punched_at),
        device_sn: None,
        device_pin: None,
        lat: None,
        lon: None,
        accuracy_m: None,
        distance_m: None,
        location_name: Some(format!("Jaringan kantor: {}", relay.name)),
        photo_hash: Some(photo_hash),
        note,
        hold: review.as_ref().map(|_| PunchHold::Pending),
        review: review.as_ref().map(|r| r.0.to_string()),
        review_detail: review.map(|r| r.1),
        status: None,
        verify: None,
        quarantined: false,
        response: Some(message),
    };
    let mut result = submit(&s, new.clone()).await?;
    // The same photo bytes as a stored punch's: a copied file, not a selfie taken now. The
    // person was already told "tercatat" by the relay, so it is not refused: it is stored held,
    // with the reason, for a responsible person to decide.
    if matches!(result, PunchInsert::PhotoReused(_)) {
        let mut held = new;
        held.hold = Some(PunchHold::Pending);
        held.review = Some("photo_reused".into());
        held.review_detail = Some(format!(
            "Swafoto yang dikirim melalui jaringan kantor {} sama persis dengan foto absen lain yang sudah tersimpan (bukan foto baru).",
            relay.name
        ));
        held.response = Some(format!("Absen {} pukul {shown} menunggu pemeriksaan atasan.", e.name));
        result = submit(&s, held).await?;
    }
    metrics::counter!("hadir_relay_checkins_total").increment(1);
    match result {
        PunchInsert::Inserted(p) => Ok(json(StatusCode::CREATED, reply(&p))),
        PunchInsert::Duplicate(p) => Ok(json(StatusCode::OK, reply(&p))),
        // Only a punch that must hold a fresh photo can get here, and the held one need not.
        PunchInsert::PhotoReused(_) => Err(ApiError::internal()),
    }
}

async fn submit(s: &AppState, new: NewPunch) -> ApiResult<PunchInsert> {
    let results = s.ingest.submit(vec![new]).await.map_err(|err| match err {
        IngestError::Overloaded => ApiError::unavailable("Server sedang sibuk; kirim ulang nanti.", 30),
        IngestError::Failed(msg) => {
            tracing::error!(error = %msg, "relay check-in commit failed");
            ApiError::internal()
        }
    })?;
    results.into_iter().next().ok_or_else(ApiError::internal)
}

async fn read_form(mut mp: Multipart, photo_max: usize) -> ApiResult<(RelayCheckinMeta, Option<Bytes>)> {
    let too_large = || {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "photo_too_large",
            format!("Ukuran foto melebihi batas {} KB.", photo_max / 1024),
        )
    };
    let broken = || ApiError::bad_request("invalid_multipart", "Data formulir (multipart) rusak atau terpotong.");
    let mut meta = None;
    let mut photo = None;
    loop {
        let mut field = match mp.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => return Err(too_large()),
            Err(_) => return Err(broken()),
        };
        match field.name() {
            Some("meta") => {
                let text = field.text().await.map_err(|_| broken())?;
                let invalid = |e: serde_json::Error| {
                    ApiError::unprocessable("invalid_meta", format!("Isian 'meta' tidak valid: {e}"))
                };
                let value: serde_json::Value = serde_json::from_str(&text).map_err(invalid)?;
                crate::json::refuse_control_chars(&value, "")?;
                meta = Some(serde_json::from_value::<RelayCheckinMeta>(value).map_err(invalid)?);
            }
            Some("photo") => {
                let mut buf = Vec::new();
                loop {
                    match field.chunk().await {
                        Ok(Some(c)) => {
                            if buf.len() + c.len() > photo_max {
                                return Err(too_large());
                            }
                            buf.extend_from_slice(&c);
                        }
                        Ok(None) => break,
                        Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => return Err(too_large()),
                        Err(_) => return Err(broken()),
                    }
                }
                photo = Some(Bytes::from(buf));
            }
            _ => {}
        }
    }
    let meta = meta.ok_or_else(|| ApiError::unprocessable("meta_required", "Bagian 'meta' wajib dikirim."))?;
    Ok((meta, photo.filter(|p| !p.is_empty())))
}
