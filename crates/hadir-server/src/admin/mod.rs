//! The console for operators, heads of unit and the BKD at `/admin`: server-rendered pages
//! (askama templates in `templates/admin/`) with htmx (vendored in `web/admin/`, served from
//! the binary) for partial updates.
//!
//! Every screen calls the same functions the JSON API uses (often the API handler itself), so
//! scoping, validation, audit records and recomputation are identical; the console only turns
//! the results into HTML and `ApiError`s into an Indonesian error box.
//!
//! Session: the login page reuses the API login (throttling, argon2id, hashed tokens) and puts
//! the token in an `HttpOnly; SameSite=Strict; Path=/admin` cookie. State-changing requests
//! whose `Origin` is present and not this host are refused (CSRF defence, besides SameSite).

mod access;
mod alerts;
mod apel;
mod audit;
mod board;
mod channels;
pub mod chart;
mod faces;
mod inbox;
mod integrations;
mod kinerja;
mod kiosks;
mod logfile;
mod map;
mod org;
mod periods;
mod policies;
mod recap;
mod roster;
pub(crate) mod session;
mod signals;
mod terminals;
mod tpp;
mod units;

use crate::auth::Caller;
use crate::error::ApiError;
use crate::state::AppState;
use askama::Template;
use axum::Router;
use axum::extract::{FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderValue, Method, StatusCode, Uri, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use hadir_store::StoreError;
use rust_embed::RustEmbed;

#[derive(RustEmbed)]
#[folder = "web/admin/"]
struct AdminAssets;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin", get(board::page))
        .route("/admin/", get(|| async { Redirect::to("/admin") }))
        .route("/admin/login", get(session::form).post(session::login))
        .route("/admin/logout", post(session::logout))
        .route("/admin/assets/{*path}", get(asset))
        .route("/admin/board/units", get(board::units_partial))
        .route("/admin/board/unit/{code}", get(board::people))
        .route("/admin/inbox", get(inbox::page))
        .route("/admin/requests/{id}/decision", post(inbox::decide))
        .route("/admin/inbox/assign-pin", post(inbox::assign_pin))
        .route("/admin/requests/{id}/attachments/{aid}", get(inbox::attachment))
        .route("/admin/punches/{id}/photo", get(inbox::photo))
        .route("/admin/review/decide", post(inbox::decide_review))
        .route("/admin/inbox/bulk", post(inbox::bulk))
        .route("/admin/terminals", get(terminals::page).post(terminals::register))
        .route(
            "/admin/terminals/log-file",
            // The log file's own size limit is enforced while reading it.
            post(logfile::upload).layer(axum::extract::DefaultBodyLimit::disable()),
        )
        .route("/admin/terminals/{sn}/approve", post(terminals::approve))
        .route("/admin/terminals/{sn}/bind", post(terminals::bind))
        .route("/admin/terminals/{sn}/unbind", post(terminals::unbind))
        .route("/admin/terminals/{sn}/discard", post(terminals::discard))
        .route("/admin/terminals/{sn}/sync", post(terminals::sync))
        .route("/admin/terminals/{sn}/commands", get(terminals::commands))
        .route("/admin/recap", get(recap::page))
        .route("/admin/recap/download", get(recap::download))
        .route("/admin/recap/lock", post(recap::lock))
        .route("/admin/recap/reopen", post(recap::reopen))
        .route("/admin/recap/deadline", post(recap::deadline))
        .route("/admin/employees", get(org::employees).post(org::create_employee))
        .route(
            "/admin/employees/import",
            // The import's own size limit (`import.max_bytes`) is enforced while reading the file.
            post(org::import).layer(axum::extract::DefaultBodyLimit::disable()),
        )
        .route("/admin/employees/import/{id}", get(org::import_status))
        .route("/admin/employees/{login}", get(org::employee))
        .route("/admin/employees/{login}/deactivate", post(org::deactivate))
        .route("/admin/employees/{login}/password", post(org::reset_password))
        .route("/admin/employees/{login}/edit", post(org::edit))
        .route("/admin/employees/{login}/wajah-acuan", post(faces::upload))
        .route("/admin/employees/{login}/wajah-acuan/hapus", post(faces::delete))
        .route("/admin/review/wajah-acuan", post(faces::from_punch))
        .route("/admin/units", get(units::page).post(units::create_unit))
        .route("/admin/units/{code}/locations", post(units::add_location))
        .route("/admin/units/{code}/locations/{id}", post(units::update_location))
        .route("/admin/units/{code}/locations/{id}/delete", post(units::delete_location))
        .route("/admin/policies", get(policies::page))
        .route("/admin/policies/holidays", post(policies::create_holiday))
        .route("/admin/policies/holidays/{id}/delete", post(policies::delete_holiday))
        .route("/admin/policies/calendars/{id}", get(policies::calendar_page).post(policies::save_calendar))
        .route("/admin/policies/calendars/{id}/copy", post(policies::copy_calendar))
        .route("/admin/policies/assign", post(policies::assign))
        .route("/admin/policies/rule-sets/new", get(policies::rules_page))
        .route("/admin/policies/rule-sets", post(policies::save_rules))
        .route("/admin/roster", get(roster::page).post(roster::save))
        .route("/admin/periods", get(periods::page))
        .route("/admin/periods/{calendar}", post(periods::save))
        .route("/admin/audit", get(audit::page))
        .route("/admin/akses", get(access::page))
        .route("/admin/kiosk", get(kiosks::page).post(kiosks::create))
        .route("/admin/kiosk/{id}/revoke", post(kiosks::revoke))
        .route("/admin/apel", get(apel::page).post(apel::create_form))
        .route("/admin/apel/{id}/ubah", post(apel::update_form))
        .route("/admin/apel/{id}/batal", post(apel::cancel_form))
        .route("/admin/apel/{id}", get(apel::session))
        .route("/admin/apel/{id}/qr", get(apel::qr))
        .route("/admin/apel/{id}/tandai", post(apel::mark_form))
        .route("/admin/employees/{login}/kartu-qr", get(kiosks::card))
        .route("/admin/kinerja", get(kinerja::page))
        .route("/admin/kinerja/validate", post(kinerja::validate))
        .route("/admin/kinerja/{id}/attachment", get(kinerja::attachment))
        .route("/admin/tpp", get(tpp::page))
        .route("/admin/tpp/download", get(tpp::download))
        .route("/admin/tpp/policies", post(tpp::add_policy))
        .route("/admin/tpp/bases", post(tpp::add_base))
        .route("/admin/tpp/sanctions", post(tpp::add_sanction))
        .route("/admin/tanda", get(signals::page))
        .route("/admin/tanda/perangkat", get(signals::devices))
        .route("/admin/tanda/perangkat/{id}", post(signals::decide_device))
        .route("/admin/kanal", get(channels::page).post(channels::save))
        .route("/admin/integrasi", get(integrations::page).post(integrations::create))
        .route("/admin/pemberitahuan", get(alerts::page).post(alerts::save))
        .layer(middleware::from_fn(guard))
}

