//! Daily work reports (laporan kinerja harian, issue 22): the shape of one activity, its
//! states, and who may file one for a day. Pure: the server reads the day record and the store.
//!
//! An activity is filed by the employee for a day on which they were counted present (or on
//! approved duty away), is editable while `submitted` or `returned`, and becomes final when a
//! validator (head or operator of the unit subtree, never the employee) approves it. Returning
//! it asks for a correction and needs a note; the employee's edit submits it again.

use crate::DayStatus;
use jiff::civil::Date;

/// Longest description of an activity, in characters.
pub const DESCRIPTION_MAX: usize = 500;
/// Longest output text and unit name, in characters.
pub const OUTPUT_MAX: usize = 200;
pub const UNIT_MAX: usize = 40;
/// Largest volume of one activity (e.g. "3 dokumen").
pub const VOLUME_MAX: f64 = 100_000.0;
/// Activities per employee and day, at most.
pub const PER_DAY_MAX: usize = 30;
/// Days back an activity may still be filed (the report is daily; a week covers a Monday
/// validation of last week).
pub const FILE_DAYS_BACK: i64 = 7;

/// Where an activity stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ActivityState {
    /// Filed, waiting for validation; the employee may still edit it.
    Submitted,
    /// Validated: counts towards the month's performance; final.
    Approved,
    /// Sent back with a note; the employee edits it (which submits it again).
    Returned,
}

impl ActivityState {
    pub fn as_str(self) -> &'static str {
        match self {
            ActivityState::Submitted => "submitted",
            ActivityState::Approved => "approved",
            ActivityState::Returned => "returned",
        }
    }
    pub fn parse(s: &str) -> Option<ActivityState> {
        match s {
            "submitted" => Some(ActivityState::Submitted),
            "approved" => Some(ActivityState::Approved),
            "returned" => Some(ActivityState::Returned),
            _ => None,
        }
    }
    /// The employee may still change it.
    pub fn editable(self) -> bool {
        !matches!(self, ActivityState::Approved)
    }
    /// Indonesian label for screens.
    pub fn label(self) -> &'static str {
        match self {
            ActivityState::Submitted => "Menunggu validasi",
            ActivityState::Approved => "Disetujui",
            ActivityState::Returned => "Dikembalikan",
        }
    }
}

/// One activity as typed by the employee, before it is stored.
#[derive(Debug, Clone, PartialEq)]
pub struct ActivityInput {
    pub description: String,
    pub output: String,
    pub volume: f64,
    pub volume_unit: String,
    /// Minutes after local midnight.
    pub start_minute: u32,
    pub end_minute: u32,
}

/// Why an activity (or a validation of one) is refused. `Display` is the Indonesian message.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ActivityRefusal {
    #[error("Uraian kegiatan wajib diisi (paling banyak {DESCRIPTION_MAX} huruf).")]
    DescriptionRequired,
    #[error("Hasil kerja (output) wajib diisi (paling banyak {OUTPUT_MAX} huruf).")]
    OutputRequired,
    #[error("Volume harus angka lebih dari 0 dan paling besar 100.000.")]
    InvalidVolume,
    #[error("Satuan volume wajib diisi, misalnya \"dokumen\" (paling banyak {UNIT_MAX} huruf).")]
    UnitRequired,
    #[error("Jam harus ditulis JJ:MM, misalnya 08:30.")]
    InvalidTime,
    #[error("Jam selesai kegiatan harus setelah jam mulai.")]
    EndBeforeStart,
    #[error("Laporan kinerja tidak dapat diisi untuk hari yang belum tiba.")]
    FutureDay,
    #[error("Laporan kinerja hanya dapat diisi paling lama {FILE_DAYS_BACK} hari setelah harinya.")]
    TooLate,
    /// `status` is the day's status code.
    #[error(
        "Laporan kinerja hanya untuk hari Anda tercatat hadir (atau dinas luar yang disetujui); status hari ini: {status}."
    )]
    NotPresent { status: String },
    #[error("Paling banyak {PER_DAY_MAX} kegiatan per hari.")]
    TooMany,
    #[error("Kegiatan ini bertumpang tindih dengan kegiatan lain pada jam {other_start}–{other_end}.")]
    Overlap { other_start: String, other_end: String },
    #[error("Kegiatan ini sudah disetujui atasan dan tidak dapat diubah lagi.")]
    AlreadyApproved,
    #[error("Kegiatan ini tidak menunggu validasi (sudah disetujui atau dikembalikan).")]
    NotWaiting,
    #[error("Tuliskan catatan perbaikan saat mengembalikan kegiatan.")]
    NoteRequired,
    #[error("Anda tidak dapat memvalidasi laporan kinerja Anda sendiri.")]
    OwnActivity,
}

