//! Inbox: requests to decide (with their evidence and the days they change), terminal PINs no
//! employee has yet, and punches needing a person's look. Decisions and PIN assignments go
//! through the API handlers themselves.

use super::{CResult, Console, ConsoleError, Nav, html, short_time};
use crate::api::devices::unmatched_punches;
use crate::api::employees::EmployeePatch;
use crate::api::requests::{CorrectionInput, DecisionInput, ListQuery, RequestView};
use crate::auth::Caller;
use crate::days::evaluate_days;
use crate::json::ApiJson;
use crate::state::AppState;
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::IntoResponse;
use hadir_store::Id;
use jiff::Timestamp;
use jiff::civil::Date;
use serde::Deserialize;

pub struct DayLine {
    pub date: String,
    pub status: String,
    pub code: String,
}

pub struct Card {
    pub r: RequestView,
    pub kind_label: String,
    pub state_label: &'static str,
    pub days: Vec<DayLine>,
    pub attachments: Vec<(String, String, bool)>,
    /// Objections: the day as recorded and the correction form's prefill.
    pub objection: Option<Objection>,
}

/// One checkpoint of the objected day as recorded: `Masuk`, `07:42 WITA` or `—`, `TL1`.
pub struct RecordedCheckpoint {
    pub name: String,
    pub label: String,
    pub time: String,
    pub code: String,
}

/// An objection's day as recorded, and what the correction form starts with.
pub struct Objection {
    pub status: String,
    pub checkpoints: Vec<RecordedCheckpoint>,
    pub explanation: String,
    pub zone: String,
    /// Prefill: the checkpoint and local time the employee names (else the first checkpoint with
    /// a code, no time), or no status change.
    pub fix_checkpoint: String,
    pub fix_time: String,
    pub statuses: Vec<(&'static str, &'static str)>,
}

/// The statuses a decider may set (the domain refuses the two transient ones).
const SETTABLE: &[(&str, &str)] = &[
    ("HADIR", "Hadir (tanpa potongan)"),
    ("IZIN", "Izin"),
    ("SAKIT", "Sakit"),
    ("DL", "Dinas luar"),
    ("DIKLAT", "Diklat"),
    ("CUTI_TAHUNAN", "Cuti tahunan"),
    ("CUTI_SAKIT", "Cuti sakit"),
    ("CUTI_ALASAN_PENTING", "Cuti alasan penting"),
    ("TK", "Tanpa keterangan (TK)"),
    ("LIBUR", "Libur"),
];

fn checkpoint_label(name: &str) -> String {
    match name {
        "masuk" => "Masuk".into(),
        "siang" => "Siang".into(),
        "pulang" => "Pulang".into(),
        other => other.into(),
    }
}

/// A time the employee wrote in the reason (`07.20`, `7:20`), when the request names none.
fn time_in_text(text: &str) -> Option<String> {
    let b = text.as_bytes();
    for i in 0..b.len() {
        let start_ok = i == 0 || !b[i - 1].is_ascii_digit();
        let digits = b[i..].iter().take_while(|c| c.is_ascii_digit()).count();
        if !start_ok || !(1..=2).contains(&digits) {
            continue;
        }
        let j = i + digits;
        if b.get(j).is_some_and(|c| *c == b'.' || *c == b':')
            && b.get(j + 1..j + 3).is_some_and(|m| m.iter().all(u8::is_ascii_digit))
            && !b.get(j + 3).is_some_and(u8::is_ascii_digit)
        {
            let h: u32 = text[i..j].parse().ok()?;
            let m: u32 = text[j + 1..j + 3].parse().ok()?;
            if h < 24 && m < 60 {
                return Some(format!("{h:02}:{m:02}"));
            }
        }
    }
    None
}

