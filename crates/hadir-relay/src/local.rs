//! The employee app on the office network (issue 21 point 4): when the office's uplink is down,
//! phones on the LAN open `http://<relay>:<port>/`, sign in with NIP and password (checked here
//! against the argon2id hashes the server sent with the roster), take a selfie through the file
//! input's camera capture (plain HTTP on a LAN address is not a secure context: no live camera,
//! no position) and check in. The relay records the check-in with its own clock (corrected by its
//! measured offset to the server) in its buffer, once per (person, idempotency key), and the
//! uploader forwards it when the uplink returns.
//!
//! The same app files as the server's (`hadir-app-assets`); `index.html` is served with
//! `data-mode="relay"` so the app shows only what works here.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use argon2::Argon2;
use argon2::password_hash::PasswordVerifier;
use argon2::password_hash::phc::PasswordHash;
use axum::Router;
use axum::extract::{ConnectInfo, DefaultBodyLimit, Multipart, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Json, Response};
use axum::routing::{get, post};
use hadir_app_assets::AppAssets;
use jiff::Timestamp;
use serde::Deserialize;
use serde_json::json;
use sha2::{Digest, Sha256};
use tokio::sync::Semaphore;

use crate::buffer::Buffer;
use crate::config::RelayConfig;
use crate::state::Shared;

/// Sessions last one working day.
const SESSION_TTL: Duration = Duration::from_secs(12 * 3600);
/// Failed sign-ins counted per NIP and per address over this window.
const FAIL_WINDOW: Duration = Duration::from_secs(15 * 60);
/// Failures per (NIP) before that NIP is locked for the window.
pub(crate) const MAX_FAILS_PER_LOGIN: u32 = 5;
/// Failures per address (an office shares few addresses, so generous).
const MAX_FAILS_PER_IP: u32 = 50;
/// Sessions kept at most (one per phone and person; old ones go first).
const MAX_SESSIONS: usize = 5000;

struct Session {
    login: String,
    expires: Instant,
}

#[derive(Default)]
struct Failures {
    /// key → (count, window start)
    by_key: HashMap<String, (u32, Instant)>,
}

impl Failures {
    fn count(&mut self, key: &str, now: Instant) -> u32 {
        match self.by_key.get(key) {
            Some((n, since)) if now.duration_since(*since) < FAIL_WINDOW => *n,
            Some(_) => {
                self.by_key.remove(key);
                0
            }
            None => 0,
        }
    }

    fn add(&mut self, key: String, now: Instant) {
        let e = self.by_key.entry(key).or_insert((0, now));
        if now.duration_since(e.1) >= FAIL_WINDOW {
            *e = (0, now);
        }
        e.0 += 1;
    }

    fn take_back(&mut self, key: &str) {
        if let Some(e) = self.by_key.get_mut(key) {
            e.0 = e.0.saturating_sub(1);
        }
    }

    fn forget_old(&mut self, now: Instant) {
        self.by_key.retain(|_, (_, since)| now.duration_since(*since) < FAIL_WINDOW);
    }
}

pub(crate) struct Local {
    shared: Arc<Shared>,
    buffer: Buffer,
    photo_max: usize,
    /// SHA-256 of the token → session; only digests are kept.
    sessions: Mutex<HashMap<[u8; 32], Session>>,
    failures: Mutex<Failures>,
    /// argon2id verifications at a time (19 MiB each): memory stays bounded.
    verify_gate: Semaphore,
}

type Ctx = Arc<Local>;

impl Local {
    pub(crate) fn new(config: &RelayConfig, shared: Arc<Shared>, buffer: Buffer) -> Ctx {
        Arc::new(Local {
            shared,
            buffer,
            photo_max: config.app_photo_max_bytes,
            sessions: Mutex::new(HashMap::new()),
            failures: Mutex::new(Failures::default()),
            verify_gate: Semaphore::new(2),
        })
    }

    fn failures(&self) -> std::sync::MutexGuard<'_, Failures> {
        self.failures.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn sessions(&self) -> std::sync::MutexGuard<'_, HashMap<[u8; 32], Session>> {
        self.sessions.lock().unwrap_or_else(|e| e.into_inner())
    }
}

