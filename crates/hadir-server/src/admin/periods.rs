//! Special periods (issue 20): a calendar's date-range overrides such as Ramadan, each with its
//! own weekly pattern. Listed per calendar; admins add a period with the Ramadan pattern or
//! remove one. Saved as the whole calendar through `api::policies::update_calendar` (its
//! validation, audit, recompute of everyone using the calendar).

use super::{CResult, Console, ConsoleError, Nav, html};
use crate::error::ApiError;
use crate::json::ApiJson;
use crate::state::AppState;
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use hadir_domain::{ScheduleOverride, WeeklyPattern};
use jiff::civil::Date;
use serde::Deserialize;

pub struct PeriodLine {
    pub name: String,
    pub date_from: String,
    pub date_to: String,
    pub pattern: &'static str,
}

#[derive(Template)]
#[template(path = "admin/periods.html")]
struct PeriodsPage {
    nav: Nav,
    calendars: Vec<(i64, String)>,
    calendar: i64,
    calendar_name: String,
    periods: Vec<PeriodLine>,
}

impl PeriodsPage {
    fn sel(&self, id: &i64) -> &'static str {
        if *id == self.calendar { "selected" } else { "" }
    }
}

#[derive(Deserialize, Default)]
pub struct PeriodsQuery {
    pub calendar: Option<i64>,
}

/// `GET /admin/periods?calendar=ID`.
pub async fn page(State(s): State<AppState>, Console(c): Console, Query(q): Query<PeriodsQuery>) -> CResult {
    let axum::Json(cals) = crate::api::policies::list_calendars(State(s.clone()), c.clone()).await?;
    let Some(first) = cals.first().map(|v| v.id) else {
        return Err(ApiError::not_found("Kalender kerja").into());
    };
    let id = q.calendar.unwrap_or(first);
    let cal = cals.iter().find(|v| v.id == id).ok_or_else(|| ConsoleError(ApiError::not_found("Kalender kerja")))?;
    let ramadan = WeeklyPattern::ramadan();
    let periods = cal
        .calendar
        .overrides
        .iter()
        .map(|o| PeriodLine {
            name: o.name.clone(),
            date_from: o.date_from.to_string(),
            date_to: o.date_to.to_string(),
            pattern: if o.weekly == ramadan { "jam kerja Ramadan" } else { "pola khusus" },
        })
        .collect();
    Ok(html(&PeriodsPage {
        nav: Nav::new(&s, &c, "policies"),
        calendar: id,
        calendar_name: cal.name.clone(),
        calendars: cals.iter().map(|v| (v.id, v.name.clone())).collect(),
        periods,
    }))
}

#[derive(Deserialize)]
pub struct PeriodForm {
    pub name: String,
    pub date_from: String,
    pub date_to: String,
    /// `add` or `remove`.
    pub action: String,
}

fn day(v: &str, what: &str) -> Result<Date, ConsoleError> {
    v.trim().parse::<Date>().map_err(|_| {
        ConsoleError(ApiError::unprocessable("invalid_date", format!("{what} harus berupa tanggal (TTTT-BB-HH).")))
    })
}

/// `POST /admin/periods/{calendar}`: adds a period with the Ramadan pattern, or removes one.
pub async fn save(
    State(s): State<AppState>,
    Console(c): Console,
    Path(id): Path<i64>,
    Form(f): Form<PeriodForm>,
) -> CResult {
    c.require_admin()?;
    let name = f.name.trim().to_string();
    let (from, to) = (day(&f.date_from, "Tanggal mulai")?, day(&f.date_to, "Tanggal selesai")?);
    let axum::Json(cals) = crate::api::policies::list_calendars(State(s.clone()), c.clone()).await?;
    let mut cal = cals
        .into_iter()
        .find(|v| v.id == id)
        .ok_or_else(|| ConsoleError(ApiError::not_found("Kalender kerja")))?
        .calendar;
    let message = match f.action.as_str() {
        "add" => {
            if name.is_empty() || name.chars().count() > 100 {
                return Err(ApiError::unprocessable(
                    "period_name_required",
                    "Nama periode wajib diisi (1–100 karakter).",
                )
                .into());
            }
            if to < from || from.until(to).map(|span| span.get_days() > 366).unwrap_or(true) {
                return Err(ApiError::unprocessable(
                    "invalid_period",
                    "Tanggal selesai harus sama atau sesudah tanggal mulai, paling lama satu tahun.",
                )
                .into());
            }
            if cal.overrides.iter().any(|o| o.date_from <= to && from <= o.date_to) {
                return Err(ApiError::unprocessable(
                    "period_overlap",
                    "Periode ini bertumpang tindih dengan periode khusus lain di kalender ini.",
                )
                .into());
            }
            cal.overrides.push(ScheduleOverride::ramadan(&name, from, to));
            format!("Periode {name} ({from} s.d. {to}) ditambahkan.")
        }
        "remove" => {
            let before = cal.overrides.len();
            cal.overrides.retain(|o| !(o.name == name && o.date_from == from && o.date_to == to));
            if cal.overrides.len() == before {
                return Err(ApiError::not_found("Periode khusus").into());
            }
            format!("Periode {name} dihapus.")
        }
        _ => return Err(ApiError::unprocessable("invalid_action", "Tindakan tidak dikenal.").into()),
    };
    let axum::Json(_) = crate::api::policies::update_calendar(State(s), c, Path(id), ApiJson(cal)).await?;
    Ok(super::notice(format!("{message} Hari-hari pegawai yang memakai kalender ini dihitung ulang.")))
}