/// The objected day as evaluated now, with the form's prefill.
async fn objection_of(s: &AppState, r: &RequestView) -> Option<Objection> {
    let e = s.store.employee_by_login(r.employee.as_deref()?).await.ok()?;
    let date: Date = r.date_from.parse().ok()?;
    crate::api::days::policies_ready(s).await;
    let tz = s.policies.context_for(&e).tz;
    let rec = evaluate_days(s.store.as_ref(), &s.policies, &e, date, date, Timestamp::now()).await.ok()?.pop()?;
    let zone = hadir_domain::zone_abbreviation(&tz, Timestamp::now());
    let checkpoints: Vec<RecordedCheckpoint> = rec
        .checkpoints
        .iter()
        .map(|c| RecordedCheckpoint {
            name: c.name.clone(),
            label: checkpoint_label(&c.name),
            time: c.punch.as_ref().map(|p| format!("{} {zone}", p.time)).unwrap_or_else(|| "—".into()),
            code: c.code.clone().unwrap_or_default(),
        })
        .collect();
    // What the employee claims: the request's checkpoint and time, else a time in the reason.
    let claimed = r.start_at.as_deref().and_then(|t| t.get(11..16)).map(str::to_string);
    let fix_time = claimed.or_else(|| time_in_text(&r.reason)).unwrap_or_default();
    let fix_checkpoint = r
        .checkpoints
        .first()
        .cloned()
        .or_else(|| rec.checkpoints.iter().find(|c| c.code.is_some()).map(|c| c.name.clone()))
        .or_else(|| rec.checkpoints.first().map(|c| c.name.clone()))
        .unwrap_or_default();
    Some(Objection {
        status: rec.status.label().to_string(),
        explanation: rec.explanation.clone(),
        checkpoints,
        zone,
        fix_checkpoint,
        fix_time,
        statuses: SETTABLE.to_vec(),
    })
}

pub fn state_label(s: &str) -> &'static str {
    match s {
        "draft" => "Draf",
        "submitted" => "Menunggu keputusan",
        "approved" => "Disetujui",
        "rejected" => "Ditolak",
        "cancelled" => "Dibatalkan",
        _ => "?",
    }
}

pub fn kind_label(k: &str) -> String {
    match k {
        "CUTI_TAHUNAN" => "Cuti tahunan".into(),
        "CUTI_SAKIT" => "Cuti sakit".into(),
        "CUTI_BESAR" => "Cuti besar".into(),
        "CUTI_MELAHIRKAN" => "Cuti melahirkan".into(),
        "CUTI_ALASAN_PENTING" => "Cuti alasan penting".into(),
        "CLTN" => "CLTN".into(),
        "IZIN" => "Izin".into(),
        "SAKIT" => "Sakit".into(),
        "DINAS_LUAR" => "Dinas luar".into(),
        "DIKLAT" => "Diklat".into(),
        "TUGAS_BELAJAR" => "Tugas belajar".into(),
        "UPACARA" => "Upacara".into(),
        "MANUAL" => "Presensi manual".into(),
        "OUTAGE" => "Berita acara gangguan".into(),
        "KEBERATAN" => "Keberatan".into(),
        other => other.into(),
    }
}

/// The request's days as evaluated now (at most a week shown), so a decision's effect is seen.
async fn days_of(s: &AppState, r: &RequestView) -> Vec<DayLine> {
    let Some(login) = r.employee.as_deref() else { return Vec::new() };
    let (Ok(from), Ok(to)) = (r.date_from.parse::<Date>(), r.date_to.parse::<Date>()) else { return Vec::new() };
    let to = to.min(from.checked_add(jiff::ToSpan::days(6)).unwrap_or(from));
    let Ok(e) = s.store.employee_by_login(login).await else { return Vec::new() };
    crate::api::days::policies_ready(s).await;
    match evaluate_days(s.store.as_ref(), &s.policies, &e, from, to, Timestamp::now()).await {
        Ok(rs) => rs
            .into_iter()
            .map(|d| DayLine {
                date: d.date.strftime("%d-%m-%Y").to_string(),
                status: d.status.label().to_string(),
                code: d.status.code().to_string(),
            })
            .collect(),
        Err(_) => Vec::new(),
    }
}

async fn card(s: &AppState, r: RequestView) -> Card {
    let days = days_of(s, &r).await;
    let attachments = r
        .attachments
        .iter()
        .map(|a| {
            (format!("/admin/requests/{}/attachments/{}", r.id, a.id), a.filename.clone(), a.mime.starts_with("image/"))
        })
        .collect();
    let objection = if r.kind == "KEBERATAN" { objection_of(s, &r).await } else { None };
    Card { kind_label: kind_label(&r.kind), state_label: state_label(&r.state), days, attachments, objection, r }
}

pub struct Unmatched {
    pub sn: String,
    pub pin: String,
    pub time: String,
}

pub struct Review {
    pub id: Id,
    pub who: String,
    pub unit: String,
    /// When the person was there (capture or terminal time) and when the server received it.
    pub time: String,
    pub received: String,
    pub channel: String,
    pub reason: String,
    pub detail: String,
    pub place: String,
    pub photo: Option<String>,
}

/// A terminal's waiting punches, accepted or rejected with one click.
pub struct ReviewTerminal {
    pub sn: String,
    pub count: usize,
}

