//! Request rules (issue 7; moved here from the server in issue 18): the catalogue of request
//! types and what each does, who decides, the shape a request must have, what evidence it
//! needs and what a decision needs. Leave rules (entitlements, quota, working days) are in
//! [`crate::leave`]. Pure: the server adds HTTP, authorisation and storage.
//!
//! Every refusal is a [`RequestRefusal`]: a machine-readable [`code`](RequestRefusal::code)
//! and an Indonesian message a clerk understands (its `Display`).

use crate::{AbsenceKind, DayStatus, EmployeeCategory};
use jiff::Timestamp;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

/// A request's state: `draft` → `submitted` → `approved` | `rejected`; `cancelled` while
/// draft or submitted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RequestState {
    Draft,
    Submitted,
    Approved,
    Rejected,
    Cancelled,
}

impl RequestState {
    pub fn as_str(self) -> &'static str {
        match self {
            RequestState::Draft => "draft",
            RequestState::Submitted => "submitted",
            RequestState::Approved => "approved",
            RequestState::Rejected => "rejected",
            RequestState::Cancelled => "cancelled",
        }
    }
    pub fn parse(s: &str) -> Option<RequestState> {
        Some(match s.trim().to_ascii_lowercase().as_str() {
            "draft" => RequestState::Draft,
            "submitted" | "pending" => RequestState::Submitted,
            "approved" => RequestState::Approved,
            "rejected" => RequestState::Rejected,
            "cancelled" | "canceled" => RequestState::Cancelled,
            _ => return None,
        })
    }
    /// Still open: the submitter may cancel, evidence may be attached.
    pub fn is_pending(self) -> bool {
        matches!(self, RequestState::Draft | RequestState::Submitted)
    }

    /// Waiting for a decision (only a submitted request is decided).
    pub fn awaits_decision(self) -> bool {
        self == RequestState::Submitted
    }

    /// The states a request may reach `self` from: a draft is submitted; a submitted request
    /// is approved or rejected (decided once); a draft or submitted request is cancelled by its
    /// submitter or employee. Nothing leaves approved, rejected or cancelled.
    pub fn reachable_from(self) -> &'static [RequestState] {
        match self {
            RequestState::Draft => &[],
            RequestState::Submitted => &[RequestState::Draft],
            RequestState::Approved | RequestState::Rejected => &[RequestState::Submitted],
            RequestState::Cancelled => &[RequestState::Draft, RequestState::Submitted],
        }
    }
}

/// Who decides: the head of the unit subtree (or an operator of it), or the BKD (administrators).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Decider {
    Head,
    Bkd,
}

impl Decider {
    pub fn as_str(self) -> &'static str {
        match self {
            Decider::Head => "head",
            Decider::Bkd => "bkd",
        }
    }
    pub fn parse(s: &str) -> Option<Decider> {
        match s {
            "head" => Some(Decider::Head),
            "bkd" => Some(Decider::Bkd),
            _ => None,
        }
    }
}

/// What a request type does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    /// Leave, izin, sakit: the covered working days take the absence status.
    Leave(AbsenceKind),
    /// Dinas luar, diklat, tugas belajar: a date range away on duty (counts as present), or,
    /// linked to a special punch, presence at that time.
    Duty(AbsenceKind),
    /// Upacara (ceremony) away from the office: a special punch approved as presence.
    Ceremony,
    /// Manual attendance: a signed sheet of one date, lines for one or many employees.
    Manual,
    /// An outage window of a unit subtree on one date.
    Outage,
    /// An objection (keberatan) to one day.
    Objection,
}

impl Family {
    /// Manual attendance, outages and objections concern one date.
    pub fn is_one_day(self) -> bool {
        matches!(self, Family::Manual | Family::Outage | Family::Objection)
    }
}

/// The canonical type code and its family; `None` for an unknown type.
pub fn family(kind: &str) -> Option<(String, Family)> {
    let k = kind.trim().to_ascii_uppercase();
    let f = match k.as_str() {
        "MANUAL" => Family::Manual,
        "OUTAGE" => Family::Outage,
        "KEBERATAN" => Family::Objection,
        "UPACARA" => Family::Ceremony,
        "DL" | "DINAS_LUAR" => return Some(("DINAS_LUAR".into(), Family::Duty(AbsenceKind::Dl))),
        _ => {
            let a = AbsenceKind::from_code(&k)?;
            if a.is_duty() { Family::Duty(a) } else { Family::Leave(a) }
        }
    };
    Some((k, f))
}