impl ActivityRefusal {
    pub fn code(&self) -> &'static str {
        match self {
            ActivityRefusal::DescriptionRequired => "description_required",
            ActivityRefusal::OutputRequired => "output_required",
            ActivityRefusal::InvalidVolume => "invalid_volume",
            ActivityRefusal::UnitRequired => "unit_required",
            ActivityRefusal::InvalidTime => "invalid_time",
            ActivityRefusal::EndBeforeStart => "invalid_range",
            ActivityRefusal::FutureDay => "future_day",
            ActivityRefusal::TooLate => "too_late",
            ActivityRefusal::NotPresent { .. } => "not_present",
            ActivityRefusal::TooMany => "too_many_activities",
            ActivityRefusal::Overlap { .. } => "overlapping_activity",
            ActivityRefusal::AlreadyApproved => "already_approved",
            ActivityRefusal::NotWaiting => "not_waiting",
            ActivityRefusal::NoteRequired => "note_required",
            ActivityRefusal::OwnActivity => "own_activity",
        }
    }
    /// Answered 409 (the state changed under the caller) rather than 422 (bad input) or 403.
    pub fn is_conflict(&self) -> bool {
        matches!(self, ActivityRefusal::AlreadyApproved | ActivityRefusal::NotWaiting | ActivityRefusal::Overlap { .. })
    }
    pub fn is_forbidden(&self) -> bool {
        matches!(self, ActivityRefusal::OwnActivity)
    }
}

/// `HH:MM` (00:00–24:00) to minutes after midnight.
pub fn parse_hhmm(s: &str) -> Result<u32, ActivityRefusal> {
    let (h, m) = s.trim().split_once(':').ok_or(ActivityRefusal::InvalidTime)?;
    if h.is_empty() || h.len() > 2 || m.len() != 2 {
        return Err(ActivityRefusal::InvalidTime);
    }
    let h: u32 = h.parse().map_err(|_| ActivityRefusal::InvalidTime)?;
    let m: u32 = m.parse().map_err(|_| ActivityRefusal::InvalidTime)?;
    if m > 59 || h > 24 || (h == 24 && m > 0) {
        return Err(ActivityRefusal::InvalidTime);
    }
    Ok(h * 60 + m)
}

/// Minutes after midnight as `HH:MM`.
pub fn hhmm(minute: u32) -> String {
    format!("{:02}:{:02}", minute / 60, minute % 60)
}

/// Checks the shape of an activity and returns it trimmed.
pub fn check_activity(a: &ActivityInput) -> Result<ActivityInput, ActivityRefusal> {
    let description = a.description.trim().to_string();
    if description.is_empty() || description.chars().count() > DESCRIPTION_MAX {
        return Err(ActivityRefusal::DescriptionRequired);
    }
    let output = a.output.trim().to_string();
    if output.is_empty() || output.chars().count() > OUTPUT_MAX {
        return Err(ActivityRefusal::OutputRequired);
    }
    if !a.volume.is_finite() || a.volume <= 0.0 || a.volume > VOLUME_MAX {
        return Err(ActivityRefusal::InvalidVolume);
    }
    let volume_unit = a.volume_unit.trim().to_string();
    if volume_unit.is_empty() || volume_unit.chars().count() > UNIT_MAX {
        return Err(ActivityRefusal::UnitRequired);
    }
    if a.end_minute > 1440 {
        return Err(ActivityRefusal::InvalidTime);
    }
    if a.start_minute >= a.end_minute {
        return Err(ActivityRefusal::EndBeforeStart);
    }
    Ok(ActivityInput { description, output, volume: a.volume, volume_unit, ..a.clone() })
}

/// May an activity be filed for `date` when the local date is `today`?
pub fn check_date(date: Date, today: Date) -> Result<(), ActivityRefusal> {
    if date > today {
        return Err(ActivityRefusal::FutureDay);
    }
    if today.checked_sub(jiff::Span::new().days(FILE_DAYS_BACK)).is_ok_and(|first| date < first) {
        return Err(ActivityRefusal::TooLate);
    }
    Ok(())
}

