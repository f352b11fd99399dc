//! Conversions between domain values and columns (both backends store instants as epoch
//! milliseconds and dates as ISO text).

use super::db_err;
use hadir_store::StoreError;
use jiff::Timestamp;
use jiff::civil::Date;

pub(crate) fn ms(t: Timestamp) -> i64 {
    t.as_millisecond()
}

pub(crate) fn ts(ms: i64) -> Timestamp {
    Timestamp::from_millisecond(ms).unwrap_or(Timestamp::UNIX_EPOCH)
}

pub(crate) fn date_text(d: Date) -> String {
    d.to_string()
}

pub(crate) fn text_date(s: Option<String>) -> Option<Date> {
    s.and_then(|s| s.parse().ok())
}

pub(crate) fn backend(e: impl std::fmt::Display) -> StoreError {
    StoreError::Backend(e.to_string())
}

pub(crate) fn not_found(what: &'static str) -> impl Fn(sqlx::Error) -> StoreError {
    move |e| match e {
        sqlx::Error::RowNotFound => StoreError::NotFound(what),
        e => db_err(e),
    }
}
