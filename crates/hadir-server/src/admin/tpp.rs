//! The month's TPP in the console (issue 22): per employee the base, the shares, the sanction,
//! the amount and its explanation, per unit the totals; the payout sheet as XLSX or CSV
//! through the API's own handler.

use super::inbox::form_pairs;
use super::{CResult, Console, Nav, html, rupiah};
use crate::api::recap::readable_unit;
use crate::api::tpp::{BaseBody, SanctionBody, TppQuery, date_field, get_tpp};
use crate::error::ApiError;
use crate::json::ApiJson;
use crate::state::AppState;
use crate::tpp::{PolicyBody, StepBody, TppRow, TppUnitTotal, build_tpp};
use askama::Template;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect};
use serde::Deserialize;

#[derive(Template)]
#[template(path = "admin/tpp.html")]
struct TppPage {
    nav: Nav,
    month: String,
    unit: String,
    units: Vec<(String, String)>,
    state: String,
    policy: String,
    rows: Vec<TppRow>,
    totals: Vec<TppUnitTotal>,
    total: String,
    query: String,
    /// The BKD's TPP data (admins): policies, bases, sanctions, newest first.
    data: Option<TppData>,
    saved: Option<String>,
}

struct TppData {
    policies: Vec<(String, String)>,
    bases: Vec<(String, String, String)>,
    sanctions: Vec<(String, String, String)>,
}

impl TppPage {
    fn rp(&self, v: &i64) -> String {
        rupiah(*v)
    }
}

#[derive(Deserialize)]
pub struct PageQuery {
    pub month: Option<String>,
    pub unit: Option<String>,
    pub saved: Option<String>,
}

/// `GET /admin/tpp?month=YYYY-MM&unit=CODE`.
pub async fn page(State(s): State<AppState>, Console(c): Console, Query(q): Query<PageQuery>) -> CResult {
    let month = q.month.filter(|m| !m.trim().is_empty()).unwrap_or_else(|| {
        let first = crate::org::today_jakarta().first_of_month();
        crate::recap::month_key(first.yesterday().unwrap_or(first).first_of_month())
    });
    let units: Vec<(String, String)> =
        super::readable_units(&s, &c).await?.into_iter().map(|u| (u.code, u.name)).collect();
    let unit_code = q
        .unit
        .filter(|u| !u.trim().is_empty())
        .or_else(|| (!c.is_admin).then(|| c.grants.first().map(|g| g.unit_code.clone())).flatten());
    let unit = readable_unit(&s, &c, unit_code.as_deref()).await?;
    let first = crate::dates::month(&month)?.0;
    crate::api::days::policies_ready(&s).await;
    let m = build_tpp(s.store.as_ref(), &s.policies, &s.config.regency_name, first, unit.as_ref()).await?;
    let p = &m.policy;
    let steps: Vec<String> = p.steps.iter().map(|x| format!("≥ {} → {} %", x.min_score, x.percent)).collect();
    let policy = format!(
        "Kehadiran {} %, kinerja {} % (tangga nilai: {}){}{}{}",
        p.attendance_weight,
        p.performance_weight,
        steps.join(", "),
        p.cap.map(|c| format!(", pagu {}", rupiah(c))).unwrap_or_default(),
        if p.trial_mode { ", masa uji coba" } else { "" },
        if m.policy_stored { "" } else { " — kebijakan bawaan, belum ditetapkan BKD" },
    );
    let unit_q = unit.as_ref().map(|u| u.code.clone()).unwrap_or_default();
    let data = if c.is_admin { Some(tpp_data(&s).await?) } else { None };
    let saved = match q.saved.as_deref() {
        Some("policy") => Some("Kebijakan TPP disimpan.".to_string()),
        Some("base") => Some("Dasar TPP disimpan.".to_string()),
        Some("sanction") => Some("Sanksi pemotongan TPP disimpan.".to_string()),
        _ => None,
    };
    Ok(html(&TppPage {
        data,
        saved,
        nav: Nav::new(&s, &c, "tpp"),
        query: format!("month={}&unit={}", m.month, unit_q),
        month: m.month.clone(),
        unit: unit_q,
        units,
        state: m.state.clone(),
        policy,
        total: rupiah(m.total_amount),
        totals: m.units,
        rows: m.employees,
    }))
}

