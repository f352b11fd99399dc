//! The relay's own status page (plain HTML, Bahasa Indonesia): operators find
//! it by the relay's IP on the office LAN.
//!
//! Protection (issue 17):
//! * it listens on loopback unless configured; on any other address a
//!   password is required by the config ([`RelayConfig::validate`]) and asked
//!   with HTTP Basic auth (any user name). The password is compared through
//!   SHA-256 digests in constant time (plain `status_password`) or verified
//!   with argon2id (`status_password_hash`, one verification at a time, the
//!   last accepted credential remembered by digest so the page's 30-second
//!   refresh does not cost an argon2 run each time);
//! * without a password the page answers only requests whose `Host` is a
//!   loopback name or address (a DNS-rebinding page gets 403);
//! * every request other than GET/HEAD must come from the page itself:
//!   `Origin` (or `Referer` when there is no `Origin`) must be this `Host`,
//!   and the form must carry the per-process random token of the page;
//! * every answer carries `nosniff`, framing denied and a strict CSP.
//!
//! [`RelayConfig::validate`]: crate::config::RelayConfig::validate

use std::fmt::Write;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};

use argon2::Argon2;
use argon2::password_hash::PasswordVerifier;
use argon2::password_hash::phc::PasswordHash;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{Html, IntoResponse, Json, Redirect, Response};
use axum::routing::{get, post};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use jiff::Timestamp;
use sha2::{Digest, Sha256};
use tokio::sync::Semaphore;

use crate::buffer::{Buffer, Counts};
use crate::config::RelayConfig;
use crate::state::{Shared, StatusSnapshot};

const CSP: &str =
    "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// Checks a `status_password_hash` value when the config is read.
pub(crate) fn check_hash(hash: &str) -> Result<(), String> {
    match PasswordHash::new(hash) {
        Ok(h) if h.algorithm.as_str() == "argon2id" => Ok(()),
        _ => Err("status_password_hash harus berupa hash argon2id ($argon2id$v=19$…)".into()),
    }
}

enum Secret {
    /// SHA-256 of the plain password.
    Plain([u8; 32]),
    /// An argon2id PHC string.
    Hash(String),
}

/// Who may use the page and how its forms are protected; one per process.
pub(crate) struct Guard {
    secret: Option<Secret>,
    /// Random, per process; in the page's form, checked on every POST.
    form_token: String,
    /// One argon2 verification at a time: memory stays bounded whatever arrives.
    verify_gate: Semaphore,
    /// SHA-256 of the last `Authorization` value that passed the argon2 check.
    last_good: Mutex<Option<[u8; 32]>>,
}

impl Guard {
    pub(crate) fn new(config: &RelayConfig) -> Self {
        let secret = match (&config.status_password_hash, &config.status_password) {
            (Some(hash), _) => Some(Secret::Hash(hash.clone())),
            (None, Some(plain)) => Some(Secret::Plain(sha256(plain.as_bytes()))),
            (None, None) => None,
        };
        let mut raw = [0u8; 32];
        getrandom::fill(&mut raw).expect("the OS random source is available");
        Self { secret, form_token: hex::encode(raw), verify_gate: Semaphore::new(1), last_good: Mutex::new(None) }
    }

    async fn authorized(&self, headers: &HeaderMap) -> bool {
        let Some(secret) = &self.secret else { return true };
        let Some(value) = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()) else { return false };
        let Some(password) = basic_password(value) else { return false };
        match secret {
            Secret::Plain(want) => ct_eq(&sha256(password.as_bytes()), want),
            Secret::Hash(hash) => {
                let digest = sha256(value.as_bytes());
                let remembered = *self.last_good.lock().unwrap_or_else(|e| e.into_inner());
                if remembered.is_some_and(|r| ct_eq(&r, &digest)) {
                    return true;
                }
                let Ok(_permit) = self.verify_gate.acquire().await else { return false };
                let hash = hash.clone();
                let ok = tokio::task::spawn_blocking(move || {
                    PasswordHash::new(&hash)
                        .is_ok_and(|h| Argon2::default().verify_password(password.as_bytes(), &h).is_ok())
                })
                .await
                .unwrap_or(false);
                if ok {
                    *self.last_good.lock().unwrap_or_else(|e| e.into_inner()) = Some(digest);
                }
                ok
            }
        }
    }

    fn token_ok(&self, body: &[u8]) -> bool {
        let Ok(body) = std::str::from_utf8(body) else { return false };
        body.split('&')
            .filter_map(|pair| pair.strip_prefix("token="))
            .any(|t| ct_eq(&sha256(t.as_bytes()), &sha256(self.form_token.as_bytes())))
    }
}

fn sha256(b: &[u8]) -> [u8; 32] {
    Sha256::digest(b).into()
}

