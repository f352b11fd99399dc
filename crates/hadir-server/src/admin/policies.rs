//! Calendars, holidays and rule sets: what is in force, read from the API's own views. Admins
//! add holidays, edit a calendar's weekly checkpoints (masuk/pulang due times and windows per
//! weekday), copy a calendar, assign one to a unit, and add a rule set version (grace, brackets,
//! percentages) from a form; every save is the API's handler (validation, audit, recompute), and
//! its validation messages appear in the error box.

use super::{CResult, Console, ConsoleError, Nav, html};
use crate::api::policies::{AssignInput, CalendarView, HolidayInput, YearQuery};
use crate::auth::Caller;
use crate::error::ApiError;
use crate::json::ApiJson;
use crate::state::AppState;
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use hadir_domain::{
    Bracket, Calendar, Checkpoint, CheckpointKind, DaySchedule, DayTime, EmployeeCategory, Percent, PeriodKind,
    RuleSet, WeeklyPattern,
};
use serde::Deserialize;
use std::collections::HashMap;

pub struct CalLine {
    pub id: i64,
    pub name: String,
    pub is_default: bool,
    pub hours: String,
    pub days: Vec<String>,
    pub assigned: String,
}

pub struct RuleLine {
    pub id: i64,
    pub name: String,
    pub effective_from: String,
    pub summary: String,
}

#[derive(Template)]
#[template(path = "admin/policies.html")]
struct PoliciesPage {
    nav: Nav,
    year: i16,
    calendars: Vec<CalLine>,
    holidays: Vec<crate::api::policies::HolidayView>,
    rules: Vec<RuleLine>,
    units: Vec<(String, String)>,
}

impl PoliciesPage {
    /// A holiday kind's code (`libur_nasional`, …) in words.
    fn holiday_kind(&self, code: &str) -> &'static str {
        hadir_domain::HolidayKind::from_code(code).map(|k| k.label()).unwrap_or("Hari libur")
    }
}

#[derive(Deserialize)]
pub struct PageQuery {
    pub year: Option<i16>,
}

/// `GET /admin/policies`.
pub async fn page(State(s): State<AppState>, Console(c): Console, Query(q): Query<PageQuery>) -> CResult {
    let year = q.year.unwrap_or_else(|| crate::org::today_jakarta().year());
    let axum::Json(cals) = crate::api::policies::list_calendars(State(s.clone()), c.clone()).await?;
    let axum::Json(hols) =
        crate::api::policies::list_holidays(State(s.clone()), c.clone(), Query(YearQuery { year: Some(year) })).await?;
    let axum::Json(rules) = crate::api::policies::list_rule_sets(State(s.clone()), c.clone()).await?;
    let calendars = cals
        .into_iter()
        .map(|cv| CalLine {
            id: cv.id,
            days: day_rows(&cv.calendar)
                .into_iter()
                .map(|d| {
                    if d.work {
                        format!("{} {}–{}", &d.label[..3], d.in_due, d.out_due)
                    } else {
                        format!("{} libur", &d.label[..3])
                    }
                })
                .collect(),
            assigned: assigned_text(&cv),
            name: cv.name,
            is_default: cv.is_default,
            hours: format!("{} j {} m/minggu", cv.weekly_minutes / 60, cv.weekly_minutes % 60),
        })
        .collect();
    let rules = rules
        .into_iter()
        .map(|r| {
            let x = &r.rules;
            let brackets = |b: &[Bracket]| {
                b.iter().map(|b| format!("{} {}%", b.code, pct(b.percent))).collect::<Vec<_>>().join(", ")
            };
            RuleLine {
                id: r.id,
                summary: format!(
                    "toleransi {} menit; {}; {}; TK per hari {}%, batas bulanan {}%, porsi TPP {}%, uji coba {}",
                    x.grace_minutes,
                    brackets(&x.late),
                    brackets(&x.early_leave),
                    pct(x.tk_per_day),
                    pct(x.monthly_cap),
                    pct(x.tpp_attendance_share),
                    if x.trial_mode { "ya" } else { "tidak" }
                ),
                name: r.name,
                effective_from: r.effective_from,
            }
        })
        .collect();
    let units = super::readable_units(&s, &c).await?.into_iter().map(|u| (u.code, u.name)).collect();
    Ok(html(&PoliciesPage { nav: Nav::new(&s, &c, "policies"), year, calendars, holidays: hols, rules, units }))
}

