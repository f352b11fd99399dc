//! Office relays (issue 6, server side): registration with a token shown once, revocation, the
//! punch upload (idempotent per serial + PIN + time, the same key as PUSH) and the roster.

use crate::auth::{Caller, token};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::iclock::punches::{self, TerminalRecord};
use crate::ingest::IngestError;
use crate::json::{ApiJson, too_large};
use crate::state::AppState;
use axum::Json;
use axum::extract::{FromRequestParts, Path, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use hadir_domain::unit_zone;
use hadir_domain::zone::rfc3339_local;
use hadir_store::{
    Audit, Device, DeviceState, EmployeeFilter, PunchSource, QuarantinedPunch, Relay, RelayTerminal, Scope, StoreError,
};
use jiff::civil::DateTime;
use jiff::tz::TimeZone;
use jiff::{Timestamp, Unit};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use utoipa::ToSchema;

/// Most punches in one upload (the relay sends smaller batches).
const MAX_PUNCHES: usize = 20_000;
const MAX_TERMINALS: usize = 500;

#[derive(Serialize, ToSchema)]
pub struct RelayView {
    pub id: i64,
    pub name: String,
    pub unit_code: String,
    pub revoked: bool,
    pub created_at: String,
    pub last_seen: Option<String>,
    /// An operator asked for the roster to be written to its terminals.
    pub sync_requested: bool,
    /// The address of its office-network app, as the relay reports it.
    pub local_url: Option<String>,
}

impl From<Relay> for RelayView {
    fn from(r: Relay) -> Self {
        let tz = TimeZone::UTC;
        RelayView {
            id: r.id,
            name: r.name,
            unit_code: r.unit_code,
            revoked: r.revoked,
            created_at: rfc3339_local(&tz, r.created_at),
            last_seen: r.last_seen.map(|t| rfc3339_local(&tz, t)),
            sync_requested: r.sync_requested,
            local_url: r.local_url,
        }
    }
}

#[derive(Deserialize, ToSchema)]
pub struct RelayInput {
    /// e.g. "Pijo Dinas Pendidikan".
    pub name: String,
    /// The unit whose terminals it reads; terminals it reports belong here unless registered otherwise.
    pub unit_code: String,
}

#[derive(Serialize, ToSchema)]
pub struct RelayCreated {
    pub id: i64,
    /// Shown once; put it in the relay's `relay.toml`.
    pub token: String,
    pub name: String,
    pub unit_code: String,
}

/// Register an office relay (admin). The token is returned once and stored only hashed.
#[utoipa::path(post, path = "/api/v1/relays", tag = "relays", request_body = RelayInput,
    responses((status = 201, body = RelayCreated), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_relay(
    State(s): State<AppState>,
    caller: Caller,
    ApiJson(input): ApiJson<RelayInput>,
) -> ApiResult<(StatusCode, Json<RelayCreated>)> {
    caller.require_admin()?;
    let name = input.name.trim();
    if name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
        return Err(ApiError::unprocessable("invalid_name", "Nama relay wajib diisi (1–100 karakter).")
            .with_details(serde_json::json!({"field": "name"})));
    }
    let unit_code = input.unit_code.trim();
    if s.store.unit_by_code(unit_code).await.is_err() {
        return Err(ApiError::unprocessable("unknown_unit", format!("Unit kerja '{unit_code}' tidak ditemukan."))
            .with_details(serde_json::json!({"field": "unit_code"})));
    }
    let secret = token::generate();
    let audit = Audit::new(caller.actor(), "create", "relay", name);
    let r = s.store.create_relay(name, unit_code, &token::hash(&secret), audit).await?;
    Ok((StatusCode::CREATED, Json(RelayCreated { id: r.id, token: secret, name: r.name, unit_code: r.unit_code })))
}

#[derive(Serialize, ToSchema)]
pub struct RelayList {
    pub items: Vec<RelayView>,
}

/// Relays (admin).
#[utoipa::path(get, path = "/api/v1/relays", tag = "relays",
    responses((status = 200, body = RelayList), (status = 403, body = ErrorBody)))]
