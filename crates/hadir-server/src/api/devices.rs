//! Terminals: the registry (register, approve, list, silent ones), their command queue
//! (sync employees, reboot, clear-and-resend, set time zone) and unmatched punches.

use crate::auth::Caller;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::iclock::punches::release;
use crate::iclock::silence::SilenceRule;
use crate::json::ApiJson;
use crate::state::AppState;
use crate::views::PunchView;
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use hadir_domain::unit_zone;
use hadir_domain::zone::rfc3339_local;
use hadir_store::{
    Audit, Device, DeviceCommand, DeviceFilter, DeviceState, EmployeeFilter, NewDevice, PunchFilter, Scope, StoreError,
};
use hadir_zk::push::{Command, TimeZoneOption, UserUpdate};
use jiff::Timestamp;
use jiff::tz::TimeZone;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use utoipa::{IntoParams, ToSchema};

#[derive(Serialize, ToSchema)]
pub struct DeviceView {
    pub sn: String,
    /// active, pending (unknown serial awaiting approval) or disabled.
    pub state: String,
    /// Active and not heard from for the configured minutes of working hours.
    pub silent: bool,
    pub unit_code: Option<String>,
    pub unit_name: Option<String>,
    /// The zone its clock is read in (override, else the unit's).
    pub timezone: Option<String>,
    pub timezone_override: Option<String>,
    pub model: Option<String>,
    pub firmware: Option<String>,
    pub pushver: Option<String>,
    /// Address its PUSH requests came from.
    pub ip: Option<String>,
    /// The IP the terminal reports about itself.
    pub reported_ip: Option<String>,
    pub last_seen: Option<String>,
    pub users: Option<i64>,
    pub fingerprints: Option<i64>,
    pub records: Option<i64>,
    pub pending_commands: i64,
    /// Set when the terminal is read by an office relay.
    pub relay_id: Option<i64>,
    pub relay_name: Option<String>,
    /// `ip:port` on the office LAN.
    pub lan_address: Option<String>,
    pub last_pull: Option<String>,
    pub reachable: Option<bool>,
    pub last_error: Option<String>,
    pub clock_drift_secs: Option<i64>,
    pub created_at: String,
    /// PUSH requests are accepted only from this address/CIDR; none: from anywhere.
    pub bound_cidr: Option<String>,
    /// The operator who proposed this pending terminal (an admin decides).
    pub proposed_by: Option<String>,
    /// Punches of this terminal waiting in quarantine (outside the chain) for its approval.
    pub quarantined: i64,
}

fn zone_of(d: &Device) -> TimeZone {
    d.zone_name().and_then(|z| unit_zone(z).ok()).unwrap_or(TimeZone::UTC)
}