/// CSRF defence and error pages: a state-changing request with an `Origin` header that is not
/// this host is refused; an error box answered to a plain (non-htmx) navigation is wrapped in
/// a whole page.
async fn guard(req: Request, next: Next) -> Response {
    let htmx = req.headers().contains_key("hx-request");
    if !matches!(*req.method(), Method::GET | Method::HEAD) && !same_origin(req.headers()) {
        tracing::warn!(path = %req.uri().path(), origin = ?req.headers().get(header::ORIGIN), "console: cross-origin request refused");
        return ConsoleError(ApiError::new(
            StatusCode::FORBIDDEN,
            "cross_origin",
            "Permintaan ditolak: dikirim dari situs lain. Buka konsol langsung dari alamatnya.",
        ))
        .into_response();
    }
    let res = next.run(req).await;
    if !htmx && res.headers().contains_key("x-console-error") {
        let status = res.status();
        let body = axum::body::to_bytes(res.into_body(), 64 * 1024).await.unwrap_or_default();
        let page = ErrorPage { message_html: String::from_utf8_lossy(&body).into_owned() };
        let mut r = html(&page);
        *r.status_mut() = status;
        return r;
    }
    res
}

/// True when there is no `Origin` header, or it names the host the request was sent to.
pub fn same_origin(headers: &axum::http::HeaderMap) -> bool {
    let Some(origin) = headers.get(header::ORIGIN) else { return true };
    let Ok(origin) = origin.to_str() else { return false };
    let Some(host) = headers.get(header::HOST).and_then(|h| h.to_str().ok()) else { return false };
    let authority = origin.split_once("://").map(|(_, a)| a).unwrap_or("");
    !authority.is_empty() && authority.eq_ignore_ascii_case(host)
}

