//! Terminal log files carried on a USB flash disk (issue 25): an operator of the terminal's unit
//! or an admin uploads the log a registered terminal exported (`1_attlog.dat`, `GLG_001.TXT`…,
//! read by [`hadir_zk::logfile`]). Its records go through the same path as PUSH and relay
//! records ([`crate::iclock::punches::build`]): the same dedup key (so a file imported twice,
//! or after the same punches came by PUSH or a relay, adds nothing), the same unit, backlog and
//! future holds (old records wait in the review queue), the same group-commit writer. The answer
//! reports every line: stored, held for review, unmatched PIN, already recorded, or refused,
//! with an Indonesian reason.

use crate::auth::Caller;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::iclock::punches::{self, TerminalRecord};
use crate::ingest::IngestError;
use crate::state::AppState;
use axum::Json;
use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use hadir_store::{Audit, DeviceState, PunchInsert, PunchSource};
use hadir_zk::logfile::parse_log_file;
use jiff::{Timestamp, Unit};
use serde::Serialize;
use std::collections::HashMap;
use utoipa::ToSchema;

/// Largest log file (a terminal holding 100 000 records exports about 4 MB).
pub const MAX_LOG_FILE_BYTES: usize = 6 * 1024 * 1024;
/// Most non-blank lines in one file.
pub const MAX_LOG_FILE_LINES: usize = 150_000;
/// Punches handed to the writer per step (each commits in one transaction).
const CHUNK: usize = 1000;

/// What happened to one line of the file.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LogLine {
    /// 1-based line number in the file.
    pub line: usize,
    /// stored (counts), held (stored, waits in the review queue), unmatched (stored; no employee
    /// has this PIN yet: matched when one is given it), duplicate (already recorded: by PUSH,
    /// a relay or an earlier import; nothing added), refused (not read, nothing stored).
    pub outcome: String,
    /// Machine-readable reason for held/refused lines: backlog, future, pin_out_of_unit,
    /// invalid_line, time_out_of_range.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    pub pin: Option<String>,
    /// The terminal's wall clock, `YYYY-MM-DD HH:MM:SS`.
    pub time: Option<String>,
    /// Why, in Indonesian (absent for stored lines).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LogImportReport {
    pub sn: String,
    /// attlog (positional `1_attlog.dat`) or headed (a header line names the columns).
    pub format: String,
    /// Non-blank lines read, the header included.
    pub lines: usize,
    pub stored: usize,
    pub held: usize,
    pub unmatched: usize,
    pub duplicates: usize,
    pub refused: usize,
    /// Every line except blank ones and the header, in file order.
    pub items: Vec<LogLine>,
}

fn too_large() -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "file_too_large",
        format!(
            "Berkas log terlalu besar (paling besar {} MB atau {MAX_LOG_FILE_LINES} baris); bagi menjadi beberapa berkas.",
            MAX_LOG_FILE_BYTES / (1024 * 1024)
        ),
    )
}