impl DeviceView {
    pub fn new(d: Device, rule: &SilenceRule, now: Timestamp) -> DeviceView {
        let tz = zone_of(&d);
        let t = |v: Option<Timestamp>| v.map(|v| rfc3339_local(&tz, v));
        DeviceView {
            silent: rule.device_silent(&d, now),
            state: d.state.as_str().into(),
            timezone: d.zone_name().map(Into::into),
            timezone_override: d.timezone,
            unit_code: d.unit_code,
            unit_name: d.unit_name,
            model: d.model,
            firmware: d.firmware,
            pushver: d.pushver,
            ip: d.ip,
            reported_ip: d.reported_ip,
            last_seen: t(d.last_seen),
            users: d.users,
            fingerprints: d.fingerprints,
            records: d.records,
            pending_commands: d.pending_commands,
            relay_id: d.relay_id,
            relay_name: d.relay_name,
            lan_address: d.lan_address,
            last_pull: t(d.last_pull),
            reachable: d.reachable,
            last_error: d.last_error,
            clock_drift_secs: d.clock_drift_secs,
            created_at: rfc3339_local(&tz, d.created_at),
            bound_cidr: d.bound_cidr,
            proposed_by: d.proposed_by,
            quarantined: d.quarantined,
            sn: d.sn,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct DeviceList {
    pub items: Vec<DeviceView>,
}

fn rule(s: &AppState) -> SilenceRule {
    SilenceRule::from_config(&s.config.terminals)
}

fn view(s: &AppState, d: Device) -> DeviceView {
    DeviceView::new(d, &rule(s), Timestamp::now())
}

/// Serial numbers as terminals send them: letters, digits, `-`, `_`, `.`; at most 64.
fn valid_sn(sn: &str) -> bool {
    (1..=64).contains(&sn.len()) && sn.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

fn check_zone(tz: &Option<String>) -> ApiResult<Option<String>> {
    match tz.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        None => Ok(None),
        Some(t) => unit_zone(t).map(|_| Some(t.to_string())).map_err(|_| {
            ApiError::unprocessable(
                "invalid_timezone",
                format!("Zona waktu '{t}' tidak dikenal (contoh: Asia/Jakarta, Asia/Makassar, Asia/Jayapura)."),
            )
            .with_details(serde_json::json!({"field": "timezone"}))
        }),
    }
}

async fn manageable_unit(s: &AppState, caller: &Caller, unit_code: &str) -> ApiResult<hadir_store::Unit> {
    let unit = s.store.unit_by_code(unit_code).await.map_err(|_| {
        ApiError::unprocessable("unknown_unit", format!("Unit kerja '{unit_code}' tidak ditemukan."))
            .with_details(serde_json::json!({"field": "unit_code"}))
    })?;
    if caller.can_manage_unit(&unit.path) { Ok(unit) } else { Err(ApiError::forbidden()) }
}

fn device_not_found() -> ApiError {
    ApiError::not_found("Mesin absen")
}

/// A terminal the caller may see: in a unit they read, or any terminal for admins (pending ones
/// have no unit and are seen by admins only).
async fn device_in_scope(s: &AppState, caller: &Caller, sn: &str) -> ApiResult<Device> {
    let d = s.store.device_by_sn(sn).await.map_err(|e| match e {
        StoreError::NotFound(_) => device_not_found(),
        e => e.into(),
    })?;
    let visible = caller.is_admin || d.unit_path.as_deref().is_some_and(|p| caller.can_read_unit(p));
    if visible { Ok(d) } else { Err(device_not_found()) }
}

/// A terminal the caller may change (operator of its unit, or admin).
pub(crate) async fn device_to_manage(s: &AppState, caller: &Caller, sn: &str) -> ApiResult<Device> {
    let d = device_in_scope(s, caller, sn).await?;
    let ok = caller.is_admin || d.unit_path.as_deref().is_some_and(|p| caller.can_manage_unit(p));
    if ok { Ok(d) } else { Err(ApiError::forbidden()) }
}

#[derive(Deserialize, ToSchema)]
pub struct DeviceInput {
    /// The terminal's serial number (menu: Sistem → Info perangkat).
    pub sn: String,
    pub unit_code: String,
    /// Zone override (IANA name); default: the unit's zone.
    pub timezone: Option<String>,
}

/// An operator's register or approve: the decision is an admin's, so the serial is recorded as
/// a proposal (pending in the operator's unit) and the call is refused with `admin_decision`.
async fn propose(s: &AppState, caller: &Caller, sn: &str, unit_code: &str) -> ApiError {
    let audit = Audit::new(caller.actor(), "propose", "device", sn);
    match s.store.propose_device(sn, unit_code, &caller.username, s.config.terminals.max_pending, audit).await {
        Ok(d) => {
            tracing::info!(sn, by = %caller.username, unit = unit_code, "terminal proposed; awaiting an admin");
            ApiError::new(
                StatusCode::FORBIDDEN,
                "admin_decision",
                format!("Mendaftarkan atau menyetujui mesin adalah keputusan admin; usulan mesin {sn} untuk unit {unit_code} sudah dicatat."),
            )
            .with_details(serde_json::json!({"proposal": true, "sn": d.sn, "unit_code": unit_code}))
        }
        Err(StoreError::Conflict(what)) if what == "max_pending" => too_many_pending(),
        Err(StoreError::Conflict(_)) => ApiError::new(
            StatusCode::FORBIDDEN,
            "admin_decision",
            format!("Mesin {sn} sudah terdaftar; memindahkan mesin adalah keputusan admin."),
        )
        .with_details(serde_json::json!({"proposal": false, "sn": sn})),
        Err(e) => e.into(),
    }
}

fn too_many_pending() -> ApiError {
    ApiError::new(
        StatusCode::CONFLICT,
        "too_many_pending",
        "Terlalu banyak mesin menunggu persetujuan; putuskan atau buang yang lama dahulu.",
    )
}

/// Register a terminal to a unit (admin). A serial that already called in (pending) is approved
/// by this, and its quarantined punches move into the chain. An operator of the unit gets 403
/// `admin_decision` and their call is recorded as a proposal for an admin.
#[utoipa::path(post, path = "/api/v1/devices", tag = "devices", request_body = DeviceInput,
    responses((status = 201, body = DeviceView), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn register_device(
    State(s): State<AppState>,
    caller: Caller,
    ApiJson(input): ApiJson<DeviceInput>,
) -> ApiResult<(StatusCode, Json<DeviceView>)> {
    caller.require_staff()?;
    let sn = input.sn.trim().to_string();
    if !valid_sn(&sn) {
        return Err(ApiError::unprocessable(
            "invalid_sn",
            "Nomor seri mesin harus 1–64 huruf/angka (boleh '-', '_', '.').",
        )
        .with_details(serde_json::json!({"field": "sn"})));
    }
    let timezone = check_zone(&input.timezone)?;
    let unit = manageable_unit(&s, &caller, input.unit_code.trim()).await?;
    if !caller.is_admin {
        return Err(propose(&s, &caller, &sn, &unit.code).await);
    }
    let nd = NewDevice { sn: sn.clone(), unit_code: unit.code.clone(), timezone };
    let d = s.store.register_device(&nd, Audit::new(caller.actor(), "register", "device", &sn)).await?;
    release(&s, &sn).await;
    let d = s.store.device_by_sn(&sn).await.unwrap_or(d);
    Ok((StatusCode::CREATED, Json(view(&s, d))))
}

#[derive(Deserialize, IntoParams)]
pub struct DeviceQuery {
    /// active, pending, disabled, or silent (active but not heard from during working hours).
    pub state: Option<String>,
    /// Unit code: that unit and its sub-units.
    pub unit: Option<String>,
}

/// Terminals in the caller's scope: serial, unit, model/firmware, address, last contact, counts
/// from INFO, state, pending commands, relay.
#[utoipa::path(get, path = "/api/v1/devices", tag = "devices", params(DeviceQuery),
    responses((status = 200, body = DeviceList), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn list_devices(
    State(s): State<AppState>,
    caller: Caller,
    Query(q): Query<DeviceQuery>,
) -> ApiResult<Json<DeviceList>> {
    caller.require_staff()?;
    let want = q.state.as_deref().filter(|v| !v.is_empty());
    let (state, silent_only) = match want {
        None => (None, false),
        Some("silent") => (Some(DeviceState::Active), true),
        Some(v) => (
            Some(DeviceState::parse(v).ok_or_else(|| {
                ApiError::bad_request("invalid_state", "Status harus active, pending, disabled atau silent.")
            })?),
            false,
        ),
    };
    let subtrees = match caller.read_scope() {
        Scope::All => None,
        Scope::Subtrees(p) => Some(p),
        _ => return Err(ApiError::forbidden()),
    };
    let f = DeviceFilter { state, subtrees, unit_code: q.unit.filter(|u| !u.is_empty()), relay_id: None };
    let rule = rule(&s);
    let now = Timestamp::now();
    let items: Vec<DeviceView> = s
        .store
        .list_devices(&f)
        .await?
        .into_iter()
        .map(|d| DeviceView::new(d, &rule, now))
        .filter(|v| !silent_only || v.silent)
        .collect();
    Ok(Json(DeviceList { items }))
}

/// One terminal.
#[utoipa::path(get, path = "/api/v1/devices/{sn}", tag = "devices", params(("sn" = String, Path)),
    responses((status = 200, body = DeviceView), (status = 404, body = ErrorBody)))]
pub async fn get_device(
    State(s): State<AppState>,
    caller: Caller,
    Path(sn): Path<String>,
) -> ApiResult<Json<DeviceView>> {
    let d = device_in_scope(&s, &caller, &sn).await?;
    Ok(Json(view(&s, d)))
}

#[derive(Deserialize, ToSchema)]
pub struct ApproveInput {
    pub unit_code: String,
    /// Zone override (IANA name); default: the unit's zone.
    pub timezone: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct ApproveResponse {
    pub device: DeviceView,
    /// Quarantined punches that now count.
    pub released: usize,
}

/// Approve a pending terminal (or move one) into a unit (admin): its quarantined punches move
/// into the chain with their receipt times. An operator who may manage the terminal and the unit
/// gets 403 `admin_decision`, their call recorded as a proposal.
#[utoipa::path(post, path = "/api/v1/devices/{sn}/approve", tag = "devices", params(("sn" = String, Path)), request_body = ApproveInput,
    responses((status = 200, body = ApproveResponse), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn approve_device(
    State(s): State<AppState>,
    caller: Caller,
    Path(sn): Path<String>,
    ApiJson(input): ApiJson<ApproveInput>,
) -> ApiResult<Json<ApproveResponse>> {
    caller.require_staff()?;
    let d = device_in_scope(&s, &caller, &sn).await?;
    if let Some(p) = &d.unit_path
        && !caller.can_manage_unit(p)
    {
        return Err(ApiError::forbidden());
    }
    if d.unit_path.is_none() && !caller.is_admin {
        return Err(ApiError::forbidden());
    }
    let timezone = check_zone(&input.timezone)?;
    let unit = manageable_unit(&s, &caller, input.unit_code.trim()).await?;
    if !caller.is_admin {
        return Err(propose(&s, &caller, &d.sn, &unit.code).await);
    }
    let audit = Audit::new(caller.actor(), "approve", "device", &sn);
    let d = s.store.approve_device(&d.sn, &unit.code, timezone.as_deref(), audit).await?;
    // A relay's terminal approved now gets the roster and templates from its relay now.
    if let Some(relay_id) = d.relay_id.filter(|_| crate::templates::relay_written(&d)) {
        // Its own action, so the audit tells this automatic sync from a person's "Sinkron pegawai".
        let audit = Audit::new(caller.actor(), "sync_on_approve", "device", &d.sn);
        s.store.request_relay_sync(relay_id, audit).await?;
    }
    let released = release(&s, &d.sn).await;
    let d = s.store.device_by_sn(&d.sn).await.unwrap_or(d);
    Ok(Json(ApproveResponse { device: view(&s, d), released }))
}

#[derive(Deserialize, ToSchema, Default)]
pub struct BindInput {
    /// An address or CIDR (`10.1.2.3`, `10.1.2.0/24`, `fd00::/8`).
    pub cidr: Option<String>,
    /// Bind to the address the terminal last spoke from.
    #[serde(default)]
    pub from_last_seen: bool,
    /// Remove the binding.
    #[serde(default)]
    pub clear: bool,
}

/// Bind a terminal's PUSH requests to an address or CIDR (admin, or operator of its unit;
/// audited). Requests from elsewhere are then refused (403) and change nothing.
#[utoipa::path(post, path = "/api/v1/devices/{sn}/bind", tag = "devices", params(("sn" = String, Path)), request_body = BindInput,
    responses((status = 200, body = DeviceView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn bind_device(
    State(s): State<AppState>,
    caller: Caller,
    Path(sn): Path<String>,
    ApiJson(input): ApiJson<BindInput>,
) -> ApiResult<Json<DeviceView>> {
    let d = device_to_manage(&s, &caller, &sn).await?;
    let cidr = if input.clear {
        None
    } else {
        let raw = match (input.cidr.as_deref().map(str::trim).filter(|c| !c.is_empty()), input.from_last_seen) {
            (Some(c), false) => c.to_string(),
            (None, true) => d.ip.clone().ok_or_else(|| {
                ApiError::unprocessable(
                    "no_address",
                    "Mesin ini belum pernah menghubungi server; alamatnya belum diketahui.",
                )
            })?,
            _ => {
                return Err(ApiError::unprocessable(
                    "invalid_bind",
                    "Isi salah satu: 'cidr' (alamat atau CIDR), 'from_last_seen' atau 'clear'.",
                ));
            }
        };
        let c = crate::iclock::cidr::Cidr::parse(&raw).ok_or_else(|| {
            ApiError::unprocessable(
                "invalid_cidr",
                format!("'{raw}' bukan alamat IP atau CIDR yang sah (contoh: 10.1.2.0/24)."),
            )
            .with_details(serde_json::json!({"field": "cidr"}))
        })?;
        Some(c.to_string())
    };
    let audit = Audit::new(caller.actor(), if cidr.is_some() { "bind" } else { "unbind" }, "device", &d.sn);
    let d = s.store.bind_device(&d.sn, cidr.as_deref(), audit).await?;
    Ok(Json(view(&s, d)))
}

#[derive(Serialize, ToSchema)]
pub struct DiscardResponse {
    pub sn: String,
    /// Quarantined punches removed with it (they were never in the chain).
    pub discarded: u64,
}

/// Discard a pending terminal with its quarantined punches (admin; audited).
#[utoipa::path(delete, path = "/api/v1/devices/{sn}", tag = "devices", params(("sn" = String, Path)),
    responses((status = 200, body = DiscardResponse), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn discard_device(
    State(s): State<AppState>,
    caller: Caller,
    Path(sn): Path<String>,
) -> ApiResult<Json<DiscardResponse>> {
    caller.require_admin()?;
    let d = device_in_scope(&s, &caller, &sn).await?;
    let audit = Audit::new(caller.actor(), "discard", "device", &d.sn);
    let discarded = s.store.discard_device(&d.sn, audit).await.map_err(|e| match e {
        StoreError::Conflict(_) => ApiError::new(
            StatusCode::CONFLICT,
            "device_not_pending",
            "Hanya mesin yang menunggu persetujuan yang dapat dibuang.",
        ),
        StoreError::NotFound(_) => device_not_found(),
        e => e.into(),
    })?;
    tracing::warn!(sn = %d.sn, by = %caller.username, punches = discarded, "pending terminal discarded");
    Ok(Json(DiscardResponse { sn: d.sn, discarded }))
}

#[derive(Serialize, ToSchema)]
pub struct SyncResponse {
    /// Commands queued for the terminal (one per employee, then the fingerprint/face templates
    /// it lacks or failed to take).
    pub queued: usize,
    /// `DATA UPDATE USERINFO` for active employees with a device PIN.
    pub updates: usize,
    /// `DATA DELETE USERINFO` for deactivated ones.
    pub deletes: usize,
    /// The terminal is read by a relay, which was asked to write the roster.
    pub relay_sync: bool,
}

/// Sinkron pegawai: write every employee of the terminal's unit subtree who has a device PIN to
/// the terminal (and remove deactivated ones).
#[utoipa::path(post, path = "/api/v1/devices/{sn}/sync-employees", tag = "devices", params(("sn" = String, Path)),
    responses((status = 200, body = SyncResponse), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn sync_employees(
    State(s): State<AppState>,
    caller: Caller,
    Path(sn): Path<String>,
) -> ApiResult<Json<SyncResponse>> {
    let d = device_to_manage(&s, &caller, &sn).await?;
    let Some(unit_code) = d.unit_code.clone().filter(|_| d.state == DeviceState::Active) else {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "device_not_active",
            "Mesin belum disetujui/aktif; setujui dan tetapkan unitnya dahulu.",
        ));
    };
    let mut lines = Vec::new();
    let mut synced = Vec::new();
    let (mut updates, mut deletes) = (0, 0);
    let mut offset = 0;
    loop {
        let f = EmployeeFilter { unit_code: Some(unit_code.clone()), offset, limit: 1000, ..Default::default() };
        let page = s.store.list_employees(&Scope::All, &f).await?;
        let n = page.items.len() as u32;
        for e in page.items {
            let Some(pin) = e.device_pin.clone() else { continue };
            if e.active {
                synced.push(e.id);
            }
            let cmd = if e.active {
                Command::UpdateUser(UserUpdate::new(&pin, &e.name))
            } else {
                Command::DeleteUser { pin }
            };
            match cmd.render() {
                Ok(line) => {
                    if e.active {
                        updates += 1;
                    } else {
                        deletes += 1;
                    }
                    lines.push(line);
                }
                Err(err) => tracing::warn!(employee = %e.login, error = %err, "employee skipped in terminal sync"),
            }
        }
        offset += n;
        if n == 0 || u64::from(offset) >= page.total {
            break;
        }
    }
    let mut relay_sync = false;
    if let Some(relay_id) = d.relay_id {
        let audit = Audit::new(caller.actor(), "sync_employees", "device", &d.sn);
        s.store.request_relay_sync(relay_id, audit).await?;
        relay_sync = true;
    }
    let mut queued = 0;
    // Terminals that push get the commands; relay-only terminals get them from their relay.
    if d.relay_id.is_none() || d.ip.is_some() {
        let audit = Audit::new(caller.actor(), "sync_employees", "device", &d.sn)
            .after(serde_json::json!({"updates": updates, "deletes": deletes}));
        queued = s.store.queue_device_commands(&d.sn, &lines, Some(audit)).await?.len();
        // Fingerprint/face templates the terminal lacks follow the users (issue 25).
        queued += crate::templates::resend_to(&s, &d.sn, &synced).await?;
    }
    Ok(Json(SyncResponse { queued, updates, deletes, relay_sync }))
}

#[derive(Deserialize, ToSchema)]
pub struct CommandInput {
    /// reboot, clear_and_resend (stamps to 0: the terminal resends everything), set_timezone,
    /// info, check.
    pub command: String,
    /// For set_timezone: the new zone (IANA name); default: the terminal's current zone.
    pub timezone: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct CommandView {
    pub id: i64,
    pub command: String,
    /// queued, sent, ok or error.
    pub state: String,
    pub return_code: Option<i64>,
    /// What the result means, in Indonesian.
    pub meaning: Option<String>,
    pub created_at: String,
    pub sent_at: Option<String>,
    pub done_at: Option<String>,
}

impl CommandView {
    fn new(c: DeviceCommand, tz: &TimeZone) -> CommandView {
        CommandView {
            id: c.id,
            state: c.state.as_str().into(),
            return_code: c.return_code,
            meaning: c.meaning,
            created_at: rfc3339_local(tz, c.created_at),
            sent_at: c.sent_at.map(|t| rfc3339_local(tz, t)),
            done_at: c.done_at.map(|t| rfc3339_local(tz, t)),
            command: c.command,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct CommandList {
    pub items: Vec<CommandView>,
}

/// Queue a command for a terminal.
#[utoipa::path(post, path = "/api/v1/devices/{sn}/commands", tag = "devices", params(("sn" = String, Path)), request_body = CommandInput,
    responses((status = 201, body = CommandList), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn queue_command(
    State(s): State<AppState>,
    caller: Caller,
    Path(sn): Path<String>,
    ApiJson(input): ApiJson<CommandInput>,
) -> ApiResult<(StatusCode, Json<CommandList>)> {
    let mut d = device_to_manage(&s, &caller, &sn).await?;
    let action = format!("command_{}", input.command);
    let dsn = d.sn.clone();
    let audit = || Audit::new(caller.actor(), &action, "device", &dsn);
    let cmd = match input.command.as_str() {
        "reboot" => Command::Reboot,
        "info" => Command::Info,
        "check" => Command::Check,
        "clear_and_resend" => {
            s.store.reset_device_stamps(&d.sn, audit()).await?;
            Command::Check
        }
        "set_timezone" => {
            if let Some(tz) = check_zone(&input.timezone)? {
                d = s.store.set_device_timezone(&d.sn, Some(&tz), audit()).await?;
            }
            let tz = crate::iclock::punches::device_zone(s.store.as_ref(), &d).await;
            let offset = tz.to_offset(Timestamp::now()).seconds();
            Command::SetOption {
                key: "TimeZone".into(),
                value: TimeZoneOption::from_offset_seconds(offset).0.to_string(),
            }
        }
        other => {
            return Err(ApiError::unprocessable(
                "unknown_command",
                format!("Perintah '{other}' tidak dikenal (reboot, clear_and_resend, set_timezone, info, check)."),
            ));
        }
    };
    let line = cmd.render().map_err(|e| ApiError::unprocessable("invalid_command", e.to_string()))?;
    let queued = s.store.queue_device_commands(&d.sn, &[line], Some(audit())).await?;
    let tz = zone_of(&d);
    Ok((
        StatusCode::CREATED,
        Json(CommandList { items: queued.into_iter().map(|c| CommandView::new(c, &tz)).collect() }),
    ))
}

/// A terminal's commands, newest first, with results and their meanings.
#[utoipa::path(get, path = "/api/v1/devices/{sn}/commands", tag = "devices", params(("sn" = String, Path)),
    responses((status = 200, body = CommandList), (status = 404, body = ErrorBody)))]
pub async fn list_commands(
    State(s): State<AppState>,
    caller: Caller,
    Path(sn): Path<String>,
) -> ApiResult<Json<CommandList>> {
    let d = device_in_scope(&s, &caller, &sn).await?;
    let tz = zone_of(&d);
    let items = s.store.list_device_commands(&d.sn, 500).await?.into_iter().map(|c| CommandView::new(c, &tz)).collect();
    Ok(Json(CommandList { items }))
}

#[derive(Deserialize, IntoParams)]
pub struct UnmatchedQuery {
    /// Unit code: terminals of that unit and its sub-units.
    pub unit: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct UnmatchedList {
    pub items: Vec<PunchView>,
}

/// Terminal punches whose PIN belongs to no employee yet (in the caller's terminals). They are
/// matched automatically when the PIN is given to an employee.
#[utoipa::path(get, path = "/api/v1/punches/unmatched", tag = "punches", params(UnmatchedQuery),
    responses((status = 200, body = UnmatchedList), (status = 403, body = ErrorBody)))]
pub async fn unmatched_punches(
    State(s): State<AppState>,
    caller: Caller,
    Query(q): Query<UnmatchedQuery>,
) -> ApiResult<Json<UnmatchedList>> {
    caller.require_staff()?;
    let subtrees = match caller.read_scope() {
        Scope::All => None,
        Scope::Subtrees(p) => Some(p),
        _ => return Err(ApiError::forbidden()),
    };
    let f = DeviceFilter { subtrees, unit_code: q.unit.filter(|u| !u.is_empty()), ..Default::default() };
    let devices: HashMap<String, TimeZone> =
        s.store.list_devices(&f).await?.into_iter().map(|d| (d.sn.clone(), zone_of(&d))).collect();
    let punches = s.store.list_punches(&PunchFilter { unmatched: true, limit: 5000, ..Default::default() }).await?;
    let items = punches
        .iter()
        .filter_map(|p| {
            let tz = devices.get(p.p.device_sn.as_deref()?)?;
            Some(PunchView::new(p, tz))
        })
        .collect();
    Ok(Json(UnmatchedList { items }))
}
