//! Today board (the console's first screen): per unit in the caller's scope, how many are
//! present, late, not yet in, on leave, away on duty, absent; the late list; a drill-down to
//! the people of a unit; and the attendance rate of the last 30 days as an inline SVG.
//!
//! Every figure comes from the stored day records (`DayStore::day_records_of`, one batched
//! read), which the background recompute derives with `days::evaluate_days`, the evaluation the
//! employees' own screens and the recap use, so the board agrees with them and costs no
//! evaluation per employee (see [`today_records`] for employees whose record is not stored yet).

use super::chart::{RatePoint, rate_chart};
use super::{CResult, Console, ConsoleError, Nav, html};
use crate::auth::Caller;
use crate::context::DayContext;
use crate::days::{day_start, domain_punches, evaluate_with, today_in};
use crate::state::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::IntoResponse;
use hadir_domain::zone::schedule_minute;
use hadir_domain::{CheckpointKind, CheckpointOutcome, DayRecord, DayStatus};
use hadir_store::{Employee, EmployeeFilter, Id, Unit};
use jiff::{Timestamp, ToSpan};
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap};

/// Where someone stands today.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mark {
    Present,
    Late,
    NotYet,
    Leave,
    Duty,
    Absent,
    /// Not a working day for them (weekend, holiday, before their start date).
    Off,
}

impl Mark {
    pub fn label(self) -> &'static str {
        match self {
            Mark::Present => "Hadir",
            Mark::Late => "Terlambat",
            Mark::NotYet => "Belum absen",
            Mark::Leave => "Cuti/izin",
            Mark::Duty => "Dinas luar",
            Mark::Absent => "Tidak hadir",
            Mark::Off => "Libur",
        }
    }
    pub fn key(self) -> &'static str {
        match self {
            Mark::Present => "present",
            Mark::Late => "late",
            Mark::NotYet => "notyet",
            Mark::Leave => "leave",
            Mark::Duty => "duty",
            Mark::Absent => "absent",
            Mark::Off => "off",
        }
    }
}

/// Today's mark from a day record, `now_minute` minutes after the record's local midnight.
/// No check-in punch while the check-in window is still open is "not yet"; once it has closed,
/// "absent" (until a request or a late punch says otherwise).
pub fn classify(r: &DayRecord, now_minute: i64) -> Mark {
    match r.status {
        DayStatus::Libur | DayStatus::BelumAktif => return Mark::Off,
        DayStatus::Tk => return Mark::Absent,
        s => {
            if let Some(k) = s.absence() {
                return if k.is_duty() { Mark::Duty } else { Mark::Leave };
            }
        }
    }
    match r.checkpoints.iter().find(|c| c.kind == CheckpointKind::CheckIn) {
        Some(c) if c.punch.is_some() => {
            if c.outcome == CheckpointOutcome::Late {
                Mark::Late
            } else {
                Mark::Present
            }
        }
        Some(c) if now_minute < i64::from(c.window_end.minutes()) => Mark::NotYet,
        Some(_) => Mark::Absent,
        None if r.status == DayStatus::Hadir => Mark::Present,
        None => Mark::NotYet,
    }
}

/// Attendance rate of a closed day's records: (present + duty) ÷ working days, like the recap.
pub fn day_rate(statuses: &[DayStatus]) -> Option<f64> {
    let mut working = 0u32;
    let mut present = 0u32;
    for &st in statuses {
        if !st.is_working_day() || st == DayStatus::BelumSelesai {
            continue;
        }
        working += 1;
        if st == DayStatus::Hadir || st.absence().is_some_and(|k| k.is_duty()) {
            present += 1;
        }
    }
    (working > 0).then(|| f64::from(present) / f64::from(working))
}

pub struct Person {
    pub login: String,
    pub name: String,
    pub unit_id: Id,
    pub mark: Mark,
    pub time: String,
    pub minutes_late: u32,
    pub code: String,
    pub explanation: String,
}

