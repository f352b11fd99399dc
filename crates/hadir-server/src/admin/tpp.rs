//! The month's TPP in the console (issue 22): per employee the base, the shares, the sanction,
//! the amount and its explanation, per unit the totals; the payout sheet as XLSX or CSV
//! through the API's own handler.

use super::{CResult, Console, Nav, html, rupiah};
use crate::api::recap::readable_unit;
use crate::api::tpp::{TppQuery, get_tpp};
use crate::state::AppState;
use crate::tpp::{TppRow, TppUnitTotal, build_tpp};
use askama::Template;
use axum::extract::{Query, State};
use serde::Deserialize;

#[derive(Template)]
#[template(path = "admin/tpp.html")]
struct TppPage {
    nav: Nav,
    month: String,
    unit: String,
    units: Vec<(String, String)>,
    state: String,
    policy: String,
    rows: Vec<TppRow>,
    totals: Vec<TppUnitTotal>,
    total: String,
    query: String,
}

impl TppPage {
    fn rp(&self, v: &i64) -> String {
        rupiah(*v)
    }
}

#[derive(Deserialize)]
pub struct PageQuery {
    pub month: Option<String>,
    pub unit: Option<String>,
}

/// `GET /admin/tpp?month=YYYY-MM&unit=CODE`.
pub async fn page(State(s): State<AppState>, Console(c): Console, Query(q): Query<PageQuery>) -> CResult {
    let month = q.month.filter(|m| !m.trim().is_empty()).unwrap_or_else(|| {
        let first = crate::org::today_jakarta().first_of_month();
        crate::recap::month_key(first.yesterday().unwrap_or(first).first_of_month())
    });
    let units: Vec<(String, String)> =
        super::readable_units(&s, &c).await?.into_iter().map(|u| (u.code, u.name)).collect();
    let unit_code = q
        .unit
        .filter(|u| !u.trim().is_empty())
        .or_else(|| (!c.is_admin).then(|| c.grants.first().map(|g| g.unit_code.clone())).flatten());
    let unit = readable_unit(&s, &c, unit_code.as_deref()).await?;
    let first = crate::dates::month(&month)?.0;
    crate::api::days::policies_ready(&s).await;
    let m = build_tpp(s.store.as_ref(), &s.policies, &s.config.regency_name, first, unit.as_ref()).await?;
    let p = &m.policy;
    let steps: Vec<String> = p.steps.iter().map(|x| format!("≥ {} → {} %", x.min_score, x.percent)).collect();
    let policy = format!(
        "Kehadiran {} %, kinerja {} % (tangga nilai: {}){}{}{}",
        p.attendance_weight,
        p.performance_weight,
        steps.join(", "),
        p.cap.map(|c| format!(", pagu {}", rupiah(c))).unwrap_or_default(),
        if p.trial_mode { ", masa uji coba" } else { "" },
        if m.policy_stored { "" } else { " — kebijakan bawaan, belum ditetapkan BKD" },
    );
    let unit_q = unit.as_ref().map(|u| u.code.clone()).unwrap_or_default();
    Ok(html(&TppPage {
        nav: Nav::new(&s, &c, "tpp"),
        query: format!("month={}&unit={}", m.month, unit_q),
        month: m.month.clone(),
        unit: unit_q,
        units,
        state: m.state.clone(),
        policy,
        total: rupiah(m.total_amount),
        totals: m.units,
        rows: m.employees,
    }))
}

#[derive(Deserialize)]
pub struct DownloadQuery {
    pub month: String,
    pub unit: Option<String>,
    pub format: String,
}

/// `GET /admin/tpp/download`: the API's payout sheet.
pub async fn download(State(s): State<AppState>, Console(c): Console, Query(q): Query<DownloadQuery>) -> CResult {
    let tq = TppQuery { month: q.month, unit: q.unit.filter(|u| !u.is_empty()), format: Some(q.format) };
    Ok(get_tpp(State(s), c, Query(tq)).await?)
}
