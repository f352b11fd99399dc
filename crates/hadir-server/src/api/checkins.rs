//! `POST /api/v1/checkins`: the employee app's punch. Validates (auth, geofence, photo, time),
//! stores the photo by hash, then hands the punch to the group-commit writer and answers only
//! after it is committed. Retries with the same idempotency key get the first answer again.

use crate::auth::Caller;
use crate::context::DayContext;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::ingest::IngestError;
use crate::state::AppState;
use crate::views::PunchView;
use axum::extract::{Multipart, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use hadir_domain::capture::{CaptureAge, capture_age};
use hadir_domain::{DayInput, GeoPoint, Punch as DomainPunch, distance_m, punch_date, punch_verdict};
use hadir_store::{
    CheckinPunches, CheckinRead, CountingPunch, Employee, Id, NewPunch, Punch, PunchFilter, PunchHold, PunchInsert,
    PunchSource, Unit,
};
use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Deserialize, ToSchema)]
pub struct CheckinMeta {
    /// Unique per employee; retries reuse it.
    pub idempotency_key: String,
    /// The phone's position; required unless `kiosk_code` proves the place.
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub accuracy_m: Option<f64>,
    /// When the selfie was taken (RFC 3339), if the phone queued it.
    pub captured_at: Option<String>,
    pub note: Option<String>,
    /// Special attendance away from the office (dinas luar): no geofence, needs approval.
    #[serde(default)]
    pub special: bool,
    /// With `special`: `DINAS_LUAR` (default), `DIKLAT`, `UPACARA` or `TUGAS_BELAJAR`. A
    /// pending request of this type is opened for the head of unit.
    pub special_type: Option<String>,
    /// The office kiosk's QR code, scanned just now (issue 21): proves the place instead of
    /// the position (a position given is still recorded). Refused when older than 60 s, of
    /// another unit, of a revoked kiosk, or not signed by the server.
    pub kiosk_code: Option<String>,
    /// "Absen untuk rekan" (issue 21): the personal QR card of a colleague of the caller's unit
    /// whose phone failed. The punch is the colleague's, with the caller as witness, inside the
    /// geofence by the caller's position; it waits for the head's review. At most
    /// `checkin.colleague_daily_cap` colleagues per caller and day.
    pub colleague_card: Option<String>,
    /// The app's registered device key id (`POST /api/v1/me/device-keys`), with …
    pub device_key: Option<String>,
    /// … its ECDSA P-256 signature (64 bytes r‖s, base64url) over
    /// `hadir-checkin\n<idempotency_key>\n<hex SHA-256 of the photo>`. Checked after commit.
    pub device_signature: Option<String>,
}

/// The multipart form (for the OpenAPI document).
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct CheckinForm {
    /// JSON of `CheckinMeta`.
    meta: String,
    /// JPEG, PNG or WebP selfie.
    #[schema(format = Binary, content_media_type = "application/octet-stream")]
    photo: Vec<u8>,
}

#[derive(Serialize, ToSchema)]
pub struct CheckinResponse {
    pub punch: PunchView,
    /// What happened, in Indonesian, e.g. "Masuk 07:42 WITA — terlambat 12 menit (TL1)".
    pub message: String,
    pub verdict: serde_json::Value,
}

/// What is stored with the punch and replayed on retries (no per-insert data such as the id).
#[derive(Serialize, Deserialize)]
struct StoredAnswer {
    message: String,
    verdict: serde_json::Value,
}

fn answer_body(p: &Punch, tz: &jiff::tz::TimeZone) -> String {
    let stored: StoredAnswer =
        p.p.response
            .as_deref()
            .and_then(|r| serde_json::from_str(r).ok())
            .unwrap_or(StoredAnswer { message: String::new(), verdict: serde_json::Value::Null });
    let body = CheckinResponse { punch: PunchView::new(p, tz), message: stored.message, verdict: stored.verdict };
    serde_json::to_string(&body).unwrap_or_default()
}

fn json_response(status: StatusCode, body: String) -> Response {
    (status, [(header::CONTENT_TYPE, "application/json")], body).into_response()
}