pub async fn list_relays(State(s): State<AppState>, caller: Caller) -> ApiResult<Json<RelayList>> {
    caller.require_admin()?;
    Ok(Json(RelayList { items: s.store.list_relays().await?.into_iter().map(Into::into).collect() }))
}

/// Revoke a relay's token (admin): its uploads are refused from now on.
#[utoipa::path(post, path = "/api/v1/relays/{id}/revoke", tag = "relays", params(("id" = i64, Path)),
    responses((status = 200, body = RelayView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn revoke_relay(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> ApiResult<Json<RelayView>> {
    caller.require_admin()?;
    let audit = Audit::new(caller.actor(), "revoke", "relay", &id.to_string());
    let r = s.store.revoke_relay(id, audit).await.map_err(|e| match e {
        StoreError::NotFound(_) => ApiError::not_found("Relay"),
        e => e.into(),
    })?;
    Ok(Json(r.into()))
}

/// The relay calling, from `Authorization: Bearer <relay token>`.
pub struct RelayAuth(pub Relay);

fn invalid_token() -> ApiError {
    ApiError::new(StatusCode::UNAUTHORIZED, "invalid_relay_token", "Token relay tidak sah atau sudah dicabut.")
}

impl FromRequestParts<AppState> for RelayAuth {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let t = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or_else(invalid_token)?;
        match state.store.relay_by_token(&token::hash(t)).await {
            Ok(r) => Ok(RelayAuth(r)),
            Err(StoreError::NotFound(_)) => Err(invalid_token()),
            Err(e) => Err(e.into()),
        }
    }
}

#[derive(Deserialize, ToSchema)]
pub struct TerminalReport {
    pub sn: String,
    /// LAN address, `ip:port`.
    pub address: Option<String>,
    pub firmware: Option<String>,
    pub users: Option<i64>,
    pub records: Option<i64>,
    pub clock_drift_secs: Option<i64>,
    /// RFC 3339.
    pub last_pull: Option<String>,
    pub reachable: Option<bool>,
    pub last_error: Option<String>,
}

#[derive(Deserialize, ToSchema)]
pub struct RelayPunch {
    pub sn: String,
    pub pin: String,
    /// The terminal's local wall clock, `YYYY-MM-DDTHH:MM:SS`.
    pub time: String,
    /// Zone override from the relay's configuration; default: the terminal's zone.
    pub timezone: Option<String>,
    #[serde(default)]
    pub status: i64,
    #[serde(default)]
    pub verify: i64,
    pub workcode: Option<serde_json::Value>,
}

#[derive(Deserialize, ToSchema)]
pub struct RelayUpload {
    #[serde(default)]
    pub terminals: Vec<TerminalReport>,
    #[serde(default)]
    pub punches: Vec<RelayPunch>,
    /// Issue 21: the address of the relay's office-network app (`http://…`), shown to the
    /// employees of its unit subtree as "Presensi lokal". Absent: left as it is.
    #[serde(default)]
    pub local_url: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct RejectedPunch {
    /// Position in `punches`.
    pub index: usize,
    pub reason: String,
}

#[derive(Serialize, ToSchema)]
pub struct RelayUploadReply {
    /// Punches stored now.
    pub accepted: usize,
    /// Punches the server already held (same serial, PIN and time).
    pub duplicates: usize,
    /// Punches that can never be stored (bad PIN or time, a time outside the years 2000–2100:
    /// `time_out_of_range`, a terminal of another unit: `terminal_of_other_unit`); the relay
    /// need not resend them.
    pub rejected: Vec<RejectedPunch>,
    /// The relay should fetch the roster and write it to its terminals.
    pub sync_roster: bool,
}

fn text(v: &Option<String>, max: usize) -> Option<String> {
    v.as_deref()
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(|v| v.chars().filter(|c| !c.is_control()).take(max).collect())
}

fn valid_sn(sn: &str) -> bool {
    (1..=64).contains(&sn.len()) && sn.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

fn valid_pin(pin: &str) -> bool {
    !pin.is_empty() && pin.chars().count() <= 24 && !pin.chars().any(|c| c.is_whitespace() || c.is_control())
}

fn parse_time(t: &str) -> Option<DateTime> {
    let t = t.trim();
    if t.len() != 19 {
        return None;
    }
    t.replacen(' ', "T", 1).parse::<DateTime>().ok()
}

/// Upload punches read by a relay (relay token). Idempotent per (serial, PIN, time): resending a
/// batch adds nothing. A relay reports only terminals of its unit subtree: a new serial becomes
/// pending in its unit (its punches wait in quarantine until an admin approves it); a terminal
/// registered to another unit is left untouched and its punches come back in `rejected`
/// (`terminal_of_other_unit`), nothing written for them.
#[utoipa::path(post, path = "/api/v1/relay/punches", tag = "relays", request_body = RelayUpload,
    responses((status = 200, body = RelayUploadReply), (status = 401, body = ErrorBody), (status = 413, body = ErrorBody),
        (status = 429, body = ErrorBody, description = "Too many requests from this address: retry after Retry-After"),
        (status = 503, body = ErrorBody)))]
pub async fn upload_punches(
    State(s): State<AppState>,
    RelayAuth(relay): RelayAuth,
    ApiJson(up): ApiJson<RelayUpload>,
) -> ApiResult<Json<RelayUploadReply>> {
    if up.punches.len() > MAX_PUNCHES || up.terminals.len() > MAX_TERMINALS {
        return Err(too_large());
    }
    let now = Timestamp::now();
    let received_at = now.round(Unit::Millisecond).unwrap_or(now);
    let mut reports: Vec<RelayTerminal> = Vec::new();
    for t in &up.terminals {
        let sn = t.sn.trim();
        if !valid_sn(sn) {
            continue;
        }
        reports.push(RelayTerminal {
            sn: sn.to_string(),
            lan_address: text(&t.address, 64),
            firmware: text(&t.firmware, 64),
            users: t.users,
            records: t.records,
            clock_drift_secs: t.clock_drift_secs,
            last_pull: t
                .last_pull
                .as_deref()
                .and_then(|v| v.parse::<Timestamp>().ok())
                .filter(|t| hadir_domain::accepted_instant(*t)),
            reachable: t.reachable,
            last_error: text(&t.last_error, 300),
        });
    }
    // Terminals that only appear in punches are registered too.
    for p in &up.punches {
        let sn = p.sn.trim();
        if valid_sn(sn) && !reports.iter().any(|r| r.sn == sn) {
            reports.push(RelayTerminal { sn: sn.to_string(), ..Default::default() });
        }
    }
    let report = s.store.relay_report(relay.id, &reports, now).await?;
    if let Some(url) = up.local_url.as_deref().map(str::trim) {
        let valid = (url.starts_with("http://") || url.starts_with("https://"))
            && url.len() <= 200
            && !url.chars().any(|c| c.is_control() || c.is_whitespace() || matches!(c, '<' | '>' | '"'));
        let url = if url.is_empty() { None } else { valid.then_some(url) };
        if url.is_some() || up.local_url.as_deref().is_some_and(|u| u.trim().is_empty()) {
            s.store.set_relay_local_url(relay.id, url).await?;
        }
    }
    for sn in &report.refused {
        tracing::warn!(relay = relay.id, sn = %sn, "relay reported a terminal of another unit: refused");
    }
    // An approved terminal new behind this relay has yet to get the roster and the templates:
    // ask now (kept until the relay fetches the roster), not at the relay's roster time, which
    // may be never when it syncs on demand.
    let mut sync_roster = relay.sync_requested;
    if !sync_roster
        && report.devices.iter().any(|d| {
            report.joined.contains(&d.sn) && d.state == DeviceState::Active && crate::templates::relay_written(d)
        })
    {
        let audit = Audit::new((None, "sistem penerus"), "sync_new_terminal", "relay", &relay.id.to_string());
        s.store.request_relay_sync(relay.id, audit).await?;
        sync_roster = true;
    }
    let devices: HashMap<String, Device> = report.devices.into_iter().map(|d| (d.sn.clone(), d)).collect();
    let mut zones: HashMap<String, TimeZone> = HashMap::new();
    for d in devices.values() {
        let tz = match d.zone_name().and_then(|z| unit_zone(z).ok()) {
            Some(tz) => tz,
            None => punches::device_zone(s.store.as_ref(), d).await,
        };
        zones.insert(d.sn.clone(), tz);
    }

    let mut rejected = Vec::new();
    let mut records = Vec::with_capacity(up.punches.len());
    let mut quarantined: HashMap<String, Vec<QuarantinedPunch>> = HashMap::new();
    for (index, p) in up.punches.iter().enumerate() {
        let sn = p.sn.trim();
        let pin = p.pin.trim();
        let reject = |reason: &str| RejectedPunch { index, reason: reason.to_string() };
        let Some(device) = devices.get(sn) else {
            let refused = report.refused.iter().any(|r| r == sn);
            rejected.push(reject(if refused { "terminal_of_other_unit" } else { "invalid_sn" }));
            continue;
        };
        if !valid_pin(pin) {
            rejected.push(reject("invalid_pin"));
            continue;
        }
        let Some(time) = parse_time(&p.time) else {
            rejected.push(reject("invalid_time"));
            continue;
        };
        // Issue 17: a clock fault (year 1, 2200) is never attendance, not even held.
        if !hadir_domain::accepted_datetime(time) {
            rejected.push(reject("time_out_of_range"));
            continue;
        }
        let zone_override = p.timezone.as_deref().map(str::trim).filter(|z| !z.is_empty());
        let tz = match zone_override {
            Some(z) => match unit_zone(z) {
                Ok(tz) => tz,
                Err(_) => {
                    rejected.push(reject("invalid_timezone"));
                    continue;
                }
            },
            None => zones.get(sn).cloned().unwrap_or(TimeZone::UTC),
        };
        if device.state != DeviceState::Active {
            // Not approved yet: kept outside the chain until an admin approves the terminal.
            quarantined.entry(sn.to_string()).or_default().push(QuarantinedPunch {
                id: 0,
                device_sn: sn.to_string(),
                pin: pin.to_string(),
                local_time: punches::local_time(time),
                timezone: zone_override.map(Into::into),
                status: p.status,
                verify: p.verify,
                source: PunchSource::Relay,
                received_at,
            });
            continue;
        }
        records.push(TerminalRecord {
            sn: sn.to_string(),
            pin: pin.to_string(),
            time,
            status: p.status,
            verify: p.verify,
            tz,
            unit_path: device.unit_path.clone(),
            source: PunchSource::Relay,
            received_at,
        });
    }
    for r in &rejected {
        tracing::warn!(relay = relay.id, index = r.index, reason = %r.reason, "relay punch rejected");
    }
    let rules = punches::Rules::from_config(&s.config.terminals);
    let new = punches::build(s.store.as_ref(), &records, rules).await?;
    let mut stored = punches::submit(&s, new).await.map_err(|e| match e {
        IngestError::Overloaded => ApiError::unavailable("Server sedang sibuk; kirim ulang nanti.", 30),
        IngestError::Failed(msg) => {
            tracing::error!(error = %msg, "relay punches: commit failed");
            ApiError::internal()
        }
    })?;
    for (sn, q) in &quarantined {
        let held = punches::quarantine(&s, sn, q).await?;
        stored.inserted += held.inserted;
        stored.duplicates += held.duplicates;
    }
    metrics::counter!("hadir_relay_punches_total", "outcome" => "new").increment(stored.inserted as u64);
    metrics::counter!("hadir_relay_punches_total", "outcome" => "duplicate").increment(stored.duplicates as u64);
    Ok(Json(RelayUploadReply { accepted: stored.inserted, duplicates: stored.duplicates, rejected, sync_roster }))
}

#[derive(Serialize, ToSchema)]
pub struct RosterUser {
    pub pin: String,
    pub name: String,
    pub privilege: u8,
    pub password: String,
    pub card: String,
    /// False: remove from the terminals.
    pub active: bool,
}

#[derive(Serialize, ToSchema)]
pub struct Roster {
    pub users: Vec<RosterUser>,
    /// PINs that left the relay's unit subtree (deactivated there, moved to a unit outside it, or
    /// given another PIN), minus any PIN an active employee of the subtree holds: the only
    /// terminal users a relay deletes (a PIN not mentioned, e.g. another unit's person on a
    /// shared terminal, is left alone).
    pub removed: Vec<String>,
    /// Issue 21 (office-network mode): the active employees of the relay's unit subtree who have
    /// a password, with its argon2id hash, so the relay can sign them in on the office LAN while
    /// the uplink is down. Only ever sent to a relay token, only for its own subtree.
    pub accounts: Vec<RosterAccount>,
}

#[derive(Serialize, ToSchema)]
pub struct RosterAccount {
    /// The login name the app signs in with (the NIP, or an internal number for honorer).
    pub login: String,
    pub nip: Option<String>,
    pub name: String,
    /// The account's argon2id PHC string.
    pub password_hash: String,
}

/// Device PINs that left `unit_code`'s subtree by an employee update (moved to a unit outside it,
/// or given another PIN), read from the employee audit trail (its before/after records), since
/// the store keeps no unit history of its own.
async fn moved_out_pins(s: &AppState, unit_code: &str) -> ApiResult<Vec<String>> {
    let units = s.store.list_units(&Scope::All).await?;
    let Some(root) = units.iter().find(|u| u.code == unit_code) else { return Ok(Vec::new()) };
    let inside: std::collections::HashSet<&str> =
        units.iter().filter(|u| u.path.starts_with(&root.path)).map(|u| u.code.as_str()).collect();
    let field = |v: &Option<serde_json::Value>, k: &str| {
        v.as_ref().and_then(|v| v.get(k)).and_then(|f| f.as_str()).map(str::to_owned)
    };
    let mut pins = Vec::new();
    let mut offset = 0;
    loop {
        let page = s.store.list_audit(Some("employee"), offset, 1000).await?;
        let n = page.items.len() as u32;
        for e in page.items {
            let (Some(pin), Some(unit)) = (field(&e.before, "device_pin"), field(&e.before, "unit_code")) else {
                continue;
            };
            let (after_pin, after_unit) = (field(&e.after, "device_pin"), field(&e.after, "unit_code"));
            let left_unit = after_unit.is_some_and(|u| !inside.contains(u.as_str()));
            if inside.contains(unit.as_str()) && (left_unit || after_pin.as_deref() != Some(pin.as_str())) {
                pins.push(pin);
            }
        }
        offset += n;
        if n == 0 || u64::from(offset) >= page.total {
            break;
        }
    }
    Ok(pins)
}

/// The employees (with a device PIN) of the relay's unit subtree, for writing to its terminals
/// (relay token). Fetching it clears a pending sync request.
#[utoipa::path(get, path = "/api/v1/relay/roster", tag = "relays",
    responses((status = 200, body = Roster), (status = 401, body = ErrorBody),
        (status = 429, body = ErrorBody, description = "Too many requests from this address: retry after Retry-After")))]
