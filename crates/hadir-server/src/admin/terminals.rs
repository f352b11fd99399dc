//! Terminals: the list (serial, unit, address, last contact, state, users and records), approval
//! of pending ones (admin; operators propose), registering a serial read off a terminal (which
//! approves it when it already called in), "Kunci ke alamat ini" (bind to the address it last
//! spoke from), discarding a pending one with its quarantined punches, "Sinkron pegawai" with the
//! queued commands and their results, and the relays. Every action is the API's handler.

use super::{CResult, Console, Nav, html, short_time};
use crate::api::devices::{
    ApproveInput, BindInput, CommandView, DeviceInput, DeviceQuery, DeviceView, approve_device, bind_device,
    discard_device, list_commands, list_devices, register_device, sync_employees,
};
use crate::json::ApiJson;
use crate::state::AppState;
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use serde::Deserialize;

pub struct Row {
    pub d: DeviceView,
    pub state_label: &'static str,
    pub state_key: &'static str,
    pub last_seen: String,
    pub ip: String,
    pub unit: String,
}

fn row(d: DeviceView, tz: &jiff::tz::TimeZone) -> Row {
    let (state_key, state_label) = match (d.state.as_str(), d.silent) {
        ("pending", _) => ("pending", "Menunggu persetujuan"),
        ("active", true) => ("silent", "Senyap"),
        ("active", false) => ("active", "Aktif"),
        _ => ("disabled", "Nonaktif"),
    };
    Row {
        last_seen: d.last_seen.as_deref().map(|t| super::zoned_text(tz, t)).unwrap_or_else(|| "belum pernah".into()),
        ip: d.ip.clone().or(d.lan_address.clone()).unwrap_or_else(|| "-".into()),
        unit: match (&d.unit_code, &d.unit_name) {
            (Some(c), Some(n)) => format!("{n} ({c})"),
            _ => "-".into(),
        },
        state_key,
        state_label,
        d,
    }
}

pub struct RelayRow {
    pub name: String,
    pub unit_code: String,
    pub last_seen: String,
    pub revoked: bool,
    pub terminals: Vec<String>,
}

#[derive(Template)]
#[template(path = "admin/terminals.html")]
struct TerminalsPage {
    nav: Nav,
    rows: Vec<Row>,
    units: Vec<(String, String)>,
    relays: Vec<RelayRow>,
    can_manage: bool,
}

/// `GET /admin/terminals`.
pub async fn page(State(s): State<AppState>, Console(c): Console) -> CResult {
    let q = DeviceQuery { state: None, unit: None };
    let axum::Json(list) = list_devices(State(s.clone()), c.clone(), Query(q)).await?;
    let units: Vec<(String, String)> =
        super::manageable_units(&s, &c).await?.into_iter().map(|u| (u.code, u.name)).collect();
    let mut relays = Vec::new();
    if c.is_admin {
        for r in s.store.list_relays().await? {
            let terminals = list
                .items
                .iter()
                .filter(|d| d.relay_id == Some(r.id))
                .map(|d| format!("{} ({})", d.sn, d.lan_address.clone().unwrap_or_default()))
                .collect();
            relays.push(RelayRow {
                name: r.name,
                unit_code: r.unit_code,
                last_seen: r
                    .last_seen
                    .map(|t| super::zoned_time(&s.config.regency_zone(), t))
                    .unwrap_or_else(|| "belum pernah".into()),
                revoked: r.revoked,
                terminals,
            });
        }
    }
    let tz = s.config.regency_zone();
    let mut rows: Vec<Row> = list.items.into_iter().map(|d| row(d, &tz)).collect();
    rows.sort_by_key(|r| (r.state_key != "pending", r.d.sn.clone()));
    let can_manage = !units.is_empty();
    Ok(html(&TerminalsPage { nav: Nav::new(&s, &c, "terminals"), rows, units, relays, can_manage }))
}

#[derive(Deserialize)]
pub struct RegisterForm {
    pub sn: String,
    pub unit_code: String,
}

/// `POST /admin/terminals`: register a serial to a unit (approves it if it already called in).
pub async fn register(State(s): State<AppState>, Console(c): Console, Form(f): Form<RegisterForm>) -> CResult {
    let input = DeviceInput { sn: f.sn, unit_code: f.unit_code, timezone: None };
    let (_, axum::Json(d)) = register_device(State(s), c, ApiJson(input)).await?;
    Ok(super::notice(format!(
        "Mesin {} terdaftar di unit {} dan aktif.",
        d.sn,
        d.unit_name.clone().unwrap_or_default()
    )))
}

