//! The audit trail (admin): the API's list, newest first, paged.

use super::{CResult, Console, Nav, html};
use crate::api::audit::{AuditQuery, AuditView};
use crate::state::AppState;
use askama::Template;
use axum::extract::{Query, State};
use serde::Deserialize;

#[derive(Template)]
#[template(path = "admin/audit.html")]
struct AuditPage {
    nav: Nav,
    entity: String,
    items: Vec<(AuditView, String)>,
    total: u64,
    next: Option<u32>,
    prev: Option<u32>,
}

#[derive(Deserialize)]
pub struct PageQuery {
    pub entity: Option<String>,
    pub offset: Option<u32>,
}

const PAGE: u32 = 100;

/// `GET /admin/audit`.
pub async fn page(State(s): State<AppState>, Console(c): Console, Query(q): Query<PageQuery>) -> CResult {
    let entity = q.entity.filter(|e| !e.trim().is_empty());
    let offset = q.offset.unwrap_or(0);
    let aq = AuditQuery { entity: entity.clone(), offset: Some(offset), limit: Some(PAGE) };
    let axum::Json(page) = crate::api::audit::list_audit(State(s.clone()), c.clone(), Query(aq)).await?;
    let tz = s.config.regency_zone();
    let items = page
        .items
        .into_iter()
        .map(|mut a| {
            a.at = super::zoned_text(&tz, &a.at);
            let change = match (&a.before, &a.after) {
                (None, None) => String::new(),
                (b, a) => {
                    let t = |v: &Option<serde_json::Value>| v.as_ref().map(|v| v.to_string()).unwrap_or_default();
                    let mut s = format!("{} → {}", t(b), t(a));
                    if s.len() > 300 {
                        let cut = (0..=300).rev().find(|i| s.is_char_boundary(*i)).unwrap_or(0);
                        s.truncate(cut);
                        s.push('…');
                    }
                    s
                }
            };
            (a, change)
        })
        .collect();
    Ok(html(&AuditPage {
        nav: Nav::new(&s, &c, "audit"),
        entity: entity.unwrap_or_default(),
        items,
        next: (u64::from(offset + PAGE) < page.total).then_some(offset + PAGE),
        prev: (offset > 0).then(|| offset.saturating_sub(PAGE)),
        total: page.total,
    }))
}
