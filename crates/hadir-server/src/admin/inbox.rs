//! Inbox: requests to decide (with their evidence and the days they change), terminal PINs no
//! employee has yet, and punches needing a person's look. Decisions and PIN assignments go
//! through the API handlers themselves.

use super::map::{Spot, locations_svg};
use super::{CResult, Console, ConsoleError, Nav, html};
use crate::api::devices::unmatched_punches;
use crate::api::employees::EmployeePatch;
use crate::api::requests::{CorrectionInput, DecisionInput, ListQuery, RequestView};
use crate::auth::Caller;
use crate::days::evaluate_days;
use crate::error::ApiError;
use crate::json::ApiJson;
use crate::state::AppState;
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::IntoResponse;
use hadir_store::Id;
use hadir_store::Unit;
use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::TimeZone;
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
    /// The punch a special check-in request is about: its selfie, place and times.
    pub evidence: Option<Evidence>,
    /// Video evidence (URL, file name), played in place.
    pub videos: Vec<(String, String)>,
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
    let url = |a: &crate::api::requests::AttachmentView| format!("/admin/requests/{}/attachments/{}", r.id, a.id);
    let videos =
        r.attachments.iter().filter(|a| a.mime.starts_with("video/")).map(|a| (url(a), a.filename.clone())).collect();
    let attachments = r
        .attachments
        .iter()
        .filter(|a| !a.mime.starts_with("video/"))
        .map(|a| {
            (format!("/admin/requests/{}/attachments/{}", r.id, a.id), a.filename.clone(), a.mime.starts_with("image/"))
        })
        .collect();
    let evidence = match r.punch_id {
        Some(pid) => match s.store.punch_by_id(pid).await {
            Ok(p) => {
                let unit = s.store.unit_by_code(&r.unit_code).await.ok();
                let tz = zone_of(unit.as_ref(), &s.config.regency_zone());
                Some(evidence(&crate::views::PunchView::new(&p, &tz), unit.as_ref(), &tz))
            }
            Err(_) => None,
        },
        None => None,
    };
    // The selfie itself is on the card already (its own figure); the evidence adds where and when.
    let evidence = evidence.map(|e| Evidence { photo: None, ..e });
    let objection = if r.kind == "KEBERATAN" { objection_of(s, &r).await } else { None };
    Card {
        kind_label: kind_label(&r.kind),
        state_label: state_label(&r.state),
        days,
        attachments,
        evidence,
        videos,
        objection,
        r,
    }
}

/// What a decision on a punch rests on: the selfie, where and when.
pub struct Evidence {
    pub punch_id: Id,
    pub channel: String,
    /// Thumbnail and full photo through the console's scoped route.
    pub photo: Option<(String, String)>,
    /// When the person was there (the phone's capture time or the terminal's), with zone.
    pub taken: String,
    /// When the server received it, with zone.
    pub received: String,
    /// Position as words ("120 m dari Kantor SD1, akurasi 8 m").
    pub place: String,
    /// The unit's locations and the position drawn to scale (`map::locations_svg`).
    pub sketch: String,
}

/// The same punch channel words the employee reads.
fn channel_label(source: &str, sn: Option<&str>) -> String {
    match (source, sn) {
        ("mobile", _) => "Aplikasi ponsel".into(),
        ("special", _) => "Absen khusus (di luar lokasi)".into(),
        ("terminal", Some(sn)) => format!("Mesin absen {sn}"),
        ("relay", Some(sn)) => format!("Mesin absen {sn} (lewat penerus data)"),
        ("manual", _) => "Presensi manual".into(),
        _ => "Mesin absen".into(),
    }
}

fn evidence(p: &crate::views::PunchView, unit: Option<&Unit>, tz: &TimeZone) -> Evidence {
    let taken = p.captured_at.as_deref().unwrap_or(&p.punched_at);
    let mut place = match (&p.location, p.distance_m, p.lat, p.lon) {
        (Some(l), Some(d), _, _) => format!("{} dari {l}", metres(d)),
        (_, _, Some(lat), Some(lon)) => format!("{lat:.5}, {lon:.5}"),
        _ if p.position_purged => "Posisi sudah dihapus (masa simpan habis)".into(),
        _ => String::new(),
    };
    if let Some(a) = p.accuracy_m.filter(|_| !place.is_empty()) {
        place.push_str(&format!(", akurasi {}", metres(a)));
    }
    let sketch = match (p.lat, p.lon) {
        (Some(lat), Some(lon)) => {
            let mut spots: Vec<Spot> = unit
                .map(|u| {
                    u.locations
                        .iter()
                        .map(|l| Spot { name: &l.name, lat: l.lat, lon: l.lon, radius_m: l.radius_m })
                        .collect()
                })
                .unwrap_or_default();
            spots.push(Spot { name: "Posisi absen", lat, lon, radius_m: p.accuracy_m.unwrap_or(5.0).max(3.0) });
            locations_svg(&spots)
        }
        _ => String::new(),
    };
    Evidence {
        punch_id: p.id,
        channel: channel_label(&p.source, p.device_sn.as_deref()),
        photo: p
            .photo_url
            .as_ref()
            .map(|_| (format!("/admin/punches/{}/photo?size=thumb", p.id), format!("/admin/punches/{}/photo", p.id))),
        taken: super::zoned_text(tz, taken),
        received: super::zoned_text(tz, &p.received_at),
        place,
        sketch,
    }
}

