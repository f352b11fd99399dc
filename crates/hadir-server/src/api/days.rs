//! Day records over HTTP: a month of one employee's days (status, checkpoints, codes,
//! deduction, explanation) and the employee app's "today" screen.
//!
//! Days are evaluated on read from the punches and the policies in force, so the answer is
//! always current; what was computed is stored in the background (the stored records feed
//! recaps and are kept current by the recompute worker too).

use crate::api::employees::employee_in_scope;
use crate::auth::Caller;
use crate::days::{self, day_start, evaluate_days, storable};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::state::AppState;
use crate::views::PunchView;
use axum::Json;
use axum::extract::{Path, Query, State};
use hadir_domain::zone::{day_time_text, schedule_minute, zone_abbreviation};
use hadir_domain::{
    CheckpointKind, CheckpointOutcome, DayRecord, DayStatus, EmployeeCategory, Percent, RecapInput, monthly_recap,
    punch_date,
};
use hadir_store::{Employee, PunchFilter};
use jiff::Timestamp;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashSet};
use std::time::Duration;
use utoipa::{IntoParams, ToSchema};

#[derive(Deserialize, IntoParams)]
pub struct MonthQuery {
    /// `YYYY-MM`; default: the current month in the employee's zone.
    pub month: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct DaysEmployee {
    pub nip: Option<String>,
    pub login: String,
    pub name: String,
    pub unit_code: String,
    pub timezone: String,
}

#[derive(Serialize, ToSchema)]
pub struct DaysSummary {
    pub days: u32,
    pub working_days: u32,
    /// HADIR days (duty away counted separately).
    pub present: u32,
    pub duty: u32,
    pub tk: u32,
    pub libur: u32,
    /// Leave and permit days.
    pub leave: u32,
    /// Working days not over yet.
    pub pending: u32,
    pub not_active: u32,
    /// Days with a late check-in (TL1–TL3, TL4 by minutes).
    pub late: u32,
    /// Days with an early check-out (PSW1–PSW4 by minutes).
    pub early_leave: u32,
    pub missing_check_in: u32,
    pub missing_check_out: u32,
    /// Count per code (TL1…PSW4 always present).
    pub codes: BTreeMap<String, u32>,
    /// Sum of the daily deductions, capped monthly (percent of the attendance share of TPP).
    #[schema(value_type = f64)]
    pub deduction_percent: Percent,
    /// What is actually deducted (0 in trial mode or for categories the rules do not cover).
    #[schema(value_type = f64)]
    pub deduction_applied_percent: Percent,
    #[schema(value_type = f64)]
    pub monthly_cap: Percent,
    pub trial_mode: bool,
    pub minutes_required: u32,
    pub minutes_present: u32,
    /// The employee's monthly TPP base in rupiah, when known.
    pub tpp_base: Option<i64>,
    /// The attendance share of TPP the percentages apply to (e.g. 40).
    #[schema(value_type = f64)]
    pub tpp_attendance_share: Percent,
    /// The deduction in rupiah (computed, and actually applied), when the TPP base is known.
    pub deduction_rupiah: Option<i64>,
    pub deduction_applied_rupiah: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct DaysResponse {
    pub month: String,
    pub employee: DaysEmployee,
    /// One day record per day of the month: status, checkpoints (punch time, minutes
    /// late/early, TL/PSW code), deduction percent and explanation.
    #[schema(value_type = Vec<Object>)]
    pub days: Vec<DayRecord>,
    pub summary: DaysSummary,
    /// The month's explanation of effective-dated facts (issue 19), in Indonesian: the units
    /// the days were spent in after a transfer, the start and end of employment.
    pub notes: Vec<String>,
}

/// First and last day of `YYYY-MM`.
pub fn parse_month(s: &str) -> ApiResult<(Date, Date)> {
    crate::dates::month(s)
}

/// Waits (briefly) for the first policy load after start.
pub(crate) async fn policies_ready(s: &AppState) {
    let _ = tokio::time::timeout(Duration::from_secs(10), s.policies.wait_loaded()).await;
}

fn category(e: &Employee) -> EmployeeCategory {
    EmployeeCategory::from_code(e.category.as_str()).unwrap_or(EmployeeCategory::Pns)
}

pub fn summarize(records: &[DayRecord], rules: &[hadir_domain::RuleSet], e: &Employee) -> DaysSummary {
    let mut s = DaysSummary {
        days: records.len() as u32,
        working_days: 0,
        present: 0,
        duty: 0,
        tk: 0,
        libur: 0,
        leave: 0,
        pending: 0,
        not_active: 0,
        late: 0,
        early_leave: 0,
        missing_check_in: 0,
        missing_check_out: 0,
        codes: BTreeMap::new(),
        deduction_percent: Percent::ZERO,
        deduction_applied_percent: Percent::ZERO,
        monthly_cap: Percent::HUNDRED,
        trial_mode: false,
        minutes_required: 0,
        minutes_present: 0,
        tpp_base: e.tpp_base,
        tpp_attendance_share: Percent::ZERO,
        deduction_rupiah: None,
        deduction_applied_rupiah: None,
    };
    for r in records {
        let has = |kind: CheckpointKind, outcome: CheckpointOutcome| {
            r.checkpoints.iter().any(|c| c.kind == kind && c.outcome == outcome)
        };
        s.late += u32::from(has(CheckpointKind::CheckIn, CheckpointOutcome::Late));
        s.early_leave += u32::from(has(CheckpointKind::CheckOut, CheckpointOutcome::Early));
        if r.status == DayStatus::Hadir {
            s.missing_check_in += u32::from(has(CheckpointKind::CheckIn, CheckpointOutcome::Missing));
            s.missing_check_out += u32::from(has(CheckpointKind::CheckOut, CheckpointOutcome::Missing));
        }
    }
    if let Ok(m) =
        monthly_recap(&RecapInput { records, rules, category: category(e), tpp_base: e.tpp_base, grade: e.grade })
    {
        s.working_days = m.working_days;
        s.present = m.days_present;
        s.duty = m.days_duty;
        s.tk = m.days_tk;
        s.libur = m.days_libur;
        s.pending = m.days_pending;
        s.not_active = m.days_not_active;
        s.leave =
            m.absence_days.iter().filter(|(k, _)| k.absence().is_some_and(|a| !a.is_duty())).map(|(_, n)| n).sum();
        s.codes = m.code_counts;
        s.deduction_percent = m.deduction_computed;
        s.deduction_applied_percent = m.deduction_applied;
        s.monthly_cap = m.monthly_cap;
        s.trial_mode = m.trial_mode;
        s.minutes_required = m.minutes_required;
        s.minutes_present = m.minutes_present;
        s.tpp_base = m.tpp_base;
        s.tpp_attendance_share = m.tpp_attendance_share;
        s.deduction_rupiah = m.rupiah_computed;
        s.deduction_applied_rupiah = m.rupiah_applied;
    }
    s
}

async fn month_of(s: &AppState, e: Employee, month: Option<String>) -> ApiResult<Json<DaysResponse>> {
    let tz = hadir_domain::unit_zone(&e.timezone).unwrap_or(jiff::tz::TimeZone::UTC);
    let (first, last) = match month.as_deref().filter(|m| !m.trim().is_empty()) {
        Some(m) => parse_month(m)?,
        None => {
            let today = days::today_in(&tz);
            (today.first_of_month(), today.last_of_month())
        }
    };
    policies_ready(s).await;
    let history = s.store.unit_history(&[e.id]).await?;
    let tl = days::timeline(s.store.as_ref(), &s.policies, &e, &history, first, last).await?;
    let records = days::evaluate_days_on(s.store.as_ref(), &tl, &e, first, last, Timestamp::now()).await?;
    let notes = month_notes(s, &e, &tl, first, last).await?;
    // Store what was computed, off the request path (unchanged records are not rewritten).
    let rows = storable(&e, &records);
    if !rows.is_empty() {
        let store = s.store.clone();
        tokio::spawn(async move {
            if let Err(err) = store.upsert_day_records(&rows).await {
                tracing::warn!(error = %err, "could not store day records");
            }
        });
    }
    let ctx = s.policies.context_for(&e);
    let summary = summarize(&records, &ctx.rules, &e);
    Ok(Json(DaysResponse {
        month: format!("{:04}-{:02}", first.year(), first.month()),
        employee: DaysEmployee {
            nip: e.nip.clone(),
            login: e.login.clone(),
            name: e.name.clone(),
            unit_code: e.unit_code.clone(),
            timezone: e.timezone.clone(),
        },
        days: records,
        summary,
        notes,
    }))
}

/// The explanation of a month's effective-dated facts: each unit's days after a transfer (with
/// its zone), the start and the end of employment when they fall in the month.
async fn month_notes(
    s: &AppState,
    e: &Employee,
    tl: &crate::context::Timeline,
    first: Date,
    last: Date,
) -> ApiResult<Vec<String>> {
    let mut notes = Vec::new();
    if let Some(start) = e.start_date.filter(|d| (first..=last).contains(d)) {
        notes.push(format!("Mulai bekerja {start}; hari sebelumnya belum dihitung."));
    }
    let spans = tl.spans();
    let mut units: Vec<(hadir_store::Id, Date, Date)> = Vec::new();
    for (i, sp) in spans.iter().enumerate() {
        let to = spans.get(i + 1).and_then(|n| n.from.yesterday().ok()).unwrap_or(last);
        match units.last_mut() {
            Some(u) if u.0 == sp.unit_id => u.2 = to,
            _ => units.push((sp.unit_id, sp.from.max(first), to)),
        }
    }
    if units.len() > 1 {
        for (unit_id, from, to) in units {
            let u = s.store.unit_by_id(unit_id).await?;
            notes.push(format!("{from} s.d. {to}: {} ({}), zona {}.", u.name, u.code, u.timezone));
        }
    }
    if let Some(end) = e.end_date.filter(|d| (first..=last).contains(d)) {
        let why = e.end_reason.map(|r| r.label()).unwrap_or("berhenti");
        notes.push(format!("Berhenti bekerja ({why}), hari terakhir {end}; sesudahnya tidak ada hari kerja."));
    }
    Ok(notes)
}

fn own_employee_id(caller: &Caller) -> ApiResult<hadir_store::Id> {
    caller
        .employee_id
        .ok_or_else(|| ApiError::forbidden().with_details(serde_json::json!({"reason": "not_an_employee"})))
}

/// Your own days of a month: one entry per day with status, codes and explanation.
#[utoipa::path(get, path = "/api/v1/me/days", tag = "days", params(MonthQuery),
    responses((status = 200, body = DaysResponse), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn my_days(
    State(s): State<AppState>,
    caller: Caller,
    Query(q): Query<MonthQuery>,
) -> ApiResult<Json<DaysResponse>> {
    let e = s.store.employee_by_id(own_employee_id(&caller)?).await?;
    month_of(&s, e, q.month).await
}

/// An employee's days of a month (yourself, or someone in your units).
#[utoipa::path(get, path = "/api/v1/employees/{nip}/days", tag = "days", params(("nip" = String, Path), MonthQuery),
    responses((status = 200, body = DaysResponse), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn employee_days(
    State(s): State<AppState>,
    caller: Caller,
    Path(nip): Path<String>,
    Query(q): Query<MonthQuery>,
) -> ApiResult<Json<DaysResponse>> {
    let e = employee_in_scope(&s, &caller, &nip).await?;
    // The month's punches carry positions: someone else's view is logged (issue 17).
    let item = format!("days:{}", q.month.as_deref().unwrap_or(""));
    crate::privacy::record_view(&s, &caller, Some(e.id), hadir_store::AccessKind::Position, item).await?;
    month_of(&s, e, q.month).await
}

#[derive(Serialize, ToSchema)]
pub struct TodayCheckpoint {
    pub name: String,
    /// check_in, presence or check_out.
    pub kind: String,
    pub due: String,
    pub window_start: String,
    pub window_end: String,
    /// upcoming, open, on_time, late, early, present, missing or excused.
    pub state: String,
    /// Local time of the punch used, `07:42`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub minutes_late: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub minutes_early: Option<u32>,
}

#[derive(Serialize, ToSchema)]
pub struct TodayLocation {
    pub name: String,
    pub lat: f64,
    pub lon: f64,
    pub radius_m: f64,
}

#[derive(Serialize, ToSchema)]
pub struct TodayPunchOutcome {
    pub id: i64,
    /// Local time, `07:42`, and its zone.
    pub time: String,
    pub zone: String,
    /// How it came in, in Indonesian: "Aplikasi", "Absen khusus", "Mesin absen".
    pub channel: String,
    /// `counted` (used for a checkpoint, or an approved special attendance), `not_counted`
    /// (matches no checkpoint), `pending` (waits for a decision) or `rejected`.
    pub outcome: String,
    /// What happened, in Indonesian: "Masuk — terlambat 12 menit (TL1)", the reason it does
    /// not count, "Menunggu pemeriksaan atasan", or "Ditolak: <note>".
    pub text: String,
}

/// What became of one punch of the day (`record`'s checkpoints and ignored punches, or its hold).
fn punch_outcome(p: &hadir_store::Punch, record: &DayRecord, tz: &jiff::tz::TimeZone) -> TodayPunchOutcome {
    let local = p.p.punched_at.to_zoned_datetime(tz.clone());
    let channel = match p.p.source {
        hadir_store::PunchSource::Mobile => "Aplikasi",
        hadir_store::PunchSource::Special => "Absen khusus",
        _ => "Mesin absen",
    };
    let (state, _) = crate::views::punch_state(p);
    let used = record.checkpoints.iter().find(|c| c.punch.as_ref().is_some_and(|m| m.punch_id == Some(p.id)));
    let ignored = record.ignored_punches.iter().find(|i| i.punch.punch_id == Some(p.id));
    let (outcome, text) = if let Some(c) = used {
        let name = capitalised(&c.name);
        let what = match (c.minutes_late, c.minutes_early, &c.code) {
            (Some(m), _, Some(code)) if m > 0 => format!("terlambat {m} menit ({code})"),
            (_, Some(m), Some(code)) if m > 0 => format!("pulang {m} menit lebih awal ({code})"),
            (_, _, Some(code)) => format!("tercatat ({code})"),
            _ if c.kind == CheckpointKind::Presence => "hadir".to_string(),
            _ => "tepat waktu".to_string(),
        };
        ("counted", format!("{name} — {what}"))
    } else if let Some(i) = ignored {
        let why = i.explanation.split_once(": ").map(|(_, r)| r.to_string()).unwrap_or_else(|| i.explanation.clone());
        ("not_counted", format!("Tidak dihitung: {why}"))
    } else if state == "pending" {
        // Held by a fraud signal (issue 23): the employee reads why.
        match p.p.review_detail.as_deref().filter(|_| p.p.review.as_deref() == Some("signal")) {
            Some(why) => ("pending", format!("Menunggu pemeriksaan atasan ({why})")),
            None => ("pending", "Menunggu pemeriksaan atasan".to_string()),
        }
    } else if state == "rejected" {
        let note = p.decision.as_ref().and_then(|d| d.note.as_deref()).map(|n| format!(": {n}")).unwrap_or_default();
        ("rejected", format!("Ditolak{note}"))
    } else if p.p.source == hadir_store::PunchSource::Special {
        ("counted", "Absen khusus disetujui".to_string())
    } else {
        ("not_counted", "Tidak dihitung: di luar jadwal hari ini".to_string())
    };
    TodayPunchOutcome {
        id: p.id,
        time: local.strftime("%H:%M").to_string(),
        zone: zone_abbreviation(tz, p.p.punched_at),
        channel: channel.into(),
        outcome: outcome.into(),
        text,
    }
}

#[derive(Serialize, ToSchema)]
pub struct TodayResponse {
    /// The day shown (yesterday's date while an overnight shift is still running).
    pub date: String,
    pub timezone: String,
    /// WIB, WITA or WIT.
    pub zone: String,
    pub status: String,
    /// Not a working day (weekend, holiday, roster day off).
    pub day_off: bool,
    pub holiday: Option<String>,
    pub schedule: String,
    pub checkpoints: Vec<TodayCheckpoint>,
    pub locations: Vec<TodayLocation>,
    pub punches: Vec<PunchView>,
    /// Every punch of the day (held and rejected ones too) with what became of it, for the
    /// home card.
    pub punch_outcomes: Vec<TodayPunchOutcome>,
    /// One Indonesian sentence for the home screen.
    pub message: String,
}

fn outcome_name(o: CheckpointOutcome) -> &'static str {
    match o {
        CheckpointOutcome::OnTime => "on_time",
        CheckpointOutcome::Late => "late",
        CheckpointOutcome::Early => "early",
        CheckpointOutcome::Present => "present",
        CheckpointOutcome::Missing => "missing",
        CheckpointOutcome::Pending => "open",
        CheckpointOutcome::Excused => "excused",
    }
}

fn kind_name(k: CheckpointKind) -> &'static str {
    match k {
        CheckpointKind::CheckIn => "check_in",
        CheckpointKind::Presence => "presence",
        CheckpointKind::CheckOut => "check_out",
    }
}

fn capitalised(s: &str) -> String {
    let mut c = s.chars();
    c.next().map(|f| f.to_uppercase().chain(c).collect()).unwrap_or_default()
}

/// The employee app's home screen: today's checkpoints and their state, the office
/// locations, today's punches and one sentence on what to do next.
#[utoipa::path(get, path = "/api/v1/me/today", tag = "days",
    responses((status = 200, body = TodayResponse), (status = 403, body = ErrorBody)))]
