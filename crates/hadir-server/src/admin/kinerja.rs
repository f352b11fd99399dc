//! Validation of daily work reports (issue 22): `/admin/kinerja` lists the waiting activities
//! of the caller's unit subtrees grouped per person and week; the head (or an operator) approves
//! or returns the ticked ones, or a whole person-week at once. Every decision goes through
//! `api::kinerja::validate` (scope, "never your own", all or nothing, audit).

use super::inbox::form_pairs;
use super::{CResult, Console, Nav, html};
use crate::api::kinerja::{ActivitiesQuery, ActivityView, ValidateBody};
use crate::error::ApiError;
use crate::json::ApiJson;
use crate::state::AppState;
use askama::Template;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect};
use hadir_store::Id;
use serde::Deserialize;

pub struct Group {
    pub employee_login: String,
    pub employee_name: String,
    /// Monday of the ISO week, `YYYY-MM-DD`.
    pub week_of: String,
    pub week_label: String,
    pub minutes: u32,
    pub items: Vec<ActivityView>,
    pub can_validate: bool,
}

#[derive(Template)]
#[template(path = "admin/kinerja.html")]
struct KinerjaPage {
    nav: Nav,
    state: String,
    employee: String,
    done: Option<usize>,
    groups: Vec<Group>,
}

#[derive(Deserialize)]
pub struct PageQuery {
    pub state: Option<String>,
    pub employee: Option<String>,
    pub done: Option<usize>,
}

fn monday(date: &str) -> Option<jiff::civil::Date> {
    let d: jiff::civil::Date = date.parse().ok()?;
    d.checked_sub(jiff::Span::new().days(i64::from(d.weekday().to_monday_zero_offset()))).ok()
}

fn duration(min: u32) -> String {
    match (min / 60, min % 60) {
        (0, m) => format!("{m} menit"),
        (h, 0) => format!("{h} jam"),
        (h, m) => format!("{h} jam {m} menit"),
    }
}

/// `GET /admin/kinerja`.
pub async fn page(State(s): State<AppState>, Console(c): Console, Query(q): Query<PageQuery>) -> CResult {
    let state = q.state.clone().filter(|x| !x.trim().is_empty()).unwrap_or_else(|| "submitted".into());
    let employee = q.employee.clone().unwrap_or_default().trim().to_string();
    let aq = ActivitiesQuery {
        employee: Some(employee.clone()).filter(|e| !e.is_empty()),
        state: Some(state.clone()),
        from: None,
        to: None,
    };
    let axum::Json(list) = crate::api::kinerja::list_activities(State(s.clone()), c.clone(), Query(aq)).await?;
    let mut groups: Vec<Group> = Vec::new();
    for a in list.items {
        let week = monday(&a.date).map(|d| d.to_string()).unwrap_or_default();
        let at = groups.iter().position(|g| g.employee_login == a.employee_login && g.week_of == week);
        let g = match at {
            Some(i) => &mut groups[i],
            None => {
                let label = monday(&a.date)
                    .map(|m| {
                        let sun = m.checked_add(jiff::Span::new().days(6)).unwrap_or(m);
                        format!("{} s.d. {}", m.strftime("%d-%m-%Y"), sun.strftime("%d-%m-%Y"))
                    })
                    .unwrap_or_default();
                groups.push(Group {
                    employee_login: a.employee_login.clone(),
                    employee_name: a.employee_name.clone(),
                    week_of: week,
                    week_label: label,
                    minutes: 0,
                    items: Vec::new(),
                    can_validate: false,
                });
                groups.last_mut().expect("just pushed")
            }
        };
        g.minutes += a.minutes;
        g.can_validate |= a.can_validate;
        g.items.push(a);
    }
    Ok(html(&KinerjaPage { nav: Nav::new(&s, &c, "kinerja"), state, employee, done: q.done, groups }))
}

impl Group {
    pub fn total(&self) -> String {
        duration(self.minutes)
    }
}

/// `POST /admin/kinerja/validate`: `decision` = `approve` | `return`, `note`, and either ticked
/// `id`s or `whole_week` with `employee` and `week_of`.
pub async fn validate(
    State(s): State<AppState>,
    Console(c): Console,
    axum::extract::RawForm(body): axum::extract::RawForm,
) -> CResult {
    let pairs = form_pairs(&body);
    let get = |k: &str| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.trim().to_string());
    let approve = match get("decision").as_deref() {
        Some("approve") => true,
        Some("return") => false,
        _ => return Err(ApiError::unprocessable("invalid_decision", "Pilih Setujui atau Kembalikan.").into()),
    };
    let ids: Vec<Id> = pairs
        .iter()
        .filter(|(n, _)| n == "id")
        .map(|(_, v)| {
            v.trim()
                .parse::<Id>()
                .map_err(|_| ApiError::unprocessable("invalid_selection", "Pilihan tidak dikenal; muat ulang halaman."))
        })
        .collect::<Result<_, _>>()?;
    let whole_week = get("whole_week").is_some_and(|v| v == "1");
    let body = if whole_week {
        ValidateBody { ids: None, employee: get("employee"), week_of: get("week_of"), approve, note: get("note") }
    } else {
        if ids.is_empty() {
            return Err(
                ApiError::unprocessable("nothing_selected", "Centang dulu kegiatan yang akan divalidasi.").into()
            );
        }
        ValidateBody { ids: Some(ids), employee: None, week_of: None, approve, note: get("note") }
    };
    let axum::Json(r) = crate::api::kinerja::validate(State(s), c, ApiJson(body)).await?;
    Ok(Redirect::to(&format!("/admin/kinerja?done={}", r.validated)).into_response())
}

/// `GET /admin/kinerja/{id}/attachment`: the API's access check and access log.
pub async fn attachment(
    State(s): State<AppState>,
    Console(c): Console,
    axum::extract::Path(id): axum::extract::Path<Id>,
) -> CResult {
    Ok(crate::api::kinerja::get_attachment(State(s), c, axum::extract::Path(id)).await?)
}
