//! The BKD's monthly view of fraud signals per unit (issue 23): how many, which kinds, who
//! accepted or rejected the punches they held. The API's summary, as a page.

use super::{CResult, Console, Nav, html};
use crate::api::signals::{SummaryQuery, UnitSignals};
use crate::state::AppState;
use askama::Template;
use axum::extract::{Query, State};
use serde::Deserialize;

#[derive(Template)]
#[template(path = "admin/signals.html")]
struct SignalsPage {
    nav: Nav,
    month: String,
    units: Vec<UnitSignals>,
}

#[derive(Deserialize)]
pub struct PageQuery {
    pub month: Option<String>,
}

/// `GET /admin/tanda`.
pub async fn page(State(s): State<AppState>, Console(c): Console, Query(q): Query<PageQuery>) -> CResult {
    let month = q.month.filter(|m| !m.trim().is_empty()).unwrap_or_else(|| {
        let d = crate::days::today_in(&s.config.regency_zone());
        format!("{:04}-{:02}", d.year(), d.month())
    });
    let sq = SummaryQuery { month: month.clone(), unit: None };
    let axum::Json(sum) = crate::api::signals::signal_summary(State(s.clone()), c.clone(), Query(sq)).await?;
    Ok(html(&SignalsPage { nav: Nav::new(&s, &c, "signals"), month, units: sum.units }))
}
