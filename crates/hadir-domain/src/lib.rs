//! Hadir's pure domain: identifiers, geometry, schedules, rule sets and the day evaluator.
//!
//! Nothing in this crate performs I/O; every function is deterministic given its inputs, so
//! day records and recaps can always be recomputed and explained.

pub mod geo;
pub mod nip;

pub use geo::{GeoPoint, distance_m};
pub use nip::{Nip, NipError, NipKind};
