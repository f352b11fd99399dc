//! "Kanal presensi" (issue 25): the channel policy rows (which channels count for whom, from
//! which date, and whether attendance is recorded yet) and, for admins, the form that adds a
//! row through the API's handler (audited; recorded days from its date are recomputed).

use super::{CResult, Console, Nav, html};
use crate::api::channels::{ChannelPolicyInput, ChannelPolicyView, add_channel_policy, list_channel_policies};
use crate::json::ApiJson;
use crate::state::AppState;
use askama::Template;
use axum::Form;
use axum::extract::State;
use hadir_domain::channels::Channel;
use hadir_store::Scope;
use serde::Deserialize;

pub struct Row {
    pub unit: String,
    pub category: String,
    pub from: String,
    pub channels: String,
    pub recorded: bool,
    pub by: String,
}

#[derive(Template)]
#[template(path = "admin/channels.html")]
struct ChannelsPage {
    nav: Nav,
    rows: Vec<Row>,
    units: Vec<(String, String)>,
    channels: Vec<(&'static str, &'static str)>,
}

fn row(v: ChannelPolicyView) -> Row {
    let labels: Vec<&str> = v.channels.iter().filter_map(|c| Channel::parse(c)).map(|c| c.label()).collect();
    Row {
        unit: v.unit_code.unwrap_or_else(|| "Seluruh kabupaten".into()),
        category: v.category.unwrap_or_else(|| "Semua".into()),
        from: v.effective_from,
        channels: if labels.is_empty() { "-".into() } else { labels.join(", ") },
        recorded: v.recorded,
        by: v.created_by,
    }
}

/// `GET /admin/kanal`.
pub async fn page(State(s): State<AppState>, Console(c): Console) -> CResult {
    let axum::Json(list) = list_channel_policies(State(s.clone()), c.clone()).await?;
    let units = if c.is_admin {
        s.store.list_units(&Scope::All).await?.into_iter().map(|u| (u.code, u.name)).collect()
    } else {
        Vec::new()
    };
    let channels = Channel::ALL.iter().map(|c| (c.as_str(), c.label())).collect();
    let rows = list.items.into_iter().rev().map(row).collect();
    Ok(html(&ChannelsPage { nav: Nav::new(&s, &c, "channels"), rows, units, channels }))
}

#[derive(Deserialize)]
pub struct PolicyForm {
    #[serde(default)]
    pub unit_code: String,
    #[serde(default)]
    pub category: String,
    #[serde(default)]
    pub effective_from: String,
    pub ch_terminal: Option<String>,
    pub ch_mobile: Option<String>,
    pub ch_kiosk: Option<String>,
    pub ch_relay: Option<String>,
    /// Checked: attendance of these people is not recorded yet.
    pub not_recorded: Option<String>,
}

/// `POST /admin/kanal`: adds a row (admin).
pub async fn save(State(s): State<AppState>, Console(c): Console, Form(f): Form<PolicyForm>) -> CResult {
    let picked = [
        (&f.ch_terminal, Channel::Terminal),
        (&f.ch_mobile, Channel::Mobile),
        (&f.ch_kiosk, Channel::Kiosk),
        (&f.ch_relay, Channel::Relay),
    ];
    let channels = picked.iter().filter(|(v, _)| v.is_some()).map(|(_, c)| c.as_str().to_string()).collect();
    let input = ChannelPolicyInput {
        unit_code: Some(f.unit_code),
        category: Some(f.category),
        effective_from: Some(f.effective_from),
        channels,
        recorded: Some(f.not_recorded.is_none()),
    };
    let (_, axum::Json(r)) = add_channel_policy(State(s), c, ApiJson(input)).await?;
    Ok(super::notice(r.message))
}