pub(crate) fn router(ctx: Ctx) -> Router {
    let photo_max = ctx.photo_max;
    Router::new()
        .route("/", get(index))
        .route("/app/{*path}", get(asset))
        .route("/favicon.ico", get(|| async { serve_file("icon-192.png") }))
        .route("/api/v1/info", get(info))
        .route("/api/v1/auth/login", post(login))
        .route("/api/v1/auth/logout", post(logout))
        .route("/api/v1/checkins", post(checkin).layer(DefaultBodyLimit::max(photo_max + 64 * 1024)))
        .fallback(not_found)
        .layer(middleware::from_fn(headers))
        .with_state(ctx)
}

fn error(status: StatusCode, code: &str, message: &str) -> Response {
    (status, Json(json!({"error": {"code": code, "message": message}}))).into_response()
}

async fn not_found(uri: Uri) -> Response {
    if uri.path().starts_with("/api/") {
        return error(
            StatusCode::NOT_FOUND,
            "not_available_offline",
            "Tidak tersedia di presensi lokal jaringan kantor. Buka aplikasi Hadir di internet untuk fitur ini.",
        );
    }
    (StatusCode::NOT_FOUND, "Tidak ditemukan").into_response()
}

async fn headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let h = response.headers_mut();
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; img-src 'self' blob: data:; style-src 'self' 'unsafe-inline'; \
             frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
        ),
    );
    response
}

fn serve_file(path: &str) -> Response {
    match AppAssets::get(path) {
        Some(f) => {
            let mime = f.metadata.mimetype().to_string();
            ([(header::CONTENT_TYPE, mime), (header::CACHE_CONTROL, "no-cache".to_string())], f.data.into_owned())
                .into_response()
        }
        None => (StatusCode::NOT_FOUND, "Tidak ditemukan").into_response(),
    }
}

/// The app's page, marked as the relay's: the app then offers only sign-in and check-in.
async fn index() -> Response {
    let Some(f) = AppAssets::get("index.html") else {
        return (StatusCode::NOT_FOUND, "Tidak ditemukan").into_response();
    };
    let html =
        String::from_utf8_lossy(&f.data).replacen("<html lang=\"id\">", "<html lang=\"id\" data-mode=\"relay\">", 1);
    ([(header::CONTENT_TYPE, "text/html; charset=utf-8"), (header::CACHE_CONTROL, "no-cache")], html).into_response()
}

async fn asset(uri: Uri) -> Response {
    let path = uri.path().trim_start_matches("/app/");
    // No service worker here: it would cache this origin's answers as the central app's.
    if path == "sw.js" {
        return (StatusCode::NOT_FOUND, "Tidak ditemukan").into_response();
    }
    serve_file(path)
}

async fn info() -> Response {
    Json(json!({"mode": "relay", "regency_name": null})).into_response()
}

#[derive(Deserialize)]
struct LoginInput {
    username: String,
    password: String,
}

fn sha256(b: &[u8]) -> [u8; 32] {
    Sha256::digest(b).into()
}

