//! NIP (Nomor Induk Pegawai) of PNS and NI PPPK: parsing and validation per BKN's layout.
//!
//! PNS:  `YYYYMMDD` birth, `YYYYMM` appointment (TMT CPNS), gender `1|2`, 3-digit sequence.
//! PPPK: `YYYYMMDD` birth, `YYYY` appointment year, `2` (PPPK marker: digits 13–14 then read
//!       `2x`, never a month), contract count digit, gender `1|2`, 3-digit sequence.

use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum NipKind {
    Pns,
    Pppk,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NipError {
    #[error("NIP harus 18 digit angka (ditemukan {0} digit)")]
    Length(usize),
    #[error("NIP hanya boleh berisi angka, spasi atau titik")]
    NotDigits,
    #[error("tanggal lahir pada NIP tidak valid")]
    BirthDate,
    #[error("bulan pengangkatan pada NIP tidak valid")]
    AppointmentMonth,
    #[error("digit jenis kelamin pada NIP harus 1 atau 2")]
    Gender,
    #[error("nomor urut pada NIP tidak boleh 000")]
    Sequence,
    #[error("tanggal pengangkatan pada NIP sebelum usia 18 tahun atau di masa depan")]
    AppointmentAge,
}

impl NipError {
    /// Machine-readable code for API errors.
    pub fn code(&self) -> &'static str {
        match self {
            NipError::Length(_) => "nip_length",
            NipError::NotDigits => "nip_not_digits",
            NipError::BirthDate => "nip_birth_date",
            NipError::AppointmentMonth => "nip_appointment_month",
            NipError::Gender => "nip_gender",
            NipError::Sequence => "nip_sequence",
            NipError::AppointmentAge => "nip_appointment_age",
        }
    }
}

/// A validated 18-digit NIP.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Nip {
    digits: String,
    kind: NipKind,
    birth: Date,
    male: bool,
}

impl Nip {
    /// Parse and validate, accepting spaces and dots as separators. `today` bounds the
    /// appointment date (it may not lie in the future).
    pub fn parse(input: &str, today: Date) -> Result<Nip, NipError> {
        let mut digits = String::with_capacity(18);
        for c in input.chars() {
            match c {
                '0'..='9' => digits.push(c),
                ' ' | '.' => {}
                _ => return Err(NipError::NotDigits),
            }
        }
        if digits.len() != 18 {
            return Err(NipError::Length(digits.len()));
        }
        let num = |r: std::ops::Range<usize>| -> i32 { digits[r].parse().unwrap_or(0) };
        let birth = Date::new(num(0..4) as i16, num(4..6) as i8, num(6..8) as i8).map_err(|_| NipError::BirthDate)?;
        if birth.year() < 1900 || birth > today {
            return Err(NipError::BirthDate);
        }
        let appt_year = num(8..12);
        let marker = num(12..14);
        let (kind, appointment, gender) = if (1..=12).contains(&marker) {
            // PNS: month of TMT CPNS.
            let d = Date::new(appt_year as i16, marker as i8, 1).map_err(|_| NipError::AppointmentMonth)?;
            (NipKind::Pns, d, num(14..15))
        } else if digits.as_bytes()[12] == b'2' {
            // PPPK: digit 13 is the marker, digit 14 the contract count.
            let d = Date::new(appt_year as i16, 1, 1).map_err(|_| NipError::AppointmentAge)?;
            (NipKind::Pppk, d, num(14..15))
        } else {
            return Err(NipError::AppointmentMonth);
        };
        if gender != 1 && gender != 2 {
            return Err(NipError::Gender);
        }
        if &digits[15..18] == "000" {
            return Err(NipError::Sequence);
        }
        // Appointment not before age 18 (PPPK: compare by year) and not in the future.
        let adult_year = birth.year() as i32 + 18;
        let too_young = match kind {
            NipKind::Pns => (appointment.year() as i32, appointment.month()) < (adult_year, birth.month()),
            NipKind::Pppk => (appointment.year() as i32) < adult_year,
        };
        if too_young || appointment > today {
            return Err(NipError::AppointmentAge);
        }
        Ok(Nip { digits, kind, birth, male: gender == 1 })
    }