fn person(e: &Employee, today: &DayRecord, now: Timestamp) -> Person {
    let tz = hadir_domain::unit_zone(&e.timezone).unwrap_or(jiff::tz::TimeZone::UTC);
    let mark = classify(today, schedule_minute(&tz, today.date, now));
    let check_in = today.checkpoints.iter().find(|c| c.kind == CheckpointKind::CheckIn);
    Person {
        login: e.login.clone(),
        name: e.name.clone(),
        unit_id: e.unit_id,
        mark,
        time: check_in.and_then(|c| c.punch.as_ref()).map(|p| p.time.clone()).unwrap_or_default(),
        minutes_late: check_in.and_then(|c| c.minutes_late).unwrap_or(0),
        code: check_in.and_then(|c| c.code.clone()).unwrap_or_default(),
        explanation: today.explanation.clone(),
    }
}

/// Every active employee in the caller's scope (or under `unit`).
async fn employees_in_scope(s: &AppState, c: &Caller, unit: Option<&Unit>) -> Result<Vec<Employee>, ConsoleError> {
    let mut out = Vec::new();
    let mut offset = 0;
    loop {
        let f = EmployeeFilter {
            unit_code: unit.map(|u| u.code.clone()),
            active: Some(true),
            offset,
            limit: 1000,
            ..Default::default()
        };
        let page = s.store.list_employees(&c.read_scope(), &f).await?;
        let n = page.items.len() as u32;
        out.extend(page.items);
        offset += n;
        if n == 0 || u64::from(offset) >= page.total {
            break;
        }
    }
    Ok(out)
}

/// Today's record of each employee (in their zone), read from the stored day records, which the
/// background recompute keeps current after each punch, decision and policy change (and the
/// sweep every 10 minutes for the days nobody punched). One batched read for everyone, no
/// evaluation per employee.
///
/// An employee without a stored record for today (the recompute has not reached them yet: just
/// after midnight, or a punch seconds ago) gets today's schedule from the policies in memory,
/// evaluated with their punches from one batched read for all such employees; without a punch
/// that is "not yet" until the check-in window closes and "absent" after, as for a stored record.
async fn today_records(s: &AppState, employees: Vec<Employee>) -> Result<Vec<(Employee, DayRecord)>, ConsoleError> {
    crate::api::days::policies_ready(s).await;
    let now = Timestamp::now();
    let todays: Vec<jiff::civil::Date> = employees
        .iter()
        .map(|e| today_in(&hadir_domain::unit_zone(&e.timezone).unwrap_or(jiff::tz::TimeZone::UTC)))
        .collect();
    let (Some(lo), Some(hi)) = (todays.iter().min().copied(), todays.iter().max().copied()) else {
        return Ok(Vec::new());
    };
    let ids: Vec<Id> = employees.iter().map(|e| e.id).collect();
    let mut stored: HashMap<(Id, jiff::civil::Date), DayRecord> = s
        .store
        .day_records_of(&ids, lo, hi)
        .await?
        .into_iter()
        .map(|d| ((d.employee_id, d.record.date), d.record))
        .collect();
    let mut out = Vec::with_capacity(employees.len());
    let mut missing = Vec::new();
    for (e, today) in employees.into_iter().zip(todays) {
        match stored.remove(&(e.id, today)) {
            Some(r) => out.push((e, r)),
            None => missing.push((e, today)),
        }
    }
    if missing.is_empty() {
        return Ok(out);
    }
    let ids: Vec<Id> = missing.iter().map(|(e, _)| e.id).collect();
    let from = day_start(&jiff::tz::TimeZone::UTC, lo.checked_sub(2.days()).unwrap_or(lo));
    let to = day_start(&jiff::tz::TimeZone::UTC, hi.checked_add(2.days()).unwrap_or(hi));
    let mut punches: HashMap<Id, Vec<hadir_store::Punch>> = HashMap::new();
    for p in s.store.punches_of(&ids, from, to).await? {
        if let Some(id) = p.p.employee_id {
            punches.entry(id).or_default().push(p);
        }
    }
    for (e, today) in missing {
        let ctx = crate::days::context(s.store.as_ref(), &s.policies, &e).await?;
        let ps = punches.get(&e.id).map(Vec::as_slice).unwrap_or(&[]);
        if let Some(r) = unstored_today(&ctx, &e, ps, today, now) {
            out.push((e, r));
        }
    }
    Ok(out)
}

