use crate::auth::{Caller, password, token};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::json::ApiJson;
use crate::state::AppState;
use axum::Json;
use axum::extract::{FromRequestParts, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use hadir_store::StoreError;
use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};
use std::net::{IpAddr, Ipv4Addr};
use utoipa::ToSchema;

#[derive(Deserialize, ToSchema)]
pub struct LoginRequest {
    /// NIP (spaces allowed), honorer login number, or admin username.
    pub username: String,
    pub password: String,
}

#[derive(Serialize, ToSchema)]
pub struct LoginResponse {
    pub token: String,
    pub expires_at: String,
    pub user: UserInfo,
    /// Present when someone else reset the password since the owner last chose one: the app
    /// tells the owner and asks them to change it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub password_reset: Option<PasswordResetNotice>,
}

#[derive(Serialize, ToSchema)]
pub struct PasswordResetNotice {
    /// When, in WIB (`+07:00`).
    pub at: String,
    /// Name of whoever reset it.
    pub by_name: String,
}

impl From<&hadir_store::PasswordResetMark> for PasswordResetNotice {
    fn from(m: &hadir_store::PasswordResetMark) -> Self {
        let wib = jiff::tz::TimeZone::get("Asia/Jakarta").unwrap_or(jiff::tz::TimeZone::UTC);
        PasswordResetNotice { at: hadir_domain::zone::rfc3339_local(&wib, m.at), by_name: m.by_name.clone() }
    }
}

#[derive(Serialize, ToSchema)]
pub struct UserInfo {
    pub id: i64,
    pub name: String,
    pub username: String,
    /// Any of admin, operator, head, employee.
    pub roles: Vec<String>,
    /// Units where the user is operator or head.
    pub units: Vec<RoleUnit>,
    pub employee_id: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct RoleUnit {
    pub role: String,
    pub unit_code: String,
}

impl From<&Caller> for UserInfo {
    fn from(c: &Caller) -> Self {
        UserInfo {
            id: c.account_id,
            name: c.name.clone(),
            username: c.username.clone(),
            roles: c.roles(),
            units: c
                .grants
                .iter()
                .map(|g| RoleUnit { role: g.role.as_str().into(), unit_code: g.unit_code.clone() })
                .collect(),
            employee_id: c.employee_id,
        }
    }
}

/// The client's IP: the socket peer, or `X-Forwarded-For` behind a trusted proxy.
pub struct ClientIp(pub IpAddr);

impl FromRequestParts<AppState> for ClientIp {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let ip = crate::flood::client_ip(&parts.headers, &parts.extensions, state.config.trust_forwarded_for);
        Ok(ClientIp(ip.unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED))))
    }
}

/// Normalises a login name: NIPs may be typed with spaces or dots.
fn normalise_username(u: &str) -> String {
    let t = u.trim();
    let stripped: String = t.chars().filter(|c| *c != ' ' && *c != '.').collect();
    if stripped.len() == 18 && stripped.chars().all(|c| c.is_ascii_digit()) { stripped } else { t.to_string() }
}

/// Log in with NIP or username and password; returns a bearer token.
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", security(()), request_body = LoginRequest,
    responses((status = 200, body = LoginResponse), (status = 401, body = ErrorBody), (status = 429, body = ErrorBody),
        (status = 503, body = ErrorBody, description = "Too many logins in hand: retry after Retry-After")))]
pub async fn login(
    State(s): State<AppState>,
    ClientIp(ip): ClientIp,
    ApiJson(req): ApiJson<LoginRequest>,
) -> ApiResult<Json<LoginResponse>> {
    let username = normalise_username(&req.username);
    if username.is_empty() || req.password.len() > 1024 {
        return Err(bad_credentials());
    }
    // Counted before the password is checked, so parallel attempts cannot all be checked.
    let attempt = match s.limiter.begin(&username, ip) {
        Ok(a) => a,
        Err(wait) => {
            metrics::counter!("hadir_logins_total", "outcome" => "throttled").increment(1);
            return Err(ApiError::too_many(
                "too_many_attempts",
                format!("Terlalu banyak percobaan masuk yang gagal. Coba lagi dalam {} menit.", wait.div_ceil(60)),
                wait,
            ));
        }
    };
    let account = match s.store.account_by_username(&username).await {
        Ok(a) => Some(a),
        Err(StoreError::NotFound(_)) => None,
        Err(e) => {
            s.limiter.cancel(attempt);
            return Err(e.into());
        }
    };
    let ok = match password::verify(account.as_ref().map(|a| a.password_hash.clone()), req.password).await {
        Ok(ok) => ok,
        Err(password::Busy) => {
            s.limiter.cancel(attempt);
            metrics::counter!("hadir_logins_total", "outcome" => "busy").increment(1);
            return Err(busy());
        }
    };
    let account = match account {
        Some(a) if ok && a.active => a,
        _ => {
            s.limiter.failed(attempt);
            metrics::counter!("hadir_logins_total", "outcome" => "failed").increment(1);
            return Err(bad_credentials());
        }
    };
    s.limiter.succeeded(attempt);
    let r = start_session(&s, account).await?;
    metrics::counter!("hadir_logins_total", "outcome" => "ok").increment(1);
    Ok(Json(r))
}

