//! Day statuses (DOMAIN.md "Day statuses and leave") and the absence kinds a request can
//! approve. Codes are the upper-case strings used in JSON and exports.

use serde::{Deserialize, Serialize};

/// What an approved request makes of a working day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum AbsenceKind {
    Izin,
    Sakit,
    CutiTahunan,
    CutiSakit,
    CutiBesar,
    CutiMelahirkan,
    CutiAlasanPenting,
    Cltn,
    /// Dinas luar (official travel); the request type `DINAS_LUAR` maps here.
    #[serde(alias = "DINAS_LUAR")]
    Dl,
    Diklat,
    TugasBelajar,
}

impl AbsenceKind {
    pub const ALL: [AbsenceKind; 11] = [
        AbsenceKind::Izin,
        AbsenceKind::Sakit,
        AbsenceKind::CutiTahunan,
        AbsenceKind::CutiSakit,
        AbsenceKind::CutiBesar,
        AbsenceKind::CutiMelahirkan,
        AbsenceKind::CutiAlasanPenting,
        AbsenceKind::Cltn,
        AbsenceKind::Dl,
        AbsenceKind::Diklat,
        AbsenceKind::TugasBelajar,
    ];

    pub fn code(self) -> &'static str {
        DayStatus::from(self).code()
    }

    /// Accepts the status codes and the request type `DINAS_LUAR`.
    pub fn from_code(s: &str) -> Option<AbsenceKind> {
        let s = s.trim().to_ascii_uppercase();
        if s == "DINAS_LUAR" {
            return Some(AbsenceKind::Dl);
        }
        AbsenceKind::ALL.into_iter().find(|k| k.code() == s)
    }

    /// Away on duty: counts as present (DOMAIN.md), never deducted.
    pub fn is_duty(self) -> bool {
        matches!(self, AbsenceKind::Dl | AbsenceKind::Diklat | AbsenceKind::TugasBelajar)
    }

    pub fn label(self) -> &'static str {
        DayStatus::from(self).label()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum DayStatus {
    Hadir,
    Tk,
    Libur,
    /// Before the employee's start date: shown, never counted.
    BelumAktif,
    /// A working day that has not closed and has no punch yet.
    BelumSelesai,
    Izin,
    Sakit,
    CutiTahunan,
    CutiSakit,
    CutiBesar,
    CutiMelahirkan,
    CutiAlasanPenting,
    Cltn,
    Dl,
    Diklat,
    TugasBelajar,
}

impl From<AbsenceKind> for DayStatus {
    fn from(k: AbsenceKind) -> DayStatus {
        match k {
            AbsenceKind::Izin => DayStatus::Izin,
            AbsenceKind::Sakit => DayStatus::Sakit,
            AbsenceKind::CutiTahunan => DayStatus::CutiTahunan,
            AbsenceKind::CutiSakit => DayStatus::CutiSakit,
            AbsenceKind::CutiBesar => DayStatus::CutiBesar,
            AbsenceKind::CutiMelahirkan => DayStatus::CutiMelahirkan,
            AbsenceKind::CutiAlasanPenting => DayStatus::CutiAlasanPenting,
            AbsenceKind::Cltn => DayStatus::Cltn,
            AbsenceKind::Dl => DayStatus::Dl,
            AbsenceKind::Diklat => DayStatus::Diklat,
            AbsenceKind::TugasBelajar => DayStatus::TugasBelajar,
        }
    }
}

impl DayStatus {
    pub fn code(self) -> &'static str {
        match self {
            DayStatus::Hadir => "HADIR",
            DayStatus::Tk => "TK",
            DayStatus::Libur => "LIBUR",
            DayStatus::BelumAktif => "BELUM_AKTIF",
            DayStatus::BelumSelesai => "BELUM_SELESAI",
            DayStatus::Izin => "IZIN",
            DayStatus::Sakit => "SAKIT",
            DayStatus::CutiTahunan => "CUTI_TAHUNAN",
            DayStatus::CutiSakit => "CUTI_SAKIT",
            DayStatus::CutiBesar => "CUTI_BESAR",
            DayStatus::CutiMelahirkan => "CUTI_MELAHIRKAN",
            DayStatus::CutiAlasanPenting => "CUTI_ALASAN_PENTING",
            DayStatus::Cltn => "CLTN",
            DayStatus::Dl => "DL",
            DayStatus::Diklat => "DIKLAT",
            DayStatus::TugasBelajar => "TUGAS_BELAJAR",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            DayStatus::Hadir => "hadir",
            DayStatus::Tk => "tanpa keterangan",
            DayStatus::Libur => "libur",
            DayStatus::BelumAktif => "belum aktif",
            DayStatus::BelumSelesai => "belum selesai",
            DayStatus::Izin => "izin",
            DayStatus::Sakit => "sakit",
            DayStatus::CutiTahunan => "cuti tahunan",
            DayStatus::CutiSakit => "cuti sakit",
            DayStatus::CutiBesar => "cuti besar",
            DayStatus::CutiMelahirkan => "cuti melahirkan",
            DayStatus::CutiAlasanPenting => "cuti karena alasan penting",
            DayStatus::Cltn => "cuti di luar tanggungan negara",
            DayStatus::Dl => "dinas luar",
            DayStatus::Diklat => "diklat",
            DayStatus::TugasBelajar => "tugas belajar",
        }
    }

    /// The absence kind behind a leave/duty status, if any.
    pub fn absence(self) -> Option<AbsenceKind> {
        AbsenceKind::ALL.into_iter().find(|k| DayStatus::from(*k) == self)
    }

    /// A scheduled working day of a counted employee (everything but LIBUR and BELUM_AKTIF).
    pub fn is_working_day(self) -> bool {
        !matches!(self, DayStatus::Libur | DayStatus::BelumAktif)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_match_serde() {
        for k in AbsenceKind::ALL {
            let s = DayStatus::from(k);
            assert_eq!(serde_json::to_string(&s).unwrap(), format!("\"{}\"", s.code()));
            assert_eq!(AbsenceKind::from_code(k.code()), Some(k));
            assert_eq!(s.absence(), Some(k));
        }
        assert_eq!(AbsenceKind::from_code("dinas_luar"), Some(AbsenceKind::Dl));
        let dl: AbsenceKind = serde_json::from_str("\"DINAS_LUAR\"").unwrap();
        assert_eq!(dl, AbsenceKind::Dl);
    }
}
