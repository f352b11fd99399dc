//! The whole TPP over HTTP (issue 22): the month's amounts with their explanations (JSON,
//! CSV, XLSX payout sheet), one's own amount, and the BKD's data: policies, bases, sanctions
//! (admins) and performance scores (CSV import with a per-line report).

use crate::api::days::policies_ready;
use crate::api::recap::readable_unit;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::json::ApiJson;
use crate::state::AppState;
use crate::tpp::{self, PolicyBody, TppMonth, TppRow};
use crate::tpp_export;
use axum::Json;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use hadir_domain::Percent;
use hadir_store::{Audit, KinerjaScore, StoredSanction, TppBase};
use jiff::Timestamp;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Debug, Deserialize, IntoParams)]
pub struct TppQuery {
    /// `YYYY-MM`.
    pub month: String,
    /// Unit code (its subtree); admins may leave it out for the whole regency.
    pub unit: Option<String>,
    /// `json` (default), `csv` or `xlsx` (the payout sheet).
    pub format: Option<String>,
}

fn month_first(s: &str) -> ApiResult<Date> {
    crate::dates::month(s).map(|(first, _)| first)
}

/// The month's TPP per employee: base, attendance share less its deduction, performance share
/// from the score by the step table, sanctions, cap and trial mode, with the explanation in
/// words and numbers; per unit and in total. `format=xlsx|csv`: the payout sheet.
#[utoipa::path(get, path = "/api/v1/tpp", tag = "tpp", params(TppQuery),
    responses((status = 200, body = TppMonth, description = "JSON, or the payout sheet as CSV/XLSX with `format`"),
        (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn get_tpp(State(s): State<AppState>, caller: Caller, Query(q): Query<TppQuery>) -> ApiResult<Response> {
    let first = month_first(&q.month)?;
    let unit = readable_unit(&s, &caller, q.unit.as_deref()).await?;
    let format = q.format.as_deref().unwrap_or("json").trim().to_ascii_lowercase();
    if !["json", "csv", "xlsx"].contains(&format.as_str()) {
        return Err(ApiError::unprocessable("invalid_format", "Format harus json, csv atau xlsx."));
    }
    policies_ready(&s).await;
    let m = tpp::build_tpp(s.store.as_ref(), &s.policies, &s.config.regency_name, first, unit.as_ref()).await?;
    let name = |ext: &str| {
        let u: String = m
            .unit_code
            .as_deref()
            .unwrap_or("kabupaten")
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() || c == '-' { c } else { '_' })
            .collect();
        format!("attachment; filename=\"tpp-{}-{u}.{ext}\"", m.month)
    };
    Ok(match format.as_str() {
        "csv" => (
            [(header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()), (header::CONTENT_DISPOSITION, name("csv"))],
            tpp_export::to_csv(&m),
        )
            .into_response(),
        "xlsx" => {
            let body = tokio::task::block_in_place(|| tpp_export::to_xlsx(&m)).map_err(|e| {
                tracing::error!(error = %e, "tpp xlsx failed");
                ApiError::internal()
            })?;
            (
                [
                    (
                        header::CONTENT_TYPE,
                        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_string(),
                    ),
                    (header::CONTENT_DISPOSITION, name("xlsx")),
                ],
                body,
            )
                .into_response()
        }
        _ => Json(m).into_response(),
    })
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct MyTppQuery {
    /// `YYYY-MM` (default: this month).
    pub month: Option<String>,
}

/// Your own TPP of a month with its explanation.
#[utoipa::path(get, path = "/api/v1/me/tpp", tag = "tpp", params(MyTppQuery),
    responses((status = 200, body = TppRow), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn my_tpp(State(s): State<AppState>, caller: Caller, Query(q): Query<MyTppQuery>) -> ApiResult<Json<TppRow>> {
    let id = caller.employee_id.ok_or_else(ApiError::forbidden)?;
    let e = s.store.employee_by_id(id).await?;
    let first = match q.month.as_deref() {
        Some(m) => month_first(m)?,
        None => crate::days::today_in(&jiff::tz::TimeZone::get(&e.timezone).unwrap_or(jiff::tz::TimeZone::UTC))
            .first_of_month(),
    };
    let unit = s.store.unit_by_id(e.unit_id).await?;
    policies_ready(&s).await;
    let m = tpp::build_tpp(s.store.as_ref(), &s.policies, &s.config.regency_name, first, Some(&unit)).await?;
    m.employees.into_iter().find(|r| r.login == e.login).map(Json).ok_or_else(|| ApiError::not_found("TPP"))
}

/// Store a TPP policy in force from its date (admins): weights, score steps, cap, trial mode,
/// the score formula's minutes target.
#[utoipa::path(post, path = "/api/v1/tpp/policies", tag = "tpp", request_body = PolicyBody,
    responses((status = 201, body = PolicyBody), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn add_policy(
    State(s): State<AppState>,
    caller: Caller,
    ApiJson(b): ApiJson<PolicyBody>,
) -> ApiResult<(StatusCode, Json<PolicyBody>)> {
    caller.require_admin()?;
    b.to_domain().map_err(|m| ApiError::unprocessable("invalid_policy", m))?;
    refuse_locked_tpp(&s, b.effective_from, None, "effective_from").await?;
    let json = serde_json::to_string(&b).map_err(|_| ApiError::internal())?;
    s.store
        .add_tpp_policy(b.effective_from, &json, Audit::new(caller.actor(), "tpp.policy", "tpp_policy", ""))
        .await
        .map_err(|e| match e {
        hadir_store::StoreError::Conflict(_) => ApiError::new(
            StatusCode::CONFLICT,
            "policy_exists",
            "Sudah ada kebijakan TPP yang berlaku mulai tanggal itu.",
        ),
        e => e.into(),
    })?;
    Ok((StatusCode::CREATED, Json(b)))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct BaseBody {
    /// Kelas jabatan 1–17, or
    pub grade: Option<i16>,
    /// one employee (NIP or login).
    pub employee: Option<String>,
    /// Rupiah per month.
    pub amount: i64,
    #[schema(format = Date)]
    pub effective_from: String,
}

pub(crate) fn date_field(s: &str, field: &'static str) -> ApiResult<Date> {
    s.trim().parse::<Date>().map_err(|_| {
        ApiError::unprocessable("invalid_date", "Tanggal harus ditulis TTTT-BB-HH.")
            .with_details(serde_json::json!({ "field": field }))
    })
}

/// Add a TPP base in force from a date, for a kelas jabatan or one employee (admins).
#[utoipa::path(post, path = "/api/v1/tpp/bases", tag = "tpp", request_body = BaseBody,
    responses((status = 201, body = Object), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn add_base(
    State(s): State<AppState>,
    caller: Caller,
    ApiJson(b): ApiJson<BaseBody>,
) -> ApiResult<(StatusCode, Json<TppBase>)> {
    caller.require_admin()?;
    let effective_from = date_field(&b.effective_from, "effective_from")?;
    if !(0..=1_000_000_000).contains(&b.amount) {
        return Err(ApiError::unprocessable("invalid_amount", "Dasar TPP harus antara Rp 0 dan Rp 1.000.000.000."));
    }
    let employee_id = match (b.grade, b.employee.as_deref().filter(|x| !x.trim().is_empty())) {
        (Some(g), None) if (1..=17).contains(&g) => None,
        (None, Some(login)) => Some(crate::api::employees::employee_in_scope(&s, &caller, login).await?.id),
        _ => {
            return Err(ApiError::unprocessable(
                "grade_or_employee",
                "Sebutkan kelas jabatan (1–17) atau satu pegawai, tidak keduanya.",
            ));
        }
    };
    let path = match employee_id {
        Some(id) => Some(s.unit(s.employee(id).await?.unit_id).await?.path),
        None => None,
    };
    refuse_locked_tpp(&s, effective_from, path.as_deref(), "effective_from").await?;
    let base = TppBase {
        id: 0,
        grade: if employee_id.is_some() { None } else { b.grade },
        employee_id,
        amount: b.amount,
        effective_from,
    };
    let stored = s.store.add_tpp_base(&base, Audit::new(caller.actor(), "tpp.base", "tpp_base", "")).await?;
    Ok((StatusCode::CREATED, Json(stored)))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct SanctionBody {
    /// NIP or login.
    pub employee: String,
    /// First day of the cut.
    #[schema(format = Date)]
    pub from: String,
    /// 6, 9 or 12 (PP 94/2021).
    pub months: u8,
    /// Percent (default 25).
    pub cut: Option<f64>,
    /// The decision, e.g. "SK Bupati 800/12/2026".
    pub label: String,
}

/// Record a PP 94/2021 allowance cut (25 % for 6, 9 or 12 months) for an employee (admins).
#[utoipa::path(post, path = "/api/v1/tpp/sanctions", tag = "tpp", request_body = SanctionBody,
    responses((status = 201, body = Object), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn add_sanction(
    State(s): State<AppState>,
    caller: Caller,
    ApiJson(b): ApiJson<SanctionBody>,
) -> ApiResult<(StatusCode, Json<StoredSanction>)> {
    caller.require_admin()?;
    let e = crate::api::employees::employee_in_scope(&s, &caller, &b.employee).await?;
    let from = date_field(&b.from, "from")?;
    if ![6u8, 9, 12].contains(&b.months) {
        return Err(ApiError::unprocessable(
            "invalid_months",
            "Lama pemotongan menurut PP 94/2021: 6, 9 atau 12 bulan.",
        ));
    }
    let cut = Percent::try_from_f64(b.cut.unwrap_or(25.0))
        .filter(|p| p.hundredths() > 0 && *p <= Percent::HUNDRED)
        .ok_or_else(|| {
            ApiError::unprocessable("invalid_cut", "Persentase potongan harus lebih dari 0 dan paling besar 100.")
        })?;
    let label = b.label.trim();
    if label.is_empty() || label.chars().count() > 200 {
        return Err(ApiError::unprocessable(
            "label_required",
            "Tuliskan dasar sanksi (nomor SK), paling banyak 200 huruf.",
        ));
    }
    let to = from
        .checked_add(jiff::Span::new().months(i64::from(b.months)))
        .and_then(|d| d.yesterday())
        .map_err(|_| ApiError::unprocessable("invalid_date", "Tanggal tidak valid."))?;
    let path = s.unit(e.unit_id).await?.path;
    refuse_locked_tpp(&s, from, Some(&path), "from").await?;
    let stored = s
        .store
        .add_tpp_sanction(
            &StoredSanction {
                id: 0,
                employee_id: e.id,
                from,
                to,
                cut: cut.hundredths(),
                label: format!("pemotongan TPP {} selama {} bulan (PP 94/2021), {label}", pct(cut), b.months),
            },
            Audit::new(caller.actor(), "tpp.sanction", "employee", &e.id.to_string()),
        )
        .await?;
    Ok((StatusCode::CREATED, Json(stored)))
}

/// 422 `month_locked` when a month from that of `d` up to the current one is locked: for
/// one employee, a lock covering their unit; for the whole regency (`None`), a lock of any
/// unit. A locked month's TPP never changes afterwards.
async fn refuse_locked_tpp(s: &AppState, d: Date, unit_path: Option<&str>, field: &'static str) -> ApiResult<()> {
    if let Some(path) = unit_path {
        return crate::api::employees::refuse_locked_month(s, path, d, field).await;
    }
    let last = crate::days::latest_today().first_of_month();
    let mut m = d.first_of_month();
    while m <= last {
        let month = crate::recap::month_key(m);
        if !s.store.month_locks(&month).await?.is_empty() {
            return Err(ApiError::unprocessable(
                "month_locked",
                format!("Rekap bulan {month} sudah dikunci; perubahan TPP tidak dapat berlaku mulai {d}."),
            )
            .with_details(serde_json::json!({"field": field, "month": month})));
        }
        m = match m.checked_add(jiff::Span::new().months(1)) {
            Ok(n) => n,
            Err(_) => break,
        };
    }
    Ok(())
}

fn pct(p: Percent) -> String {
    let h = p.hundredths();
    if h.is_multiple_of(100) { format!("{} %", h / 100) } else { format!("{},{:02} %", h / 100, h % 100) }
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct ScoreQuery {
    /// `YYYY-MM`.
    pub month: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ScoreLine {
    pub line: usize,
    pub employee: String,
    pub ok: bool,
    pub code: Option<String>,
    pub message: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ScoreReport {
    pub month: String,
    pub imported: usize,
    pub refused: usize,
    pub lines: Vec<ScoreLine>,
}

/// Import the month's performance scores from the e-kinerja/SKP system (admins): CSV lines
/// `nip;score[;note]` (score 0–100, decimal comma or point; a header line is skipped). Good
/// lines are stored, bad ones reported with the reason; a month locked for the employee's unit
/// refuses the line.
#[utoipa::path(post, path = "/api/v1/kinerja/scores", tag = "tpp", params(ScoreQuery),
    request_body(content = String, content_type = "text/csv"),
    responses((status = 200, body = ScoreReport), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn import_scores(
    State(s): State<AppState>,
    caller: Caller,
    Query(q): Query<ScoreQuery>,
    body: String,
) -> ApiResult<Json<ScoreReport>> {
    caller.require_admin()?;
    let mut items = Vec::new();
    for (i, raw) in body.lines().enumerate().take(20_000) {
        let line = raw.trim().trim_start_matches('\u{feff}');
        if line.is_empty() {
            continue;
        }
        // `;` or tab separated (the score may use a decimal comma), else `,` (decimal point).
        let sep = if line.contains(';') {
            ';'
        } else if line.contains('\t') {
            '\t'
        } else {
            ','
        };
        let cells: Vec<&str> = line.split(sep).map(str::trim).collect();
        let score_text = cells.get(1).map(|x| x.replace(',', ".")).unwrap_or_default();
        if i == 0 && score_text.parse::<f64>().is_err() && cells[0].chars().any(|c| c.is_alphabetic()) {
            continue; // header
        }
        items.push(ScoreItem {
            line: i + 1,
            employee: cells[0].to_string(),
            score: score_text,
            note: cells.get(2).map(|x| x.to_string()),
        });
    }
    if items.is_empty() {
        return Err(ApiError::unprocessable("empty_file", "Berkas nilai kosong: satu baris per pegawai, NIP;nilai."));
    }
    Ok(Json(store_scores(&s, &q.month, items, "import", caller.actor()).await?))
}

/// One score to store: the employee's NIP or login, the score as text (0–100), a note.
pub struct ScoreItem {
    pub line: usize,
    pub employee: String,
    pub score: String,
    pub note: Option<String>,
}

/// Checks each item (score 0–100, known employee, month not locked for their unit, once per
/// employee) and stores the good ones in one transaction; the report names every item.
pub async fn store_scores(
    s: &AppState,
    month: &str,
    items: Vec<ScoreItem>,
    source: &str,
    actor: (Option<hadir_store::Id>, &str),
) -> ApiResult<ScoreReport> {
    let first = month_first(month)?;
    let month = crate::recap::month_key(first);
    let mut lines = Vec::new();
    let mut good: Vec<KinerjaScore> = Vec::new();
    for it in items {
        let who = it.employee.trim().to_string();
        let refuse = |code: &str, message: String| ScoreLine {
            line: it.line,
            employee: who.clone(),
            ok: false,
            code: Some(code.to_string()),
            message: Some(message),
        };
        let score = match it.score.trim().replace(',', ".").parse::<f64>() {
            Ok(v) if (0.0..=100.0).contains(&v) => (v * 100.0).round() as u32,
            _ => {
                lines.push(refuse("invalid_score", format!("Nilai '{}' bukan angka 0–100.", it.score)));
                continue;
            }
        };
        let login: String = who.chars().filter(|c| *c != ' ' && *c != '.').collect();
        let e = match s.store.employee_by_login(&login).await {
            Ok(e) => e,
            Err(hadir_store::StoreError::NotFound(_)) => {
                lines.push(refuse("unknown_employee", format!("Pegawai '{who}' tidak ditemukan.")));
                continue;
            }
            Err(e) => return Err(e.into()),
        };
        let unit = s.store.unit_by_id(e.unit_id).await?;
        if s.store.is_month_locked(&month, &unit.path).await? {
            lines.push(refuse("month_locked", format!("Rekap bulan {month} untuk unit {} sudah dikunci.", unit.code)));
            continue;
        }
        if good.iter().any(|g| g.employee_id == e.id) {
            lines.push(refuse("duplicate", "Pegawai ini sudah ada pada baris sebelumnya.".into()));
            continue;
        }
        good.push(KinerjaScore {
            employee_id: e.id,
            month: month.clone(),
            score,
            source: source.into(),
            note: it.note.filter(|n| !n.trim().is_empty()).map(|n| n.chars().take(200).collect()),
            updated_by_name: actor.1.to_string(),
            updated_at: Timestamp::now(),
        });
        lines.push(ScoreLine { line: it.line, employee: who.clone(), ok: true, code: None, message: None });
    }
    if !good.is_empty() {
        s.store.put_kinerja_scores(&good, actor).await?;
    }
    let refused = lines.iter().filter(|l| !l.ok).count();
    Ok(ScoreReport { month, imported: good.len(), refused, lines })
}