/// Today's record of an employee the recompute has not stored yet: today's schedule from the
/// policies in memory and the punches at hand (approvals always queue a recompute, so a missing
/// record has none to apply).
fn unstored_today(
    ctx: &DayContext,
    e: &Employee,
    punches: &[hadir_store::Punch],
    today: jiff::civil::Date,
    now: Timestamp,
) -> Option<DayRecord> {
    let ps = domain_punches(punches);
    let inputs = crate::days::ApprovedInputs::default();
    let tl = crate::context::Timeline::single(e.unit_id, ctx.clone());
    evaluate_with(&tl, &ctx.roster, e, &ps, &inputs, today, today, now).pop()
}

/// Statuses of the stored records of the last `days` days before today (for the chart): only
/// the status column, in one batched read.
async fn recent_statuses(
    s: &AppState,
    employees: &[Employee],
    days: i64,
) -> Result<Vec<(jiff::civil::Date, DayStatus)>, ConsoleError> {
    let today = crate::days::latest_today();
    let from = today.checked_sub(days.days()).unwrap_or(today);
    let ids: Vec<Id> = employees.iter().map(|e| e.id).collect();
    Ok(s.store.day_statuses_of(&ids, from, today).await?.into_iter().map(|(_, d, st)| (d, st)).collect())
}

pub struct UnitRow {
    pub code: String,
    pub name: String,
    pub depth: usize,
    pub total: u32,
    pub counts: Vec<(&'static str, &'static str, u32)>,
}

const BOARD_MARKS: [Mark; 6] = [Mark::Present, Mark::Late, Mark::NotYet, Mark::Leave, Mark::Duty, Mark::Absent];

fn unit_rows(units: &[Unit], people: &[Person]) -> (Vec<UnitRow>, UnitRow) {
    let mut per: HashMap<Id, BTreeMap<&'static str, u32>> = HashMap::new();
    let mut totals: BTreeMap<&'static str, u32> = BTreeMap::new();
    for p in people {
        *per.entry(p.unit_id).or_default().entry(p.mark.key()).or_default() += 1;
        *totals.entry(p.mark.key()).or_default() += 1;
    }
    let row = |code: &str, name: &str, depth: usize, m: &BTreeMap<&'static str, u32>| UnitRow {
        code: code.to_string(),
        name: name.to_string(),
        depth,
        total: m.values().sum(),
        counts: BOARD_MARKS.iter().map(|k| (k.key(), k.label(), m.get(k.key()).copied().unwrap_or(0))).collect(),
    };
    let min_depth = units.iter().map(|u| u.path.matches('/').count()).min().unwrap_or(0);
    let rows = units
        .iter()
        .filter_map(|u| per.get(&u.id).map(|m| row(&u.code, &u.name, u.path.matches('/').count() - min_depth, m)))
        .collect();
    (rows, row("", "Jumlah", 0, &totals))
}

#[derive(Template)]
#[template(path = "admin/board.html")]
struct BoardPage {
    nav: Nav,
    units_html: String,
    chart_svg: String,
    sessions: Vec<SessionRow>,
}

/// A session of today on the board: how many of those who must attend (in the caller's sight)
/// did so far.
pub struct SessionRow {
    pub id: i64,
    pub label: String,
    pub mandatory: bool,
    pub attended: u64,
    pub total: u64,
}