/// Check in (or out) with a selfie and GPS position.
///
/// The selfie's bytes prove one punch only: a photo already stored with another punch (another
/// key, day or employee) is refused with 422 `photo_reused` and nothing is stored.
#[utoipa::path(post, path = "/api/v1/checkins", tag = "checkins",
    request_body(content = CheckinForm, content_type = "multipart/form-data"),
    responses((status = 201, body = CheckinResponse), (status = 200, description = "Repeat of an earlier key: the first answer", body = CheckinResponse),
        (status = 422, body = ErrorBody), (status = 413, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn checkin(
    State(s): State<AppState>,
    caller: Caller,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> ApiResult<Response> {
    let employee_id = caller
        .employee_id
        .ok_or_else(|| ApiError::forbidden().with_details(serde_json::json!({"reason": "not_an_employee"})))?;
    // Stored at millisecond precision: truncate now so the first answer equals its replays.
    let received_at = to_millis(Timestamp::now());
    let multipart = multipart.map_err(|_| {
        ApiError::bad_request(
            "multipart_required",
            "Kirim sebagai multipart/form-data dengan bagian 'meta' dan 'photo'.",
        )
    })?;
    let (meta, photo) = read_form(multipart, s.config.checkin.photo_max_bytes).await?;
    let key = meta.idempotency_key.trim();
    if key.is_empty() || key.len() > 128 || key.chars().any(|c| c.is_control()) {
        return Err(ApiError::unprocessable(
            "invalid_idempotency_key",
            "Kunci idempoten wajib diisi (1–128 karakter).",
        ));
    }
    // A kiosk check-in's key names the kiosk and the code's slot, so the same employee using the
    // same code again (under another key) is found as a duplicate below.
    let kiosk_code = match meta.kiosk_code.as_deref() {
        Some(text) if !meta.special => {
            Some(crate::kiosk::KioskCode::parse(text).map(|(c, _)| c).ok_or_else(kiosk_code_invalid)?)
        }
        _ => None,
    };
    // "Absen untuk rekan": the punch is the card's employee's; the caller is the witness.
    let witness_id = employee_id;
    let colleague = match meta.colleague_card.as_deref() {
        None => None,
        Some(_) if meta.special || meta.kiosk_code.is_some() => {
            return Err(ApiError::unprocessable(
                "colleague_combination",
                "Absen untuk rekan tidak dapat digabung dengan absen khusus atau QR kiosk.",
            ));
        }
        Some(text) => {
            let secret = s.kiosk_keys.secret(s.store.as_ref()).await?;
            let (id, version) = crate::kiosk::verify_card(secret, text).ok_or_else(|| {
                ApiError::unprocessable(
                    "card_invalid",
                    "Kode QR ini bukan kartu presensi pegawai yang sah. Pindai kartu QR pribadi rekan Anda.",
                )
            })?;
            if id == witness_id {
                return Err(ApiError::unprocessable(
                    "colleague_self",
                    "Ini kartu Anda sendiri. Untuk absen diri sendiri gunakan tombol Absen.",
                ));
            }
            Some((id, version))
        }
    };
    let employee_id = colleague.map(|(id, _)| id).unwrap_or(employee_id);
    let dedup_key = match (&kiosk_code, &colleague) {
        (Some(c), _) => format!("m:{employee_id}:{key}{}", super::kiosks::key_suffix(c)),
        (None, Some(_)) => format!("m:{employee_id}:{key}{}", witness_suffix(witness_id)),
        (None, None) => format!("m:{employee_id}:{key}"),
    };
    let outcome = s.inflight.run(dedup_key.clone(), async {
        let e = s.employee(employee_id).await.map_err(|err| match err {
            hadir_store::StoreError::NotFound(_) => {
                ApiError::unprocessable("card_invalid", "Kartu QR ini tidak dikenal. Minta rekan Anda mencetak kartu baru.")
            }
            err => err.into(),
        })?;
        let unit = s.unit(e.unit_id).await?;
        let ctx = s.policies.context_for(&e);
        let time = punch_time(&s.config.checkin, meta.captured_at.as_deref(), received_at)?;
        // One read serves two purposes: the punches around this one decide the verdict, and a
        // retry of a committed punch (same key) comes back whole, so it gets the first answer
        // again without a photo write. (The insert dedups too, whatever the time.)
        let around = punches_around(&s, e.id, &dedup_key, time.punched_at, &ctx.tz).await?;
        if let Some(p) = &around.retry {
            return Ok((StatusCode::OK, answer_body(p, &ctx.tz)));
        }
        let earlier = around.counting;
        // The same kiosk code used again by the same person: the first check-in's answer. A code
        // lives 60 s, so an earlier use of it is within minutes of this one.
        if let Some(c) = &kiosk_code {
            let suffix = super::kiosks::key_suffix(c);
            let near = s
                .store
                .list_punches(&PunchFilter {
                    employee_id: Some(e.id),
                    from: Some(time.punched_at - SignedDuration::from_mins(10)),
                    to: Some(time.punched_at + SignedDuration::from_mins(10)),
                    limit: 1_000,
                    ..Default::default()
                })
                .await?;
            if let Some(p) = near.iter().find(|p| p.p.dedup_key.ends_with(&suffix)) {
                return Ok((StatusCode::OK, answer_body(p, &ctx.tz)));
            }
        }
        let special_type = meta.special.then(|| meta.special_type.clone().unwrap_or_default());
        // Fraud signals (issue 23): the device proof is checked after commit, off this path.
        // A colleague's check-in is signed by the witness's phone, not the person's: not noted.
        if let (Some(k), Some(sig), None) =
            (meta.device_key.as_deref(), meta.device_signature.as_deref(), colleague.as_ref())
        {
            let sig = base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, sig.trim_end_matches('='))
                .unwrap_or_default();
            s.signals.proofs.note(&dedup_key, k.chars().take(64).collect(), sig);
        }
        let witness = match colleague {
            Some((_, version)) => {
                Some(check_colleague(&s, &e, &ctx, witness_id, version, received_at, &dedup_key).await?)
            }
            None => None,
        };
        let result: ApiResult<(StatusCode, String)> = async {
        let mut new = validate(&s, &e, &unit, &ctx, meta, photo, dedup_key.clone(), time, &earlier).await?;
        if let Some((w, _)) = &witness {
            // A colleague's word counts at once (unless `validate` held it for another reason)
            // and is listed for the head or operator, who may reject it afterwards.
            let witness_nip = w.nip.as_deref().unwrap_or(&w.login);
            new.review = Some("colleague".into());
            new.review_detail =
                Some(format!("Diabsenkan oleh rekan {} (NIP {witness_nip}) dengan kartu QR.", w.name));
            let mut answer =
                provisional_answer(&e, &ctx, new.punched_at, new.source, &earlier, new.hold.is_some());
            answer.message = format!("Diabsenkan oleh rekan {} — {}", w.name, answer.message);
            new.response = Some(serde_json::to_string(&answer).unwrap_or_default());
        }
        let results = s.ingest.submit(vec![new]).await.map_err(|err| match err {
            IngestError::Overloaded => {
                s.availability.note_overload();
                metrics::counter!("hadir_checkins_total", "outcome" => "overloaded").increment(1);
                ApiError::unavailable("Server sedang sangat sibuk. Absen Anda akan dikirim ulang otomatis; waktu absen tetap tercatat sesuai saat foto diambil.", 2)
            }
            IngestError::Failed(msg) => {
                tracing::error!(error = %msg, "check-in commit failed");
                ApiError::internal()
            }
        })?;
        match results.into_iter().next() {
            Some(PunchInsert::Inserted(p)) => {
                if let Some(kind) = &special_type {
                    crate::requests::open_special_request(&s, &e, &p, kind).await;
                }
                metrics::counter!("hadir_checkins_total", "outcome" => "ok").increment(1);
                Ok((StatusCode::CREATED, answer_body(&p, &ctx.tz)))
            }
            // Another server instance committed the same key first.
            Some(PunchInsert::Duplicate(p)) => Ok((StatusCode::OK, answer_body(&p, &ctx.tz))),
            // The same photo bytes as a stored punch's (another key, day or person): a copied
            // file, not a selfie taken now. Nothing is stored.
            Some(PunchInsert::PhotoReused(_)) => {
                metrics::counter!("hadir_checkins_total", "outcome" => "photo_reused").increment(1);
                Err(ApiError::unprocessable(
                    "photo_reused",
                    "Foto ini sama persis dengan foto presensi yang sudah tersimpan. Ambil swafoto baru dengan kamera.",
                ))
            }
            None => Err(ApiError::internal()),
        }
        }
        .await;
        // A refused colleague check-in gives its slot of the witness's daily cap back.
        if let (Err(_), Some((_, day))) = (&result, &witness)
            && let Err(err) = s.store.release_colleague_slot(witness_id, day, &dedup_key).await
        {
            tracing::warn!(error = %err, "colleague slot not released");
        }
        result
    })
    .await;
    match outcome {
        // Waiters on an in-flight first request get its answer with 200.
        crate::inflight::Outcome::Leader(r) => r.map(|(st, body)| json_response(st, body)),
        crate::inflight::Outcome::Follower(r) => r.map(|(_, body)| json_response(StatusCode::OK, body)),
    }
}

async fn read_form(mut mp: Multipart, photo_max: usize) -> ApiResult<(CheckinMeta, Option<Bytes>)> {
    let mut meta: Option<CheckinMeta> = None;
    let mut photo: Option<Bytes> = None;
    loop {
        let field = match mp.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => return Err(photo_too_large(photo_max)),
            Err(_) => {
                return Err(ApiError::bad_request(
                    "invalid_multipart",
                    "Data formulir (multipart) rusak atau terpotong.",
                ));
            }
        };
        match field.name() {
            Some("meta") => {
                let text = field
                    .text()
                    .await
                    .map_err(|_| ApiError::bad_request("invalid_multipart", "Bagian 'meta' tidak terbaca."))?;
                let invalid = |e: serde_json::Error| {
                    ApiError::unprocessable("invalid_meta", format!("Isian 'meta' tidak valid: {e}"))
                };
                let value: serde_json::Value = serde_json::from_str(&text).map_err(invalid)?;
                crate::json::refuse_control_chars(&value, "")?;
                meta = Some(serde_json::from_value(value).map_err(invalid)?);
            }
            Some("photo") => {
                let mut buf = Vec::new();
                let mut field = field;
                loop {
                    match field.chunk().await {
                        Ok(Some(c)) => {
                            if buf.len() + c.len() > photo_max {
                                return Err(photo_too_large(photo_max));
                            }
                            buf.extend_from_slice(&c);
                        }
                        Ok(None) => break,
                        Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                            return Err(photo_too_large(photo_max));
                        }
                        Err(_) => {
                            return Err(ApiError::bad_request(
                                "invalid_multipart",
                                "Foto tidak terbaca atau terpotong.",
                            ));
                        }
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

fn photo_too_large(max: usize) -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "photo_too_large",
        format!("Ukuran foto melebihi batas {} KB.", max / 1024),
    )
}

fn to_millis(t: Timestamp) -> Timestamp {
    Timestamp::from_millisecond(t.as_millisecond()).unwrap_or(t)
}

/// Image type from the first bytes, whatever the client claims.
pub fn sniff_image(b: &[u8]) -> Option<&'static str> {
    if b.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if b.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if b.len() >= 12 && &b[0..4] == b"RIFF" && &b[8..12] == b"WEBP" {
        Some("image/webp")
    } else {
        None
    }
}

#[allow(clippy::too_many_arguments)]
async fn validate(
    s: &AppState,
    e: &Employee,
    unit: &Unit,
    ctx: &DayContext,
    meta: CheckinMeta,
    photo: Option<Bytes>,
    dedup_key: String,
    time: PunchTime,
    earlier: &[CountingPunch],
) -> ApiResult<NewPunch> {
    let cfg = &s.config.checkin;
    if !e.active {
        return Err(ApiError::forbidden());
    }
    let PunchTime { punched_at, captured_at, received_at, late_minutes, mut review } = time;
    // Proof of place: the kiosk's fresh code, or else the position inside a geofence.
    let kiosk = match meta.kiosk_code.as_deref().filter(|_| !meta.special) {
        Some(text) => Some(check_kiosk_code(s, unit, text, punched_at).await?),
        None => None,
    };
    let here = match (meta.lat, meta.lon) {
        (Some(lat), Some(lon)) => Some(GeoPoint::new(lat, lon)),
        (None, None) if kiosk.is_some() => None,
        _ => {
            return Err(ApiError::unprocessable(
                "location_required",
                "Lokasi (lat dan lon) wajib dikirim. Izinkan akses lokasi, atau pindai QR kantor.",
            ));
        }
    };
    if here.is_some_and(|h| !h.is_valid()) {
        return Err(ApiError::unprocessable("invalid_location", "Koordinat lokasi tidak valid."));
    }
    if let Some(a) = meta.accuracy_m
        && kiosk.is_none()
        && (!a.is_finite() || a > cfg.max_accuracy_m)
    {
        return Err(ApiError::unprocessable(
            "inaccurate_location",
            format!(
                "Lokasi kurang akurat (±{} m; batas {} m). Nyalakan GPS/mode akurasi tinggi dan tunggu sebentar.",
                a.round(),
                cfg.max_accuracy_m
            ),
        )
        .with_details(serde_json::json!({"accuracy_m": a, "max_accuracy_m": cfg.max_accuracy_m})));
    }
    let places = s.checkin_locations(e, unit).await?;
    let nearest = here.and_then(|here| {
        places.iter().map(|l| (l, distance_m(here, GeoPoint::new(l.lat, l.lon)))).min_by(|a, b| a.1.total_cmp(&b.1))
    });
    let source = if meta.special { PunchSource::Special } else { PunchSource::Mobile };
    if kiosk.is_some() {
        // The fresh code proved the place; a position given is recorded, not judged.
    } else if !meta.special {
        match nearest {
            None => {
                return Err(ApiError::unprocessable(
                    "no_office_location",
                    "Unit kerja Anda belum memiliki titik lokasi kantor. Hubungi operator, atau gunakan absen khusus.",
                ));
            }
            Some((loc, d)) if d > loc.radius_m => {
                metrics::counter!("hadir_checkins_total", "outcome" => "outside_geofence").increment(1);
                return Err(ApiError::unprocessable(
                    "outside_geofence",
                    format!(
                        "Anda berada {} m dari {} (batas {} m). Mendekatlah ke kantor, atau gunakan Absen khusus (dinas luar) bila sedang bertugas di luar.",
                        d.round(),
                        loc.name,
                        loc.radius_m.round()
                    ),
                )
                .with_details(serde_json::json!({"distance_m": (d * 10.0).round() / 10.0, "location": loc.name, "radius_m": loc.radius_m})));
            }
            Some(_) => {}
        }
    } else {
        review = Some(("special_pending".into(), "Absen khusus menunggu persetujuan atasan.".into()));
    }
    // Special attendance waits in the review queue for its request's decision, whatever its
    // age; a late ordinary capture needs a reason to count.
    let mut hold = meta.special.then_some(PunchHold::Pending);
    if let Some(minutes) = late_minutes
        && !meta.special
    {
        let (r, held) = late_capture(s, e, unit, ctx, punched_at, minutes).await?;
        review = Some(r);
        if held {
            hold = Some(PunchHold::Pending);
        }
    }
    let photo_hash = match photo {
        Some(bytes) => {
            if sniff_image(&bytes).is_none() {
                return Err(ApiError::unprocessable("photo_type", "Foto harus berupa gambar JPEG, PNG atau WebP."));
            }
            crate::images::check_pixels(&bytes, cfg.max_image_pixels, "Foto")?;
            Some(s.blob.put("photos", bytes).await.map_err(|err| {
                tracing::error!(error = %err, "photo store failed");
                ApiError::internal()
            })?)
        }
        None if cfg.photo_required => {
            return Err(ApiError::unprocessable("photo_required", "Foto swafoto wajib dilampirkan."));
        }
        None => None,
    };
    let note = meta.note.map(|n| n.trim().chars().take(500).collect::<String>()).filter(|n| !n.is_empty());
    let answer = provisional_answer(e, ctx, punched_at, source, earlier, hold.is_some());
    Ok(NewPunch {
        employee_id: Some(e.id),
        source,
        dedup_key,
        punched_at,
        received_at,
        captured_at,
        device_sn: None,
        device_pin: None,
        lat: meta.lat,
        lon: meta.lon,
        accuracy_m: meta.accuracy_m.filter(|_| here.is_some()),
        distance_m: nearest.map(|(_, d)| (d * 10.0).round() / 10.0),
        location_name: match &kiosk {
            Some(k) => Some(format!("Kiosk QR: {}", k.name)),
            None => nearest.map(|(l, _)| l.name.clone()),
        },
        photo_hash,
        note,
        review: review.as_ref().map(|r| r.0.clone()),
        review_detail: review.map(|r| r.1),
        status: None,
        verify: None,
        quarantined: false,
        hold,
        response: Some(serde_json::to_string(&answer).unwrap_or_default()),
    })
}

/// The dedup-key suffix of a colleague check-in: `#w<witness employee id>`.
fn witness_suffix(witness_id: Id) -> String {
    format!("#w{witness_id}")
}

/// "Absen untuk rekan": the card is the current one, the witness is an active employee of the
/// same unit, and takes one of their `colleague_daily_cap` slots of today (a unique row per
/// witness, day and slot, so concurrent check-ins cannot pass the cap). Returns the witness and
/// the day of the slot (given back if the check-in is refused later).
async fn check_colleague(
    s: &AppState,
    person: &Employee,
    ctx: &DayContext,
    witness_id: Id,
    card_version: i64,
    now: Timestamp,
    key: &str,
) -> ApiResult<(Employee, String)> {
    if s.store.qr_card_version(person.id).await? != Some(card_version) {
        return Err(ApiError::unprocessable(
            "card_revoked",
            "Kartu QR ini sudah diganti dengan kartu baru dan tidak berlaku lagi.",
        ));
    }
    let w = s.employee(witness_id).await?;
    if !w.active {
        return Err(ApiError::forbidden());
    }
    if w.unit_id != person.unit_id {
        return Err(ApiError::unprocessable(
            "colleague_other_unit",
            "Kartu QR ini milik pegawai unit kerja lain. Absen untuk rekan hanya untuk rekan satu unit kerja.",
        ));
    }
    let cap = s.config.checkin.colleague_daily_cap;
    let day = now.to_zoned_datetime(ctx.tz.clone()).date().to_string();
    if s.store.reserve_colleague_slot(witness_id, &day, cap, key).await?.is_none() {
        return Err(ApiError::unprocessable(
            "colleague_cap_reached",
            format!("Anda sudah mengabsenkan {cap} rekan hari ini (batas {cap} orang per hari)."),
        )
        .with_details(serde_json::json!({"cap": cap, "today": cap})));
    }
    Ok((w, day))
}

fn kiosk_code_invalid() -> ApiError {
    ApiError::unprocessable(
        "kiosk_code_invalid",
        "Kode QR tidak dikenali sebagai kode kiosk kantor. Pindai kode QR yang tampil di layar kiosk.",
    )
}

/// Checks a scanned kiosk code: signed by this server, of a kiosk that is not revoked, of the
/// employee's unit or one above it, and issued at most 60 s before the punch. Returns the kiosk.
async fn check_kiosk_code(
    s: &AppState,
    unit: &Unit,
    text: &str,
    punched_at: Timestamp,
) -> ApiResult<hadir_store::Kiosk> {
    use crate::kiosk::{MAX_AGE_SECS, SLOT_SECS, verify};
    let secret = s.kiosk_keys.secret(s.store.as_ref()).await?;
    let Some(code) = verify(secret, text) else {
        metrics::counter!("hadir_checkins_total", "outcome" => "kiosk_code_invalid").increment(1);
        return Err(kiosk_code_invalid());
    };
    let kiosk = match s.store.kiosk_by_id(code.kiosk_id).await {
        Ok(k) if !k.revoked && k.unit_id == code.unit_id => k,
        Ok(_) | Err(hadir_store::StoreError::NotFound(_)) => {
            return Err(ApiError::unprocessable(
                "kiosk_revoked",
                "Kiosk QR ini sudah dinonaktifkan oleh operator. Gunakan kiosk lain atau absen dengan lokasi.",
            ));
        }
        Err(e) => return Err(e.into()),
    };
    if !unit.path.starts_with(&kiosk.unit_path) {
        metrics::counter!("hadir_checkins_total", "outcome" => "kiosk_other_unit").increment(1);
        return Err(ApiError::unprocessable(
            "kiosk_other_unit",
            format!(
                "Kode QR ini milik kiosk {} ({}), bukan kantor unit kerja Anda. Pindai QR di kantor Anda sendiri.",
                kiosk.name, kiosk.unit_name
            ),
        ));
    }
    // Age against the punch time (the capture, within the phone-clock tolerance); a code from a
    // slot after the punch is only possible with a phone clock behind the server's.
    let age = punched_at.as_second() - code.slot_start().as_second();
    let tolerance = s.config.checkin.capture_tolerance_secs as i64;
    if age > MAX_AGE_SECS || age < -(tolerance + SLOT_SECS) {
        metrics::counter!("hadir_checkins_total", "outcome" => "kiosk_code_expired").increment(1);
        return Err(ApiError::unprocessable(
            "kiosk_code_expired",
            format!(
                "Kode QR sudah kedaluwarsa (berlaku {MAX_AGE_SECS} detik). Pindai lagi kode yang sedang tampil di layar kiosk."
            ),
        )
        .with_details(serde_json::json!({"age_secs": age, "max_age_secs": MAX_AGE_SECS})));
    }
    Ok(kiosk)
}

/// When a punch happened: the phone's capture time when it is plausible. A capture older than
/// the tolerance is `late`: it counts only with a reason (see [`late_capture`]).
struct PunchTime {
    punched_at: Timestamp,
    captured_at: Option<Timestamp>,
    received_at: Timestamp,
    late_minutes: Option<i64>,
    review: Option<(String, String)>,
}

fn punch_time(
    cfg: &crate::config::CheckinConfig,
    captured: Option<&str>,
    received_at: Timestamp,
) -> ApiResult<PunchTime> {
    let Some(text) = captured else {
        return Ok(PunchTime {
            punched_at: received_at,
            captured_at: None,
            received_at,
            late_minutes: None,
            review: None,
        });
    };
    let invalid = || {
        ApiError::unprocessable(
            "invalid_captured_at",
            "Waktu pengambilan foto (captured_at) tidak valid: harus berformat RFC 3339 antara tahun 2000 dan 2100.",
        )
    };
    let cap: Timestamp = text.parse().map(to_millis).map_err(|_| invalid())?;
    let tolerance = SignedDuration::from_secs(cfg.capture_tolerance_secs as i64);
    let max_age = SignedDuration::from_hours(cfg.max_capture_age_hours as i64);
    let late_minutes = match capture_age(cap, received_at, tolerance, max_age) {
        CaptureAge::Impossible => return Err(invalid()),
        CaptureAge::Ahead { secs } => {
            return Err(ApiError::unprocessable(
                "clock_skew",
                "Jam ponsel Anda lebih cepat dari jam server. Atur jam ponsel ke otomatis, lalu coba lagi.",
            )
            .with_details(serde_json::json!({"ahead_secs": secs})));
        }
        CaptureAge::TooOld { hours } => {
            return Err(ApiError::unprocessable(
                "capture_too_old",
                format!(
                    "Foto ini diambil {hours} jam yang lalu (batas {} jam) sehingga tidak dapat dikirim sebagai absen. Untuk hari itu, minta operator mengajukan presensi manual, atau ajukan keberatan atas hari tersebut.",
                    cfg.max_capture_age_hours
                ),
            )
            .with_details(serde_json::json!({"age_hours": hours, "max_hours": cfg.max_capture_age_hours})));
        }
        CaptureAge::Fresh => None,
        CaptureAge::Late { minutes } => Some(minutes),
    };
    Ok(PunchTime { punched_at: cap, captured_at: Some(cap), received_at, late_minutes, review: None })
}

/// A late capture: refused in a locked month; counts at once when the server was down or
/// overloaded then, or the unit declared an outage (approved OUTAGE request) covering it;
/// otherwise stored held for the head's or operator's review. Returns the review label and
/// detail, and whether the punch is held.
async fn late_capture(
    s: &AppState,
    e: &Employee,
    unit: &Unit,
    ctx: &DayContext,
    at: Timestamp,
    minutes: i64,
) -> ApiResult<((String, String), bool)> {
    let date = at.to_zoned_datetime(ctx.tz.clone()).date();
    let month = format!("{:04}-{:02}", date.year(), date.month());
    if s.store.is_month_locked(&month, &unit.path).await? {
        return Err(ApiError::unprocessable(
            "month_locked",
            format!(
                "Rekap bulan {month} sudah dikunci, sehingga absen untuk bulan itu tidak dapat dikirim lagi. Bila ada kekeliruan, ajukan keberatan kepada atasan."
            ),
        ));
    }
    let tolerance = SignedDuration::from_secs(s.config.checkin.capture_tolerance_secs as i64);
    if s.availability.server_fault_at(at, tolerance).await? {
        let detail =
            format!("Dikirim {minutes} menit setelah foto diambil; server tidak dapat melayani saat itu, dihitung.");
        return Ok((("server_fault".into(), detail), false));
    }
    let inputs = crate::days::approved_inputs(s.store.as_ref(), e, date, date).await?;
    if let Some(w) = inputs.outages.iter().find(|w| w.start <= at && at <= w.end) {
        let detail = format!(
            "Dikirim {minutes} menit setelah foto diambil; dalam gangguan yang disetujui (permohonan #{}), dihitung.",
            w.request_id
        );
        return Ok((("declared_outage".into(), detail), false));
    }
    let detail = format!("Dikirim {minutes} menit setelah foto diambil; menunggu pemeriksaan atasan.");
    Ok((("offline_gap".into(), detail), true))
}

/// What the check-in needs of the employee's punches: the one stored under `dedup_key` (a
/// retry), and the counting punches from 36 h before to 1 h after `at` (the day `at` belongs
/// to, overnight shifts included), bounded: the first [`PER_PART`] of yesterday and of today
/// (local) and the last [`PER_PART`]. The first punches decide a check-in, the last ones a
/// check-out, so a person with hundreds of punches a day costs what one with a few costs.
async fn punches_around(
    s: &AppState,
    employee_id: Id,
    dedup_key: &str,
    at: Timestamp,
    tz: &jiff::tz::TimeZone,
) -> ApiResult<CheckinPunches> {
    const PER_PART: u32 = 16;
    let today = at.to_zoned_datetime(tz.clone()).date();
    let yesterday = today.yesterday().unwrap_or(today);
    let midnight = |d| crate::days::day_start(tz, d);
    Ok(s.store
        .checkin_punches(&CheckinRead {
            employee_id,
            dedup_key: dedup_key.to_string(),
            from: at - SignedDuration::from_hours(36),
            to: at + SignedDuration::from_hours(1),
            day_starts: [midnight(yesterday), midnight(today)],
            per_part: PER_PART,
        })
        .await?)
}

/// The verdict shown to the employee right away: which checkpoint and how late or early.
fn provisional_answer(
    e: &Employee,
    ctx: &DayContext,
    at: Timestamp,
    source: PunchSource,
    earlier: &[CountingPunch],
    held: bool,
) -> StoredAnswer {
    let local = at.to_zoned_datetime(ctx.tz.clone()).date();
    let prev = ctx.calendar.resolve(local.yesterday().unwrap_or(local), &ctx.roster).ok();
    let date = match &prev {
        Some(p) => punch_date(&ctx.tz, at, p),
        None => local,
    };
    let Ok(schedule) = ctx.calendar.resolve(date, &ctx.roster) else {
        return StoredAnswer { message: format!("Absen tercatat, {}", e.name), verdict: serde_json::Value::Null };
    };
    let Some(rules) = hadir_domain::rule_in_force(&ctx.rules, date) else {
        return StoredAnswer { message: format!("Absen tercatat, {}", e.name), verdict: serde_json::Value::Null };
    };
    // Earlier punches of the day decide whether this one is a check-in or a check-out.
    let punches: Vec<DomainPunch> =
        earlier.iter().map(|p| DomainPunch { id: p.id, at: p.punched_at, source: p.source.as_str().into() }).collect();
    let mut input = DayInput::new(date, &ctx.tz, &schedule, rules, at);
    input.holidays = &ctx.holidays;
    input.start_date = e.start_date;
    input.punches = &punches;
    let v = punch_verdict(&input, &DomainPunch { id: 0, at, source: source.as_str().into() });
    let prefix = if source == PunchSource::Special {
        "Absen khusus (menunggu persetujuan) — "
    } else if held {
        "Menunggu pemeriksaan atasan — "
    } else {
        ""
    };
    StoredAnswer {
        message: format!("{prefix}{}: {}", e.name, v.message),
        verdict: serde_json::to_value(&v).unwrap_or_default(),
    }
}