/// A new session for the account, answered as a login.
async fn start_session(s: &AppState, account: hadir_store::Account) -> ApiResult<LoginResponse> {
    let grants = s.store.roles_of(account.id).await?;
    let hours = if account.is_admin || !grants.is_empty() {
        s.config.staff_session_hours
    } else {
        s.config.employee_session_hours
    };
    let expires_at = Timestamp::now() + SignedDuration::from_hours(hours as i64);
    let tok = token::generate();
    let token_hash = token::hash(&tok);
    s.store.create_session(&token_hash, account.id, expires_at).await?;
    let password_reset = account.password_reset.as_ref().map(PasswordResetNotice::from);
    let caller = Caller::from_account(account, grants, token_hash);
    Ok(LoginResponse { token: tok, expires_at: expires_at.to_string(), user: UserInfo::from(&caller), password_reset })
}

#[derive(Deserialize, ToSchema)]
pub struct PasswordChange {
    pub current_password: String,
    pub new_password: String,
}

/// Change your own password: needs the current one (a wrong one counts as a failed login
/// attempt). Every session of the account ends; the answer is a fresh login, without the reset
/// notice.
#[utoipa::path(post, path = "/api/v1/me/password", tag = "auth", request_body = PasswordChange,
    responses((status = 200, body = LoginResponse), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn change_own_password(
    State(s): State<AppState>,
    caller: Caller,
    ClientIp(ip): ClientIp,
    ApiJson(p): ApiJson<PasswordChange>,
) -> ApiResult<Json<LoginResponse>> {
    let attempt = s.limiter.begin(&caller.username, ip).map_err(|wait| {
        ApiError::too_many(
            "too_many_attempts",
            format!("Terlalu banyak percobaan yang gagal. Coba lagi dalam {} menit.", wait.div_ceil(60)),
            wait,
        )
    })?;
    let account = match s.store.account_by_id(caller.account_id).await {
        Ok(a) => a,
        Err(e) => {
            s.limiter.cancel(attempt);
            return Err(e.into());
        }
    };
    let ok = p.current_password.len() <= 1024
        && match password::verify(Some(account.password_hash.clone()), p.current_password).await {
            Ok(ok) => ok,
            Err(password::Busy) => {
                s.limiter.cancel(attempt);
                return Err(busy());
            }
        };
    if !ok {
        s.limiter.failed(attempt);
        metrics::counter!("hadir_logins_total", "outcome" => "failed").increment(1);
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "wrong_password",
            "Kata sandi lama salah; kata sandi tidak diganti.",
        ));
    }
    crate::org::check_password(&p.new_password)?;
    let hash = password::hash(p.new_password).await;
    let audit = hadir_store::Audit::new(caller.actor(), "change_password", "account", &caller.username);
    s.store.set_password(account.id, &hash, None, audit).await?;
    s.forget_account(account.id);
    s.limiter.succeeded(attempt);
    let account = s.store.account_by_id(caller.account_id).await?;
    Ok(Json(start_session(&s, account).await?))
}

fn busy() -> ApiError {
    ApiError::unavailable("Server sedang memproses banyak permintaan masuk. Coba lagi dalam beberapa detik.", 3)
}

fn bad_credentials() -> ApiError {
    ApiError::new(StatusCode::UNAUTHORIZED, "bad_credentials", "NIP/nama pengguna atau kata sandi salah.")
}

/// End this session.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth", responses((status = 204)))]
pub async fn logout(State(s): State<AppState>, caller: Caller) -> ApiResult<StatusCode> {
    s.store.delete_session(&caller.token_hash).await?;
    s.caches.sessions.remove_where(|k, _| *k == caller.token_hash);
    Ok(StatusCode::NO_CONTENT)
}

/// What the login screen shows before anyone signs in.
#[derive(Serialize, ToSchema)]
pub struct ServerInfo {
    /// The regency (or province, ministry) running this server, e.g. "Pemerintah Kabupaten Contoh".
    pub regency_name: String,
}

/// Public facts about this server: the regency's name for the app's login screen and header.
#[utoipa::path(get, path = "/api/v1/info", tag = "auth", responses((status = 200, body = ServerInfo)))]
pub async fn info(State(s): State<AppState>) -> Json<ServerInfo> {
    Json(ServerInfo { regency_name: s.config.regency_name.clone() })
}

/// Who am I: the signed-in user's roles and units.
#[utoipa::path(get, path = "/api/v1/me", tag = "auth", responses((status = 200, body = UserInfo), (status = 401, body = ErrorBody)))]
pub async fn me(caller: Caller) -> Json<UserInfo> {
    Json(UserInfo::from(&caller))
}
