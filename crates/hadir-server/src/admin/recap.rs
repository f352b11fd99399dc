//! Recaps: a month per unit with its state, downloads (XLSX, CSV: the API's own export), and
//! lock/reopen for admins (the API's handlers: audited, recomputed).

use super::{CResult, Console, ConsoleError, Nav, html};
use crate::api::recap::{
    DeadlineBody, LockBody, LockDecision, RecapQuery, ReopenBody, get_recap, lock_recap, readable_unit, reopen_recap,
    set_deadline,
};
use crate::api::requests::CorrectionInput;
use crate::recap::{PendingObjection, RecapState, build_recap, month_bounds, month_key};
use crate::state::AppState;
use askama::Template;
use axum::extract::{Query, State};
use axum::{Form, Json};
use serde::Deserialize;

pub struct UnitLine {
    pub code: String,
    pub name: String,
    pub state: &'static str,
    pub employees: u32,
    pub working_days: u32,
    pub present: u32,
    pub duty: u32,
    pub tk: u32,
    pub rate: String,
}

fn state_label(s: Option<RecapState>) -> &'static str {
    match s {
        Some(RecapState::Open) => "Berjalan",
        Some(RecapState::Objection) => "Masa keberatan",
        Some(RecapState::Ready) => "Siap dikunci",
        Some(RecapState::Locked) => "Terkunci",
        None => "-",
    }
}

#[derive(Template)]
#[template(path = "admin/recap.html")]
struct RecapPage {
    nav: Nav,
    month: String,
    unit: String,
    units: Vec<(String, String)>,
    state: &'static str,
    locked: bool,
    objection_until: String,
    /// `YYYY-MM-DD`, for the deadline form.
    objection_until_iso: String,
    pending: Vec<PendingObjection>,
    lines: Vec<UnitLine>,
    total: Option<UnitLine>,
    query: String,
}

#[derive(Deserialize)]
pub struct PageQuery {
    pub month: Option<String>,
    pub unit: Option<String>,
}

fn previous_month() -> String {
    let today = crate::org::today_jakarta();
    let first = today.first_of_month();
    month_key(first.yesterday().unwrap_or(first).first_of_month())
}

/// `GET /admin/recap?month=YYYY-MM&unit=CODE`.
pub async fn page(State(s): State<AppState>, Console(c): Console, Query(q): Query<PageQuery>) -> CResult {
    let month = q.month.filter(|m| !m.trim().is_empty()).unwrap_or_else(previous_month);
    let units: Vec<(String, String)> =
        super::readable_units(&s, &c).await?.into_iter().map(|u| (u.code, u.name)).collect();
    // Non-admins need a unit: default to their first.
    let unit_code = q
        .unit
        .filter(|u| !u.trim().is_empty())
        .or_else(|| (!c.is_admin).then(|| c.grants.first().map(|g| g.unit_code.clone())).flatten());
    let unit = readable_unit(&s, &c, unit_code.as_deref()).await?;
    let (first, _) = month_bounds(&month).ok_or_else(|| {
        crate::error::ApiError::unprocessable("invalid_month", "Bulan harus berformat TTTT-BB, misalnya 2025-11.")
    })?;
    crate::api::days::policies_ready(&s).await;
    let r = build_recap(s.store.as_ref(), &s.policies, &s.config.regency_name, first, unit.as_ref())
        .await
        .map_err(ConsoleError::from)?;
    let line = |t: &crate::recap::RecapTotals| UnitLine {
        code: t.unit_code.clone(),
        name: t.unit_name.clone(),
        state: state_label(t.state),
        employees: t.employees,
        working_days: t.working_days,
        present: t.days_present,
        duty: t.days_duty,
        tk: t.days_tk,
        rate: format!("{:.1}%", t.attendance_rate * 100.0).replace('.', ","),
    };
    let lines = r.units.iter().map(line).collect();
    let unit_q = unit.as_ref().map(|u| u.code.clone()).unwrap_or_default();
    Ok(html(&RecapPage {
        nav: Nav::new(&s, &c, "recap"),
        query: format!("month={}&unit={}", r.month, unit_q),
        month: r.month.clone(),
        unit: unit_q,
        units,
        state: state_label(Some(r.state)),
        locked: r.state == RecapState::Locked,
        objection_until: r.objection_until.strftime("%d-%m-%Y").to_string(),
        objection_until_iso: r.objection_until.to_string(),
        pending: r.pending_objections.clone(),
        total: Some(line(&r.total)),
        lines,
    }))
}

