//! ZKTeco PUSH (ADMS) endpoints, exactly as terminals speak them: `/iclock/cdata`,
//! `/iclock/getrequest`, `/iclock/devicecmd`, `/iclock/ping`. Plain-text bodies, a `Date:`
//! header in GMT on every reply (terminals set their clock from it), `OK:<n>` for uploads.
//! The protocol itself (parsing, replies) lives in `hadir_zk::push`; this module is the glue to
//! the store and the group-commit writer. These routes are not part of `/api/v1` nor of the
//! OpenAPI document.
//!
//! An unknown serial is recorded as `pending` with its address (at most
//! `terminals.max_pending` of them; beyond, 403 and nothing stored); its punches are accepted
//! (`OK:n`, or the terminal would resend forever) and kept in quarantine, outside the hash chain,
//! until an admin approves it. A terminal bound to an address or CIDR is refused (403, nothing
//! changed) from anywhere else. Upload stamps move only with records actually received.
//! "Security PUSH" 3.x terminals are logged and refused clearly.

pub mod cidr;
pub mod punches;
pub mod silence;

use crate::ingest::IngestError;
use crate::state::AppState;
use axum::Router;
use axum::body::Bytes;
use axum::extract::DefaultBodyLimit;
use axum::extract::rejection::BytesRejection;
use axum::extract::{FromRequestParts, RawQuery, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get, post};
use hadir_store::{
    CommandOutcome, Device, DeviceCommand, DeviceContact, DeviceState, PunchSource, QuarantinedPunch, StampUpdate,
    StoreError,
};
use hadir_zk::push::{
    self, CdataRequest, DeviceCmdRequest, GetRequest, HandshakeConfig, KeyValues, OperLogEntry, Table, TimeZoneOption,
    Upload,
};
use jiff::Timestamp;
use std::convert::Infallible;

/// Most commands sent in one getrequest reply (the codec also stops at ~40 KiB).
const MAX_COMMANDS_PER_POLL: u32 = 200;

pub fn router(state: &AppState) -> Router<AppState> {
    silence::spawn_monitor(state.store.clone(), silence::SilenceRule::from_config(&state.config.terminals));
    crate::templates::spawn_sweeper(state.clone());
    Router::new()
        .route("/iclock/cdata", get(cdata_get).post(cdata_post))
        .route("/iclock/cdata.aspx", get(cdata_get).post(cdata_post))
        .route("/iclock/getrequest", get(getrequest))
        .route("/iclock/getrequest.aspx", get(getrequest))
        .route("/iclock/devicecmd", post(devicecmd))
        .route("/iclock/devicecmd.aspx", post(devicecmd))
        .route("/iclock/ping", get(ping))
        .route("/iclock/registry", any(security_push))
        .route("/iclock/push", any(security_push))
        .route("/iclock/{*rest}", any(unknown))
        .layer(DefaultBodyLimit::max(state.config.terminals.max_body_bytes))
        .layer(axum::middleware::map_response(add_date))
}

/// Every reply carries `Date:` in GMT (the terminal sets its clock from it).
async fn add_date(mut r: Response) -> Response {
    if let Ok(v) = HeaderValue::from_str(&push::http_date(Timestamp::now())) {
        r.headers_mut().insert(header::DATE, v);
    }
    r
}

fn text(status: StatusCode, body: impl Into<String>) -> Response {
    (status, [(header::CONTENT_TYPE, "text/plain")], body.into()).into_response()
}

fn ok(body: impl Into<String>) -> Response {
    text(StatusCode::OK, body)
}

/// A refusal the terminal reads as "not done, try later".
struct Refusal(Response);

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        self.0
    }
}

impl Refusal {
    fn bad_request(what: impl std::fmt::Display) -> Refusal {
        Refusal(text(StatusCode::BAD_REQUEST, format!("ERROR: {what}")))
    }
    fn internal() -> Refusal {
        Refusal(text(StatusCode::INTERNAL_SERVER_ERROR, "ERROR: server"))
    }
    fn forbidden(what: &str) -> Refusal {
        Refusal(text(StatusCode::FORBIDDEN, format!("ERROR: {what}")))
    }
    fn body(e: BytesRejection) -> Refusal {
        let status = e.status();
        if status == StatusCode::PAYLOAD_TOO_LARGE {
            Refusal(text(status, "ERROR: data terlalu besar"))
        } else {
            Refusal(text(status, "ERROR: body"))
        }
    }
}

