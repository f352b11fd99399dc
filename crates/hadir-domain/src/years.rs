//! The years Hadir accepts for any time that comes in (issue 17): 2000–2100. A time outside them
//! is a clock fault or an attack, never attendance; refusing it at the edge also keeps date
//! arithmetic (a day later, a month's end, a zone conversion) far from jiff's limits, so nothing
//! downstream can fail on it.

use jiff::Timestamp;
use jiff::civil::{Date, DateTime};

/// The first accepted year.
pub const FIRST_YEAR: i16 = 2000;
/// The last accepted year.
pub const LAST_YEAR: i16 = 2100;

/// Whether `year` is one Hadir accepts.
pub fn accepted_year(year: i64) -> bool {
    (i64::from(FIRST_YEAR)..=i64::from(LAST_YEAR)).contains(&year)
}

/// Whether a calendar date lies in an accepted year.
pub fn accepted_date(d: Date) -> bool {
    accepted_year(i64::from(d.year()))
}

/// Whether a wall-clock time (a terminal's, with no zone) lies in an accepted year.
pub fn accepted_datetime(t: DateTime) -> bool {
    accepted_year(i64::from(t.year()))
}

/// Whether an instant lies in an accepted year (counted in UTC).
pub fn accepted_instant(t: Timestamp) -> bool {
    accepted_year(i64::from(t.to_zoned_datetime(jiff::tz::TimeZone::UTC).year()))
}

/// Why a date or month from input was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum DateInputError {
    #[error("not a date in the form YYYY-MM-DD")]
    Format,
    #[error("the year is outside {FIRST_YEAR}–{LAST_YEAR}")]
    Year,
}

/// A `YYYY-MM-DD` date in an accepted year.
pub fn parse_date(s: &str) -> Result<Date, DateInputError> {
    let s = s.trim();
    // jiff also reads signed six-digit years (`+002025-…`); input dates are four digits.
    if s.len() != 10 {
        return Err(DateInputError::Format);
    }
    let d: Date = s.parse().map_err(|_| DateInputError::Format)?;
    if accepted_date(d) { Ok(d) } else { Err(DateInputError::Year) }
}

/// The first day of a `YYYY-MM` month in an accepted year.
pub fn parse_month(s: &str) -> Result<Date, DateInputError> {
    let (y, m) = s.trim().split_once('-').ok_or(DateInputError::Format)?;
    if y.len() != 4 || m.len() != 2 || !y.bytes().chain(m.bytes()).all(|b| b.is_ascii_digit()) {
        return Err(DateInputError::Format);
    }
    let y: i16 = y.parse().map_err(|_| DateInputError::Format)?;
    let m: i8 = m.parse().map_err(|_| DateInputError::Format)?;
    if !accepted_year(i64::from(y)) {
        return Err(DateInputError::Year);
    }
    Date::new(y, m, 1).map_err(|_| DateInputError::Format)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn bounds() {
        assert!(!accepted_year(1999) && accepted_year(2000) && accepted_year(2100) && !accepted_year(2101));
        assert!(!accepted_year(i64::MIN) && !accepted_year(i64::MAX));
        assert_eq!(parse_date("2025-11-03"), Ok(jiff::civil::date(2025, 11, 3)));
        assert_eq!(parse_date("2100-12-31"), Ok(jiff::civil::date(2100, 12, 31)));
        assert_eq!(parse_date("0001-01-01"), Err(DateInputError::Year));
        assert_eq!(parse_date("9999-12-31"), Err(DateInputError::Year));
        assert_eq!(parse_date("+002025-11-03"), Err(DateInputError::Format));
        assert_eq!(parse_date("2025-02-30"), Err(DateInputError::Format));
        assert_eq!(parse_month("2025-11"), Ok(jiff::civil::date(2025, 11, 1)));
        assert_eq!(parse_month("2201-01"), Err(DateInputError::Year));
        assert_eq!(parse_month("2025-13"), Err(DateInputError::Format));
        assert_eq!(parse_month("+202-11"), Err(DateInputError::Format));
        let t: Timestamp = "2100-12-31T23:59:59Z".parse().unwrap();
        assert!(accepted_instant(t));
        assert!(!accepted_instant(Timestamp::MIN) && !accepted_instant(Timestamp::MAX));
        assert!(!accepted_datetime(DateTime::MIN) && !accepted_datetime(DateTime::MAX));
    }

    proptest! {
        /// Any text: no panic, and an accepted date's next day and month end are computable.
        #[test]
        fn parsing_never_panics_and_accepted_dates_have_room(s in "\\PC{0,12}", y in -9999i16..=9999, m in 1i8..=12, d in 1i8..=28) {
            let _ = parse_date(&s);
            let _ = parse_month(&s);
            let text = format!("{y:04}-{m:02}-{d:02}");
            if let Ok(date) = parse_date(&text) {
                prop_assert!(date.tomorrow().is_ok() && date.yesterday().is_ok());
                prop_assert!(date.last_of_month().tomorrow().is_ok());
            }
        }
    }
}