/// Equal-length comparison whose time does not depend on where the bytes differ.
fn ct_eq(a: &[u8; 32], b: &[u8; 32]) -> bool {
    let diff = a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y));
    std::hint::black_box(diff) == 0
}

/// The password of `Authorization: Basic base64(user:password)`; the user name is not checked.
fn basic_password(value: &str) -> Option<String> {
    let (scheme, encoded) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = String::from_utf8(STANDARD.decode(encoded.trim()).ok()?).ok()?;
    decoded.split_once(':').map(|(_, p)| p.to_string())
}

fn host_of(headers: &HeaderMap) -> Option<&str> {
    headers.get(header::HOST).and_then(|v| v.to_str().ok()).filter(|h| !h.is_empty())
}

/// `localhost`, `127.x.y.z` or `[::1]`, with or without a port.
fn loopback_host(host: &str) -> bool {
    let name = if let Some(rest) = host.strip_prefix('[') {
        rest.split(']').next().unwrap_or("")
    } else {
        host.rsplit_once(':').map_or(host, |(h, _)| h)
    };
    name.eq_ignore_ascii_case("localhost") || name.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// The request was sent by a page of this very origin.
fn same_origin(headers: &HeaderMap) -> bool {
    let Some(host) = host_of(headers) else { return false };
    let ours = [format!("http://{host}"), format!("https://{host}")];
    let get = |name| headers.get(name).and_then(|v: &HeaderValue| v.to_str().ok());
    if let Some(origin) = get(header::ORIGIN) {
        return ours.iter().any(|o| o == origin);
    }
    if let Some(referer) = get(header::REFERER) {
        return ours.iter().any(|o| referer == o || referer.starts_with(&format!("{o}/")));
    }
    false
}

fn refusal(status: StatusCode, message: &str) -> Response {
    let html = format!(
        "<!doctype html><html lang=\"id\"><head><meta charset=\"utf-8\"><title>Relay Hadir</title></head>\
         <body><h1>{}</h1><p>{}</p><p><a href=\"/\">Kembali ke halaman status</a></p></body></html>",
        status.as_u16(),
        esc(message)
    );
    (status, Html(html)).into_response()
}

async fn protect(State(ctx): State<Ctx>, request: Request, next: Next) -> Response {
    let headers = request.headers();
    let mut response = if ctx.guard.secret.is_none() && !host_of(headers).is_some_and(loopback_host) {
        // No password: only this machine may use the page (a DNS-rebinding page carries another Host).
        refusal(StatusCode::FORBIDDEN, "Halaman status ini hanya bisa dibuka dari komputer relay (localhost).")
    } else if !ctx.guard.authorized(headers).await {
        let mut r = refusal(StatusCode::UNAUTHORIZED, "Kata sandi halaman status diperlukan.");
        r.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Basic realm=\"Relay Hadir\", charset=\"UTF-8\""),
        );
        r
    } else if !matches!(*request.method(), Method::GET | Method::HEAD) && !same_origin(headers) {
        tracing::warn!(method = %request.method(), uri = %request.uri(), "status page: cross-origin request refused");
        refusal(StatusCode::FORBIDDEN, "Permintaan ditolak: perubahan hanya bisa dikirim dari halaman status ini.")
    } else {
        next.run(request).await
    };
    let h = response.headers_mut();
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
    // `same-origin`, not `no-referrer`: the latter makes browsers send `Origin: null` on the form.
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

#[derive(Clone)]
struct Ctx {
    shared: Arc<Shared>,
    buffer: Buffer,
    guard: Arc<Guard>,
}

pub(crate) fn router(shared: Arc<Shared>, buffer: Buffer, guard: Arc<Guard>) -> Router {
    let ctx = Ctx { shared, buffer, guard };
    Router::new()
        .route("/", get(page))
        .route("/status.json", get(json))
        .route("/sinkron", post(sync_now))
        .layer(middleware::from_fn_with_state(ctx.clone(), protect))
        .with_state(ctx)
}

async fn json(State(ctx): State<Ctx>) -> Json<StatusSnapshot> {
    Json(ctx.shared.snapshot())
}

/// Origin, Host and password were checked by [`protect`]; the form token is checked here.
async fn sync_now(State(ctx): State<Ctx>, body: Bytes) -> Response {
    if !ctx.guard.token_ok(&body) {
        tracing::warn!("status page: sync request without the page's form token refused");
        return refusal(
            StatusCode::FORBIDDEN,
            "Permintaan ditolak: formulir tidak sah atau kedaluwarsa. Muat ulang halaman.",
        );
    }
    ctx.shared.sync_now();
    Redirect::to("/?sinkron=1").into_response()
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

fn when(ts: Option<Timestamp>) -> String {
    ts.map(|t| t.to_zoned_datetime(jiff::tz::TimeZone::system()).strftime("%Y-%m-%d %H:%M:%S %Z").to_string())
        .unwrap_or_else(|| "–".into())
}

fn yes_no(v: Option<bool>) -> &'static str {
    match v {
        Some(true) => "<span class=ok>Ya</span>",
        Some(false) => "<span class=bad>Tidak</span>",
        None => "belum dicoba",
    }
}