/// Today's apel/upacara sessions of the caller's units, each by the date in its own unit's zone
/// (after 16:00 UTC a WITA unit's today is already the regency's tomorrow), through the same
/// API handlers as `/admin/apel` (same scope).
async fn today_sessions(s: &AppState, c: &Caller) -> Result<Vec<SessionRow>, ConsoleError> {
    use crate::api::sessions::{RangeQuery, attendance, list_sessions};
    let today = today_in(&s.config.regency_zone());
    let around = |n: i64| today.checked_add(jiff::Span::new().days(n)).unwrap_or(today).to_string();
    let q = RangeQuery { from: Some(around(-1)), to: Some(around(1)) };
    let axum::Json(list) = list_sessions(State(s.clone()), c.clone(), Query(q)).await?;
    let mut rows = Vec::new();
    for v in list.items.into_iter().filter(|v| !v.cancelled && v.held_today) {
        let axum::Json(a) = attendance(State(s.clone()), c.clone(), Path(v.id)).await?;
        rows.push(SessionRow {
            id: v.id,
            label: v.label,
            mandatory: v.mandatory,
            attended: a.attended,
            total: a.total,
        });
    }
    Ok(rows)
}

#[derive(Template)]
#[template(path = "admin/board_units.html")]
struct BoardUnits {
    rows: Vec<UnitRow>,
    total: UnitRow,
    late: Vec<Person>,
    updated: String,
}

/// The update time in the regency's zone, labelled (WIB/WITA/WIT).
fn now_text(s: &AppState) -> String {
    let tz = s.config.regency_zone();
    let now = Timestamp::now();
    format!(
        "{} {}",
        now.to_zoned_datetime(tz.clone()).strftime("%H:%M:%S"),
        hadir_domain::zone::zone_abbreviation(&tz, now)
    )
}

async fn units_html(s: &AppState, c: &Caller, today: &[(Employee, DayRecord)]) -> Result<String, ConsoleError> {
    let now = Timestamp::now();
    let units = super::readable_units(s, c).await?;
    let people: Vec<Person> = today.iter().map(|(e, r)| person(e, r, now)).collect();
    let (rows, total) = unit_rows(&units, &people);
    let mut late: Vec<Person> = people.into_iter().filter(|p| p.mark == Mark::Late).collect();
    late.sort_by(|a, b| b.minutes_late.cmp(&a.minutes_late).then(a.name.cmp(&b.name)));
    late.truncate(50);
    BoardUnits { rows, total, late, updated: now_text(s) }
        .render()
        .map_err(|_| ConsoleError(crate::error::ApiError::internal()))
}

fn chart(statuses: &[(jiff::civil::Date, DayStatus)]) -> String {
    let mut by_date: BTreeMap<jiff::civil::Date, Vec<DayStatus>> = BTreeMap::new();
    for (d, st) in statuses {
        by_date.entry(*d).or_default().push(*st);
    }
    let points: Vec<RatePoint> = by_date
        .iter()
        .map(|(d, sts)| RatePoint { label: format!("{:02}/{:02}", d.day(), d.month()), rate: day_rate(sts) })
        .collect();
    rate_chart(&points, "Tingkat kehadiran 30 hari terakhir")
}

/// `GET /admin`: the board with the 30-day chart.
pub async fn page(State(s): State<AppState>, Console(c): Console) -> CResult {
    let employees = employees_in_scope(&s, &c, None).await?;
    let statuses = recent_statuses(&s, &employees, 29).await?;
    let today = today_records(&s, employees).await?;
    let units_html = units_html(&s, &c, &today).await?;
    let sessions = today_sessions(&s, &c).await?;
    Ok(html(&BoardPage { nav: Nav::new(&s, &c, "board"), units_html, chart_svg: chart(&statuses), sessions }))
}