/// Leave types decided by the BKD (administrators) rather than the head of unit.
pub const BKD_TYPES: [&str; 3] = ["CUTI_BESAR", "CUTI_MELAHIRKAN", "CLTN"];

/// Who decides a request of this (canonical) type.
pub fn decider_for(kind: &str) -> Decider {
    if BKD_TYPES.contains(&kind) { Decider::Bkd } else { Decider::Head }
}

/// The label shown in explanations for presence approved through a request of this type.
pub fn presence_label(kind: &str) -> &'static str {
    match kind {
        "MANUAL" => "presensi manual",
        "UPACARA" => "absen khusus upacara",
        "DIKLAT" => "absen khusus diklat",
        "TUGAS_BELAJAR" => "absen khusus tugas belajar",
        _ => "absen khusus dinas luar",
    }
}

/// The request a special check-in of `special_type` opens: a duty or ceremony type, else
/// `DINAS_LUAR`.
pub fn special_request_type(special_type: &str) -> String {
    family(special_type)
        .filter(|(_, f)| matches!(f, Family::Duty(_) | Family::Ceremony))
        .map(|(k, _)| k)
        .unwrap_or_else(|| "DINAS_LUAR".into())
}

/// The types whose whole-day requests charge days as an absence (leave, izin, sakit, dated
/// duty): no two of an employee's, submitted or approved, may share a date (PP 11/2017: a day is
/// charged once). Canonical codes, as stored.
pub fn exclusive_types() -> Vec<String> {
    AbsenceKind::ALL.iter().filter_map(|k| family(k.code()).map(|(code, _)| code)).collect()
}

/// A special punch waits in the review queue with its request (issue 16) and follows it once
/// the request is final: accepted when approved, rejected when rejected or cancelled, with a
/// note naming the request; `None` while it is pending.
pub fn special_punch_settlement(request_id: i64, state: RequestState) -> Option<(bool, String)> {
    let (accept, verb) = match state {
        RequestState::Approved => (true, "disetujui"),
        RequestState::Rejected => (false, "ditolak"),
        RequestState::Cancelled => (false, "dibatalkan"),
        RequestState::Draft | RequestState::Submitted => return None,
    };
    Some((accept, format!("Permohonan #{request_id} {verb}")))
}

/// Longest reason kept (characters); longer text is cut.
pub const REASON_MAX_CHARS: usize = 2000;
/// Lines of one manual-attendance sheet, at most.
pub const MANUAL_LINES_MAX: usize = 2000;
/// Largest evidence file (scanned letters, signed sheets).
pub const ATTACHMENT_MAX_BYTES: usize = 3 * 1024 * 1024;
/// Evidence files per request, at most.
pub const ATTACHMENTS_MAX: usize = 10;

/// Evidence type from the first bytes, whatever the client claims: PDF, JPEG or PNG.
pub fn evidence_type(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"%PDF-") {
        Some("application/pdf")
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else {
        None
    }
}

/// A short video's type from its first bytes: MP4 (an ISO media file whose `ftyp` brand is a
/// video one; HEIC photos and M4A audio share the container and are not videos) or WebM (an
/// EBML file whose document type is `webm`).
pub fn video_type(bytes: &[u8]) -> Option<&'static str> {
    const MP4_BRANDS: &[&[u8; 4]] =
        &[b"isom", b"iso2", b"iso4", b"iso5", b"iso6", b"mp41", b"mp42", b"avc1", b"M4V ", b"M4VH", b"dash", b"MSNV"];
    if bytes.len() >= 12 && &bytes[4..8] == b"ftyp" && MP4_BRANDS.iter().any(|b| &bytes[8..12] == *b) {
        return Some("video/mp4");
    }
    if bytes.starts_with(&[0x1A, 0x45, 0xDF, 0xA3]) && bytes[..bytes.len().min(64)].windows(4).any(|w| w == b"webm") {
        return Some("video/webm");
    }
    None
}