fn metres(m: f64) -> String {
    if m >= 1000.0 { format!("{:.1} km", m / 1000.0).replace('.', ",") } else { format!("{m:.0} m") }
}

fn zone_of(unit: Option<&Unit>, fallback: &TimeZone) -> TimeZone {
    unit.and_then(|u| hadir_domain::unit_zone(&u.timezone).ok()).unwrap_or_else(|| fallback.clone())
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
    pub reason: String,
    pub detail: String,
    pub ev: Evidence,
    /// The caller may make this selfie the employee's reference face (issue 23; never their own).
    pub can_enrol: bool,
}

/// A terminal's waiting punches, accepted or rejected with one click.
pub struct ReviewTerminal {
    pub sn: String,
    pub count: usize,
}

/// The inbox filters (all optional): unit subtree, type, a day the item falls on, employee.
#[derive(Deserialize, Default, Clone)]
pub struct InboxQuery {
    pub unit: Option<String>,
    /// `presensi` (punches to check), a request type (`CUTI_TAHUNAN`, …), or empty for all.
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub date: Option<String>,
    /// Part of a name, a NIP or a login.
    pub employee: Option<String>,
}

impl InboxQuery {
    fn unit(&self) -> Option<String> {
        self.unit.clone().filter(|u| !u.trim().is_empty())
    }
    fn kind(&self) -> Option<&str> {
        self.kind.as_deref().filter(|k| !k.is_empty())
    }
    fn employee_matches(&self, texts: &[Option<&str>]) -> bool {
        let Some(q) = self.employee.as_deref().map(str::trim).filter(|q| !q.is_empty()) else { return true };
        let q = q.to_lowercase();
        texts.iter().flatten().any(|t| t.to_lowercase().contains(&q))
    }
}

/// Request types and punch checks as the type filter offers them.
const TYPES: &[&str] = &[
    "CUTI_TAHUNAN",
    "CUTI_SAKIT",
    "CUTI_BESAR",
    "CUTI_MELAHIRKAN",
    "CUTI_ALASAN_PENTING",
    "CLTN",
    "IZIN",
    "SAKIT",
    "DINAS_LUAR",
    "DIKLAT",
    "TUGAS_BELAJAR",
    "UPACARA",
    "MANUAL",
    "OUTAGE",
    "KEBERATAN",
];

#[derive(Template)]
#[template(path = "admin/inbox.html")]
struct InboxPage {
    nav: Nav,
    heading: String,
    cards: Vec<Card>,
    unmatched: Vec<Unmatched>,
    reviews: Vec<Review>,
    review_terminals: Vec<ReviewTerminal>,
    f: InboxQuery,
    units: Vec<(String, String)>,
    types: Vec<(&'static str, String)>,
    date_error: bool,
}

impl InboxPage {
    fn sel(&self, field: &str, value: &str) -> &'static str {
        let cur = match field {
            "unit" => self.f.unit.as_deref(),
            _ => self.f.kind.as_deref(),
        };
        if cur == Some(value) { "selected" } else { "" }
    }
}

#[derive(Template)]
#[template(path = "admin/request_card.html")]
struct CardFragment {
    c: Card,
}