/// Imports a log file of terminal `sn` for `caller` (shared by the API and the console).
pub async fn import_log_file(s: &AppState, caller: &Caller, sn: &str, data: &[u8]) -> ApiResult<LogImportReport> {
    caller.require_staff()?;
    let d = super::devices::device_to_manage(s, caller, sn.trim()).await?;
    if d.state != DeviceState::Active || d.unit_path.is_none() {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "device_not_active",
            "Mesin belum disetujui/aktif; setujui dan tetapkan unitnya dahulu, lalu impor berkasnya.",
        ));
    }
    if data.len() > MAX_LOG_FILE_BYTES {
        return Err(too_large());
    }
    let file = parse_log_file(data);
    if file.lines > MAX_LOG_FILE_LINES {
        return Err(too_large());
    }
    if file.records.is_empty() {
        let first: Vec<_> = file
            .errors
            .iter()
            .take(10)
            .map(|e| serde_json::json!({"line": e.line, "reason": e.kind.to_string()}))
            .collect();
        return Err(ApiError::unprocessable(
            "no_records",
            "Tidak ada baris presensi yang terbaca. Pastikan berkas adalah log absensi ekspor mesin \
             (mis. 1_attlog.dat atau GLG_001.TXT), bukan berkas lain.",
        )
        .with_details(serde_json::json!({"errors": first})));
    }

    let now = Timestamp::now();
    let received_at = now.round(Unit::Millisecond).unwrap_or(now);
    let tz = punches::device_zone(s.store.as_ref(), &d).await;
    let mut items: Vec<LogLine> = Vec::with_capacity(file.records.len() + file.errors.len());
    for e in &file.errors {
        items.push(LogLine {
            line: e.line,
            outcome: "refused".into(),
            code: Some("invalid_line".into()),
            pin: None,
            time: None,
            reason: Some(format!("Baris tidak terbaca: {}.", e.kind)),
        });
    }
    let mut records = Vec::with_capacity(file.records.len());
    // PIN, shown time and line(s) of each record by dedup key (a key repeated in the file: each
    // of its lines, in order).
    let mut lines_of: HashMap<String, (String, String, Vec<usize>)> = HashMap::new();
    for r in &file.records {
        let shown = r.time.strftime("%Y-%m-%d %H:%M:%S").to_string();
        if !hadir_domain::accepted_datetime(r.time) {
            items.push(LogLine {
                line: r.line,
                outcome: "refused".into(),
                code: Some("time_out_of_range".into()),
                pin: Some(r.pin.clone()),
                time: Some(shown),
                reason: Some("Tanggal di luar 2000–2100: jam mesin salah, bukan presensi.".into()),
            });
            continue;
        }
        let key = punches::dedup_key(&d.sn, &r.pin, r.time);
        lines_of.entry(key).or_insert_with(|| (r.pin.clone(), shown, vec![])).2.push(r.line);
        records.push(TerminalRecord {
            sn: d.sn.clone(),
            pin: r.pin.clone(),
            time: r.time,
            status: i64::from(r.status),
            verify: i64::from(r.verify),
            tz: tz.clone(),
            unit_path: d.unit_path.clone(),
            source: PunchSource::Terminal,
            received_at,
        });
    }
    let rules = punches::Rules::from_config(&s.config.terminals);
    let mut counted: HashMap<String, usize> = HashMap::new();
    for chunk in records.chunks(CHUNK) {
        let new = punches::build(s.store.as_ref(), chunk, rules).await?;
        let keys: Vec<(String, Option<String>, Option<String>, bool)> = new
            .iter()
            .map(|p| (p.dedup_key.clone(), p.review.clone(), p.review_detail.clone(), p.employee_id.is_some()))
            .collect();
        let results = s.ingest.submit(new).await.map_err(|e| match e {
            IngestError::Overloaded => ApiError::unavailable("Server sedang sibuk; unggah ulang berkas nanti.", 30),
            IngestError::Failed(msg) => {
                tracing::error!(error = %msg, sn = %d.sn, "log file punches: commit failed");
                ApiError::internal()
            }
        })?;
        for ((key, review, detail, matched), result) in keys.into_iter().zip(results) {
            let n = counted.entry(key.clone()).or_default();
            let (pin, time, line) = match lines_of.get(&key) {
                Some((pin, shown, lines)) => {
                    (Some(pin.clone()), Some(shown.clone()), lines.get(*n).copied().unwrap_or(0))
                }
                None => (None, None, 0),
            };
            *n += 1;
            let item = match result {
                PunchInsert::Inserted(_) if review.is_some() => {
                    LogLine { line, outcome: "held".into(), code: review, pin, time, reason: detail }
                }
                PunchInsert::Inserted(_) if !matched => LogLine {
                    line,
                    outcome: "unmatched".into(),
                    code: None,
                    reason: Some(format!(
                        "PIN {} belum dimiliki pegawai mana pun; disimpan dan dicocokkan saat PIN itu diberikan.",
                        pin.as_deref().unwrap_or("-")
                    )),
                    pin,
                    time,
                },
                PunchInsert::Inserted(_) => {
                    LogLine { line, outcome: "stored".into(), code: None, pin, time, reason: None }
                }
                PunchInsert::Duplicate(_) | PunchInsert::PhotoReused(_) => LogLine {
                    line,
                    outcome: "duplicate".into(),
                    code: None,
                    pin,
                    time,
                    reason: Some("Sudah tercatat (dari mesin, relay atau impor sebelumnya); tidak ditambah.".into()),
                },
            };
            items.push(item);
        }
    }
    items.sort_by_key(|i| i.line);
    let count = |o: &str| items.iter().filter(|i| i.outcome == o).count();
    let report = LogImportReport {
        sn: d.sn.clone(),
        format: file.format.as_str().into(),
        lines: file.lines,
        stored: count("stored"),
        held: count("held"),
        unmatched: count("unmatched"),
        duplicates: count("duplicate"),
        refused: count("refused"),
        items,
    };
    let added = report.stored + report.held + report.unmatched;
    if added > 0 {
        let audit = Audit::new(caller.actor(), "import_log_file", "device", &d.sn).after(serde_json::json!({
            "format": report.format, "lines": report.lines, "stored": report.stored, "held": report.held,
            "unmatched": report.unmatched, "duplicates": report.duplicates, "refused": report.refused,
        }));
        s.store.append_audit(audit).await?;
        let event = serde_json::json!({
            "sn": report.sn, "lines": report.lines, "stored": report.stored, "held": report.held,
            "unmatched": report.unmatched, "duplicates": report.duplicates, "refused": report.refused,
            "by": caller.username,
        });
        crate::webhooks::enqueue_or_log(s.store.as_ref(), "punches.log_file_imported", &event).await;
    }
    tracing::info!(sn = %d.sn, by = %caller.username, lines = report.lines, added, duplicates = report.duplicates,
        refused = report.refused, "terminal log file imported");
    metrics::counter!("hadir_logfile_punches_total", "outcome" => "new").increment(added as u64);
    metrics::counter!("hadir_logfile_punches_total", "outcome" => "duplicate").increment(report.duplicates as u64);
    Ok(report)
}

/// Import a terminal's exported attendance log (USB flash disk) as the raw file body.
///
/// Records count as if the terminal had pushed them: idempotent with PUSH, relays and earlier
/// imports; records older than the backlog window wait in the review queue. Operators of the
/// terminal's unit and admins only; the terminal must be approved.
#[utoipa::path(post, path = "/api/v1/devices/{sn}/log-file", tag = "devices", params(("sn" = String, Path)),
    request_body(content = String, content_type = "application/octet-stream"),
    responses((status = 200, body = LogImportReport), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 413, body = ErrorBody), (status = 422, body = ErrorBody),
        (status = 503, body = ErrorBody)))]
pub async fn upload_log_file(
    State(s): State<AppState>,
    caller: Caller,
    Path(sn): Path<String>,
    body: Body,
) -> ApiResult<Json<LogImportReport>> {
    let data: Bytes = axum::body::to_bytes(body, MAX_LOG_FILE_BYTES).await.map_err(|_| too_large())?;
    Ok(Json(import_log_file(&s, &caller, &sn, &data).await?))
}