/// Does the day's status allow a work report: counted present, or on approved duty away
/// (dinas luar, diklat, tugas belajar: counted as present).
pub fn status_allows_report(status: DayStatus) -> bool {
    matches!(status, DayStatus::Hadir | DayStatus::Dl | DayStatus::Diklat | DayStatus::TugasBelajar)
}

/// The first of `others` (start, end minutes) that overlaps `start..end`.
pub fn overlapping(start: u32, end: u32, others: &[(u32, u32)]) -> Option<(u32, u32)> {
    others.iter().copied().find(|&(s, e)| s < end && start < e)
}

/// Minutes an activity covers.
pub fn minutes(start: u32, end: u32) -> u32 {
    end.saturating_sub(start)
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn input() -> ActivityInput {
        ActivityInput {
            description: " Menyusun RPP kelas 4 ".into(),
            output: "RPP".into(),
            volume: 3.0,
            volume_unit: "dokumen".into(),
            start_minute: 8 * 60,
            end_minute: 10 * 60,
        }
    }

    #[test]
    fn shapes() {
        let ok = check_activity(&input()).unwrap();
        assert_eq!(ok.description, "Menyusun RPP kelas 4");
        type Change = Box<dyn Fn(&mut ActivityInput)>;
        let cases: Vec<(Change, &str)> = vec![
            (Box::new(|a| a.description = "  ".into()), "description_required"),
            (Box::new(|a| a.description = "x".repeat(DESCRIPTION_MAX + 1)), "description_required"),
            (Box::new(|a| a.output = String::new()), "output_required"),
            (Box::new(|a| a.volume = 0.0), "invalid_volume"),
            (Box::new(|a| a.volume = f64::NAN), "invalid_volume"),
            (Box::new(|a| a.volume = -1.0), "invalid_volume"),
            (Box::new(|a| a.volume = 1e9), "invalid_volume"),
            (Box::new(|a| a.volume_unit = " ".into()), "unit_required"),
            (Box::new(|a| a.end_minute = a.start_minute), "invalid_range"),
            (Box::new(|a| a.end_minute = 1441), "invalid_time"),
        ];
        for (change, code) in cases {
            let mut a = input();
            change(&mut a);
            assert_eq!(check_activity(&a).unwrap_err().code(), code, "{a:?}");
        }
    }

    #[test]
    fn times() {
        assert_eq!(parse_hhmm("08:30"), Ok(510));
        assert_eq!(parse_hhmm("7:05"), Ok(425));
        assert_eq!(parse_hhmm("24:00"), Ok(1440));
        for bad in ["", "8", "08:3", "24:01", "12:60", "ab:cd", "-1:00", "123:00"] {
            assert_eq!(parse_hhmm(bad), Err(ActivityRefusal::InvalidTime), "{bad}");
        }
        assert_eq!(hhmm(510), "08:30");
    }

    #[test]
    fn dates() {
        let today = date(2026, 11, 20);
        assert_eq!(check_date(today, today), Ok(()));
        assert_eq!(check_date(date(2026, 11, 13), today), Ok(()));
        assert_eq!(check_date(date(2026, 11, 12), today), Err(ActivityRefusal::TooLate));
        assert_eq!(check_date(date(2026, 11, 21), today), Err(ActivityRefusal::FutureDay));
    }

    #[test]
    fn presence_and_overlap() {
        assert!(status_allows_report(DayStatus::Hadir));
        assert!(status_allows_report(DayStatus::Dl));
        assert!(!status_allows_report(DayStatus::Tk));
        assert!(!status_allows_report(DayStatus::CutiTahunan));
        assert!(!status_allows_report(DayStatus::BelumSelesai));
        assert!(!status_allows_report(DayStatus::Libur));
        assert_eq!(overlapping(600, 660, &[(480, 600), (650, 700)]), Some((650, 700)));
        assert_eq!(overlapping(600, 660, &[(480, 600), (660, 700)]), None);
    }

    #[test]
    fn states() {
        for s in [ActivityState::Submitted, ActivityState::Approved, ActivityState::Returned] {
            assert_eq!(ActivityState::parse(s.as_str()), Some(s));
        }
        assert!(!ActivityState::Approved.editable());
        assert!(ActivityState::Returned.editable());
    }
}