/// `GET /admin/board/units`: today's counts only (polled by htmx every 30 s).
pub async fn units_partial(State(s): State<AppState>, Console(c): Console) -> CResult {
    let employees = employees_in_scope(&s, &c, None).await?;
    let today = today_records(&s, employees).await?;
    let body = units_html(&s, &c, &today).await?;
    Ok(([(axum::http::header::CONTENT_TYPE, "text/html; charset=utf-8")], body).into_response())
}

#[derive(Deserialize)]
pub struct PeopleQuery {
    pub mark: Option<String>,
}

#[derive(Template)]
#[template(path = "admin/board_people.html")]
struct PeopleList {
    unit_code: String,
    unit_name: String,
    filter: String,
    people: Vec<Person>,
}

/// `GET /admin/board/unit/{code}`: the people of one unit and their mark today.
pub async fn people(
    State(s): State<AppState>,
    Console(c): Console,
    Path(code): Path<String>,
    Query(q): Query<PeopleQuery>,
) -> CResult {
    let unit = s.store.unit_by_code(&code).await.map_err(|_| crate::error::ApiError::not_found("Unit kerja"))?;
    if !c.can_read_unit(&unit.path) {
        return Err(crate::error::ApiError::not_found("Unit kerja").into());
    }
    let employees: Vec<Employee> =
        employees_in_scope(&s, &c, Some(&unit)).await?.into_iter().filter(|e| e.unit_id == unit.id).collect();
    let today = today_records(&s, employees).await?;
    let now = Timestamp::now();
    let filter = q.mark.unwrap_or_default();
    let mut people: Vec<Person> =
        today.iter().map(|(e, r)| person(e, r, now)).filter(|p| filter.is_empty() || p.mark.key() == filter).collect();
    people.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(html(&PeopleList { unit_code: unit.code, unit_name: unit.name, filter, people }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use hadir_domain::{DayTime, Percent};

    fn record(status: DayStatus, check_in: Option<(CheckpointOutcome, bool)>) -> DayRecord {
        let json = serde_json::json!({
            "date": "2026-11-24", "status": status, "closed": false, "timezone": "Asia/Makassar",
            "zone": "WITA", "schedule_source": {"type": "weekly"}, "schedule_label": "x", "holiday": null,
            "checkpoints": [], "ignored_punches": [], "deduction": Percent::ZERO, "required_minutes": 0,
            "worked_minutes": 0, "rule_set": "x", "rule_effective_from": "2025-01-01", "request_ids": [],
            "explanation": ""
        });
        let mut r: DayRecord = serde_json::from_value(json).expect("a day record");
        if let Some((outcome, punched)) = check_in {
            let c = serde_json::json!({
                "name": "masuk", "kind": "check_in", "due": DayTime::hm(7, 30), "window_start": DayTime::hm(6, 0),
                "window_end": DayTime::hm(10, 0), "outcome": outcome,
                "punch": if punched { serde_json::json!({"punch_id": 1, "request_id": null, "source": "mobile", "at": "2026-11-24T07:42:00+08:00", "time": "07:42", "next_day": false}) } else { serde_json::Value::Null },
                "minutes_late": null, "minutes_early": null, "code": null, "deduction": Percent::ZERO, "explanation": ""
            });
            r.checkpoints.push(serde_json::from_value(c).expect("a checkpoint"));
        }
        r
    }

    #[test]
    fn marks() {
        let at = |h: i64| h * 60;
        let pending = record(DayStatus::BelumSelesai, Some((CheckpointOutcome::Pending, false)));
        assert_eq!(classify(&pending, at(7)), Mark::NotYet);
        assert_eq!(classify(&pending, at(11)), Mark::Absent, "window closed without a punch");
        let late = record(DayStatus::BelumSelesai, Some((CheckpointOutcome::Late, true)));
        assert_eq!(classify(&late, at(8)), Mark::Late);
        let ok = record(DayStatus::BelumSelesai, Some((CheckpointOutcome::OnTime, true)));
        assert_eq!(classify(&ok, at(8)), Mark::Present);
        assert_eq!(classify(&record(DayStatus::Izin, None), at(8)), Mark::Leave);
        assert_eq!(classify(&record(DayStatus::CutiTahunan, None), at(8)), Mark::Leave);
        assert_eq!(classify(&record(DayStatus::Dl, None), at(8)), Mark::Duty);
        assert_eq!(classify(&record(DayStatus::Tk, None), at(8)), Mark::Absent);
        assert_eq!(classify(&record(DayStatus::Libur, None), at(8)), Mark::Off);
    }

    fn context() -> DayContext {
        DayContext {
            tz: jiff::tz::TimeZone::get("Asia/Makassar").unwrap(),
            calendar: std::sync::Arc::new(hadir_domain::Calendar::perpres_21_2023()),
            calendar_id: None,
            roster: Default::default(),
            holidays: Default::default(),
            rules: std::sync::Arc::new(vec![hadir_domain::RuleSet::default()]),
            channels: Default::default(),
        }
    }

    fn employee() -> Employee {
        serde_json::from_value(serde_json::json!({
            "id": 7, "account_id": 7, "nip": null, "login": "x", "name": "X", "category": "PNS", "unit_id": 1,
            "unit_code": "U", "unit_name": "U", "timezone": "Asia/Makassar", "position": null, "tpp_base": null,
            "device_pin": null, "active": true, "start_date": null
        }))
        .expect("an employee")
    }

    fn punch_at(at: Timestamp) -> hadir_store::Punch {
        hadir_store::Punch {
            id: 1,
            p: hadir_store::NewPunch {
                employee_id: Some(7),
                source: hadir_store::PunchSource::Mobile,
                dedup_key: "k".into(),
                punched_at: at,
                received_at: at,
                captured_at: Some(at),
                device_sn: None,
                device_pin: None,
                lat: None,
                lon: None,
                accuracy_m: None,
                distance_m: None,
                location_name: None,
                photo_hash: None,
                note: None,
                review: None,
                review_detail: None,
                status: None,
                verify: None,
                quarantined: false,
                hold: None,
                response: None,
            },
            prev_hash: String::new(),
            hash: String::new(),
            decision: None,
            photo_purged_at: None,
            position_purged_at: None,
        }
    }

    /// Without a stored record: "not yet" before the check-in window closes, "absent" after;
    /// a punch not yet recomputed counts (late after the due time); no mark on a weekend.
    #[test]
    fn marks_without_a_stored_record() {
        let (ctx, e) = (context(), employee());
        let tuesday = jiff::civil::date(2026, 11, 24);
        let at = |h: i8, m: i8| tuesday.at(h, m, 0, 0).to_zoned_datetime(ctx.tz.clone()).unwrap().timestamp();
        let mark = |ps: &[hadir_store::Punch], now: Timestamp| {
            let r = unstored_today(&ctx, &e, ps, tuesday, now).expect("a record");
            classify(&r, schedule_minute(&ctx.tz, tuesday, now))
        };
        assert_eq!(mark(&[], at(7, 0)), Mark::NotYet);
        assert_eq!(mark(&[], at(11, 0)), Mark::Absent);
        assert_eq!(mark(&[punch_at(at(7, 10))], at(7, 15)), Mark::Present);
        assert_eq!(mark(&[punch_at(at(8, 10))], at(8, 15)), Mark::Late);
        let sunday = jiff::civil::date(2026, 11, 22);
        let r = unstored_today(&ctx, &e, &[], sunday, at(9, 0)).expect("a record");
        assert_eq!(classify(&r, 9 * 60), Mark::Off);
    }

    #[test]
    fn rate_counts_duty_as_present_and_skips_open_and_off_days() {
        use DayStatus::*;
        assert_eq!(day_rate(&[Hadir, Dl, Tk, Izin, BelumSelesai, Libur]), Some(0.5));
        assert_eq!(day_rate(&[Libur, BelumSelesai, BelumAktif]), None);
    }
}