pub async fn roster(State(s): State<AppState>, RelayAuth(relay): RelayAuth) -> ApiResult<Json<Roster>> {
    let mut users = Vec::new();
    let mut accounts = Vec::new();
    let mut offset = 0;
    loop {
        let f = EmployeeFilter { unit_code: Some(relay.unit_code.clone()), offset, limit: 1000, ..Default::default() };
        let page = s.store.list_employees(&Scope::All, &f).await?;
        let n = page.items.len() as u32;
        for e in page.items {
            if e.active
                && let Some(account) = relay_account(&s, &e).await?
            {
                accounts.push(account);
            }
            let Some(pin) = e.device_pin else { continue };
            let name = hadir_zk::push::sanitize_field(&e.name);
            users.push(RosterUser {
                pin,
                name,
                privilege: 0,
                password: String::new(),
                card: String::new(),
                active: e.active,
            });
        }
        offset += n;
        if n == 0 || u64::from(offset) >= page.total {
            break;
        }
    }
    let active: std::collections::BTreeSet<&str> = users.iter().filter(|u| u.active).map(|u| u.pin.as_str()).collect();
    let mut removed: Vec<String> = users.iter().filter(|u| !u.active).map(|u| u.pin.clone()).collect();
    removed.extend(moved_out_pins(&s, &relay.unit_code).await?);
    removed.retain(|pin| !active.contains(pin.as_str()));
    removed.sort();
    removed.dedup();
    s.store.take_relay_sync(relay.id).await?;
    Ok(Json(Roster { users, removed, accounts }))
}