/// Request types whose evidence may be a video (Pati records faces on video when the network
/// fails): manual attendance and objections; special attendance is any request opened by a
/// special check-in (it carries the punch).
pub fn video_evidence_allowed(kind: &str, from_special_checkin: bool) -> bool {
    from_special_checkin || matches!(kind, "MANUAL" | "KEBERATAN")
}

/// Evidence a request needs before it is approved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Evidence {
    /// Manual attendance: the scanned, signed attendance sheet.
    SignedSheet,
    /// Outage: the report (berita acara) of the outage.
    OutageReport,
    /// Sick leave or sakit over one day: a doctor's letter.
    DoctorLetter,
    /// Sick leave over [`SICK_LEAVE_OWN_DOCTOR_DAYS`] days: a government doctor's letter
    /// (PP 11/2017).
    GovernmentDoctorLetter,
}

/// Sick leave up to this many calendar days may rest on any doctor's letter; longer needs a
/// government doctor's (PP 11/2017).
pub const SICK_LEAVE_OWN_DOCTOR_DAYS: i64 = 14;

/// The evidence a request of `kind` over `from..=to` needs before approval, if any.
pub fn evidence_needed(kind: &str, from: Date, to: Date) -> Option<Evidence> {
    match kind {
        "MANUAL" => Some(Evidence::SignedSheet),
        "OUTAGE" => Some(Evidence::OutageReport),
        "CUTI_SAKIT" if crate::leave::calendar_days(from, to) > SICK_LEAVE_OWN_DOCTOR_DAYS => {
            Some(Evidence::GovernmentDoctorLetter)
        }
        "SAKIT" | "CUTI_SAKIT" if to > from => Some(Evidence::DoctorLetter),
        _ => None,
    }
}

/// Why a request (or a decision on one) is refused. `Display` is the Indonesian message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RequestRefusal {
    #[error("Alasan permohonan wajib diisi.")]
    ReasonRequired,
    #[error("Tanggal selesai tidak boleh sebelum tanggal mulai.")]
    EndBeforeStart,
    #[error("Permohonan jenis ini hanya untuk satu tanggal.")]
    OneDayOnly,
    #[error("Jam selesai gangguan harus setelah jam mulai.")]
    OutageEndBeforeStart,
    #[error("Isi daftar hadir (entries) minimal satu pegawai.")]
    EntriesRequired,
    #[error("Paling banyak {MANUAL_LINES_MAX} baris per berita acara.")]
    TooManyEntries,
    #[error("Cuti, izin dan sakit tidak terkait dengan absen khusus.")]
    PunchNotAllowed,
    #[error("Upacara di luar kantor diajukan lewat absen khusus (punch_id).")]
    PunchRequired,
    #[error("Keberatan hanya untuk hari yang sudah berlalu atau hari ini.")]
    FutureObjection,
    #[error("Absen ini bukan absen khusus milik pegawai tersebut.")]
    NotSpecialPunch,
    /// `month` is `YYYY-MM`; `deciding`: the objection is being decided, not filed.
    #[error("Rekap bulan {month} sudah dikunci; keberatan tidak dapat {} lagi.", if *.deciding { "diputus" } else { "diajukan" })]
    MonthLocked { month: String, deciding: bool },
    /// `month` is `YYYY-MM`; `deadline` the last day objections could be filed (inclusive).
    #[error(
        "Masa keberatan bulan {month} berakhir {deadline}; keberatan tidak dapat diajukan lagi. \
         Bila ada alasan kuat, minta BKD memperpanjang batas keberatan."
    )]
    ObjectionDeadlinePassed { month: String, deadline: Date },
    #[error("Pegawai {} tidak berhak atas {} (PPPK: cuti tahunan, cuti sakit, cuti melahirkan).", .category.code(), .kind.label())]
    NotForCategory { category: EmployeeCategory, kind: AbsenceKind },
    #[error("{} paling lama {max_days} hari kalender.", .kind.label())]
    RangeTooLong { kind: AbsenceKind, max_days: i64 },
    #[error("Rentang tanggal ini tidak memuat hari kerja.")]
    NoWorkingDays,
    #[error("Cuti tahunan yang melewati pergantian tahun diajukan terpisah per tahun.")]
    SplitByYear,
    #[error("{}", evidence_message(*.0))]
    EvidenceRequired(Evidence),
    #[error("Keberatan yang diterima harus menyebutkan koreksinya (status atau jam).")]
    CorrectionRequired,
    #[error("Tuliskan alasan penolakan.")]
    RejectionReasonRequired,
    #[error("Status '{}' tidak dapat ditetapkan.", .0.code())]
    StatusNotSettable(DayStatus),
    /// PP 11/2017: a leave that needs years of service, before them. `since`: TMT CPNS.
    #[error(
        "{} baru dapat diambil setelah {years} tahun masa kerja (PP 11/2017). Masa kerja dihitung sejak TMT CPNS {}/{} pada NIP, jadi paling cepat mulai {eligible_from}.",
        .kind.label(), .since.month(), .since.year()
    )]
    ServiceTooShort { kind: AbsenceKind, years: i16, since: Date, eligible_from: Date },
    #[error(
        "Cuti melahirkan hanya untuk pegawai perempuan yang melahirkan (PP 11/2017; NIP mencatat jenis kelamin laki-laki). Suami yang mendampingi persalinan dapat mengajukan cuti alasan penting."
    )]
    MaternityForWomenOnly,
    /// Another submitted or approved request already covers a date (PP 11/2017: a day is
    /// charged once).
    #[error(
        "Tanggal ini sudah tercakup permohonan #{other_id} ({other_label} {other_from} s.d. {other_to}); satu hari tidak dapat dibebankan dua kali. Batalkan atau ubah permohonan itu lebih dulu."
    )]
    Overlap { other_id: i64, other_label: String, other_from: Date, other_to: Date },
}

