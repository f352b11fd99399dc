//! Conversions between domain values and SQLite columns, and error mapping.

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

/// Maps sqlx errors, turning unique-constraint failures into `Conflict(column)`.
pub(crate) fn db_err(e: sqlx::Error) -> StoreError {
    match &e {
        sqlx::Error::RowNotFound => StoreError::NotFound("row"),
        sqlx::Error::Database(d) => {
            let msg = d.message();
            if let Some(rest) = msg.strip_prefix("UNIQUE constraint failed: ") {
                let col = rest.split(',').next().unwrap_or(rest).rsplit('.').next().unwrap_or(rest).trim();
                StoreError::Conflict(col.to_string())
            } else if msg.contains("FOREIGN KEY") {
                StoreError::Invalid("foreign key".into())
            } else {
                StoreError::Backend(msg.to_string())
            }
        }
        _ => StoreError::Backend(e.to_string()),
    }
}

pub(crate) fn not_found(what: &'static str) -> impl Fn(sqlx::Error) -> StoreError {
    move |e| match e {
        sqlx::Error::RowNotFound => StoreError::NotFound(what),
        e => db_err(e),
    }
}