#[derive(Deserialize)]
pub struct HolidayForm {
    pub date: String,
    pub kind: String,
    pub name: String,
    pub unit_code: Option<String>,
}

/// `POST /admin/policies/holidays` (admin, as the API).
pub async fn create_holiday(State(s): State<AppState>, Console(c): Console, Form(f): Form<HolidayForm>) -> CResult {
    let input = HolidayInput {
        date: f.date,
        kind: f.kind,
        name: f.name,
        unit_code: f.unit_code.filter(|u| !u.trim().is_empty()),
    };
    let (_, axum::Json(h)) = crate::api::policies::create_holiday(State(s), c, ApiJson(input)).await?;
    Ok(super::notice(format!("Hari libur {} ({}) ditambahkan.", h.name, h.date)))
}

/// `POST /admin/policies/holidays/{id}/delete` (admin, as the API: audited, days recomputed).
pub async fn delete_holiday(State(s): State<AppState>, Console(c): Console, Path(id): Path<i64>) -> CResult {
    let axum::Json(h) = crate::api::policies::delete_holiday(State(s), c, Path(id)).await?;
    Ok(super::notice(format!("Hari libur {} ({}) dihapus; tanggal itu kembali menjadi hari kerja.", h.name, h.date)))
}

// ---------------------------------------------------------------- calendar editor

const WEEKDAYS: [(&str, &str); 7] = [
    ("mon", "Senin"),
    ("tue", "Selasa"),
    ("wed", "Rabu"),
    ("thu", "Kamis"),
    ("fri", "Jumat"),
    ("sat", "Sabtu"),
    ("sun", "Minggu"),
];

fn day_mut(w: &mut WeeklyPattern, i: usize) -> &mut Option<DaySchedule> {
    match i {
        0 => &mut w.monday,
        1 => &mut w.tuesday,
        2 => &mut w.wednesday,
        3 => &mut w.thursday,
        4 => &mut w.friday,
        5 => &mut w.saturday,
        _ => &mut w.sunday,
    }
}

/// One weekday row of the editor: masuk (the check-in checkpoint) and pulang (the check-out
/// one), each with its due time and window; other checkpoints (e.g. `siang`) are kept as they are.
pub struct DayRow {
    pub key: &'static str,
    pub label: &'static str,
    pub work: bool,
    pub in_due: String,
    pub in_from: String,
    pub in_to: String,
    pub out_due: String,
    pub out_from: String,
    pub out_to: String,
    pub break_minutes: u16,
    pub others: String,
    /// Required minutes of the day (first check-in due → last check-out due, less the break).
    pub minutes: u32,
}

fn day_rows(c: &Calendar) -> Vec<DayRow> {
    let mut w = c.weekly.clone();
    WEEKDAYS
        .iter()
        .enumerate()
        .map(|(i, (key, label))| {
            let d = day_mut(&mut w, i).clone();
            let find = |k: CheckpointKind| d.as_ref().and_then(|d| d.checkpoints.iter().find(|c| c.kind == k).cloned());
            let (ci, co) = (find(CheckpointKind::CheckIn), find(CheckpointKind::CheckOut));
            let t = |c: &Option<Checkpoint>, f: fn(&Checkpoint) -> DayTime, dflt: &str| {
                c.as_ref().map(|c| f(c).to_string()).unwrap_or_else(|| dflt.to_string())
            };
            DayRow {
                key,
                label,
                work: d.is_some(),
                in_due: t(&ci, |c| c.due, "07:30"),
                in_from: t(&ci, |c| c.window_start, "06:00"),
                in_to: t(&ci, |c| c.window_end, "10:00"),
                out_due: t(&co, |c| c.due, "16:00"),
                out_from: t(&co, |c| c.window_start, "12:00"),
                out_to: t(&co, |c| c.window_end, "18:00"),
                break_minutes: d.as_ref().map(|d| d.break_minutes).unwrap_or(60),
                minutes: d.as_ref().map(DaySchedule::required_minutes).unwrap_or(0),
                others: d
                    .as_ref()
                    .map(|d| {
                        d.checkpoints
                            .iter()
                            .filter(|c| c.kind == CheckpointKind::Presence)
                            .map(|c| format!("{} {}–{}", c.name, c.window_start, c.window_end))
                            .collect::<Vec<_>>()
                            .join(", ")
                    })
                    .unwrap_or_default(),
            }
        })
        .collect()
}