#[derive(Template)]
#[template(path = "admin/inbox.html")]
struct InboxPage {
    nav: Nav,
    heading: String,
    cards: Vec<Card>,
    unmatched: Vec<Unmatched>,
    reviews: Vec<Review>,
    review_terminals: Vec<ReviewTerminal>,
}

#[derive(Template)]
#[template(path = "admin/request_card.html")]
struct CardFragment {
    c: Card,
}

fn channel_label(source: &str, sn: Option<&str>) -> String {
    match (source, sn) {
        ("mobile", _) => "Aplikasi ponsel".into(),
        ("special", _) => "Absen khusus".into(),
        ("terminal", Some(sn)) => format!("Mesin {sn}"),
        ("relay", Some(sn)) => format!("Mesin {sn} (lewat relay)"),
        _ => "Mesin".into(),
    }
}

/// The review queue as the API gives it (same scope: the caller's subtrees, own punches left out).
async fn reviews(s: &AppState, c: &Caller) -> Result<(Vec<Review>, Vec<ReviewTerminal>), ConsoleError> {
    let q = crate::api::review::ReviewQuery { limit: Some(200), ..Default::default() };
    let axum::Json(list) = crate::api::review::list_review(State(s.clone()), c.clone(), Query(q)).await?;
    let mut terminals: Vec<ReviewTerminal> = Vec::new();
    let mut out = Vec::new();
    for i in list.items {
        let p = i.punch;
        if let Some(sn) = &p.device_sn {
            match terminals.iter_mut().find(|t| &t.sn == sn) {
                Some(t) => t.count += 1,
                None => terminals.push(ReviewTerminal { sn: sn.clone(), count: 1 }),
            }
        }
        let place = match (&p.location, p.distance_m, p.lat, p.lon) {
            (Some(l), Some(d), _, _) => format!("{d:.0} m dari {l}"),
            (_, _, Some(lat), Some(lon)) => format!("{lat:.5}, {lon:.5}"),
            _ => String::new(),
        };
        out.push(Review {
            id: p.id,
            who: match (&i.name, &i.nip) {
                (Some(n), Some(nip)) => format!("{n} ({nip})"),
                (Some(n), None) => n.clone(),
                _ => format!("PIN {}", p.device_pin.clone().unwrap_or_default()),
            },
            unit: i.unit_name.unwrap_or_default(),
            time: short_time(&p.punched_at),
            received: short_time(&p.received_at),
            channel: channel_label(&p.source, p.device_sn.as_deref()),
            reason: i.reason_label,
            detail: p.review_detail.unwrap_or_default(),
            place,
            photo: p.photo_url.as_ref().map(|_| format!("/admin/punches/{}/photo?size=thumb", p.id)),
        });
    }
    Ok((out, terminals))
}

#[derive(Deserialize)]
pub struct ReviewForm {
    /// One punch, or …
    pub id: Option<Id>,
    /// … every waiting punch of one terminal.
    pub device_sn: Option<String>,
    pub decision: String,
    pub note: Option<String>,
}

/// `POST /admin/review/decide`: the API's decision on held punches (scope, own-punch and
/// locked-month rules, audit, recompute); the result as a notice.
pub async fn decide_review(State(s): State<AppState>, Console(c): Console, Form(f): Form<ReviewForm>) -> CResult {
    let accept = f.decision == "accept";
    let body = crate::api::review::DecideHeld {
        ids: f.id.map(|id| vec![id]),
        filter: f
            .device_sn
            .clone()
            .filter(|sn| !sn.is_empty())
            .map(|sn| crate::api::review::DecideFilter { device_sn: Some(sn), ..Default::default() }),
        accept,
        note: f.note,
    };
    let axum::Json(r) = crate::api::review::decide_review(State(s), c, ApiJson(body)).await?;
    let verb = if accept { "diterima dan dihitung" } else { "ditolak" };
    Ok(super::notice(format!("{} absen {verb}.", r.decided)).into_response())
}