#[derive(Deserialize)]
pub struct DownloadQuery {
    pub month: String,
    pub unit: Option<String>,
    pub format: String,
}

/// `GET /admin/recap/download`: the API's export (same file as `/api/v1/recap?format=…`).
pub async fn download(State(s): State<AppState>, Console(c): Console, Query(q): Query<DownloadQuery>) -> CResult {
    let rq = RecapQuery { month: q.month, unit: q.unit.filter(|u| !u.is_empty()), format: Some(q.format) };
    Ok(get_recap(State(s), c, Query(rq)).await?)
}

#[derive(Deserialize)]
pub struct LockForm {
    pub month: String,
    pub unit: Option<String>,
    pub reason: Option<String>,
}

/// `POST /admin/recap/lock` (admin). Pending objections may be decided in the same step: a
/// field `d<id>` = `reject` | `approve` per objection (approve sets the day to HADIR; other
/// corrections go through the inbox), `reject_rest` = `on` to reject the others, and `note`,
/// the reason given with each rejection.
pub async fn lock(State(s): State<AppState>, Console(c): Console, Form(f): Form<Vec<(String, String)>>) -> CResult {
    let field = |k: &str| f.iter().find(|(n, _)| n == k).map(|(_, v)| v.trim().to_string()).filter(|v| !v.is_empty());
    let note = field("note");
    let decisions = f
        .iter()
        .filter_map(|(k, v)| Some((k.strip_prefix('d')?.parse::<hadir_store::Id>().ok()?, v.as_str())))
        .filter_map(|(id, v)| match v {
            "reject" => Some(LockDecision { id, approve: false, comment: note.clone(), correction: None }),
            "approve" => Some(LockDecision {
                id,
                approve: true,
                comment: note.clone(),
                correction: Some(CorrectionInput { status: Some("HADIR".into()), checkpoint: None, time: None }),
            }),
            _ => None,
        })
        .collect();
    let body = LockBody {
        month: field("month").unwrap_or_default(),
        unit_code: field("unit"),
        decide_pending: (field("reject_rest").as_deref() == Some("on")).then(|| "reject".to_string()),
        note,
        decisions,
    };
    let Json(r) = lock_recap(State(s), c, crate::json::ApiJson(body)).await?;
    let decided =
        if r.decided.is_empty() { String::new() } else { format!(" {} keberatan diputus sekaligus.", r.decided.len()) };
    Ok(super::notice(format!(
        "Rekap {} {} dikunci: angka {} pegawai dibekukan.{decided}",
        r.month,
        r.unit_code.unwrap_or_else(|| "semua unit".into()),
        r.employees
    )))
}

#[derive(Deserialize)]
pub struct DeadlineForm {
    pub month: String,
    pub objection_until: String,
}

/// `POST /admin/recap/deadline` (admin): moves the month's objection deadline (audited).
pub async fn deadline(State(s): State<AppState>, Console(c): Console, Form(f): Form<DeadlineForm>) -> CResult {
    let until = crate::dates::date(f.objection_until.trim(), "objection_until")?;
    let body = DeadlineBody { month: f.month.clone(), objection_until: until };
    set_deadline(State(s), c, crate::json::ApiJson(body)).await?;
    Ok(super::notice(format!("Batas keberatan bulan {} menjadi {}.", f.month.trim(), until.strftime("%d-%m-%Y"))))
}

/// `POST /admin/recap/reopen` (admin, with a reason).
pub async fn reopen(State(s): State<AppState>, Console(c): Console, Form(f): Form<LockForm>) -> CResult {
    let body = ReopenBody {
        month: f.month,
        unit_code: f.unit.filter(|u| !u.is_empty()),
        reason: f.reason.unwrap_or_default(),
    };
    let Json(r) = reopen_recap(State(s), c, crate::json::ApiJson(body)).await?;
    Ok(super::notice(format!(
        "Rekap {} {} dibuka kembali ({} pegawai).",
        r.month,
        r.unit_code.unwrap_or_else(|| "semua unit".into()),
        r.employees
    )))
}
