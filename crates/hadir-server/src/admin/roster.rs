//! Shift roster editor (issue 20): a month grid per unit, employees × days, a shift code per
//! cell. Read from the stored roster; saved through the API's own `put_roster` (scope, shift
//! codes of each employee's calendar, audit, recompute), sending only the changed cells.

use super::{CResult, Console, ConsoleError, Nav, html};
use crate::api::employees::EmployeeQuery;
use crate::api::policies::{RosterEntryInput, RosterInput};
use crate::error::ApiError;
use crate::json::ApiJson;
use crate::state::AppState;
use askama::Template;
use axum::extract::{Query, RawForm, State};
use jiff::civil::Date;
use serde::Deserialize;
use std::collections::HashMap;

#[derive(Deserialize, Default)]
pub struct RosterQuery {
    pub unit: Option<String>,
    /// `YYYY-MM`; default this month (regency zone).
    pub month: Option<String>,
}

pub struct Row {
    pub nip: String,
    pub name: String,
    /// Per day: the stored value ("" no roster line, "-" day off, or a shift code).
    pub cells: Vec<String>,
}

#[derive(Template)]
#[template(path = "admin/roster.html")]
struct RosterPage {
    nav: Nav,
    units: Vec<(String, String)>,
    unit: String,
    month: String,
    /// (day of month, weekday letter, date `YYYY-MM-DD`).
    days: Vec<(i8, &'static str, String)>,
    rows: Vec<Row>,
    /// Shift codes and names from the calendars.
    shifts: Vec<(String, String)>,
}

impl RosterPage {
    fn sel(&self, a: &str, b: &str) -> &'static str {
        if a == b { "selected" } else { "" }
    }
}

fn weekday_letter(d: Date) -> &'static str {
    use jiff::civil::Weekday::*;
    match d.weekday() {
        Monday => "Sn",
        Tuesday => "Sl",
        Wednesday => "Rb",
        Thursday => "Km",
        Friday => "Jm",
        Saturday => "Sb",
        Sunday => "Mg",
    }
}

fn month_days(month: &str) -> Result<Vec<Date>, ConsoleError> {
    let bad = || ConsoleError(ApiError::unprocessable("invalid_month", "Bulan harus berformat TTTT-BB, mis. 2026-05."));
    let first: Date = format!("{month}-01").parse().map_err(|_| bad())?;
    if !(2000..=2100).contains(&first.year()) {
        return Err(bad());
    }
    let mut out = Vec::new();
    let mut d = first;
    while d.month() == first.month() {
        out.push(d);
        d = d.tomorrow().map_err(|_| bad())?;
    }
    Ok(out)
}

/// `GET /admin/roster`: the grid of one unit (the caller's managed units) and month.
pub async fn page(State(s): State<AppState>, Console(c): Console, Query(q): Query<RosterQuery>) -> CResult {
    let units: Vec<(String, String)> =
        super::manageable_units(&s, &c).await?.into_iter().map(|u| (u.code, u.name)).collect();
    if units.is_empty() {
        return Err(ApiError::forbidden().into());
    }
    let unit = q.unit.filter(|u| !u.trim().is_empty()).unwrap_or_else(|| units[0].0.clone());
    if !units.iter().any(|(code, _)| *code == unit) {
        return Err(ApiError::not_found("Unit kerja").into());
    }
    let month = q.month.filter(|m| !m.trim().is_empty()).unwrap_or_else(|| {
        let today = jiff::Timestamp::now().to_zoned_datetime(s.config.regency_zone()).date();
        format!("{:04}-{:02}", today.year(), today.month())
    });
    let dates = month_days(month.trim())?;
    let eq = EmployeeQuery {
        unit: Some(unit.clone()),
        q: None,
        category: None,
        active: Some(true),
        offset: None,
        limit: Some(200),
    };
    let axum::Json(list) = crate::api::employees::list_employees(State(s.clone()), c.clone(), Query(eq)).await?;
    let (from, to) = (dates[0], dates[dates.len() - 1]);
    let ids: std::collections::HashSet<i64> = list.items.iter().map(|e| e.id).collect();
    let mut stored: HashMap<(i64, Date), String> = HashMap::new();
    for r in s.store.list_roster(None, from, to).await? {
        if ids.contains(&r.employee_id) {
            stored.insert((r.employee_id, r.date), r.shift.unwrap_or_else(|| "-".into()));
        }
    }
    let rows = list
        .items
        .iter()
        .map(|e| Row {
            nip: e.login.clone(),
            name: e.name.clone(),
            cells: dates.iter().map(|d| stored.get(&(e.id, *d)).cloned().unwrap_or_default()).collect(),
        })
        .collect();
    let axum::Json(cals) = crate::api::policies::list_calendars(State(s.clone()), c.clone()).await?;
    let mut shifts: Vec<(String, String)> = Vec::new();
    for cal in cals {
        for sh in cal.calendar.shifts {
            if !shifts.iter().any(|(code, _)| *code == sh.code) {
                shifts.push((sh.code.clone(), sh.name.clone()));
            }
        }
    }
    Ok(html(&RosterPage {
        nav: Nav::new(&s, &c, "policies"),
        units,
        unit,
        month: month.trim().to_string(),
        days: dates.iter().map(|d| (d.day(), weekday_letter(*d), d.to_string())).collect(),
        rows,
        shifts,
    }))
}

/// `POST /admin/roster`: cells `c|NIP|YYYY-MM-DD` with their shown value `o|NIP|YYYY-MM-DD`;
/// only changed cells go to `api::policies::put_roster` (all or nothing).
pub async fn save(State(s): State<AppState>, Console(c): Console, RawForm(body): RawForm) -> CResult {
    let pairs = super::inbox::form_pairs(&body);
    let original: HashMap<&str, &str> =
        pairs.iter().filter_map(|(k, v)| k.strip_prefix("o|").map(|k| (k, v.as_str()))).collect();
    let mut entries = Vec::new();
    for (k, v) in &pairs {
        let Some(key) = k.strip_prefix("c|") else { continue };
        if original.get(key).copied() == Some(v.as_str()) {
            continue;
        }
        let Some((nip, date)) = key.split_once('|') else {
            return Err(
                ApiError::unprocessable("invalid_roster", "Isian jadwal tidak dikenal; muat ulang halaman.").into()
            );
        };
        let v = v.trim();
        entries.push(RosterEntryInput {
            nip: nip.to_string(),
            date: date.to_string(),
            shift: (!v.is_empty() && v != "-").then(|| v.to_string()),
            clear: v.is_empty(),
        });
    }
    if entries.is_empty() {
        return Ok(super::notice("Tidak ada perubahan jadwal."));
    }
    let axum::Json(r) = crate::api::policies::put_roster(State(s), c, ApiJson(RosterInput { entries })).await?;
    Ok(super::notice(format!("Jadwal shift disimpan: {} sel diubah. Muat ulang untuk melihat hasilnya.", r.updated)))
}