async fn asset(uri: Uri) -> Response {
    let path = uri.path().trim_start_matches("/admin/assets/");
    match AdminAssets::get(path) {
        Some(f) => (
            [
                (header::CONTENT_TYPE, f.metadata.mimetype().to_string()),
                (header::CACHE_CONTROL, "public, max-age=3600".to_string()),
            ],
            f.data.into_owned(),
        )
            .into_response(),
        None => (StatusCode::NOT_FOUND, "Tidak ditemukan").into_response(),
    }
}

/// Renders a template as an HTML response that is never cached (pages hold personal data).
pub fn html<T: Template>(t: &T) -> Response {
    match t.render() {
        Ok(body) => (
            [
                (header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8")),
                (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
            ],
            body,
        )
            .into_response(),
        Err(e) => {
            tracing::error!(error = %e, "console template failed");
            ConsoleError(ApiError::internal()).into_response()
        }
    }
}

/// An `ApiError` shown as an Indonesian error box: htmx swaps it into `#flash`.
#[derive(Debug)]
pub struct ConsoleError(pub ApiError);

impl From<ApiError> for ConsoleError {
    fn from(e: ApiError) -> Self {
        ConsoleError(e)
    }
}

impl From<StoreError> for ConsoleError {
    fn from(e: StoreError) -> Self {
        ConsoleError(e.into())
    }
}

impl IntoResponse for ConsoleError {
    fn into_response(self) -> Response {
        let box_html = ErrorBox { message: self.0.message.clone(), code: self.0.code.to_string() };
        let body = box_html.render().unwrap_or_else(|_| "Terjadi kesalahan.".into());
        (
            self.0.status,
            [
                (header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8")),
                (header::HeaderName::from_static("hx-retarget"), HeaderValue::from_static("#flash")),
                (header::HeaderName::from_static("hx-reswap"), HeaderValue::from_static("innerHTML")),
                (header::HeaderName::from_static("x-console-error"), HeaderValue::from_static("1")),
            ],
            body,
        )
            .into_response()
    }
}

pub type CResult = Result<Response, ConsoleError>;

#[derive(Template)]
#[template(path = "admin/error_box.html")]
struct ErrorBox {
    message: String,
    code: String,
}

#[derive(Template)]
#[template(path = "admin/error_page.html")]
struct ErrorPage {
    message_html: String,
}

/// The signed-in staff member (admin, operator or head). Not signed in: to the login page;
/// signed in without a staff role: the "not allowed" page.
pub struct Console(pub Caller);

impl FromRequestParts<AppState> for Console {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let htmx = parts.headers.contains_key("hx-request");
        match Caller::from_request_parts(parts, state).await {
            Ok(c) if c.is_staff() => Ok(Console(c)),
            Ok(c) => Err(session::not_staff(&c.name)),
            Err(_) if htmx => {
                Err(([(header::HeaderName::from_static("hx-redirect"), "/admin/login")], StatusCode::UNAUTHORIZED)
                    .into_response())
            }
            Err(_) => Err(Redirect::to("/admin/login").into_response()),
        }
    }
}

/// What the layout needs: who is signed in, what they may see, which tab is open.
pub struct Nav {
    pub name: String,
    pub roles: String,
    pub is_admin: bool,
    pub active: &'static str,
    pub regency: String,
}

impl Nav {
    pub fn new(s: &AppState, c: &Caller, active: &'static str) -> Nav {
        let mut roles: Vec<String> = Vec::new();
        if c.is_admin {
            roles.push("Admin BKD".into());
        }
        for g in &c.grants {
            let r = match g.role {
                hadir_store::Role::Operator => "Operator",
                hadir_store::Role::Head => "Kepala unit",
            };
            roles.push(format!("{r} {}", g.unit_code));
        }
        Nav {
            name: c.name.clone(),
            roles: roles.join(", "),
            is_admin: c.is_admin,
            active,
            regency: s.config.regency_name.clone(),
        }
    }
}

/// Units the caller may manage (operators' subtrees; everything for admins), for form selects.
pub async fn manageable_units(s: &AppState, c: &Caller) -> Result<Vec<hadir_store::Unit>, ConsoleError> {
    let units = s.store.list_units(&c.read_scope()).await?;
    Ok(units.into_iter().filter(|u| c.can_manage_unit(&u.path)).collect())
}

/// Units the caller may read, in tree order.
pub async fn readable_units(s: &AppState, c: &Caller) -> Result<Vec<hadir_store::Unit>, ConsoleError> {
    Ok(s.store.list_units(&c.read_scope()).await?)
}

/// A small success message for htmx swaps.
pub fn notice(msg: impl Into<String>) -> Response {
    html(&Notice { message: msg.into() })
}

#[derive(Template)]
#[template(path = "admin/notice.html")]
struct Notice {
    message: String,
}

/// `2026-11-24T07:42:10+08:00` → `24-11-2026 07:42`.
/// An instant as people read it in `tz`: `24-11-2026 07:42 WITA`.
pub fn zoned_time(tz: &jiff::tz::TimeZone, at: jiff::Timestamp) -> String {
    format!(
        "{} {}",
        short_time(&hadir_domain::zone::rfc3339_local(tz, at)),
        hadir_domain::zone::zone_abbreviation(tz, at)
    )
}

/// [`zoned_time`] of an RFC 3339 text (as stored); the text itself when it is not one.
pub fn zoned_text(tz: &jiff::tz::TimeZone, rfc3339: &str) -> String {
    rfc3339.parse::<jiff::Timestamp>().map(|t| zoned_time(tz, t)).unwrap_or_else(|_| rfc3339.to_string())
}

pub fn short_time(rfc3339: &str) -> String {
    match (rfc3339.get(0..10), rfc3339.get(11..16)) {
        (Some(d), Some(t)) => {
            let p: Vec<&str> = d.split('-').collect();
            if p.len() == 3 { format!("{}-{}-{} {t}", p[2], p[1], p[0]) } else { rfc3339.to_string() }
        }
        _ => rfc3339.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderMap;

    fn headers(origin: Option<&str>, host: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::HOST, host.parse().unwrap());
        if let Some(o) = origin {
            h.insert(header::ORIGIN, o.parse().unwrap());
        }
        h
    }

    #[test]
    fn origin_check() {
        assert!(same_origin(&headers(None, "127.0.0.1:8080")));
        assert!(same_origin(&headers(Some("http://127.0.0.1:8080"), "127.0.0.1:8080")));
        assert!(same_origin(&headers(Some("https://presensi.example.go.id"), "presensi.example.go.id")));
        assert!(!same_origin(&headers(Some("http://evil.example"), "127.0.0.1:8080")));
        assert!(!same_origin(&headers(Some("null"), "127.0.0.1:8080")));
        assert!(!same_origin(&headers(Some("http://127.0.0.1:8081"), "127.0.0.1:8080")));
    }

    #[test]
    fn short_times() {
        assert_eq!(short_time("2026-11-24T07:42:10+08:00"), "24-11-2026 07:42");
        assert_eq!(short_time("x"), "x");
    }
}

/// Rupiah the Indonesian way: `Rp 4.250.000` (negative amounts as `-Rp 1.000`).
pub fn rupiah(amount: i64) -> String {
    let digits = amount.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('.');
        }
        out.push(ch);
    }
    format!("{}Rp {out}", if amount < 0 { "-" } else { "" })
}

#[cfg(test)]
mod rupiah_tests {
    #[test]
    fn thousands_are_dotted() {
        assert_eq!(super::rupiah(4_250_000), "Rp 4.250.000");
        assert_eq!(super::rupiah(0), "Rp 0");
        assert_eq!(super::rupiah(999), "Rp 999");
        assert_eq!(super::rupiah(1000), "Rp 1.000");
        assert_eq!(super::rupiah(-12_500), "-Rp 12.500");
    }
}