/// NIP + password against the roster's argon2id hash. An attempt is counted before the
/// password is checked (taken back on success), so parallel guesses cannot all be tried; five
/// failures lock that NIP for 15 minutes, fifty lock the address.
async fn login(
    State(ctx): State<Ctx>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    body: Result<Json<LoginInput>, axum::extract::rejection::JsonRejection>,
) -> Response {
    let Ok(Json(input)) = body else {
        return error(StatusCode::BAD_REQUEST, "invalid_json", "Isi NIP dan kata sandi.");
    };
    let login: String = input.username.chars().filter(|c| !c.is_whitespace()).take(64).collect();
    if login.is_empty() || input.password.is_empty() || input.password.len() > 1024 {
        return error(StatusCode::UNPROCESSABLE_ENTITY, "credentials_required", "Isi NIP dan kata sandi.");
    }
    let ip_key = format!("ip:{}", peer.ip());
    let login_key = format!("nip:{login}");
    let now = Instant::now();
    {
        let mut f = ctx.failures();
        f.forget_old(now);
        if f.count(&login_key, now) >= MAX_FAILS_PER_LOGIN || f.count(&ip_key, now) >= MAX_FAILS_PER_IP {
            return error(
                StatusCode::TOO_MANY_REQUESTS,
                "too_many_attempts",
                "Terlalu banyak percobaan masuk yang salah. Coba lagi 15 menit lagi.",
            );
        }
        f.add(login_key.clone(), now);
        f.add(ip_key.clone(), now);
    }
    let member = match ctx.buffer.staff_member(&login).await {
        Ok(m) => m,
        Err(e) => {
            tracing::error!(error = %e, "reading the relay's staff failed");
            return error(StatusCode::SERVICE_UNAVAILABLE, "unavailable", "Relay sedang bermasalah. Coba lagi.");
        }
    };
    let ok = match &member {
        Some(m) => {
            let Ok(_permit) = ctx.verify_gate.acquire().await else {
                return error(StatusCode::SERVICE_UNAVAILABLE, "unavailable", "Relay sedang bermasalah. Coba lagi.");
            };
            let hash = m.password_hash.clone();
            let password = input.password.clone();
            tokio::task::spawn_blocking(move || {
                PasswordHash::new(&hash)
                    .is_ok_and(|h| Argon2::default().verify_password(password.as_bytes(), &h).is_ok())
            })
            .await
            .unwrap_or(false)
        }
        None => false,
    };
    let Some(member) = member.filter(|_| ok) else {
        tracing::info!(login = %login, "office-network sign-in refused");
        return error(
            StatusCode::UNAUTHORIZED,
            "invalid_credentials",
            "NIP atau kata sandi salah (atau NIP ini bukan pegawai unit kantor ini).",
        );
    };
    {
        let mut f = ctx.failures();
        f.take_back(&login_key);
        f.take_back(&ip_key);
    }
    let mut raw = [0u8; 32];
    if getrandom::fill(&mut raw).is_err() {
        return error(StatusCode::SERVICE_UNAVAILABLE, "unavailable", "Relay sedang bermasalah. Coba lagi.");
    }
    let token = hex::encode(raw);
    {
        let mut sessions = ctx.sessions();
        sessions.retain(|_, s| s.expires > now);
        if sessions.len() >= MAX_SESSIONS
            && let Some(oldest) = sessions.iter().min_by_key(|(_, s)| s.expires).map(|(k, _)| *k)
        {
            sessions.remove(&oldest);
        }
        sessions.insert(sha256(token.as_bytes()), Session { login: member.login.clone(), expires: now + SESSION_TTL });
    }
    let expires_at = Timestamp::now() + SESSION_TTL;
    Json(json!({
        "token": token,
        "expires_at": expires_at.to_string(),
        "user": {"id": member.login, "username": member.login, "name": member.name, "nip": member.nip},
        "relay": true,
    }))
    .into_response()
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    let v = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")).map(str::trim)
}

fn session_login(ctx: &Local, headers: &HeaderMap) -> Option<String> {
    let digest = sha256(bearer(headers)?.as_bytes());
    let sessions = ctx.sessions();
    sessions.get(&digest).filter(|s| s.expires > Instant::now()).map(|s| s.login.clone())
}

async fn logout(State(ctx): State<Ctx>, headers: HeaderMap) -> Response {
    if let Some(t) = bearer(&headers) {
        ctx.sessions().remove(&sha256(t.as_bytes()));
    }
    StatusCode::NO_CONTENT.into_response()
}

#[derive(Deserialize)]
struct CheckinMeta {
    idempotency_key: String,
    #[serde(default)]
    note: Option<String>,
}

fn image_type(b: &[u8]) -> bool {
    b.starts_with(&[0xFF, 0xD8, 0xFF])
        || b.starts_with(b"\x89PNG\r\n\x1a\n")
        || (b.len() >= 12 && &b[0..4] == b"RIFF" && &b[8..12] == b"WEBP")
}

