//! Apel and upacara in the console (issue 21 point 3): the sessions of the caller's units around
//! today with attendance counts, and per session the list of who must attend with the bulk
//! marking form (NIPs, one per line). Each action calls the API handler (same rules, audit).

use super::{CResult, Console, Nav, html};
use crate::api::sessions::{
    AttendanceList, MarkInput, RangeQuery, SessionView, attendance, list_sessions, mark, session_code,
};
use crate::json::ApiJson;
use crate::state::AppState;
use askama::Template;
use axum::extract::{Form, Path, Query, State};
use jiff::ToSpan;
use serde::Deserialize;

#[derive(Template)]
#[template(path = "admin/apel.html")]
struct ApelPage {
    nav: Nav,
    items: Vec<SessionView>,
}

/// `GET /admin/apel`: sessions from 31 days ago to 31 days ahead.
pub async fn page(State(s): State<AppState>, Console(c): Console) -> CResult {
    let today = crate::days::latest_today();
    let q = RangeQuery {
        from: today.checked_sub(31.days()).ok().map(|d| d.to_string()),
        to: today.checked_add(31.days()).ok().map(|d| d.to_string()),
    };
    let axum::Json(list) = list_sessions(State(s.clone()), c.clone(), Query(q)).await?;
    Ok(html(&ApelPage { nav: Nav::new(&s, &c, "terminals"), items: list.items }))
}

#[derive(Template)]
#[template(path = "admin/apel_session.html")]
struct SessionPage {
    nav: Nav,
    list: AttendanceList,
}

/// `GET /admin/apel/{id}`: who must attend, who did and how; the marking form.
pub async fn session(State(s): State<AppState>, Console(c): Console, Path(id): Path<i64>) -> CResult {
    let axum::Json(list) = attendance(State(s.clone()), c.clone(), Path(id)).await?;
    Ok(html(&SessionPage { nav: Nav::new(&s, &c, "terminals"), list }))
}

#[derive(Template)]
#[template(path = "admin/apel_qr.html")]
struct QrPage {
    session: SessionView,
    code: String,
    svg: String,
    seconds_left: i64,
}

/// `GET /admin/apel/{id}/qr`: the session's changing QR code full-screen, for a TV or tablet at
/// the place, under the operator's console session (a kiosk device without one uses
/// `/kiosk?apel={id}` with a kiosk token of a concerned unit). Same rules as the API's code.
pub async fn qr(State(s): State<AppState>, Console(c): Console, Path(id): Path<i64>) -> CResult {
    let axum::Json(code) = session_code(State(s.clone()), c.clone(), Path(id)).await?;
    let axum::Json(list) = attendance(State(s), c, Path(id)).await?;
    let page = QrPage { session: list.session, code: code.code, svg: code.svg, seconds_left: code.seconds_left.max(1) };
    Ok(html(&page))
}

#[derive(Deserialize)]
pub struct MarkForm {
    /// NIPs, one per line (or separated by commas or spaces).
    pub nips: String,
}

/// `POST /admin/apel/{id}/tandai`.
pub async fn mark_form(
    State(s): State<AppState>,
    Console(c): Console,
    Path(id): Path<i64>,
    Form(f): Form<MarkForm>,
) -> CResult {
    let nips: Vec<String> = f
        .nips
        .split(|ch: char| ch == ',' || ch.is_whitespace())
        .filter(|x| !x.is_empty())
        .map(str::to_string)
        .collect();
    let axum::Json(done) = mark(State(s), c, Path(id), ApiJson(MarkInput { nips })).await?;
    Ok(super::notice(format!("{} pegawai ditandai hadir; {} orang hadir pada sesi ini.", done.marked, done.attended)))
}