/// `GET /admin/inbox`.
pub async fn page(State(s): State<AppState>, Console(c): Console) -> CResult {
    let decider = c.is_admin || !c.decide_paths().is_empty();
    let q = ListQuery {
        state: (!decider).then(|| "submitted".to_string()),
        kind: None,
        unit: None,
        mine: None,
        inbox: decider.then_some(true),
        offset: None,
        limit: Some(100),
    };
    let axum::Json(list) = crate::api::requests::list_requests(State(s.clone()), c.clone(), Query(q)).await?;
    let mut cards = Vec::new();
    for r in list.items {
        cards.push(card(&s, r).await);
    }
    let axum::Json(um) =
        unmatched_punches(State(s.clone()), c.clone(), Query(crate::api::devices::UnmatchedQuery { unit: None }))
            .await?;
    let unmatched = um
        .items
        .into_iter()
        .take(200)
        .map(|p| Unmatched {
            sn: p.device_sn.unwrap_or_default(),
            pin: p.device_pin.unwrap_or_default(),
            time: short_time(&p.punched_at),
        })
        .collect();
    let heading = if decider {
        "Permohonan menunggu keputusan Anda".to_string()
    } else {
        "Permohonan di unit Anda yang menunggu keputusan kepala unit".to_string()
    };
    let (reviews, review_terminals) =
        if c.is_admin || !c.decide_paths().is_empty() { reviews(&s, &c).await? } else { (Vec::new(), Vec::new()) };
    Ok(html(&InboxPage { nav: Nav::new(&s, &c, "inbox"), heading, cards, unmatched, reviews, review_terminals }))
}

#[derive(Deserialize)]
pub struct DecisionForm {
    pub decision: String,
    pub comment: Option<String>,
    /// Objections: the corrected status, or a checkpoint and its local time.
    pub status: Option<String>,
    pub checkpoint: Option<String>,
    pub time: Option<String>,
}

/// `POST /admin/requests/{id}/decision`: the API's decision (rules, audit, recompute), then
/// the card again with the days as they are now.
pub async fn decide(
    State(s): State<AppState>,
    Console(c): Console,
    Path(id): Path<Id>,
    Form(f): Form<DecisionForm>,
) -> CResult {
    let approve = f.decision == "approve";
    let filled = |v: Option<String>| v.map(|v| v.trim().to_string()).filter(|v| !v.is_empty());
    let (status, checkpoint, time) = (filled(f.status), filled(f.checkpoint), filled(f.time));
    // Only an objection's card has these fields; a status wins over a time, as in the API.
    let correction =
        (approve && (status.is_some() || time.is_some())).then_some(CorrectionInput { status, checkpoint, time });
    let input = DecisionInput { approve, comment: f.comment, correction };
    let axum::Json(r) = crate::api::requests::decide_request(State(s.clone()), c, Path(id), ApiJson(input)).await?;
    Ok(html(&CardFragment { c: card(&s, r).await }))
}

/// Evidence files, through the API's own access check.
pub async fn attachment(State(s): State<AppState>, Console(c): Console, Path(ids): Path<(Id, Id)>) -> CResult {
    Ok(crate::api::requests::get_attachment(State(s), c, Path(ids)).await?)
}

/// Punch photos, through the API's own access check.
pub async fn photo(
    State(s): State<AppState>,
    Console(c): Console,
    Path(id): Path<i64>,
    q: Query<crate::api::punches::PhotoQuery>,
) -> CResult {
    Ok(crate::api::punches::punch_photo(State(s), c, Path(id), q).await?)
}

#[derive(Deserialize)]
pub struct AssignPin {
    pub pin: String,
    pub employee: String,
}

/// `POST /admin/inbox/assign-pin`: gives the PIN to an employee (the API's employee update,
/// which links the waiting punches and recomputes their days).
pub async fn assign_pin(State(s): State<AppState>, Console(c): Console, Form(f): Form<AssignPin>) -> CResult {
    let patch = EmployeePatch { device_pin: Some(f.pin.trim().to_string()), ..Default::default() };
    let axum::Json(e) =
        crate::api::employees::update_employee(State(s), c, Path(f.employee.trim().to_string()), ApiJson(patch))
            .await?;
    Ok(super::notice(format!("PIN {} diberikan kepada {} ({}).", f.pin.trim(), e.name, e.login)).into_response())
}

#[cfg(test)]
mod tests {
    use super::time_in_text;

    #[test]
    fn a_time_written_in_an_objection() {
        assert_eq!(time_in_text("Saya hadir pukul 07.20; mesin mati").as_deref(), Some("07:20"));
        assert_eq!(time_in_text("datang 7:05 karena hujan").as_deref(), Some("07:05"));
        assert_eq!(time_in_text("surat 800/123 tanggal 12.2025").as_deref(), None);
        assert_eq!(time_in_text("pukul 25.10").as_deref(), None);
        assert_eq!(time_in_text("SPT 421.77, hadir 16.05").as_deref(), Some("16:05"));
        assert_eq!(time_in_text("tidak ada jam").as_deref(), None);
    }
}