/// The employee's sign-in for the relay: an active account with an argon2id password (one read
/// per employee; the roster is fetched hourly per relay).
async fn relay_account(s: &AppState, e: &hadir_store::Employee) -> ApiResult<Option<RosterAccount>> {
    let account = match s.store.account_by_id(e.account_id).await {
        Ok(a) => a,
        Err(StoreError::NotFound(_)) => return Ok(None),
        Err(err) => return Err(err.into()),
    };
    if !account.active || !account.password_hash.starts_with("$argon2id$") {
        return Ok(None);
    }
    Ok(Some(RosterAccount {
        login: e.login.clone(),
        nip: e.nip.clone(),
        name: e.name.clone(),
        password_hash: account.password_hash,
    }))
}

/// One template for the relay to write (issue 25): the only answer that carries a template,
/// to the relay of the employee's unit only.
#[derive(Serialize, ToSchema)]
pub struct RelayTemplate {
    /// Quote it, with `version`, in the report.
    pub id: i64,
    /// Which version of the template this is (opaque).
    pub version: String,
    pub pin: String,
    /// `finger`, `face` or `bio:<type>`.
    pub kind: String,
    /// Finger (0–9) or face template number.
    pub no: u32,
    /// BIODATA index; 0 otherwise.
    pub index: u32,
    /// 1 usable, 3 duress.
    pub valid: u32,
    /// Base64, as the enrolling terminal sent it.
    pub template: String,
    /// The relay's terminals (serials) that lack it.
    pub terminals: Vec<String>,
}