fn evidence_message(e: Evidence) -> &'static str {
    match e {
        Evidence::SignedSheet => "Lampirkan pindaian daftar hadir yang ditandatangani sebelum menyetujui.",
        Evidence::OutageReport => "Lampirkan bukti gangguan (berita acara) sebelum menyetujui.",
        Evidence::DoctorLetter => {
            "Sakit lebih dari satu hari memerlukan surat keterangan dokter; lampirkan sebelum menyetujui."
        }
        Evidence::GovernmentDoctorLetter => {
            "Cuti sakit lebih dari 14 hari memerlukan surat keterangan dokter pemerintah (PP 11/2017); lampirkan sebelum menyetujui."
        }
    }
}

impl RequestRefusal {
    /// Machine-readable code for API errors.
    pub fn code(&self) -> &'static str {
        match self {
            RequestRefusal::ReasonRequired | RequestRefusal::RejectionReasonRequired => "reason_required",
            RequestRefusal::EndBeforeStart | RequestRefusal::OutageEndBeforeStart => "invalid_range",
            RequestRefusal::OneDayOnly => "one_day_only",
            RequestRefusal::EntriesRequired => "entries_required",
            RequestRefusal::TooManyEntries => "too_many_entries",
            RequestRefusal::PunchNotAllowed => "punch_not_allowed",
            RequestRefusal::PunchRequired => "punch_required",
            RequestRefusal::FutureObjection => "future_date",
            RequestRefusal::NotSpecialPunch => "not_special_punch",
            RequestRefusal::MonthLocked { .. } => "month_locked",
            RequestRefusal::ObjectionDeadlinePassed { .. } => "objection_deadline_passed",
            RequestRefusal::NotForCategory { .. } => "leave_not_allowed",
            RequestRefusal::RangeTooLong { .. } => "range_too_long",
            RequestRefusal::NoWorkingDays => "no_working_days",
            RequestRefusal::SplitByYear => "split_by_year",
            RequestRefusal::EvidenceRequired(_) => "evidence_required",
            RequestRefusal::CorrectionRequired => "correction_required",
            RequestRefusal::StatusNotSettable(_) => "invalid_correction",
            RequestRefusal::ServiceTooShort { .. } => "service_too_short",
            RequestRefusal::MaternityForWomenOnly => "maternity_women_only",
            RequestRefusal::Overlap { .. } => "overlapping_request",
        }
    }

    /// The refusal is a conflict with an existing request (answered 409), not bad input (422).
    pub fn is_conflict(&self) -> bool {
        matches!(self, RequestRefusal::Overlap { .. })
    }
}

