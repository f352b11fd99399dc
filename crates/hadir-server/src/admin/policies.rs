//! Calendars, holidays and rule sets: what is in force, read from the API's own views; admins
//! add holidays (the API's handler: audited, days recomputed). Calendars and rule sets are
//! edited through the API (JSON documents) for now.

use super::{CResult, Console, Nav, html};
use crate::api::policies::{HolidayInput, YearQuery};
use crate::json::ApiJson;
use crate::state::AppState;
use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use serde::Deserialize;

pub struct CalLine {
    pub name: String,
    pub is_default: bool,
    pub hours: String,
    pub days: Vec<String>,
    pub assigned: String,
}

pub struct RuleLine {
    pub name: String,
    pub effective_from: String,
    pub summary: String,
}

#[derive(Template)]
#[template(path = "admin/policies.html")]
struct PoliciesPage {
    nav: Nav,
    year: i16,
    calendars: Vec<CalLine>,
    holidays: Vec<crate::api::policies::HolidayView>,
    rules: Vec<RuleLine>,
}

#[derive(Deserialize)]
pub struct PageQuery {
    pub year: Option<i16>,
}

/// `GET /admin/policies`.
pub async fn page(State(s): State<AppState>, Console(c): Console, Query(q): Query<PageQuery>) -> CResult {
    let year = q.year.unwrap_or_else(|| crate::org::today_jakarta().year());
    let axum::Json(cals) = crate::api::policies::list_calendars(State(s.clone()), c.clone()).await?;
    let axum::Json(hols) =
        crate::api::policies::list_holidays(State(s.clone()), c.clone(), Query(YearQuery { year: Some(year) })).await?;
    let axum::Json(rules) = crate::api::policies::list_rule_sets(State(s.clone()), c.clone()).await?;
    let calendars = cals
        .into_iter()
        .map(|cv| {
            let v = serde_json::to_value(&cv.calendar).unwrap_or_default();
            let days = v
                .get("weekly")
                .and_then(|w| w.as_array())
                .map(|w| {
                    const NAMES: [&str; 7] = ["Sen", "Sel", "Rab", "Kam", "Jum", "Sab", "Min"];
                    w.iter()
                        .enumerate()
                        .map(|(i, d)| {
                            let name = NAMES.get(i).copied().unwrap_or("?");
                            match d.get("checkpoints").and_then(|c| c.as_array()) {
                                Some(cps) => {
                                    let parts: Vec<String> = cps
                                        .iter()
                                        .map(|cp| {
                                            format!(
                                                "{} {}",
                                                cp.get("name").and_then(|x| x.as_str()).unwrap_or(""),
                                                cp.get("due").and_then(|x| x.as_str()).unwrap_or("")
                                            )
                                        })
                                        .collect();
                                    format!("{name}: {}", parts.join(", "))
                                }
                                None => format!("{name}: libur"),
                            }
                        })
                        .collect()
                })
                .unwrap_or_default();
            CalLine {
                name: cv.name,
                is_default: cv.is_default,
                hours: format!("{} j {} m/minggu", cv.weekly_minutes / 60, cv.weekly_minutes % 60),
                days,
                assigned: cv
                    .assigned_to
                    .iter()
                    .filter_map(|a| a.unit_code.clone().or(a.nip.clone()))
                    .collect::<Vec<_>>()
                    .join(", "),
            }
        })
        .collect();
    let rules = rules
        .into_iter()
        .map(|r| {
            let v = serde_json::to_value(&r.rules).unwrap_or_default();
            let g = |k: &str| v.get(k).map(|x| x.to_string()).unwrap_or_else(|| "-".into());
            RuleLine {
                summary: format!(
                    "TK per hari {}%, batas bulanan {}%, porsi TPP {}%, uji coba {}",
                    g("tk_per_day"),
                    g("monthly_cap"),
                    g("tpp_share"),
                    if v.get("trial_mode").and_then(|x| x.as_bool()).unwrap_or(false) { "ya" } else { "tidak" }
                ),
                name: r.name,
                effective_from: r.effective_from,
            }
        })
        .collect();
    Ok(html(&PoliciesPage { nav: Nav::new(&s, &c, "policies"), year, calendars, holidays: hols, rules }))
}

#[derive(Deserialize)]
pub struct HolidayForm {
    pub date: String,
    pub kind: String,
    pub name: String,
    pub unit_code: Option<String>,
}

/// `POST /admin/policies/holidays` (admin, as the API).
pub async fn create_holiday(State(s): State<AppState>, Console(c): Console, Form(f): Form<HolidayForm>) -> CResult {
    let input = HolidayInput {
        date: f.date,
        kind: f.kind,
        name: f.name,
        unit_code: f.unit_code.filter(|u| !u.trim().is_empty()),
    };
    let (_, axum::Json(h)) = crate::api::policies::create_holiday(State(s), c, ApiJson(input)).await?;
    Ok(super::notice(format!("Hari libur {} ({}) ditambahkan.", h.name, h.date)))
}