#[derive(Serialize, ToSchema)]
pub struct RelayTemplateRemoval {
    /// Delete this user (and its templates) from these terminals.
    pub pin: String,
    pub terminals: Vec<String>,
}

#[derive(Serialize, ToSchema)]
pub struct RelayTemplates {
    pub templates: Vec<RelayTemplate>,
    pub removed: Vec<RelayTemplateRemoval>,
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) || s.len() > 128 {
        return None;
    }
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok()).collect()
}

/// Fingerprint and face templates the relay's terminals lack, for the employees of its unit
/// subtree, and the employees its terminals should lose (relay token). Write the users first
/// (roster), then these; report what was written with `POST /api/v1/relay/templates`.
#[utoipa::path(get, path = "/api/v1/relay/templates", tag = "relays",
    responses((status = 200, body = RelayTemplates), (status = 401, body = ErrorBody)))]
pub async fn templates(State(s): State<AppState>, RelayAuth(relay): RelayAuth) -> ApiResult<Json<RelayTemplates>> {
    let (give, remove) = crate::templates::for_relay(&s, &relay).await?;
    let templates = give
        .into_iter()
        .map(|g| RelayTemplate {
            id: g.template_id,
            version: hex(&g.digest),
            pin: g.template.pin.clone(),
            kind: g.template.kind.as_key(),
            no: g.template.no,
            index: g.template.index,
            valid: g.template.valid,
            template: g.template.template,
            terminals: g.terminals,
        })
        .collect::<Vec<_>>();
    tracing::info!(
        relay = relay.id,
        templates = templates.len(),
        removals = remove.len(),
        "templates handed to a relay"
    );
    let removed = remove.into_iter().map(|r| RelayTemplateRemoval { pin: r.pin, terminals: r.terminals }).collect();
    Ok(Json(RelayTemplates { templates, removed }))
}

