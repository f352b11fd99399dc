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
    /// The database failed; the message is for logs, not for users.
    #[error("backend: {0}")]
    Backend(String),
}