#[derive(Deserialize)]
pub struct ApproveForm {
    pub unit_code: String,
}

/// `POST /admin/terminals/{sn}/bind`: "Kunci ke alamat ini" (the address it last spoke from).
pub async fn bind(State(s): State<AppState>, Console(c): Console, Path(sn): Path<String>) -> CResult {
    let input = BindInput { from_last_seen: true, ..Default::default() };
    let axum::Json(d) = bind_device(State(s), c, Path(sn), ApiJson(input)).await?;
    Ok(super::notice(format!(
        "Mesin {} dikunci ke alamat {}; permintaan dari alamat lain ditolak.",
        d.sn,
        d.bound_cidr.clone().unwrap_or_default()
    )))
}

/// `POST /admin/terminals/{sn}/unbind`: remove the address binding.
pub async fn unbind(State(s): State<AppState>, Console(c): Console, Path(sn): Path<String>) -> CResult {
    let input = BindInput { clear: true, ..Default::default() };
    let axum::Json(d) = bind_device(State(s), c, Path(sn), ApiJson(input)).await?;
    Ok(super::notice(format!("Kunci alamat mesin {} dibuka.", d.sn)))
}

/// `POST /admin/terminals/{sn}/discard`: a pending terminal and its quarantined punches (admin).
pub async fn discard(State(s): State<AppState>, Console(c): Console, Path(sn): Path<String>) -> CResult {
    let axum::Json(r) = discard_device(State(s), c, Path(sn)).await?;
    Ok(super::notice(format!("Mesin {} dibuang bersama {} presensi yang tertahan.", r.sn, r.discarded)))
}

/// `POST /admin/terminals/{sn}/approve`: a pending terminal into a unit (admin, as the API).
pub async fn approve(
    State(s): State<AppState>,
    Console(c): Console,
    Path(sn): Path<String>,
    Form(f): Form<ApproveForm>,
) -> CResult {
    let input = ApproveInput { unit_code: f.unit_code, timezone: None };
    let axum::Json(r) = approve_device(State(s), c, Path(sn), ApiJson(input)).await?;
    Ok(super::notice(format!(
        "Mesin {} disetujui untuk {}; {} presensi yang tertahan masuk ke data presensi.",
        r.device.sn,
        r.device.unit_name.clone().unwrap_or_default(),
        r.released
    )))
}

#[derive(Template)]
#[template(path = "admin/commands.html")]
struct Commands {
    sn: String,
    summary: String,
    items: Vec<(CommandView, String, &'static str)>,
}

fn command_state(s: &str) -> &'static str {
    match s {
        "queued" => "Dalam antrean",
        "sent" => "Terkirim",
        "ok" => "Berhasil",
        "error" => "Gagal",
        _ => "?",
    }
}

async fn commands_fragment(s: &AppState, c: crate::auth::Caller, sn: String, summary: String) -> CResult {
    let axum::Json(list) = list_commands(State(s.clone()), c, Path(sn.clone())).await?;
    let items = list
        .items
        .into_iter()
        .take(200)
        .map(|x| (short_time(&x.created_at), command_state(&x.state), x))
        .map(|(t, st, x)| (x, t, st))
        .collect();
    Ok(html(&Commands { sn, summary, items }))
}

/// `POST /admin/terminals/{sn}/sync`: "Sinkron pegawai", then the terminal's commands.
pub async fn sync(State(s): State<AppState>, Console(c): Console, Path(sn): Path<String>) -> CResult {
    let axum::Json(r) = sync_employees(State(s.clone()), c.clone(), Path(sn.clone())).await?;
    let mut summary = format!(
        "Sinkron pegawai: {} perintah diantrikan ({} pegawai ditulis, {} dihapus).",
        r.queued, r.updates, r.deletes
    );
    if r.relay_sync {
        summary.push_str(" Penerus data kantor diminta menulis daftar pegawai ke mesin ini.");
    }
    commands_fragment(&s, c, sn, summary).await
}

/// `GET /admin/terminals/{sn}/commands`.
pub async fn commands(State(s): State<AppState>, Console(c): Console, Path(sn): Path<String>) -> CResult {
    commands_fragment(&s, c, sn, String::new()).await
}
