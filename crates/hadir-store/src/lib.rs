//! The storage contract of Hadir.
//!
//! Callers (the server, the CLI, jobs) see only the [`Store`] trait and the record types in
//! [`types`]; the backend crates (SQLite, PostgreSQL) implement it with the one implementation in
//! this crate's `sql/` directory (compiled into each backend, not into this crate). The trait is
//! split by area so that each area's code stays small and readable; [`Store`] is their union.
//! [`contract`] holds the one test story that every backend must pass.

mod availability;
pub mod chain;
mod channels;
pub mod contract;
pub mod contract_days;
pub mod contract_devices;
pub mod contract_history;
pub mod contract_privacy;
pub mod contract_recaps;
pub mod contract_requests;
mod days;
mod devices;
mod error;
mod kinerja;
mod kiosks;
mod notifications;
mod privacy;
mod recaps;
mod requests;
mod sessions;
mod signals;
mod templates;
mod traits;
pub mod types;
mod webhooks;

pub use availability::*;
pub use channels::*;
pub use days::*;
pub use devices::*;
pub use error::StoreError;
pub use kinerja::*;
pub use kiosks::*;
pub use notifications::*;
pub use privacy::*;
pub use recaps::*;
pub use requests::*;
pub use sessions::*;
pub use signals::*;
pub use templates::*;
pub use traits::*;
pub use types::*;
pub use webhooks::*;

pub type Result<T> = std::result::Result<T, StoreError>;
