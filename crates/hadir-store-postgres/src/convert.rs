//! Conversions between domain values and PostgreSQL columns, and error mapping.

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

/// The first column named by a unique violation: from the detail (`Key (nip)=(…) already
/// exists.`), else from the constraint name (`employees_nip_key`).
fn conflict_column(d: &dyn sqlx::error::DatabaseError) -> String {
    let pg = d.try_downcast_ref::<sqlx::postgres::PgDatabaseError>();
    if let Some(detail) = pg.and_then(|p| p.detail())
        && let Some(rest) = detail.strip_prefix("Key (")
        && let Some(end) = rest.find(")=")
    {
        let cols = &rest[..end];
        return cols.split(',').next().unwrap_or(cols).trim().to_string();
    }
    d.constraint().map(|c| c.trim_end_matches("_key").rsplit('_').next().unwrap_or(c).to_string()).unwrap_or_default()
}

/// Maps sqlx errors the way the SQLite backend does: unique violations become
/// `Conflict(column)`, foreign-key violations `Invalid`.
pub(crate) fn db_err(e: sqlx::Error) -> StoreError {
    match &e {
        sqlx::Error::RowNotFound => StoreError::NotFound("row"),
        sqlx::Error::Database(d) => match d.code().as_deref() {
            Some("23505") => StoreError::Conflict(conflict_column(d.as_ref())),
            Some("23503") => StoreError::Invalid("foreign key".into()),
            _ => StoreError::Backend(d.message().to_string()),
        },
        _ => StoreError::Backend(e.to_string()),
    }
}

pub(crate) fn not_found(what: &'static str) -> impl Fn(sqlx::Error) -> StoreError {
    move |e| match e {
        sqlx::Error::RowNotFound => StoreError::NotFound(what),
        e => db_err(e),
    }
}
