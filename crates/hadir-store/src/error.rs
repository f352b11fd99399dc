use thiserror::Error;

#[derive(Debug, Error)]
pub enum StoreError {
    /// The named thing does not exist (or is outside the caller's scope).
    #[error("not found: {0}")]
    NotFound(&'static str),
    /// A uniqueness rule would be broken; the payload names the field (e.g. `nip`).
    #[error("conflict on {0}")]
    Conflict(String),
    /// Input the store refuses (e.g. a parent unit that does not exist).
    #[error("invalid: {0}")]
    Invalid(String),
    /// A limit the caller computed would be exceeded (checked inside the writing transaction,
    /// so parallel calls cannot pass it together; issue 17). Nothing was written. `limit` names
    /// it (`leave_days`, `attachments`); `in_use` is what others already hold, `requested` what
    /// this call adds, `max` the limit.
    #[error("limit {limit} exceeded: {in_use} in use + {requested} requested > {max}")]
    LimitExceeded { limit: &'static str, in_use: i64, requested: i64, max: i64 },
    /// The database failed; the message is for logs, not for users.
    #[error("backend: {0}")]
    Backend(String),
}