impl From<hadir_store::StoreError> for Refusal {
    fn from(e: hadir_store::StoreError) -> Refusal {
        tracing::error!(error = %e, "terminal request: store failure");
        Refusal::internal()
    }
}

impl From<IngestError> for Refusal {
    fn from(e: IngestError) -> Refusal {
        match e {
            IngestError::Overloaded => {
                let mut r = text(StatusCode::SERVICE_UNAVAILABLE, "ERROR: server busy");
                r.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("30"));
                Refusal(r)
            }
            IngestError::Failed(msg) => {
                tracing::error!(error = %msg, "terminal punches: commit failed");
                Refusal::internal()
            }
        }
    }
}

/// The address a terminal's request came from.
pub struct PeerIp(pub Option<String>);

impl FromRequestParts<AppState> for PeerIp {
    type Rejection = Infallible;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Infallible> {
        let ip = crate::flood::client_ip(&parts.headers, &parts.extensions, state.config.trust_forwarded_for);
        Ok(PeerIp(ip.map(|ip| ip.to_string())))
    }
}

fn num(v: Option<&str>) -> Option<i64> {
    v.and_then(|v| v.trim().parse().ok())
}

fn nonempty(v: Option<&str>) -> Option<String> {
    v.map(str::trim).filter(|v| !v.is_empty()).map(|v| v.chars().take(64).collect())
}

/// What a terminal says about itself in `table=options` or an `INFO` command result.
fn contact_from_options(sn: &str, kv: &KeyValues) -> DeviceContact {
    DeviceContact {
        sn: sn.to_string(),
        model: nonempty(kv.get("~DeviceName").or(kv.get("DeviceName"))),
        firmware: nonempty(kv.get("FirmVer").or(kv.get("FWVersion")).or(kv.get("FirmwareVersion"))),
        reported_ip: nonempty(kv.get("IPAddress")),
        users: num(kv.get("UserCount")),
        fingerprints: num(kv.get("FPCount")),
        records: num(kv.get("TransactionCount").or(kv.get("AttLogCount"))),
        ..Default::default()
    }
}