/// The reason as kept: trimmed, at most [`REASON_MAX_CHARS`] characters, never empty.
pub fn clean_reason(raw: &str) -> Result<String, RequestRefusal> {
    let reason: String = raw.trim().chars().take(REASON_MAX_CHARS).collect();
    if reason.trim().is_empty() {
        return Err(RequestRefusal::ReasonRequired);
    }
    Ok(reason)
}

/// The date range of a request of `family`: not reversed, one date for one-day types.
pub fn check_dates(family: Family, from: Date, to: Date) -> Result<(), RequestRefusal> {
    if to < from {
        return Err(RequestRefusal::EndBeforeStart);
    }
    if family.is_one_day() && to != from {
        return Err(RequestRefusal::OneDayOnly);
    }
    Ok(())
}

/// An outage window ends after it starts.
pub fn check_outage_window(start: Timestamp, end: Timestamp) -> Result<(), RequestRefusal> {
    if end <= start {
        return Err(RequestRefusal::OutageEndBeforeStart);
    }
    Ok(())
}

/// A manual-attendance sheet has 1..=[`MANUAL_LINES_MAX`] lines.
pub fn check_manual_lines(n: usize) -> Result<(), RequestRefusal> {
    match n {
        0 => Err(RequestRefusal::EntriesRequired),
        n if n > MANUAL_LINES_MAX => Err(RequestRefusal::TooManyEntries),
        _ => Ok(()),
    }
}

/// What a request of `family` makes of a special punch: leave never has one; a ceremony
/// always does; duty either way (a date range, or presence at the punch).
pub fn check_punch_link(family: Family, has_punch: bool) -> Result<(), RequestRefusal> {
    match family {
        Family::Leave(_) if has_punch => Err(RequestRefusal::PunchNotAllowed),
        Family::Ceremony if !has_punch => Err(RequestRefusal::PunchRequired),
        _ => Ok(()),
    }
}

/// An objection concerns a day that has begun (today or earlier, in the unit's zone).
pub fn check_objection_date(date: Date, today: Date) -> Result<(), RequestRefusal> {
    if date > today {
        return Err(RequestRefusal::FutureObjection);
    }
    Ok(())
}

/// A request with a punch approves a special punch of its own employee.
pub fn check_special_punch(of_the_employee: bool, special: bool) -> Result<(), RequestRefusal> {
    if !(of_the_employee && special) {
        return Err(RequestRefusal::NotSpecialPunch);
    }
    Ok(())
}

/// `YYYY-MM` of a date: the month a recap (and its lock) covers.
pub fn month_key(d: Date) -> String {
    format!("{:04}-{:02}", d.year(), d.month())
}

/// Objections for a month are filed (created or submitted) until its deadline, inclusive, in
/// the unit's local date (issue 19); deciding them stays possible until the month is locked.
pub fn check_objection_deadline(date: Date, deadline: Date, today: Date) -> Result<(), RequestRefusal> {
    if today > deadline {
        return Err(RequestRefusal::ObjectionDeadlinePassed { month: month_key(date), deadline });
    }
    Ok(())
}

/// Objections for a locked month are neither filed nor decided: the recap is final.
pub fn check_objection_month(date: Date, locked: bool, deciding: bool) -> Result<(), RequestRefusal> {
    if locked {
        return Err(RequestRefusal::MonthLocked { month: month_key(date), deciding });
    }
    Ok(())
}

/// What a decision needs: approval of a request that needs evidence needs the evidence
/// attached; approving an objection names its correction; a rejection names its reason.
pub fn check_decision(
    kind: &str,
    from: Date,
    to: Date,
    approve: bool,
    has_evidence: bool,
    has_correction: bool,
    has_comment: bool,
) -> Result<(), RequestRefusal> {
    if approve {
        if let Some(need) = evidence_needed(kind, from, to)
            && !has_evidence
        {
            return Err(RequestRefusal::EvidenceRequired(need));
        }
        if kind == "KEBERATAN" && !has_correction {
            return Err(RequestRefusal::CorrectionRequired);
        }
    } else if !has_comment {
        return Err(RequestRefusal::RejectionReasonRequired);
    }
    Ok(())
}

