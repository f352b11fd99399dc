//! Dates, months and years from requests (query strings, paths, JSON bodies, console forms):
//! parsed in one place and refused with a clear 422 when malformed or outside the years
//! 2000–2100 (issue 17, `hadir_domain::years`). Handlers use these instead of parsing
//! themselves, so no impossible date reaches date arithmetic or the store.

use crate::error::{ApiError, ApiResult};
use hadir_domain::years::{self, DateInputError, FIRST_YEAR, LAST_YEAR};
use jiff::Timestamp;
use jiff::civil::Date;
use serde_json::json;

fn date_error(e: DateInputError, field: &str) -> ApiError {
    let message = match e {
        DateInputError::Format => format!(
            "'{field}' harus tanggal berformat TTTT-BB-HH antara tahun {FIRST_YEAR} dan {LAST_YEAR}, misalnya 2025-11-03."
        ),
        DateInputError::Year => format!("'{field}': tahun harus antara {FIRST_YEAR} dan {LAST_YEAR}."),
    };
    ApiError::unprocessable("invalid_date", message).with_details(json!({ "field": field }))
}

/// A required `YYYY-MM-DD` in 2000–2100 (422 `invalid_date` naming `field`).
pub fn date(s: &str, field: &str) -> ApiResult<Date> {
    years::parse_date(s).map_err(|e| date_error(e, field))
}

/// An optional date: absent or blank is `None`.
pub fn opt_date(s: Option<&str>, field: &str) -> ApiResult<Option<Date>> {
    s.map(str::trim).filter(|v| !v.is_empty()).map(|v| date(v, field)).transpose()
}

/// A date that came already parsed (a typed JSON field): only its year is checked.
pub fn check_date(d: Date, field: &str) -> ApiResult<Date> {
    if years::accepted_date(d) { Ok(d) } else { Err(date_error(DateInputError::Year, field)) }
}

/// An instant (RFC 3339 from a client) in 2000–2100.
pub fn check_instant(t: Timestamp, field: &str) -> ApiResult<Timestamp> {
    if years::accepted_instant(t) { Ok(t) } else { Err(date_error(DateInputError::Year, field)) }
}

/// First and last day of a `YYYY-MM` month in 2000–2100 (422 `invalid_month`).
pub fn month(s: &str) -> ApiResult<(Date, Date)> {
    let first = years::parse_month(s).map_err(|_| {
        ApiError::unprocessable(
            "invalid_month",
            format!("Bulan harus berformat TTTT-BB, misalnya 2025-11, antara tahun {FIRST_YEAR} dan {LAST_YEAR}."),
        )
    })?;
    Ok((first, first.last_of_month()))
}

/// A year in 2000–2100 (422 `invalid_year`).
pub fn year(y: i16) -> ApiResult<i16> {
    if years::accepted_year(i64::from(y)) {
        Ok(y)
    } else {
        Err(ApiError::unprocessable("invalid_year", format!("Tahun harus antara {FIRST_YEAR} dan {LAST_YEAR}.")))
    }
}
