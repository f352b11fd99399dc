//! Holidays (SKB 3 Menteri national holidays and cuti bersama, plus regional ones) and the
//! parser for the shipped `tanggal,jenis,nama` CSV. The format is simple enough that a
//! dependency is not worth it, but a quoted name may contain commas and `""` escapes.

use jiff::civil::Date;
use serde::{Deserialize, Serialize};

/// The shipped SKB holiday table (2025–2026 as decreed, 2027 provisional), compiled in so a
/// fresh install has it without any outside service. Parse with [`parse_holiday_csv`].
pub const DEFAULT_HOLIDAYS_CSV: &str = include_str!("../data/hari-libur-2025-2027.csv");

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HolidayKind {
    LiburNasional,
    CutiBersama,
    Regional,
}

impl HolidayKind {
    pub fn code(self) -> &'static str {
        match self {
            HolidayKind::LiburNasional => "libur_nasional",
            HolidayKind::CutiBersama => "cuti_bersama",
            HolidayKind::Regional => "regional",
        }
    }

    pub fn from_code(s: &str) -> Option<HolidayKind> {
        match s.trim().to_ascii_lowercase().as_str() {
            "libur_nasional" => Some(HolidayKind::LiburNasional),
            "cuti_bersama" => Some(HolidayKind::CutiBersama),
            "regional" | "libur_daerah" => Some(HolidayKind::Regional),
            _ => None,
        }
    }

    /// Indonesian label for explanations.
    pub fn label(self) -> &'static str {
        match self {
            HolidayKind::LiburNasional => "libur nasional",
            HolidayKind::CutiBersama => "cuti bersama",
            HolidayKind::Regional => "libur daerah",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Holiday {
    pub date: Date,
    pub kind: HolidayKind,
    pub name: String,
}

/// The first holiday on `date` (national before cuti bersama before regional, for a stable
/// explanation when two fall on one day).
pub fn holiday_on(holidays: &[Holiday], date: Date) -> Option<&Holiday> {
    holidays.iter().filter(|h| h.date == date).min_by(|a, b| a.kind.cmp(&b.kind).then_with(|| a.name.cmp(&b.name)))
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("baris {line}: {problem}")]
pub struct HolidayCsvError {
    /// 1-based line number in the input.
    pub line: usize,
    pub problem: String,
}

/// Parses `tanggal,jenis,nama` lines. A header line (starting with `tanggal`), blank lines
/// and a UTF-8 BOM are skipped.
pub fn parse_holiday_csv(input: &str) -> Result<Vec<Holiday>, HolidayCsvError> {
    let input = input.strip_prefix('\u{feff}').unwrap_or(input);
    let mut out = Vec::new();
    for (idx, raw) in input.lines().enumerate() {
        let line = idx + 1;
        let err = |problem: String| HolidayCsvError { line, problem };
        let text = raw.trim_end_matches('\r');
        if text.trim().is_empty() {
            continue;
        }
        let fields = split_csv_line(text).map_err(err)?;
        if line == 1 && fields.first().is_some_and(|f| f.trim().eq_ignore_ascii_case("tanggal")) {
            continue;
        }
        let [date, kind, name] = fields.as_slice() else {
            return Err(err(format!("harus 3 kolom (tanggal,jenis,nama), ditemukan {}", fields.len())));
        };
        let date: Date = date.trim().parse().map_err(|_| err(format!("tanggal tidak valid: {:?}", date.trim())))?;
        let kind = HolidayKind::from_code(kind).ok_or_else(|| {
            err(format!("jenis tidak dikenal: {:?} (libur_nasional, cuti_bersama, regional)", kind.trim()))
        })?;
        let name = name.trim();
        if name.is_empty() {
            return Err(err("nama hari libur kosong".to_string()));
        }
        out.push(Holiday { date, kind, name: name.to_string() });
    }
    Ok(out)
}

/// Splits one CSV line: fields separated by commas, optionally enclosed in double quotes
/// with `""` standing for a literal quote.
fn split_csv_line(line: &str) -> Result<Vec<String>, String> {
    let mut fields = Vec::new();
    let mut chars = line.chars().peekable();
    loop {
        let mut field = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            loop {
                match chars.next() {
                    Some('"') if chars.peek() == Some(&'"') => {
                        chars.next();
                        field.push('"');
                    }
                    Some('"') => break,
                    Some(c) => field.push(c),
                    None => return Err("tanda kutip tidak ditutup".to_string()),
                }
            }
            match chars.next() {
                None => {
                    fields.push(field);
                    return Ok(fields);
                }
                Some(',') => fields.push(field),
                Some(c) => return Err(format!("karakter {c:?} setelah tanda kutip penutup")),
            }
        } else {
            loop {
                match chars.next() {
                    None => {
                        fields.push(field);
                        return Ok(fields);
                    }
                    Some(',') => break,
                    Some(c) => field.push(c),
                }
            }
            fields.push(field);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn parses_shipped_file() {
        let text = DEFAULT_HOLIDAYS_CSV;
        let all = parse_holiday_csv(text).unwrap();
        assert!(all.len() > 50);
        let lebaran = holiday_on(&all, date(2025, 3, 31)).unwrap();
        assert_eq!(lebaran.kind, HolidayKind::LiburNasional);
        assert!(all.iter().any(|h| h.kind == HolidayKind::CutiBersama && h.date == date(2025, 1, 28)));
    }

    #[test]
    fn quoted_name_with_comma_and_quote() {
        let text = "tanggal,jenis,nama\n2025-10-10,regional,\"Hari Jadi Kota, ke-\"\"80\"\"\"\r\n";
        let h = parse_holiday_csv(text).unwrap();
        assert_eq!(h[0].name, "Hari Jadi Kota, ke-\"80\"");
        assert_eq!(h[0].kind, HolidayKind::Regional);
    }

    #[test]
    fn errors_carry_line_numbers() {
        let text = "tanggal,jenis,nama\n2025-01-01,libur_nasional,Tahun Baru\n\n2025-02-30,libur_nasional,X\n";
        let e = parse_holiday_csv(text).unwrap_err();
        assert_eq!(e.line, 4);
        assert!(e.to_string().starts_with("baris 4: tanggal tidak valid"));
        assert_eq!(parse_holiday_csv("2025-01-01,libur\n").unwrap_err().line, 1);
        assert_eq!(parse_holiday_csv("2025-01-01,hari_raya,X\n").unwrap_err().line, 1);
        assert!(parse_holiday_csv("2025-01-01,regional,\"X\n").is_err());
    }
}