#[derive(Template)]
#[template(path = "admin/calendar_edit.html")]
struct CalendarEdit {
    nav: Nav,
    id: i64,
    name: String,
    is_default: bool,
    hours: String,
    weekly_minutes: u32,
    /// The minimum for the calendar's kind, as text (`37 jam 30 menit`), or `-` for a roster.
    minimum: String,
    below_minimum: bool,
    /// `regular`, `ramadan` or `roster`.
    kind: &'static str,
    days: Vec<DayRow>,
    assigned: String,
    overrides: usize,
    shifts: usize,
}

async fn calendar_view(s: &AppState, c: &Caller, id: i64) -> Result<CalendarView, ConsoleError> {
    let axum::Json(cals) = crate::api::policies::list_calendars(State(s.clone()), c.clone()).await?;
    cals.into_iter().find(|v| v.id == id).ok_or_else(|| ConsoleError(ApiError::not_found("Kalender kerja")))
}

/// `GET /admin/policies/calendars/{id}`: the weekly checkpoints as a form (admins save).
pub async fn calendar_page(State(s): State<AppState>, Console(c): Console, Path(id): Path<i64>) -> CResult {
    let v = calendar_view(&s, &c, id).await?;
    Ok(html(&CalendarEdit {
        nav: Nav::new(&s, &c, "policies"),
        id,
        name: v.name.clone(),
        is_default: v.is_default,
        hours: format!("{} j {} m/minggu", v.weekly_minutes / 60, v.weekly_minutes % 60),
        weekly_minutes: v.weekly_minutes,
        minimum: v.calendar.kind.weekly_minimum().map(hadir_domain::hours_text).unwrap_or_else(|| "-".into()),
        below_minimum: v.calendar.kind.weekly_minimum().is_some_and(|m| v.weekly_minutes < m),
        kind: kind_key(v.calendar.kind),
        days: day_rows(&v.calendar),
        assigned: assigned_text(&v),
        overrides: v.calendar.overrides.len(),
        shifts: v.calendar.shifts.len(),
    }))
}

fn kind_key(k: PeriodKind) -> &'static str {
    match k {
        PeriodKind::Regular => "regular",
        PeriodKind::Ramadan => "ramadan",
        PeriodKind::Roster => "roster",
    }
}

