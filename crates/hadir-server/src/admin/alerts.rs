//! "Pemberitahuan" (issue 25): the signed-in operator, head or admin chooses which kinds of
//! notification they receive (the operational alerts, and the reminders too when they are an
//! employee) and sees which browsers are subscribed for them. Reads and saves through the API's
//! own handlers (`/api/v1/me/notification-prefs`, `/api/v1/me/push-subscriptions`): the same
//! store, the same refusals. Only the caller's own choices; nothing here touches anyone else's.

use super::{CResult, Console, Nav, html};
use crate::api::notifications::{KindChoice, PrefsInput, get_prefs, list_subscriptions, put_prefs};
use crate::json::ApiJson;
use crate::state::AppState;
use askama::Template;
use axum::Form;
use axum::extract::State;

pub struct Subscribed {
    pub service: String,
    pub since: String,
}

#[derive(Template)]
#[template(path = "admin/alerts.html")]
struct AlertsPage {
    nav: Nav,
    alerts: Vec<KindChoice>,
    reminders: Vec<KindChoice>,
    subscribed: Vec<Subscribed>,
}

/// `GET /admin/pemberitahuan`.
pub async fn page(State(s): State<AppState>, Console(c): Console) -> CResult {
    let axum::Json(prefs) = get_prefs(State(s.clone()), c.clone()).await?;
    let axum::Json(subs) = list_subscriptions(State(s.clone()), c.clone()).await?;
    let tz = s.config.regency_zone();
    let subscribed = subs
        .items
        .into_iter()
        .map(|p| Subscribed { service: p.service, since: super::zoned_text(&tz, &p.created_at) })
        .collect();
    let (reminders, alerts) = prefs
        .kinds
        .into_iter()
        .partition(|k| crate::notifications::Kind::parse(&k.kind).is_some_and(|k| k.for_employees()));
    Ok(html(&AlertsPage { nav: Nav::new(&s, &c, "alerts"), alerts, reminders, subscribed }))
}

/// `POST /admin/pemberitahuan`: `kind=<kind>` once per checked box; unchecked kinds are off.
pub async fn save(State(s): State<AppState>, Console(c): Console, Form(f): Form<Vec<(String, String)>>) -> CResult {
    let kinds: Vec<String> = f.into_iter().filter(|(k, _)| k == "kind").map(|(_, v)| v).collect();
    let axum::Json(p) = put_prefs(State(s), c, ApiJson(PrefsInput { kinds })).await?;
    let on = p.kinds.iter().filter(|k| k.enabled).count();
    Ok(super::notice(if on == 0 {
        "Pilihan disimpan: Anda tidak akan menerima pemberitahuan apa pun.".to_string()
    } else {
        format!("Pilihan disimpan: {on} jenis pemberitahuan aktif.")
    }))
}