    pub fn as_str(&self) -> &str {
        &self.digits
    }
    pub fn kind(&self) -> NipKind {
        self.kind
    }
    pub fn birth_date(&self) -> Date {
        self.birth
    }
    pub fn is_male(&self) -> bool {
        self.male
    }
    /// TMT CPNS of a PNS NIP: the first of the appointment month (digits 9–14, `yyyymm`).
    /// PPPK numbers carry only a year: `None`.
    pub fn appointment_month(&self) -> Option<Date> {
        if self.kind != NipKind::Pns {
            return None;
        }
        let y: i16 = self.digits[8..12].parse().ok()?;
        let m: i8 = self.digits[12..14].parse().ok()?;
        Date::new(y, m, 1).ok()
    }

    /// Display form `19860926 201505 1 001` (PPPK: `19900101 2021 21 1 001`).
    pub fn formatted(&self) -> String {
        let d = &self.digits;
        match self.kind {
            NipKind::Pns => format!("{} {} {} {}", &d[0..8], &d[8..14], &d[14..15], &d[15..18]),
            NipKind::Pppk => format!("{} {} {} {} {}", &d[0..8], &d[8..12], &d[12..14], &d[14..15], &d[15..18]),
        }
    }
}

impl fmt::Display for Nip {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.digits)
    }
}

/// Build a valid PNS NIP from its parts (used by the demo and tests).
pub fn make_pns(birth: Date, appointed: (i16, i8), male: bool, seq: u16) -> String {
    format!(
        "{:04}{:02}{:02}{:04}{:02}{}{:03}",
        birth.year(),
        birth.month(),
        birth.day(),
        appointed.0,
        appointed.1,
        if male { 1 } else { 2 },
        seq.clamp(1, 999)
    )
}

/// Build a valid NI PPPK from its parts (used by the demo and tests).
pub fn make_pppk(birth: Date, year: i16, contract: u8, male: bool, seq: u16) -> String {
    format!(
        "{:04}{:02}{:02}{:04}2{}{}{:03}",
        birth.year(),
        birth.month(),
        birth.day(),
        year,
        contract % 10,
        if male { 1 } else { 2 },
        seq.clamp(1, 999)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn today() -> Date {
        date(2026, 11, 24)
    }

    #[test]
    fn table() {
        let cases: &[(&str, Result<NipKind, NipError>)] = &[
            ("198609262015051001", Ok(NipKind::Pns)),
            ("19860926 201505 1 001", Ok(NipKind::Pns)),
            ("19860926.201505.2.001", Ok(NipKind::Pns)),
            ("199001012021211001", Ok(NipKind::Pppk)),
            ("199001012021212017", Ok(NipKind::Pppk)),
            ("19860926201505100", Err(NipError::Length(17))),
            ("1986092620150510011", Err(NipError::Length(19))),
            ("19860926201505100A", Err(NipError::NotDigits)),
            ("198602302015051001", Err(NipError::BirthDate)),
            ("198613262015051001", Err(NipError::BirthDate)),
            ("198609262015053001", Err(NipError::Gender)),
            ("198609262015050001", Err(NipError::Gender)),
            ("198609262015051000", Err(NipError::Sequence)),
            ("198609262015001001", Err(NipError::AppointmentMonth)),
            ("198609262015131001", Err(NipError::AppointmentMonth)),
            ("198609262000051001", Err(NipError::AppointmentAge)),
            ("198609262030051001", Err(NipError::AppointmentAge)),
        ];
        for (input, want) in cases {
            let got = Nip::parse(input, today()).map(|n| n.kind());
            assert_eq!(&got, want, "{input}");
        }
    }

    #[test]
    fn formatting() {
        let n = Nip::parse("198609262015051001", today()).unwrap();
        assert_eq!(n.formatted(), "19860926 201505 1 001");
        assert!(n.is_male());
        let p = Nip::parse("199001012021212017", today()).unwrap();
        assert_eq!(p.formatted(), "19900101 2021 21 2 017");
        assert!(!p.is_male());
    }

    #[test]
    fn builders_make_valid_numbers() {
        let pns = make_pns(date(1980, 2, 29), (2005, 3), false, 12);
        assert_eq!(Nip::parse(&pns, today()).unwrap().kind(), NipKind::Pns);
        let pppk = make_pppk(date(1995, 7, 1), 2023, 1, true, 5);
        assert_eq!(Nip::parse(&pppk, today()).unwrap().kind(), NipKind::Pppk);
    }
}