#[derive(Deserialize, ToSchema)]
pub struct TemplateWritten {
    pub sn: String,
    pub id: i64,
    pub version: String,
}

#[derive(Deserialize, ToSchema)]
pub struct UserRemoved {
    pub sn: String,
    pub pin: String,
}

#[derive(Deserialize, ToSchema)]
pub struct RelayTemplateReport {
    #[serde(default)]
    pub written: Vec<TemplateWritten>,
    #[serde(default)]
    pub removed: Vec<UserRemoved>,
    /// Templates a terminal cannot take (e.g. a face template over port 4370): logged only.
    #[serde(default)]
    pub failed: Vec<TemplateFailed>,
}

#[derive(Deserialize, ToSchema)]
pub struct TemplateFailed {
    pub sn: String,
    pub id: i64,
    #[serde(default)]
    pub reason: String,
}

#[derive(Serialize, ToSchema)]
pub struct RelayTemplateReportReply {
    /// Entries recorded (others, e.g. a terminal not the relay's or an outdated version, are ignored).
    pub recorded: usize,
}

/// The relay reports which templates it wrote to which terminals, and which users it removed
/// (relay token): a written version is not handed to it again.
#[utoipa::path(post, path = "/api/v1/relay/templates", tag = "relays", request_body = RelayTemplateReport,
    responses((status = 200, body = RelayTemplateReportReply), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn report_templates(
    State(s): State<AppState>,
    RelayAuth(relay): RelayAuth,
    ApiJson(r): ApiJson<RelayTemplateReport>,
) -> ApiResult<Json<RelayTemplateReportReply>> {
    if r.written.len() + r.removed.len() + r.failed.len() > MAX_PUNCHES {
        return Err(ApiError::unprocessable("too_many", "Laporan terlalu besar."));
    }
    for f in r.failed.iter().take(20) {
        let reason: String = f.reason.chars().filter(char::is_ascii_graphic).take(40).collect();
        let sn: String = f.sn.chars().filter(char::is_ascii_graphic).take(40).collect();
        tracing::warn!(relay = relay.id, sn = %sn, template = f.id, reason = %reason, "relay could not write a template");
    }
    let written: Vec<(String, i64, Vec<u8>)> =
        r.written.into_iter().filter_map(|w| Some((w.sn, w.id, unhex(&w.version)?))).collect();
    let removed: Vec<(String, String)> = r.removed.into_iter().map(|u| (u.sn, u.pin)).collect();
    let recorded = crate::templates::relay_wrote(&s, &relay, &written, &removed).await?;
    Ok(Json(RelayTemplateReportReply { recorded }))
}

/// Longest fingerprint template a relay may upload, in base64 characters (ZKFinger templates
/// are 1–2 KiB).
pub const MAX_RELAY_TEMPLATE_CHARS: usize = 8 * 1024;

/// One finger read from a relay terminal's template table.
#[derive(Deserialize, ToSchema)]
pub struct UploadedTemplate {
    /// The relay's terminal it was read from.
    pub sn: String,
    /// The terminal user's PIN (the employee's device PIN).
    pub pin: String,
    /// 0–9.
    pub finger: u8,
    /// 1 usable, 3 duress.
    #[serde(default = "one")]
    pub valid: u8,
    /// Base64 of the template bytes.
    pub template: String,
}

fn one() -> u8 {
    1
}

#[derive(Deserialize, ToSchema)]
pub struct RelayTemplateUpload {
    pub templates: Vec<UploadedTemplate>,
}

#[derive(Serialize, ToSchema)]
pub struct RelayTemplateUploadReply {
    /// New or changed templates stored (and queued for the employee's other terminals).
    pub stored: usize,
    /// Already held in this version.
    pub unchanged: usize,
    /// Not stored: unknown PIN, employee outside the terminal's unit, a terminal that is not
    /// the relay's or not approved.
    pub dropped: usize,
}

/// Fingers enrolled on the relay's terminals (relay token, issue 25): stored like the ones
/// PUSH terminals upload (sealed; only for employees whose unit lies in the terminal's unit
/// subtree, which lies in the relay's) and queued for the employee's other terminals. At most
/// 100 per request; a request with any malformed entry is refused whole.
#[utoipa::path(post, path = "/api/v1/relay/templates/upload", tag = "relays", request_body = RelayTemplateUpload,
    responses((status = 200, body = RelayTemplateUploadReply), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn upload_templates(
    State(s): State<AppState>,
    RelayAuth(relay): RelayAuth,
    ApiJson(up): ApiJson<RelayTemplateUpload>,
) -> ApiResult<Json<RelayTemplateUploadReply>> {
    use hadir_zk::push::{OperLogEntry, parse_operlog};
    if up.templates.len() > crate::templates::MAX_TEMPLATES_PER_BODY {
        return Err(ApiError::unprocessable(
            "too_many",
            format!(
                "Terlalu banyak templat dalam satu kiriman (maksimal {}).",
                crate::templates::MAX_TEMPLATES_PER_BODY
            ),
        ));
    }
    // Every entry is checked before anything is stored.
    let mut per_sn: Vec<(String, Vec<hadir_zk::push::BioTemplate>)> = Vec::new();
    for t in &up.templates {
        if t.template.len() > MAX_RELAY_TEMPLATE_CHARS {
            return Err(ApiError::unprocessable("template_too_large", "Templat sidik jari terlalu besar."));
        }
        let pin_ok = !t.pin.is_empty() && t.pin.len() <= 24 && t.pin.bytes().all(|b| b.is_ascii_alphanumeric());
        let base64_ok = !t.template.is_empty()
            && t.template.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'='));
        if t.finger > 9 || !pin_ok || !base64_ok || !matches!(t.valid, 0..=3) {
            return Err(ApiError::unprocessable("bad_template", "Data templat sidik jari tidak sah."));
        }
        let line = format!(
            "FP PIN={}\tFID={}\tSize={}\tValid={}\tTMP={}",
            t.pin,
            t.finger,
            t.template.len(),
            t.valid,
            t.template
        );
        let parsed = parse_operlog(line.as_bytes());
        let Some(OperLogEntry::Template(b)) = parsed.entries.into_iter().next().map(|e| e.entry) else {
            return Err(ApiError::unprocessable("bad_template", "Data templat sidik jari tidak sah."));
        };
        match per_sn.iter_mut().find(|(sn, _)| *sn == t.sn) {
            Some((_, v)) => v.push(b),
            None => per_sn.push((t.sn.clone(), vec![b])),
        }
    }
    let mine =
        s.store.list_devices(&hadir_store::DeviceFilter { relay_id: Some(relay.id), ..Default::default() }).await?;
    let mut reply = RelayTemplateUploadReply { stored: 0, unchanged: 0, dropped: 0 };
    for (sn, entries) in per_sn {
        let device = mine.iter().find(|d| {
            d.sn == sn
                && d.relay_id == Some(relay.id)
                && d.ip.is_none()
                && d.unit_path.as_deref().is_some_and(|p| p.starts_with(&relay.unit_path))
        });
        let Some(device) = device else {
            tracing::warn!(
                relay = relay.id,
                templates = entries.len(),
                "fingers of a terminal not the relay's dropped"
            );
            reply.dropped += entries.len();
            continue;
        };
        let refs: Vec<&hadir_zk::push::BioTemplate> = entries.iter().collect();
        let got = crate::templates::receive(&s, device, &refs).await?;
        reply.stored += got.stored;
        reply.unchanged += got.unchanged;
        reply.dropped += got.dropped;
    }
    tracing::info!(
        relay = relay.id,
        stored = reply.stored,
        unchanged = reply.unchanged,
        dropped = reply.dropped,
        "fingers uploaded by a relay"
    );
    Ok(Json(reply))
}