async fn page(State(ctx): State<Ctx>) -> impl IntoResponse {
    let snap = ctx.shared.snapshot();
    let counts = ctx.buffer.counts().await.unwrap_or_default();
    let mut rows = String::new();
    for t in &snap.terminals {
        let c = t.sn.as_ref().and_then(|sn| counts.get(sn)).copied().unwrap_or(Counts::default());
        let drift = t.clock_drift_secs.map(|d| format!("{d:+} detik")).unwrap_or_else(|| "–".into());
        let opt = |v: Option<i64>| v.map(|n| n.to_string()).unwrap_or_else(|| "–".into());
        let _ = write!(
            rows,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>\
             <td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&t.address),
            format!("{:?}", t.protocol).to_uppercase(),
            esc(t.sn.as_deref().unwrap_or("–")),
            yes_no(t.reachable),
            when(t.last_pull),
            c.buffered,
            c.sent,
            drift,
            opt(t.users),
            opt(t.records),
            match t.fingers {
                Some(n) => format!("{n} (ditulis {}, diunggah {})", t.fingers_written, t.fingers_uploaded),
                None => "–".into(),
            },
            esc(t.last_error.as_deref().unwrap_or("")),
        );
    }
    let s = &snap.server;
    let checkins = ctx.buffer.checkin_counts().await.unwrap_or_default();
    let staff = ctx.buffer.staff_count().await.unwrap_or(0);
    let offset = s
        .clock_offset_ms
        .map(|ms| format!("{:+} detik (jam server dikurangi jam relay)", (ms as f64 / 1000.0).round() as i64))
        .unwrap_or_else(|| "belum diukur".into());
    let revoked = if s.token_refused {
        "<p class=bad>Token relay ditolak server (401): relay ini dicabut atau tokennya salah. \
         Kiriman ke server ditolak; hubungi admin BKD.</p>"
    } else {
        ""
    };
    let html = format!(
        r#"<!doctype html><html lang="id"><head><meta charset="utf-8"><meta http-equiv="refresh" content="30">
<meta name="viewport" content="width=device-width,initial-scale=1"><title>Relay Hadir</title>
<style>body{{font-family:sans-serif;margin:1.5em}}table{{border-collapse:collapse}}td,th{{border:1px solid #bbb;padding:.3em .6em;text-align:left}}
.ok{{color:#070}}.bad{{color:#b00;font-weight:bold}}button{{font-size:1.1em;padding:.4em 1em}}</style></head><body>
<h1>Relay presensi Hadir</h1>
<h2>Server</h2>
<p>Alamat: {url}<br>Terjangkau: {reach}<br>Kontak terakhir: {last}<br>Galat terakhir: {err}<br>
Diterima server: {acc} (ganda: {dup})<br>Selisih jam: {offset}</p>
{revoked}
<h2>Presensi lokal (jaringan kantor)</h2>
<p>Alamat untuk pegawai: {app_url}<br>Pegawai yang dapat masuk: {staff}<br>Absen menunggu dikirim: {waiting}<br>Absen terkirim: {sent}<br>
Absen ditolak server: {rejected}</p>
<h2>Mesin presensi</h2>
<table><tr><th>Alamat</th><th>Protokol</th><th>Nomor seri</th><th>Terjangkau</th><th>Tarik terakhir</th>
<th>Tersimpan belum terkirim</th><th>Terkirim</th><th>Selisih jam</th><th>Pengguna</th><th>Rekaman</th><th>Sidik jari</th><th>Galat terakhir</th></tr>
{rows}</table>
<form method="post" action="/sinkron"><input type="hidden" name="token" value="{token}"><p><button type="submit">Sinkron sekarang</button>
Tarik data semua mesin dan kirim daftar pegawai ke mesin sekarang.</p></form>
</body></html>"#,
        url = esc(&s.url),
        reach = yes_no(s.reachable),
        last = when(s.last_contact),
        err = esc(s.last_error.as_deref().unwrap_or("–")),
        acc = s.accepted,
        dup = s.duplicates,
        token = ctx.guard.form_token,
        offset = esc(&offset),
        app_url = esc(s.local_app_url.as_deref().unwrap_or("tidak diaktifkan (app_listen)")),
        waiting = checkins.waiting,
        sent = checkins.sent,
        rejected = checkins.rejected,
    );
    Html(html)
}