/// The review queue as the API gives it (same scope: the caller's subtrees, own punches left
/// out), narrowed by the inbox filters. Special check-ins are left out: they are decided with
/// their request, whose card shows the same evidence.
async fn reviews(
    s: &AppState,
    c: &Caller,
    f: &InboxQuery,
    day: Option<Date>,
    units: &[Unit],
) -> Result<(Vec<Review>, Vec<ReviewTerminal>), ConsoleError> {
    let q = crate::api::review::ReviewQuery {
        limit: Some(200),
        unit: f.unit(),
        from: day.map(|d| d.to_string()),
        to: day.map(|d| d.to_string()),
        ..Default::default()
    };
    let axum::Json(list) = crate::api::review::list_review(State(s.clone()), c.clone(), Query(q)).await?;
    let regency = s.config.regency_zone();
    let mut terminals: Vec<ReviewTerminal> = Vec::new();
    let mut out = Vec::new();
    for i in list.items {
        if i.reason == "special_pending" {
            continue;
        }
        if !f.employee_matches(&[i.name.as_deref(), i.nip.as_deref(), i.punch.device_pin.as_deref()]) {
            continue;
        }
        let p = i.punch;
        if let Some(sn) = &p.device_sn {
            match terminals.iter_mut().find(|t| &t.sn == sn) {
                Some(t) => t.count += 1,
                None => terminals.push(ReviewTerminal { sn: sn.clone(), count: 1 }),
            }
        }
        let unit = i.unit_code.as_deref().and_then(|code| units.iter().find(|u| u.code == code));
        let tz = zone_of(unit, &regency);
        let can_enrol = p.photo_url.is_some()
            && i.employee_id.is_some()
            && i.employee_id != c.employee_id
            && unit.is_some_and(|u| c.can_decide_for_unit(&u.path));
        out.push(Review {
            can_enrol,
            id: p.id,
            who: match (&i.name, &i.nip) {
                (Some(n), Some(nip)) => format!("{n} (NIP {nip})"),
                (Some(n), None) => n.clone(),
                _ => format!("PIN mesin {} (belum dikenal)", p.device_pin.clone().unwrap_or_default()),
            },
            unit: i.unit_name.unwrap_or_default(),
            reason: i.reason_label,
            // Fraud signals (issue 23): the reviewer reads each one's measurement.
            detail: std::iter::once(p.review_detail.clone().unwrap_or_default())
                .chain(i.signals.iter().map(|g| g.detail.clone()))
                .filter(|d| !d.is_empty())
                .collect::<Vec<_>>()
                .join(" · "),
            ev: evidence(&p, unit, &tz),
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
/// locked-month rules, audit, recompute); the result as a notice (which replaces the card).
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
    // The notice goes to #flash; the decided card leaves the page (htmx out-of-band delete).
    Ok(html(&BulkResult {
        message: format!("{} absen {verb}.", r.decided),
        failures: Vec::new(),
        gone: f.id.map(|id| vec![format!("punch-{id}")]).unwrap_or_default(),
    }))
}

/// Decodes an `application/x-www-form-urlencoded` body into pairs (repeated keys kept).
pub(super) fn form_pairs(body: &[u8]) -> Vec<(String, String)> {
    fn decode(s: &str) -> String {
        let b = s.as_bytes();
        let mut out = Vec::with_capacity(b.len());
        let mut i = 0;
        while i < b.len() {
            match b[i] {
                b'+' => out.push(b' '),
                b'%' if i + 2 < b.len() => {
                    match u8::from_str_radix(std::str::from_utf8(&b[i + 1..i + 3]).unwrap_or("zz"), 16) {
                        Ok(v) => {
                            out.push(v);
                            i += 2;
                        }
                        Err(_) => out.push(b'%'),
                    }
                }
                c => out.push(c),
            }
            i += 1;
        }
        String::from_utf8_lossy(&out).into_owned()
    }
    String::from_utf8_lossy(body)
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (decode(k), decode(v))
        })
        .collect()
}

#[derive(Template)]
#[template(path = "admin/bulk_result.html")]
struct BulkResult {
    message: String,
    failures: Vec<String>,
    /// Element ids of the decided cards, removed from the page (htmx out-of-band).
    gone: Vec<String>,
}

/// `POST /admin/inbox/bulk`: accepts or rejects every ticked card (punches through
/// `api::review::decide_review`, requests through `api::requests::decide_request`, one by one
/// so each keeps its own rules). Rejecting needs a note; nothing is decided without one.
pub async fn bulk(
    State(s): State<AppState>,
    Console(c): Console,
    axum::extract::RawForm(body): axum::extract::RawForm,
) -> CResult {
    let pairs = form_pairs(&body);
    let get = |k: &str| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.trim().to_string());
    let accept = match get("decision").as_deref() {
        Some("accept") => true,
        Some("reject") => false,
        _ => {
            return Err(ApiError::unprocessable("invalid_decision", "Pilih Terima atau Tolak.").into());
        }
    };
    let note = get("note").filter(|n| !n.is_empty());
    let ids = |k: &str| -> Result<Vec<Id>, ConsoleError> {
        pairs
            .iter()
            .filter(|(n, _)| n == k)
            .map(|(_, v)| {
                v.trim().parse::<Id>().map_err(|_| {
                    ConsoleError(ApiError::unprocessable(
                        "invalid_selection",
                        "Pilihan tidak dikenal; muat ulang halaman.",
                    ))
                })
            })
            .collect()
    };
    let punches = ids("punch")?;
    let requests = ids("request")?;
    if punches.is_empty() && requests.is_empty() {
        return Err(ApiError::unprocessable("nothing_selected", "Centang dulu kartu yang akan diputus.").into());
    }
    if !accept && note.is_none() {
        return Err(ApiError::unprocessable(
            "note_required",
            "Tuliskan alasan penolakan; pegawai akan membacanya. Tidak ada yang diputus.",
        )
        .into());
    }
    let mut gone = Vec::new();
    let mut failures = Vec::new();
    let mut decided = 0usize;
    if !punches.is_empty() {
        let body =
            crate::api::review::DecideHeld { ids: Some(punches.clone()), filter: None, accept, note: note.clone() };
        let axum::Json(r) = crate::api::review::decide_review(State(s.clone()), c.clone(), ApiJson(body)).await?;
        decided += r.decided;
        gone.extend(punches.iter().map(|id| format!("punch-{id}")));
    }
    for id in requests {
        let input = DecisionInput { approve: accept, comment: note.clone(), correction: None };
        match crate::api::requests::decide_request(State(s.clone()), c.clone(), Path(id), ApiJson(input)).await {
            Ok(_) => {
                decided += 1;
                gone.push(format!("request-{id}"));
            }
            Err(e) => failures.push(format!("Permohonan #{id}: {}", e.message)),
        }
    }
    let verb = if accept { "diterima" } else { "ditolak" };
    let message = format!("{decided} butir {verb}.");
    Ok(html(&BulkResult { message, failures, gone }))
}