/// A check-in on the office network: the same multipart form as the server's
/// `POST /api/v1/checkins` (meta + photo); a position, if sent, is ignored. Recorded with the
/// relay's clock; a retry with the same key answers the first time (200).
async fn checkin(
    State(ctx): State<Ctx>,
    headers: HeaderMap,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Response {
    let Some(login) = session_login(&ctx, &headers) else {
        return error(StatusCode::UNAUTHORIZED, "unauthorized", "Sesi berakhir. Silakan masuk lagi.");
    };
    let Ok(mut mp) = multipart else {
        return error(
            StatusCode::BAD_REQUEST,
            "multipart_required",
            "Kirim sebagai multipart/form-data dengan bagian 'meta' dan 'photo'.",
        );
    };
    let too_large = || {
        error(
            StatusCode::PAYLOAD_TOO_LARGE,
            "photo_too_large",
            &format!("Ukuran foto melebihi batas {} KB. Ambil foto lagi.", ctx.photo_max / 1024),
        )
    };
    let broken =
        || error(StatusCode::BAD_REQUEST, "invalid_multipart", "Data formulir rusak atau terpotong. Coba lagi.");
    let mut meta: Option<CheckinMeta> = None;
    let mut photo: Option<Vec<u8>> = None;
    loop {
        let mut field = match mp.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => return too_large(),
            Err(_) => return broken(),
        };
        match field.name() {
            Some("meta") => {
                let Ok(text) = field.text().await else { return broken() };
                match serde_json::from_str::<CheckinMeta>(&text) {
                    Ok(m) => meta = Some(m),
                    Err(_) => {
                        return error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_meta", "Isian 'meta' tidak valid.");
                    }
                }
            }
            Some("photo") => {
                let mut buf = Vec::new();
                loop {
                    match field.chunk().await {
                        Ok(Some(c)) => {
                            if buf.len() + c.len() > ctx.photo_max {
                                return too_large();
                            }
                            buf.extend_from_slice(&c);
                        }
                        Ok(None) => break,
                        Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => return too_large(),
                        Err(_) => return broken(),
                    }
                }
                photo = Some(buf);
            }
            _ => {}
        }
    }
    let Some(meta) = meta else {
        return error(StatusCode::UNPROCESSABLE_ENTITY, "meta_required", "Bagian 'meta' wajib dikirim.");
    };
    let key = meta.idempotency_key.trim();
    if key.is_empty() || key.len() > 128 || key.chars().any(char::is_control) {
        return error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_idempotency_key",
            "Kunci idempoten wajib diisi (1–128 karakter).",
        );
    }
    let Some(photo) = photo.filter(|p| !p.is_empty()) else {
        return error(StatusCode::UNPROCESSABLE_ENTITY, "photo_required", "Foto swafoto wajib dilampirkan.");
    };
    if !image_type(&photo) {
        return error(StatusCode::UNPROCESSABLE_ENTITY, "photo_type", "Foto harus berupa gambar JPEG, PNG atau WebP.");
    }
    let note: Option<String> = meta
        .note
        .map(|n| n.trim().chars().filter(|c| !c.is_control()).take(500).collect::<String>())
        .filter(|n| !n.is_empty());
    let correction = ctx.shared.clock_correction_ms();
    let now = Timestamp::now();
    let at = Timestamp::from_millisecond(now.as_millisecond() + correction).unwrap_or(now);
    let recorded =
        ctx.buffer.record_checkin(&login, key, &at.to_string(), Some(correction), note.as_deref(), &photo).await;
    let (punched_at, new) = match recorded {
        Ok(r) => r,
        Err(e) => {
            tracing::error!(error = %e, "recording an office-network check-in failed");
            return error(StatusCode::SERVICE_UNAVAILABLE, "unavailable", "Relay gagal menyimpan absen. Coba lagi.");
        }
    };
    ctx.shared.upload_now.notify_one();
    // No clock time in words: the relay does not know the unit's zone; the phone shows its own.
    let message = "Absen tercatat di relay kantor. Dikirim ke server Hadir otomatis saat internet tersedia.";
    let status = if new { StatusCode::CREATED } else { StatusCode::OK };
    (
        status,
        Json(json!({
            "relay": true,
            "message": message,
            "punch": {"punched_at": punched_at, "location": "Jaringan kantor", "state": "relay"},
            "verdict": {},
        })),
    )
        .into_response()
}