/// A status an accepted objection may set: any but the two that only the evaluator gives
/// (before the start date, day not over).
pub fn check_settable_status(status: DayStatus) -> Result<(), RequestRefusal> {
    if matches!(status, DayStatus::BelumAktif | DayStatus::BelumSelesai) {
        return Err(RequestRefusal::StatusNotSettable(status));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn videos_are_told_by_their_bytes() {
        assert_eq!(video_type(b"\0\0\0\x18ftypmp42\0\0\0\0mp42isom"), Some("video/mp4"));
        assert_eq!(video_type(b"\0\0\0\x1cftypisom\0\0\x02\0"), Some("video/mp4"));
        assert_eq!(video_type(b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\x82\x84webm\x42\x87"), Some("video/webm"));
        // HEIC photos and M4A audio share the MP4 container; Matroska is not WebM; a name is not a type.
        assert_eq!(video_type(b"\0\0\0\x18ftypheic\0\0\0\0"), None);
        assert_eq!(video_type(b"\0\0\0\x18ftypM4A \0\0\0\0"), None);
        assert_eq!(video_type(b"\x1a\x45\xdf\xa3\x9f\x42\x82\x88matroska"), None);
        assert_eq!(video_type(b"video.mp4 but really text"), None);
        assert_eq!(video_type(b""), None);
        assert!(video_evidence_allowed("MANUAL", false) && video_evidence_allowed("KEBERATAN", false));
        assert!(video_evidence_allowed("DINAS_LUAR", true) && !video_evidence_allowed("SAKIT", false));
    }

    #[test]
    fn catalogue_and_deciders() {
        type Case<'a> = (&'a str, Option<(&'a str, Family)>, Decider);
        let cases: &[Case] = &[
            ("dinas_luar", Some(("DINAS_LUAR", Family::Duty(AbsenceKind::Dl))), Decider::Head),
            ("DL", Some(("DINAS_LUAR", Family::Duty(AbsenceKind::Dl))), Decider::Head),
            ("CUTI_TAHUNAN", Some(("CUTI_TAHUNAN", Family::Leave(AbsenceKind::CutiTahunan))), Decider::Head),
            (" izin ", Some(("IZIN", Family::Leave(AbsenceKind::Izin))), Decider::Head),
            ("DIKLAT", Some(("DIKLAT", Family::Duty(AbsenceKind::Diklat))), Decider::Head),
            ("CUTI_BESAR", Some(("CUTI_BESAR", Family::Leave(AbsenceKind::CutiBesar))), Decider::Bkd),
            ("CUTI_MELAHIRKAN", Some(("CUTI_MELAHIRKAN", Family::Leave(AbsenceKind::CutiMelahirkan))), Decider::Bkd),
            ("CLTN", Some(("CLTN", Family::Leave(AbsenceKind::Cltn))), Decider::Bkd),
            ("UPACARA", Some(("UPACARA", Family::Ceremony)), Decider::Head),
            ("MANUAL", Some(("MANUAL", Family::Manual)), Decider::Head),
            ("OUTAGE", Some(("OUTAGE", Family::Outage)), Decider::Head),
            ("KEBERATAN", Some(("KEBERATAN", Family::Objection)), Decider::Head),
            ("NOPE", None, Decider::Head),
        ];
        for (input, want, decider) in cases {
            let got = family(input);
            assert_eq!(got.as_ref().map(|(k, f)| (k.as_str(), *f)), *want, "{input}");
            if let Some((k, _)) = got {
                assert_eq!(decider_for(&k), *decider, "{input}");
            }
        }
        assert_eq!(Decider::parse(Decider::Bkd.as_str()), Some(Decider::Bkd));
        assert_eq!(special_request_type("upacara"), "UPACARA");
        assert_eq!(special_request_type("DIKLAT"), "DIKLAT");
        assert_eq!(special_request_type("IZIN"), "DINAS_LUAR", "leave is never opened by a check-in");
        assert_eq!(special_request_type("???"), "DINAS_LUAR");
        let ex = exclusive_types();
        for k in ["CUTI_TAHUNAN", "IZIN", "SAKIT", "CUTI_BESAR", "CLTN", "DINAS_LUAR", "DIKLAT", "TUGAS_BELAJAR"] {
            assert!(ex.iter().any(|x| x == k), "{k} in {ex:?}");
        }
        assert!(!ex.iter().any(|x| x == "DL" || x == "MANUAL" || x == "KEBERATAN" || x == "OUTAGE"), "{ex:?}");
        assert_eq!(Decider::parse("x"), None);
    }

    #[test]
    fn shapes() {
        let d = date(2026, 3, 2);
        let next = date(2026, 3, 3);
        let cases: &[(Family, Date, Date, Result<(), RequestRefusal>)] = &[
            (Family::Leave(AbsenceKind::Izin), d, next, Ok(())),
            (Family::Leave(AbsenceKind::Izin), next, d, Err(RequestRefusal::EndBeforeStart)),
            (Family::Manual, d, d, Ok(())),
            (Family::Manual, d, next, Err(RequestRefusal::OneDayOnly)),
            (Family::Outage, d, next, Err(RequestRefusal::OneDayOnly)),
            (Family::Objection, next, d, Err(RequestRefusal::EndBeforeStart)),
        ];
        for (f, from, to, want) in cases {
            assert_eq!(&check_dates(*f, *from, *to), want, "{f:?} {from} {to}");
        }
        assert_eq!(clean_reason("  keluarga "), Ok("keluarga".into()));
        assert_eq!(clean_reason(" \n "), Err(RequestRefusal::ReasonRequired));
        assert_eq!(clean_reason(&"a".repeat(5000)).unwrap().chars().count(), REASON_MAX_CHARS);
        assert_eq!(check_manual_lines(0), Err(RequestRefusal::EntriesRequired));
        assert_eq!(check_manual_lines(2000), Ok(()));
        assert_eq!(check_manual_lines(2001), Err(RequestRefusal::TooManyEntries));
        let t = Timestamp::from_second(1_700_000_000).unwrap();
        assert_eq!(check_outage_window(t, t), Err(RequestRefusal::OutageEndBeforeStart));
        assert_eq!(check_punch_link(Family::Leave(AbsenceKind::Sakit), true), Err(RequestRefusal::PunchNotAllowed));
        assert_eq!(check_punch_link(Family::Ceremony, false), Err(RequestRefusal::PunchRequired));
        assert_eq!(check_punch_link(Family::Duty(AbsenceKind::Dl), false), Ok(()));
        assert_eq!(check_objection_date(next, d), Err(RequestRefusal::FutureObjection));
        assert_eq!(check_objection_date(d, d), Ok(()));
        assert_eq!(check_special_punch(true, false), Err(RequestRefusal::NotSpecialPunch));
        assert_eq!(check_special_punch(false, true), Err(RequestRefusal::NotSpecialPunch));
        assert_eq!(check_special_punch(true, true), Ok(()));
        assert_eq!(check_objection_month(d, false, false), Ok(()));
        assert_eq!(
            check_objection_month(d, true, false).map_err(|e| e.to_string()),
            Err("Rekap bulan 2026-03 sudah dikunci; keberatan tidak dapat diajukan lagi.".into())
        );
        assert_eq!(
            check_objection_month(d, true, true).map_err(|e| e.to_string()),
            Err("Rekap bulan 2026-03 sudah dikunci; keberatan tidak dapat diputus lagi.".into())
        );
    }

    #[test]
    fn objection_deadline() {
        let d = date(2026, 3, 17);
        let deadline = date(2026, 4, 5);
        // (today, allowed)
        let table = [
            (date(2026, 3, 17), true),
            (date(2026, 4, 4), true),
            (date(2026, 4, 5), true),
            (date(2026, 4, 6), false),
            (date(2027, 1, 1), false),
        ];
        for (today, ok) in table {
            let r = check_objection_deadline(d, deadline, today);
            assert_eq!(r.is_ok(), ok, "{today}");
            if let Err(e) = r {
                assert_eq!(e.code(), "objection_deadline_passed");
                assert!(!e.is_conflict());
                assert_eq!(
                    e.to_string(),
                    "Masa keberatan bulan 2026-03 berakhir 2026-04-05; keberatan tidak dapat diajukan lagi. \
                     Bila ada alasan kuat, minta BKD memperpanjang batas keberatan."
                );
            }
        }
    }

    #[test]
    fn state_machine() {
        use RequestState::*;
        // (from, to, allowed)
        let all = [Draft, Submitted, Approved, Rejected, Cancelled];
        let allowed = [
            (Draft, Submitted),
            (Submitted, Approved),
            (Submitted, Rejected),
            (Draft, Cancelled),
            (Submitted, Cancelled),
        ];
        for from in all {
            for to in all {
                assert_eq!(to.reachable_from().contains(&from), allowed.contains(&(from, to)), "{from:?} → {to:?}");
            }
            assert_eq!(RequestState::parse(from.as_str()), Some(from));
        }
        assert_eq!(RequestState::parse("pending"), Some(Submitted));
        assert!(Submitted.awaits_decision() && !Draft.awaits_decision());
        assert!(Draft.is_pending() && Submitted.is_pending() && !Approved.is_pending());
        assert_eq!(special_punch_settlement(7, Approved), Some((true, "Permohonan #7 disetujui".into())));
        assert_eq!(special_punch_settlement(7, Rejected), Some((false, "Permohonan #7 ditolak".into())));
        assert_eq!(special_punch_settlement(7, Cancelled), Some((false, "Permohonan #7 dibatalkan".into())));
        assert_eq!(special_punch_settlement(7, Submitted), None);
        assert_eq!(special_punch_settlement(7, Draft), None);
    }

    #[test]
    fn evidence_and_decisions() {
        let d = date(2026, 3, 2);
        let next = date(2026, 3, 3);
        assert_eq!(evidence_needed("MANUAL", d, d), Some(Evidence::SignedSheet));
        assert_eq!(evidence_needed("OUTAGE", d, d), Some(Evidence::OutageReport));
        assert_eq!(evidence_needed("SAKIT", d, d), None);
        assert_eq!(evidence_needed("CUTI_SAKIT", d, next), Some(Evidence::DoctorLetter));
        assert_eq!(evidence_needed("IZIN", d, next), None);
        // Sick leave: up to 14 calendar days any doctor, beyond a government doctor.
        let day14 = date(2026, 3, 15);
        assert_eq!(evidence_needed("CUTI_SAKIT", d, day14), Some(Evidence::DoctorLetter));
        assert_eq!(evidence_needed("CUTI_SAKIT", d, date(2026, 3, 16)), Some(Evidence::GovernmentDoctorLetter));
        assert_eq!(evidence_needed("SAKIT", d, date(2026, 3, 16)), Some(Evidence::DoctorLetter));
        assert!(
            RequestRefusal::EvidenceRequired(Evidence::GovernmentDoctorLetter)
                .to_string()
                .contains("dokter pemerintah")
        );
        // (kind, approve, evidence, correction, comment) → outcome
        type Case<'a> = (&'a str, bool, bool, bool, bool, Result<(), RequestRefusal>);
        let cases: &[Case] = &[
            ("SAKIT", true, false, false, false, Err(RequestRefusal::EvidenceRequired(Evidence::DoctorLetter))),
            ("SAKIT", true, true, false, false, Ok(())),
            ("SAKIT", false, false, false, true, Ok(())),
            ("IZIN", false, false, false, false, Err(RequestRefusal::RejectionReasonRequired)),
            ("KEBERATAN", true, false, false, false, Err(RequestRefusal::CorrectionRequired)),
            ("KEBERATAN", true, false, true, false, Ok(())),
        ];
        for (kind, approve, ev, corr, comment, want) in cases {
            assert_eq!(&check_decision(kind, d, next, *approve, *ev, *corr, *comment), want, "{kind} {approve}");
        }
        assert_eq!(check_settable_status(DayStatus::Hadir), Ok(()));
        assert_eq!(
            check_settable_status(DayStatus::BelumSelesai).map_err(|e| e.to_string()),
            Err("Status 'BELUM_SELESAI' tidak dapat ditetapkan.".into())
        );
        assert_eq!(RequestRefusal::EvidenceRequired(Evidence::SignedSheet).code(), "evidence_required");
    }

    #[test]
    fn evidence_is_sniffed_from_the_bytes() {
        assert_eq!(evidence_type(b"%PDF-1.4"), Some("application/pdf"));
        assert_eq!(evidence_type(&[0xFF, 0xD8, 0xFF, 0xE0]), Some("image/jpeg"));
        assert_eq!(evidence_type(b"\x89PNG\r\n\x1a\nrest"), Some("image/png"));
        assert_eq!(evidence_type(b"GIF89a"), None);
        assert_eq!(evidence_type(b""), None);
    }
}
