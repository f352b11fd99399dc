//! The BKD's monthly view of fraud signals per unit (issue 23): how many, which kinds, who
//! accepted or rejected the punches they held. The API's summary, as a page; and the new
//! devices (phones) waiting for acceptance in the caller's units, decided through the API's logic.

use super::{CResult, Console, Nav, html};
use crate::api::signals::{SummaryQuery, UnitSignals};
use crate::error::ApiError;
use crate::state::AppState;
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
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

/// One new device waiting for acceptance, as a clerk reads it.
struct PendingDevice {
    id: i64,
    name: String,
    nip: String,
    unit: String,
    /// The first 12 hex digits of the key's id.
    device: String,
    first_seen: String,
    /// `nomor N (YYYY-MM-DD)` of the punches this employee signed with it.
    punches: Vec<String>,
}

#[derive(Template)]
#[template(path = "admin/signal_devices.html")]
struct DevicesPage {
    nav: Nav,
    devices: Vec<PendingDevice>,
}

/// `GET /admin/tanda/perangkat`: new devices of employees in the caller's units (never the
/// caller's own), with the punches signed with them, to accept or reject.
pub async fn devices(State(s): State<AppState>, Console(c): Console) -> CResult {
    let q = crate::api::signals::KeysQuery { state: Some("pending".into()) };
    let axum::Json(keys) = crate::api::signals::list_device_keys(State(s.clone()), c.clone(), Query(q)).await?;
    let key_ids: Vec<String> = keys.iter().map(|k| k.key_id.clone()).collect();
    let signed = if key_ids.is_empty() {
        Vec::new()
    } else {
        s.store.punch_devices_of(&key_ids).await.map_err(ApiError::from)?
    };
    let tz = s.config.regency_zone();
    let mut devices = Vec::new();
    for k in keys {
        let stored = s.store.device_key(k.id).await.map_err(ApiError::from)?;
        let mut punches: Vec<String> = signed
            .iter()
            .filter(|p| p.key_id == k.key_id && p.employee_id == stored.employee_id)
            .map(|p| format!("nomor {} ({})", p.punch_id, p.day))
            .collect();
        punches.reverse();
        devices.push(PendingDevice {
            id: k.id,
            name: k.employee_name.unwrap_or_default(),
            nip: k.employee_nip.unwrap_or_else(|| "-".into()),
            unit: k.unit_code.unwrap_or_default(),
            device: k.key_id.chars().take(12).collect(),
            first_seen: super::zoned_time(&tz, stored.created_at),
            punches,
        });
    }
    Ok(html(&DevicesPage { nav: Nav::new(&s, &c, "signals"), devices }))
}

#[derive(Deserialize)]
pub struct DeviceDecision {
    /// `accept` or `reject`.
    pub decision: String,
}

/// `POST /admin/tanda/perangkat/{id}`: the API's decision (scope, never one's own device,
/// audited with the decision); the result as a notice.
pub async fn decide_device(
    State(s): State<AppState>,
    Console(c): Console,
    Path(id): Path<i64>,
    Form(f): Form<DeviceDecision>,
) -> CResult {
    let accept = match f.decision.as_str() {
        "accept" => true,
        "reject" => false,
        _ => {
            return Err(ApiError::unprocessable("invalid_decision", "Keputusan harus terima atau tolak.").into());
        }
    };
    let k = crate::api::signals::decide_key(&s, &c, id, accept).await?;
    let who = k.employee_name.unwrap_or_default();
    Ok(super::notice(if accept {
        format!("Perangkat baru {who} diterima; absen dari perangkat itu tidak ditandai lagi.")
    } else {
        format!("Perangkat baru {who} ditolak.")
    }))
}