/// The gate every terminal request passes before anything is written: a terminal bound to an
/// address or CIDR is refused from anywhere else (403, nothing changes: no contact, punches,
/// stamps, commands or results). Returns the terminal when it is known.
async fn admit(s: &AppState, sn: &str, ip: &PeerIp) -> Result<Option<Device>, Refusal> {
    match s.store.device_by_sn(sn).await {
        Ok(d) => {
            if !cidr::allowed(d.bound_cidr.as_deref(), ip.0.as_deref()) {
                tracing::warn!(sn, ip = ?ip.0, bound = ?d.bound_cidr, "terminal request from outside its bound address refused");
                metrics::counter!("hadir_terminal_refused_total", "reason" => "address").increment(1);
                return Err(Refusal::forbidden("alamat tidak diizinkan untuk mesin ini"));
            }
            Ok(Some(d))
        }
        Err(StoreError::NotFound(_)) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// Records the contact of an admitted terminal; an unknown serial becomes pending unless
/// `terminals.max_pending` are pending already (403, nothing stored).
async fn contact(s: &AppState, mut c: DeviceContact, ip: &PeerIp) -> Result<Device, Refusal> {
    admit(s, &c.sn, ip).await?;
    record_contact(s, &mut c, ip).await
}

async fn record_contact(s: &AppState, c: &mut DeviceContact, ip: &PeerIp) -> Result<Device, Refusal> {
    c.ip = ip.0.clone();
    c.max_pending = Some(s.config.terminals.max_pending);
    let d = match s.store.device_contact(c).await {
        Ok(d) => d,
        Err(StoreError::Conflict(what)) if what == "max_pending" => {
            tracing::warn!(sn = %c.sn, ip = ?ip.0, "unknown terminal refused: too many terminals pending approval");
            metrics::counter!("hadir_terminal_refused_total", "reason" => "max_pending").increment(1);
            return Err(Refusal::forbidden("terlalu banyak mesin menunggu persetujuan"));
        }
        Err(e) => return Err(e.into()),
    };
    if d.state == DeviceState::Pending && d.last_seen == Some(d.created_at) {
        tracing::warn!(sn = %d.sn, ip = ?d.ip, "unknown terminal called: recorded as pending, awaiting approval");
    }
    Ok(d)
}

/// `GET /iclock/cdata?SN=…&options=all[&pushver=…]`: the handshake.
async fn cdata_get(State(s): State<AppState>, ip: PeerIp, RawQuery(q): RawQuery) -> Result<Response, Refusal> {
    let req = CdataRequest::parse(q.as_deref().unwrap_or_default()).map_err(Refusal::bad_request)?;
    let h = match req {
        CdataRequest::Handshake(h) => h,
        // A GET with `table` is not something terminals send; answer like ZKTeco's server.
        CdataRequest::Upload(_) => return Ok(ok(push::REPLY_OK)),
    };
    let pushver = h.pushver.as_ref().map(|v| v.raw.clone());
    let d = contact(&s, DeviceContact { sn: h.sn.clone(), pushver, ..Default::default() }, &ip).await?;
    if h.is_security_push() {
        tracing::warn!(
            sn = %h.sn, pushver = %h.pushver.as_ref().map(|v| v.raw.as_str()).unwrap_or_default(),
            "Security PUSH 3.x terminal: not supported yet; set the terminal to PUSH 2.x (ADMS) or read it through a relay"
        );
        return Ok(text(StatusCode::NOT_IMPLEMENTED, "UNSUPPORTED: Security PUSH 3.x"));
    }
    let tz = punches::device_zone(s.store.as_ref(), &d).await;
    let offset = tz.to_offset(Timestamp::now()).seconds();
    let cfg = HandshakeConfig {
        attlog_stamp: d.attlog_stamp.max(0) as u64,
        operlog_stamp: d.operlog_stamp.max(0) as u64,
        attphoto_stamp: d.attphoto_stamp.max(0) as u64,
        time_zone: TimeZoneOption::from_offset_seconds(offset),
        ..HandshakeConfig::default()
    };
    Ok(ok(push::handshake_reply(&h, &cfg)))
}

/// `POST /iclock/cdata?SN=…&table=…&Stamp=…`: uploads.
async fn cdata_post(
    State(s): State<AppState>,
    ip: PeerIp,
    RawQuery(q): RawQuery,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, Refusal> {
    let req = CdataRequest::parse(q.as_deref().unwrap_or_default()).map_err(Refusal::bad_request)?;
    let body = body.map_err(Refusal::body)?;
    let up = match req {
        CdataRequest::Upload(up) => up,
        CdataRequest::Handshake(h) => {
            // A POST without `table`: nothing to store.
            contact(&s, DeviceContact { sn: h.sn, ..Default::default() }, &ip).await?;
            return Ok(ok(push::REPLY_OK));
        }
    };
    admit(&s, &up.sn, &ip).await?;
    if up.table == Table::AttLog {
        let max = s.config.terminals.max_attlog_lines;
        let lines =
            body.split(|b| *b == b'\n').filter(|l| !l.iter().all(u8::is_ascii_whitespace)).take(max + 1).count();
        if lines > max {
            tracing::warn!(sn = %up.sn, ip = ?ip.0, max, "ATTLOG upload with too many lines refused");
            return Err(Refusal(text(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("ERROR: terlalu banyak baris ATTLOG (paling banyak {max} per kiriman)"),
            )));
        }
    }
    let d = record_contact(&s, &mut DeviceContact { sn: up.sn.clone(), ..Default::default() }, &ip).await?;
    match &up.table {
        Table::AttLog => attlog(&s, &d, &up, &body).await,
        Table::OperLog => operlog(&s, &d, &up, &body).await,
        Table::Options => {
            let kv = push::parse_options(&body);
            s.store.device_contact(&contact_from_options(&d.sn, &kv)).await?;
            Ok(ok(push::REPLY_OK))
        }
        Table::AttPhoto => {
            // Photos are not requested (TransFlag); acknowledge so the terminal moves on.
            let received = match push::split_attphoto(&body) {
                Ok(p) => {
                    tracing::debug!(sn = %d.sn, file = %p.file_name, bytes = p.jpeg.len(), "ATTPHOTO ignored");
                    true
                }
                Err(e) => {
                    tracing::warn!(sn = %d.sn, error = %e, "malformed ATTPHOTO ignored");
                    false
                }
            };
            // The stamp moves only with a photo actually received.
            if received {
                let stamps = StampUpdate { attphoto: up.stamp.map(|v| v as i64), ..Default::default() };
                s.store.set_device_stamps(&d.sn, stamps).await?;
            }
            Ok(ok(push::REPLY_OK))
        }
        Table::Other(name) => {
            tracing::info!(sn = %d.sn, table = %name, bytes = body.len(), "upload of an unprocessed table acknowledged");
            Ok(ok(push::REPLY_OK))
        }
    }
}

async fn attlog(s: &AppState, d: &Device, up: &Upload, body: &[u8]) -> Result<Response, Refusal> {
    let received_at = Timestamp::from_millisecond(Timestamp::now().as_millisecond()).unwrap_or(Timestamp::UNIX_EPOCH);
    let mut batch = push::parse_attlog(body);
    for e in &batch.errors {
        tracing::warn!(sn = %d.sn, error = %e, "ATTLOG line skipped");
    }
    // Issue 17: a record dated outside 2000–2100 is a clock fault, never attendance: it is not
    // stored (not even held or quarantined), but acknowledged so the terminal does not resend
    // it for ever, and recorded in the audit trail so the admin sees the faulty terminal.
    let received = batch.records.len();
    let (kept, refused): (Vec<_>, Vec<_>) =
        std::mem::take(&mut batch.records).into_iter().partition(|r| hadir_domain::accepted_datetime(r.time));
    batch.records = kept;
    if !refused.is_empty() {
        refuse_out_of_range(s, &d.sn, refused.iter().map(|r| (r.pin.as_str(), r.time))).await;
    }
    let stored = if d.state == DeviceState::Active {
        let tz = punches::device_zone(s.store.as_ref(), d).await;
        let records: Vec<punches::TerminalRecord> = batch
            .records
            .iter()
            .map(|r| punches::TerminalRecord {
                sn: d.sn.clone(),
                pin: r.pin.clone(),
                time: r.time,
                status: i64::from(r.status),
                verify: i64::from(r.verify),
                tz: tz.clone(),
                unit_path: d.unit_path.clone(),
                source: PunchSource::Terminal,
                received_at,
            })
            .collect();
        let rules = punches::Rules::from_config(&s.config.terminals);
        let new = punches::build(s.store.as_ref(), &records, rules).await?;
        let held = new.iter().filter(|p| p.hold.is_some()).count();
        if held > 0 {
            tracing::info!(sn = %d.sn, punches = held, "terminal punches held for review");
        }
        punches::submit(s, new).await?
    } else {
        let q: Vec<QuarantinedPunch> = batch
            .records
            .iter()
            .map(|r| QuarantinedPunch {
                id: 0,
                device_sn: d.sn.clone(),
                pin: r.pin.clone(),
                local_time: punches::local_time(r.time),
                timezone: None,
                status: i64::from(r.status),
                verify: i64::from(r.verify),
                source: PunchSource::Terminal,
                received_at,
            })
            .collect();
        punches::quarantine(s, &d.sn, &q).await?
    };
    metrics::counter!("hadir_terminal_punches_total", "outcome" => "new").increment(stored.inserted as u64);
    metrics::counter!("hadir_terminal_punches_total", "outcome" => "duplicate").increment(stored.duplicates as u64);
    // The stamp moves only with records actually received (stored now or already held), never
    // by a bare `Stamp=`: a forged empty upload must not make the real terminal skip its data.
    if let Some(stamp) = up.stamp
        && stored.inserted + stored.duplicates > 0
    {
        s.store.set_device_stamps(&d.sn, StampUpdate { attlog: Some(stamp as i64), ..Default::default() }).await?;
    }
    Ok(ok(push::reply_ok_count(received)))
}

/// Records (PIN, wall-clock time) of a terminal refused for a time outside the years 2000–2100:
/// a warning, a metric and one audit record (`terminal_records_refused`, the first 20 named).
pub(crate) async fn refuse_out_of_range<'a>(
    s: &AppState,
    sn: &str,
    records: impl Iterator<Item = (&'a str, jiff::civil::DateTime)>,
) {
    let all: Vec<serde_json::Value> =
        records.map(|(pin, t)| serde_json::json!({"pin": pin, "time": punches::local_time(t)})).collect();
    let Some(first) = all.first() else { return };
    tracing::warn!(sn, records = all.len(), %first, "terminal records dated outside 2000-2100 refused (clock fault?)");
    metrics::counter!("hadir_terminal_records_refused_total", "reason" => "time_out_of_range")
        .increment(all.len() as u64);
    let mut audit = hadir_store::Audit::new((None, &format!("mesin {sn}")), "terminal_records_refused", "device", sn);
    audit.after = Some(serde_json::json!({
        "reason": "time_out_of_range",
        "count": all.len(),
        "records": all.iter().take(20).collect::<Vec<_>>(),
    }));
    if let Err(e) = s.store.append_audit(audit).await {
        tracing::error!(sn, error = %e, "recording refused terminal records failed");
    }
}

async fn operlog(s: &AppState, d: &Device, up: &Upload, body: &[u8]) -> Result<Response, Refusal> {
    let batch = push::parse_operlog(body);
    for e in &batch.errors {
        tracing::warn!(sn = %d.sn, error = %e, "OPERLOG line skipped");
    }
    let (mut users, mut fps, mut ops, mut other) = (0usize, 0usize, 0usize, 0usize);
    for line in &batch.entries {
        match &line.entry {
            OperLogEntry::User(u) => {
                users += 1;
                tracing::debug!(sn = %d.sn, pin = %u.pin, name = %u.name, "terminal user");
            }
            OperLogEntry::Template(_) => fps += 1,
            OperLogEntry::OpLog(_) => ops += 1,
            _ => other += 1,
        }
    }
    tracing::info!(sn = %d.sn, users, templates = fps, operations = ops, other, "OPERLOG received");
    let templates = crate::templates::templates_in(batch.entries.iter().map(|l| &l.entry));
    if !templates.is_empty() {
        let r = crate::templates::receive(s, d, &templates).await?;
        tracing::info!(sn = %d.sn, stored = r.stored, unchanged = r.unchanged, dropped = r.dropped, "templates received");
    }
    if let Some(stamp) = up.op_stamp.or(up.stamp)
        && !batch.entries.is_empty()
    {
        s.store.set_device_stamps(&d.sn, StampUpdate { operlog: Some(stamp as i64), ..Default::default() }).await?;
    }
    Ok(ok(push::reply_ok_count(batch.entries.len())))
}

/// `GET /iclock/getrequest?SN=…[&INFO=…]`: the command poll.
async fn getrequest(State(s): State<AppState>, ip: PeerIp, RawQuery(q): RawQuery) -> Result<Response, Refusal> {
    let req = GetRequest::parse(q.as_deref().unwrap_or_default()).map_err(Refusal::bad_request)?;
    let mut c = DeviceContact { sn: req.sn.clone(), ..Default::default() };
    if let Some(i) = &req.info {
        c.firmware = i.firmware.clone();
        c.users = i.users.map(i64::from);
        c.fingerprints = i.fingerprints.map(i64::from);
        c.records = i.attendance_records.map(i64::from);
        c.reported_ip = i.ip.clone();
    }
    let d = contact(&s, c, &ip).await?;
    // Templates travel as placeholders in the queue: open the ones waiting before taking.
    let prepared = if d.pending_commands > 0 {
        let queued = s.store.queued_device_commands(&req.sn, MAX_COMMANDS_PER_POLL).await?;
        crate::templates::Prepared::for_queue(&s, &queued).await?
    } else {
        crate::templates::Prepared::default()
    };
    // Taken (queued → sent) in one step, as many as fit in the reply, so two polls of this
    // terminal, on this instance or another, never hand out the same command.
    let fit = |q: &[DeviceCommand]| push::getrequest_reply(prepared.lines(q)).1;
    let taken = s.store.take_device_commands(&req.sn, MAX_COMMANDS_PER_POLL, Timestamp::now(), &fit).await?;
    let (body, sent) = push::getrequest_reply(prepared.lines(&taken));
    if sent > 0 {
        tracing::info!(sn = %req.sn, commands = sent, "commands sent to terminal");
    }
    Ok(ok(body))
}

/// `POST /iclock/devicecmd?SN=…`: results of the commands the terminal ran.
async fn devicecmd(
    State(s): State<AppState>,
    ip: PeerIp,
    RawQuery(q): RawQuery,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, Refusal> {
    let req = DeviceCmdRequest::parse(q.as_deref().unwrap_or_default()).map_err(Refusal::bad_request)?;
    let body = body.map_err(Refusal::body)?;
    contact(&s, DeviceContact { sn: req.sn.clone(), ..Default::default() }, &ip).await?;
    let batch = push::parse_devicecmd(&body);
    for e in &batch.errors {
        tracing::warn!(sn = %req.sn, error = %e, "devicecmd line skipped");
    }
    let mut outcomes = Vec::with_capacity(batch.results.len());
    for r in &batch.results {
        if r.cmd.eq_ignore_ascii_case("INFO") && !r.info.0.is_empty() {
            s.store.device_contact(&contact_from_options(&req.sn, &r.info)).await?;
        }
        match r.id.parse::<i64>() {
            Ok(id) => outcomes.push(CommandOutcome {
                id,
                return_code: i64::from(r.return_code),
                meaning: r.meaning().into_owned(),
            }),
            Err(_) => tracing::info!(sn = %req.sn, id = %r.id, "result of a command we did not send"),
        }
        if r.return_code < 0 {
            tracing::warn!(sn = %req.sn, id = %r.id, cmd = %r.cmd, code = r.return_code, meaning = %r.meaning(), "terminal command failed");
        }
    }
    s.store.record_device_command_results(&req.sn, &outcomes, Timestamp::now()).await?;
    Ok(ok(push::REPLY_OK))
}

/// `GET /iclock/ping?SN=…`: keep-alive.
async fn ping(State(s): State<AppState>, ip: PeerIp, RawQuery(q): RawQuery) -> Result<Response, Refusal> {
    let req = DeviceCmdRequest::parse(q.as_deref().unwrap_or_default()).map_err(Refusal::bad_request)?;
    contact(&s, DeviceContact { sn: req.sn, ..Default::default() }, &ip).await?;
    Ok(ok(push::REPLY_OK))
}

/// `/iclock/registry`, `/iclock/push`: Security PUSH 3.x, not supported yet. Refused clearly so
/// the terminal does not believe its data arrived.
async fn security_push(ip: PeerIp, RawQuery(q): RawQuery, uri: axum::http::Uri) -> Response {
    let sn = push::Query::parse(q.as_deref().unwrap_or_default()).serial().unwrap_or_default();
    tracing::warn!(
        sn = %sn, ip = ?ip.0, path = %uri.path(),
        "Security PUSH 3.x terminal: not supported yet; set the terminal to PUSH 2.x (ADMS) or read it through a relay"
    );
    text(StatusCode::NOT_IMPLEMENTED, "UNSUPPORTED: Security PUSH 3.x")
}

async fn unknown(uri: axum::http::Uri) -> Response {
    tracing::info!(path = %uri.path(), "unknown terminal endpoint");
    text(StatusCode::NOT_FOUND, "ERROR: unknown endpoint")
}
