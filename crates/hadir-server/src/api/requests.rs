//! Requests and approvals over HTTP (issue 7): submit, decide, cancel, attach evidence, read
//! one with its history, list (a decider's inbox, "my requests"), and the annual leave balance.
//!
//! Who may do what:
//! - file for yourself any leave, izin, sakit, duty, special attendance or objection; operators
//!   (and admins) may file for employees of their units, and file manual attendance and
//!   outage windows for their units;
//! - decide: the head of the request's unit subtree; the BKD (admins) for long leave
//!   (`CUTI_BESAR`, `CUTI_MELAHIRKAN`, `CLTN`). Nobody decides a request about themself or
//!   one they submitted;
//! - cancel: the submitter or the employee, while the request is a draft or submitted.
//!
//! After a decision the affected days are queued for recomputation; every change is audited
//! in the store's transaction.

use super::Paging;
use crate::api::employees::employee_in_scope;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::json::ApiJson;
use crate::requests as rules;
use crate::state::AppState;
use axum::Json;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use hadir_domain::leave::{self, LeaveBalance};
use hadir_domain::requests::{self as req_rules, ATTACHMENT_MAX_BYTES, ATTACHMENTS_MAX, Family, month_key};
use hadir_domain::zone::rfc3339_local;
use hadir_domain::{CorrectionFix, DayStatus, EmployeeCategory, RosterEntry, unit_zone};
use hadir_store::{
    Audit, DaysLimit, Decider, Employee, Id, LIMIT_ATTACHMENTS, LIMIT_LEAVE_DAYS, NewAttachment, NewRequest,
    PunchSource, RecomputeTarget, Request, RequestFilter, RequestGuard, RequestLine, RequestState, StoreError,
    Transition, Unit,
};
use jiff::Timestamp;
use jiff::civil::{Date, Time};
use jiff::tz::TimeZone;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Debug, Deserialize, ToSchema)]
pub struct ManualEntry {
    /// NIP or login of the employee.
    pub employee: String,
    /// Local time `HH:MM` on the request's date (or RFC 3339).
    pub time: String,
    /// The checkpoint this entry stands for (`masuk`, `pulang`, …); default: matched by time.
    pub checkpoint: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct CreateRequest {
    /// A leave code (`CUTI_TAHUNAN`, `CUTI_SAKIT`, `CUTI_BESAR`, `CUTI_MELAHIRKAN`,
    /// `CUTI_ALASAN_PENTING`, `CLTN`), `IZIN`, `SAKIT`, `DINAS_LUAR`, `DIKLAT`, `TUGAS_BELAJAR`,
    /// `UPACARA`, `MANUAL`, `OUTAGE` or `KEBERATAN`.
    #[serde(rename = "type")]
    pub kind: String,
    /// NIP/login of the employee (default: yourself; others: operators of their unit).
    pub employee: Option<String>,
    /// Unit code, for `MANUAL` and `OUTAGE`.
    pub unit: Option<String>,
    /// `YYYY-MM-DD`. One-day types (`MANUAL`, `OUTAGE`, `KEBERATAN`) may send only `date_from` (or `date`).
    #[schema(format = Date)]
    pub date_from: Option<String>,
    #[schema(format = Date)]
    pub date_to: Option<String>,
    #[schema(format = Date)]
    pub date: Option<String>,
    pub reason: String,
    /// `OUTAGE`: local times `HH:MM` of the window. `KEBERATAN`: `start` is the time the
    /// employee says they were there (`HH:MM`), with the checkpoint in `checkpoints` (optional;
    /// it prefills the decider's correction).
    pub start: Option<String>,
    pub end: Option<String>,
    /// `IZIN`: only these checkpoints are excused (e.g. `["masuk"]` for coming late).
    pub checkpoints: Option<Vec<String>>,
    /// Special attendance: the `special` punch this request approves.
    pub punch_id: Option<Id>,
    /// `MANUAL`: the attendance recorded on the signed sheet.
    pub entries: Option<Vec<ManualEntry>>,
    /// Keep as a draft (submit later with `/submit`).
    #[serde(default)]
    pub draft: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Created {
    pub id: Id,
    pub state: String,
    /// Evidence must be attached before the request can be approved.
    pub evidence_required: bool,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct CorrectionInput {
    /// The day's status (`HADIR`, `TK`, `IZIN`, …), or
    pub status: Option<String>,
    /// a checkpoint (`masuk`, `pulang`) taken as punched at `time` (`HH:MM` local).
    pub checkpoint: Option<String>,
    pub time: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct DecisionInput {
    pub approve: bool,
    /// Required when rejecting.
    pub comment: Option<String>,
    /// Objections (`KEBERATAN`): the correction accepted (required to approve).
    pub correction: Option<CorrectionInput>,
}

#[derive(Debug, Deserialize, Default, ToSchema)]
pub struct CommentInput {
    pub comment: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AttachmentView {
    pub id: Id,
    pub filename: String,
    pub mime: String,
    pub size: i64,
    pub uploaded_at: String,
    pub url: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LineView {
    pub employee_id: Id,
    pub at: String,
    pub checkpoint: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EventView {
    pub at: String,
    pub actor: String,
    pub action: String,
    pub from_state: Option<String>,
    pub to_state: String,
    pub comment: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RequestView {
    pub id: Id,
    #[serde(rename = "type")]
    pub kind: String,
    pub state: String,
    pub employee: Option<String>,
    pub employee_name: Option<String>,
    pub unit_code: String,
    pub date_from: String,
    pub date_to: String,
    pub start_at: Option<String>,
    pub end_at: Option<String>,
    pub reason: String,
    pub checkpoints: Vec<String>,
    /// `head` (head of unit or an operator of the unit) or `bkd`.
    pub decider: String,
    /// Working days covered (leave).
    pub days: Option<i64>,
    pub punch_id: Option<Id>,
    pub submitted_by: String,
    pub created_at: String,
    pub decided_by: Option<String>,
    pub decided_at: Option<String>,
    pub decision_comment: Option<String>,
    #[schema(value_type = Option<Object>)]
    pub correction: Option<serde_json::Value>,
    pub evidence_required: bool,
    pub lines: Vec<LineView>,
    pub attachments: Vec<AttachmentView>,
    /// Every state change: who, when, comment (only on single reads).
    pub history: Vec<EventView>,
    /// Whether you may decide it now.
    pub can_decide: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RequestPage {
    pub items: Vec<RequestView>,
    pub total: u64,
    pub offset: u32,
    pub limit: u32,
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct ListQuery {
    /// draft, submitted, approved, rejected, cancelled.
    pub state: Option<String>,
    #[serde(rename = "type")]
    #[param(rename = "type")]
    pub kind: Option<String>,
    /// Unit code: its subtree.
    pub unit: Option<String>,
    /// Only requests about you or submitted by you.
    pub mine: Option<bool>,
    /// Only requests you may decide now (pending, yours to decide, not your own).
    pub inbox: Option<bool>,
    /// Items to skip (default 0).
    pub offset: Option<u32>,
    /// Items per page (default 50, at most 500).
    pub limit: Option<u32>,
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct YearQuery {
    /// Default: this year.
    pub year: Option<i16>,
}

fn invalid(code: &'static str, msg: impl Into<String>) -> ApiError {
    ApiError::unprocessable(code, msg)
}

fn parse_date(s: Option<&str>, field: &str) -> ApiResult<Option<Date>> {
    crate::dates::opt_date(s, field)
}

/// `HH:MM` local on `date` in `tz`, or a full RFC 3339 instant.
fn parse_instant(s: &str, date: Date, tz: &TimeZone, field: &str) -> ApiResult<Timestamp> {
    let s = s.trim();
    if let Ok(t) = s.parse::<Timestamp>() {
        return crate::dates::check_instant(t, field);
    }
    let t: Time =
        s.parse().map_err(|_| invalid("invalid_time", format!("'{field}' harus berformat JJ:MM (waktu setempat).")))?;
    date.to_datetime(t)
        .to_zoned_datetime(tz.clone())
        .map(|z| z.timestamp())
        .map_err(|_| invalid("invalid_time", format!("'{field}' tidak valid.")))
}

fn tz_of(name: &str) -> TimeZone {
    unit_zone(name).unwrap_or(TimeZone::UTC)
}

fn is_own(caller: &Caller, r: &Request) -> bool {
    r.submitted_by == caller.account_id || (r.employee_id.is_some() && r.employee_id == caller.employee_id)
}

/// The caller's own unit path (as an employee), for the OUTAGE rule below.
pub(crate) async fn own_unit_path(s: &AppState, caller: &Caller) -> Option<String> {
    let id = caller.employee_id?;
    let e = s.employee(id).await.ok()?;
    s.unit(e.unit_id).await.ok().map(|u| u.path.clone())
}

/// The request concerns the caller in a way that bars them from deciding it (issue 16): they
/// are its employee or submitter, an employee on a line of a MANUAL sheet, or a member of the
/// unit subtree an OUTAGE covers. The last is allowed to an admin or to someone holding a head
/// or operator grant on a unit strictly above the request's unit.
fn concerns(caller: &Caller, r: &Request, own_unit: Option<&str>) -> bool {
    if is_own(caller, r) {
        return true;
    }
    if let Some(me) = caller.employee_id
        && r.lines.iter().any(|l| l.employee_id == me)
    {
        return true;
    }
    if r.kind == "OUTAGE"
        && own_unit.is_some_and(|p| p.starts_with(r.unit_path.as_str()))
        && !caller.is_admin
        && !caller.decides_strictly_above(&r.unit_path)
    {
        return true;
    }
    false
}

/// May decide this request (ignoring its state).
fn may_decide(caller: &Caller, r: &Request, own_unit: Option<&str>) -> bool {
    if concerns(caller, r, own_unit) {
        return false;
    }
    match r.decider {
        Decider::Bkd => caller.is_admin,
        Decider::Head => caller.can_decide_for_unit(&r.unit_path),
    }
}

fn may_read(caller: &Caller, r: &Request) -> bool {
    is_own(caller, r)
        || caller.can_read_unit(&r.unit_path)
        || caller.employee_id.is_some_and(|me| r.lines.iter().any(|l| l.employee_id == me))
}

fn evidence_required(r: &Request) -> bool {
    req_rules::evidence_needed(&r.kind, r.date_from, r.date_to).is_some()
}

fn category_of(e: &Employee) -> EmployeeCategory {
    EmployeeCategory::from_code(e.category.as_str()).unwrap_or(EmployeeCategory::Pns)
}

fn view(r: Request, caller: &Caller, own_unit: Option<&str>, tz: &TimeZone) -> RequestView {
    let can_decide = r.state.awaits_decision() && may_decide(caller, &r, own_unit);
    let evidence_required = evidence_required(&r);
    let id = r.id;
    RequestView {
        id,
        kind: r.kind,
        state: r.state.as_str().into(),
        employee: r.employee_login,
        employee_name: r.employee_name,
        unit_code: r.unit_code,
        date_from: r.date_from.to_string(),
        date_to: r.date_to.to_string(),
        start_at: r.start_at.map(|t| rfc3339_local(tz, t)),
        end_at: r.end_at.map(|t| rfc3339_local(tz, t)),
        reason: r.reason,
        checkpoints: r.checkpoints,
        decider: r.decider.as_str().into(),
        days: r.days,
        punch_id: r.punch_id,
        submitted_by: r.submitted_by_name,
        created_at: rfc3339_local(tz, r.created_at),
        decided_by: r.decided_by_name,
        decided_at: r.decided_at.map(|t| rfc3339_local(tz, t)),
        decision_comment: r.decision_comment,
        correction: r.correction.and_then(|c| serde_json::to_value(c).ok()),
        evidence_required,
        lines: r
            .lines
            .into_iter()
            .map(|l| LineView { employee_id: l.employee_id, at: rfc3339_local(tz, l.at), checkpoint: l.checkpoint })
            .collect(),
        attachments: r
            .attachments
            .into_iter()
            .map(|a| AttachmentView {
                url: format!("/api/v1/requests/{id}/attachments/{}", a.id),
                id: a.id,
                filename: a.filename,
                mime: a.mime,
                size: a.size,
                uploaded_at: rfc3339_local(tz, a.uploaded_at),
            })
            .collect(),
        history: r
            .history
            .into_iter()
            .map(|h| EventView {
                at: rfc3339_local(tz, h.at),
                actor: h.actor_name,
                action: h.action,
                from_state: h.from_state.map(|s| s.as_str().into()),
                to_state: h.to_state.as_str().into(),
                comment: h.comment,
            })
            .collect(),
        can_decide,
    }
}

async fn request_in_scope(s: &AppState, caller: &Caller, id: Id) -> ApiResult<Request> {
    let r = s.store.request_by_id(id).await.map_err(|e| match e {
        StoreError::NotFound(_) => ApiError::not_found("Permohonan"),
        e => e.into(),
    })?;
    if !may_read(caller, &r) {
        return Err(ApiError::not_found("Permohonan"));
    }
    Ok(r)
}

async fn unit_tz(s: &AppState, unit_id: Id) -> TimeZone {
    s.unit(unit_id).await.map(|u| tz_of(&u.timezone)).unwrap_or(TimeZone::UTC)
}

fn forbidden(code: &'static str, msg: &str) -> ApiError {
    ApiError::new(StatusCode::FORBIDDEN, code, msg)
}

async fn roster_of(s: &AppState, e: &Employee, from: Date, to: Date) -> ApiResult<Vec<RosterEntry>> {
    let rows = s.store.list_roster(Some(e.id), from, to).await?;
    Ok(rows.into_iter().map(|r| RosterEntry { date: r.date, shift: r.shift }).collect())
}

/// The refusal of annual leave beyond the balance, naming the balance.
fn quota_exceeded(b: &LeaveBalance, days: i64) -> ApiError {
    invalid(
        "leave_quota_exceeded",
        format!(
            "Sisa cuti tahunan {}: {} hari kerja (jatah {} + sisa tahun lalu {}, terpakai {}, menunggu persetujuan {}). Permohonan ini {} hari kerja.",
            b.year, b.remaining, b.entitlement, b.carry_over, b.used, b.pending, days
        ),
    )
    .with_details(serde_json::json!({"remaining": b.remaining, "requested": days, "balance": b}))
}

/// The annual-leave limit for `days` more working days in `year`: refused at once when the
/// balance read now does not hold them, and otherwise handed to the store, which checks it
/// again inside its transaction (parallel requests cannot all pass, issue 17).
async fn annual_limit(s: &AppState, e: &Employee, year: i16, days: i64) -> ApiResult<DaysLimit> {
    let b = rules::leave_balance(s.store.as_ref(), e, year).await?;
    if !b.fits(days) {
        return Err(quota_exceeded(&b, days));
    }
    Ok(DaysLimit { year, max_days: b.limit() })
}

/// What the store checks in its transaction for a request (issue 17 and 19): for an annual-leave
/// request, its employee and the days limit; for a whole-day absence, no overlap.
#[derive(Default)]
struct Guard {
    quota: Option<(Employee, DaysLimit)>,
    exclusive: bool,
}

impl Guard {
    fn for_store(&self) -> RequestGuard {
        RequestGuard {
            days: self.quota.as_ref().map(|q| q.1),
            exclusive_kinds: if self.exclusive { req_rules::exclusive_types() } else { Vec::new() },
        }
    }

    /// A store refusal of the guard becomes the answer a check before the write would give:
    /// the quota refusal with the balance as it is now, or the overlap naming the other request.
    async fn refusal(&self, s: &AppState, days: i64, err: StoreError) -> ApiError {
        match (err, &self.quota) {
            (StoreError::LimitExceeded { limit: LIMIT_LEAVE_DAYS, .. }, Some((e, limit))) => {
                match rules::leave_balance(s.store.as_ref(), e, limit.year).await {
                    Ok(b) => quota_exceeded(&b, days),
                    Err(e) => e.into(),
                }
            }
            (StoreError::Overlaps { request_id }, _) => match s.store.request_by_id(request_id).await {
                Ok(o) => req_rules::RequestRefusal::Overlap {
                    other_id: o.id,
                    other_label: req_rules::family(&o.kind)
                        .and_then(|(_, f)| match f {
                            Family::Leave(k) | Family::Duty(k) => Some(k.label().to_string()),
                            _ => None,
                        })
                        .unwrap_or(o.kind),
                    other_from: o.date_from,
                    other_to: o.date_to,
                }
                .into(),
                Err(e) => e.into(),
            },
            (err, _) => err.into(),
        }
    }
}

/// Submit a request (leave, izin, sakit, duty, special attendance, manual attendance, outage, objection).
#[utoipa::path(post, path = "/api/v1/requests", tag = "requests", request_body = CreateRequest,
    responses((status = 201, body = Created), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_request(
    State(s): State<AppState>,
    caller: Caller,
    ApiJson(b): ApiJson<CreateRequest>,
) -> ApiResult<(StatusCode, Json<Created>)> {
    let (kind, fam) = req_rules::family(&b.kind).ok_or_else(|| {
        invalid(
            "invalid_type",
            format!("Jenis permohonan '{}' tidak dikenal (mis. CUTI_TAHUNAN, IZIN, SAKIT, DINAS_LUAR, MANUAL, OUTAGE, KEBERATAN).", b.kind),
        )
    })?;
    let reason = req_rules::clean_reason(&b.reason)?;
    // Special attendance takes its date from the punch.
    let date_from = match parse_date(b.date_from.as_deref().or(b.date.as_deref()), "date_from")? {
        Some(d) => d,
        None if b.punch_id.is_some() => crate::org::today_jakarta(),
        None => return Err(invalid("date_required", "Tanggal (date_from) wajib diisi.")),
    };
    let date_to = parse_date(b.date_to.as_deref(), "date_to")?.unwrap_or(date_from);
    req_rules::check_dates(fam, date_from, date_to)?;

    let mut new = NewRequest {
        kind: kind.clone(),
        state: if b.draft { RequestState::Draft } else { RequestState::Submitted },
        employee_id: None,
        unit_id: 0,
        date_from,
        date_to,
        start_at: None,
        end_at: None,
        reason,
        checkpoints: b.checkpoints.clone().unwrap_or_default().into_iter().map(|c| c.trim().to_lowercase()).collect(),
        decider: req_rules::decider_for(&kind),
        days: None,
        punch_id: None,
        lines: Vec::new(),
        submitted_by: caller.account_id,
        submitted_by_name: caller.username.clone(),
    };

    let unit: Unit;
    // What the store checks in its transaction (annual-leave quota, overlap).
    let mut guard = Guard::default();
    match fam {
        Family::Manual | Family::Outage => {
            let code = b.unit.as_deref().map(str::trim).filter(|c| !c.is_empty()).ok_or_else(|| {
                invalid("unit_required", "Sebutkan unit kerja (unit) untuk presensi manual atau gangguan.")
            })?;
            unit = s.store.unit_by_code(code).await?;
            if !caller.can_manage_unit(&unit.path) {
                return Err(forbidden(
                    "not_operator",
                    "Hanya operator unit ini (atau admin BKD) yang dapat mengajukan ini.",
                ));
            }
            let tz = tz_of(&unit.timezone);
            new.unit_id = unit.id;
            if fam == Family::Outage {
                let (Some(start), Some(end)) = (b.start.as_deref(), b.end.as_deref()) else {
                    return Err(invalid("times_required", "Jam mulai dan selesai gangguan (start, end) wajib diisi."));
                };
                let start = parse_instant(start, date_from, &tz, "start")?;
                let end = parse_instant(end, date_from, &tz, "end")?;
                req_rules::check_outage_window(start, end)?;
                new.start_at = Some(start);
                new.end_at = Some(end);
            } else {
                let entries = b.entries.as_deref().unwrap_or_default();
                req_rules::check_manual_lines(entries.len())?;
                for (i, en) in entries.iter().enumerate() {
                    let login: String = en.employee.chars().filter(|c| *c != ' ' && *c != '.').collect();
                    // An employee outside the unit gets the same answer as one who does not
                    // exist: a refusal never names someone outside the caller's scope.
                    let not_found = || {
                        invalid(
                            "unknown_employee",
                            format!(
                                "Baris {}: pegawai '{}' tidak ditemukan di unit {}.",
                                i + 1,
                                en.employee.trim(),
                                unit.code
                            ),
                        )
                    };
                    let e = match s.store.employee_by_login(&login).await {
                        Ok(e) => e,
                        Err(StoreError::NotFound(_)) => return Err(not_found()),
                        Err(e) => return Err(e.into()),
                    };
                    let eu = s.unit(e.unit_id).await?;
                    if !eu.path.starts_with(&unit.path) {
                        return Err(not_found());
                    }
                    let at = parse_instant(&en.time, date_from, &tz, "time")?;
                    new.lines.push(RequestLine {
                        employee_id: e.id,
                        at,
                        checkpoint: en.checkpoint.as_ref().map(|c| c.trim().to_lowercase()).filter(|c| !c.is_empty()),
                    });
                }
            }
        }
        _ => {
            let e = match b.employee.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
                Some(login) => {
                    let e = employee_in_scope(&s, &caller, login).await?;
                    if caller.employee_id != Some(e.id) {
                        let eu = s.unit(e.unit_id).await?;
                        if !caller.can_manage_unit(&eu.path) {
                            return Err(forbidden(
                                "not_operator",
                                "Hanya operator unit (atau admin BKD) yang dapat mengajukan atas nama pegawai lain.",
                            ));
                        }
                    }
                    e
                }
                None => {
                    let id = caller.employee_id.ok_or_else(|| {
                        invalid("employee_required", "Sebutkan pegawai (employee=NIP) untuk permohonan ini.")
                    })?;
                    s.store.employee_by_id(id).await?
                }
            };
            unit = s.unit(e.unit_id).await?;
            new.employee_id = Some(e.id);
            new.unit_id = unit.id;
            let tz = tz_of(&unit.timezone);
            req_rules::check_punch_link(fam, b.punch_id.is_some())?;
            match fam {
                Family::Leave(kind) | Family::Duty(kind) if b.punch_id.is_none() => {
                    let category = category_of(&e);
                    leave::check_leave_kind(category, kind, date_from, date_to)?;
                    let facts = leave::ServiceFacts::from_nip(e.nip.as_deref(), category)
                        .with_record(e.service_start, e.gender.as_deref().map(|g| g == "P"));
                    leave::check_eligibility(kind, facts, date_from)?;
                    let ctx = crate::days::context(s.store.as_ref(), &s.policies, &e).await?;
                    let roster = roster_of(&s, &e, date_from, date_to).await?;
                    let days = leave::working_days(&ctx.calendar, &ctx.holidays, &roster, date_from, date_to);
                    leave::check_leave_days(kind, date_from, date_to, days)?;
                    new.days = Some(days);
                    if kind == hadir_domain::AbsenceKind::CutiTahunan && !b.draft {
                        guard.quota = Some((e.clone(), annual_limit(&s, &e, date_from.year(), days).await?));
                    }
                    guard.exclusive = true;
                }
                Family::Leave(_) => return Err(req_rules::RequestRefusal::PunchNotAllowed.into()),
                Family::Duty(_) | Family::Ceremony => {
                    let pid = b.punch_id.ok_or(req_rules::RequestRefusal::PunchRequired)?;
                    let p = s.store.punch_by_id(pid).await.map_err(|_| ApiError::not_found("Absen khusus"))?;
                    req_rules::check_special_punch(p.p.employee_id == Some(e.id), p.p.source == PunchSource::Special)?;
                    if let Some(existing) = s.store.request_by_punch(pid).await? {
                        return Err(ApiError::new(
                            StatusCode::CONFLICT,
                            "already_requested",
                            format!("Absen khusus ini sudah diajukan (permohonan #{}).", existing.id),
                        )
                        .with_details(serde_json::json!({"id": existing.id})));
                    }
                    let local = p.p.punched_at.to_zoned_datetime(tz.clone()).date();
                    new.date_from = local;
                    new.date_to = local;
                    new.start_at = Some(p.p.punched_at);
                    new.punch_id = Some(pid);
                }
                Family::Objection => {
                    let today = crate::days::today_in(&tz);
                    req_rules::check_objection_date(date_from, today)?;
                    // The time the employee claims (a proposal: only the decider's correction counts).
                    if let Some(t) = b.start.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
                        new.start_at = Some(parse_instant(t, date_from, &tz, "start")?);
                    }
                    let locked = s.store.is_month_locked(&month_key(date_from), &unit.path).await?;
                    req_rules::check_objection_month(date_from, locked, false)?;
                    let deadline = crate::recap::deadline_of(s.store.as_ref(), date_from.first_of_month()).await?;
                    req_rules::check_objection_deadline(date_from, deadline, today)?;
                }
                Family::Manual | Family::Outage => unreachable!("handled above"),
            }
        }
    }
    let audit = Audit::new(caller.actor(), "create", "request", "-");
    let r = match s.store.create_request_within(&new, &guard.for_store(), audit).await {
        Ok(r) => r,
        Err(StoreError::Conflict(f)) if f == "punch_id" => {
            return Err(ApiError::new(StatusCode::CONFLICT, "already_requested", "Absen khusus ini sudah diajukan."));
        }
        Err(err) => {
            return Err(guard.refusal(&s, new.days.unwrap_or(0), err).await);
        }
    };
    metrics::counter!("hadir_requests_total", "event" => "create").increment(1);
    let evidence_required = evidence_required(&r);
    Ok((StatusCode::CREATED, Json(Created { id: r.id, state: r.state.as_str().into(), evidence_required })))
}

/// One request with its history and attachment links.
#[utoipa::path(get, path = "/api/v1/requests/{id}", tag = "requests", params(("id" = i64, Path)),
    responses((status = 200, body = RequestView), (status = 404, body = ErrorBody)))]
pub async fn get_request(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<Id>,
) -> ApiResult<Json<RequestView>> {
    let r = request_in_scope(&s, &caller, id).await?;
    let tz = unit_tz(&s, r.unit_id).await;
    let own_unit = own_unit_path(&s, &caller).await;
    Ok(Json(view(r, &caller, own_unit.as_deref(), &tz)))
}

/// Requests: a decider's inbox (`inbox=true`), your own (`mine=true`), or all in your units.
#[utoipa::path(get, path = "/api/v1/requests", tag = "requests", params(ListQuery),
    responses((status = 200, body = RequestPage), (status = 422, body = ErrorBody)))]
pub async fn list_requests(
    State(s): State<AppState>,
    caller: Caller,
    Query(q): Query<ListQuery>,
) -> ApiResult<Json<RequestPage>> {
    let paging = Paging { offset: q.offset, limit: q.limit };
    let mut f = RequestFilter { offset: paging.offset(), limit: paging.limit(), ..Default::default() };
    if let Some(st) = q.state.as_deref().filter(|v| !v.is_empty()) {
        f.state =
            Some(RequestState::parse(st).ok_or_else(|| {
                invalid("invalid_state", "Status: draft, submitted, approved, rejected atau cancelled.")
            })?);
    }
    if let Some(k) = q.kind.as_deref().filter(|v| !v.is_empty()) {
        f.kind = Some(
            req_rules::family(k)
                .map(|(k, _)| k)
                .ok_or_else(|| invalid("invalid_type", "Jenis permohonan tidak dikenal."))?,
        );
    }
    let unit = match q.unit.as_deref().filter(|v| !v.is_empty()) {
        Some(code) => {
            let u = s.store.unit_by_code(code).await?;
            if !caller.can_read_unit(&u.path) {
                return Err(ApiError::forbidden());
            }
            Some(u)
        }
        None => None,
    };
    let me = (caller.employee_id, caller.account_id);
    if q.inbox.unwrap_or(false) {
        f.state = Some(RequestState::Submitted);
        f.exclude_own = Some(me);
        if !caller.is_admin {
            f.decider = Some(Decider::Head);
            let heads: Vec<String> = caller
                .decide_paths()
                .into_iter()
                .filter(|p| unit.as_ref().is_none_or(|u| u.path.starts_with(p.as_str())))
                .collect();
            f.unit_paths = Some(match &unit {
                Some(u) if !heads.is_empty() => vec![u.path.clone()],
                _ => heads,
            });
        } else if let Some(u) = &unit {
            f.unit_paths = Some(vec![u.path.clone()]);
        }
    } else if q.mine.unwrap_or(false) || !caller.is_staff() {
        f.mine = Some(me);
        if let Some(u) = &unit {
            f.unit_paths = Some(vec![u.path.clone()]);
        }
    } else if let Some(u) = &unit {
        f.unit_paths = Some(vec![u.path.clone()]);
    } else if !caller.is_admin {
        f.unit_paths = Some(caller.grants.iter().map(|g| g.unit_path.clone()).collect());
    }
    let inbox = q.inbox.unwrap_or(false);
    let page = s.store.list_requests(&f).await?;
    let own_unit = own_unit_path(&s, &caller).await;
    let mut items = Vec::with_capacity(page.items.len());
    let mut left_out = 0;
    for r in page.items {
        // The store leaves out the decider's own requests; a MANUAL sheet naming them or an
        // OUTAGE of their own unit is left out here.
        if inbox && concerns(&caller, &r, own_unit.as_deref()) {
            left_out += 1;
            continue;
        }
        let tz = unit_tz(&s, r.unit_id).await;
        items.push(view(r, &caller, own_unit.as_deref(), &tz));
    }
    let total = page.total.saturating_sub(left_out);
    Ok(Json(RequestPage { items, total, offset: page.offset, limit: page.limit }))
}

fn parse_correction(c: &CorrectionInput, r: &Request, tz: &TimeZone) -> ApiResult<CorrectionFix> {
    if let Some(st) = c.status.as_deref().filter(|v| !v.trim().is_empty()) {
        let code = st.trim().to_ascii_uppercase();
        let status: DayStatus = serde_json::from_value(serde_json::Value::String(code.clone()))
            .map_err(|_| invalid("invalid_correction", format!("Status '{st}' tidak dikenal.")))?;
        req_rules::check_settable_status(status)?;
        return Ok(CorrectionFix::Status { status });
    }
    match (c.checkpoint.as_deref(), c.time.as_deref()) {
        (Some(cp), Some(t)) if !cp.trim().is_empty() => Ok(CorrectionFix::CheckpointTime {
            checkpoint: cp.trim().to_lowercase(),
            at: parse_instant(t, r.date_from, tz, "correction.time")?,
        }),
        _ => Err(invalid(
            "invalid_correction",
            "Koreksi berisi status (mis. HADIR) atau checkpoint dan jam (mis. masuk 07:25).",
        )),
    }
}

/// Approve or reject a submitted request: the head of unit or an operator of the unit subtree
/// (acting for the unit as the agency's verifier) for head-level types, the BKD (admin) for long
/// leave. Nobody decides a request about themselves or one they filed.
#[utoipa::path(post, path = "/api/v1/requests/{id}/decision", tag = "requests", params(("id" = i64, Path)),
    request_body = DecisionInput,
    responses((status = 200, body = RequestView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn decide_request(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<Id>,
    ApiJson(d): ApiJson<DecisionInput>,
) -> ApiResult<Json<RequestView>> {
    // Not scoped like reads: someone who may not decide is told so (403), not "not found".
    let r = s.store.request_by_id(id).await.map_err(|e| match e {
        StoreError::NotFound(_) => ApiError::not_found("Permohonan"),
        e => e.into(),
    })?;
    let own_unit = own_unit_path(&s, &caller).await;
    if concerns(&caller, &r, own_unit.as_deref()) {
        return Err(forbidden(
            "own_request",
            "Anda tidak dapat memutus permohonan yang menyangkut diri Anda sendiri (sebagai pegawai, pengaju, \
             baris presensi manual, atau anggota unit yang terkena gangguan).",
        ));
    }
    if !may_decide(&caller, &r, own_unit.as_deref()) {
        let msg = match r.decider {
            Decider::Bkd => "Permohonan ini diputus oleh BKD.",
            Decider::Head => "Anda bukan kepala atau operator unit pegawai ini.",
        };
        return Err(forbidden("not_decider", msg));
    }
    if !r.state.awaits_decision() {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "request_not_pending",
            format!("Permohonan ini tidak menunggu keputusan (status: {}).", r.state.as_str()),
        ));
    }
    let comment = d.comment.as_deref().map(str::trim).filter(|c| !c.is_empty()).map(|c| c.chars().take(2000).collect());
    let tz = unit_tz(&s, r.unit_id).await;
    req_rules::check_decision(
        &r.kind,
        r.date_from,
        r.date_to,
        d.approve,
        !r.attachments.is_empty(),
        d.correction.is_some(),
        comment.is_some(),
    )?;
    let correction = match (&d.correction, d.approve && r.kind == "KEBERATAN") {
        (Some(c), true) => Some(parse_correction(c, &r, &tz)?),
        _ => None,
    };
    if r.kind == "KEBERATAN" {
        let locked = s.store.is_month_locked(&month_key(r.date_from), &r.unit_path).await?;
        req_rules::check_objection_month(r.date_from, locked, true)?;
    }
    let (to, action) = if d.approve { (RequestState::Approved, "approve") } else { (RequestState::Rejected, "reject") };
    let t = Transition {
        from: to.reachable_from().to_vec(),
        to,
        actor_account_id: caller.account_id,
        actor_name: caller.username.clone(),
        action: action.into(),
        comment,
        decision: true,
        correction,
    };
    let r = s
        .store
        .transition_request(id, &t, Audit::new(caller.actor(), action, "request", &id.to_string()))
        .await
        .map_err(|e| match e {
            StoreError::Conflict(_) => {
                ApiError::new(StatusCode::CONFLICT, "request_not_pending", "Permohonan ini sudah diputus.")
            }
            e => e.into(),
        })?;
    metrics::counter!("hadir_requests_total", "event" => action).increment(1);
    settle_special_punch(&s, &r, &caller).await;
    if r.state == RequestState::Approved {
        recompute_after(&s, &r).await;
    }
    crate::notifications::decision_notice(&s, &r).await;
    Ok(Json(view(r, &caller, own_unit.as_deref(), &tz)))
}

/// A special punch waits in the review queue with its request (issue 16): once the request is
/// approved, rejected or cancelled, the punch's hold follows (it counts through the request's
/// presence entry, never by itself).
async fn settle_special_punch(s: &AppState, r: &Request, caller: &Caller) {
    let Some(pid) = r.punch_id else { return };
    let Some((accept, note)) = req_rules::special_punch_settlement(r.id, r.state) else { return };
    if let Err(e) =
        s.store.decide_held_punches(&[pid], accept, Some(&note), jiff::Timestamp::now(), caller.actor()).await
    {
        tracing::error!(error = %e, request = r.id, punch = pid, "could not settle the special punch's hold");
    }
}

/// Queues the days an approved request changes.
async fn recompute_after(s: &AppState, r: &Request) {
    let from = r.date_from;
    let to = r.date_to.tomorrow().unwrap_or(r.date_to);
    let res = match r.kind.as_str() {
        "OUTAGE" => s.recompute.enqueue(RecomputeTarget::Subtrees(vec![r.unit_path.clone()]), from, to).await,
        "MANUAL" => {
            let mut ids: Vec<Id> = r.lines.iter().map(|l| l.employee_id).collect();
            ids.sort_unstable();
            ids.dedup();
            s.recompute.enqueue_recompute(&ids, from, to).await
        }
        _ => match r.employee_id {
            Some(e) => s.recompute.enqueue_recompute(&[e], from, to).await,
            None => Ok(0),
        },
    };
    if let Err(e) = res {
        tracing::error!(error = %e, request = r.id, "could not queue recomputation after a decision");
    }
}

/// Cancel your request while it is a draft or submitted.
#[utoipa::path(post, path = "/api/v1/requests/{id}/cancel", tag = "requests", params(("id" = i64, Path)),
    request_body(content = Option<CommentInput>, description = "Optional comment"),
    responses((status = 200, body = RequestView), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn cancel_request(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<Id>,
    body: Bytes,
) -> ApiResult<Json<RequestView>> {
    let r = request_in_scope(&s, &caller, id).await?;
    if !is_own(&caller, &r) {
        return Err(forbidden("not_submitter", "Hanya pengaju atau pegawai yang bersangkutan yang dapat membatalkan."));
    }
    // The body is optional: `{"comment": "…"}`.
    let input: CommentInput = if body.iter().all(u8::is_ascii_whitespace) {
        CommentInput::default()
    } else {
        serde_json::from_slice(&body).map_err(|_| ApiError::bad_request("invalid_json", "Format JSON tidak valid."))?
    };
    let comment = input.comment.map(|c| c.trim().to_string()).filter(|c| !c.is_empty());
    transition_own(&s, &caller, r, RequestState::Cancelled, "cancel", comment, Guard::default()).await
}

/// Submit a draft.
#[utoipa::path(post, path = "/api/v1/requests/{id}/submit", tag = "requests", params(("id" = i64, Path)),
    responses((status = 200, body = RequestView), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn submit_request(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<Id>,
) -> ApiResult<Json<RequestView>> {
    let r = request_in_scope(&s, &caller, id).await?;
    if r.submitted_by != caller.account_id && r.employee_id != caller.employee_id {
        return Err(forbidden("not_submitter", "Hanya pengaju yang dapat mengirim draf ini."));
    }
    if r.state == RequestState::Draft && r.kind == "KEBERATAN" {
        // Filing is submitting: a draft objection is sent only until the month's deadline.
        let today = crate::days::today_in(&unit_tz(&s, r.unit_id).await);
        let locked = s.store.is_month_locked(&month_key(r.date_from), &r.unit_path).await?;
        req_rules::check_objection_month(r.date_from, locked, false)?;
        let deadline = crate::recap::deadline_of(s.store.as_ref(), r.date_from.first_of_month()).await?;
        req_rules::check_objection_deadline(r.date_from, deadline, today)?;
    }
    let mut guard = Guard::default();
    if r.state == RequestState::Draft
        && let Some(eid) = r.employee_id
    {
        let range_absence = matches!(req_rules::family(&r.kind), Some((_, Family::Leave(_) | Family::Duty(_))))
            && r.punch_id.is_none()
            && r.start_at.is_none();
        guard.exclusive = range_absence;
        if r.kind == "CUTI_TAHUNAN" {
            let e = s.store.employee_by_id(eid).await?;
            let (year, days) = (r.date_from.year(), r.days.unwrap_or(0));
            let limit = annual_limit(&s, &e, year, days).await?;
            guard.quota = Some((e, limit));
        }
    }
    transition_own(&s, &caller, r, RequestState::Submitted, "submit", None, guard).await
}

async fn transition_own(
    s: &AppState,
    caller: &Caller,
    r: Request,
    to: RequestState,
    action: &str,
    comment: Option<String>,
    guard: Guard,
) -> ApiResult<Json<RequestView>> {
    let from = to.reachable_from().to_vec();
    if !from.contains(&r.state) {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "request_not_pending",
            format!("Permohonan berstatus {}; tindakan ini tidak dapat dilakukan.", r.state.as_str()),
        ));
    }
    let t = Transition {
        from,
        to,
        actor_account_id: caller.account_id,
        actor_name: caller.username.clone(),
        action: action.into(),
        comment,
        decision: false,
        correction: None,
    };
    let (id, days) = (r.id, r.days.unwrap_or(0));
    let audit = Audit::new(caller.actor(), action, "request", &id.to_string());
    let r = match s.store.transition_request_within(id, &t, &guard.for_store(), audit).await {
        Ok(r) => r,
        Err(StoreError::Conflict(_)) => {
            return Err(ApiError::new(StatusCode::CONFLICT, "request_not_pending", "Status permohonan sudah berubah."));
        }
        Err(err) => {
            return Err(guard.refusal(s, days, err).await);
        }
    };
    settle_special_punch(s, &r, caller).await;
    let tz = unit_tz(s, r.unit_id).await;
    let own_unit = own_unit_path(s, caller).await;
    Ok(Json(view(r, caller, own_unit.as_deref(), &tz)))
}

fn clean_filename(name: Option<&str>, mime: &str) -> String {
    let base: String = name
        .unwrap_or("")
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or("")
        .chars()
        .filter(|c| c.is_alphanumeric() || matches!(c, '.' | '-' | '_' | ' '))
        .take(120)
        .collect();
    let base = base.trim().to_string();
    if !base.is_empty() {
        return base;
    }
    match mime {
        "application/pdf" => "lampiran.pdf".into(),
        "image/png" => "lampiran.png".into(),
        "video/mp4" => "lampiran.mp4".into(),
        "video/webm" => "lampiran.webm".into(),
        _ => "lampiran.jpg".into(),
    }
}

/// The multipart form (for the OpenAPI document).
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct AttachmentForm {
    /// PDF, JPEG or PNG (at most 3 MB); several `file` parts may be sent.
    #[schema(format = Binary, content_media_type = "application/octet-stream")]
    file: Vec<u8>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AttachmentList {
    pub items: Vec<AttachmentView>,
}

/// Attach evidence (PDF/JPEG/PNG) to a pending request.
#[utoipa::path(post, path = "/api/v1/requests/{id}/attachments", tag = "requests", params(("id" = i64, Path)),
    request_body(content = AttachmentForm, content_type = "multipart/form-data"),
    responses((status = 201, body = AttachmentList), (status = 403, body = ErrorBody), (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn add_attachments(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<Id>,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> ApiResult<(StatusCode, Json<AttachmentList>)> {
    let r = request_in_scope(&s, &caller, id).await?;
    if !(is_own(&caller, &r) || caller.can_manage_unit(&r.unit_path)) {
        return Err(forbidden(
            "not_submitter",
            "Hanya pengaju, pegawai yang bersangkutan atau operator unit yang dapat melampirkan.",
        ));
    }
    if !r.state.is_pending() {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "request_not_pending",
            "Lampiran hanya dapat ditambahkan selama permohonan belum diputus.",
        ));
    }
    let mut mp = multipart.map_err(|_| {
        ApiError::bad_request("multipart_required", "Kirim sebagai multipart/form-data dengan bagian 'file'.")
    })?;
    // Videos (issue 20) only where allowed, up to their own setting; everything else 3 MB.
    let video_ok = req_rules::video_evidence_allowed(&r.kind, r.punch_id.is_some());
    let video_max = s.config.evidence_video_max_bytes;
    let max = if video_ok { ATTACHMENT_MAX_BYTES.max(video_max) } else { ATTACHMENT_MAX_BYTES };
    let too_large_of = |limit: usize| {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "attachment_too_large",
            format!("Ukuran lampiran melebihi batas {} MB.", limit / (1024 * 1024)),
        )
    };
    let too_large = || too_large_of(if video_ok { video_max.max(ATTACHMENT_MAX_BYTES) } else { ATTACHMENT_MAX_BYTES });
    let mut files: Vec<(String, &'static str, Bytes)> = Vec::new();
    loop {
        let mut field = match mp.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => return Err(too_large()),
            Err(_) => {
                return Err(ApiError::bad_request(
                    "invalid_multipart",
                    "Data formulir (multipart) rusak atau terpotong.",
                ));
            }
        };
        if field.name() != Some("file") {
            continue;
        }
        // The route takes bodies beyond the global limit (videos): no more files than fit.
        if r.attachments.len() + files.len() >= ATTACHMENTS_MAX {
            return Err(invalid(
                "too_many_attachments",
                format!("Paling banyak {ATTACHMENTS_MAX} lampiran per permohonan."),
            ));
        }
        let name = field.file_name().map(str::to_string);
        let mut buf = Vec::new();
        loop {
            match field.chunk().await {
                Ok(Some(c)) => {
                    if buf.len() + c.len() > max {
                        return Err(too_large());
                    }
                    buf.extend_from_slice(&c);
                }
                Ok(None) => break,
                Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => return Err(too_large()),
                Err(_) => {
                    return Err(ApiError::bad_request("invalid_multipart", "Lampiran tidak terbaca atau terpotong."));
                }
            }
        }
        let mime = match (req_rules::evidence_type(&buf), req_rules::video_type(&buf)) {
            (Some(m), _) => m,
            (None, Some(_)) if !video_ok => {
                return Err(invalid(
                    "video_not_allowed",
                    "Video hanya diterima sebagai bukti presensi manual, keberatan dan absen khusus.",
                ));
            }
            (None, Some(m)) => m,
            (None, None) if video_ok => {
                return Err(invalid("attachment_type", "Lampiran harus berupa PDF, JPEG, PNG, atau video MP4/WebM."));
            }
            (None, None) => return Err(invalid("attachment_type", "Lampiran harus berupa PDF, JPEG atau PNG.")),
        };
        if !mime.starts_with("video/") && buf.len() > ATTACHMENT_MAX_BYTES {
            return Err(too_large_of(ATTACHMENT_MAX_BYTES));
        }
        if mime.starts_with("image/") {
            crate::images::check_pixels(&buf, s.config.checkin.max_image_pixels, "Gambar lampiran")?;
        }
        files.push((clean_filename(name.as_deref(), mime), mime, Bytes::from(buf)));
    }
    if files.is_empty() {
        return Err(invalid("file_required", "Sertakan berkas pada bagian 'file'."));
    }
    let too_many =
        || invalid("too_many_attachments", format!("Paling banyak {ATTACHMENTS_MAX} lampiran per permohonan."));
    // Checked here to spare the blob store a refused upload, and again by the store inside its
    // transaction, where parallel uploads cannot all pass (issue 17).
    if r.attachments.len() + files.len() > ATTACHMENTS_MAX {
        return Err(too_many());
    }
    let mut stored = Vec::new();
    for (filename, mime, bytes) in files {
        let size = bytes.len() as i64;
        let hash = s.blob.put("evidence", bytes).await.map_err(|e| {
            tracing::error!(error = %e, "evidence store failed");
            ApiError::internal()
        })?;
        stored.push(NewAttachment {
            blob_hash: hash,
            mime: mime.into(),
            size,
            filename,
            uploaded_by: caller.account_id,
        });
    }
    // The files are durable before the database names them.
    s.blob.sync().await.map_err(|e| {
        tracing::error!(error = %e, "evidence sync failed");
        ApiError::internal()
    })?;
    let audit = Audit::new(caller.actor(), "attach", "request", &id.to_string());
    let added = s.store.add_attachments(id, &stored, ATTACHMENTS_MAX, audit).await.map_err(|e| match e {
        StoreError::LimitExceeded { limit: LIMIT_ATTACHMENTS, .. } => too_many(),
        e => e.into(),
    })?;
    let tz = unit_tz(&s, r.unit_id).await;
    let items = added
        .into_iter()
        .map(|att| AttachmentView {
            url: format!("/api/v1/requests/{id}/attachments/{}", att.id),
            id: att.id,
            filename: att.filename,
            mime: att.mime,
            size: att.size,
            uploaded_at: rfc3339_local(&tz, att.uploaded_at),
        })
        .collect();
    Ok((StatusCode::CREATED, Json(AttachmentList { items })))
}

/// An attachment's bytes, for those who may read the request.
#[utoipa::path(get, path = "/api/v1/requests/{id}/attachments/{attachment_id}", tag = "requests",
    params(("id" = i64, Path), ("attachment_id" = i64, Path)),
    responses((status = 200, content_type = "application/octet-stream", description = "The file"), (status = 404, body = ErrorBody)))]
pub async fn get_attachment(
    State(s): State<AppState>,
    caller: Caller,
    Path((id, attachment_id)): Path<(Id, Id)>,
) -> ApiResult<Response> {
    let r = request_in_scope(&s, &caller, id).await?;
    let a = r.attachments.iter().find(|a| a.id == attachment_id).ok_or_else(|| ApiError::not_found("Lampiran"))?;
    if a.purged_at.is_some() {
        return Err(ApiError::new(
            StatusCode::GONE,
            "attachment_purged",
            "Lampiran ini sudah dihapus karena masa simpannya berakhir (UU 27/2022 tentang Pelindungan Data Pribadi).",
        ));
    }
    // Someone else's evidence: the view is logged (issue 17).
    // (A MANUAL sheet names everyone on its lines.)
    crate::privacy::record_views(
        &s,
        &caller,
        r.employee_id.into_iter().chain(r.lines.iter().map(|l| l.employee_id)),
        hadir_store::AccessKind::Evidence,
        format!("request:{id}/attachment:{attachment_id}"),
    )
    .await?;
    let bytes = s.blob.get("evidence", &a.blob_hash).await.map_err(|_| ApiError::not_found("Lampiran"))?;
    let disposition = format!("inline; filename=\"{}\"", a.filename.replace('"', ""));
    Ok((
        [
            (header::CONTENT_TYPE, a.mime.clone()),
            (header::CONTENT_DISPOSITION, disposition),
            (header::CACHE_CONTROL, "private, max-age=3600".into()),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff".into()),
        ],
        bytes,
    )
        .into_response())
}

/// Your annual leave balance: entitlement, carry-over, used, pending, remaining.
#[utoipa::path(get, path = "/api/v1/me/leave-balance", tag = "requests", params(YearQuery),
    responses((status = 200, body = rules::LeaveBalance), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn my_leave_balance(
    State(s): State<AppState>,
    caller: Caller,
    Query(q): Query<YearQuery>,
) -> ApiResult<Json<rules::LeaveBalance>> {
    let id = caller
        .employee_id
        .ok_or_else(|| ApiError::forbidden().with_details(serde_json::json!({"reason": "not_an_employee"})))?;
    let e = s.store.employee_by_id(id).await?;
    let year = q.year.unwrap_or_else(|| crate::org::today_jakarta().year());
    // Checked at the edge (issue 17): the balance does date arithmetic on the year.
    crate::dates::year(year)?;
    Ok(Json(rules::leave_balance(s.store.as_ref(), &e, year).await?.into()))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct ObjectionWindowQuery {
    /// The day the objection is about (`YYYY-MM-DD`); default: today.
    pub date: Option<String>,
}

/// Whether an objection to a day may still be filed (issue 19).
#[derive(Debug, Serialize, ToSchema)]
pub struct ObjectionWindow {
    /// `YYYY-MM`: the recap month of the day.
    pub month: String,
    /// Last day (inclusive, the unit's local date) on which objections for the month are filed.
    #[schema(value_type = String, format = Date)]
    pub objection_until: Date,
    /// The month's recap is locked for the employee's unit.
    pub locked: bool,
    /// An objection to the day may be filed now.
    pub open: bool,
    /// For the app, in Indonesian.
    pub message: String,
}

/// The objection deadline of the month of a day, for the caller's own unit (the app shows it in
/// the objection form).
#[utoipa::path(get, path = "/api/v1/me/objection-window", tag = "requests", params(ObjectionWindowQuery),
    responses((status = 200, body = ObjectionWindow), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn my_objection_window(
    State(s): State<AppState>,
    caller: Caller,
    Query(q): Query<ObjectionWindowQuery>,
) -> ApiResult<Json<ObjectionWindow>> {
    let id = caller
        .employee_id
        .ok_or_else(|| ApiError::forbidden().with_details(serde_json::json!({"reason": "not_an_employee"})))?;
    let e = s.store.employee_by_id(id).await?;
    let unit = s.unit(e.unit_id).await?;
    let tz = tz_of(&unit.timezone);
    let today = crate::days::today_in(&tz);
    let date = crate::dates::opt_date(q.date.as_deref(), "date")?.unwrap_or(today);
    let month = month_key(date);
    let deadline = crate::recap::deadline_of(s.store.as_ref(), date.first_of_month()).await?;
    let locked = s.store.is_month_locked(&month, &unit.path).await?;
    let refusal = req_rules::check_objection_date(date, today)
        .and_then(|()| req_rules::check_objection_month(date, locked, false))
        .and_then(|()| req_rules::check_objection_deadline(date, deadline, today))
        .err();
    let message = match &refusal {
        Some(r) => r.to_string(),
        None => format!("Keberatan untuk bulan {month} dapat diajukan sampai {deadline}."),
    };
    Ok(Json(ObjectionWindow { month, objection_until: deadline, locked, open: refusal.is_none(), message }))
}