/// `GET /admin/inbox`: everything waiting for the caller, filtered.
pub async fn page(State(s): State<AppState>, Console(c): Console, Query(f): Query<InboxQuery>) -> CResult {
    let decider = c.is_admin || !c.decide_paths().is_empty();
    let day_text = f.date.as_deref().map(str::trim).filter(|d| !d.is_empty());
    let day = day_text.and_then(|d| d.parse::<Date>().ok());
    let date_error = day_text.is_some() && day.is_none();
    let units = super::readable_units(&s, &c).await?;
    let want_requests = f.kind() != Some("presensi");
    let want_punches = f.kind().is_none() || f.kind() == Some("presensi");
    let mut cards = Vec::new();
    if want_requests {
        let q = ListQuery {
            state: (!decider).then(|| "submitted".to_string()),
            kind: f.kind().map(str::to_string),
            unit: f.unit(),
            mine: None,
            inbox: decider.then_some(true),
            offset: None,
            limit: Some(200),
        };
        let axum::Json(list) = crate::api::requests::list_requests(State(s.clone()), c.clone(), Query(q)).await?;
        for r in list.items {
            let on_day = match day {
                None => true,
                Some(d) => {
                    r.date_from.parse::<Date>().is_ok_and(|a| a <= d) && r.date_to.parse::<Date>().is_ok_and(|b| d <= b)
                }
            };
            if on_day && f.employee_matches(&[r.employee.as_deref(), r.employee_name.as_deref()]) {
                cards.push(card(&s, r).await);
            }
        }
    }
    let axum::Json(um) =
        unmatched_punches(State(s.clone()), c.clone(), Query(crate::api::devices::UnmatchedQuery { unit: None }))
            .await?;
    let regency = s.config.regency_zone();
    let unmatched = um
        .items
        .into_iter()
        .take(200)
        .map(|p| Unmatched {
            sn: p.device_sn.unwrap_or_default(),
            pin: p.device_pin.unwrap_or_default(),
            time: super::zoned_text(&regency, &p.punched_at),
        })
        .collect();
    let heading = if decider {
        "Permohonan menunggu keputusan Anda".to_string()
    } else {
        "Permohonan di unit Anda yang menunggu keputusan kepala unit".to_string()
    };
    let (reviews, review_terminals) =
        if decider && want_punches { reviews(&s, &c, &f, day, &units).await? } else { (Vec::new(), Vec::new()) };
    let mut types = vec![("presensi", "Presensi yang perlu diperiksa".to_string())];
    types.extend(TYPES.iter().map(|t| (*t, kind_label(t))));
    Ok(html(&InboxPage {
        nav: Nav::new(&s, &c, "inbox"),
        heading,
        cards,
        unmatched,
        reviews,
        review_terminals,
        units: units.iter().map(|u| (u.code.clone(), u.name.clone())).collect(),
        types,
        date_error,
        f,
    }))
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
