//! Console login and logout. The login is the API's own (`api::auth::login`: throttling,
//! argon2id, a hashed session token); the console only keeps the token in a cookie scoped to
//! `/admin`, `HttpOnly` and `SameSite=Strict`.

use super::{CResult, ConsoleError, html};
use crate::api::auth::{ClientIp, LoginRequest};
use crate::auth::{Caller, SESSION_COOKIE, token};
use crate::json::ApiJson;
use crate::state::AppState;
use askama::Template;
use axum::Form;
use axum::extract::{FromRequestParts, Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

#[derive(Template)]
#[template(path = "admin/login.html")]
struct LoginPage {
    regency: String,
    username: String,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "admin/not_staff.html")]
struct NotStaff {
    name: String,
}

pub async fn form(State(s): State<AppState>) -> Response {
    html(&LoginPage { regency: s.config.regency_name.clone(), username: String::new(), error: None })
}

#[derive(Deserialize)]
pub struct LoginForm {
    pub username: String,
    pub password: String,
}

fn cookie(s: &AppState, value: &str, max_age_secs: i64) -> String {
    // `Secure` when the public address is https (issue 17): the browser then never sends the
    // console's session over plain HTTP.
    let secure = if s.config.serves_https() { "; Secure" } else { "" };
    format!("{SESSION_COOKIE}={value}; HttpOnly; SameSite=Strict; Path=/admin; Max-Age={max_age_secs}{secure}")
}

pub async fn login(State(s): State<AppState>, ip: ClientIp, Form(f): Form<LoginForm>) -> Response {
    let username = f.username.clone();
    let req = LoginRequest { username: f.username, password: f.password };
    match crate::api::auth::login(State(s.clone()), ip, ApiJson(req)).await {
        Ok(axum::Json(r)) => {
            let staff = r.user.roles.iter().any(|x| x == "admin" || x == "operator" || x == "head");
            if !staff {
                // No console for this account: do not keep a console session around.
                let _ = s.store.delete_session(&token::hash(&r.token)).await;
                let mut resp = not_staff(&r.user.name);
                resp.headers_mut().insert(header::SET_COOKIE, cookie(&s, "", 0).parse().expect("valid cookie"));
                return resp;
            }
            let secs = (s.config.staff_session_hours as i64) * 3600;
            let mut resp = Redirect::to("/admin").into_response();
            resp.headers_mut().insert(header::SET_COOKIE, cookie(&s, &r.token, secs).parse().expect("valid cookie"));
            resp
        }
        Err(e) => {
            let mut resp =
                html(&LoginPage { regency: s.config.regency_name.clone(), username, error: Some(e.message.clone()) });
            *resp.status_mut() = e.status;
            resp
        }
    }
}

/// The login page with a refusal (the flood limit), e.g. 429.
pub fn refused_page(s: &AppState, status: StatusCode, message: String) -> Response {
    let mut resp =
        html(&LoginPage { regency: s.config.regency_name.clone(), username: String::new(), error: Some(message) });
    *resp.status_mut() = status;
    resp
}

/// Ends the session (if any) and forgets the cookie.
pub async fn logout(State(s): State<AppState>, req: Request) -> CResult {
    let (mut parts, _) = req.into_parts();
    if let Ok(c) = Caller::from_request_parts(&mut parts, &s).await {
        s.store.delete_session(&c.token_hash).await.map_err(ConsoleError::from)?;
        s.caches.sessions.remove_where(|k, _| *k == c.token_hash);
    }
    let mut resp = Redirect::to("/admin/login").into_response();
    resp.headers_mut().insert(header::SET_COOKIE, cookie(&s, "", 0).parse().expect("valid cookie"));
    Ok(resp)
}

/// The page for a signed-in employee without a staff role.
pub fn not_staff(name: &str) -> Response {
    let mut r = html(&NotStaff { name: name.to_string() });
    *r.status_mut() = StatusCode::FORBIDDEN;
    r
}