#[derive(Deserialize)]
pub struct DownloadQuery {
    pub month: String,
    pub unit: Option<String>,
    pub format: String,
}

/// `GET /admin/tpp/download`: the API's payout sheet.
pub async fn download(State(s): State<AppState>, Console(c): Console, Query(q): Query<DownloadQuery>) -> CResult {
    let tq = TppQuery { month: q.month, unit: q.unit.filter(|u| !u.is_empty()), format: Some(q.format) };
    Ok(get_tpp(State(s), c, Query(tq)).await?)
}

/// Stored policies, bases and sanctions in words, newest first.
async fn tpp_data(s: &AppState) -> Result<TppData, ApiError> {
    let mut policies: Vec<(String, String)> = Vec::new();
    let mut stored = s.store.tpp_policies().await?;
    stored.sort_by_key(|p| std::cmp::Reverse(p.effective_from));
    for p in stored {
        let text = match serde_json::from_str::<PolicyBody>(&p.policy_json) {
            Ok(b) => {
                let steps: Vec<String> =
                    b.steps.iter().map(|x| format!("≥ {} → {} %", x.min_score, x.percent)).collect();
                format!(
                    "Kehadiran {} %, kinerja {} % ({}){}{}",
                    b.attendance_weight,
                    b.performance_weight,
                    steps.join(", "),
                    b.cap.map(|c| format!(", pagu {}", rupiah(c))).unwrap_or_default(),
                    if b.trial_mode { ", masa uji coba" } else { "" }
                )
            }
            Err(_) => "(tidak terbaca)".into(),
        };
        policies.push((p.effective_from.to_string(), text));
    }
    let mut bases = Vec::new();
    let mut stored = s.store.tpp_bases().await?;
    stored.sort_by_key(|b| std::cmp::Reverse(b.effective_from));
    for b in stored {
        let whom = match (b.grade, b.employee_id) {
            (_, Some(id)) => match s.employee(id).await {
                Ok(e) => format!("{} ({})", e.name, e.login),
                Err(_) => "pegawai tidak dikenal".into(),
            },
            (Some(g), None) => format!("Kelas jabatan {g}"),
            (None, None) => "-".into(),
        };
        bases.push((b.effective_from.to_string(), whom, rupiah(b.amount)));
    }
    let mut sanctions = Vec::new();
    let mut stored = s.store.tpp_sanctions().await?;
    stored.sort_by_key(|x| std::cmp::Reverse(x.from));
    for x in stored {
        let whom = match s.employee(x.employee_id).await {
            Ok(e) => format!("{} ({})", e.name, e.login),
            Err(_) => "pegawai tidak dikenal".into(),
        };
        sanctions.push((format!("{} s.d. {}", x.from, x.to), whom, x.label));
    }
    Ok(TppData { policies, bases, sanctions })
}

fn field(pairs: &[(String, String)], k: &str) -> Option<String> {
    pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.trim().to_string()).filter(|v| !v.is_empty())
}

fn number(pairs: &[(String, String)], k: &str, what: &str) -> Result<Option<f64>, ApiError> {
    match field(pairs, k) {
        None => Ok(None),
        Some(v) => {
            // Rupiah and percentages as clerks type them: "3.600.000", "7,5".
            let clean: String = if k == "amount" || k == "cap" { v.replace('.', "") } else { v.replace(',', ".") };
            clean.parse::<f64>().map(Some).map_err(|_| {
                ApiError::unprocessable("invalid_number", format!("{what} harus berupa angka."))
                    .with_details(serde_json::json!({ "field": k }))
            })
        }
    }
}