fn assigned_text(v: &CalendarView) -> String {
    v.assigned_to
        .iter()
        .filter_map(|a| {
            let who = a.unit_code.clone().or(a.nip.clone())?;
            // Assignments migrated from before effective dates are in force for ever.
            Some(if a.effective_from.as_str() <= "1900-01-01" {
                who
            } else {
                format!("{who} (mulai {})", a.effective_from)
            })
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn field<'a>(f: &'a HashMap<String, String>, k: &str) -> &'a str {
    f.get(k).map(|v| v.trim()).unwrap_or("")
}

fn time(f: &HashMap<String, String>, key: &str, what: &str, day: &str) -> Result<DayTime, ConsoleError> {
    field(f, key).parse::<DayTime>().map_err(|_| {
        ConsoleError(ApiError::unprocessable(
            "invalid_time",
            format!("{day}: {what} harus berupa jam HH:MM (atau HH:MM+1 untuk hari berikutnya)."),
        ))
    })
}

/// Applies the editor's fields to a calendar (pure; the API validates the result).
pub fn apply_week(c: &mut Calendar, f: &HashMap<String, String>) -> Result<(), ConsoleError> {
    if let Some(n) = f.get("name") {
        c.name = n.trim().to_string();
    }
    match field(f, "kind") {
        "" => {}
        "regular" => c.kind = PeriodKind::Regular,
        "ramadan" => c.kind = PeriodKind::Ramadan,
        "roster" => c.kind = PeriodKind::Roster,
        _ => {
            return Err(ConsoleError(ApiError::unprocessable(
                "invalid_kind",
                "Jenis kalender harus reguler, Ramadan atau shift.",
            )));
        }
    }
    for (i, (key, label)) in WEEKDAYS.iter().enumerate() {
        let slot = day_mut(&mut c.weekly, i);
        if field(f, &format!("{key}_work")).is_empty() {
            *slot = None;
            continue;
        }
        let t = |k: &str, what: &str| time(f, &format!("{key}_{k}"), what, label);
        let (in_due, in_from, in_to) =
            (t("in_due", "jam masuk")?, t("in_from", "awal jendela masuk")?, t("in_to", "akhir jendela masuk")?);
        let (out_due, out_from, out_to) =
            (t("out_due", "jam pulang")?, t("out_from", "awal jendela pulang")?, t("out_to", "akhir jendela pulang")?);
        let break_minutes: u16 = match field(f, &format!("{key}_break")) {
            "" => 0,
            v => v.parse().map_err(|_| {
                ConsoleError(ApiError::unprocessable(
                    "invalid_number",
                    format!("{label}: istirahat harus berupa menit."),
                ))
            })?,
        };
        let mut day = slot.take().unwrap_or_else(|| DaySchedule { checkpoints: vec![], break_minutes: 0 });
        day.break_minutes = break_minutes;
        let set = |day: &mut DaySchedule, kind: CheckpointKind, name: &str, due, from, to| match day
            .checkpoints
            .iter_mut()
            .find(|c| c.kind == kind)
        {
            Some(cp) => {
                cp.due = due;
                cp.window_start = from;
                cp.window_end = to;
            }
            None => day.checkpoints.push(Checkpoint::new(name, kind, due, from, to)),
        };
        set(&mut day, CheckpointKind::CheckIn, "masuk", in_due, in_from, in_to);
        set(&mut day, CheckpointKind::CheckOut, "pulang", out_due, out_from, out_to);
        day.checkpoints.sort_by_key(|c| c.window_start);
        *slot = Some(day);
    }
    Ok(())
}

/// `POST /admin/policies/calendars/{id}`: the API's update with the edited weekly pattern.
pub async fn save_calendar(
    State(s): State<AppState>,
    Console(c): Console,
    Path(id): Path<i64>,
    Form(f): Form<HashMap<String, String>>,
) -> CResult {
    let mut cal = calendar_view(&s, &c, id).await?.calendar;
    apply_week(&mut cal, &f)?;
    let axum::Json(v) = crate::api::policies::update_calendar(State(s), c, Path(id), ApiJson(cal)).await?;
    Ok(super::notice(format!(
        "Kalender {} disimpan ({} j {} m/minggu = {} menit); hari kerja pegawai yang memakainya dihitung ulang.",
        v.name,
        v.weekly_minutes / 60,
        v.weekly_minutes % 60,
        v.weekly_minutes
    )))
}

#[derive(Deserialize)]
pub struct CopyForm {
    pub name: String,
}

/// `POST /admin/policies/calendars/{id}/copy`: a new calendar from this one (the API's create).
pub async fn copy_calendar(
    State(s): State<AppState>,
    Console(c): Console,
    Path(id): Path<i64>,
    Form(f): Form<CopyForm>,
) -> CResult {
    let mut cal = calendar_view(&s, &c, id).await?.calendar;
    cal.name = f.name;
    let (_, axum::Json(v)) = crate::api::policies::create_calendar(State(s), c, ApiJson(cal)).await?;
    Ok(super::notice(format!("Kalender {} dibuat (#{}). Ubah jadwalnya lalu tetapkan ke unit.", v.name, v.id)))
}

#[derive(Deserialize)]
pub struct AssignForm {
    pub calendar_id: i64,
    pub unit_code: String,
    pub remove: Option<String>,
    /// `YYYY-MM-DD`; empty: today.
    pub effective_from: Option<String>,
}

/// `POST /admin/policies/assign`: a calendar to a unit subtree (the API's assign).
pub async fn assign(State(s): State<AppState>, Console(c): Console, Form(f): Form<AssignForm>) -> CResult {
    let remove = f.remove.is_some_and(|v| !v.is_empty());
    let input =
        AssignInput { unit_code: Some(f.unit_code.clone()), nip: None, remove, effective_from: f.effective_from };
    let axum::Json(r) = crate::api::policies::assign_calendar(State(s), c, Path(f.calendar_id), ApiJson(input)).await?;
    Ok(super::notice(if remove {
        format!("Unit {} kembali memakai kalender induknya. {}", f.unit_code, r.message)
    } else {
        format!("Kalender ditetapkan untuk unit {} dan sub-unitnya. {}", f.unit_code, r.message)
    }))
}

// ---------------------------------------------------------------- rule set editor

pub struct BracketRow {
    pub i: usize,
    pub code: String,
    pub up_to: String,
    pub percent: String,
}

#[derive(Template)]
#[template(path = "admin/ruleset_edit.html")]
struct RuleSetEdit {
    nav: Nav,
    from_id: i64,
    from_name: String,
    name: String,
    effective_from: String,
    grace: u32,
    early_grace: u32,
    late: Vec<BracketRow>,
    early: Vec<BracketRow>,
    missing_in: String,
    missing_out: String,
    tk: String,
    cap: String,
    share: String,
    trial: bool,
    categories: Vec<(&'static str, bool)>,
}

fn pct(p: Percent) -> String {
    let v = p.as_f64();
    if v.fract() == 0.0 { format!("{v:.0}") } else { format!("{v}") }
}

fn bracket_rows(b: &[Bracket]) -> Vec<BracketRow> {
    b.iter()
        .enumerate()
        .map(|(i, b)| BracketRow {
            i,
            code: b.code.clone(),
            up_to: b.up_to_minutes.map(|m| m.to_string()).unwrap_or_default(),
            percent: pct(b.percent),
        })
        .collect()
}

#[derive(Deserialize)]
pub struct FromQuery {
    pub from: Option<i64>,
}

async fn rule_source(s: &AppState, c: &Caller, from: Option<i64>) -> Result<(i64, RuleSet), ConsoleError> {
    let axum::Json(list) = crate::api::policies::list_rule_sets(State(s.clone()), c.clone()).await?;
    let pick = match from {
        Some(id) => list.into_iter().find(|r| r.id == id),
        None => list.into_iter().last(),
    };
    pick.map(|r| (r.id, r.rules)).ok_or_else(|| ConsoleError(ApiError::not_found("Aturan")))
}

/// `GET /admin/policies/rule-sets/new?from={id}`: a new version of a rule set (rule sets are
/// data with an effective date: a change is a new set in force from its date).
pub async fn rules_page(State(s): State<AppState>, Console(c): Console, Query(q): Query<FromQuery>) -> CResult {
    let (from_id, r) = rule_source(&s, &c, q.from).await?;
    let tomorrow = crate::org::today_jakarta().tomorrow().unwrap_or(r.effective_from);
    Ok(html(&RuleSetEdit {
        nav: Nav::new(&s, &c, "policies"),
        from_id,
        from_name: r.name.clone(),
        name: r.name.clone(),
        effective_from: tomorrow.max(r.effective_from).to_string(),
        grace: r.grace_minutes,
        early_grace: r.early_grace_minutes,
        late: bracket_rows(&r.late),
        early: bracket_rows(&r.early_leave),
        missing_in: pct(r.missing_check_in.percent),
        missing_out: pct(r.missing_check_out.percent),
        tk: pct(r.tk_per_day),
        cap: pct(r.monthly_cap),
        share: pct(r.tpp_attendance_share),
        trial: r.trial_mode,
        categories: [EmployeeCategory::Pns, EmployeeCategory::Pppk, EmployeeCategory::Honorer]
            .into_iter()
            .map(|k| (k.code(), r.categories.contains(&k)))
            .collect(),
    }))
}

fn percent_field(f: &HashMap<String, String>, key: &str, what: &str) -> Result<Percent, ConsoleError> {
    let v = field(f, key).replace(',', ".");
    v.parse::<f64>().ok().and_then(Percent::try_from_f64).ok_or_else(|| {
        ConsoleError(ApiError::unprocessable(
            "invalid_percent",
            format!("{what}: persentase tidak valid (angka ≥ 0, paling banyak dua desimal)."),
        ))
    })
}

fn minutes_field(f: &HashMap<String, String>, key: &str, what: &str) -> Result<u32, ConsoleError> {
    match field(f, key) {
        "" => Ok(0),
        v => v.parse().map_err(|_| {
            ConsoleError(ApiError::unprocessable("invalid_number", format!("{what} harus berupa jumlah menit.")))
        }),
    }
}

fn brackets_from(
    f: &HashMap<String, String>,
    prefix: &str,
    src: &[Bracket],
    what: &str,
) -> Result<Vec<Bracket>, ConsoleError> {
    src.iter()
        .enumerate()
        .map(|(i, b)| {
            let up = field(f, &format!("{prefix}_{i}_up"));
            Ok(Bracket {
                code: b.code.clone(),
                up_to_minutes: match up {
                    "" => None,
                    v => Some(v.parse().map_err(|_| {
                        ConsoleError(ApiError::unprocessable(
                            "invalid_number",
                            format!("{what} {}: batas menit harus berupa angka (kosong = tanpa batas).", b.code),
                        ))
                    })?),
                },
                percent: percent_field(f, &format!("{prefix}_{i}_pct"), &format!("{what} {}", b.code))?,
            })
        })
        .collect()
}

/// Applies the editor's fields to a copy of the source rule set (pure; the API validates).
pub fn apply_rules(mut r: RuleSet, f: &HashMap<String, String>) -> Result<RuleSet, ConsoleError> {
    r.name = field(f, "name").to_string();
    r.effective_from = crate::dates::date(field(f, "effective_from"), "effective_from").map_err(|_| {
        ConsoleError(ApiError::unprocessable(
            "invalid_date",
            "Tanggal berlaku harus diisi (TTTT-BB-HH, tahun 2000–2100).",
        ))
    })?;
    r.grace_minutes = minutes_field(f, "grace", "Toleransi terlambat")?;
    r.early_grace_minutes = minutes_field(f, "early_grace", "Toleransi pulang cepat")?;
    r.late = brackets_from(f, "late", &r.late, "Terlambat")?;
    r.early_leave = brackets_from(f, "early", &r.early_leave, "Pulang cepat")?;
    r.missing_check_in.percent = percent_field(f, "missing_in", "Tidak absen masuk")?;
    r.missing_check_out.percent = percent_field(f, "missing_out", "Tidak absen pulang")?;
    r.tk_per_day = percent_field(f, "tk", "TK per hari")?;
    r.monthly_cap = percent_field(f, "cap", "Batas potongan bulanan")?;
    r.tpp_attendance_share = percent_field(f, "share", "Porsi TPP kehadiran")?;
    r.trial_mode = !field(f, "trial").is_empty();
    r.categories = [EmployeeCategory::Pns, EmployeeCategory::Pppk, EmployeeCategory::Honorer]
        .into_iter()
        .filter(|k| !field(f, &format!("cat_{}", k.code())).is_empty())
        .collect();
    Ok(r)
}

/// `POST /admin/policies/rule-sets?from={id}`: the API's create with the edited copy.
pub async fn save_rules(
    State(s): State<AppState>,
    Console(c): Console,
    Query(q): Query<FromQuery>,
    Form(f): Form<HashMap<String, String>>,
) -> CResult {
    let (_, src) = rule_source(&s, &c, q.from).await?;
    let r = apply_rules(src, &f)?;
    let (_, axum::Json(v)) = crate::api::policies::create_rule_set(State(s), c, ApiJson(r)).await?;
    Ok(super::notice(format!("Aturan {} berlaku mulai {} disimpan.", v.name, v.effective_from)))
}