pub async fn my_today(State(s): State<AppState>, caller: Caller) -> ApiResult<Json<TodayResponse>> {
    let e = s.store.employee_by_id(own_employee_id(&caller)?).await?;
    policies_ready(&s).await;
    let ctx = days::context(s.store.as_ref(), &s.policies, &e).await?;
    let now = Timestamp::now();
    let local = days::today_in(&ctx.tz);
    // While last night's shift is still running, "today" is its date.
    let date = match local.yesterday().ok().and_then(|y| ctx.calendar.resolve(y, &ctx.roster).ok()) {
        Some(prev) => punch_date(&ctx.tz, now, &prev),
        None => local,
    };
    let record = evaluate_days(s.store.as_ref(), &s.policies, &e, date, date, now)
        .await?
        .into_iter()
        .next()
        .ok_or_else(ApiError::internal)?;
    let unit = s.store.unit_by_id(e.unit_id).await?;
    let ids: HashSet<i64> = record
        .checkpoints
        .iter()
        .filter_map(|c| c.punch.as_ref().and_then(|p| p.punch_id))
        .chain(record.ignored_punches.iter().filter_map(|i| i.punch.punch_id))
        .collect();
    let punches = s
        .store
        .list_punches(&PunchFilter {
            employee_id: Some(e.id),
            from: Some(day_start(&ctx.tz, date.yesterday().unwrap_or(date))),
            to: Some(day_start(&ctx.tz, date.tomorrow().and_then(|d| d.tomorrow()).unwrap_or(date))),
            limit: 1000,
            ..Default::default()
        })
        .await?;
    // The day's punches: those the record used or set aside, and held, rejected or special
    // ones of the same local date (they are not evaluated while they do not count).
    let of_day: Vec<&hadir_store::Punch> = punches
        .iter()
        .filter(|p| {
            ids.contains(&p.id) || (!p.p.quarantined && p.p.punched_at.to_zoned_datetime(ctx.tz.clone()).date() == date)
        })
        .collect();
    let punch_outcomes = of_day.iter().map(|p| punch_outcome(p, &record, &ctx.tz)).collect();
    let punches: Vec<PunchView> =
        punches.iter().filter(|p| ids.contains(&p.id)).map(|p| PunchView::new(p, &ctx.tz)).collect();
    let now_minute = schedule_minute(&ctx.tz, date, now);
    let zone = zone_abbreviation(&ctx.tz, now);
    let checkpoints: Vec<TodayCheckpoint> = record
        .checkpoints
        .iter()
        .map(|c| {
            let state = match c.outcome {
                CheckpointOutcome::Pending if now_minute < i64::from(c.window_start.minutes()) => "upcoming",
                o => outcome_name(o),
            };
            TodayCheckpoint {
                name: c.name.clone(),
                kind: kind_name(c.kind).into(),
                due: day_time_text(c.due),
                window_start: day_time_text(c.window_start),
                window_end: day_time_text(c.window_end),
                state: state.into(),
                time: c.punch.as_ref().map(|p| p.time.clone()),
                code: c.code.clone(),
                minutes_late: c.minutes_late,
                minutes_early: c.minutes_early,
            }
        })
        .collect();
    let first_name = e.name.split_whitespace().next().unwrap_or(&e.name);
    let message = match (record.status, &record.holiday) {
        (DayStatus::Libur, Some(h)) => format!("Hari ini libur: {}.", h.name),
        (DayStatus::Libur, None) => "Hari ini bukan hari kerja Anda.".to_string(),
        (DayStatus::BelumAktif, _) => "Presensi Anda belum dihitung (sebelum tanggal mulai).".to_string(),
        (st, _) if st.absence().is_some() => format!("Hari ini Anda tercatat {}.", st.label()),
        _ => match checkpoints.iter().find(|c| c.state == "open" || c.state == "upcoming") {
            Some(c) if c.state == "open" => format!(
                "Halo {first_name}, silakan absen {} (batas {} {zone}, jendela {}–{}).",
                c.name, c.due, c.window_start, c.window_end
            ),
            Some(c) => {
                format!("Halo {first_name}, absen {} dibuka pukul {} {zone} (batas {}).", c.name, c.window_start, c.due)
            }
            None => record.explanation.clone(),
        },
    };
    Ok(Json(TodayResponse {
        date: date.to_string(),
        timezone: record.timezone.clone(),
        zone,
        status: record.status.code().into(),
        day_off: record.status == DayStatus::Libur,
        holiday: record.holiday.as_ref().map(|h| h.name.clone()),
        schedule: capitalised(&record.schedule_label),
        checkpoints,
        locations: unit
            .locations
            .iter()
            .map(|l| TodayLocation { name: l.name.clone(), lat: l.lat, lon: l.lon, radius_m: l.radius_m })
            .collect(),
        punches,
        punch_outcomes,
        message,
    }))
}
