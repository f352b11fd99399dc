//! Who viewed whose personal data (admin; issue 17): the API's access log, newest first, paged,
//! by employee or by viewer.

use super::{CResult, Console, Nav, html};
use crate::api::privacy::{AccessQuery, AccessView};
use crate::state::AppState;
use askama::Template;
use axum::extract::{Query, State};
use serde::Deserialize;

#[derive(Template)]
#[template(path = "admin/access.html")]
struct AccessPage {
    nav: Nav,
    employee: String,
    viewer: String,
    items: Vec<AccessView>,
    total: u64,
    next: Option<u32>,
    prev: Option<u32>,
}

#[derive(Deserialize)]
pub struct PageQuery {
    pub employee: Option<String>,
    pub viewer: Option<String>,
    pub offset: Option<u32>,
}

const PAGE: u32 = 100;

/// `GET /admin/akses`.
pub async fn page(State(s): State<AppState>, Console(c): Console, Query(q): Query<PageQuery>) -> CResult {
    let employee = q.employee.unwrap_or_default().trim().to_string();
    let viewer = q.viewer.unwrap_or_default().trim().to_string();
    let offset = q.offset.unwrap_or(0);
    let aq = AccessQuery {
        employee: Some(employee.clone()),
        viewer: Some(viewer.clone()),
        offset: Some(offset),
        limit: Some(PAGE),
    };
    let axum::Json(page) = crate::api::privacy::access_log(State(s.clone()), c.clone(), Query(aq)).await?;
    Ok(html(&AccessPage {
        nav: Nav::new(&s, &c, "access"),
        employee,
        viewer,
        items: page
            .items
            .into_iter()
            .map(|mut a| {
                a.item = item_words(&a.item);
                a
            })
            .collect(),
        next: (u64::from(offset + PAGE) < page.total).then_some(offset + PAGE),
        prev: (offset > 0).then(|| offset.saturating_sub(PAGE)),
        total: page.total,
    }))
}

/// What was looked at, in words: `punch:12` → "absen nomor 12", `days:2026-05` → "catatan
/// hari 2026-05", `request:3/attachment:4` → "lampiran 4 permohonan nomor 3", `review` → "daftar
/// absen yang diperiksa".
fn item_words(item: &str) -> String {
    if item == "review" {
        return "daftar absen yang diperiksa".into();
    }
    if let Some(id) = item.strip_prefix("punch:") {
        return format!("absen nomor {id}");
    }
    if let Some(m) = item.strip_prefix("days:") {
        return if m.is_empty() { "catatan hari bulan ini".into() } else { format!("catatan hari {m}") };
    }
    if let Some((r, a)) = item.strip_prefix("request:").and_then(|r| r.split_once("/attachment:")) {
        return format!("lampiran {a} permohonan nomor {r}");
    }
    item.to_string()
}