/// `POST /admin/tpp/policies`: a policy in force from its date, through the API's handler
/// (admins, validation, locked months, audit). Steps are typed as "85=100, 70=80".
pub async fn add_policy(
    State(s): State<AppState>,
    Console(c): Console,
    axum::extract::RawForm(body): axum::extract::RawForm,
) -> CResult {
    let pairs = form_pairs(&body);
    let mut steps = Vec::new();
    for part in field(&pairs, "steps").unwrap_or_default().split([',', ';']).map(str::trim).filter(|p| !p.is_empty()) {
        let step = part.split_once('=').and_then(|(a, b)| {
            Some(StepBody {
                min_score: a.trim().replace(',', ".").parse().ok()?,
                percent: b.trim().trim_end_matches('%').trim().replace(',', ".").parse().ok()?,
            })
        });
        steps.push(step.ok_or_else(|| {
            ApiError::unprocessable("invalid_steps", "Tangga nilai ditulis seperti 85=100, 70=80 (nilai=persen).")
        })?);
    }
    let body = PolicyBody {
        effective_from: date_field(&field(&pairs, "effective_from").unwrap_or_default(), "effective_from")?,
        attendance_weight: number(&pairs, "attendance_weight", "Bobot kehadiran")?.unwrap_or(-1.0),
        performance_weight: number(&pairs, "performance_weight", "Bobot kinerja")?.unwrap_or(-1.0),
        steps,
        cap: number(&pairs, "cap", "Pagu")?.map(|v| v as i64),
        trial_mode: field(&pairs, "trial_mode").is_some_and(|v| v == "1"),
        minutes_target: number(&pairs, "minutes_target", "Target menit")?.unwrap_or(100.0),
    };
    let _ = crate::api::tpp::add_policy(State(s), c, ApiJson(body)).await?;
    Ok(Redirect::to("/admin/tpp?saved=policy").into_response())
}

/// `POST /admin/tpp/bases`: a base for a kelas jabatan or one employee, through the API.
pub async fn add_base(
    State(s): State<AppState>,
    Console(c): Console,
    axum::extract::RawForm(body): axum::extract::RawForm,
) -> CResult {
    let pairs = form_pairs(&body);
    let grade =
        match field(&pairs, "grade") {
            None => None,
            Some(g) => Some(g.parse::<i16>().map_err(|_| {
                ApiError::unprocessable("grade_or_employee", "Kelas jabatan ditulis sebagai angka 1–17.")
            })?),
        };
    let body = BaseBody {
        grade,
        employee: field(&pairs, "employee"),
        amount: number(&pairs, "amount", "Dasar TPP")?.map(|v| v as i64).unwrap_or(-1),
        effective_from: field(&pairs, "effective_from").unwrap_or_default(),
    };
    let _ = crate::api::tpp::add_base(State(s), c, ApiJson(body)).await?;
    Ok(Redirect::to("/admin/tpp?saved=base").into_response())
}

/// `POST /admin/tpp/sanctions`: a PP 94/2021 cut for one employee, through the API.
pub async fn add_sanction(
    State(s): State<AppState>,
    Console(c): Console,
    axum::extract::RawForm(body): axum::extract::RawForm,
) -> CResult {
    let pairs = form_pairs(&body);
    let body = SanctionBody {
        employee: field(&pairs, "employee").unwrap_or_default(),
        from: field(&pairs, "from").unwrap_or_default(),
        months: field(&pairs, "months").and_then(|m| m.parse().ok()).unwrap_or(0),
        cut: number(&pairs, "cut", "Persentase potongan")?,
        label: field(&pairs, "label").unwrap_or_default(),
    };
    let _ = crate::api::tpp::add_sanction(State(s), c, ApiJson(body)).await?;
    Ok(Redirect::to("/admin/tpp?saved=sanction").into_response())
}
