//! Apel and upacara in the console (issue 21 point 3): the sessions of the caller's units around
//! today with attendance counts, and per session the list of who must attend with the bulk
//! marking form (NIPs, one per line); forms to create, change and cancel a session. Each action
//! calls the API handler (same rules, audit); its refusals show as the Indonesian error box.

use super::{CResult, Console, Nav, html};
use crate::api::sessions::{
    AttendanceList, MarkInput, RangeQuery, SessionInput, SessionView, attendance, cancel_session, create_session,
    list_sessions, mark, session_code, update_session,
};
use crate::error::ApiError;
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

/// The create/edit form of a session (`/admin/apel`, `/admin/apel/{id}`).
#[derive(Deserialize)]
pub struct SessionForm {
    pub kind: String,
    pub name: String,
    pub date: String,
    pub start: String,
    pub end: String,
    /// The unit that holds the session.
    pub unit_code: String,
    /// The units that must attend, separated by commas or spaces (empty: `unit_code`).
    #[serde(default)]
    pub unit_codes: String,
    /// `office`: the first office location of `unit_code`; `position`: `lat`/`lon`/`radius_m`;
    /// `none`: the session's QR code only.
    pub place: String,
    #[serde(default)]
    pub lat: String,
    #[serde(default)]
    pub lon: String,
    #[serde(default)]
    pub radius_m: String,
    /// Checkboxes: present when ticked.
    pub qr: Option<String>,
    pub mandatory: Option<String>,
}

fn number(v: &str, field: &str, label: &str) -> Result<Option<f64>, ApiError> {
    let v = v.trim().replace(',', ".");
    if v.is_empty() {
        return Ok(None);
    }
    v.parse::<f64>().map(Some).map_err(|_| {
        ApiError::unprocessable("invalid_number", format!("{label} harus berupa angka."))
            .with_details(serde_json::json!({"field": field}))
    })
}

/// The form as the API's input; the unit's office location is looked up in the caller's scope.
async fn input_of(s: &AppState, c: &crate::auth::Caller, f: SessionForm) -> Result<SessionInput, ApiError> {
    let (lat, lon, radius_m) = match f.place.as_str() {
        "office" => {
            let unit =
                s.store.unit_by_code(f.unit_code.trim()).await.ok().filter(|u| c.can_read_unit(&u.path)).ok_or_else(
                    || {
                        ApiError::unprocessable(
                            "unknown_unit",
                            format!("Unit kerja '{}' tidak ditemukan.", f.unit_code.trim()),
                        )
                    },
                )?;
            let loc = unit.locations.first().ok_or_else(|| {
                ApiError::unprocessable(
                    "unit_without_location",
                    format!("Unit {} belum punya lokasi kantor; isi posisi dan radius, atau pakai QR saja.", unit.code),
                )
            })?;
            (Some(loc.lat), Some(loc.lon), Some(loc.radius_m))
        }
        "position" => (
            number(&f.lat, "lat", "Lintang")?,
            number(&f.lon, "lon", "Bujur")?,
            number(&f.radius_m, "radius_m", "Radius")?,
        ),
        _ => (None, None, None),
    };
    Ok(SessionInput {
        kind: f.kind.trim().to_string(),
        name: f.name.trim().to_string(),
        date: f.date.trim().to_string(),
        start: f.start.trim().to_string(),
        end: f.end.trim().to_string(),
        unit_code: f.unit_code.trim().to_string(),
        unit_codes: f
            .unit_codes
            .split(|ch: char| ch == ',' || ch.is_whitespace())
            .filter(|x| !x.is_empty())
            .map(str::to_string)
            .collect(),
        lat,
        lon,
        radius_m,
        qr: f.qr.is_some(),
        mandatory: f.mandatory.is_some(),
    })
}

/// `POST /admin/apel`: create a session.
pub async fn create_form(State(s): State<AppState>, Console(c): Console, Form(f): Form<SessionForm>) -> CResult {
    let input = input_of(&s, &c, f).await?;
    let (_, axum::Json(v)) = create_session(State(s), c, ApiJson(input)).await?;
    Ok(super::notice(format!("Sesi {} dibuat (#{}). Muat ulang halaman untuk melihatnya di daftar.", v.label, v.id)))
}

/// `POST /admin/apel/{id}/ubah`: change a session.
pub async fn update_form(
    State(s): State<AppState>,
    Console(c): Console,
    Path(id): Path<i64>,
    Form(f): Form<SessionForm>,
) -> CResult {
    let input = input_of(&s, &c, f).await?;
    let axum::Json(v) = update_session(State(s), c, Path(id), ApiJson(input)).await?;
    Ok(super::notice(format!("Sesi {} disimpan.", v.label)))
}

/// `POST /admin/apel/{id}/batal`: cancel a session.
pub async fn cancel_form(State(s): State<AppState>, Console(c): Console, Path(id): Path<i64>) -> CResult {
    let axum::Json(v) = cancel_session(State(s), c, Path(id)).await?;
    Ok(super::notice(format!("Sesi {} dibatalkan; tidak lagi wajib dihadiri siapa pun.", v.label)))
}
